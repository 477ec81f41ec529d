// files.file — Ansible's `file`: a path's kind (file, directory, symlink, absent) and its mode,
// owner and group, optionally through a whole directory tree.
import { normMode, snip, statOf } from "../../engine/core/snippets.js";
import { findRec, parseRecords } from "../../engine/core/record.js";
import { defineModule, type Change, folderEntries } from "../../engine/core/module.js";
import { InputError, ModuleError } from "../../engine/core/errors.js";
import {
  TIME_SCHEMAS,
  parseTimes,
  timeChanges,
  timeSpecs,
  timesPlan,
  timesScript,
  wantsTimes,
  type TimeArgs,
  type TimesOp,
  type TimesState,
} from "../../engine/core/filetimes.js";
import { shq } from "../../engine/core/shell.js";
import {
  FS_ATTR_SCHEMAS,
  UNSAFE_WRITES_SCHEMA,
  GROUP_SCHEMA,
  MODE_SCHEMA,
  OWNER_SCHEMA,
  attrChanges,
  attrCommands,
  attrExplain,
  attrOps,
  createAttrs,
  idMatches,
  newAttrOps,
  parseMode,
  parseFileStat,
  runAll,
  shPath,
  fileProbeScript,
  targetMode,
  validateFsAttrs,
  wantsFsAttrs,
  withFsNote,
  type AttrArgs,
  type AttrOp,
  type FileStat,
} from "./common.js";

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
  | { op: "link"; target: string; replace: "none" | "rm" | "rmdir" };

export interface FileArgs extends AttrArgs, TimeArgs {
  path?: string;
  dest?: string;
  name?: string;
  state?: "file" | "directory" | "link" | "absent" | "touch";
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
}

