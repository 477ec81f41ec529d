// files.ini_file — community.general.ini_file: one option (or several values of it) in a section
// of an INI-style file, or a section or option absent. The probe sends the file's text; the edit
// below follows community.general's algorithm step by step (sentinel sections around the file,
// commented-out options reused with modify_inactive_option, values matched before lines are
// rewritten, the rest removed, new lines after the section's last content line), so the resulting
// bytes — and so `changed`, check mode and --diff — are Ansible's. apply writes atomically.
import { defineModule } from "../../engine/core/module.js";
import { InputError, ModuleError } from "../../engine/core/errors.js";
import { refuseLineBreaks } from "../../engine/core/lines.js";
import { shq } from "../../engine/core/shell.js";
import {
  FS_ATTR_SCHEMAS,
  UNSAFE_WRITES_SCHEMA,
  validateFsAttrs,
  withFsNote,
  BACKUP_SCHEMA,
  GROUP_SCHEMA,
  MODE_SCHEMA,
  OWNER_SCHEMA,
  attrExplain,
  type FileStat,
} from "./common.js";
import { fileProbeScript, parseFileStat } from "./common.js";
import { currentText, textApply, textChanges, type TextArgs, type TextOp } from "./text.js";

export interface IniArgs extends TextArgs {
  section?: string | null;
  section_has_values?: { option: string; value?: string; values?: string[] }[];
  option?: string;
  key?: string;
  value?: string;
  values?: string[];
  state?: "present" | "absent";
  exclusive?: boolean;
  no_extra_spaces?: boolean;
  ignore_spaces?: boolean;
  allow_no_value?: boolean;
  modify_inactive_option?: boolean;
  follow?: boolean;
}

