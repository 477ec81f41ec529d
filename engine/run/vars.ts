// What a host's tasks see: Ansible's magic variables, and the become settings of a task. Pure.
import type { Plan, Play, RoleRef, Task } from "../core/plan.js";
import type { HostSpec } from "../core/host.js";
import type { Become } from "./host.js";
import type { FleetVars, RunOptions } from "./options.js";
import type { Scope } from "./scope.js";

/** inventory_hostname, group_names, groups, hostvars, playbook_dir, ansible_check_mode… */
export function magicVars(
  spec: HostSpec,
  opts: Pick<RunOptions, "check" | "diff">,
  plan: Plan,
  play: Play | undefined,
  fleet: FleetVars,
): Record<string, unknown> {
  return {
    inventory_hostname: spec.name,
    inventory_hostname_short: spec.name.split(".")[0],
    group_names: spec.groups.filter((g) => g !== "all" && g !== "ungrouped"),
    ansible_host: spec.vars.ansible_host ?? spec.address,
    ansible_check_mode: opts.check,
    ansible_diff_mode: opts.diff,
    playbook_dir: plan.dir,
    ansible_play_name: play?.name,
    groups: fleet.groups,
    hostvars: fleet.hostvars,
  };
}

/** The task's become: task, then its blocks and play, then -b/--become-user, then the inventory. */
export function becomeOf(task: Task, scope: Scope, opts: Pick<RunOptions, "become" | "becomeUser" | "becomePassword">, spec: HostSpec): Become {
  const on = task.become ?? scope.become ?? opts.become ?? spec.become;
  if (!on) return undefined;
  const user = task.becomeUser ?? scope.becomeUser ?? opts.becomeUser ?? spec.becomeUser ?? "root";
  const password = opts.becomePassword ?? spec.becomePassword;
  return password === undefined ? { user } : { user, password };
}

/** Ansible's magic variables of a task in a role: role_name, ansible_role_name, role_path. */
export function roleMagic(role: RoleRef): Record<string, unknown> {
  return { role_name: role.name, ansible_role_name: role.name, role_path: role.dir };
}
