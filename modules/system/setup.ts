// system.setup — Ansible's `setup`: gathers the host's facts with keel's ONE facts probe
// (engine/facts) and returns them as `ansible_facts` (ansible_* names), which become host
// variables as in Ansible. `filter` keeps the facts whose name matches one of the shell-style
// patterns; `gather_subset` is accepted with Ansible's subset names (keel's probe is one round
// trip, so every subset is gathered and `!name` exclusions only filter the result). Read-only.
import { defineModule } from "../../engine/core/module.js";
import { InputError, InternalError } from "../../engine/core/errors.js";
import type { Facts } from "../../engine/core/facts.js";
import { ansibleFactVars, factsProbe } from "../../engine/facts/index.js";
import { fnmatch } from "../../engine/core/fnmatch.js";

export interface SetupArgs {
  gather_subset?: string | string[];
  filter?: string | string[];
  gather_timeout?: number;
  fact_path?: string;
}

const SUBSETS = [
  "all",
  "min",
  "hardware",
  "network",
  "virtual",
  "ohai",
  "facter",
  "all_ipv4_addresses",
  "all_ipv6_addresses",
  "apparmor",
  "caps",
  "cmdline",
  "date_time",
  "default_ipv4",
  "default_ipv6",
  "devices",
  "distribution",
  "distribution_major_version",
  "distribution_release",
  "distribution_version",
  "dns",
  "effective_group_ids",
  "effective_user_id",
  "env",
  "fips",
  "hardware",
  "interfaces",
  "is_chroot",
  "iscsi",
  "kernel",
  "local",
  "lsb",
  "machine",
  "machine_id",
  "mounts",
  "network",
  "ohai",
  "os_family",
  "pkg_mgr",
  "platform",
  "processor",
  "processor_cores",
  "processor_count",
  "python",
  "python_version",
  "real_user_id",
  "selinux",
  "service_mgr",
  "ssh_host_key_dsa_public",
  "ssh_host_key_ecdsa_public",
  "ssh_host_key_ed25519_public",
  "ssh_host_key_rsa_public",
  "ssh_host_pub_keys",
  "ssh_pub_keys",
  "system",
  "system_capabilities",
  "system_capabilities_enforced",
  "user",
  "user_dir",
  "user_gecos",
  "user_gid",
  "user_id",
  "user_shell",
  "user_uid",
  "virtual",
  "virtualization_role",
  "virtualization_type",
];

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
  description: "Gather the host's facts (one probe) into ansible_facts, as Ansible's setup returns them; `filter` keeps the matching fact names. Read-only.",
  args: {
    type: "object",
    additionalProperties: false,
    properties: {
      gather_subset: {
        anyOf: [{ type: "string" }, { type: "array", items: { type: "string" } }],
        description:
          "Ansible's subsets (all, min, hardware, network, virtual, or single facts; !name excludes). keel's one probe gathers everything; exclusions filter the result.",
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
      if (!SUBSETS.includes(name))
        throw new InputError(`unknown gather_subset '${s}'`, undefined, `use one of: all, min, hardware, network, virtual (or !name to exclude)`);
    }
  },

  probe: () => factsProbe,
  diff: () => [],
  explain: () => "facts gathered",
  result: (f, a) => ({ ansible_facts: setupFacts(f, a) }),
  async apply() {
    throw new InternalError("system.setup is read-only: its diff is always empty, so apply never runs");
  },
});

function ansibleNames(): string[] {
  return Object.keys(
    ansibleFactVars({
      os_id: "",
      os_version: "",
      os_family: "",
      os_pretty: "",
      kernel: "",
      arch: "",
      hostname: "",
      pkg_mgr: "unknown",
      init: "unknown",
      cpus: 0,
      memory_mb: 0,
      ipv4: "",
      user: "",
    }),
  ).filter((k) => k.startsWith("ansible_"));
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
    const name = `ansible_${k}`;
    if (filters.length && !filters.some((p) => fnmatch(name, p) || fnmatch(k, p))) continue;
    out[name] = v;
  }
  return out;
}
