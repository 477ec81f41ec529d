// Pipelined applies (docs/pipelining.md): when a task must apply, the runner also plans
// the tasks after it that it can already decide, and sends all their applies in ONE round trip
// (Connection.execBatch). The tasks then run through the normal pipeline as before; their apply
// replays what the batch ran (recorder.ts), so events, results and reports are those of a
// sequential run.
//
// The batch, in order: this task's calls; then for each later task that can be planned, a guard
// when an apply before it in the batch may have changed what its probe read (the probe runs again
// there and the batch goes on only when its output is byte for byte the one the plan used), then its
// calls; at the end, the probes of the tasks after the last planned one. Every call lets the batch
// go on only when it exits 0, so the batch stops exactly where a sequential run would have stopped
// (or earlier: the rest then simply runs live). What a later task can be planned with, and when
// planning stops, is in lookahead.ts.
import type { BatchStep } from "../core/connection.js";
import type { Change, ApplyResult, ExecResult } from "../core/module.js";
import type { Play, Task } from "../core/plan.js";
import type { RunOptions } from "./options.js";
import { InternalError } from "../core/errors.js";
import { guardDigest } from "../transport/steps.js";
import { joinProbes, splitProbes, type ProbeOutput } from "./batch.js";
import { ConnectionHost, type Become } from "./host.js";
import { record, ReplayHost, type RecordedCall } from "./recorder.js";
import { planAhead, type AheadHost } from "./lookahead.js";
import type { Prepared } from "./pipeline.js";
import type { Scope } from "./scope.js";

/** One planned apply: what it was planned from, its calls, and the results of those that ran. */
interface Planned {
  task: Task;
  p: Prepared;
  po: ProbeOutput;
  calls: RecordedCall[];
  results: ExecResult[];
}

/** A probe a batch runs at its end, valid after `at` applies. */
export interface BatchProbe {
  script: string;
  reads: string[];
  become: Become;
  at: number;
}

/**
 * The host's pipeline: on unless the run's options say no or KEEL_PIPELINE=0 (every apply then runs
 * on its own, and any apply drops the whole probe cache, exactly as before pipelining).
 */
export function applyPipelineFor(h: AheadHost, aheadIndex: (task: Task) => number | undefined): void {
  if (!(h.opts.pipeline ?? process.env.KEEL_PIPELINE !== "0")) return;
  h.probes.selective = true;
  h.probes.applies = new ApplyPipeline(h, aheadIndex);
}

/**
 * Later tasks may join a task's batch: not under `strategy: linear` (every host finishes a task
 * before any starts the next), not with --step (asked before each task), not when the play places
 * every task (environment, delegate_to, run_once).
 */
export function aheadAllowed(play: Play, opts: Pick<RunOptions, "confirmTask">): boolean {
  const p = play.placement;
  return play.strategy === "free" && !opts.confirmTask && !(p && (p.environment?.length || p.delegateTo !== undefined || p.runOnce || p.delegateFacts));
}

export class ApplyPipeline {
  /** Planned applies not yet replayed, in order. */
  private queue: Planned[] = [];
  /** Batches sent (round trips), for tests. */
  batches = 0;

  constructor(
    private readonly h: AheadHost,
    /** Position of a task in `flat`, when later tasks may join its batch (aheadAllowed). */
    private readonly aheadIndex: (task: Task) => number | undefined,
  ) {}

  clear(): void {
    this.queue = [];
  }

  /**
   * Apply one item: replay it from a batch that planned it, or send a new batch with it first.
   * Undeclared modules and connections without batches apply live.
   */
  async apply(task: Task, scope: Scope, p: Prepared, po: ProbeOutput, state: unknown, changes: Change[]): Promise<ApplyResult | void> {
    const h = this.h;
    let planned = this.take(p, po);
    if (!planned && p.declared && h.connection.execBatch) planned = await this.send(task, scope, p, po, state, changes);
    if (!planned) return p.module.apply(new ConnectionHost(h.name, h.facts, h.connection, p.become), p.args, changes, state);
    const replay = new ReplayHost(h.name, h.facts, h.connection, p.become, planned.calls, planned.results, p.module.name);
    const out = await p.module.apply(replay, p.args, changes, state);
    if (replay.leftover)
      throw new InternalError(
        `the apply of ${p.module.name} on ${h.name} made fewer calls than it was recorded with; modules that declare a footprint must apply deterministically`,
      );
    return out;
  }

