// files.lineinfile — Ansible's `lineinfile`: one line present (replacing the line a regexp finds, or
// inserted after/before an anchor) or absent. The probe sends the file's text; the edit is pure.
import { defineModule, folderEntries } from "../../engine/core/module.js";
import { InputError, ModuleError } from "../../engine/core/errors.js";
import { refuseLineBreaks } from "../../engine/core/lines.js";
import {
  FS_ATTR_SCHEMAS,
  UNSAFE_WRITES_SCHEMA,
  validateFsAttrs,
  withFsNote,
  BACKUP_SCHEMA,
  GROUP_SCHEMA,
  MODE_SCHEMA,
  OWNER_SCHEMA,
  VALIDATE_SCHEMA,
  attrChanges,
  attrExplain,
  quoteShort,
  type FileStat,
} from "./common.js";
import { currentText, pyRegex, splitKeep, stripEol, textApply, textChanges, textPath, textProbe, type TextArgs, type TextOp } from "./text.js";

export interface LineArgs extends TextArgs {
  regexp?: string;
  regex?: string;
  search_string?: string;
  line?: string;
  value?: string;
  state?: "present" | "absent";
  insertafter?: string;
  insertbefore?: string;
  backrefs?: boolean;
  firstmatch?: boolean;
}

export default defineModule<LineArgs, FileStat, TextOp>({
  name: "files.lineinfile",
  aliases: ["lineinfile"],
  argAliases: { destfile: "path" },
  description:
    "Ensure a line is in a file (replacing the line a regular expression finds, or inserted after or before an anchor), or that matching lines are absent.",
  args: {
    type: "object",
    additionalProperties: false,
    properties: {
      path: { type: "string", minLength: 1, description: "The file to edit." },
      dest: { type: "string", minLength: 1, description: "Alias of path." },
      name: { type: "string", minLength: 1, description: "Alias of path." },
      state: {
        type: "string",
        enum: ["present", "absent"],
        default: "present",
        description: "present: the line is in the file; absent: every line matching regexp, search_string or line is removed. Default present.",
      },
      line: {
        type: "string",
        description: "The line to have in the file (state=present). With backrefs, \\1 and \\g<name> are replaced by the regexp's groups.",
      },
      value: { type: "string", description: "Alias of line." },
      regexp: {
        type: "string",
        description:
          "Regular expression (Python syntax is accepted: (?P<name>…)) searched in every line. present: the last matching line is replaced; absent: every matching line is removed. When nothing matches, the line is added (an existing identical line counts as a match).",
      },
      regex: { type: "string", description: "Alias of regexp." },
      search_string: { type: "string", description: "Like regexp, but a literal substring." },
      insertafter: {
        type: "string",
        description: "Where a new line goes: EOF (the default), or after the last line matching this regular expression (end of file if none matches).",
      },
      insertbefore: {
        type: "string",
        description: "Where a new line goes: BOF, or before the last line matching this regular expression (end of file if none matches).",
      },
      backrefs: {
        type: "boolean",
        default: false,
        description: "Expand the regexp's groups into line; when regexp matches nothing the file is left unchanged. Default false.",
      },
      firstmatch: {
        type: "boolean",
        default: false,
        description: "Use the first matching line for regexp and insertafter/insertbefore instead of the last. Default false.",
      },
      create: {
        type: "boolean",
        default: false,
        description: "Create the file when it is missing (state=present). Default false: a missing file is an error.",
      },
      backup: BACKUP_SCHEMA,
      validate: VALIDATE_SCHEMA,
      mode: MODE_SCHEMA,
      owner: OWNER_SCHEMA,
      group: GROUP_SCHEMA,
      ...FS_ATTR_SCHEMAS,
      unsafe_writes: UNSAFE_WRITES_SCHEMA,
    },
    anyOf: [{ required: ["path"] }, { required: ["dest"] }, { required: ["name"] }],
    not: { anyOf: [{ required: ["insertafter", "insertbefore"] }, { required: ["regexp", "search_string"] }, { required: ["regex", "search_string"] }] },
  },
  resource: (a) => `file ${textPath(a)}`,
  footprint: (a) => ({
    reads: [`file:${textPath(a)}`, ...folderEntries(textPath(a)), "accounts"],
    writes: [`file:${textPath(a)}`, ...(a.create ? folderEntries(textPath(a)) : [])],
  }),

  validate: check,

  probe(args) {
    return textProbe(args);
  },

  diff(st, args) {
    const before = currentText(st);
    const state = args.state ?? "present";
    if (before === undefined) {
      if (state === "absent") return [];
      if (!args.create) throw new ModuleError(`${st.path} does not exist; set create: true to create it`);
    }
    const r = state === "absent" ? removeLines(before!, args) : presentLine(before ?? "", args);
    if (before === undefined && r.msg === "") return []; // backrefs matched nothing: the file is not created
    if (before !== undefined && r.text === before) return textChanges(st, args, before, before, "");
    return textChanges(st, args, before, r.text, r.msg);
  },

  explain: withFsNote((st, args) => {
    const attrs = attrExplain(st, args);
    const tail = attrs.length ? `; ${attrs.join(", ")} match` : "";
    if (st.type === "absent") return `${st.path} is absent, so no line to remove`;
    if ((args.state ?? "present") === "absent") return `${st.path}: no line matches${tail}`;
    const re = args.backrefs ? pyRegex(regexpOf(args)!, "regexp") : undefined;
    if (re && !splitKeep(st.content ?? "").some((l) => re.test(stripEol(l))))
      return `${st.path}: regexp matches no line; backrefs leaves the file alone${tail}`;
    return `${st.path}: line ${quoteShort(lineOf(args) ?? "")} present${tail}`;
  }),

  result: (st, args) => lineResult(st, args),
  // Ansible's `backup` key: the backup's path ("" without one)
  async apply(host, args, changes, st) {
    const res = await textApply(host, args, changes, st);
    return res?.backup_file !== undefined ? { ...res, data: { ...(res.data ?? {}), backup: res.backup_file } } : res;
  },
});

