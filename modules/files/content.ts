// What files.copy and files.template share: a whole file's content, compared by sha256 on the host.
// The probe sends the file's bytes back only when its hash differs and it is small text (for --diff);
// apply uploads only when the content differs, and fixes mode/owner/group alone with chmod/chown.
import type { Change, ApplyResult, Host, Probe } from "../../engine/core/module.js";
import { CommandError, MissingDirError, ModuleError } from "../../engine/core/errors.js";
import { shq } from "../../engine/core/shell.js";
import { findRec, parseRecords } from "../../engine/core/record.js";
import { normMode, snip } from "../../engine/core/snippets.js";
import { targetMode } from "../../engine/core/filemode.js";
import { atomicWriteScript, parseAtomicWriteOutput } from "../../engine/transport/atomic.js";
import { createHash } from "node:crypto";
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
  /** copy: mode of the directories created for a dest ending in / (Ansible creates them). */
  directory_mode?: string | number;
  /** copy: no effect for a file src (accepted as Ansible's). */
  local_follow?: boolean;
  /** copy: src is a file on the host, copied there (Ansible's remote_src). */
  remote_src?: boolean;
  /** copy: decrypt a vault-encrypted local src (default true, as Ansible). */
  decrypt?: boolean;
  /** copy: the SHA1 the content must have when it is written (Ansible fails the transfer otherwise). */
  checksum?: string;
}

/** The dest's state, plus (remote_src) the host file copied from. */
export type ContentState = FileStat & { remoteSrc?: { type: "file" | "directory" | "other" | "absent"; sha256?: string; sha1?: string } };

/** The bytes the task wants on the host. */
export function wantedBytes(a: ContentArgs): Buffer {
  if (a.content === undefined) throw new ModuleError(`no content for ${a.dest}: src was not read (prepare did not run)`);
  return a.content_encoding === "base64" ? Buffer.from(a.content, "base64") : Buffer.from(a.content, "utf8");
}

function basename(p: string): string {
  const parts = p.replace(/\/+$/, "").split("/");
  return parts[parts.length - 1]!;
}

export function contentProbe(a: ContentArgs): Probe<ContentState> {
  if (a.mode !== undefined) parseMode(a.mode);
  if (a.remote_src) return remoteSrcProbe(a);
  const want = sha256hex(wantedBytes(a));
  const script = fileProbeScript(a.dest, {
    sha256: true,
    content: { kind: "ifDiffers", sha256: want },
    resolve: destResolve(a),
    fs: a,
  });
  return { script, parse: (stdout) => parseFileStat(stdout, a.dest) };
}

/**
 * The probe's steps from dest to the file written. Like Ansible: with src, a dest that is a directory
 * (or ends in /, a directory even when it does not exist yet: Ansible creates it) receives src's
 * basename; follow resolves a symlink.
 */
