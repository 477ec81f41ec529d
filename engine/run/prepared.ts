// Arguments templated once per task, item and host: the probe prefetch (probes.ts), the apply
// look-ahead (lookahead.ts) and the task's own run share one Prepared. An entry holds while the
// registered variables (register, set_fact) and the facts are the ones it was rendered with: a
// task whose arguments render differently later renders them again.
import type { Task } from "../core/plan.js";
import type { Facts } from "../core/facts.js";
import type { Prepared } from "./pipeline.js";

interface Entry {
  p: Prepared;
  registered: [string, unknown][];
  facts: Facts;
  check: boolean;
}

export class PreparedCache {
  private readonly map = new Map<Task, Map<string, Entry>>();
  /** How many times arguments were rendered (tests assert "once per task and host"). */
  renders = 0;

  clear(): void {
    this.map.clear();
  }

  get(task: Task, item: string | undefined, registered: Record<string, unknown>, facts: Facts, check: boolean): Prepared | undefined {
    if (item === undefined) return undefined;
    const e = this.map.get(task)?.get(item);
    if (!e || e.facts !== facts || e.check !== check) return undefined;
    const keys = Object.keys(registered);
    if (keys.length !== e.registered.length) return undefined;
    for (const [k, v] of e.registered) if (!Object.is(registered[k], v) || !(k in registered)) return undefined;
    return e.p;
  }

  set(task: Task, item: string | undefined, registered: Record<string, unknown>, facts: Facts, check: boolean, p: Prepared): void {
    if (item === undefined) return;
    let m = this.map.get(task);
    if (!m) this.map.set(task, (m = new Map()));
    m.set(item, { p, registered: Object.entries(registered), facts, check });
  }
}

/** The key of the item a task runs for ("" without a loop); undefined when it has none (not cached). */
export function itemKey(task: Task, vars: Record<string, unknown>): string | undefined {
  if (task.loop === undefined || task.loop === null) return "";
  try {
    const k = JSON.stringify(vars[task.loopVar]);
    return k === undefined ? undefined : `i:${k}`;
  } catch {
    return undefined;
  }
}