  /** The planned apply of this item, when the plan used this very preparation and probe output. */
  private take(p: Prepared, po: ProbeOutput): Planned | undefined {
    while (this.queue.length) {
      const head = this.queue[0]!;
      if (head.p === p && head.po.stdout === po.stdout && head.po.rc === po.rc) {
        this.queue.shift();
        return head;
      }
      if (head.results.length > 0) {
        throw new InternalError(
          `${this.h.name}: task '${head.task.name ?? head.task.module}' was applied ahead in a batch, but the run did not come to apply it the same way`,
        );
      }
      this.queue.shift();
    }
    return undefined;
  }

  /** Plan this item and what follows it, run the batch, and return this item's plan. */
  private async send(task: Task, scope: Scope, p: Prepared, po: ProbeOutput, state: unknown, changes: Change[]): Promise<Planned | undefined> {
    const h = this.h;
    const first = await record(p.module, p.args, changes, state, h.name, h.facts, h.connection, p.become);
    if (first.calls.length === 0) return undefined;
    const plan = await planAhead(h, this.aheadIndex(task), task, scope, { p, po, rec: first });
    const steps: BatchStep[] = [];
    const applies: { pl: Planned; from: number }[] = [];
    const guards: { p: Prepared; at: number; step: number }[] = [];
    // a guard with no apply after it stops nothing (the probes after it may still run)
    const lastApply = plan.entries.map((e) => e.kind).lastIndexOf("apply");
    for (const [k, e] of plan.entries.entries()) {
      if (e.kind === "apply") {
        applies.push({ pl: { task: e.task, p: e.p, po: e.po, calls: e.rec.calls, results: [] }, from: steps.length });
        for (const c of e.rec.calls) steps.push(c.step);
      } else {
        guards.push({ p: e.p, at: e.at, step: steps.length });
        steps.push({
          req: { command: guardCommand(e.p.probe.script), become: e.p.become },
          goOn: k > lastApply ? "always" : { sha256: guardDigest(guardStdout(e.expect), 0) },
        });
      }
    }
    let trailing: { probes: BatchProbe[]; step: number; nonce: string } | undefined;
    if (plan.trailing.length) {
      const j = joinProbes(plan.trailing.map((t) => t.script));
      trailing = { probes: plan.trailing, step: steps.length, nonce: j.nonce };
      steps.push({ req: { command: j.script, become: plan.trailing[0]!.become }, goOn: "always" });
    }
    this.batches++;
    const results = await h.connection.execBatch!(steps);
    for (const a of applies) a.pl.results = results.slice(a.from, Math.min(results.length, a.from + a.pl.calls.length));
    // A guard's probe ran once what the batch applied before it had run: its output is the probe's
    // output at that point of the run, whatever it compared to.
    for (const g of guards) {
      const r = results[g.step];
      if (!r) continue;
      const out = guardOutput(r);
      if (out) h.probes.store(g.p.become, g.p.probe.script, out, g.p.fp.reads, g.at);
    }
    const tr = trailing && results[trailing.step];
    if (trailing && tr) {
      try {
        const outs = splitProbes(tr.stdout, trailing.probes.length, trailing.nonce);
        outs.forEach((o, i) => {
          const t = trailing!.probes[i]!;
          h.probes.store(t.become, t.script, o, t.reads, t.at);
        });
      } catch {
        // a prefetch that could not be read is simply probed again when its task runs
      }
    }
    this.queue = applies.map((a) => a.pl);
    return this.take(p, po);
  }
}

// A guard runs the probe as a probe batch runs it (a subshell, stdin from /dev/null, stderr
// discarded: see batch.ts), then prints its exit code on a last line of its own. Output that does
// not end with that line (become failed, the step was cut) is not a probe output.
const GUARD_END = /\n@@KEEL-GUARD-(\d+)@@\n$/;

function guardCommand(script: string): string {
  return `(\n${script}\n) </dev/null 2>/dev/null; printf '\\n@@KEEL-GUARD-%s@@\\n' "$?"`;
}

function guardStdout(o: ProbeOutput): string {
  return `${o.stdout}\n@@KEEL-GUARD-${o.rc}@@\n`;
}

function guardOutput(r: ExecResult): ProbeOutput | undefined {
  const m = GUARD_END.exec(r.stdout);
  if (!m || r.rc !== 0) return undefined;
  return { stdout: r.stdout.slice(0, m.index), rc: Number(m[1]) };
}
