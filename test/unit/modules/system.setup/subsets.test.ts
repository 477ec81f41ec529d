// setup's gather_subset: which Ansible collectors a list selects (compared with ansible-core's own
// collector_classes_from_gather_subset when it is installed, and fixed expectations that always
// run), and that the result holds only those collectors' facts. Before, a narrow setup
// (`gather_subset: [!all, !min, network]`) returned ansible_distribution "Unknown", ansible_pkg_mgr
// "unknown" and an empty ansible_hostname, overwriting the facts the play had gathered.
import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import setup, { setupFacts } from "../../../../modules/system/setup.js";
import { ansibleCollectors, collectorOf, probeSubsets } from "../../../../engine/facts/subsets.js";
import { ansibleFactVars } from "../../../../engine/facts/index.js";
import { EMPTY_FACTS } from "../../../../engine/core/facts.js";
import { BASE_FACTS } from "../harness.js";

const CASES: [string[], string[]][] = [
  [
    [],
    [
      "apparmor",
      "caps",
      "chroot",
      "cmdline",
      "date_time",
      "distribution",
      "dns",
      "env",
      "facter",
      "fibre_channel_wwn",
      "fips",
      "hardware",
      "iscsi",
      "loadavg",
      "local",
      "lsb",
      "network",
      "nvme",
      "ohai",
      "pkg_mgr",
      "platform",
      "python",
      "selinux",
      "service_mgr",
      "ssh_pub_keys",
      "user",
      "virtual",
    ],
  ],
  [
    ["!all"],
    [
      "apparmor",
      "caps",
      "cmdline",
      "date_time",
      "distribution",
      "dns",
      "env",
      "fips",
      "local",
      "lsb",
      "pkg_mgr",
      "platform",
      "python",
      "selinux",
      "service_mgr",
      "ssh_pub_keys",
      "user",
    ],
  ],
  [["!all", "!min"], []],
  [
    ["!all", "!min", "pkg_mgr"],
    ["distribution", "pkg_mgr"],
  ],
  [["!all", "!min", "distribution_version"], ["distribution"]],
  [
    ["network", "!min"],
    ["distribution", "network", "platform"],
  ],
  [["!all", "!min", "virtual"], ["virtual"]],
  // only exclusions: min without them (not "all but them")
  [
    ["!hardware"],
    [
      "apparmor",
      "caps",
      "cmdline",
      "date_time",
      "distribution",
      "dns",
      "env",
      "fips",
      "local",
      "lsb",
      "pkg_mgr",
      "platform",
      "python",
      "selinux",
      "service_mgr",
      "ssh_pub_keys",
      "user",
    ],
  ],
  [
    ["!date_time", "!local"],
    [
      "apparmor",
      "caps",
      "cmdline",
      "distribution",
      "dns",
      "env",
      "fips",
      "lsb",
      "pkg_mgr",
      "platform",
      "python",
      "selinux",
      "service_mgr",
      "ssh_pub_keys",
      "user",
    ],
  ],
  // a required collector comes back even when excluded
  [
    ["all", "!distribution", "!hardware"],
    [
      "apparmor",
      "caps",
      "chroot",
      "cmdline",
      "date_time",
      "distribution",
      "dns",
      "env",
      "facter",
      "fibre_channel_wwn",
      "fips",
      "iscsi",
      "loadavg",
      "local",
      "lsb",
      "network",
      "nvme",
      "ohai",
      "pkg_mgr",
      "platform",
      "python",
      "selinux",
      "service_mgr",
      "ssh_pub_keys",
      "user",
      "virtual",
    ],
  ],
];

const py = (() => {
  try {
    execFileSync("/usr/bin/python3", ["-c", "import ansible.module_utils.facts.collector"], { stdio: "ignore" });
    return "/usr/bin/python3";
  } catch {
    return undefined;
  }
})();