export default defineModule<IniArgs, FileStat, TextOp>({
  name: "files.ini_file",
  aliases: ["ini_file", "community.general.ini_file"],
  description:
    "Ensure an option (one or several values) is set in a section of an INI-style file, or that an option or a whole section is absent, as community.general.ini_file edits it (comments and layout kept).",
  args: {
    type: "object",
    additionalProperties: false,
    properties: {
      path: { type: "string", minLength: 1, description: "The INI file; created when missing (unless create: false)." },
      dest: { type: "string", minLength: 1, description: "Alias of path." },
      section: {
        type: ["string", "null"],
        description: "The section name. Omitted, empty or null: the options before the first section (files without sections).",
      },
      section_has_values: {
        type: "array",
        items: {
          type: "object",
          additionalProperties: false,
          required: ["option"],
          properties: {
            option: { type: "string", description: "An option the section must have." },
            value: { type: "string", description: "The value it must have." },
            values: { type: "array", items: { type: "string" }, description: "One of the values it must have." },
          },
          not: { required: ["value", "values"] },
        },
        description: "Among sections of the same name, choose the one holding these options (and values). A new section is written with them.",
      },
      option: { type: "string", description: "The option's name. Omitted with state: absent, the whole section is removed." },
      key: { type: "string", description: "Alias of option (as older playbooks write it)." },
      value: { type: "string", description: "The option's value (option = value)." },
      values: { type: "array", items: { type: "string" }, description: "Several values of the option, one line each." },
      state: {
        type: "string",
        enum: ["present", "absent"],
        default: "present",
        description:
          "present: the option has the value(s); absent: the option (or with exclusive false, those values), or the section, is removed. Default present.",
      },
      exclusive: {
        type: "boolean",
        default: true,
        description:
          "present: other values of the option are removed; absent: every line of the option is removed. false: only the given values are added or removed. Default true.",
      },
      no_extra_spaces: { type: "boolean", default: false, description: "Write option=value instead of option = value. Default false." },
      ignore_spaces: { type: "boolean", default: false, description: "Leave a line whose only difference is the spacing around '='. Default false." },
      allow_no_value: { type: "boolean", default: false, description: "Allow an option without value (a bare `option` line). Default false." },
      modify_inactive_option: {
        type: "boolean",
        default: true,
        description: "Reuse a commented-out line of the option (#option = …, ;option = …) instead of adding a new one. Default true.",
      },
      create: { type: "boolean", default: true, description: "Create the file (and its directory) when missing. Default true; false fails on a missing file." },
      follow: {
        type: "boolean",
        default: false,
        description: "When path is a symlink, edit the file it points to. Default false: the link is replaced by a regular file, as Ansible does.",
      },
      backup: BACKUP_SCHEMA,
      mode: MODE_SCHEMA,
      owner: OWNER_SCHEMA,
      group: GROUP_SCHEMA,
      ...FS_ATTR_SCHEMAS,
      unsafe_writes: UNSAFE_WRITES_SCHEMA,
    },
    anyOf: [{ required: ["path"] }, { required: ["dest"] }],
    not: { anyOf: [{ required: ["value", "values"] }, { required: ["option", "key"] }] },
  },
  resource: (a) => `file ${pathOf(a)}${a.section ? ` [${a.section}]` : ""}${optionOf(a) ? ` ${optionOf(a)}` : ""}`,

  validate(a) {
    validateFsAttrs(a);
    const state = a.state ?? "present";
    if (state === "present" && !a.allow_no_value && a.value === undefined && !a.values?.length) {
      throw new InputError(
        "Parameter 'value(s)' must be defined if state=present and allow_no_value=False.",
        undefined,
        "add value: (or values:), or allow_no_value: true",
      );
    }
    // each becomes one line of the file
    const where = pathOf(a);
    refuseLineBreaks("section", a.section ?? undefined, where);
    refuseLineBreaks("option", optionOf(a), where);
    refuseLineBreaks("value", a.value, where);
    for (const v of a.values ?? []) refuseLineBreaks("values", v, where);
    for (const c of a.section_has_values ?? []) {
      refuseLineBreaks("section_has_values.option", c.option, where);
      for (const v of [c.value, ...(c.values ?? [])]) refuseLineBreaks("section_has_values.values", v, where);
    }
  },

  probe(a) {
    const path = pathOf(a);
    const resolve = a.follow ? `if [ -L "$_kp" ]; then _kp=$(readlink -f -- "$_kp"); fi` : undefined;
    return { script: fileProbeScript(path, { content: { kind: "always" }, fs: a, ...(resolve ? { resolve } : {}) }), parse: (out) => parseFileStat(out, path) };
  },

  diff(st, a) {
    const before = currentText(st);
    if (before === undefined && a.create === false) throw new ModuleError(`Destination ${st.path} does not exist!`);
    const r = iniEdit(before, a);
    if (!r.changed) return before === undefined ? [] : textChanges(st, a, before, before, "");
    return textChanges(st, { ...a, create: true }, before, r.text, r.msg);
  },

  explain: withFsNote((st, a) => {
    const attrs = attrExplain(st, a);
    const tail = attrs.length ? `; ${attrs.join(", ")} match` : "";
    const where = a.section ? `[${a.section}]` : "the top of the file";
    const opt = optionOf(a);
    if (st.type === "absent") return `${st.path} is absent, so nothing to remove`;
    if ((a.state ?? "present") === "absent") return `${st.path}: ${opt ? `no ${opt} in ${where}` : `no section ${where}`}${tail}`;
    return `${st.path}: ${opt ? `${opt} in ${where} is up to date` : `section ${where} present`}${tail}`;
  }),

  async apply(host, a, changes, st) {
    const edit = changes.some((c) => c.data?.op === "write");
    const res = await textApply(host, a, changes, st);
    // Ansible's msg: what the edit was ("option changed", "section and option added"…)
    const r = edit ? iniEdit(st.type === "absent" ? undefined : st.content, a) : undefined;
    const data: Record<string, unknown> = { ...(res?.data ?? {}), ...(r ? { size: Buffer.byteLength(r.text) } : {}) };
    // a file the task created: its attributes as Ansible's add_path_info reads them (one stat)
    if (st.type === "absent" && r) Object.assign(data, createdAttrs((await host.run(`stat -c '%u %g %U %G %a' -- ${shq(pathOf(a))}`)).stdout));
    return { ...(res ?? {}), msg: r ? r.msg : "OK", data };
  },

  // ansible-core 2.14's ini_file returns msg ("OK" when nothing changes, else what the edit is, check
  // mode too), path, and the file's state after the task; apply's msg is the same edit's.
  result(st, a) {
    const out: Record<string, unknown> = { path: pathOf(a) };
    if (st.type !== "absent" && st.type !== "file") return out;
    const edit = safeEdit(currentText(st), a);
    if (edit) Object.assign(out, { msg: edit.msg, state: st.type === "absent" && !edit.changed ? "absent" : "file" });
    // the file's attributes as Ansible's add_path_info reads them (check mode: the file as it is)
    if (st.type === "file") Object.assign(out, { uid: st.uid, gid: st.gid, owner: st.owner, group: st.group, mode: st.mode, size: st.size });
    return out;
  },
});

