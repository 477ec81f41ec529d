// files.file state: hard — Ansible's hard link (file.py ensure_hardlink): the path is another name
// of src's inode. Probe: the inode (device:inode) of src (followed, as os.path.exists/os.stat do) and
// of the path with its link count (lstat), in one @hard record. Diff, pure, Ansible's cases: a
// missing path is linked; a symlink whose target is not src is replaced; a file that is already
// src's inode is converged; another file (one name, or other hard links) is replaced only with
// force (else Ansible's "Cannot link, …"); a directory is never replaced. Apply links atomically as
// Ansible does: a new name next to the path, renamed over it. mode/owner/group apply to the inode.
import { snip } from "../../engine/core/snippets.js";
import { findRec, parseRecords } from "../../engine/core/record.js";
import { ModuleError } from "../../engine/core/errors.js";
import { shq } from "../../engine/core/shell.js";
import type { Change } from "../../engine/core/module.js";
import { attrChanges, shPath } from "./common.js";
import type { FileArgs, FileOp, FileState } from "./file-plan.js";

/** What the @hard record says: "dev:ino" of src (absent: src does not exist) and of the path, and the path's link count. */
export interface HardState {
  src?: string;
  path?: string;
  nlink?: number;
}

/** The probe lines that print the @hard record (the shared stat probe reads the rest). */
export function hardProbe(path: string, src: string): string {
  return [
    `_kh_s=$(stat -L -c '%d:%i' -- ${shq(src)} 2>/dev/null) || _kh_s=`,
    `_kh_p=$(stat -c '%d:%i:%h' -- ${shq(path)} 2>/dev/null) || _kh_p=`,
    snip.begin("hard"),
    snip.field("src", '"$_kh_s"'),
    snip.field("path", '"$_kh_p"'),
  ].join("\n");
}

export function parseHard(stdout: string): HardState | undefined {
  const r = findRec(parseRecords(stdout), "hard");
  if (!r) return undefined;
  const out: HardState = {};
  const s = r.get("src");
  if (s) out.src = s;
  const m = /^(\d+:\d+):(\d+)$/.exec(r.get("path") ?? "");
  if (m) {
    out.path = m[1]!;
    out.nlink = Number(m[2]);
  }
  return out;
}

/** True when the path already is src's inode. */
export function sameInode(st: FileState): boolean {
  return st.hard?.src !== undefined && st.hard.src === st.hard.path && st.link === undefined;
}

export function hardChanges(st: FileState, a: FileArgs, path: string): Change<FileOp>[] {
  const src = a.src!;
  if (st.hard?.src === undefined) throw new ModuleError(`src does not exist: ${src} (a hard link needs an existing file)`);
  const link = (before: string, summary: string, replace: boolean): Change<FileOp> => ({
    summary,
    field: "state",
    before,
    after: "hard",
    data: { op: "hardlink", src, replace },
  });
  const out: Change<FileOp>[] = [];
  if (st.link !== undefined) {
    // Ansible compares the symlink's own target with src: a symlink to src itself is left as it is
    if (st.link !== src) out.push(link("link", `link ${path} (→ ${st.link}) → hard link to ${src}`, true));
  } else if (st.type === "absent") {
    if (!st.parentExists) throw new ModuleError(`cannot create hard link ${path}: its directory does not exist`);
    out.push(link("absent", `hard link ${path} missing (→ ${src})`, false));
  } else if (st.type === "directory") {
    throw new ModuleError(`Cannot link: ${path} is a directory (a hard link cannot replace it; remove it first)`);
  } else if (!sameInode(st)) {
    const other = (st.hard?.nlink ?? 1) > 1;
    if (!a.force)
      throw new ModuleError(
        other
          ? `Cannot link, different hard link exists at destination (${path}; set force: true to replace it with a link to ${src})`
          : `Cannot link, file exists at destination (${path}; set force: true to replace it with a link to ${src})`,
      );
    out.push(link(other ? "hard" : "file", `${other ? "hard link" : "file"} ${path} → hard link to ${src}`, true));
  }
  // mode, owner and group of the inode (src's once linked), as Ansible sets them on the path
  if (st.srcStat) out.push(...attrChanges(st.srcStat, a, ""));
  return out;
}

/** The command of a hardlink op: ln, or (replacing) ln to a new name next to the path, then rename over it. */
export function hardlinkCommand(path: string, src: string, replace: boolean): string {
  if (!replace) return `ln -- ${shq(src)} ${shPath(path)}`;
  const dir = path.includes("/") ? path.slice(0, path.lastIndexOf("/")) : ".";
  const t = `_kh_t=${shq(`${dir}/.keel-hard.`)}$$`;
  return `${t}; ln -- ${shq(src)} "$_kh_t" && { mv -f -- "$_kh_t" ${shPath(path)} || { rm -f -- "$_kh_t"; exit 1; }; }`;
}