function regexpOf(a: LineArgs): string | undefined {
  return a.regexp ?? a.regex;
}
function lineOf(a: LineArgs): string | undefined {
  return a.line ?? a.value;
}

function check(a: LineArgs): void {
  validateFsAttrs(a);
  const state = a.state ?? "present";
  // The line is written as one line of the file: a line break would add lines of its own.
  refuseLineBreaks(a.line !== undefined ? "line" : "value", lineOf(a), `${textPath(a)}`);
  const re = regexpOf(a);
  if (re !== undefined) pyRegex(re, "regexp");
  if (a.backrefs && a.search_string !== undefined)
    throw new InputError("backrefs cannot be used with search_string", undefined, "use regexp with groups instead");
  if (state === "present") {
    if (lineOf(a) === undefined) throw new InputError("line is required with state: present", undefined, "add line: the text the file should contain");
    if (a.backrefs && re === undefined) throw new InputError("backrefs needs regexp", undefined, "add regexp: with the groups that line refers to");
    for (const k of ["insertafter", "insertbefore"] as const) {
      const v = a[k];
      if (v !== undefined && v !== "EOF" && v !== "BOF") pyRegex(v, k);
    }
  } else if (re === undefined && a.search_string === undefined && lineOf(a) === undefined) {
    throw new InputError("state: absent needs line, regexp or search_string", undefined, "add regexp: matching the lines to remove");
  }
}

/** Python's match.expand: \1, \g<1>, \g<name>, and \n \t \\ escapes. */
function expand(template: string, m: RegExpExecArray): string {
  return template.replace(/\\(?:g<([^>]+)>|(\d{1,2})|([\s\S]))/g, (all, name: string | undefined, num: string | undefined, ch: string | undefined) => {
    if (name !== undefined) return (/^\d+$/.test(name) ? m[Number(name)] : m.groups?.[name]) ?? "";
    if (num !== undefined) return m[Number(num)] ?? "";
    if (ch === "n") return "\n";
    if (ch === "t") return "\t";
    if (ch === "\\") return "\\";
    return all;
  });
}

