// files.copy of a controller folder (copy-walk.ts walks it): one probe for the whole tree, a pure
// diff with a typed change per path, and apply, deciding as ansible-core 2.14's copy action does:
// - each file as a single copy: written when missing or (force: true) when its content differs, with
//   mode/owner/group; a file whose content matches gets mode/owner/group (the file module's job in
//   Ansible); force: false leaves an existing file entirely alone, attributes too;
// - each sub-folder as the file module's state=directory: created when missing, and directory_mode
//   (never mode), owner and group set on it; the top folder (dest, and dest/dir for `src: dir`) and
//   dest's missing parents are only created, with directory_mode, owner and group, when an entry
//   needs them (Ansible's copy module creates a file's missing parents so). An empty tree does nothing;
// - each link (local_follow: false, dangling, or a loop) as the file module's state=link, force=yes,
//   with owner/group on the link itself. mode is not applied to links (Ansible's chmod of a link
//   changes nothing on Linux and reports a change on every run).
// The probe is the shared file probe per path in one script, each section headed by `@kcopy N`, so
// the probe batch prefetches every path's lstat and sha256 at once: one round trip for the tree.
import type { ApplyResult, Change, Host, Probe } from "../../engine/core/module.js";
import { ModuleError } from "../../engine/core/errors.js";
import { shq } from "../../engine/core/shell.js";
import { snip } from "../../engine/core/snippets.js";
import {
  attrChanges,
  attrCommands,
  createAttrs,
  fileProbeScript,
  idMatches,
  newFsOps,
  parseFileStat,
  parseMode,
  runAll,
  sha256hex,
  shortSha,
  writeWhole,
  decodeUtf8,
  type AttrArgs,
  type AttrOp,
  type FileStat,
} from "./common.js";
import type { CopyTree } from "./copy-walk.js";
import { mkdirsScript, type ContentArgs, type ContentState } from "./content.js";
import { contentApplied, contentResult } from "./content-result.js";

/** The tree's probed paths, each list in the tree's order. */
export interface TreeState {
  kind: "tree";
  /** dest itself, then dest/dir for `src: dir`. */
  tops: FileStat[];
  dirs: FileStat[];
  files: FileStat[];
  links: FileStat[];
}

/** One change's plan: create a folder (and its missing parents), write file N, set an attribute, make link N. */
export type TreeOp =
  | { op: "mkdir"; path: string }
  | { op: "write"; file: number }
  | { op: "attr"; path: string; attr: AttrOp; isDir: boolean }
  | { op: "link"; link: number }
  | { op: "link_attr"; path: string; attr: AttrOp };

export type TreeArgs = ContentArgs & { tree: CopyTree };

/** The host path of an entry. */
export function treePath(t: CopyTree, rel: string): string {
  return t.root === "/" ? `/${rel}` : `${t.root}/${rel}`;
}

function topPaths(t: CopyTree): string[] {
  return t.top !== undefined ? [t.root, treePath(t, t.top)] : [t.root];
}

function fileBytes(f: CopyTree["files"][number]): Buffer {
  return f.encoding === "base64" ? Buffer.from(f.content, "base64") : Buffer.from(f.content, "utf8");
}

/** Ansible follows a symlinked dest file only when the folder has no sub-folders. */
const followsFiles = (a: TreeArgs) => a.follow === true && a.tree.dirs.length === 0;

export function treeProbe(a: TreeArgs): Probe<TreeState> {
  const t = a.tree;
  if (a.mode !== undefined) parseMode(a.mode);
  const force = a.force !== false;
  const sections: string[] = [];
  const add = (script: string) => sections.push(`${snip.begin("kcopy", String(sections.length))}\n${script}`);
  for (const p of topPaths(t)) add(fileProbeScript(p));
  for (const d of t.dirs) add(fileProbeScript(treePath(t, d), { fs: a }));
  for (const f of t.files)
    add(
      fileProbeScript(treePath(t, f.rel), {
        ...(force ? { sha256: true, content: { kind: "ifDiffers" as const, sha256: sha256hex(fileBytes(f)) } } : {}),
        ...(followsFiles(a) ? { resolve: `if [ -L "$_kp" ]; then _kp=$(readlink -f "$_kp"); fi` } : {}),
        fs: a,
      }),
    );
  for (const l of t.links) add(fileProbeScript(treePath(t, l.rel)));
  return {
    script: sections.join(""),
    parse: (stdout) => {
      const parts = stdout.split(/^@kcopy [0-9]+\n/m).slice(1);
      const tops = topPaths(t);
      const want = [...tops, ...t.dirs.map((d) => treePath(t, d)), ...t.files.map((f) => treePath(t, f.rel)), ...t.links.map((l) => treePath(t, l.rel))];
      if (parts.length !== want.length) throw new ModuleError(`cannot examine ${t.root}: the probe answered for ${parts.length} of ${want.length} paths`);
      const st = parts.map((out, i) => parseFileStat(out, want[i]!));
      let i = 0;
      const take = (n: number) => st.slice(i, (i += n));
      return { kind: "tree", tops: take(tops.length), dirs: take(t.dirs.length), files: take(t.files.length), links: take(t.links.length) };
    },
  };
}