/** `stat -c '%u %g %U %G %a'` → uid, gid, owner, group, mode (4 octal digits, as Ansible's). */
export function createdAttrs(out: string): Record<string, unknown> {
  const [uid, gid, owner, group, mode] = out.trim().split(" ");
  if (mode === undefined) return {};
  return { uid: Number(uid), gid: Number(gid), owner, group, mode: mode.padStart(4, "0"), state: "file" };
}

function safeEdit(text: string | undefined, a: IniArgs): ReturnType<typeof iniEdit> | undefined {
  try {
    return iniEdit(text, a);
  } catch {
    return undefined;
  }
}

function pathOf(a: IniArgs): string {
  return (a.path ?? a.dest)!;
}
function optionOf(a: IniArgs): string | undefined {
  return a.option ?? a.key;
}

const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
/** A line of `option` (groups as community.general's: 2 is the comment mark, 8 the value). `$` is Python's: before a final newline too. */
function matchOpt(option: string, line: string, inactiveToo: boolean): RegExpExecArray | null {
  const head = inactiveToo ? "([ \\t]*)([#;]?)" : "()()";
  return new RegExp(`^${head}([ \\t]*)(${esc(option)})([ \\t]*)(=|(?=\\n?$))([ \\t]*)(.*)`).exec(line);
}

/** Lines as Python's readlines() in text mode gives them: universal newlines, each keeping its "\n". */
function readLines(text: string): string[] {
  const t = text.replace(/^\uFEFF/, "").replace(/\r\n?/g, "\n");
  return t === "" ? [] : t.split(/(?<=\n)/);
}

const FAKE = "ad01e11446efb704fcdbdb21f2c43757423d91c5";

