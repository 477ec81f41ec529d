// What the audit needs from a loaded playbook and the catalog: which control each task belongs to
// (the control-id tag among its effective tags, as the catalog's controlForTask reads them), the
// guarantee that nothing in the plan can act during an audit, and each control's applicability on
// a host. Pure.
import { InputError } from "../../core/errors.js";
import type { TaskRef } from "../../core/events.js";
import type { Facts } from "../../core/facts.js";
import type { Plan, TaskNode } from "../../core/plan.js";
import { ansibleFactVars } from "../../facts/index.js";
import { applies, controlForTask, type Catalog, type Control } from "../../controls/catalog.js";
import type { AuditControl } from "./model.js";

/** Task id → control id, from each task's effective tags (play, enclosing blocks, the task). */
export function taskControls(plan: Plan, catalog: Catalog): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (nodes: TaskNode[], inherited: string[]) => {
    for (const n of nodes) {
      const tags = [...inherited, ...n.tags];
      if (n.kind === "block") {
        walk(n.block, tags);
        walk(n.rescue, tags);
        walk(n.always, tags);
        continue;
      }
      const id = controlForTask(catalog, tags);
      if (id) out.set(n.id, id);
    }
  };
  for (const play of plan.plays) {
    walk(play.tasks, play.tags ?? []);
    walk(play.handlers, play.tags ?? []);
  }
  return out;
}

export function controlOf(map: Map<string, string>): (t: TaskRef) => string | undefined {
  return (t) => map.get(t.id);
}

/**
 * An audit never changes a host: check mode is forced for the whole run, and a play or task that
 * overrides it (`check_mode: false`) would act anyway, so such a plan is refused before any host
 * is touched.
 */
export function assertReadOnly(plan: Plan): void {
  for (const play of plan.plays) {
    if (play.checkMode === false)
      throw new InputError(
        `play '${play.name}' sets check_mode: false, which would change hosts during an audit`,
        play.pos,
        "an audit only observes: remove check_mode: false from the playbook the audit runs",
      );
    const walk = (nodes: TaskNode[]) => {
      for (const n of nodes) {
        if (n.checkMode === false)
          throw new InputError(
            `${n.kind === "block" ? "block" : `task '${n.name ?? n.module}'`} sets check_mode: false, which would change hosts during an audit`,
            n.pos,
            "an audit only observes: remove check_mode: false from the task",
          );
        if (n.kind === "block") {
          walk(n.block);
          walk(n.rescue);
          walk(n.always);
        }
      }
    };
    walk(play.tasks);
    walk(play.handlers);
  }
}

/**
 * Whether a control applies to a host: its applies_when over the host's variables (the caller's
 * layers: profile parameters and inventory variables, then the facts under facts.* and ansible_*,
 * then -e). Should the role's own gate disagree, its tasks are skipped and the control is unknown.
 */
export function applicability(hostVars: (host: string) => Record<string, unknown>, extraVars: Record<string, unknown>) {
  return (host: string, facts: Facts, c: AuditControl): { applies: boolean; reason: string } =>
    applies(c as Control, { ...hostVars(host), ...ansibleFactVars(facts), ...extraVars });
}

/** The catalog's controls of a profile, in catalog order, as the audit model takes them. */
export function profileControls(catalog: Catalog, ids: readonly string[]): AuditControl[] {
  return ids.map((id) => catalog.controls.get(id)!).filter(Boolean);
}
