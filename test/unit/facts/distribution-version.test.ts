// ansible_distribution_version on Debian: Ansible takes distro.version(best=True), and which distro
// it runs decides the answer: its bundled 1.6 gives os-release's "12"; a system python3-distro
// (1.7 and later), which Ansible prefers, also reads /etc/debian_version and gives "12.11". keel
// read "12" everywhere. On this machine, keel's probe run by sh must give what ansible-core's own
// get_distribution_version() gives (skipped without ansible-core).
import { execFileSync, spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { EMPTY_FACTS } from "../../../engine/core/facts.js";
import { ansibleFactVars, distributionVersion } from "../../../engine/facts/ansible.js";
import { factsScript, parseFacts } from "../../../engine/facts/probe.js";

const debian = { ...EMPTY_FACTS, os_id: "debian", os_family: "debian", os_version: "12", os_version_full: "12.11" };

describe("distribution_version", () => {
  it("Debian: the point release only with a system distro package of 1.7 or later", () => {
    expect(distributionVersion(debian, "12.11")).toBe("12");
    expect(distributionVersion({ ...debian, python_distro_version: "1.6.0" }, "12.11")).toBe("12");
    expect(distributionVersion({ ...debian, python_distro_version: "1.7.0" }, "12.11")).toBe("12.11");
    expect(distributionVersion({ ...debian, python_distro_version: "1.8.0" }, "12.11")).toBe("12.11");
    expect(distributionVersion({ ...debian, python_distro_version: "1.8.0", os_version_full: undefined }, "12")).toBe("12");
    expect(distributionVersion({ ...debian, os_family: "redhat", python_distro_version: "1.8.0" }, "12.11")).toBe("12");
    expect(ansibleFactVars({ ...debian, python_distro_version: "1.8.0" }).ansible_distribution_version).toBe("12.11");
    expect(ansibleFactVars({ ...debian, python_distro_version: "1.8.0" }).ansible_distribution_minor_version).toBe("11");
  });

  const py = spawnSync("/usr/bin/python3", ["-c", "import ansible.module_utils.common.sys_info"], { stdio: "ignore" }).status === 0;
  it.skipIf(!py)("keel's probe on this machine gives ansible-core's get_distribution_version()", () => {
    const want = execFileSync("/usr/bin/python3", ["-c", "from ansible.module_utils.common.sys_info import get_distribution_version as v; print(v())"], {
      encoding: "utf8",
    }).trim();
    const f = parseFacts(execFileSync("/bin/sh", ["-c", factsScript({ subset: ["!all"] })], { encoding: "utf8" }));
    expect(ansibleFactVars(f).ansible_distribution_version).toBe(want);
  });
});
