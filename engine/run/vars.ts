// What a host's tasks see: Ansible's magic variables, and the become settings of a task. Pure.
import type { Plan, Play, RoleRef, Task, TaskNode } from "../core/plan.js";
import type { HostSpec } from "../core/host.js";
import type { Become } from "./host.js";
import type { FleetVars, PlayState, RunOptions } from "./options.js";
import type { VarLayers } from "../template/index.js";
import { watchHostvars } from "../core/secrets.js";

/**
 * The ansible-core whose language keel follows (README, "Coming from Ansible"): roles assert
 * `ansible_version.full is version('2.9', '>=')` before using what that version brought.
 */
export const ANSIBLE_VERSION = { full: "2.14.0", major: 2, minor: 14, revision: 0, string: "2.14.0" };
import type { Scope } from "./scope.js";

/** inventory_hostname, group_names, groups, hostvars, playbook_dir, ansible_check_mode… */
export function magicVars(
  spec: HostSpec,
  opts: Pick<RunOptions, "check" | "diff">,
  plan: Plan,
  play: Play | undefined,
  fleet: FleetVars,
  ps: Pick<PlayState, "hosts" | "hostsAll" | "batch"> = {},
): Record<string, unknown> {
  const self = [spec.name];
  return {
    inventory_hostname: spec.name,
    inventory_hostname_short: spec.name.split(".")[0],
    group_names: spec.groups.filter((g) => g !== "all" && g !== "ungrouped"),
    ansible_host: spec.vars.ansible_host ?? spec.address,
    // always defined, as in Ansible ("ssh" unless the inventory says otherwise); roles test it
    // (willshersystems/ansible-sshd: `ansible_connection != 'chroot'`). An inventory value wins.
    ansible_connection: spec.connection,
    ansible_check_mode: opts.check,
    ansible_diff_mode: opts.diff,
    playbook_dir: plan.dir,
    ansible_play_name: play?.name,
    groups: fleet.groups,
    hostvars: watchHostvars(fleet.hostvars),
    ansible_play_hosts_all: ps.hostsAll ?? self,
    ansible_play_hosts: ps.hosts ?? self,
    play_hosts: ps.hosts ?? self,
    ansible_play_batch: ps.batch ?? ps.hosts ?? self,
    role_names: play ? roleNames(play.tasks) : [],
    ansible_version: ANSIBLE_VERSION,
  };
}

/** The roles whose tasks the play holds (roles:, import_role, include_role), in order, once each. */
function roleNames(nodes: TaskNode[], out = new Set<string>()): string[] {
  for (const n of nodes) {
    if (n.kind === "block") for (const l of [n.block, n.rescue, n.always]) roleNames(l, out);
    else if (n.role) out.add(n.role.name);
  }
  return [...out];
}

/** The task's become: task, then its blocks and play, then -b/--become-user, then the inventory. */
export function becomeOf(task: Task, scope: Scope, opts: Pick<RunOptions, "become" | "becomeUser" | "becomePassword">, spec: HostSpec): Become {
  const on = task.become ?? scope.become ?? opts.become ?? spec.become;
  if (!on) return undefined;
  const user = task.becomeUser ?? scope.becomeUser ?? opts.becomeUser ?? spec.becomeUser ?? "root";
  const password = opts.becomePassword ?? spec.becomePassword;
  return password === undefined ? { user } : { user, password };
}

/** A task's variable layers on a host, but for the host's own ones (inventory, registered). */
export function playLayers(play: Play | undefined, scope: Scope, task: Task | undefined, extraVars: Record<string, unknown> | undefined): VarLayers {
  return {
    roleDefaults: task?.role?.defaults ?? play?.roleDefaults ?? {},
    playVars: play?.vars ?? {},
    varsFiles: play?.varsFiles ?? {},
    roleVars: task?.role ? { ...roleMagic(task.role), ...task.role.vars } : {},
    blockVars: scope.blockVars,
    taskVars: task?.vars ?? {},
    extraVars: extraVars ?? {},
  };
}

/** Ansible's magic variables of a task in a role: role_name, ansible_role_name, role_path. */
export function roleMagic(role: RoleRef): Record<string, unknown> {
  return { role_name: role.name, ansible_role_name: role.name, role_path: role.dir };
}
