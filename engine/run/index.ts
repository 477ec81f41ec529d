// engine/run: the scheduler. Runs a validated Plan against inventory hosts and reports through events.
//
//   const summary = await runPlaybook(plan, inv, { registry, check: true, diff: false, forks: 50, extraVars: {} }, sink);
//
// What a caller gets:
// - Events (engine/core/events.ts), in this order per host: host.start, host.facts (when facts are
//   gathered), then per task task.start and one task.result per loop item (TaskResult: status
//   ok|changed|failed|skipped|unknown, `changes` from the module's pure diff, `resource`, `reason` for
//   a no-op, rc/stdout/stderr of commands), host.unreachable when the connection fails, and host.done
//   (stats, round trips) once the host has no more plays. run.start / play.start / run.done frame it.
// - `status: "unknown"` only in check mode, for a task whose change cannot be predicted (a command
//   without creates/removes); `changed` always means the module's diff was not empty.
// - `result.secret === true` for no_log tasks: every value (before/after/diff/stdout/stderr/msg/item)
//   is already replaced by "(secret)" in the event; registered variables keep the real values.
// - Stats per host are disjoint: each task counts once in ok, changed, failed, skipped or unknown
//   (a looped task counts once, by its worst item); `ignored` counts failures under ignore_errors,
//   `rescued` blocks whose rescue ran; `unreachable` is 1 for an unreachable host.
//
// Containment: a ConnectionError marks only that host unreachable; a failing task stops only that
// host (unless rescued or ignored). But when EVERY host of a batch (a `serial` batch, or the whole
// play without serial) failed or became unreachable, the run stops, as Ansible's does: the later
// batches and plays never start, so a bad rolling update stops at its first batch. Hosts that never
// started are listed in `notRun` and get no host.done (zero counts would look converged). Check
// mode changes nothing, so it goes on and reports every host. runPlaybook itself throws only for invalid input found before
// any host is touched (a bad host pattern) or for a bug.
import { phaseMark } from "../core/phases.js";
import pLimit from "p-limit";
import type { Plan } from "../core/plan.js";
import type { EventSink } from "../core/events.js";
import type { Inventory } from "../inventory/index.js";
import { connect as realConnect } from "../transport/index.js";
import { HostRunner } from "./runner.js";
import { maskingSink } from "./result.js";
import { redact } from "../core/secrets.js";
import type { FleetVars, PlayState, RunOptions, RunSummary, Step } from "./options.js";
import { serialBatches } from "./select.js";
import { Lockstep } from "./lockstep.js";
import { playMaxFail, playSerial } from "./keywords.js";
import { factNeeds } from "../facts/index.js";
import { readFileSync } from "node:fs";
import { sharedArgsStats } from "./shared-args.js";

/** A local file's text (template sources for the facts analysis), or undefined when unreadable. */
function readText(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
}

export type { HostFailure, RunOptions, RunSummary } from "./options.js";
export { SECRET, maskResult } from "./result.js";
export { connectHost, type ConnectSettings } from "./connect.js";