export default defineModule<FileArgs, FileState, FileOp>({
  name: "files.file",
  aliases: ["file"],
  description: "Ensure a path is a file, a directory, a symlink or absent, with the given mode, owner and group (recursively for directories with recurse).",
  args: {
    type: "object",
    additionalProperties: false,
    properties: {
      path: { type: "string", minLength: 1, description: "Path to manage on the host." },
      dest: { type: "string", minLength: 1, description: "Alias of path." },
      name: { type: "string", minLength: 1, description: "Alias of path." },
      state: {
        type: "string",
        enum: ["file", "directory", "link", "absent", "touch"],
        description:
          "file: an existing file (never created; use touch or files.copy); directory: created with parents if missing; link: a symlink to src; absent: removed (directories recursively); touch: created empty if missing; its times are set to now (a change on every run, as Ansible) unless modification_time and access_time say preserve. Default: the path's current kind, or file (directory with recurse).",
      },
      mode: MODE_SCHEMA,
      owner: OWNER_SCHEMA,
      group: GROUP_SCHEMA,
      ...FS_ATTR_SCHEMAS,
      unsafe_writes: UNSAFE_WRITES_SCHEMA,
      ...TIME_SCHEMAS,
      recurse: {
        type: "boolean",
        default: false,
        description: "With state=directory: apply mode, owner and group to everything below the directory too. Default false.",
      },
      src: { type: "string", minLength: 1, description: "state=link: the link's target (relative targets are relative to the link's directory)." },
      force: {
        type: "boolean",
        default: false,
        description: "state=link: replace an existing file or empty directory with the link, and allow a link to a target that does not exist. Default false.",
      },
      follow: {
        type: "boolean",
        default: true,
        description:
          "When the path is a symlink, apply mode, owner and group to what it points to (state=link: to src), as Ansible does. false: state=file and state=directory refuse a symlink, and owner/group apply to the link itself. Default true.",
      },
    },
    anyOf: [{ required: ["path"] }, { required: ["dest"] }, { required: ["name"] }],
  },
  resource: (a) => `file ${pathOf(a)}`,
  // a link's probe also reads its target (relative to the link's folder)
  footprint: (a) => {
    const path = pathOf(a);
    const src = a.src === undefined ? [] : [`file:${a.src.startsWith("/") ? a.src : `${path.replace(/\/[^/]*$/, "")}/${a.src}`}`];
    // state: directory creates the missing parents (and the probe checks them)
    return {
      reads: [`file:${path}`, ...folderEntries(path), ...src, "accounts"],
      writes: [`file:${path}`, ...(a.state === "directory" ? folderEntries(path) : [])],
    };
  },

  validate: check,

  probe(args) {
    const path = pathOf(args);
    const tree = args.recurse === true && (args.mode !== undefined || args.owner !== undefined || args.group !== undefined);
    let script = fileProbeScript(path, { tree, fs: args });
    if (args.state !== "absent" && args.state !== "link" && wantsTimes(args)) script += timesScript(args) + "\n";
    if (args.state === "directory" || args.recurse === true) {
      // The nearest existing ancestor: every directory below it is created by this task and gets
      // its mode, owner and group, as Ansible's file module does for each directory it creates.
      script +=
        [
          `_ka=${shq(path)}`,
          `while [ "$_ka" != / ] && [ "$_ka" != . ] && [ ! -e "$_ka" ] && [ ! -L "$_ka" ]; do _ka=$(dirname -- "$_ka"); done`,
          snip.begin("anc"),
          snip.field("path", '"$_ka"'),
        ].join("\n") + "\n";
    }
    if (args.state === "link") {
      // Whether the link target exists, seen from the link's directory as the kernel will resolve it.
      script +=
        [`if ( cd "$_kd" 2>/dev/null && [ -e ${shq(args.src!)} ] ); then _kx=1; else _kx=0; fi`, snip.begin("linksrc"), snip.field("exists", '"$_kx"')].join(
          "\n",
        ) + "\n";
      if (follows(args) && hasAttrs(args)) {
        // follow: mode, owner and group apply to what the link points to once it is in place.
        script += `case ${shq(args.src!)} in /*) _kt=${shq(args.src!)} ;; *) _kt="$_kd"/${shq(args.src!)} ;; esac\n`;
        script += snip.stat("srcstat", { sh: '"$_kt"' }, { follow: true }) + "\n";
      }
    }
    return {
      script,
      parse(stdout) {
        const st: FileState = parseFileStat(stdout, path);
        const anc = findRec(parseRecords(stdout), "anc")?.get("path");
        if (anc !== undefined) st.ancestor = anc;
        if (args.state === "link") st.srcExists = findRec(parseRecords(stdout), "linksrc")?.get("exists") === "1";
        const times = parseTimes(parseRecords(stdout));
        if (times) st.times = times;
        const src = statOf(parseRecords(stdout), "srcstat");
        if (src) {
          st.srcStat = { path: args.src!, type: src.type === "file" || src.type === "directory" ? src.type : "other", parentExists: true };
          Object.assign(st.srcStat, { mode: src.mode, uid: src.uid, gid: src.gid, owner: src.owner, group: src.group });
        }
        return st;
      },
    };
  },

  diff(st, args) {
    const path = pathOf(args);
    const want = wantedState(st, args);
    const kindNow = st.link !== undefined ? "link" : st.type;
    // No state on a symlink with follow: false is Ansible's state=link without src: the link's own attributes.
    if (args.state === undefined && st.link !== undefined && !follows(args)) return linkOwnChanges(st, args, path);
    switch (want) {
      case "absent":
        if (st.link === undefined && st.type === "absent") return [];
        return [
          {
            summary: `${kindNow === "directory" ? "directory" : kindNow} ${path} present → absent`,
            field: "state",
            before: kindNow,
            after: "absent",
            data: { op: "remove" },
          },
        ];
      case "file":
        if (st.type === "absent") {
          throw new ModuleError(
            `file ${path} is absent, cannot continue: state: file never creates files (use state: touch, or files.copy to give it content)`,
          );
        }
        if (st.link !== undefined && !follows(args))
          throw new ModuleError(`file (${path}) is link, cannot continue (follow: false; set follow: true to manage its target)`);
        if (st.type === "directory") throw new ModuleError(`${path} is a directory, not a file (use state: directory)`);
        return [...attrChanges(st, args, ""), ...timeChanges(st.times, args)];
      case "touch":
        if (st.link !== undefined && !follows(args)) return linkOwnChanges(st, args, path);
        if (st.type === "absent") return [missing("file", path, st, args)];
        return [...attrChanges(st, args, ""), ...timeChanges(st.times, args)];
      case "directory":
        if (st.link !== undefined && !follows(args))
          throw new ModuleError(`${path} already exists as a link (follow: false; set follow: true to manage its target)`);
        if (st.type === "absent") return [missing("directory", path, st, args)];
        if (st.type !== "directory")
          throw new ModuleError(`${path} exists but is not a directory (it is a ${kindNow}); remove it first or choose another path`);
        return [...recursive(attrChanges(st, args, ""), args), ...treeChanges(st, args, path), ...timeChanges(st.times, args)];
      case "link":
        return linkChanges(st, args, path);
    }
  },

  explain: withFsNote((st, args) => {
    const path = pathOf(args);
    const want = wantedState(st, args);
    if (want === "absent") return `${path} is absent`;
    if (want === "link") {
      const attrs = attrLink(st, args);
      return `${path} links to ${st.link}${attrs.length ? ` (${attrs.join(", ")} match)` : ""}`;
    }
    const attrs = attrExplain(st, args);
    if (args.recurse && want === "directory" && st.tree) attrs.push(`the same below it (${st.tree.reduce((n, g) => n + g.count, 0)} entries)`);
    return `${want === "directory" ? "directory" : "file"} ${path} exists${attrs.length ? `; ${attrs.join(", ")} match` : ""}`;
  }),

  async apply(host, args, changes, st) {
    const path = pathOf(args);
    const plan = changes.flatMap((c) => (c.data ? [c.data] : []));
    const ops = attrOps(changes);
    if (plan.some((p) => p.op === "remove")) {
      await host.run(`rm -rf ${shPath(path)}`);
      return;
    }
    for (const p of plan) {
      // Create, then set exactly the attributes the task names, on every directory created (the
      // missing parents first, top down, then the path), as Ansible does.
      if (p.op === "mkdir") {
        const ops = (d: string) => [...newAttrOps(args, true, { fs: st.fs }), ...(d === p.create[p.create.length - 1] && p.times ? [p.times] : [])];
        await runAll(host, [`mkdir -p ${shPath(path)}`, ...p.create.flatMap((d) => attrCommands(d, ops(d), { isDir: true }))]);
        return;
      }
      if (p.op === "touch") {
        const ops = [...newAttrOps(args, false, { fs: st.fs }), ...(p.times ? [p.times] : [])];
        await runAll(host, [`touch ${shPath(path)}`, ...attrCommands(path, ops, { isDir: false })]);
        return;
      }
    }
    const link = plan.find((p) => p.op === "link");
    const want = wantedState(st, args);
    // A symlink's own owner and group (follow: false): chown -h.
    if (st.link !== undefined && !follows(args) && (want === "touch" || args.state === undefined)) {
      await runAll(host, attrCommands(path, ops, { noDeref: true }));
      return;
    }
    if (want === "link") {
      const cmds: string[] = [];
      if (link) {
        if (link.replace === "rmdir") cmds.push(`rmdir ${shPath(path)}`);
        else if (link.replace === "rm") cmds.push(`rm -f ${shPath(path)}`);
        cmds.push(`ln -s ${shq(link.target)} ${shPath(path)}`);
      }
      // follow: chown and chmod go through the link to its target; else chown -h on the link itself.
      const follow = follows(args);
      cmds.push(...attrCommands(path, ops, { noDeref: !follow, isDir: follow && st.srcStat?.type === "directory" }));
      await runAll(host, cmds);
      return;
    }
    const recurse = args.recurse === true && want === "directory";
    await runAll(host, attrCommands(path, ops, { recurse, isDir: st.type === "directory" }));
  },
});