/** The attributes a folder of the copy gets: directory_mode (never mode), owner, group, fs attributes. */
function dirArgs(a: TreeArgs): AttrArgs {
  const { mode: _mode, directory_mode, ...rest } = a;
  return { ...rest, ...(directory_mode !== undefined ? { mode: directory_mode } : {}) };
}

/** A folder to create; `top` for dest itself, whose missing parents are created with it. */
function mkdirChange(st: FileStat, a: TreeArgs, top = false): Change<TreeOp> {
  const attrs = createAttrs(dirArgs(a), true, st.fs);
  return {
    summary: `directory ${st.path} missing (will create${top && !st.parentExists ? " it and its missing parents" : ""}${attrs.length ? ` with ${attrs.join(", ")}` : ""})`,
    field: "state",
    before: "absent",
    after: "directory",
    data: { op: "mkdir", path: st.path },
  };
}

function attrsOf(st: FileStat, a: AttrArgs, isDir: boolean): Change<TreeOp>[] {
  return attrChanges(st, a, `${st.path}: `).map((c) => ({ ...c, data: { op: "attr", path: st.path, attr: c.data!, isDir } }));
}

/** Pure: what the tree needs, path by path (tops, folders, files, links). [] when converged. */
export function treeDiff(st: TreeState, a: TreeArgs): Change<TreeOp>[] {
  const t = a.tree;
  const out: Change<TreeOp>[] = [];
  if (!t.files.length && !t.dirs.length && !t.links.length) return out;
  for (const s of st.tops) {
    if (s.type === "absent") out.push(mkdirChange(s, a, s === st.tops[0]));
    else if (s.type !== "directory") throw new ModuleError(`${s.path} exists and is not a directory; copying the folder ${t.src} needs a directory there`);
  }
  const da = dirArgs(a);
  for (const s of st.dirs) {
    if (s.type === "absent") out.push(mkdirChange(s, a));
    else if (s.type === "directory") out.push(...attrsOf(s, da, true));
    else throw new ModuleError(`there is a non-directory at ${s.path}, where the folder ${t.src} has a folder`);
  }
  st.files.forEach((s, i) => {
    const f = t.files[i]!;
    const bytes = fileBytes(f);
    const text = decodeUtf8(bytes);
    const want = sha256hex(bytes);
    if (s.type === "absent") {
      const attrs = createAttrs(a, false, s.fs);
      out.push({
        summary: `file ${s.path} missing (will create${attrs.length ? ` with ${attrs.join(", ")}` : ""}, sha256 ${shortSha(want)})`,
        field: "state",
        before: "absent",
        after: "file",
        data: { op: "write", file: i },
        ...(text !== undefined ? { diff: { path: s.path, before: "", after: text } } : {}),
      });
      return;
    }
    if (a.force === false) return;
    if (s.type === "directory") throw new ModuleError(`${s.path} is a directory, where the folder ${t.src} has the file ${f.rel}`);
    if (s.type === "other") throw new ModuleError(`${s.path} is not a regular file`);
    if (s.unreadable || s.sha256 === undefined) throw new ModuleError(`cannot read ${s.path} to compare its content (permission denied? try become: true)`);
    if (s.sha256 !== want)
      out.push({
        summary: `${s.path}: content differs (sha256 ${shortSha(s.sha256)} → ${shortSha(want)})`,
        field: "content",
        before: s.sha256,
        after: want,
        data: { op: "write", file: i },
        ...(s.content !== undefined && text !== undefined ? { diff: { path: s.path, before: s.content, after: text } } : {}),
      });
    out.push(...attrsOf(s, a, false));
  });
  st.links.forEach((s, i) => {
    const l = t.links[i]!;
    if (s.link !== l.target) {
      if (s.link === undefined && s.type === "directory") throw new ModuleError(`${s.path} is a directory, where the folder ${t.src} has a symlink`);
      out.push({
        summary: `link ${s.path} ${s.link !== undefined ? `points to ${s.link}` : s.type === "absent" ? "missing" : `is a ${s.type}`} (will link to ${l.target})`,
        field: "src",
        before: s.link ?? s.type,
        after: l.target,
        data: { op: "link", link: i },
      });
      return;
    }
    const o = s.linkOwner;
    if (a.owner !== undefined && !idMatches(a.owner, o?.owner, o?.uid))
      out.push({
        summary: `${s.path}: owner ${o?.owner} → ${a.owner}`,
        field: "owner",
        before: o?.owner,
        after: a.owner,
        data: { op: "link_attr", path: s.path, attr: { op: "owner", owner: a.owner } },
      });
    if (a.group !== undefined && !idMatches(a.group, o?.group, o?.gid))
      out.push({
        summary: `${s.path}: group ${o?.group} → ${a.group}`,
        field: "group",
        before: o?.group,
        after: a.group,
        data: { op: "link_attr", path: s.path, attr: { op: "group", group: a.group } },
      });
  });
  return out;
}

