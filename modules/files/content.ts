// What files.copy and files.template share: a whole file's content, compared by sha256 on the host.
// The probe sends the file's bytes back only when its hash differs and it is small text (for --diff);
// apply uploads only when the content differs, and fixes mode/owner/group alone with chmod/chown.
import type { Change, ApplyResult, Host, Probe } from "../../engine/core/module.js";
import { MissingDirError, ModuleError } from "../../engine/core/errors.js";
import { shq } from "../../engine/core/shell.js";
import {
  attrChanges,
  attrCommands,
  attrExplain,
  attrOps,
  createAttrs,
  newFsOps,
  withFsNote,
  decodeUtf8,
  parseMode,
  parseFileStat,
  runAll,
  sha256hex,
  shortSha,
  fileProbeScript,
  parentOf,
  type AttrArgs,
  type AttrOp,
  type FileStat,
  writeWhole,
} from "./common.js";

/** The plan of copy/template: upload the whole content (creating the file and, with parents, its folder), or fix attributes. */
export type ContentOp = { op: "write"; mkdir?: string } | AttrOp;

export interface ContentArgs extends AttrArgs {
  dest: string;
  /** The bytes to write: text, or base64 when content_encoding is base64. */
  content?: string;
  content_encoding?: "utf8" | "base64";
  /** The controller file the content came from (copy/template), for messages and `dest/` resolution. */
  src?: string;
  backup?: boolean;
  validate?: string;
  force?: boolean;
  follow?: boolean;
  /** Create missing parent directories (mode 0755) when the file is created. */
  parents?: boolean;
}

/** The bytes the task wants on the host. */
export function wantedBytes(a: ContentArgs): Buffer {
  if (a.content === undefined) throw new ModuleError(`no content for ${a.dest}: src was not read (prepare did not run)`);
  return a.content_encoding === "base64" ? Buffer.from(a.content, "base64") : Buffer.from(a.content, "utf8");
}

function basename(p: string): string {
  const parts = p.replace(/\/+$/, "").split("/");
  return parts[parts.length - 1]!;
}

export function contentProbe(a: ContentArgs): Probe<FileStat> {
  if (a.mode !== undefined) parseMode(a.mode);
  const want = sha256hex(wantedBytes(a));
  const steps: string[] = [];
  // Like Ansible: with src, a dest that is a directory (or ends in /) receives src's basename.
  if (a.src !== undefined) steps.push(`if [ -d "$_kp" ]; then _kp="\${_kp%/}"/'${basename(a.src).replace(/'/g, `'\\''`)}'; fi`);
  if (a.follow) steps.push(`if [ -L "$_kp" ]; then _kp=$(readlink -f "$_kp"); fi`);
  const script = fileProbeScript(a.dest, {
    sha256: true,
    content: { kind: "ifDiffers", sha256: want },
    resolve: steps.join("\n") || undefined,
    fs: a,
  });
  return { script, parse: (stdout) => parseFileStat(stdout, a.dest) };
}

export function contentDiff(st: FileStat, a: ContentArgs, what: string): Change<ContentOp>[] {
  const path = st.path;
  const bytes = wantedBytes(a);
  const wantSha = sha256hex(bytes);
  const wantText = decodeUtf8(bytes);
  if (st.type === "directory") throw new ModuleError(`${path} is a directory; ${what} needs a file path in dest`);
  if (st.type === "other") throw new ModuleError(`${path} is not a regular file`);
  if (st.type === "absent") {
    if (!st.parentExists && !a.parents)
      throw new MissingDirError(
        `destination directory of ${path} does not exist (create it with files.file state: directory, or set parents: true)`,
        parentOf(path),
      );
    const attrs = createAttrs(a, false, st.fs);
    return [
      {
        summary: `file ${path} missing (will create${st.parentExists ? "" : " it and its directory"}${attrs.length ? ` with ${attrs.join(", ")}` : ""}, sha256 ${shortSha(wantSha)})`,
        field: "state",
        before: "absent",
        after: "file",
        data: { op: "write", ...(!st.parentExists && a.parents ? { mkdir: path.slice(0, path.lastIndexOf("/")) || "/" } : {}) },
        ...(wantText !== undefined ? { diff: { path, before: "", after: wantText } } : {}),
      },
    ];
  }
  if (st.unreadable || st.sha256 === undefined) throw new ModuleError(`cannot read ${path} to compare its content (permission denied? try become: true)`);
  const out: Change<ContentOp>[] = [];
  if (st.sha256 !== wantSha && a.force !== false) {
    out.push({
      summary: `content differs (sha256 ${shortSha(st.sha256)} → ${shortSha(wantSha)})`,
      field: "content",
      before: st.sha256,
      after: wantSha,
      data: { op: "write" },
      ...(st.content !== undefined && wantText !== undefined ? { diff: { path, before: st.content, after: wantText } } : {}),
    });
  }
  out.push(...attrChanges(st, a, ""));
  return out;
}

export const contentExplain = withFsNote((st: FileStat, a: ContentArgs): string => {
  const attrs = attrExplain(st, a);
  if (a.force === false && st.sha256 !== sha256hex(wantedBytes(a))) {
    return `${st.path} exists and force: false leaves its content alone${attrs.length ? `; ${attrs.join(", ")} match` : ""}`;
  }
  return `${st.path}: content${attrs.length ? `, ${attrs.join(", ")}` : ""} match`;
});

export async function contentApply(host: Host, a: ContentArgs, changes: readonly Change<ContentOp>[], st: FileStat): Promise<ApplyResult | void> {
  const write = changes.map((c) => c.data).find((d) => d?.op === "write");
  if (write) {
    if (write.mkdir !== undefined) await host.run(`mkdir -p -m 0755 -- ${shq(write.mkdir)}`);
    const res = await writeWhole(host, st, a, wantedBytes(a));
    // a new inode: the task's SELinux parts and attributes are set on it again
    await runAll(host, attrCommands(st.path, newFsOps(st.fs, a)));
    return res;
  }
  await runAll(host, attrCommands(st.path, attrOps(changes)));
}