function pathOf(a: FileArgs): string {
  return (a.path ?? a.dest ?? a.name)!;
}

function check(a: FileArgs): void {
  validateFsAttrs(a);
  // the times parse (and refuse a format keel cannot read) before any host is touched
  if ((a.state === "link" || a.recurse) && (a.modification_time ?? "preserve") + (a.access_time ?? "preserve") !== "preservepreserve")
    throw new InputError(
      `modification_time and access_time are not supported with ${a.state === "link" ? "state: link" : "recurse"} in keel`,
      undefined,
      "set them in a task of their own on the path",
    );
  timeSpecs(a);
  if (wantsFsAttrs(a) && (a.state === "link" || a.recurse))
    throw new InputError(
      `attributes and SELinux arguments are not supported with ${a.state === "link" ? "state: link" : "recurse"} in keel`,
      undefined,
      "set them in a task of their own on the link's target, or on each path",
    );
  if (a.mode !== undefined) parseMode(a.mode);
  if (a.state === "link" && a.src === undefined)
    throw new InputError("state: link needs src (the link's target)", undefined, "add src: /path/the/link/points/to");
  if (a.src !== undefined && a.state !== "link")
    throw new InputError("src is only used with state: link", undefined, "add state: link, or use files.copy to copy a file");
  if (a.recurse && a.state !== undefined && a.state !== "directory") throw new InputError("recurse needs state: directory", undefined, "set state: directory");
}