export async function runPlaybook(plan: Plan, inv: Inventory, opts: RunOptions, rawSink: EventSink): Promise<RunSummary> {
  // decrypted vault values never reach a reporter, log or history (engine/run/result.ts)
  const sink = maskingSink(rawSink);
  const t0 = Date.now();
  // Resolve every play's hosts first: a bad pattern is invalid input, found before any host is touched.
  const limitSet = opts.limit ? new Set(inv.match(opts.limit)) : undefined;
  // A name that matches no group or host is not an error, as in Ansible: the play is reported with
  // the names it could not match and, when no host is left, skipped ("skipping: no hosts matched").
  const unmatched = plan.plays.map(() => [] as string[]);
  const playHosts = plan.plays.map((p, i) => inv.match(p.hosts, p.pos, unmatched[i]).filter((h) => !limitSet || limitSet.has(h)));
  // templated serial values are rendered now: invalid input stops the run before any host
  const serials = plan.plays.map((p) => playSerial(p, opts.extraVars ?? {}));
  const maxFails = plan.plays.map((p) => playMaxFail(p, opts.extraVars ?? {}));
  const allHosts = [...new Set(playHosts.flat())];
  const lastPlay = new Map<string, number>();
  playHosts.forEach((hs, i) => hs.forEach((h) => lastPlay.set(h, i)));
  const connectFn = opts.connect ?? realConnect;
  const runners = new Map<string, HostRunner>();
  const specs = new Map(allHosts.map((h) => [h, inv.host(h)]));
  const fleet: FleetVars = { groups: {}, hostvars: {} };
  for (const g of inv.groups()) fleet.groups[g] = inv.match(g);
  for (const [h, spec] of specs) fleet.hostvars[h] = spec.vars;
  fleet.specOf = (name) => inv.host(name);
  fleet.assignFacts = (host, facts) => {
    const r = runners.get(host);
    if (r) r.adoptFacts(facts);
    else fleet.hostvars[host] = { ...(fleet.hostvars[host] ?? inv.host(host).vars), ...facts };
  };
  // Facts: keel's own only when nothing the run templates can read another (engine/facts/needs.ts)
  const needs =
    opts.facts === "all"
      ? { all: true }
      : factNeeds({ plays: plan.plays, dir: plan.dir, vars: [...[...specs.values()].map((s) => s.vars), opts.extraVars], readText });
  phaseMark(needs.all ? `facts: all${needs.reason ? ` (${needs.reason})` : ""}` : "facts: keel's own");
  const hostOpts: RunOptions = needs.all ? opts : { ...opts, keelFactsOnly: true };
  for (const h of allHosts) runners.set(h, new HostRunner(specs.get(h)!, plan, hostOpts, sink, connectFn, fleet));
  const forks = Math.max(1, opts.forks ?? 50);
  const finished = new Set<string>();
  const finish = async (r: HostRunner) => {
    if (finished.has(r.name)) return;
    finished.add(r.name);
    phaseMark("tasks done", r.name);
    await r.finish();
    phaseMark("closed", r.name);
  };

  sink({ type: "run.start", playbook: plan.file, check: opts.check, hosts: allHosts, time: new Date(t0).toISOString() });
  let stopped: string | undefined;
  try {
    plays: for (let pi = 0; pi < plan.plays.length; pi++) {
      const play = plan.plays[pi]!;
      const hosts = playHosts[pi]!.filter((h) => runners.get(h)!.state === "active");
      sink(
        unmatched[pi]!.length
          ? { type: "play.start", play: play.name, pos: play.pos, hosts, unmatched: unmatched[pi]! }
          : { type: "play.start", play: play.name, pos: play.pos, hosts },
      );
      const playState: PlayState = { ended: false, hostsAll: playHosts[pi]!, hosts };
      const maxFail = maxFails[pi];
      // Ansible's max_fail_percentage (linear strategy, plugins/strategy/linear.py): checked after
      // every task, failed hosts only (unreachable ones do not count), exceeded rather than reached;
      // once exceeded the batch's other hosts take no further task and the run stops after the batch.
      const failedOf = (batch: string[]) => batch.filter((h) => runners.get(h)!.state === "failed");
      const exceeded = (batch: string[]) => maxFail !== undefined && batch.length > 0 && failedOf(batch).length / batch.length > maxFail / 100;
      for (const batch of serialBatches(hosts, serials[pi])) {
        // run_once: one host per batch runs the task (as Ansible's run_once with serial)
        playState.once = new Map();
        playState.batch = batch;
        if (playState.ended) {
          // meta: end_play: the later batches skip this play (their hosts may still have later plays)
          for (const h of batch) if (lastPlay.get(h) === pi) await finish(runners.get(h)!);
          continue;
        }
        const limit = pLimit(forks);
        const afterPlay = async (r: HostRunner) => {
          if (r.state !== "active" || lastPlay.get(r.name) === pi) await finish(r);
        };
        if (play.strategy === "linear") {
          const lock = new Lockstep(batch.length);
          const step: Step = async (fn) => {
            await lock.arrive();
            // every host of the batch has finished the previous task (or left): Ansible's check point
            if (!opts.check && !playState.halted && exceeded(batch)) playState.halted = true;
            return limit(fn);
          };
          await Promise.all(
            batch.map(async (h) => {
              const r = runners.get(h)!;
              try {
                await r.runPlay(play, step, playState);
              } finally {
                lock.leave();
              }
              await afterPlay(r);
            }),
          );
        } else {
          const direct: Step = (fn) => fn();
          await Promise.all(
            batch.map((h) =>
              limit(async () => {
                const r = runners.get(h)!;
                await r.runPlay(play, direct, playState);
                await afterPlay(r);
              }),
            ),
          );
        }
        // max_fail_percentage exceeded (under free, where Ansible has no per-task check point, keel
        // checks once the batch is done) stops the run; so does a batch in which every host failed
        // or was unreachable (below), as in Ansible's playbook executor.
        const bad = failedOf(batch);
        if (
          !opts.check &&
          (playState.halted || exceeded(batch)) &&
          bad.length + batch.filter((h) => runners.get(h)!.state === "unreachable").length < batch.length
        ) {
          const rest = allHosts.filter((h) => !runners.get(h)!.started);
          const halted = playState.halted ? "; the batch's other hosts stopped there" : "";
          stopped = `play '${play.name}': ${bad.length} of ${batch.length} hosts of the batch failed (${bad.join(", ")}), more than max_fail_percentage ${maxFail}%${halted}${rest.length ? `; ${rest.join(", ")} did not run` : ""}`;
          break plays;
        }
        if (!opts.check && batch.length && batch.every((h) => runners.get(h)!.state === "failed" || runners.get(h)!.state === "unreachable")) {
          const rest = allHosts.filter((h) => !runners.get(h)!.started);
          stopped = `play '${play.name}': every host of the batch failed (${batch.join(", ")})${rest.length ? `; ${rest.join(", ")} did not run` : ""}`;
          break plays;
        }
      }
    }
  } finally {
    // Hosts that never started (the run stopped first) are not "done": they get no host.done.
    for (const r of runners.values()) if (r.started || stopped === undefined) await finish(r);
  }

  const summary: RunSummary = { stats: {}, roundTrips: {}, unreachable: [], failed: [], failures: [], notRun: [], durationMs: Date.now() - t0 };
  if (stopped !== undefined) summary.stopped = stopped;
  for (const [h, r] of runners) {
    if (stopped !== undefined && !r.started) {
      summary.notRun.push(h);
      continue;
    }
    summary.stats[h] = { ...r.stats };
    summary.roundTrips[h] = r.roundTrips;
    if (r.state === "unreachable") summary.unreachable.push(h);
    if (r.state === "failed") summary.failed.push(h);
    if (r.failure && (r.state === "unreachable" || r.state === "failed")) summary.failures.push(r.failure);
  }
  phaseMark(`arguments shared: ${sharedArgsStats.hits} copies of ${sharedArgsStats.stored} renderings`);
  sink({ type: "run.summary", summary });
  sink({ type: "run.done", stats: summary.stats, durationMs: summary.durationMs });
  return redact(summary);
}
