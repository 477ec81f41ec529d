// The facts of engine/facts/more.ts (python, lsb, selinux, local facts, cmdline, processors,
// memory, dns, platform) from captured section texts, and gather_subset's effect on the probe.
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { ansibleFactVars, factsProbeFor, factsOptions, parseFacts, resolveSubsets } from "../../../engine/facts/index.js";
import { factsScript } from "../../../engine/facts/probe.js";
import {
  parseCmdline,
  parseCpuinfo,
  parseLsb,
  parseMeminfo,
  parsePlatform,
  parsePython,
  parseResolvConf,
  parseSecurity,
  pythonScript,
  shlexSplit,
} from "../../../engine/facts/more.js";

const b64 = (t: string) => Buffer.from(t).toString("base64");
/** A probe output made of @out sections. */
const probeOut = (sections: Record<string, string>) =>
  Object.entries(sections)
    .map(([id, text]) => `@out ${id}\ntext:b64=${b64(text)}\n`)
    .join("");

describe("python facts (interpreter discovery and the interpreter's own report)", () => {
  it("reads the discovered interpreter and its version as Ansible's python fact", () => {
    const p = parsePython([
      "found=/usr/bin/python3.11",
      "found=/usr/bin/python3",
      "discovered=/usr/bin/python3",
      "3|11|2|final|0|cpython|1|1|/usr/bin/python3",
    ]);
    expect(p).toEqual({
      discovered_interpreter_python: "/usr/bin/python3",
      python: {
        executable: "/usr/bin/python3",
        has_sslcontext: true,
        type: "cpython",
        version: { major: 3, minor: 11, micro: 2, releaselevel: "final", serial: 0 },
        version_info: [3, 11, 2, "final", 0],
      },
      python_version: "3.11.2",
      selinux_python_present: true,
    });
  });
  it("a host without Python has no python facts", () => {
    expect(parsePython([])).toEqual({});
  });
  it("a given interpreter is used as is (no discovery)", () => {
    expect(pythonScript("/opt/py/bin/python3")).toContain("_py='/opt/py/bin/python3'");
    expect(pythonScript("/opt/py/bin/python3")).not.toContain("command -v");
    expect(factsOptions({}, { ansible_python_interpreter: "/opt/py/bin/python3" })).toEqual({ python: "/opt/py/bin/python3" });
    expect(factsOptions({ gatherSubset: ["!all"] }, { ansible_python_interpreter: "auto_silent" })).toEqual({ subset: ["!all"] });
  });
  it("discovery on this machine's sh picks /usr/bin/python3 when it exists, and the script runs in dash", () => {
    const r = spawnSync("/bin/sh", ["-c", pythonScript()], { encoding: "utf8" });
    const p = parsePython(r.stdout.split("\n"));
    if (spawnSync("test", ["-x", "/usr/bin/python3"]).status === 0) {
      expect(p.discovered_interpreter_python).toBe("/usr/bin/python3");
      expect(p.python_version).toMatch(/^3\.\d+\.\d+$/);
    }
  });
});

describe("lsb, selinux, apparmor", () => {
  it("lsb_release -a wins over /etc/lsb-release", () => {
    expect(
      parseLsb(["cmd:Distributor ID:\tUbuntu", "cmd:Description:\tUbuntu 22.04.3 LTS", "cmd:Release:\t22.04", "cmd:Codename:\tjammy", "file:DISTRIB_ID=X"]),
    ).toEqual({
      id: "Ubuntu",
      description: "Ubuntu 22.04.3 LTS",
      release: "22.04",
      codename: "jammy",
      major_release: "22",
    });
    expect(parseLsb(["file:DISTRIB_ID=Ubuntu", "file:DISTRIB_RELEASE=20.04", 'file:DISTRIB_DESCRIPTION="Ubuntu 20.04 LTS"'])).toEqual({
      id: "Ubuntu",
      release: "20.04",
      description: "Ubuntu 20.04 LTS",
      major_release: "20",
    });
    expect(parseLsb([])).toEqual({});
  });
  it("selinux: disabled without selinuxfs; enabled with its mode; missing bindings said as Ansible says it", () => {
    expect(parseSecurity([], true)).toEqual({ apparmor: { status: "disabled" }, selinux: { status: "disabled" }, selinux_python_present: true });
    expect(parseSecurity(["apparmor=1"], false)).toEqual({
      apparmor: { status: "enabled" },
      selinux: { status: "Missing selinux Python library" },
      selinux_python_present: false,
    });
    expect(parseSecurity(["selinuxfs=1", "enforce=1", "policyvers=33", "config_mode=Enforcing", "config_type=targeted"], true).selinux).toEqual({
      status: "enabled",
      policyvers: 33,
      config_mode: "enforcing",
      mode: "enforcing",
      type: "targeted",
    });
  });
});

