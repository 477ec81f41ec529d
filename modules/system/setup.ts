// system.setup — Ansible's `setup`: gathers the host's facts with keel's ONE facts probe
// (engine/facts) and returns them as `ansible_facts` (ansible_* names), which become host
// variables as in Ansible. `filter` keeps the facts whose name matches one of the shell-style
// patterns; `gather_subset` takes Ansible's subset names: the probe runs only the parts the
// subsets select (`!all,min` skips hardware, network and virtual), and `!name` of a single fact
// drops it from the result. Read-only.
import { defineModule } from "../../engine/core/module.js";
import { InputError, InternalError } from "../../engine/core/errors.js";
import { EMPTY_FACTS, type Facts } from "../../engine/core/facts.js";
import { ansibleFactVars, factsProbeFor, GATHER_SUBSETS } from "../../engine/facts/index.js";
import { fnmatch } from "../../engine/core/fnmatch.js";

export interface SetupArgs {
  gather_subset?: string | string[];
  filter?: string | string[];
  gather_timeout?: number;
  fact_path?: string;
}

/** The interpreter the host's facts name when it was given (ansible_python_interpreter), not discovered. */
const given = (f: Facts | undefined): string | undefined => {
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

export default defineModule<SetupArgs, Facts>({
  name: "system.setup",
  aliases: ["setup"],
  refusedArgs: { fact_path: "local facts (ansible_local from *.fact files) are not implemented" },
  description: "Gather the host's facts (one probe) into ansible_facts, as Ansible's setup returns them; `filter` keeps the matching fact names. Read-only.",
  args: {
    type: "object",
    additionalProperties: false,
    properties: {
      gather_subset: {
        anyOf: [{ type: "string" }, { type: "array", items: { type: "string" } }],
        description:
          "Ansible's subsets (all, min, hardware, network, virtual, or single facts; !name excludes). The probe runs only the parts the subsets select; excluded single facts are dropped from the result.",
      },
      filter: {
        anyOf: [{ type: "string" }, { type: "array", items: { type: "string" } }],
        description: "Shell-style patterns of fact names to keep (ansible_distribution*, ansible_*_mb). Default: all.",
      },
      gather_timeout: {
        type: "integer",
        minimum: 1,
        description: "Accepted for Ansible compatibility; the probe is one round trip under the run's own timeouts.",
      },
    },
  },
  resource: () => "facts",
  produces: () => ["ansible_facts", ...ansibleNames()],

  validate(a) {
    for (const s of list(a.gather_subset)) {
      const name = s.replace(/^!/, "");
      if (!GATHER_SUBSETS.includes(name))
        throw new InputError(`unknown gather_subset '${s}'`, undefined, `use one of: all, min, hardware, network, virtual (or !name to exclude)`);
    }
  },

  // the subsets the list selects are all the probe gathers (engine/facts resolveSubsets)
  // the interpreter the play's facts found (or were given): setup reports the same one
  probe: (a, f) => factsProbeFor({ subset: list(a.gather_subset), ...(given(f) ? { python: given(f) } : {}) }),
  diff: () => [],
  explain: () => "facts gathered",
  result: (f, a) => ({ ansible_facts: setupFacts(f, a) }),
  async apply() {
    throw new InternalError("system.setup is read-only: its diff is always empty, so apply never runs");
  },
});

/** The ansible_* names setup sets (which names exist does not depend on the facts' values). */
function ansibleNames(): string[] {
  return Object.keys(ansibleFactVars(EMPTY_FACTS)).filter((k) => k.startsWith("ansible_"));
}

/** Pure: the ansible_* facts of `f`, filtered as Ansible's setup filters them. */
export function setupFacts(f: Facts, a: SetupArgs): Record<string, unknown> {
  const vars = ansibleFactVars(f);
  const out: Record<string, unknown> = {};
  const af = vars.ansible_facts as Record<string, unknown>;
  const excluded = list(a.gather_subset)
    .filter((s) => s.startsWith("!"))
    .map((s) => s.slice(1));
  const filters = list(a.filter);
  for (const [k, v] of Object.entries(af)) {
    if (excluded.includes(k)) continue;
    // as Ansible returns them: the setup markers and interpreter discovery's result carry no prefix
    const name = k === "gather_subset" || k === "module_setup" || k === "discovered_interpreter_python" ? k : `ansible_${k}`;
    if (filters.length && !filters.some((p) => fnmatch(name, p) || fnmatch(k, p))) continue;
    out[name] = v;
  }
  return out;
}