function wantedState(st: FileStat, a: FileArgs): NonNullable<FileArgs["state"]> {
  if (a.state) return a.state;
  if (a.recurse || st.type === "directory") return "directory";
  return "file";
}

function missing(kind: "file" | "directory", path: string, st: FileState, a: FileArgs): Change<FileOp> {
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
function modeExpr(mode: string | number): string {
  const spec = parseMode(mode);
  return "octal" in spec ? normMode(spec.octal) : spec.symbolic;
}

/** recurse: chmod -R takes the task's mode expression, so X and relative forms apply per entry. */
function recursive(changes: Change<AttrOp>[], a: FileArgs): Change<FileOp>[] {
  if (!a.recurse || a.mode === undefined) return changes;
  const spec = modeExpr(a.mode);
  return changes.map((c) => (c.data?.op === "mode" ? { ...c, data: { op: "tree_mode", spec } } : c));
}

/** recurse: entries below the directory (the directory itself is covered by attrChanges) that differ. */
function treeChanges(st: FileStat, a: FileArgs, path: string): Change<FileOp>[] {
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

function attrLink(st: FileState, a: FileArgs): string[] {
  const out: string[] = [];
  if (follows(a)) return st.srcStat ? attrExplain(st.srcStat, a).map((x) => `target ${x}`) : [];
  if (a.owner !== undefined) out.push(`owner ${st.linkOwner?.owner}`);
  if (a.group !== undefined) out.push(`group ${st.linkOwner?.group}`);
  return out;
}

function linkChanges(st: FileState, a: FileArgs, path: string): Change<FileOp>[] {
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
    if (out.length) return [...out, ...linkOwnChanges({ ...st, linkOwner: undefined }, a, path)];
    return linkOwnChanges(st, a, path);
  }
  // follow (Ansible's default): mode, owner and group apply to what src resolves to; a dangling
  // target has none to set (Ansible warns and skips them).
  if (st.srcStat && st.srcStat.type !== "absent") out.push(...attrChanges(st.srcStat, a, `target ${src}: `));
  return out;
}

/** The link's own owner and group (follow: false). Linux symlinks have no mode of their own. */
function linkOwnChanges(st: FileState, a: FileArgs, path: string): Change<FileOp>[] {
  if (a.mode !== undefined) {
    throw new ModuleError(
      `${path} is a symlink and follow is false: a symlink has no mode of its own on Linux (Ansible reports a change on every run and changes nothing); remove mode, or set follow: true to set the mode of the link's target`,
    );
  }
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

function follows(a: FileArgs): boolean {
  return a.follow !== false;
}

function hasAttrs(a: FileArgs): boolean {
  return a.mode !== undefined || a.owner !== undefined || a.group !== undefined;
}