function destResolve(a: ContentArgs): string | undefined {
  const steps: string[] = [];
  if (a.src !== undefined)
    steps.push(`if [ -d "$_kp" ]${a.dest.endsWith("/") ? " || true" : ""}; then _kp="\${_kp%/}"/'${basename(a.src).replace(/'/g, `'\\''`)}'; fi`);
  if (a.follow) steps.push(`if [ -L "$_kp" ]; then _kp=$(readlink -f "$_kp"); fi`);
  return steps.join("\n") || undefined;
}

/** remote_src: the dest's probe (no text for --diff) and the source file's type and sha256. */
function remoteSrcProbe(a: ContentArgs): Probe<ContentState> {
  const src = a.src!;
  const script = fileProbeScript(a.dest, { sha256: true, resolve: destResolve(a), fs: a });
  const srcLines = [
    `_kr=${shq(src)}`,
    snip.begin("rsrc"),
    `if [ -f "$_kr" ]; then printf 'type=file\\n'; _kq=$(sha256sum < "$_kr") && printf 'sha256=%s\\n' "\${_kq%% *}";${a.checksum !== undefined ? ` _kq=$(sha1sum < "$_kr") && printf 'sha1=%s\\n' "\${_kq%% *}";` : ""} elif [ -d "$_kr" ]; then printf 'type=directory\\n'; elif [ -e "$_kr" ]; then printf 'type=other\\n'; else printf 'type=absent\\n'; fi`,
  ];
  return {
    script: script + srcLines.join("\n") + "\n",
    parse: (stdout) => {
      const st: ContentState = parseFileStat(stdout, a.dest);
      const r = findRec(parseRecords(stdout), "rsrc");
      const type = r?.get("type");
      const sha = r?.get("sha256");
      const sha1 = r?.get("sha1");
      st.remoteSrc = {
        type: type === "file" || type === "directory" || type === "other" ? type : "absent",
        ...(sha ? { sha256: sha } : {}),
        ...(sha1 ? { sha1 } : {}),
      };
      return st;
    },
  };
}

/** The sha256 the dest must have: the content's, or (remote_src) the host file's, which must be a readable regular file. */
function wantedSha(st: ContentState, a: ContentArgs): string {
  if (!a.remote_src) return sha256hex(wantedBytes(a));
  const r = st.remoteSrc;
  if (!r || r.type === "absent") throw new ModuleError(`Source ${a.src} not found`);
  if (r.type === "directory") throw new ModuleError(`${a.src} is a directory: keel's copy with remote_src copies one file (copy each file with its own task)`);
  if (r.type !== "file") throw new ModuleError(`Cannot copy invalid source '${a.src}': not a file`);
  if (!r.sha256) throw new ModuleError(`cannot read ${a.src} to copy it (permission denied? try become: true)`);
  // with remote_src Ansible's copy module checks `checksum` on every run, check mode included
  if (a.checksum !== undefined && r.sha1 !== a.checksum.toLowerCase())
    throw new ModuleError(`Copied file does not match the expected checksum. Transfer failed. (${a.src}: sha1 ${r.sha1 ?? "unknown"}, expected ${a.checksum})`);
  return r.sha256;
}

export function contentDiff(st: ContentState, a: ContentArgs, what: string): Change<ContentOp>[] {
  const path = st.path;
  const bytes = a.remote_src ? undefined : wantedBytes(a);
  const wantSha = wantedSha(st, a);
  const wantText = bytes && decodeUtf8(bytes);
  if (st.type === "directory") throw new ModuleError(`${path} is a directory; ${what} needs a file path in dest`);
  if (st.type === "other") throw new ModuleError(`${path} is not a regular file`);
  if (st.type === "absent") {
    const mkParents = a.parents || (a.src !== undefined && a.dest.endsWith("/"));
    if (!st.parentExists && !mkParents)
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
        data: { op: "write", ...(!st.parentExists && mkParents ? { mkdir: path.slice(0, path.lastIndexOf("/")) || "/" } : {}) },
        ...(wantText !== undefined ? { diff: { path, before: "", after: wantText } } : {}),
      },
    ];
  }
  // Ansible's copy action (and template, which hands its file to it) returns before comparing
  // anything when dest exists and force is false: content, mode, owner and group stay as they are
  if (a.force === false) return [];
  if (st.unreadable || st.sha256 === undefined) throw new ModuleError(`cannot read ${path} to compare its content (permission denied? try become: true)`);
  const out: Change<ContentOp>[] = [];
  if (st.sha256 !== wantSha) {
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

export const contentExplain = withFsNote((st: ContentState, a: ContentArgs): string => {
  if (a.force === false) return `${st.path} exists and force: false leaves it alone (content, mode, owner and group), as Ansible does`;
  const attrs = attrExplain(st, a);
  return `${st.path}: content${attrs.length ? `, ${attrs.join(", ")}` : ""} match`;
});

export async function contentApply(host: Host, a: ContentArgs, changes: readonly Change<ContentOp>[], st: ContentState): Promise<ApplyResult | void> {
  const write = changes.map((c) => c.data).find((d) => d?.op === "write");
  if (write) {
    if (write.mkdir !== undefined) await host.run(mkdirScript(write.mkdir, a));
    if (a.remote_src) {
      const res = await remoteCopy(host, st, a);
      await runAll(host, attrCommands(st.path, newFsOps(st.fs, a)));
      return res;
    }
    const bytes = wantedBytes(a);
    // Ansible's copy checks `checksum` (SHA1) when it transfers the file, not when dest already matches
    if (a.checksum !== undefined && createHash("sha1").update(bytes).digest("hex") !== a.checksum.toLowerCase())
      throw new ModuleError(`Copied file does not match the expected checksum. Transfer failed. (${st.path}: expected sha1 ${a.checksum})`);
    const res = await writeWhole(host, st, a, bytes);
    // a new inode: the task's SELinux parts and attributes are set on it again
    await runAll(host, attrCommands(st.path, newFsOps(st.fs, a)));
    return res;
  }
  await runAll(host, attrCommands(st.path, attrOps(changes)));
}

/**
 * remote_src: the host file copied onto dest by the same atomic write as an upload (its stdin is the
 * source file), then given the source's modification time, as Ansible's copystat. A replaced file
 * keeps its mode and owner, a new one gets 0666 & ~umask, unless the task names them.
 */
async function remoteCopy(host: Host, st: ContentState, a: ContentArgs): Promise<ApplyResult | void> {
  const exists = st.type === "file";
  const mode = a.mode !== undefined ? normMode(targetMode(parseMode(a.mode), exists && st.mode ? parseInt(st.mode, 8) : undefined, false)) : undefined;
  const script = atomicWriteScript(st.path, {
    ...(mode !== undefined ? { mode } : {}),
    ...(a.owner !== undefined ? { owner: a.owner } : {}),
    ...(a.group !== undefined ? { group: a.group } : {}),
    ...(a.backup && exists ? { backup: true } : {}),
    ...(a.validate !== undefined ? { validate: a.validate } : {}),
  });
  const src = shq(a.src!);
  const r = await host.run(`( ${script}) < ${src} || exit $?\ntouch -r ${src} -- ${shq(st.path)}`, { check: false });
  const out = parseAtomicWriteOutput(r.stdout, r.stderr);
  if (out.validateRc !== undefined)
    throw new CommandError(
      a.validate!,
      out.validateRc,
      r.stdout,
      out.stderr,
      `validation of ${st.path} failed with exit code ${out.validateRc} (nothing was installed): ${out.stderr.trim().split("\n")[0] || a.validate}`,
    );
  if (r.rc !== 0) throw new ModuleError(`copying ${a.src} to ${st.path} failed (exit ${r.rc}): ${r.stderr.trim().split("\n")[0] ?? ""}`);
  return out.backup !== undefined ? { backup_file: out.backup } : undefined;
}

/**
 * The folders of a new file. For copy's dest ending in /, as Ansible's copy module: every directory
 * created gets directory_mode (else the umask's default) and the task's owner and group.
 */
function mkdirScript(dir: string, a: ContentArgs): string {
  if (!(a.src !== undefined && a.dest.endsWith("/"))) return `mkdir -p -m 0755 -- ${shq(dir)}`;
  return mkdirsScript(dir, a);
}

/**
 * Creates a folder and its missing parents; each folder it creates (only those) gets directory_mode,
 * owner and group, as Ansible's copy module sets them. A subshell that fails as a whole, so that
 * several can be joined with &&. copy of a file and of a folder (copy-tree.ts) both use it.
 */
export function mkdirsScript(dir: string, a: Pick<ContentArgs, "directory_mode" | "owner" | "group">): string {
  const each: string[] = [];
  if (a.directory_mode !== undefined) each.push(`chmod ${normMode(targetMode(parseMode(a.directory_mode), undefined, true))} "$_kd"`);
  if (a.owner !== undefined) each.push(`chown ${shq(a.owner)} "$_kd"`);
  if (a.group !== undefined) each.push(`chgrp ${shq(a.group)} "$_kd"`);
  const lines = [
    `_kn=; _kx=${shq(dir)}`,
    `while [ -n "$_kx" ] && [ ! -d "$_kx" ]; do _kn="$_kx\n$_kn"; _kx=\${_kx%/*}; done`,
    `mkdir -p -- ${shq(dir)} || exit 1`,
  ];
  if (each.length) lines.push(`printf '%s' "$_kn" | while IFS= read -r _kd; do [ -n "$_kd" ] || continue; ${each.join(" && ")} || exit 1; done || exit 1`);
  return `( ${lines.join("\n")}\n)`;
}