/** state=present, following Ansible's lineinfile present() step by step. */
export function presentLine(text: string, a: LineArgs): { text: string; msg: string } {
  const line = lineOf(a)!;
  const lines = splitKeep(text);
  const reSrc = regexpOf(a);
  const re = reSrc !== undefined ? pyRegex(reSrc, "regexp") : undefined;
  const ins =
    a.insertafter !== undefined && a.insertafter !== "EOF" && a.insertafter !== "BOF"
      ? pyRegex(a.insertafter, "insertafter")
      : a.insertbefore !== undefined && a.insertbefore !== "BOF" && a.insertbefore !== "EOF"
        ? pyRegex(a.insertbefore, "insertbefore")
        : undefined;
  const insertafter = a.insertafter ?? (a.insertbefore === undefined ? "EOF" : undefined);
  let found = -1;
  let anchor = -1;
  let match: RegExpExecArray | null = null;
  let matched = false;
  // 1. regexp or search_string: the line to replace.
  for (let i = 0; i < lines.length && (re || a.search_string !== undefined); i++) {
    const cur = stripEol(lines[i]!);
    const m = re ? re.exec(cur) : cur.includes(a.search_string!) ? ([cur] as unknown as RegExpExecArray) : null;
    if (m) {
      found = i;
      match = m;
      matched = true;
      if (a.firstmatch) break;
    }
  }
  // 2. Nothing matched: is the exact line there already? Where is the anchor?
  if (!matched) {
    for (let i = 0; i < lines.length; i++) {
      const cur = stripEol(lines[i]!);
      if (cur === line) found = i;
      else if (ins && ins.test(cur)) {
        anchor = insertafter !== undefined ? i + 1 : i;
        if (a.firstmatch) break;
      }
    }
  }
  const eol = "\n";
  if (found !== -1) {
    const newLine = (a.backrefs && match ? expand(line, match) : line) + eol;
    // \n in a backrefs template expands to a line break: refused before anything is written.
    if (/[\n\r\0]/.test(stripEol(newLine)))
      throw new ModuleError(`line ${JSON.stringify(stripEol(newLine))} holds a line break after backrefs expansion; lineinfile writes one line`);
    if (lines[found] === newLine || (!matched && stripEol(lines[found]!) === line)) return { text, msg: "" };
    const old = stripEol(lines[found]!);
    lines[found] = newLine;
    return { text: lines.join(""), msg: `line replaced: ${quoteShort(old)} → ${quoteShort(stripEol(newLine))}` };
  }
  if (a.backrefs) return { text, msg: "" };
  const endWithEol = () => {
    if (lines.length && !/[\r\n]$/.test(lines[lines.length - 1]!)) lines[lines.length - 1] += eol;
  };
  if (a.insertbefore === "BOF" || a.insertafter === "BOF") {
    lines.unshift(line + eol);
    return { text: lines.join(""), msg: `line ${quoteShort(line, 80)} added at the beginning of the file` };
  }
  if (insertafter === "EOF" || anchor === -1) {
    endWithEol();
    lines.push(line + eol);
    return {
      text: lines.join(""),
      msg: `line ${quoteShort(line, 80)} added at the end of the file${ins ? ` (${quoteShort((a.insertafter ?? a.insertbefore)!)} matches no line)` : ""}`,
    };
  }
  if (insertafter !== undefined) {
    // After the anchor, unless the line is already right there.
    if (anchor === lines.length) {
      if (stripEol(lines[anchor - 1]!) === line) return { text, msg: "" };
      endWithEol();
      lines.push(line + eol);
    } else {
      if (stripEol(lines[anchor]!) === line) return { text, msg: "" };
      lines.splice(anchor, 0, line + eol);
    }
    return { text: lines.join(""), msg: `line ${quoteShort(line, 80)} added after ${quoteShort(stripEol(lines[anchor - 1]!))}` };
  }
  lines.splice(anchor, 0, line + eol);
  return { text: lines.join(""), msg: `line ${quoteShort(line, 80)} added before ${quoteShort(stripEol(lines[anchor + 1]!))}` };
}

/** state=absent: every line matching regexp, search_string or (exactly) line goes. */
export function removeLines(text: string, a: LineArgs): { text: string; msg: string } {
  const { keep, gone } = partitionLines(text, a);
  if (!gone.length) return { text, msg: "" };
  // Every removed line is named, so a check run shows all of them.
  const what =
    gone.length === 1 ? `line ${quoteShort(stripEol(gone[0]!), 80)}` : `${gone.length} lines (${gone.map((l) => quoteShort(stripEol(l), 80)).join(", ")})`;
  return { text: keep.join(""), msg: `${what} removed` };
}

/** state=absent: the lines that stay and the ones that match (regexp, search_string, or exactly line). */
function partitionLines(text: string, a: LineArgs): { keep: string[]; gone: string[] } {
  const reSrc = regexpOf(a);
  const re = reSrc !== undefined ? pyRegex(reSrc, "regexp") : undefined;
  const line = lineOf(a);
  const keep: string[] = [];
  const gone: string[] = [];
  for (const l of splitKeep(text)) {
    const cur = stripEol(l);
    const hit = re ? re.test(cur) : a.search_string !== undefined ? cur.includes(a.search_string) : cur === line;
    (hit ? gone : keep).push(l);
  }
  return { keep, gone };
}

/**
 * ansible.builtin.lineinfile's register keys, from the probed file (pure): msg ("line added", "line
 * replaced", "N line(s) removed", "" for none, with " and ownership, perms or SE linux context
 * changed" when attributes differ too; "file not present" for absent on a missing file), backup
 * ("" here: apply gives the backup's path), and for absent the number of matching lines, found.
 * A file created by the task gets no attribute suffix: Ansible's depends on the new file's mode.
 */
export function lineResult(st: FileStat, a: LineArgs): Record<string, unknown> {
  const before = currentText(st);
  const absent = (a.state ?? "present") === "absent";
  if (absent && before === undefined) return { msg: "file not present" };
  let msg: string;
  const out: Record<string, unknown> = {};
  try {
    if (absent) {
      const found = partitionLines(before!, a).gone.length;
      out.found = found;
      msg = found ? `${found} line(s) removed` : "";
    } else {
      const r = presentLine(before ?? "", a);
      msg = r.msg === "" ? "" : r.msg.startsWith("line replaced") ? "line replaced" : "line added";
    }
  } catch {
    return {}; // diff fails the task with the reason
  }
  if (before !== undefined && attrChanges(st, a, "").length) msg += `${msg ? " and " : ""}ownership, perms or SE linux context changed`;
  return { msg, backup: "", ...out };
}
