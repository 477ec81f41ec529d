// Ansible's add_path_info (module_utils/basic.py): the fields every module whose result names a
// `path` or `dest` gets when that path exists: uid, gid, owner, group, mode, state and size, read
// with lstat (a symlink is "link" with its own mode and owner), "hard" for a file with more than one
// link. keel builds them from the probed state (no change, check mode: the path as it is, as in
// Ansible) or, after apply, from one `stat -c` of the path.
import type { Host } from "../../engine/core/module.js";
import { shq } from "../../engine/core/shell.js";
import type { FileStat } from "./common.js";

export interface PathInfo {
  uid: number;
  gid: number;
  owner: string;
  group: string;
  mode: string;
  state: "file" | "directory" | "link" | "hard";
  size: number;
}

/** `stat -c` of the path itself (lstat, as Ansible's); the type name, which may hold spaces, last. */
export function pathInfoCommand(path: string, follow = false): string {
  return `stat ${follow ? "-L " : ""}-c '%u %g %U %G %a %h %s %F' -- ${shq(path)}`;
}

/** pathInfoCommand's output → the fields; undefined when the path does not exist (no output). */
export function parsePathInfo(out: string): PathInfo | undefined {
  const m = /^(\d+) (\d+) (\S+) (\S+) ([0-7]+) (\d+) (\d+) (.+)$/.exec(out.trim());
  if (!m) return undefined;
  const kind = m[8]!;
  // stat prints UNKNOWN for an id without a name; Python's add_path_info gives the number
  const owner = m[3] === "UNKNOWN" ? m[1]! : m[3]!;
  const group = m[4] === "UNKNOWN" ? m[2]! : m[4]!;
  const state = kind === "symbolic link" ? "link" : kind === "directory" ? "directory" : Number(m[6]) > 1 ? "hard" : "file";
  return { uid: Number(m[1]), gid: Number(m[2]), owner, group, mode: m[5]!.padStart(4, "0"), state, size: Number(m[7]) };
}

/**
 * The fields from a probed FileStat: the path as it is. A symlink (not followed) is Ansible's
 * lstat of the link: mode 0777, its own owner, its target's length as size.
 */
export function statPathInfo(st: FileStat, follow = true): PathInfo | undefined {
  if (st.link !== undefined && (!follow || st.type === "absent")) {
    const o = st.linkOwner;
    if (!o) return undefined;
    return { uid: o.uid, gid: o.gid, owner: o.owner, group: o.group, mode: "0777", state: "link", size: Buffer.byteLength(st.link) };
  }
  if (st.type === "absent" || st.uid === undefined || st.gid === undefined || st.mode === undefined) return undefined;
  return {
    uid: st.uid,
    gid: st.gid,
    owner: st.owner ?? String(st.uid),
    group: st.group ?? String(st.gid),
    mode: st.mode,
    state: st.type === "directory" ? "directory" : "file",
    size: st.size ?? 0,
  };
}

/** After apply: the path's fields as they are now ({} when it is gone). One round trip. */
export async function readPathInfo(host: Host, path: string, follow = false): Promise<Partial<PathInfo>> {
  const r = await host.run(`${pathInfoCommand(path, follow)} 2>/dev/null || true`, { check: false });
  return parsePathInfo(r.stdout) ?? {};
}

/** What files.file's result is built from: the wanted state, and the link's target for state=link. */
export interface FileResultArgs {
  path?: string;
  dest?: string;
  name?: string;
  state?: string;
  src?: string;
  follow?: boolean;
}

/**
 * ansible.builtin.file's result keys (file.py's ensure_* return values, then add_path_info): `dest`
 * for touch and link (with link's `src`), else `path`; `state: absent` for absent; then the path's
 * fields when it exists (`info`: the probed path in check mode or with nothing to change, the path
 * after apply otherwise). Pure.
 */
export function fileResult(a: FileResultArgs, wanted: string, info: Partial<PathInfo> | undefined): Record<string, unknown> {
  const path = (a.path ?? a.dest ?? a.name)!;
  const out: Record<string, unknown> = wanted === "touch" || wanted === "link" || wanted === "hard" ? { dest: path } : { path };
  if ((wanted === "link" || wanted === "hard") && a.src !== undefined) out.src = a.src;
  if (wanted === "absent") out.state = "absent";
  return { ...out, ...(info ?? {}) };
}
