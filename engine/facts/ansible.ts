// keel's facts under Ansible's names, so playbooks written for Ansible find `ansible_facts.*` and
// the common `ansible_*` variables with the values and capitalisation Ansible uses.
import type { Facts } from "../core/facts.js";

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

export function ansibleFactVars(f: Facts): Record<string, unknown> {
  const version = typeof f.os_version_full === "string" ? f.os_version_full : f.os_version;
  const shortHost = f.hostname.split(".")[0] ?? f.hostname;
  // Ansible names PID 1 first (a container's tini, runit…), then the init system it detects
  const serviceMgr =
    typeof f.proc1_service_mgr === "string" ? f.proc1_service_mgr : typeof f.service_mgr === "string" ? f.service_mgr : f.init === "sysv" ? "sysvinit" : f.init;
  const af: Record<string, unknown> = {
    distribution: DISTRIBUTION[f.os_id] ?? capitalize(f.os_id),
    distribution_version: version,
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
    processor_vcpus: f.cpus,
    processor_nproc: f.cpus,
    memtotal_mb: f.memory_mb,
    default_ipv4: f.default_ipv4 ?? (f.ipv4 ? { address: f.ipv4 } : {}),
    user_id: f.user,
  };
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
  ]) {
    if (f[k] !== undefined) af[k] = f[k];
  }
  // Debian and its derivatives: Ansible reads the distribution from /etc/os-release
  if (f.os_family === "debian")
    Object.assign(af, { distribution_file_path: "/etc/os-release", distribution_file_variety: "Debian", distribution_file_parsed: true });
  const vars: Record<string, unknown> = { facts: f, ansible_facts: af };
  for (const [k, v] of Object.entries(af)) vars[`ansible_${k}`] = v;
  return vars;
}
