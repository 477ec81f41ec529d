// files.file's pure planning for the cases with rules of their own: creating a path (with its
// missing parents and their attributes), a directory tree (recurse), and a symlink (state: link,
// follow). The module (file.ts) declares, probes, dispatches on the wanted state and applies.
import { normMode } from "../../engine/core/snippets.js";
import type { Change } from "../../engine/core/module.js";
import { ModuleError } from "../../engine/core/errors.js";
import { timesPlan, type TimeArgs, type TimesOp, type TimesState } from "../../engine/core/filetimes.js";
import { attrChanges, attrExplain, createAttrs, idMatches, parseMode, targetMode, type AttrArgs, type AttrOp, type FileStat } from "./common.js";

/**
 * The plan of files.file: remove the path (rm -rf); create a directory and its missing parents
 * (each gets the task's attributes); create an empty file; (re)point a symlink, replacing what is
 * at the path; or fix attributes (AttrOp; the tree_* ops below a directory with recurse).
 */
export type FileOp =
  | AttrOp
  | { op: "remove" }
  | { op: "mkdir"; create: string[]; times?: TimesOp }
  | { op: "touch"; times?: TimesOp }
  | { op: "link"; target: string; replace: "none" | "rm" | "rmdir" }
  | { op: "hardlink"; src: string; replace: boolean };

export interface FileArgs extends AttrArgs, TimeArgs {
  path?: string;
  dest?: string;
  name?: string;
  state?: "file" | "directory" | "link" | "absent" | "touch" | "hard";
  recurse?: boolean;
  src?: string;
  force?: boolean;
  follow?: boolean;
}

export interface FileState extends FileStat {
  /** state=link: whether src exists (relative to the link's directory). */
  srcExists?: boolean;
  /** state=directory: the nearest ancestor of the path that exists (its missing parents are below it). */
  ancestor?: string;
  /** state=link with follow and owner/group/mode: what src resolves to (those apply to it, as in Ansible). */
  srcStat?: FileStat;
  /** modification_time/access_time other than preserve: the path's times and the wanted ones in seconds. */
  times?: TimesState;
  /** state=hard: the inodes of src and the path (file-hard.ts). */
  hard?: { src?: string; path?: string; nlink?: number };
}

export function missing(kind: "file" | "directory", path: string, st: FileState, a: FileArgs): Change<FileOp> {
  if (!st.parentExists && kind === "file") {
    throw new ModuleError(`cannot create ${path}: its directory does not exist (create it first with state: directory)`);
  }
  const attrs = createAttrs(a, kind === "directory", st.fs);
  // explicit times are set once the path exists (creating it sets them to now)
  const times = timesPlan(a, st.times, true)?.op;
  for (const [k, name] of [
    ["mtime", "modification_time"],
    ["atime", "access_time"],
  ] as const)
    if (times?.[k] !== undefined) attrs.push(`${name} ${a[name]}`);
  const created = kind === "directory" ? createdDirs(path, st.ancestor) : [path];
  const parents = created.slice(0, -1);
  const change: Change<FileOp> = {
    summary: `${kind} ${path} missing${parents.length ? `, with its parent${parents.length > 1 ? "s" : ""} ${parents.join(", ")}` : ""}${attrs.length ? ` (will create with ${attrs.join(", ")})` : ""}`,
    field: "state",
    before: "absent",
    after: kind,
    data: kind === "directory" ? { op: "mkdir", create: created, ...(times ? { times } : {}) } : { op: "touch", ...(times ? { times } : {}) },
  };
  return change;
}

/**
 * The directories `mkdir -p path` creates, top down: those below the nearest existing ancestor.
 * Without the probe's ancestor (an older capture), only the path itself.
 */
export function createdDirs(path: string, ancestor: string | undefined): string[] {
  const norm = (p: string) => p.replace(/\/{2,}/g, "/").replace(/(.)\/+$/, "$1");
  const out: string[] = [];
  let cur = norm(path);
  const stop = ancestor === undefined ? undefined : norm(ancestor);
  while (cur !== stop && cur !== "/" && cur !== "." && cur !== "") {
    out.unshift(cur);
    if (stop === undefined) break;
    const i = cur.lastIndexOf("/");
    cur = i > 0 ? cur.slice(0, i) : i === 0 ? "/" : ".";
  }
  return out.length ? out : [norm(path)];
}

/** The task's mode expression ("0750", or the symbolic form as written). */
export function modeExpr(mode: string | number): string {
  const spec = parseMode(mode);
  return "octal" in spec ? normMode(spec.octal) : spec.symbolic;
}

/** recurse: chmod -R takes the task's mode expression, so X and relative forms apply per entry. */
export function recursive(changes: Change<AttrOp>[], a: FileArgs): Change<FileOp>[] {
  if (!a.recurse || a.mode === undefined) return changes;
  const spec = modeExpr(a.mode);
  return changes.map((c) => (c.data?.op === "mode" ? { ...c, data: { op: "tree_mode", spec } } : c));
}

