// hardening.pamd — community.general.pamd: edit one rule of a PAM service file (/etc/pam.d/NAME)
// found by its type, control and module path: update it, insert a rule before or after it, add or
// remove module arguments, or remove it. The edit is pure (editPamd) and follows pamd.py: every
// matching rule is edited; on a change the rules are written as Ansible writes them (type padded to
// 11 columns, then control, path and arguments), comments, blank and @include lines unchanged.
//
// A PAM service can lock everyone out, so: the probe lists the PAM modules installed on the host
// and diff refuses a result naming a module that is not there; apply runs under the guard of
// modules/hardening/pam_guard.ts (saved file, dead-man timer, proof of a new SSH login and of
// become), which restores the file when anything fails.
import { defineModule, type Change } from "../../engine/core/module.js";
import { ArgError, ModuleError } from "../../engine/core/errors.js";
import { refuseLineBreaksIn } from "../../engine/core/lines.js";
import { parseRecords } from "../../engine/core/record.js";
import { fileOf, outLines, snip } from "../../engine/core/snippets.js";
import { shq } from "../../engine/core/shell.js";
import { guardedPamChange } from "./pam_guard.js";

const TYPES = ["account", "-account", "auth", "-auth", "password", "-password", "session", "-session"];

export interface PamdArgs {
  name: string;
  type: string;
  control: string;
  module_path: string;
  new_type?: string;
  new_control?: string;
  new_module_path?: string;
  module_arguments?: string[] | string;
  state?: "updated" | "before" | "after" | "args_present" | "args_absent" | "absent";
  path?: string;
  backup?: boolean;
  deadman_seconds?: number;
}

export interface PamdState {
  exists: boolean;
  text: string;
  /** Base names of the PAM modules installed (pam_unix.so…). */
  installed: string[];
  /** Absolute module paths the task names that exist on the host. */
  present: string[];
}

export interface Rule {
  type: string;
  control: string;
  path: string;
  args: string[];
}

type Line = { rule: Rule; raw: string; edited?: boolean } | { raw: string };

