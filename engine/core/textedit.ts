// Editing a text file line by line, as files.lineinfile, files.blockinfile and system.pam_limits do:
// the probe sends the file's current text, diff edits it in pure code, and apply writes the whole
// new text atomically (or only chmod/chown when just the attributes differ).
import { shq } from "./shell.js";
import type { ApplyResult, Change, Host, Probe } from "./module.js";
import { ModuleError } from "./errors.js";
import {
  attrChanges,
  attrCommands,
  attrOps,
  createAttrs,
  newFsOps,
  parseMode,
  parseFileStat,
  runAll,
  fileProbeScript,
  writeWhole,
  type AttrArgs,
  type AttrOp,
  type FileStat,
} from "./filestate.js";

/** The plan of a text edit: write the whole new text (creating the file, and its folder when missing), or fix attributes. */
export type TextOp = { op: "write"; content: string; mkdir?: string } | AttrOp;

export interface TextArgs extends AttrArgs {
  path?: string;
  dest?: string;
  name?: string;
  create?: boolean;
  backup?: boolean;
  validate?: string;
}

export function textPath(a: TextArgs): string {
  return (a.path ?? a.dest ?? a.name)!;
}

export function textProbe(a: TextArgs): Probe<FileStat> {
  if (a.mode !== undefined) parseMode(a.mode);
  const path = textPath(a);
  return { script: fileProbeScript(path, { content: { kind: "always" }, fs: a }), parse: (stdout) => parseFileStat(stdout, path) };
}

/**
 * The file's current text, or undefined when it is absent. Throws when it cannot be edited as text.
 */
export function currentText(st: FileStat): string | undefined {
  if (st.type === "absent") return undefined;
  if (st.type === "directory") throw new ModuleError(`${st.path} is a directory, not a file`);
  if (st.type !== "file") throw new ModuleError(`${st.path} is not a regular file`);
  if (st.binary) throw new ModuleError(`${st.path} is not UTF-8 text; it cannot be edited line by line`);
  if (st.content === undefined) {
    if (st.size === 0) return "";
    throw new ModuleError(`cannot read ${st.path} (permission denied? try become: true)`);
  }
  return st.content;
}

/**
 * The changes for a new text: one "content" Change (with the unified diff and the new text in data)
 * when it differs, then the attribute changes of an existing file. `summary` says what the edit was.
 */
export function textChanges(st: FileStat, a: TextArgs, before: string | undefined, after: string, summary: string): Change<TextOp>[] {
  const path = st.path;
  const out: Change<TextOp>[] = [];
  if (before === undefined) {
    // As Ansible's lineinfile/blockinfile with create: a missing parent directory is created too.
    const attrs = createAttrs(a, false, st.fs);
    out.push({
      summary: `file ${path} missing${st.parentExists ? "" : " (and its directory)"}, ${summary}${attrs.length ? ` (will create with ${attrs.join(", ")})` : ""}`,
      field: "state",
      before: "absent",
      after: "file",
      diff: { path, before: "", after },
      // a missing folder is created first (mode 0755), as Ansible's lineinfile/blockinfile do
      data: { op: "write", content: after, ...(st.parentExists ? {} : { mkdir: path.slice(0, path.lastIndexOf("/")) || "/" }) },
    });
    return out;
  }
  if (after !== before) out.push({ summary, field: "content", diff: { path, before, after }, data: { op: "write", content: after } });
  out.push(...attrChanges(st, a, ""));
  return out;
}

export async function textApply(host: Host, a: TextArgs, changes: readonly Change<TextOp>[], st: FileStat): Promise<ApplyResult | void> {
  const write = changes.map((c) => c.data).find((d) => d?.op === "write");
  if (write) {
    if (write.mkdir !== undefined) await host.run(`mkdir -p -m 0755 -- ${shq(write.mkdir)}`);
    const res = await writeWhole(host, st, a, write.content);
    // a new inode: the task's SELinux parts and attributes are set on it again
    await runAll(host, attrCommands(st.path, newFsOps(st.fs, a)));
    return res;
  }
  await runAll(host, attrCommands(st.path, attrOps(changes)));
}

/** Split text into lines, each keeping its terminator ("\n" or "\r\n"); the last may have none. */
export function splitKeep(text: string): string[] {
  if (text === "") return [];
  const out = text.split(/(?<=\n)/);
  return out;
}

export function stripEol(line: string): string {
  return line.replace(/[\r\n]+$/, "");
}
