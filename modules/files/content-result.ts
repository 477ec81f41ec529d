// The registered result of files.copy and files.template, with ansible.builtin.copy's keys (the
// template action hands its rendering to the copy action, so both have the same ones):
// - content already in place (attributes fixed or not): the file module's result that the copy
//   action returns then: dest, path, checksum (SHA1 of the content) and the path's fields;
// - content written: the copy module's: dest, md5sum, checksum, backup_file with backup, and the
//   path's fields after the write;
// - content that differs, in check mode: Ansible's action returns nothing but `changed`.
// `src` of a written file is Ansible's temporary upload on the host, removed when the task ends;
// keel uploads no such file, so it has no `src` (with remote_src: the host file copied, as Ansible).
import { createHash } from "node:crypto";
import type { ApplyResult, Host } from "../../engine/core/module.js";
import { sha256hex } from "./common.js";
import type { ContentArgs, ContentState } from "./content.js";
import { wantedBytes } from "./content.js";
import { readPathInfo, statPathInfo, type PathInfo } from "./pathinfo.js";

const hash = (algo: string, b: Buffer) => createHash(algo).update(b).digest("hex");

/** Whether the file already holds the wanted bytes (or is left alone: force: false on an existing file). */
function inPlace(st: ContentState, a: ContentArgs): boolean {
  if (st.type !== "file" || st.sha256 === undefined) return false;
  if (a.force === false) return true;
  return a.remote_src ? st.remoteSrc?.sha256 === st.sha256 : st.sha256 === sha256hex(wantedBytes(a));
}

/** The result before apply (the probed file): the in-place shape; {} when the content is still to be written. Pure. */
export function contentResult(st: ContentState, a: ContentArgs): Record<string, unknown> {
  if (!inPlace(st, a)) return {};
  const out: Record<string, unknown> = { dest: st.path, path: st.path };
  if (a.remote_src) out.src = a.src;
  else if (a.force !== false || st.sha256 === sha256hex(wantedBytes(a))) out.checksum = hash("sha1", wantedBytes(a));
  return { ...out, ...(statPathInfo(st) ?? {}) };
}

/** The result of a write (pure): the copy module's keys, given the path's fields read after it. */
export function writtenResult(st: ContentState, a: ContentArgs, info: Partial<PathInfo>, backup?: string): Record<string, unknown> {
  const out: Record<string, unknown> = { dest: st.path };
  if (a.remote_src) out.src = a.src;
  else {
    const bytes = wantedBytes(a);
    Object.assign(out, { md5sum: hash("md5", bytes), checksum: hash("sha1", bytes) });
  }
  if (backup !== undefined) out.backup_file = backup;
  return { ...out, ...info };
}

/** After contentApply: the result's keys, with one `stat` of the file as apply left it. */
export async function contentApplied(host: Host, st: ContentState, a: ContentArgs, res: ApplyResult | void): Promise<ApplyResult> {
  const info = await readPathInfo(host, st.path);
  const data = inPlace(st, a) ? { ...contentResult(st, a), ...info } : writtenResult(st, a, info, res?.backup_file);
  return { ...(res ?? {}), data: { ...(res?.data ?? {}), ...data } };
}
