// Ansible's gather_subset: the names it takes and which of the probe's parts a list selects. Pure.

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

const ALL_SUBSETS: Subset[] = ["min", "hardware", "network", "virtual"];

/**
 * The subsets a gather_subset list selects, as Ansible reads it: no list means all; a list of
 * only exclusions means all but those; otherwise what it names (`all` for every one), and `min`
 * unless `!min`. `!all` drops everything that is not named explicitly. Names of single facts
 * (`!date_time`) do not change which sections run: setup drops those facts from its result.
 */
export function resolveSubsets(list: readonly string[] | undefined): Subset[] {
  const names = list && list.length ? list : ["all"];
  const inc = new Set(names.filter((s) => !s.startsWith("!")));
  const exc = new Set(names.filter((s) => s.startsWith("!")).map((s) => s.slice(1)));
  const anyInclude = inc.size > 0;
  return ALL_SUBSETS.filter((g) => {
    if (g === "min") return !exc.has("min");
    if (inc.has(g)) return true;
    if (exc.has(g) || exc.has("all")) return false;
    return !anyInclude || inc.has("all");
  });
}
