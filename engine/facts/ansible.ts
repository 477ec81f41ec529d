// keel's facts under Ansible's names, so playbooks written for Ansible find `ansible_facts.*` and
// the common `ansible_*` variables with the values and capitalisation Ansible uses.
import type { Facts } from "../core/facts.js";
import { ansibleCollectors, collectorOf } from "./subsets.js";

/** Ansible's `distribution` for an os-release ID. */
const DISTRIBUTION: Record<string, string> = {
  debian: "Debian",
  ubuntu: "Ubuntu",
  raspbian: "Debian",
  linuxmint: "Linux Mint",
  kali: "Kali",
  rhel: "RedHat",
  centos: "CentOS",
  fedora: "Fedora",
  rocky: "Rocky",
  almalinux: "AlmaLinux",
  ol: "OracleLinux",
  amzn: "Amazon",
  alpine: "Alpine",
  arch: "Archlinux",
  sles: "SLES",
  "opensuse-leap": "openSUSE Leap",
  "opensuse-tumbleweed": "openSUSE Tumbleweed",
};

/** Ansible's `os_family` for keel's lowercase family. */
const OS_FAMILY: Record<string, string> = {
  debian: "Debian",
  redhat: "RedHat",
  alpine: "Alpine",
  archlinux: "Archlinux",
  suse: "Suse",
};

const capitalize = (s: string) => (s ? s[0]!.toUpperCase() + s.slice(1) : s);

/**
 * Ansible's distribution_version on Debian is distro.version(best=True) (common/sys_info.py): the
 * most precise candidate. With the bundled distro 1.6 the candidates are os-release's VERSION_ID
 * and lsb_release's ("12"); a system `distro` package (python3-distro), which Ansible prefers,
 * from 1.7 on also reads /etc/debian_version ("12.11").
 */
export function distributionVersion(f: Facts, full: string): string {
  const pd = typeof f.python_distro_version === "string" ? f.python_distro_version.split(".").map(Number) : undefined;
  const newDistro = pd !== undefined && (pd[0]! > 1 || (pd[0] === 1 && (pd[1] ?? 0) >= 7));
  if (f.os_family === "debian" && newDistro && full.split(".").length > f.os_version.split(".").length) return full;
  return f.os_version;
}