/** recurse: entries below the directory (the directory itself is covered by attrChanges) that differ. */
export function treeChanges(st: FileStat, a: FileArgs, path: string): Change<FileOp>[] {
  if (!a.recurse || !st.tree) return [];
  // The top directory is one of the tree entries; take it out so it is not counted twice.
  const groups = st.tree.map((g) => ({ ...g }));
  const top = groups.find((g) => g.dir && g.mode === st.mode && g.uid === st.uid && g.gid === st.gid && g.count > 0);
  if (top) top.count -= 1;
  const out: Change<FileOp>[] = [];
  const spec = a.mode !== undefined ? parseMode(a.mode) : undefined;
  if (spec) {
    const bad = groups.filter((g) => g.count > 0 && normMode(targetMode(spec, parseInt(g.mode, 8), g.dir)) !== g.mode);
    if (bad.length) {
      const n = bad.reduce((s, g) => s + g.count, 0);
      const before = [...new Set(bad.map((g) => g.mode))].sort();
      out.push({
        summary: `mode of ${n} ${n === 1 ? "entry" : "entries"} below ${path} (${before.join(", ")}) → ${"octal" in spec ? normMode(spec.octal) : spec.symbolic}`,
        field: "tree_mode",
        before,
        after: "octal" in spec ? normMode(spec.octal) : spec.symbolic,
        data: { op: "tree_mode", spec: modeExpr(a.mode!) },
      });
    }
  }
  for (const [field, want, name, id] of [
    ["tree_owner", a.owner, (g: (typeof groups)[0]) => g.owner, (g: (typeof groups)[0]) => g.uid],
    ["tree_group", a.group, (g: (typeof groups)[0]) => g.group, (g: (typeof groups)[0]) => g.gid],
  ] as const) {
    if (want === undefined) continue;
    const bad = groups.filter((g) => g.count > 0 && !idMatches(want, name(g), id(g)));
    if (!bad.length) continue;
    const n = bad.reduce((s, g) => s + g.count, 0);
    const before = [...new Set(bad.map(name))].sort();
    const what = field === "tree_owner" ? "owner" : "group";
    const data: FileOp = field === "tree_owner" ? { op: "tree_owner", owner: want } : { op: "tree_group", group: want };
    out.push({ summary: `${what} of ${n} ${n === 1 ? "entry" : "entries"} below ${path} (${before.join(", ")}) → ${want}`, field, before, after: want, data });
  }
  return out;
}

export function attrLink(st: FileState, a: FileArgs): string[] {
  const out: string[] = [];
  if (follows(a)) return st.srcStat ? attrExplain(st.srcStat, a).map((x) => `target ${x}`) : [];
  if (a.owner !== undefined) out.push(`owner ${st.linkOwner?.owner}`);
  if (a.group !== undefined) out.push(`group ${st.linkOwner?.group}`);
  return out;
}

export function linkChanges(st: FileState, a: FileArgs, path: string): Change<FileOp>[] {
  const src = a.src!;
  const out: Change<FileOp>[] = [];
  if (st.link === undefined) {
    if (st.type !== "absent" && !a.force) {
      throw new ModuleError(`refusing to replace the ${st.type} ${path} with a symlink; set force: true to replace it`);
    }
    if (!st.parentExists) throw new ModuleError(`cannot create link ${path}: its directory does not exist`);
    if (!st.srcExists && !a.force) throw new ModuleError(`link target ${src} does not exist; set force: true to create a dangling link`);
    const before = st.type === "absent" ? "absent" : st.type;
    out.push({
      summary: st.type === "absent" ? `link ${path} missing (→ ${src})` : `${st.type} ${path} → link to ${src}`,
      field: "state",
      before,
      after: "link",
      data: { op: "link", target: src, replace: st.type === "directory" ? "rmdir" : st.type === "absent" ? "none" : "rm" },
    });
  } else if (st.link !== src) {
    if (!st.srcExists && !a.force) throw new ModuleError(`link target ${src} does not exist; set force: true to create a dangling link`);
    out.push({
      summary: `link ${path} target ${st.link} → ${src}`,
      field: "link",
      before: st.link,
      after: src,
      data: { op: "link", target: src, replace: "rm" },
    });
  }
  if (!follows(a)) {
    // follow: false: the link's own owner/group. A new link gets them whatever they are now.
    if (out.length) return [...out, ...linkOwnChanges({ ...st, linkOwner: undefined }, a)];
    return linkOwnChanges(st, a);
  }
  // follow (Ansible's default): mode, owner and group apply to what src resolves to; a dangling
  // target has none to set (Ansible warns and skips them).
  if (st.srcStat && st.srcStat.type !== "absent") out.push(...attrChanges(st.srcStat, a, `target ${src}: `));
  return out;
}

/**
 * The link's own owner and group (follow: false). Linux symlinks have no mode of their own: `mode`
 * changes nothing, as in Ansible, whose set_mode_if_different finds lstat's 0777 unchanged after its
 * chmod attempt and reports ok (ansible-core 2.14, measured: ok on every run, the target untouched).
 */
export function linkOwnChanges(st: FileState, a: FileArgs): Change<FileOp>[] {
  const lo = st.linkOwner;
  const out: Change<FileOp>[] = [];
  if (a.owner !== undefined && !idMatches(a.owner, lo?.owner, lo?.uid))
    out.push({
      summary: `link owner ${lo?.owner ?? "(new)"} → ${a.owner}`,
      field: "owner",
      before: lo?.owner,
      after: a.owner,
      data: { op: "owner", owner: a.owner },
    });
  if (a.group !== undefined && !idMatches(a.group, lo?.group, lo?.gid))
    out.push({
      summary: `link group ${lo?.group ?? "(new)"} → ${a.group}`,
      field: "group",
      before: lo?.group,
      after: a.group,
      data: { op: "group", group: a.group },
    });
  return out;
}

export function follows(a: FileArgs): boolean {
  return a.follow !== false;
}
