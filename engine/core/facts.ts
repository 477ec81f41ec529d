// Facts gathered in one probe per host (engine/facts) and cached for the run.
export interface Facts {
  os_id: string; // "debian"
  os_version: string; // "12"
  os_family: string; // "debian" | "redhat" | "alpine" | …
  os_pretty: string;
  kernel: string;
  arch: string;
  hostname: string;
  pkg_mgr: "apt" | "dnf" | "yum" | "apk" | "unknown";
  init: "systemd" | "sysv" | "unknown";
  cpus: number;
  memory_mb: number;
  ipv4: string;
  user: string;
  [key: string]: unknown;
}

/** Facts used when `gather_facts: false` and in unit tests. */
export const EMPTY_FACTS: Facts = {
  os_id: "unknown",
  os_version: "",
  os_family: "unknown",
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
};
