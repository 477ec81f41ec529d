// Planning the tasks after an apply (applies.ts). A later task joins the batch only when the run is
// certain to reach it with exactly what the plan used, and its result cannot stop the host or
// change what a task after it sees, except through a call that fails (which stops the batch):
//
//   - same play, normal flow (flat order), strategy free, no --step; the task is not a handler
//     and has no placement (delegate_to, remote_user, connection, environment, run_once);
//   - no meta task, no controller module (set_fact, assert, debug… may fail or set variables),
//     no module without a footprint or that sets variables (result, produces), no command or shell
//     (a footprint `firstOnly`: they only start batches), no loop, no register, changed_when, failed_when or until
//     (their result feeds decisions the host makes later), no check mode, on the same host;
//   - the applies before it in the batch have no register either (this task's variables are the
//     ones it was planned with) and are complete recordings (recorder.ts);
//   - its `when` holds or not with today's variables (a false one is skipped, as the run will);
//   - its probe output is in the cache and still valid; if an apply before it in the batch may
//     have changed what its probe reads (declared footprints overlap), a guard re-runs the probe
//     in the batch and lets the batch go on only when the output is unchanged, or is exactly what
//     the module predicted from the files the batch installs before it (HostModule.predict).
//
// Planning stops at the first task that does not qualify; the probes of the tasks from there on
// (those that can be prepared) run at the end of the batch.
import type { Connection } from "../core/connection.js";
import type { Facts } from "../core/facts.js";
import type { FileWrite, HostModule } from "../core/module.js";
import type { Plan, Task } from "../core/plan.js";
import { isTrue } from "../template/index.js";
import type { ProbeOutput } from "./batch.js";
import { overlaps } from "./footprint.js";
import { prepare, type Prepared } from "./pipeline.js";
import { record, type Recording } from "./recorder.js";
import { sameBecome, upcomingProbes, type PrefetchHost, type ProbeCache } from "./probes.js";
import { tagsSelect } from "./select.js";
import { childScope, type Scope } from "./scope.js";
import type { BatchProbe } from "./applies.js";
import type { RunOptions } from "./options.js";

/** At most this many steps in one batch (a long play is sent in several). */
export const MAX_STEPS = 200;
/** And at most this many bytes of stdin (file contents) in one batch. */
export const MAX_STDIN = 8 << 20;

export interface AheadHost extends PrefetchHost {
  readonly opts: PrefetchHost["opts"] & Pick<RunOptions, "pipeline">;
  readonly name: string;
  readonly facts: Facts;
  readonly plan: Plan;
  readonly connection: Connection;
  readonly registered: Record<string, unknown>;
  readonly probes: ProbeCache;
  checkFor(scope: Scope, task: Task): boolean;
}

export type Entry =
  { kind: "apply"; task: Task; p: Prepared; po: ProbeOutput; rec: Recording } | { kind: "guard"; p: Prepared; expect: ProbeOutput; at: number };

export interface AheadPlan {
  entries: Entry[];
  trailing: BatchProbe[];
}

/** A task whose own result decides something later: nothing after it joins its batch. */
function decides(t: Task): boolean {
  return t.register !== undefined || Boolean(t.changedWhen?.length) || Boolean(t.failedWhen?.length) || t.until !== undefined;
}

/** The task runs elsewhere, as another user, with an environment or once for the batch (placed.ts). */
function placed(t: Task): boolean {
  return t.placement !== undefined && Object.values(t.placement).some((v) => v !== undefined && !(Array.isArray(v) && v.length === 0));
}

/**
 * A module that sets variables itself: the names it `produces` (every module whose result carries
 * ansible_facts declares them: getent, package_facts, service_facts). A result of register fields
 * only (users.user's ssh key, uri, unarchive) sets nothing unless the task registers it, which
 * decides() already covers; counting it here had made users.user a barrier, and the shipped
 * baseline's first run took 7 round trips instead of 5.
 */
function setsVars(m: HostModule): boolean {
  return (m as { produces?: unknown }).produces !== undefined;
}