describe("setup gather_subset → Ansible's collectors", () => {
  it.each(CASES)("%j", (subset, expected) => {
    expect([...ansibleCollectors(subset)].sort()).toEqual(expected);
  });

  it.skipIf(!py)("equals ansible-core's collector_classes_from_gather_subset for every case", () => {
    const script = [
      "import json, sys",
      "from ansible.module_utils.facts import default_collectors as d",
      "from ansible.module_utils.facts.collector import collector_classes_from_gather_subset",
      "MIN = frozenset(['apparmor','caps','cmdline','date_time','distribution','dns','env','fips','local','lsb','pkg_mgr','platform','python','selinux','service_mgr','ssh_pub_keys','user'])",
      "out = []",
      "for gs in json.loads(sys.argv[1]):",
      "    cs = collector_classes_from_gather_subset(all_collector_classes=d.collectors, minimal_gather_subset=MIN, gather_subset=gs or ['all'], platform_info={'system': 'Linux'})",
      "    out.append(sorted(set(c.name for c in cs)))",
      "print(json.dumps(out))",
    ].join("\n");
    const theirs = JSON.parse(execFileSync(py!, ["-c", script, JSON.stringify(CASES.map((c) => c[0]))], { encoding: "utf8" })) as string[][];
    expect(CASES.map((c) => [...ansibleCollectors(c[0])].sort())).toEqual(theirs);
  });

  it("every fact keel gathers belongs to a collector (a new fact must be placed in engine/facts/subsets.ts)", () => {
    const af = ansibleFactVars(EMPTY_FACTS).ansible_facts as Record<string, unknown>;
    expect(Object.keys(af).filter((k) => collectorOf(k, []) === undefined)).toEqual(["gather_subset", "module_setup"]);
  });

  it("the probe runs keel's min section only when a collector in it is selected", () => {
    expect(probeSubsets(ansibleCollectors(["!all", "!min", "virtual"]))).toEqual(["!all", "!min", "virtual"]);
    expect(probeSubsets(ansibleCollectors(["!all", "!min", "pkg_mgr"]))).toEqual(["!all"]);
    expect(probeSubsets(ansibleCollectors(["!all", "network"]))).toEqual(["!all", "network"]);
    expect(probeSubsets(ansibleCollectors([]))).toEqual(["!all", "hardware", "network", "virtual"]);
    expect(setup.probe({ gather_subset: ["!all", "!min", "date_time"] }, BASE_FACTS).script).not.toContain("@localfacts");
  });
});

describe("setup returns only the selected collectors' facts", () => {
  const facts = { ...BASE_FACTS, interfaces: ["eth0", "lo"], date_time: { epoch: "1796295727" } };
  it("!all,!min,date_time: ansible_date_time and the markers, nothing that would overwrite other facts", () => {
    expect(Object.keys(setupFacts(facts, { gather_subset: ["!all", "!min", "date_time"] })).sort()).toEqual([
      "ansible_date_time",
      "gather_subset",
      "module_setup",
    ]);
  });
  it("!all,!min,network: network and the platform and distribution facts it requires", () => {
    const out = setupFacts(facts, { gather_subset: ["!all", "!min", "network"] });
    expect(out.ansible_distribution).toBe("Debian");
    expect(out.ansible_pkg_mgr).toBeUndefined();
    expect(out.ansible_user_id).toBeUndefined();
    expect(out.ansible_date_time).toBeUndefined();
    expect(out.ansible_interfaces).toBeDefined();
  });
  it("gather_subset in the result is the task's list, as Ansible's module params", () => {
    expect(setupFacts(facts, { gather_subset: "!all,!min,pkg_mgr" }).gather_subset).toEqual(["!all", "!min", "pkg_mgr"]);
    expect(setupFacts(facts, {}).gather_subset).toEqual(["all"]);
  });
  it("!date_time drops the date_time collector; a fact id (!distribution_version) does not drop its collector", () => {
    expect(setupFacts(facts, { gather_subset: ["!date_time"] }).ansible_date_time).toBeUndefined();
    expect(setupFacts(facts, { gather_subset: ["all", "!distribution_version"] }).ansible_distribution_version).toBe("12");
  });
});
