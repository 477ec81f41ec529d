// The probe cache (DESIGN.md, "Performance model"): when a task needs its probe and the cache does
// not hold it, the runner also prepares the probes of every later task of the play that it can
// already template, and runs them all in ONE round trip. Results are keyed by (become user, probe
// script), so a task whose arguments render differently later simply misses the cache. The host
// runner drops the whole cache once a module's apply ran at all (changed, failed half-way, or
// turned "ok" by changed_when: false, which does not make a command read-only); the next task that
// needs a probe then starts a new batch.
import type { Connection } from "../core/connection.js";
import type { Task } from "../core/plan.js";
import type { HostModule } from "../core/module.js";
import type { RunOptions } from "./options.js";
import { ModuleError } from "../core/errors.js";
import { isTrue, renderValue } from "../template/index.js";
import { joinProbes, splitProbes, type ProbeOutput } from "./batch.js";
import { tagsSelect } from "./select.js";
import { childScope, dependsOn, type Flat, type Scope } from "./scope.js";
import type { Become } from "./host.js";

export const MAX_BATCH = 500;

export class ProbeCache {
  private readonly map = new Map<string, ProbeOutput>();

  clear(): void {
    this.map.clear();
  }

  /**
   * The output of `script` run with `become`. Unless `fresh` (a retry must read the host again),
   * a cached output is returned, and a miss also runs the scripts `more()` gives (those not cached
   * yet) in the same round trip.
   */
  async get(conn: Connection, become: Become, script: string, fresh: boolean, more: () => string[]): Promise<ProbeOutput> {
    const key = cacheKey(become, script);
    if (!fresh) {
      const hit = this.map.get(key);
      if (hit) return hit;
    }
    const scripts = [script];
    const keys = [key];
    if (!fresh) {
      for (const s of more()) {
        const k = cacheKey(become, s);
        if (keys.includes(k) || this.map.has(k)) continue;
        scripts.push(s);
        keys.push(k);
        if (scripts.length >= MAX_BATCH) break;
      }
    }
    const { script: joined, nonce } = joinProbes(scripts);
    const res = await conn.exec({ command: joined, become });
    let outs: ProbeOutput[];
    try {
      outs = splitProbes(res.stdout, scripts.length, nonce);
    } catch {
      throw new ModuleError(`could not read the host's state (probe exit code ${res.rc}${res.stderr.trim() ? `: ${res.stderr.trim()}` : ""})`);
    }
    outs.forEach((o, i) => this.map.set(keys[i]!, o));
    return outs[0]!;
  }
}

export function sameBecome(a: Become, b: Become): boolean {
  return cacheKey(a, "") === cacheKey(b, "");
}

function cacheKey(b: Become, script: string): string {
  return `${b ? b.user : ""}\u0000${script}`;
}

/** What prefetching needs from the host runner. */
export interface PrefetchHost {
  readonly flat: Flat[];
  readonly opts: Pick<RunOptions, "registry" | "tags" | "skipTags">;
  becomeFor(scope: Scope, task: Task): Become;
  varsFor(scope: Scope, task: Task): Record<string, unknown>;
  /** The probe script of the task for these variables (throws when it cannot be prepared yet). */
  probeScript(task: Task, scope: Scope, module: HostModule, vars: Record<string, unknown>): string;
}

/**
 * Probe scripts of what runs after flat[idx] (item `fromItem - 1` of it, when it loops) that can
 * be prepared now: the task's own later loop items, then the later tasks with the same become,
 * `when` true with today's variables, and nothing in their when/loop/args that a task between
 * here and there will register or set_fact. Anything that fails to prepare is left for later.
 */
export function upcomingProbes(h: PrefetchHost, idx: number, become: Become, fromItem: number): string[] {
  const out: string[] = [];
  const pending = new Set<string>();
  const addProduced = (t: Task) => {
    if (t.register) pending.add(t.register);
    const m = h.opts.registry.get(t.module);
    if (m?.kind === "controller") for (const k of Object.keys(t.args)) pending.add(k);
    for (const k of m?.produces?.(t.args) ?? []) pending.add(k);
  };
  for (let j = idx; j < h.flat.length && out.length < MAX_BATCH; j++) {
    const { task, scope: parent } = h.flat[j]!;
    const looped = task.loop !== undefined && task.loop !== null;
    try {
      if (j === idx && !looped) continue;
      const scope = childScope(parent, task);
      const m = h.opts.registry.get(task.module);
      if (!m || m.kind === "controller" || task.module === "meta") continue;
      if (j > idx && !tagsSelect(scope.tags, { tags: h.opts.tags, skipTags: h.opts.skipTags })) continue;
      if (pending.size && dependsOn(task, scope, pending)) continue;
      if (!sameBecome(h.becomeFor(scope, task), become)) continue;
      const vars = h.varsFor(scope, task);
      if (!scope.whens.every((w) => isTrue(w, vars))) continue;
      const items = looped ? (renderValue(task.loop, vars, task.pos) as unknown[]) : [undefined];
      if (!Array.isArray(items)) continue;
      for (const item of j === idx ? items.slice(fromItem) : items) {
        const iv = looped ? { ...vars, [task.loopVar]: item, ansible_loop_var: task.loopVar } : vars;
        if (!task.when.every((w) => isTrue(w, iv))) continue;
        out.push(h.probeScript(task, scope, m as HostModule, iv));
      }
    } catch {
      // cannot be prepared yet (undefined variable, missing file…): it will be probed when it runs
    } finally {
      addProduced(h.flat[j]!.task);
    }
  }
  return out;
}
