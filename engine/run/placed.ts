// The host a task runs on when its placement says so (delegate.ts): a TaskHost view over another
// connection of the pool (delegate_to, remote_user, connection) and/or with the task's environment,
// and run_once's sharing of one host's result with the rest of the batch.
import type { Connection } from "../core/connection.js";
import { ConnectionError } from "../core/errors.js";
import type { TaskResult } from "../core/events.js";
import type { ModuleDef } from "../core/module.js";
import type { Facts } from "../core/facts.js";
import type { HostSpec } from "../core/host.js";
import type { Play, Task } from "../core/plan.js";
import { gatherFacts } from "../facts/index.js";
import { ConnectionPool, environmentOf, targetOf, withEnv, placementOf, type Target } from "./delegate.js";
import { ProbeCache } from "./probes.js";
import { runItems, skippedByWhen, type TaskHost } from "./pipeline.js";
import type { FleetVars, PlayState, RunOptions } from "./options.js";
import type { Scope } from "./scope.js";
import { errorText, failedOutcome, maskResult, type ItemOutcome } from "./result.js";
import { isWrittenResult, markWrittenVars } from "../template/index.js";

/** What the view needs from the host runner. */
export interface PlacingHost extends TaskHost {
  readonly spec: HostSpec;
  readonly pool: ConnectionPool;
  /** Pool key of the host's main connection. */
  readonly connKey?: string | undefined;
  readonly fleet: FleetVars;
}

/** A task placed elsewhere: the host to run it on, and what to do once it ran. */
export interface Placed {
  host: TaskHost;
  /** After the task: hand delegated facts over, and tell the runner its probe cache may be stale. */
  after(): void;
}

/** The main connection's target for a play (the play's remote_user and connection). */
export function mainTarget(spec: HostSpec, play: Play, vars: Record<string, unknown>, fleet: FleetVars, opts: RunOptions): Target {
  const p = placementOf(play, undefined);
  return targetOf(
    spec,
    { ...(p.remoteUser !== undefined ? { remoteUser: p.remoteUser } : {}), ...(p.connection ? { connection: p.connection } : {}) },
    vars,
    undefined,
    fleet.specOf,
    opts,
  );
}

/**
 * The host the task runs on: `h` itself when the task's placement changes nothing (the common
 * case: no cost), else a view. Throws InputError for a placement that cannot be rendered (an
 * undefined variable, an unknown delegate) and ConnectionError when the other host is unreachable.
 */
export async function placeTask(h: PlacingHost, play: Play, task: Task, vars: Record<string, unknown>): Promise<Placed | undefined> {
  const p = placementOf(play, task);
  if (p.delegateTo === undefined && p.remoteUser === undefined && p.connection === undefined && !p.environment?.length) return undefined;
  const t = targetOf(h.spec, p, vars, task, h.fleet.specOf, h.opts);
  const env = environmentOf(p, vars, task);
  const same = t.key === h.connKey;
  if (same && !env) return undefined;
  let conn: Connection = same ? h.connection : await h.pool.get(t);
  // another host: its own facts decide the modules' backends (when the play gathers facts at all);
  // the same host as another user: the same facts
  const facts: Facts = t.delegated && play.gatherFacts ? await h.pool.factsOf(t, (c) => gatherFacts(c)) : h.facts;
  if (env) conn = withEnv(conn, env);
  const bucket: Record<string, unknown> | undefined = t.delegated && p.delegateFacts ? {} : undefined;
  const view: TaskHost = {
    name: h.name,
    opts: h.opts,
    plan: h.plan,
    facts,
    connection: conn,
    registered: bucket ?? h.registered,
    probes: new ProbeCache(),
    notRunInCheck: h.notRunInCheck,
    ...(h.plannedDirs ? { plannedDirs: h.plannedDirs } : {}),
    checkFor: (s, x) => h.checkFor(s, x),
    becomeFor: (s, x, v) => h.becomeFor(s, x, v),
    upcoming: () => [],
  };
  return {
    host: view,
    after: () => {
      h.probes.clear();
      if (bucket && Object.keys(bucket).length) h.fleet.assignFacts?.(t.spec.name, bucket);
    },
  };
}

/** What the host that ran a run_once task tells the others of its batch. */
export interface OnceResult {
  host: string;
  /** The task did not fail (or its failure was ignored). */
  ok: boolean;
  /** Its registered result (the loop's `results` too). */
  reg?: Record<string, unknown>;
}

/**
 * Run the task's items on the host its placement names (placeTask): over `h` itself, or a view.
 * A placement that cannot be rendered fails the task on this host, as one failed result.
 */
export async function runPlaced(
  h: PlacingHost,
  play: Play,
  task: Task,
  scope: Scope,
  vars: Record<string, unknown>,
  module: ModuleDef | undefined,
  emit: (r: TaskResult) => void,
  at: (i: number) => void,
): Promise<{ outcomes: ItemOutcome[]; reg: Record<string, unknown> }> {
  let placed: Placed | undefined;
  try {
    placed = await placeTask(h, play, task, vars);
  } catch (e) {
    if (e instanceof ConnectionError) throw e;
    // Ansible decides `when` before it connects to a delegate: a task its condition skips is
    // skipped, whatever its delegate_to names (geerlingguy.mysql's replication tasks on a host
    // that is not a replica delegate to an empty name)
    const skipped = skippedByWhen(task, scope, vars);
    if (skipped) {
      emit(skipped.result);
      return { outcomes: [skipped], reg: skipped.reg };
    }
    const o = failedOutcome(errorText(e), e);
    if (scope.noLog || task.noLog) o.result = maskResult(o.result);
    emit(o.result);
    return { outcomes: [o], reg: o.reg };
  }
  try {
    return await runItems(placed?.host ?? h, task, scope, vars, module, emit, at);
  } finally {
    placed?.after();
  }
}

/**
 * run_once (the task's or the play's): the first host of the batch to get to the task runs it
 * (`run`), the others wait for it and `adopt` its result. Without run_once, `run` as is.
 */
export async function onceGate(
  host: string,
  state: PlayState,
  play: Play,
  task: Task,
  run: () => Promise<{ ok: boolean; reg?: Record<string, unknown> | undefined }>,
  adopt: (r: OnceResult) => boolean,
): Promise<boolean> {
  const once = (task.placement?.runOnce ?? play.placement?.runOnce) ? state.once : undefined;
  if (!once) return (await run()).ok;
  const first = once.get(task.id);
  if (first) return adopt(await first);
  let done!: (r: OnceResult) => void;
  once.set(task.id, new Promise((r) => (done = r)));
  let r: OnceResult = { host, ok: false };
  try {
    const out = await run();
    r = out.reg ? { host, ok: out.ok, reg: out.reg } : { host, ok: out.ok };
  } finally {
    done(r);
  }
  return r.ok;
}

/** Put a run_once result into a host's variables (its register, its facts); true when something was set. */
export function adoptedVars(registered: Record<string, unknown>, task: Task, r: OnceResult): boolean {
  const facts = r.reg?.ansible_facts;
  if (facts && typeof facts === "object") {
    Object.assign(registered, facts);
    // include_vars' variables are templated when read on every host that adopts them, as on the one that ran it
    markWrittenVars(registered, Object.keys(facts), isWrittenResult(facts));
  }
  if (task.register && r.reg) registered[task.register] = r.reg;
  return Boolean(task.register || facts);
}