export default defineModule<PamdArgs, PamdState, { text: string }>({
  name: "hardening.pamd",
  aliases: ["pamd", "community.general.pamd"],
  description:
    "Edit a rule of a PAM service file (/etc/pam.d/NAME) as community.general.pamd does: update it, insert a rule before/after it, add or remove arguments, or remove it. Refuses a stack naming a module that is not installed; guarded by a dead-man timer, a new SSH login and become must work afterwards or the file is restored.",
  args: {
    type: "object",
    additionalProperties: false,
    required: ["name", "type", "control", "module_path"],
    properties: {
      name: { type: "string", pattern: "^[A-Za-z0-9_.+-]+$", description: "The PAM service file, e.g. sshd, common-auth, su." },
      type: { enum: TYPES, description: "The type of the rule to find." },
      control: { type: "string", minLength: 1, description: 'The control of the rule to find; a bracketed one in quotes ("[success=1 default=ignore]").' },
      module_path: { type: "string", minLength: 1, pattern: "^\\S+$", description: "The module of the rule to find (pam_unix.so or an absolute path)." },
      new_type: { enum: TYPES, description: "updated: the rule's new type; before/after: the new rule's type." },
      new_control: { type: "string", minLength: 1, description: "updated: the new control; before/after: the new rule's control." },
      new_module_path: { type: "string", minLength: 1, pattern: "^\\S+$", description: "updated: the new module; before/after: the new rule's module." },
      module_arguments: {
        type: ["array", "string"],
        items: { type: "string" },
        description: "updated: replaces the arguments; before/after: the new rule's; args_present: added (key=value updates the value); args_absent: removed.",
      },
      state: {
        enum: ["updated", "before", "after", "args_present", "args_absent", "absent"],
        default: "updated",
        description: "What to do with the matching rules. Default updated.",
      },
      path: { type: "string", pattern: "^/", default: "/etc/pam.d", description: "The directory of the service files. Default /etc/pam.d." },
      backup: { type: "boolean", default: false, description: "Keep a timestamped copy of the file beside it." },
      deadman_seconds: {
        type: "integer",
        minimum: 30,
        default: 120,
        description: "The host restores the file after this many seconds unless keel proves a new login works first.",
      },
    },
  },
  resource: (a) => `PAM service ${a.name}: ${a.type} ${a.control} ${a.module_path}`,

  validate(a) {
    refuseLineBreaksIn(a, ["control", "new_control", "module_path", "new_module_path", "module_arguments"], "the PAM service file");
    const s = a.state ?? "updated";
    if ((s === "before" || s === "after") && (!a.new_type || !a.new_control || !a.new_module_path)) {
      throw new ArgError("new_type", `state=${s} needs new_type, new_control and new_module_path (the rule to insert)`, "add the three new_* arguments");
    }
    if ((s === "args_present" || s === "args_absent") && args(a.module_arguments).length === 0)
      throw new ArgError("module_arguments", `state=${s} needs module_arguments`, "module_arguments: [ARG, …]");
    if (s === "args_present" && args(a.module_arguments).some((x) => x.startsWith("[")))
      throw new ArgError("module_arguments", "Unable to process bracketed '[' complex arguments with 'args_present'. Please use 'updated'.", "state: updated");
  },

  probe(a) {
    const mods = [a.module_path, a.new_module_path].filter((m): m is string => !!m && m.startsWith("/"));
    return {
      script: [
        snip.readFile("pamd", file(a)),
        snip.out("modules", "ls /lib/*/security /usr/lib/*/security /lib/security /usr/lib/security 2>/dev/null"),
        snip.out("present", mods.map((m) => `[ -f ${shq(m)} ] && printf '%s\\n' ${shq(m)}`).join("; ") || "true"),
      ].join("\n"),
      parse(stdout) {
        const recs = parseRecords(stdout);
        const f = fileOf(recs, "pamd");
        if (f.exists && f.type !== "file") throw new ModuleError(`${file(a)} is not a regular file`);
        if (f.exists && f.content === undefined) throw new ModuleError(`cannot read ${file(a)} (try become: true)`);
        return {
          exists: f.exists,
          text: f.content?.toString("utf8") ?? "",
          installed: outLines(recs, "modules").filter((l) => l.endsWith(".so")),
          present: outLines(recs, "present"),
        };
      },
    };
  },

  diff(st, a) {
    if (!st.exists) throw new ModuleError(`${file(a)} does not exist`);
    const r = editPamd(st.text, a);
    if (!r.changes) return [];
    // Refuse, before anything is written, a stack that names a module the host does not have.
    const lost = parsePamd(r.text)
      .flatMap((l) => ("rule" in l && !l.rule.type.startsWith("-") ? [l.rule.path] : []))
      .filter((m) => (m.startsWith("/") ? !st.present.includes(m) && !st.installed.includes(m.slice(m.lastIndexOf("/") + 1)) : !st.installed.includes(m)));
    const fresh = [...new Set(lost)].filter((m) => !parsePamd(st.text).some((l) => "rule" in l && l.rule.path === m));
    if (fresh.length)
      throw new ModuleError(`refusing to edit ${file(a)}: the new stack names PAM modules that are not installed on the host: ${fresh.join(", ")}`);
    return [
      { summary: `${file(a)}: ${r.what}`, field: "rules", diff: { path: file(a), before: st.text, after: r.text }, data: { text: r.text } },
    ] satisfies Change<{ text: string }>[];
  },

  explain(_st, a) {
    return `${file(a)} already ${explainState(a)}`;
  },

  async apply(host, a, changes, st) {
    const path = file(a);
    const text = changes[0]!.data!.text;
    let backup: string | undefined;
    const proof = await guardedPamChange(
      host,
      [{ path, exists: true, text: st.text, saveAs: a.name }],
      { deadmanSeconds: a.deadman_seconds ?? 120, stackFiles: shq(path) },
      async () => {
        backup = (await host.writeFile(path, text, a.backup ? { backup: true } : {})).backup;
        return undefined;
      },
    );
    return { msg: `${changes[0]!.summary}; ${proof}; become works`, ...(backup ? { backup_file: backup } : {}) };
  },
});

function file(a: PamdArgs): string {
  return `${(a.path ?? "/etc/pam.d").replace(/\/+$/, "")}/${a.name}`;
}

function explainState(a: PamdArgs): string {
  switch (a.state ?? "updated") {
    case "absent":
      return `has no ${a.type} ${a.control} ${a.module_path} rule`;
    case "before":
    case "after":
      return `has ${a.new_type} ${a.new_control} ${a.new_module_path} ${a.state} each ${a.module_path} rule`;
    default:
      return `has the ${a.type} ${a.module_path} rules as wanted`;
  }
}

/** module_arguments as a list: a string is split on white space, brackets kept together. */
export function args(v: string[] | string | undefined): string[] {
  if (v === undefined) return [];
  return Array.isArray(v) ? v.flatMap(splitArgs) : splitArgs(v);
}

/** Arguments of a rule: words, with "[…]" (which may hold spaces) as one. */
export function splitArgs(s: string): string[] {
  const out: string[] = [];
  const re = /\[[^\]]*\]|\S+/g;
  for (let m = re.exec(s); m; m = re.exec(s)) out.push(m[0]);
  return out;
}

