// system.setup — Ansible's `setup`: gathers the host's facts with keel's ONE facts probe
// (engine/facts) and returns them as `ansible_facts` (ansible_* names), which become host
// variables as in Ansible. `filter` keeps the facts whose name matches one of the shell-style
// patterns; `gather_subset` takes Ansible's subset names and selects Ansible's fact collectors
// (engine/facts/subsets.ts): the probe runs only the parts those need, and the result holds exactly the
// facts of those collectors, so a narrow `setup` never overwrites other gathered facts. Read-only.
import { defineModule } from "../../engine/core/module.js";
import { InputError, InternalError, ModuleError } from "../../engine/core/errors.js";
import { EMPTY_FACTS, type Facts } from "../../engine/core/facts.js";
import { ansibleCollectors, ansibleFactVars, collectorOf, factsProbeFor, GATHER_SUBSETS, probeSubsets } from "../../engine/facts/index.js";
import { fnmatch } from "../../engine/core/fnmatch.js";
import { refuseLineBreaksIn } from "../../engine/core/lines.js";

export interface SetupArgs {
  gather_subset?: string | string[];
  filter?: string | string[];
  gather_timeout?: number;
  fact_path?: string;
}

/** The facts; `local` (ansible_local) read from fact_path by the same probe, absent when the local collector is not selected. */
type SetupState = Facts;

/** The interpreter the host's facts name when it was given (ansible_python_interpreter), not discovered. */
const given = (f: Facts | undefined): string | undefined => {
  // not gathered yet: the inventory's interpreter (engine/facts factsBeforeGathering)
  if (typeof f?.python_interpreter === "string") return f.python_interpreter;
  const py = f?.python as { executable?: unknown } | undefined;
  return f && f.discovered_interpreter_python === undefined && typeof py?.executable === "string" ? py.executable : undefined;
};

const list = (v: string | string[] | undefined): string[] =>
  v === undefined
    ? []
    : Array.isArray(v)
      ? v
      : v
          .split(",")
          .map((s) => s.trim())
          .filter(Boolean);

export default defineModule<SetupArgs, SetupState>({
  name: "system.setup",
  aliases: ["setup"],
  description: "Gather the host's facts (one probe) into ansible_facts, as Ansible's setup returns them; `filter` keeps the matching fact names. Read-only.",
  args: {
    type: "object",
    additionalProperties: false,
    properties: {
      gather_subset: {
        anyOf: [{ type: "string" }, { type: "array", items: { type: "string" } }],
        description:
          "Ansible's subsets (all, min, hardware, network, virtual, a collector such as pkg_mgr or date_time, or one of a collector's facts; !name excludes), resolved as ansible-core resolves them (min always first, required collectors added back). The result holds exactly the selected collectors' facts.",
      },
      filter: {
        anyOf: [{ type: "string" }, { type: "array", items: { type: "string" } }],
        description: "Shell-style patterns of fact names to keep (ansible_distribution*, ansible_*_mb). Default: all.",
      },
      fact_path: {
        type: "string",
        minLength: 1,
        default: "/etc/ansible/facts.d",
        description:
          "Where local facts are: each *.fact file becomes ansible_local.<name> (an executable one is run, its stdout read), read as JSON, else as an INI file (Python's ConfigParser: sections of lowercased options), else Ansible's error string. `!local` in gather_subset skips them.",
      },
      gather_timeout: {
        type: "integer",
        minimum: 1,
        description:
          "Taken as Ansible takes it on Linux: ansible-core 2.14 gives each mount's statvfs a fixed 10 s whatever gather_timeout says (hardware/linux.py reads its own module's GATHER_TIMEOUT, which nothing sets), and keel's probe does the same; a mount that does not answer gets Ansible's note.",
      },
    },
  },
  resource: () => "facts",
  produces: () => ["ansible_facts", "ansible_local", ...ansibleNames()],

  validate(a) {
    if (a.fact_path !== undefined) refuseLineBreaksIn(a, ["fact_path"], "the fact_path");
    for (const s of list(a.gather_subset)) {
      const name = s.replace(/^!/, "");
      if (!GATHER_SUBSETS.includes(name))
        throw new InputError(`unknown gather_subset '${s}'`, undefined, `use one of: all, min, hardware, network, virtual (or !name to exclude)`);
    }
  },

  // the probe gathers the sections the selected collectors need (all four: the default script)
  // the interpreter the play's facts found (or were given): setup reports the same one
  probe(a, f) {
    const sections = probeSubsets(ansibleCollectors(list(a.gather_subset)));
    const subset = sections.length === 4 ? {} : { subset: sections };
    // local facts from fact_path in the same probe (engine/facts/local.ts), once
    return factsProbeFor({
      ...subset,
      ...(given(f) ? { python: given(f) } : {}),
      local: wantsLocal(a),
      ...(a.fact_path !== undefined ? { factPath: a.fact_path } : {}),
    });
  },
  diff(st) {
    if (typeof st.local_error === "string") throw new ModuleError(`local facts: ${st.local_error}`);
    return [];
  },
  explain: () => "facts gathered",
  result: (f, a) => ({ ansible_facts: setupFacts(f, a) }),
  async apply() {
    throw new InternalError("system.setup is read-only: its diff is always empty, so apply never runs");
  },
});

/** The entries of ansible_facts that are not facts of a collector and carry no `ansible_` prefix. */
export const MARKERS = ["gather_subset", "module_setup", "discovered_interpreter_python"];

/** The ansible_* names setup sets (which names exist does not depend on the facts' values). */
function ansibleNames(): string[] {
  return Object.keys(ansibleFactVars(EMPTY_FACTS)).filter((k) => k.startsWith("ansible_"));
}

/** Local facts are gathered when the `local` collector is selected (it is in `min`). */
function wantsLocal(a: SetupArgs): boolean {
  return ansibleCollectors(list(a.gather_subset)).has("local");
}

/** Pure: the ansible_* facts of `f` (and ansible_local), filtered as Ansible's setup filters them. */
export function setupFacts(state: SetupState, a: SetupArgs): Record<string, unknown> {
  const vars = ansibleFactVars(state);
  const out: Record<string, unknown> = {};
  const af = vars.ansible_facts as Record<string, unknown>;
  const collectors = ansibleCollectors(list(a.gather_subset));
  const interfaces = Array.isArray(af.interfaces) ? (af.interfaces as string[]) : [];
  const filters = list(a.filter);
  for (const [k, v] of Object.entries(af)) {
    // only the facts of the collectors Ansible runs for this gather_subset (the setup markers always)
    // ansible_facts names local facts with their prefix (ansible.ts), as Ansible does
    const from = collectorOf(k === "ansible_local" ? "local" : k, interfaces);
    if (from !== undefined ? !collectors.has(from) : !MARKERS.includes(k)) continue;
    // as Ansible returns them: the setup markers and interpreter discovery's result carry no prefix
    const name = MARKERS.includes(k) || k === "ansible_local" ? k : `ansible_${k}`;
    if (filters.length && !filters.some((p) => fnmatch(name, p) || fnmatch(k, p))) continue;
    out[name] = v;
  }
  // Ansible's marker is the task's own list (the probe may have been asked for other sections)
  if ("gather_subset" in out) out.gather_subset = a.gather_subset === undefined ? ["all"] : list(a.gather_subset);
  return out;
}