describe("cmdline, local facts, dns, platform", () => {
  it("splits the kernel command line as shlex does; proc_cmdline keeps repeated keys", () => {
    expect(shlexSplit(`a "b c" d\\ e 'f'`)).toEqual(["a", "b c", "d e", "f"]);
    expect(parseCmdline('BOOT_IMAGE=/vmlinuz root=UUID=x ro quiet console=tty0 console=ttyS0 x="a b"')).toEqual({
      cmdline: { BOOT_IMAGE: "/vmlinuz", root: "UUID=x", ro: true, quiet: true, console: "ttyS0", x: "a b" },
      proc_cmdline: { BOOT_IMAGE: "/vmlinuz", root: "UUID=x", ro: true, quiet: true, console: ["tty0", "ttyS0"], x: "a b" },
    });
  });
  it("dns from resolv.conf", () => {
    expect(
      parseResolvConf(["# c", "nameserver 10.0.0.1", "nameserver 10.0.0.2", "search a.example b.example", "domain a.example", "options ndots:2 rotate"]),
    ).toEqual({
      nameservers: ["10.0.0.1", "10.0.0.2"],
      search: ["a.example", "b.example"],
      domain: "a.example",
      options: { ndots: "2", rotate: true },
    });
    expect(parseResolvConf([])).toEqual({});
  });
  it("platform: fqdn and domain, kernel_version, ids, userspace bits", () => {
    expect(
      parsePlatform(
        ["fqdn=web1.example.com", "kernel_version=#1 SMP", "machine_id=abc", "bits=64", "euid=0", "egid=0", "ruid=1000", "rgid=1000", "fips=0"],
        "x86_64",
      ),
    ).toEqual({
      fqdn: "web1.example.com",
      domain: "example.com",
      kernel_version: "#1 SMP",
      machine_id: "abc",
      userspace_bits: "64",
      userspace_architecture: "x86_64",
      effective_user_id: 0,
      effective_group_id: 0,
      real_user_id: 1000,
      real_group_id: 1000,
      fips: false,
    });
  });
});

describe("processors and memory (Ansible's Linux hardware collector)", () => {
  it("two vCPUs of one socket, as a lab host reports them", () => {
    const cpu = (n: number) => [
      `processor\t: ${n}`,
      "vendor_id\t: AuthenticAMD",
      "model name\t: AMD EPYC",
      "physical id\t: 0",
      "siblings\t: 2",
      `core id\t\t: ${n}`,
      "cpu cores\t: 2",
    ];
    expect(parseCpuinfo([...cpu(0), ...cpu(1)], "x86_64", 2)).toEqual({
      processor: ["0", "AuthenticAMD", "AMD EPYC", "1", "AuthenticAMD", "AMD EPYC"],
      processor_count: 1,
      processor_cores: 2,
      processor_threads_per_core: 1,
      processor_vcpus: 2,
      processor_nproc: 2,
    });
  });
  it("two sockets with hyperthreading", () => {
    const cpu = (n: number, phys: number, core: number) => [
      `processor\t: ${n}`,
      "vendor_id\t: GenuineIntel",
      "model name\t: Xeon",
      `physical id\t: ${phys}`,
      "siblings\t: 4",
      `core id\t\t: ${core}`,
      "cpu cores\t: 2",
    ];
    const lines = [cpu(0, 0, 0), cpu(1, 0, 1), cpu(2, 0, 0), cpu(3, 0, 1), cpu(4, 1, 0), cpu(5, 1, 1), cpu(6, 1, 0), cpu(7, 1, 1)].flat();
    expect(parseCpuinfo(lines, "x86_64", 8)).toMatchObject({
      processor_count: 2,
      processor_cores: 2,
      processor_threads_per_core: 2,
      processor_vcpus: 8,
      processor_nproc: 8,
    });
  });
  it("memory in MiB, each value rounded down before the sums", () => {
    expect(
      parseMeminfo([
        "MemTotal:       24683568 kB",
        "MemFree:        23494876 kB",
        "Buffers:          100000 kB",
        "Cached:           307200 kB",
        "SwapTotal: 0 kB",
        "SwapFree: 0 kB",
        "SwapCached: 0 kB",
      ]),
    ).toEqual({
      memtotal_mb: 24105,
      memfree_mb: 22944,
      swaptotal_mb: 0,
      swapfree_mb: 0,
      memory: { real: { total: 24105, used: 1161, free: 22944 }, nocache: { free: 23341, used: 764 }, swap: { total: 0, free: 0, used: 0, cached: 0 } },
    });
  });
});

