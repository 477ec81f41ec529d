// files.replace — Ansible's `replace`: every match of a regular expression (multiline mode) in a
// file, or in the part of it between `after` and `before`, is replaced, as Python's re.subn does.
// The probe sends the file's text; the edit is pure; apply writes the whole new text atomically
// (backup and validate as the other text modules), so check mode and --diff show the exact result.
import { defineModule } from "../../engine/core/module.js";
import { InputError, ModuleError } from "../../engine/core/errors.js";
import { pyRegex } from "../../engine/core/pyregex.js";
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
  attrExplain,
  type FileStat,
} from "./common.js";
import { currentText, textApply, textChanges, textProbe, type TextArgs, type TextOp } from "./text.js";

export interface ReplaceArgs extends TextArgs {
  destfile?: string;
  regexp: string;
  replace?: string;
  after?: string;
  before?: string;
  encoding?: string;
}

export default defineModule<ReplaceArgs, FileStat, TextOp>({
  name: "files.replace",
  aliases: ["replace"],
  description:
    "Replace every match of a regular expression (Python syntax, multiline) in a file, optionally only between an `after` and a `before` pattern, as Ansible's replace does.",
  args: {
    type: "object",
    additionalProperties: false,
    required: ["regexp"],
    properties: {
      path: { type: "string", minLength: 1, description: "The file to edit; it must exist." },
      dest: { type: "string", minLength: 1, description: "Alias of path." },
      destfile: { type: "string", minLength: 1, description: "Alias of path." },
      name: { type: "string", minLength: 1, description: "Alias of path." },
      regexp: {
        type: "string",
        description: "The regular expression to find (Python syntax, multiline: ^ and $ match at each line). Every match is replaced.",
      },
      replace: {
        type: "string",
        default: "",
        description: "The replacement: \\1, \\g<1> and \\g<name> insert the match's groups. Default empty (the matches are removed).",
      },
      after: { type: "string", description: "Only replace after the first match of this regular expression (dot matches newlines)." },
      before: {
        type: "string",
        description: "Only replace before the match of this regular expression (dot matches newlines); with after, the shortest span between them.",
      },
      backup: BACKUP_SCHEMA,
      validate: VALIDATE_SCHEMA,
      encoding: { type: "string", enum: ["utf-8", "utf8", "UTF-8", "UTF8"], default: "utf-8", description: "The file's encoding. keel edits UTF-8 text only." },
      mode: MODE_SCHEMA,
      owner: OWNER_SCHEMA,
      group: GROUP_SCHEMA,
      ...FS_ATTR_SCHEMAS,
      unsafe_writes: UNSAFE_WRITES_SCHEMA,
    },
    anyOf: [{ required: ["path"] }, { required: ["dest"] }, { required: ["destfile"] }, { required: ["name"] }],
  },
  resource: (a) => `file ${pathOf(a)}`,

  validate(a) {
    validateFsAttrs(a);
    pyRegex(a.regexp, "regexp");
    sectionRegex(a);
    // a replacement that refers to a group the regexp lacks is an error in Python too
    const re = pyRegex(a.regexp, "regexp");
    const groups = new RegExp(`${re.source}|`).exec("")!.length - 1;
    for (const m of (a.replace ?? "").matchAll(/\\(?:g<(\d+)>|(\d{1,2}))/g)) {
      const n = Number(m[1] ?? m[2]);
      if (n > groups)
        throw new InputError(
          `replace refers to group ${n}, but regexp has ${groups} group${groups === 1 ? "" : "s"}`,
          undefined,
          "add the group to regexp, or escape the backslash",
        );
    }
  },

  probe(a) {
    return textProbe({ ...a, path: pathOf(a) });
  },

  diff(st, a) {
    if (st.type === "directory") throw new ModuleError(`Path ${st.path} is a directory !`);
    if (st.type === "absent") throw new ModuleError(`Path ${st.path} does not exist !`);
    const before = currentText(st)!;
    const r = replaceText(before, a);
    return textChanges(st, { ...a, create: false }, before, r.text, `${r.count} replacements made`);
  },

  explain: withFsNote((st, a) => {
    const attrs = attrExplain(st, a);
    const tail = attrs.length ? `; ${attrs.join(", ")} match` : "";
    const r = replaceText(st.content ?? "", a);
    if (r.sectionMissed) return `${st.path}: the after/before patterns match nothing, so nothing to replace${tail}`;
    return `${st.path}: ${r.count ? "every match is already the replacement" : "regexp matches nothing"}${tail}`;
  }),

  // ansible-core 2.14's replace returns rc 0 and msg "N replacements made", or "" when nothing
  // changes (check mode too); apply's msg is the same edit's.
  result(st, a) {
    if (st.type === "absent" || st.type === "directory") return {};
    try {
      const r = replaceText(currentText(st) ?? "", a);
      return { rc: 0, msg: r.count > 0 && r.text !== currentText(st) ? `${r.count} replacements made` : "" };
    } catch {
      return {};
    }
  },

  async apply(host, a, changes, st) {
    // Ansible's msg: "N replacements made" (the edit's summary)
    const edit = changes.find((c) => c.data?.op === "write");
    const res = await textApply(host, a, changes, st);
    return { ...(res ?? {}), ...(edit ? { msg: edit.summary } : {}) };
  },
});