export function treeExplain(st: TreeState, a: TreeArgs): string {
  const t = a.tree;
  if (!t.files.length && !t.dirs.length && !t.links.length) return `${t.src} is an empty folder: nothing to copy`;
  const n = (k: number, w: string) => `${k} ${w}${k === 1 ? "" : "s"}`;
  const kept = a.force === false ? st.files.filter((s) => s.type !== "absent").length : 0;
  return `${t.root}: ${n(t.files.length, "file")}, ${n(t.dirs.length, "folder")}${t.links.length ? `, ${n(t.links.length, "link")}` : ""} match${kept ? ` (force: false leaves ${n(kept, "existing file")} alone)` : ""}`;
}

/** The single file a one-file folder copies, as a single copy's args and state (for its result). */
function single(st: TreeState, a: TreeArgs): { st: ContentState; a: ContentArgs } | undefined {
  const t = a.tree;
  if (t.files.length !== 1 || t.dirs.length || t.links.length) return undefined;
  const s = st.files[0]!;
  if (a.force === false && s.type !== "absent") return undefined;
  const f = t.files[0]!;
  const { tree: _t, ...rest } = a;
  return { st: s, a: { ...rest, dest: s.path, content: f.content, content_encoding: f.encoding ?? "utf8" } };
}

/**
 * The registered result, as Ansible's copy action: a folder with one file (and nothing else)
 * registers that file's copy result; otherwise dest (with its trailing /), src (the controller
 * folder) and changed. Pure.
 */
export function treeResult(st: TreeState, a: TreeArgs): Record<string, unknown> {
  const one = single(st, a);
  if (one) return contentResult(one.st, one.a);
  return { dest: a.dest.endsWith("/") ? a.dest : `${a.dest}/`, src: a.tree.src };
}

export async function treeApply(host: Host, a: TreeArgs, changes: readonly Change<TreeOp>[], st: TreeState): Promise<ApplyResult> {
  const t = a.tree;
  const ops = changes.map((c) => c.data!).filter((d) => d !== undefined);
  // folders first, parents before children (a path sorts before the paths below it)
  const mkdirs = ops.flatMap((d) => (d.op === "mkdir" ? [d.path] : [])).sort();
  if (mkdirs.length) await host.run(mkdirs.map((d) => mkdirsScript(d, a)).join(" &&\n"));
  const after: string[] = [];
  let res: ApplyResult | void = undefined;
  for (const d of ops) {
    if (d.op !== "write") continue;
    const s = st.files[d.file]!;
    res = await writeWhole(host, s, a, fileBytes(t.files[d.file]!));
    after.push(...attrCommands(s.path, newFsOps(s.fs, a)));
  }
  const written = new Set(ops.flatMap((d) => (d.op === "write" ? [st.files[d.file]!.path] : [])));
  const byPath = new Map<string, { ops: AttrOp[]; isDir: boolean; link: boolean }>();
  for (const d of ops) {
    if (d.op === "attr" || d.op === "link_attr") {
      if (written.has(d.path)) continue;
      const e = byPath.get(d.path) ?? { ops: [], isDir: d.op === "attr" && d.isDir, link: d.op === "link_attr" };
      e.ops.push(d.attr);
      byPath.set(d.path, e);
    } else if (d.op === "link") {
      const l = t.links[d.link]!;
      const p = st.links[d.link]!.path;
      after.push(`ln -sfn -- ${shq(l.target)} ${shq(p)}`);
      const own = [
        ...(a.owner !== undefined ? [{ op: "owner" as const, owner: a.owner }] : []),
        ...(a.group !== undefined ? [{ op: "group" as const, group: a.group }] : []),
      ];
      after.push(...attrCommands(p, own, { noDeref: true }));
    }
  }
  for (const [p, e] of byPath) after.push(...attrCommands(p, e.ops, { isDir: e.isDir, noDeref: e.link }));
  // the folders created get the task's attributes and SELinux parts last (chattr +i would stop the writes into them)
  const fsOf = new Map([...st.tops, ...st.dirs].map((s) => [s.path, s.fs]));
  for (const p of mkdirs) after.push(...attrCommands(p, newFsOps(fsOf.get(p), a), { isDir: true }));
  await runAll(host, after);
  const one = single(st, a);
  if (one) return contentApplied(host, one.st, one.a, res);
  return { data: treeResult(st, a) };
}
