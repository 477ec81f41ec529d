// Ansible's gather_subset: the names it takes, the fact collectors a list selects, and which of the
// probe's parts those need. ONE decision for a play's gather_subset and for a `setup` task, so
// that both gather and expose exactly what ansible-core 2.14 does. Pure.

/** The gather subsets keel's probe is made of (Ansible's names); `min` is always there unless excluded. */
export type Subset = "min" | "hardware" | "network" | "virtual";

/** Ansible's gather_subset names (groups and single facts), with or without a leading `!`. */
export const GATHER_SUBSETS: readonly string[] = [
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

// Which facts a gather_subset selects (a play's, or a `setup` task's), as ansible-core 2.14 decides it on Linux
// (module_utils/facts/collector.py): the subset names select fact COLLECTORS (by collector name or
// by one of their fact ids), `min` is always added first, `!all` removes all but min, `!name` removes
// a collector with its fact ids, explicitly named subsets win over exclusions, and the collectors a
// selected one requires (pkg_mgr needs distribution, network needs platform and distribution…) are
// added back. Exactly the facts of the selected collectors are returned: a `setup` with
// `gather_subset: [!all, !min, network]` must not return (and so overwrite) ansible_distribution or
// ansible_pkg_mgr with empty values, and a play's `gather_subset: ['!hardware']` gathers `min` only
// (min is always added first, so a list of exclusions alone adds nothing). The fact names per collector were read from ansible-core 2.14
// running each collector alone on Debian 12 (`ansible -m setup -a gather_subset=!all,!min,NAME`).

/** Ansible's Linux collectors → the facts (without `ansible_`) each returns. */
export const COLLECTOR_FACTS: Readonly<Record<string, readonly string[]>> = {
  platform: [
    "architecture",
    "domain",
    "fqdn",
    "hostname",
    "kernel",
    "kernel_version",
    "machine",
    "machine_id",
    "nodename",
    "python_version",
    "system",
    "userspace_architecture",
    "userspace_bits",
  ],
  distribution: [
    "distribution",
    "distribution_file_parsed",
    "distribution_file_path",
    "distribution_file_variety",
    "distribution_major_version",
    "distribution_minor_version",
    "distribution_release",
    "distribution_version",
    "os_family",
  ],
  lsb: ["lsb"],
  selinux: ["selinux", "selinux_python_present"],
  apparmor: ["apparmor"],
  chroot: ["is_chroot"],
  fips: ["fips"],
  python: ["python"],
  caps: ["system_capabilities", "system_capabilities_enforced"],
  pkg_mgr: ["pkg_mgr"],
  service_mgr: ["service_mgr"],
  cmdline: ["cmdline", "proc_cmdline"],
  date_time: ["date_time"],
  env: ["env"],
  loadavg: ["loadavg"],
  ssh_pub_keys: [
    "ssh_host_key_dsa_public",
    "ssh_host_key_dsa_public_keytype",
    "ssh_host_key_ecdsa_public",
    "ssh_host_key_ecdsa_public_keytype",
    "ssh_host_key_ed25519_public",
    "ssh_host_key_ed25519_public_keytype",
    "ssh_host_key_rsa_public",
    "ssh_host_key_rsa_public_keytype",
  ],
  user: ["effective_group_id", "effective_user_id", "real_group_id", "real_user_id", "user_dir", "user_gecos", "user_gid", "user_id", "user_shell", "user_uid"],
  virtual: ["virtualization_role", "virtualization_tech_guest", "virtualization_tech_host", "virtualization_type"],
  hardware: [
    "bios_date",
    "bios_vendor",
    "bios_version",
    "board_asset_tag",
    "board_name",
    "board_serial",
    "board_vendor",
    "board_version",
    "chassis_asset_tag",
    "chassis_serial",
    "chassis_vendor",
    "chassis_version",
    "device_links",
    "devices",
    "form_factor",
    "lvm",
    "memfree_mb",
    "memory_mb",
    "memtotal_mb",
    "mounts",
    "processor",
    "processor_cores",
    "processor_count",
    "processor_nproc",
    "processor_threads_per_core",
    "processor_vcpus",
    "product_name",
    "product_serial",
    "product_uuid",
    "product_version",
    "swapfree_mb",
    "swaptotal_mb",
    "system_vendor",
    "uptime_seconds",
  ],
  dns: ["dns"],
  fibre_channel_wwn: ["fibre_channel_wwn"],
  // and one fact per interface (ansible_eth0…), named by the `interfaces` fact
  network: ["all_ipv4_addresses", "all_ipv6_addresses", "default_ipv4", "default_ipv6", "interfaces"],
  iscsi: ["iscsi_iqn"],
  nvme: ["hostnqn"],
  local: ["local"],
  facter: [],
  ohai: [],
};

/** Each Linux collector's `_fact_ids` (the other names gather_subset selects it by) and `required_facts`. */
const FACT_IDS: Readonly<Record<string, readonly string[]>> = {
  platform: ["architecture", "kernel", "kernel_version", "machine", "machine_id", "python_version", "system"],
  distribution: ["distribution_major_version", "distribution_release", "distribution_version", "os_family"],
  chroot: ["is_chroot"],
  caps: ["system_capabilities", "system_capabilities_enforced"],
  ssh_pub_keys: ["ssh_host_key_dsa_public", "ssh_host_key_ecdsa_public", "ssh_host_key_ed25519_public", "ssh_host_key_rsa_public", "ssh_host_pub_keys"],
  user: ["effective_group_ids", "effective_user_id", "real_user_id", "user_dir", "user_gecos", "user_gid", "user_id", "user_shell", "user_uid"],
  virtual: ["virtualization_role", "virtualization_tech_guest", "virtualization_tech_host", "virtualization_type"],
  hardware: ["devices", "mounts", "processor", "processor_cores", "processor_count"],
  network: ["all_ipv4_addresses", "all_ipv6_addresses", "default_ipv4", "default_ipv6", "interfaces"],
};
const REQUIRES: Readonly<Record<string, readonly string[]>> = {
  pkg_mgr: ["distribution"],
  service_mgr: ["platform", "distribution"],
  hardware: ["platform"],
  network: ["platform", "distribution"],
};
/** ansible-core's minimal_gather_subset. */
const MINIMAL = [
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
];

/** Subset name (collector name or fact id) → collector. */
const BY_NAME = new Map<string, string>();
for (const c of Object.keys(COLLECTOR_FACTS)) BY_NAME.set(c, c);
for (const [c, ids] of Object.entries(FACT_IDS)) for (const id of ids) BY_NAME.set(id, c);

/** Collector → the fact it returns (reverse of COLLECTOR_FACTS). */
const FACT_COLLECTOR = new Map<string, string>();
for (const [c, facts] of Object.entries(COLLECTOR_FACTS)) for (const f of facts) FACT_COLLECTOR.set(f, c);

/** Pure: the collectors Ansible runs for a gather_subset list (get_collector_names + _solve_deps). */
export function ansibleCollectors(gatherSubset: readonly string[]): Set<string> {
  const valid = new Set(BY_NAME.keys());
  const list = gatherSubset.length ? gatherSubset : ["all"];
  const add = new Set<string>();
  const exclude = new Set<string>();
  const explicit = new Set<string>();
  for (const s of ["min", ...list]) {
    if (s === "min") MINIMAL.forEach((m) => add.add(m));
    else if (s === "all") valid.forEach((v) => add.add(v));
    else if (s === "!min") MINIMAL.forEach((m) => exclude.add(m));
    else if (s === "!all") valid.forEach((v) => MINIMAL.includes(v) || exclude.add(v));
    else if (s.startsWith("!")) {
      const name = s.slice(1);
      (FACT_IDS[name] ?? []).forEach((id) => exclude.add(id));
      exclude.add(name);
    } else {
      explicit.add(s);
      add.add(s);
    }
  }
  if (!add.size) valid.forEach((v) => add.add(v));
  for (const e of exclude) if (!explicit.has(e)) add.delete(e);
  const collectors = new Set<string>();
  for (const n of add) {
    const c = BY_NAME.get(n);
    if (c) collectors.add(c);
  }
  // required facts, until nothing new is needed
  for (let grew = true; grew;) {
    grew = false;
    for (const c of [...collectors])
      for (const r of REQUIRES[c] ?? [])
        if (!collectors.has(r)) {
          collectors.add(r);
          grew = true;
        }
  }
  return collectors;
}

/** The collector a fact (without `ansible_`) comes from; interface facts belong to network. */
export function collectorOf(fact: string, interfaces: readonly string[]): string | undefined {
  return FACT_COLLECTOR.get(fact) ?? (interfaces.includes(fact) ? "network" : undefined);
}

/**
 * The sections of keel's probe these collectors need: `min` holds every collector but hardware,
 * network and virtual (local is read apart; facter and ohai gather nothing here), which are their
 * own sections.
 */
function sectionsFor(collectors: ReadonlySet<string>): Subset[] {
  const own: Subset[] = ["hardware", "network", "virtual"];
  const min = [...collectors].some((c) => !own.includes(c as Subset) && c !== "local" && c !== "facter" && c !== "ohai");
  return [...(min ? (["min"] as Subset[]) : []), ...own.filter((s) => collectors.has(s))];
}

/** The gather_subset list for keel's facts probe that gathers what these collectors need. */
export function probeSubsets(collectors: ReadonlySet<string>): string[] {
  const sections = sectionsFor(collectors);
  return ["!all", ...(sections.includes("min") ? [] : ["!min"]), ...sections.filter((s) => s !== "min")];
}

/**
 * The sections of keel's probe a gather_subset list (a play's) needs, from the collectors Ansible
 * runs for it; ansibleFactVars then keeps exactly those collectors' facts.
 */
export function resolveSubsets(list: readonly string[] | undefined): Subset[] {
  return sectionsFor(ansibleCollectors(list ?? []));
}