function pathOf(a: ReplaceArgs): string {
  return (a.path ?? a.dest ?? a.destfile ?? a.name)!;
}

/** The section pattern Ansible builds from after/before (re.DOTALL), or undefined. */
function sectionRegex(a: ReplaceArgs): RegExp | undefined {
  let src: string | undefined;
  if (a.after && a.before) src = `${a.after}(?P<subsection>.*?)${a.before}`;
  else if (a.after) src = `${a.after}(?P<subsection>.*)`;
  else if (a.before) src = `(?P<subsection>.*)${a.before}`;
  if (src === undefined) return undefined;
  const re = pyRegex(src, a.after ? "after" : "before");
  // d: the subsection group's indices (match.start('subsection') in Python)
  return new RegExp(re.source, `${re.flags.includes("s") ? re.flags : `${re.flags}s`}d`);
}

/** Python's match.expand: \1, \g<1>, \g<name>, and the escapes \n \t \r \f \v \a \b \\. */
export function expandTemplate(template: string, m: RegExpExecArray): string {
  const esc: Record<string, string> = { n: "\n", t: "\t", r: "\r", f: "\f", v: "\v", a: "\x07", b: "\b", "\\": "\\" };
  return template.replace(/\\(?:g<([^>]+)>|(\d{1,2})|([\s\S]))/g, (all, name: string | undefined, num: string | undefined, ch: string | undefined) => {
    if (name !== undefined) return (/^\d+$/.test(name) ? m[Number(name)] : m.groups?.[name]) ?? "";
    if (num !== undefined) return m[Number(num)] ?? "";
    return esc[ch!] ?? all;
  });
}

/** Pure: the text after Ansible's replace, the number of replacements, and whether the section was missing. */
export function replaceText(text: string, a: ReplaceArgs): { text: string; count: number; sectionMissed?: boolean } {
  const sec = sectionRegex(a);
  let start = 0;
  let end = text.length;
  if (sec) {
    const m = sec.exec(text);
    if (!m) return { text, count: 0, sectionMissed: true };
    [start, end] = m.indices!.groups!.subsection!;
  }
  const section = text.slice(start, end);
  const re = pyRegex(a.regexp, "regexp", { multiline: true, global: true });
  let count = 0;
  const out = section.replace(re, (...args) => {
    count++;
    const groups = typeof args[args.length - 1] === "object" ? (args[args.length - 1] as Record<string, string>) : undefined;
    const arr = args.slice(0, groups ? -3 : -2) as string[];
    const m = Object.assign([...arr], { index: 0, input: section, groups }) as unknown as RegExpExecArray;
    return expandTemplate(a.replace ?? "", m);
  });
  // Python's subn counts matches even when each one equals its replacement: unchanged text is no change
  if (count === 0 || out === section) return { text, count };
  return { text: text.slice(0, start) + out + text.slice(end), count };
}