describe("gather_subset", () => {
  it("selects subsets as Ansible reads the list", () => {
    expect(resolveSubsets(undefined)).toEqual(["min", "hardware", "network", "virtual"]);
    expect(resolveSubsets(["!all"])).toEqual(["min"]);
    expect(resolveSubsets(["!all", "min"])).toEqual(["min"]);
    expect(resolveSubsets(["!all", "network"])).toEqual(["min", "network"]);
    expect(resolveSubsets(["network"])).toEqual(["min", "network"]);
    // min is always added first, so exclusions alone add nothing: ansible-core 2.14's play with
    // gather_subset ['!hardware'] gathers exactly the min facts (measured on lab04)
    expect(resolveSubsets(["!hardware"])).toEqual(["min"]);
    expect(resolveSubsets(["all", "!hardware"])).toEqual(["min", "network", "virtual"]);
    expect(resolveSubsets(["!all", "!min"])).toEqual([]);
  });
  it("!all,min really runs less: no hardware, network or virtual commands in the script", () => {
    const min = factsScript({ subset: ["!all", "min"] });
    expect(min).not.toContain("/proc/cpuinfo");
    expect(min).not.toContain("ip addr show");
    expect(min).not.toContain("/proc/mounts");
    expect(min).not.toContain("dmi/id");
    expect(min).toContain("/etc/os-release");
    expect(factsScript()).toContain("/proc/cpuinfo");
  });
  it("run by /bin/sh: the minimal subset gives distribution facts and no hardware or network facts", () => {
    const r = spawnSync("/bin/sh", ["-c", factsProbeFor({ subset: ["!all", "min"] }).script], { encoding: "utf8" });
    expect(r.status).toBe(0);
    const f = parseFacts(r.stdout);
    expect(f.subsets).toEqual(["min"]);
    const v = ansibleFactVars(f);
    expect(v.ansible_facts).toHaveProperty("distribution");
    expect(v.ansible_facts).toHaveProperty("user_id");
    expect(v.gather_subset).toEqual(["!all", "min"]);
    for (const k of ["processor_vcpus", "memtotal_mb", "mounts", "default_ipv4", "interfaces", "virtualization_type", "memory_mb"])
      expect(v.ansible_facts).not.toHaveProperty(k);
    const all = ansibleFactVars(parseFacts(spawnSync("/bin/sh", ["-c", factsScript()], { encoding: "utf8" }).stdout));
    for (const k of ["processor_vcpus", "memtotal_mb", "mounts", "memory_mb"]) expect(all.ansible_facts).toHaveProperty(k);
  });
  it("Debian: distribution_version is VERSION_ID and the point release is the minor version", () => {
    const f = parseFacts(probeOut({ "os-release": 'ID=debian\nVERSION_ID="12"\n', debian_version: "12.15\n" }));
    const v = ansibleFactVars(f);
    expect([v.ansible_distribution_version, v.ansible_distribution_major_version, v.ansible_distribution_minor_version]).toEqual(["12", "12", "15"]);
  });
});