/** pamd.py's normalisation of a bracketed control: "[ a = b  c=d ]" → "[a=b c=d]". */
export function normControl(c: string): string {
  const t = c.trim();
  if (!t.startsWith("[")) return t;
  return `[${t
    .slice(1, -1)
    .replace(/\s*=\s*/g, "=")
    .trim()
    .split(/\s+/)
    .join(" ")}]`;
}

const RULE = /^\s*(-?(?:account|auth|password|session))\s+(\[[^\]]*\]|\S+)\s+(\S+)\s*(.*?)\s*$/;

export function parsePamd(text: string): Line[] {
  const lines = text.split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  return lines.map((raw) => {
    const m = RULE.exec(raw);
    if (!m || raw.trim().startsWith("#")) return { raw };
    return { raw, rule: { type: m[1]!, control: normControl(m[2]!), path: m[3]!, args: splitArgs(m[4]!) } };
  });
}

/** PamdRule.__str__: the type padded to 11 columns. */
export function renderRule(r: Rule): string {
  return `${r.type.padEnd(11)}${r.control} ${r.path}${r.args.length ? ` ${r.args.join(" ")}` : ""}`;
}

/** Pure: pamd.py's edit. On a change, every rule line is rendered as Ansible renders it. */
export function editPamd(text: string, a: PamdArgs): { text: string; changes: number; what: string } {
  const lines = parsePamd(text);
  const control = normControl(a.control);
  const matches = (l: Line): l is Extract<Line, { rule: Rule }> =>
    "rule" in l && l.rule.type === a.type && l.rule.control === control && l.rule.path === a.module_path;
  const want = args(a.module_arguments);
  const state = a.state ?? "updated";
  let changes = 0;
  const out: Line[] = [];
  const newRule = (): Line => ({ raw: "", rule: { type: a.new_type!, control: normControl(a.new_control!), path: a.new_module_path!, args: [...want] } });
  const isNew = (l: Line | undefined) =>
    !!l && "rule" in l && l.rule.type === a.new_type && l.rule.control === normControl(a.new_control ?? "") && l.rule.path === a.new_module_path;
  const ruleAt = (i: number, step: number): Line | undefined => {
    for (let j = i + step; j >= 0 && j < lines.length; j += step) if ("rule" in lines[j]!) return lines[j];
    return undefined;
  };
  lines.forEach((l, i) => {
    if (!matches(l)) return void out.push(l);
    const r = l.rule;
    if (state === "absent") return void changes++;
    if (state === "before") {
      if (!isNew(ruleAt(i, -1))) {
        out.push(newRule());
        changes++;
      }
      return void out.push(l);
    }
    if (state === "after") {
      out.push(l);
      if (!isNew(ruleAt(i, 1))) {
        out.push(newRule());
        changes++;
      }
      return;
    }
    const e: Rule = { ...r, args: [...r.args] };
    if (state === "updated") {
      if (a.new_type) e.type = a.new_type;
      if (a.new_control) e.control = normControl(a.new_control);
      if (a.new_module_path) e.path = a.new_module_path;
      if (a.module_arguments !== undefined) e.args = want;
    } else if (state === "args_present") {
      for (const x of want) {
        const k = x.includes("=") ? x.slice(0, x.indexOf("=")) : undefined;
        const at = k === undefined ? e.args.indexOf(x) : e.args.findIndex((y) => y.startsWith(`${k}=`));
        if (at < 0) e.args.push(x);
        else if (k !== undefined) e.args[at] = x;
      }
    } else if (state === "args_absent") {
      e.args = e.args.filter((x) => !want.includes(x));
    }
    const changed = renderRule(e) !== renderRule(r);
    if (changed) changes++;
    out.push({ raw: l.raw, rule: e, edited: changed });
  });
  if (!changes) return { text, changes: 0, what: "" };
  const rendered = out.map((l) => ("rule" in l ? renderRule(l.rule) : l.raw));
  const what = {
    absent: `remove ${changes} ${a.type} ${a.control} ${a.module_path} rule(s)`,
    before: `insert ${a.new_type} ${a.new_control} ${a.new_module_path} before ${a.module_path}`,
    after: `insert ${a.new_type} ${a.new_control} ${a.new_module_path} after ${a.module_path}`,
    updated: `update ${a.type} ${a.control} ${a.module_path}`,
    args_present: `add arguments ${want.join(" ")} to ${a.module_path}`,
    args_absent: `remove arguments ${want.join(" ")} from ${a.module_path}`,
  }[state];
  return { text: `${rendered.join("\n")}\n`, changes, what };
}