/** Pure: community.general.ini_file's do_ini on the file's text (undefined: missing). */
export function iniEdit(text: string | undefined, a: IniArgs): { text: string; changed: boolean; msg: string } {
  const state = a.state ?? "present";
  const exclusive = a.exclusive ?? true;
  const allowNoValue = a.allow_no_value ?? false;
  const option = optionOf(a);
  const fmt = (o: string, v: string) => (a.no_extra_spaces ? `${o}=${v}\n` : `${o} = ${v}\n`);
  const values: string[] = [];
  for (const v of a.value !== undefined ? [a.value] : (a.values ?? [])) if (!values.includes(v)) values.push(v);
  const conds = (a.section_has_values ?? []).map((c) => ({ option: c.option, values: c.value !== undefined ? [c.value] : (c.values ?? []) }));

  let lines = readLines(text ?? "");
  let changed = false;
  if (lines.length === 0) lines.push("\n");
  if (!lines[lines.length - 1]!.endsWith("\n")) {
    lines[lines.length - 1] += "\n";
    changed = true;
  }
  lines.unshift(`[${FAKE}]`);
  lines.push("[");
  const section = a.section ? a.section : FAKE;
  const sectionRe = new RegExp(`^\\[\\s*${esc(section.trim())}\\s*]`);
  const hasValues = (sl: string[]) =>
    conds.every((c) =>
      sl.some((l) => {
        const m = matchOpt(c.option, l, true);
        return m !== null && (c.values.length === 0 || c.values.includes(m[8]!));
      }),
    );

  let within = false;
  let start = 0;
  let end = 0;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (within && line.startsWith("[")) {
      if (hasValues(lines.slice(start, i))) {
        end = i;
        break;
      }
      within = false;
      start = end = 0;
    }
    if (sectionRe.test(line)) {
      within = true;
      start = i;
    }
  }
  const before = lines.slice(0, start);
  let sec = lines.slice(start, end);
  const after = lines.slice(end);
  const touched: boolean[] = sec.map(() => false);
  let msg = "OK";
  let noValuePresent = false;
  const inactive = a.modify_inactive_option ?? true;
  const match = (l: string) => (option === undefined ? null : matchOpt(option, l, inactive));

  const update = (i: number, newline: string) => {
    let differs: boolean | undefined;
    if (a.ignore_spaces) {
      const old = matchOpt(option!, sec[i]!, true);
      if (old && !old[2]) differs = old[8] !== matchOpt(option!, newline, true)?.[8];
    }
    if (differs === undefined) differs = sec[i] !== newline;
    if (differs) {
      sec[i] = newline;
      changed = true;
      msg = "option changed";
    }
    touched[i] = true;
  };

  if (state === "present" && option) {
    // 1. lines whose value is one of the wanted values
    for (let i = 0; i < sec.length; i++) {
      const m = match(sec[i]!);
      if (!m) continue;
      if (values.length && values.includes(m[8]!)) {
        const v = m[8]!;
        if (!v && allowNoValue) {
          update(i, `${option}\n`);
          noValuePresent = true;
        } else update(i, fmt(option, v));
        values.splice(values.indexOf(v), 1);
      } else if (!values.length && allowNoValue) {
        update(i, `${option}\n`);
        noValuePresent = true;
        break;
      }
    }
  }
  if (state === "present" && exclusive && !allowNoValue) {
    // 2. other lines of the option take the remaining values; 3. the rest is removed
    if (values.length) {
      for (let i = 0; i < sec.length; i++) {
        if (touched[i] || !match(sec[i]!)) continue;
        update(i, fmt(option!, values.shift()!));
        if (!values.length) break;
      }
    }
    for (let i = sec.length - 1; i > 0; i--) {
      if (!touched[i] && match(sec[i]!)) {
        sec.splice(i, 1);
        touched.splice(i, 1);
        changed = true;
        msg = "option changed";
      }
    }
  }
  if (state === "present") {
    // 4. missing lines go after the section's last line that is neither blank nor a comment
    const blankOrComment = /^[ \t]*([#;].*)?\n?$/;
    for (let i = sec.length; i > 0; i--) {
      if (blankOrComment.test(sec[i - 1]!)) continue;
      if (option && values.length) {
        for (const v of [...values].reverse()) sec.splice(i, 0, fmt(option, v));
        msg = "option added";
        changed = true;
      } else if (option && !values.length && allowNoValue && !noValuePresent) {
        sec.splice(i, 0, `${option}\n`);
        msg = "option added";
        changed = true;
      }
      break;
    }
  }
  if (state === "absent") {
    if (option) {
      const active = (l: string) => matchOpt(option, l, false);
      const keep = exclusive ? sec.filter((l) => !active(l)) : values.length ? sec.filter((l) => !(active(l) && values.includes(active(l)![8]!))) : sec;
      if (keep.length !== sec.length) {
        sec = keep;
        changed = true;
        msg = "option changed";
      }
    } else if (sec.length) {
      sec = [];
      msg = "section removed";
      changed = true;
    }
  }

  lines = [...before, ...sec, ...after];
  lines.shift();
  lines.pop();
  if (!within && state === "present") {
    lines.push(`[${section}]\n`);
    msg = "section and option added";
    for (const c of conds) {
      if (c.option !== option) {
        if (c.values.length) for (const v of c.values) lines.push(fmt(c.option, v));
        else if (allowNoValue) lines.push(`${c.option}\n`);
      } else if (!exclusive) {
        for (const v of c.values) if (!values.includes(v)) values.push(v);
      }
    }
    if (option && values.length) for (const v of values) lines.push(fmt(option, v));
    else if (option && !values.length && allowNoValue) lines.push(`${option}\n`);
    else msg = "only section added";
    changed = true;
  }
  return { text: lines.join(""), changed, msg };
}