export function ansibleFactVars(f: Facts): Record<string, unknown> {
  // Ansible's distribution_version is os-release's VERSION_ID ("12"); Debian's point release
  // (/etc/debian_version "12.15") only gives distribution_minor_version ("15")
  const full = typeof f.os_version_full === "string" ? f.os_version_full : f.os_version;
  const minor = full.split(".")[1];
  const version = distributionVersion(f, full);
  const subsets = Array.isArray(f.subsets) ? (f.subsets as string[]) : ["min", "hardware", "network", "virtual"];
  const shortHost = f.hostname.split(".")[0] ?? f.hostname;
  // Ansible names PID 1 first (a container's tini, runit…), then the init system it detects
  const serviceMgr =
    typeof f.proc1_service_mgr === "string" ? f.proc1_service_mgr : typeof f.service_mgr === "string" ? f.service_mgr : f.init === "sysv" ? "sysvinit" : f.init;
  const af: Record<string, unknown> = {
    distribution: DISTRIBUTION[f.os_id] ?? capitalize(f.os_id),
    distribution_version: version,
    ...(minor !== undefined ? { distribution_minor_version: minor } : {}),
    distribution_major_version: f.os_version.split(".")[0] ?? "",
    distribution_release: typeof f.os_codename === "string" ? f.os_codename : "",
    os_family: OS_FAMILY[f.os_family] ?? capitalize(f.os_family),
    system: "Linux",
    kernel: f.kernel,
    architecture: f.arch,
    machine: f.arch,
    hostname: shortHost,
    nodename: f.hostname,
    pkg_mgr: f.pkg_mgr,
    service_mgr: serviceMgr,
    user_id: f.user,
    gather_subset: Array.isArray(f.gather_subset) ? f.gather_subset : ["all"],
    module_setup: true,
  };
  if (subsets.includes("hardware")) Object.assign(af, { processor_vcpus: f.cpus, processor_nproc: f.cpus, memtotal_mb: f.memory_mb });
  if (subsets.includes("network")) af.default_ipv4 = f.default_ipv4 ?? (f.ipv4 ? { address: f.ipv4 } : {});
  // the facts of engine/facts/extra.ts, when the probe gathered them (keel facts --ansible shows them)
  for (const k of [
    "env",
    "user_uid",
    "user_gid",
    "user_dir",
    "user_shell",
    "user_gecos",
    "date_time",
    "default_ipv6",
    "all_ipv4_addresses",
    "all_ipv6_addresses",
    "interfaces",
    "mounts",
    "virtualization_type",
    "virtualization_role",
    // engine/facts/interfaces.ts
    "system_capabilities",
    "system_capabilities_enforced",
    ...["dsa", "rsa", "ecdsa", "ed25519"].flatMap((k) => [`ssh_host_key_${k}_public`, `ssh_host_key_${k}_public_keytype`]),
    // engine/facts/more.ts
    "python",
    "python_version",
    "discovered_interpreter_python",
    "selinux",
    "selinux_python_present",
    "apparmor",
    "lsb",
    "cmdline",
    "proc_cmdline",
    "dns",
    "local",
    "fqdn",
    "domain",
    "kernel_version",
    "machine_id",
    "userspace_bits",
    "userspace_architecture",
    "effective_user_id",
    "effective_group_id",
    "real_user_id",
    "real_group_id",
    "fips",
    "processor",
    "processor_count",
    "processor_cores",
    "processor_threads_per_core",
    "processor_vcpus",
    "processor_nproc",
    "memtotal_mb",
    "memfree_mb",
    "swaptotal_mb",
    "swapfree_mb",
    "uptime_seconds",
  ]) {
    if (f[k] !== undefined) af[k] = f[k];
  }
  if (f.memory !== undefined) af.memory_mb = f.memory;
  // one fact per interface (ansible_eth0, ansible_lo…), named by `interfaces`
  const ifaces = f.interface_facts;
  if (ifaces !== null && typeof ifaces === "object") for (const [k, v] of Object.entries(ifaces)) af[k] ??= v;
  // Debian and its derivatives: Ansible reads the distribution from /etc/os-release
  if (f.os_family === "debian")
    Object.assign(af, { distribution_file_path: "/etc/os-release", distribution_file_variety: "Debian", distribution_file_parsed: true });
  // exactly the facts of the collectors Ansible runs for the gather_subset asked (engine/facts/subsets.ts)
  const collectors = ansibleCollectors(Array.isArray(f.gather_subset) ? (f.gather_subset as string[]) : []);
  const interfaces = Array.isArray(af.interfaces) ? (af.interfaces as string[]) : [];
  for (const k of Object.keys(af)) {
    const c = collectorOf(k, interfaces);
    if (c !== undefined && !collectors.has(c)) delete af[k];
  }
  const vars: Record<string, unknown> = { facts: f, ansible_facts: af };
  for (const [k, v] of Object.entries(af)) if (k !== "discovered_interpreter_python" && k !== "gather_subset" && k !== "module_setup") vars[`ansible_${k}`] = v;
  // Ansible keeps the prefix of ansible_local inside ansible_facts (vars/clean.py namespace_facts)
  if ("local" in af) {
    af.ansible_local = af.local;
    delete af.local;
  }
  // as Ansible injects them: interpreter discovery's result without the prefix, the setup markers as they are
  if (af.discovered_interpreter_python !== undefined) vars.discovered_interpreter_python = af.discovered_interpreter_python;
  vars.gather_subset = af.gather_subset;
  vars.module_setup = true;
  return vars;
}
