// Defaults that follow the name a task calls a module by. keel's own name keeps keel's default;
// Ansible's names (the short alias and the FQCN) get Ansible's, so that a real role does on the
// host what it does under ansible-playbook. Measured in the compatibility corpus (test/compat):
// Oefenweb's sysctl role, `ansible.posix.sysctl` without sysctl_file, wrote its keys to
// /etc/sysctl.conf under Ansible and to keel's /etc/sysctl.d/99-keel.conf under keel, and
// `keel drift` then flagged the host Ansible had converged.
import type { ModuleDef } from "../core/module.js";

const ANSIBLE_NAME_DEFAULTS: Record<string, Record<string, unknown>> = {
  // ansible.posix.sysctl: sysctl_file defaults to /etc/sysctl.conf
  "system.sysctl": { sysctl_file: "/etc/sysctl.conf" },
  // community.general.ufw drives ufw (Oefenweb's ufw role: keel programmed nftables instead)
  "firewall.rule": { backend: "ufw" },
};

/** Fill the arguments a task left out with Ansible's defaults when it names the module as Ansible does. */
export function applyAnsibleNameDefaults(m: Pick<ModuleDef, "name">, calledAs: string, args: Record<string, unknown>): void {
  const defaults = ANSIBLE_NAME_DEFAULTS[m.name];
  if (!defaults || calledAs === m.name || calledAs === `keel.${m.name}`) return;
  for (const [k, v] of Object.entries(defaults)) if (!Object.hasOwn(args, k)) args[k] = v;
}
