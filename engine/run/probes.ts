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
import { overlaps } from "./footprint.js";
import { PreparedCache } from "./prepared.js";
import { childScope, dependsOn, type Flat, type Scope } from "./scope.js";
import type { Become } from "./host.js";

export const MAX_BATCH = 500;

/** A probe to run ahead, and what it reads (so an apply that cannot change it keeps it). */
export interface UpcomingProbe {
  script: string;
  reads: string[];
}

interface Entry {
  out: ProbeOutput;
  reads: string[];
  /** How many applies had run on the host when the probe ran. */
  at: number;
}

export class ProbeCache {
  /**
   * Outputs per (become, script), oldest first. Several tasks may share one probe script (two
   * lineinfile tasks on one file) and a batch reads it at several points of the run.
   */
  private readonly map = new Map<string, Map<string, Entry[]>>();
  /** What each apply run on this host so far may have written, in order. */
  private applied: (readonly string[])[] = [];
  /** Applies run on this host in all (never reset), and how many had run at the last probe round trip. */
  private appliesTotal = 0;
  private appliesAtLastTrip = 0;
  /** How many probe round trips in a row each followed an apply (the host is changing task after task). */
  private changingTrips = 0;
  /**
   * Keep, after an apply, the probes whose declared reads it cannot have changed (pipelined runs).
   * Off (KEEL_PIPELINE=0): any apply drops the whole cache, as before pipelining.
   */
  selective = false;
  /** The prepared arguments of this host's tasks (templated once: prepared.ts). */
  readonly prepared = new PreparedCache();
  /** Pipelined applies (applies.ts); undefined when off (KEEL_PIPELINE=0): every apply runs live. */
  applies?: { clear(): void };

  /** A new play: nothing read or prepared before it holds. */
  clear(): void {
    this.map.clear();
    this.applied = [];
    this.prepared.clear();
    this.applies?.clear();
  }

  /** How many applies have run (the position a probe run now is valid at). */
  get epoch(): number {
    return this.applied.length;
  }

  /** An apply ran (changed, failed half-way, or turned "ok" by changed_when): what it may have written. */
  noteApply(writes: readonly string[]): void {
    this.appliesTotal++;
    if (this.selective) this.applied.push(writes);
    else {
      this.map.clear();
      this.applied = [];
    }
  }

  private valid(e: Entry): boolean {
    for (let i = e.at; i < this.applied.length; i++) if (overlaps(this.applied[i]!, e.reads)) return false;
    return true;
  }

  /** The newest output read at or before the current point of the run (not one a batch read further on). */
  private latest(become: Become, script: string): Entry | undefined {
    const list = this.map.get(userKey(become))?.get(script);
    if (!list) return undefined;
    for (let i = list.length - 1; i >= 0; i--) if (list[i]!.at <= this.applied.length) return list[i];
    return undefined;
  }

  /** The cached output of `script` run with `become`, if no apply since can have changed it. */
  lookup(become: Become, script: string): ProbeOutput | undefined {
    const e = this.latest(become, script);
    return e && this.valid(e) ? e.out : undefined;
  }

  /**
   * The last output of `script` with `become`, valid or not, and whether an apply since may have
   * changed it (the pipeline plans with it behind a guard).
   */
  peek(become: Become, script: string): { out: ProbeOutput; stale: boolean } | undefined {
    const e = this.latest(become, script);
    return e && { out: e.out, stale: !this.valid(e) };
  }

  /** The output read after `at` applies (default: now). */
  store(become: Become, script: string, out: ProbeOutput, reads: readonly string[], at = this.applied.length): void {
    const user = userKey(become);
    let byScript = this.map.get(user);
    if (!byScript) this.map.set(user, (byScript = new Map()));
    const list = (byScript.get(script) ?? []).filter((e) => e.at !== at);
    list.push({ out, reads: [...reads], at });
    list.sort((a, b) => a.at - b.at);
    byScript.set(script, list);
  }

