// packages.debconf — ansible.builtin.debconf: one answer of a package's debconf questions, decided
// as Ansible's module decides: the probe reads `debconf-show NAME` (read-only); the question is
// changed when it is not listed or its value differs (booleans compared in lower case; a password,
// which debconf-show never prints, differs on every run, as in Ansible); apply feeds
// "NAME QUESTION VTYPE VALUE" to debconf-set-selections [-u]. Registers msg, current and previous
// as Ansible does (without a question: current is every selection of the package).
import { defineModule } from "../../engine/core/module.js";
import { ArgError, ModuleError } from "../../engine/core/errors.js";
import { refuseLineBreaksIn } from "../../engine/core/lines.js";
import { parseRecords } from "../../engine/core/record.js";
import { cmdOf, snip } from "../../engine/core/snippets.js";
import { shq } from "../../engine/core/shell.js";

const VTYPES = ["boolean", "error", "multiselect", "note", "password", "seen", "select", "string", "text", "title"] as const;

export interface DebconfArgs {
  name: string;
  question?: string;
  vtype?: (typeof VTYPES)[number];
  value?: string | boolean | number;
  unseen?: boolean;
}

export interface DebconfState {
  found: boolean;
  hostPath: string;
  /** debconf-show's selections, question → value. */
  selections: Record<string, string>;
}

export type DebconfOp = { op: "set"; value: string };

export default defineModule<DebconfArgs, DebconfState, DebconfOp>({
  name: "packages.debconf",
  aliases: ["debconf"],
  description:
    "Ensure one debconf answer of a package (debconf-set-selections), compared with what debconf-show lists, as Ansible's debconf module; without a question, read the package's selections.",
  argAliases: { pkg: "name", selection: "question", setting: "question", answer: "value" },
  args: {
    type: "object",
    additionalProperties: false,
    required: ["name"],
    properties: {
      name: { type: "string", minLength: 1, description: "The package whose debconf questions are read and set. Alias pkg." },
      question: { type: "string", minLength: 1, description: "The question (e.g. postfix/main_mailer_type). Aliases selection, setting." },
      vtype: { enum: [...VTYPES], description: "The answer's type, as debconf-set-selections takes it." },
      value: { type: ["string", "boolean", "number"], description: "The answer (a boolean as true/false). Alias answer." },
      unseen: { type: "boolean", default: false, description: "Do not mark the question as seen (debconf-set-selections -u)." },
    },
  },
  resource: (a) => `debconf ${a.name}${a.question ? ` ${a.question}` : ""}`,

  validate(a) {
    const set = [a.question, a.vtype, a.value].filter((x) => x !== undefined).length;
    if (set !== 0 && set !== 3) throw new ArgError("question", "parameters are required together: question, vtype, value", "give question, vtype and value");
    // Each becomes a word of the one line debconf-set-selections reads.
    refuseLineBreaksIn({ ...a, value: a.value === undefined ? undefined : pyStr(a.value) }, ["name", "question", "value"], "the debconf-set-selections input");
  },

  probe(a) {
    return {
      script: [
        snip.begin("debconf"),
        snip.field("path", '"$PATH"'),
        `if command -v debconf-show >/dev/null 2>&1; then printf 'found=1\\n'`,
        snip.cmd("show", `debconf-show ${shq(a.name)}`),
        "fi",
      ].join("\n"),
      parse(stdout) {
        const recs = parseRecords(stdout);
        const r = recs.find((x) => x.kind === "debconf");
        if (!r) throw new ModuleError(`unexpected probe output: ${JSON.stringify(stdout.slice(0, 200))}`);
        const st: DebconfState = { found: r.get("found") === "1", hostPath: r.get("path") ?? "", selections: {} };
        const show = cmdOf(recs, "show");
        if (show) {
          if (show.rc !== 0) throw new ModuleError(show.err);
          st.selections = parseShow(show.out);
        }
        return st;
      },
    };
  },

  diff(st, a) {
    if (!st.found) throw new ModuleError(`Failed to find required executable "debconf-show" in paths: ${st.hostPath}`);
    const want = wanted(a);
    if (a.question === undefined || want === undefined || !differs(st, a)) return [];
    const have = st.selections[a.question];
    return [
      {
        summary: `${a.name} ${a.question}: ${have === undefined ? "not set" : a.vtype === "password" ? "(a password)" : JSON.stringify(have)} → ${a.vtype === "password" ? "(the password)" : JSON.stringify(want)}`,
        field: a.question,
        before: a.vtype === "password" ? undefined : (have ?? ""),
        after: a.vtype === "password" ? undefined : want,
        data: { op: "set", value: want },
      },
    ];
  },

  explain(st, a) {
    return a.question
      ? `${a.name} ${a.question} is ${a.vtype === "password" ? "set" : JSON.stringify(st.selections[a.question])}`
      : `${a.name}'s selections read`;
  },

  result(st, a) {
    const want = wanted(a);
    if (a.question === undefined || want === undefined || !differs(st, a)) return { msg: "", current: st.selections };
    const value = a.vtype === "boolean" ? want.toLowerCase() : want;
    return { msg: "", current: { [a.question]: value }, previous: { [a.question]: st.selections[a.question] ?? "" } };
  },

  async apply(host, a, changes) {
    const c = changes[0]?.data;
    if (!c) return;
    // Ansible's set_selection: "True"/"False" as true/false for a boolean; run_command adds the newline.
    const value = a.vtype === "boolean" && (c.value === "True" || c.value === "False") ? c.value.toLowerCase() : c.value;
    const r = await host.run(`debconf-set-selections${a.unseen ? " -u" : ""}`, { stdin: `${[a.name, a.question, a.vtype, value].join(" ")}\n`, check: false });
    if (r.rc !== 0) return { failed: r.stderr, msg: r.stderr };
    return { msg: r.stdout };
  },
});

/** Python's str() of a YAML scalar, as Ansible's type='str' makes it (True, 1, 1.5). */
function pyStr(v: string | boolean | number): string {
  return typeof v === "boolean" ? (v ? "True" : "False") : String(v);
}

function wanted(a: DebconfArgs): string | undefined {
  return a.value === undefined ? undefined : pyStr(a.value);
}

function differs(st: DebconfState, a: DebconfArgs): boolean {
  const have = st.selections[a.question!];
  if (have === undefined) return true;
  const want = wanted(a)!;
  return a.vtype === "boolean" ? want.toLowerCase() !== have.toLowerCase() : want !== have;
}

/** Ansible's get_selections: "* question: value" lines, the key stripped of * and spaces. */
export function parseShow(out: string): Record<string, string> {
  const sel: Record<string, string> = {};
  for (const line of out.split(/\r?\n/)) {
    if (line === "") continue;
    const i = line.indexOf(":");
    if (i < 0) throw new ModuleError(`debconf-show printed a line without ':': ${JSON.stringify(line)}`);
    sel[
      line
        .slice(0, i)
        .replace(/^\*+|\*+$/g, "")
        .trim()
    ] = line.slice(i + 1).trim();
  }
  return sel;
}