/** `idx`: the task's position in h.flat when later tasks may join its batch. */
export async function planAhead(
  h: AheadHost,
  idx: number | undefined,
  task: Task,
  scope: Scope,
  first: { p: Prepared; po: ProbeOutput; rec: Recording },
): Promise<AheadPlan> {
  const entries: Entry[] = [{ kind: "apply", task, p: first.p, po: first.po, rec: first.rec }];
  const plan: AheadPlan = { entries, trailing: [] };
  const looped = task.loop !== undefined && task.loop !== null;
  if (idx === undefined || looped || scope.handler || decides(task) || placed(task) || setsVars(first.p.module) || !first.rec.complete || first.rec.threw)
    return plan;
  const base = h.probes.epoch;
  const writes: (readonly string[])[] = [first.p.fp.writes];
  /** The files the batch's applies install, in order (for probe predictions). */
  const files: FileWrite[] = first.rec.calls.flatMap((c) => (c.write ? [c.write] : []));
  let steps = first.rec.calls.length;
  let stdin = first.rec.calls.reduce((n, c) => n + (c.step.req.stdin?.length ?? 0), 0);
  let j = idx + 1;
  for (; j < h.flat.length; j++) {
    const { task: t, scope: parent } = h.flat[j]!;
    const s = childScope(parent, t);
    if (!tagsSelect(s.tags, { tags: h.opts.tags, skipTags: h.opts.skipTags })) continue;
    if (t.module === "meta" || (t.loop !== undefined && t.loop !== null) || decides(t) || placed(t)) break;
    const m = h.opts.registry.get(t.module);
    if (!m || m.kind === "controller" || !(m as HostModule).footprint || setsVars(m as HostModule)) break;
    if (h.checkFor(s, t)) break;
    let p: Prepared;
    let changes;
    let state: unknown;
    let po: ProbeOutput | undefined;
    let stale = false;
    try {
      const vars = h.varsFor(s, t);
      if (![...s.whens, ...t.when].every((w) => isTrue(w, vars))) continue;
      p = prepare(h, t, s, m as HostModule, vars);
      if (!p.declared || p.fp.firstOnly) break;
      const seen = h.probes.peek(p.become, p.probe.script);
      if (!seen) break;
      po = seen.out;
      stale = seen.stale || writes.some((w) => overlaps(w, p.fp.reads));
      // Behind a guard anyway: plan with what the module predicts the files the batch installs
      // before it make of the output (a wrong guess only stops the batch at the guard).
      if (stale && p.module.predict && files.length) {
        const guess = p.module.predict(po.stdout, p.args, h.facts, files);
        if (guess !== undefined) po = { ...po, stdout: guess };
      }
      state = p.probe.parse(po.stdout, po.rc);
      changes = p.module.diff(state, p.args, h.facts);
    } catch {
      break; // the task fails or cannot be decided yet: the run gets there on its own
    }
    // An output read before an apply that may have changed it is used behind a guard: the batch
    // reads the probe again at this point and goes on only when nothing changed.
    if (stale) {
      if (steps + 1 > MAX_STEPS) break;
      entries.push({ kind: "guard", p, expect: po, at: base + writes.length });
      steps++;
    }
    if (changes.length === 0) continue;
    const rec = await record(p.module, p.args, changes, state, h.name, h.facts, h.connection, p.become);
    const add = rec.calls.reduce((n, c) => n + (c.step.req.stdin?.length ?? 0), 0);
    if (rec.calls.length === 0 || steps + rec.calls.length > MAX_STEPS || stdin + add > MAX_STDIN) break;
    entries.push({ kind: "apply", task: t, p, po, rec });
    steps += rec.calls.length;
    stdin += add;
    writes.push(p.fp.writes);
    for (const c of rec.calls) if (c.write) files.push(c.write);
    if (!rec.complete || rec.threw) return plan;
  }
  plan.trailing = trailingProbes(h, j, first.p, writes, base + writes.length);
  return plan;
}

/** The probes of the tasks from flat[j] on that can be prepared now, not validly cached, with the first task's become. */
function trailingProbes(h: AheadHost, j: number, first: Prepared, writes: (readonly string[])[], at: number): BatchProbe[] {
  if (j >= h.flat.length) return [];
  const out: BatchProbe[] = [];
  const seen = new Set<string>();
  // upcomingProbes starts after the index it is given; it returns scripts with what they read
  for (const u of upcomingProbes(h, j - 1, first.become, 0)) {
    if (seen.has(u.script) || (h.probes.lookup(first.become, u.script) && !writes.some((w) => overlaps(w, u.reads)))) continue;
    seen.add(u.script);
    out.push({ script: u.script, reads: u.reads, become: first.become, at });
  }
  return out;
}

export { sameBecome };