  /**
   * The output of `script` run with `become`. Unless `fresh` (a retry must read the host again),
   * a cached output is returned, and a miss also runs the scripts `more()` gives (those not cached
   * yet) in the same round trip.
   *
   * While the host keeps changing (this is the second probe round trip in a row that follows an
   * apply) the batch leaves out the later probes that this task's own apply (`writes`) would
   * invalidate: a first run of a looped sysctl or lineinfile task over one file otherwise re-read
   * every remaining item after each changed one, O(items²) probe scripts (os_hardening's 56 sysctl
   * items: about 1,600 probes, 105 s of its first run). After a single change the later probes are
   * still read again together (one round trip when the rest is converged), and once a task turns
   * out unchanged the next miss prefetches everything again: a converged host still reads all its
   * probes in one round trip.
   */
  async get(
    conn: Connection,
    become: Become,
    script: string,
    reads: readonly string[],
    fresh: boolean,
    more: () => UpcomingProbe[],
    writes: readonly string[] = [],
  ): Promise<ProbeOutput> {
    if (!fresh) {
      const hit = this.lookup(become, script);
      if (hit) return hit;
    }
    const probes: UpcomingProbe[] = [{ script, reads: [...reads] }];
    // one become for the whole batch: the script alone names a probe (a string's hash is computed once)
    const keys = new Set([script]);
    if (!fresh) {
      const changing = this.changingTrips >= 1 && this.appliesTotal > this.appliesAtLastTrip;
      for (const u of more()) {
        if (keys.has(u.script) || this.lookup(become, u.script)) continue;
        if (changing && overlaps(writes, u.reads)) continue;
        probes.push(u);
        keys.add(u.script);
        if (probes.length >= MAX_BATCH) break;
      }
    }
    this.changingTrips = this.appliesTotal > this.appliesAtLastTrip ? this.changingTrips + 1 : 0;
    this.appliesAtLastTrip = this.appliesTotal;
    const outs = await runProbes(
      conn,
      become,
      probes.map((p) => p.script),
    );
    outs.forEach((o, i) => this.store(become, probes[i]!.script, o, probes[i]!.reads));
    return outs[0]!;
  }
}

/** A prepared task's probe as a prefetch entry. */
export function upcomingOf(p: { probe: { script: string }; fp: { reads: string[] } }): UpcomingProbe {
  return { script: p.probe.script, reads: p.fp.reads };
}

/** Run probe scripts in one round trip (joined, then split apart). */
export async function runProbes(conn: Connection, become: Become, scripts: string[]): Promise<ProbeOutput[]> {
  const { script: joined, nonce } = joinProbes(scripts);
  const res = await conn.exec({ command: joined, become });
  try {
    return splitProbes(res.stdout, scripts.length, nonce);
  } catch {
    throw new ModuleError(`could not read the host's state (probe exit code ${res.rc}${res.stderr.trim() ? `: ${res.stderr.trim()}` : ""})`);
  }
}

export function sameBecome(a: Become, b: Become): boolean {
  return userKey(a) === userKey(b);
}

/**
 * The cache is keyed by become user, then by script: the script string itself, not a new string
 * built from both (that one would be hashed again, whole, at every lookup).
 */
function userKey(b: Become): string {
  return b ? b.user : "";
}

/** What prefetching needs from the host runner. */
export interface PrefetchHost {
  readonly flat: Flat[];
  readonly opts: Pick<RunOptions, "registry" | "tags" | "skipTags">;
  becomeFor(scope: Scope, task: Task): Become;
  varsFor(scope: Scope, task: Task): Record<string, unknown>;
  /** The probe script of the task for these variables (throws when it cannot be prepared yet). */
  probeScript(task: Task, scope: Scope, module: HostModule, vars: Record<string, unknown>): UpcomingProbe;
}

/**
 * Probe scripts of what runs after flat[idx] (item `fromItem - 1` of it, when it loops) that can
 * be prepared now: the task's own later loop items, then the later tasks with the same become,
 * `when` true with today's variables, and nothing in their when/loop/args that a task between
 * here and there will register or set_fact. Anything that fails to prepare is left for later.
 */
export function upcomingProbes(h: PrefetchHost, idx: number, become: Become, fromItem: number): UpcomingProbe[] {
  const out: UpcomingProbe[] = [];
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
