// The per-task pipeline for one item: when → render → validate → prepare → probe → diff → apply,
// then changed_when/failed_when (outcome.ts) and `until` retries. The host runner (runner.ts)
// walks plays, blocks and handlers and hands each item here through the TaskHost interface.
import type { Connection } from "../core/connection.js";
import type { Plan, Task, Expr } from "../core/plan.js";
import type { TaskRef, TaskResult, TaskStatus } from "../core/events.js";
import type { Change, HostModule, ControllerModule, ModuleDef, Probe, ApplyResult, Footprint } from "../core/module.js";
import type { Facts } from "../core/facts.js";
import { CommandError, ConnectionError, InputError, UndefinedVariableError } from "../core/errors.js";
import { renderValue, renderText, evaluate, isTrue, markWrittenVars, markWrittenResult, plainCopy } from "../template/index.js";
import { validateArgs } from "../playbook/index.js";
import { ConnectionHost, type Become } from "./host.js";
import type { RunOptions } from "./options.js";
import type { ProbeCache, UpcomingProbe } from "./probes.js";
import { itemKey } from "./prepared.js";
import { sharedRender, type SharedArgsHost } from "./shared-args.js";
import type { ApplyPipeline } from "./applies.js";
import { footprintOf } from "./footprint.js";
import type { Scope } from "./scope.js";
import { decideOutcome, loopRegister, untilVerdict, type Verdict } from "./outcome.js";
import {
  errorText,
  failedOutcome,
  isUndefinedUnder,
  lines,
  maskResult,
  posText,
  SECRET_MSG,
  VAULT_MSG,
  itemLabel,
  safeResource,
  type ItemOutcome,
} from "./result.js";
import { captureVault, registerSecretName } from "../core/secrets.js";
import { findLocal, readLocal } from "./local-src.js";
import { typeName } from "../template/values.js";
import { notePlannedDirs, notRunRegister, predictedChange, unknownReason, type PlannedDirs } from "./predict.js";

/** What the pipeline needs from the host it runs on. */
export interface TaskHost {
  readonly name: string;
  readonly opts: RunOptions;
  readonly plan: Plan;
  readonly facts: Facts;
  /** The open connection (the pipeline runs only on a connected host). */
  readonly connection: Connection;
  /** register + set_fact results; a controller module's set_facts land here. */
  readonly registered: Record<string, unknown>;
  readonly probes: ProbeCache;
  /** Registered names whose task check mode did not run (to explain a later undefined `name.stdout`). */
  readonly notRunInCheck: ReadonlyMap<string, TaskRef>;
  /** Check mode: directories earlier tasks would create (predict.ts). */
  readonly plannedDirs?: PlannedDirs;
  checkFor(scope: Scope, task: Task): boolean;
  becomeFor(scope: Scope, task: Task, vars?: Record<string, unknown>): Become;
  /** Probe scripts to run in the same round trip as this task's (its later items, later tasks). */
  upcoming(task: Task, become: Become): UpcomingProbe[];
  /** Arguments rendered once per play for every host (shared-args.ts); undefined: per host. */
  readonly sharedArgs?: SharedArgsHost;
}

/** A module prepared for one item: rendered, validated and prepared args, and its probe. */
export interface Prepared {
  module: HostModule;
  args: Record<string, unknown>;
  probe: Probe<unknown>;
  become: Become;
  resource?: string;
  /** What the probe reads and apply writes (undeclared: everything). */
  fp: Footprint;
  /** The module declared its footprint (its applies may be pipelined). */
  declared: boolean;
  /** Its rendering read a vaulted variable (or a vaulted src file): the result is masked whole. */
  vault?: boolean;
}

/**
 * Run every item of a task (the task once when it does not loop), `emit` each result as it comes,
 * and give the outcomes and the task's registered result (`results` for a loop). `at(i)` tells the
 * host which item runs (probe prefetching starts after it).
 */
export async function runItems(
  h: TaskHost,
  task: Task,
  scope: Scope,
  vars: Record<string, unknown>,
  module: ModuleDef | undefined,
  emit: (r: TaskResult) => void,
  at: (i: number) => void,
): Promise<{ outcomes: ItemOutcome[]; reg: Record<string, unknown> }> {
  if (task.loop === undefined || task.loop === null) {
    const o = await runItem(h, task, scope, vars, module, undefined);
    emit(o.result);
    return { outcomes: [o], reg: o.reg };
  }
  const lc: { vault?: boolean } = {};
  const items = captureVault(() => loopItems(task, vars), lc);
  if (!Array.isArray(items)) {
    // the loop could not be rendered: one outcome for the whole task (failed, or skipped by its when)
    const o = unknownInCheck(h, task, scope, loopFailure(task, scope, vars, items.error));
    emit(o.result);
    return { outcomes: [o], reg: o.reg };
  }
  // Ansible shows an empty loop as one skipped task: so do the events (the stats count it too).
  if (items.length === 0) emit({ status: "skipped", changes: [], reason: "no items in the loop", secret: scope.noLog || task.noLog, durationMs: 0 });
  const outcomes: ItemOutcome[] = [];
  for (const [i, item] of items.entries()) {
    at(i);
    const o = await runItem(h, task, scope, { ...vars, [task.loopVar]: item, ansible_loop_var: task.loopVar }, module, item, lc.vault);
    outcomes.push(o);
    emit(o.result);
  }
  return { outcomes, reg: loopRegister(outcomes) };
}

/** Run one item of a task (the task itself when it does not loop). Throws only ConnectionError or a bug. */
export async function runItem(
  h: TaskHost,
  task: Task,
  scope: Scope,
  vars: Record<string, unknown>,
  module: ModuleDef | undefined,
  item: unknown,
  loopVault = false,
): Promise<ItemOutcome> {
  const t0 = Date.now();
  const secret = scope.noLog || task.noLog;
  // a loop, label, argument or template that read a vaulted variable masks the item whole
  const vc: { vault?: boolean } = loopVault ? { vault: true } : {};
  const label = item === undefined ? undefined : captureVault(() => itemLabel(task, vars, item), vc);
  const finish = (out: ItemOutcome): ItemOutcome => {
    let o = out;
    o.result.durationMs = Date.now() - t0;
    o = unknownInCheck(h, task, scope, o);
    if (o.result.status === "failed" && o.result.msg) {
      const note = checkModeNote(h, o.error);
      if (note) {
        o.result.msg += note;
        if (typeof o.reg.msg === "string") o.reg.msg += note;
      }
    }
    if (label !== undefined) {
      o.result.item = label;
      o.reg.item = item;
      o.reg.ansible_loop_var = task.loopVar;
      o.reg[task.loopVar] = item;
    }
    const vault = vc.vault || o.vault;
    if (secret || vault) o.result = maskResult(o.result, secret ? SECRET_MSG : VAULT_MSG);
    // what it registered carries the secret: a later `{{ r.stdout }}` is masked in turn
    if (vault && task.register) registerSecretName(task.register);
    return o;
  };

  // when: the enclosing blocks' then the task's own (per item when looping, as in Ansible)
  const whens = scope.whens.length ? [...scope.whens, ...task.when] : task.when;
  if (whens.length) {
    try {
      const failedCond = whens.find((w) => !isTrue(w, vars));
      if (failedCond)
        return finish({
          result: { status: "skipped", changes: [], reason: `condition false: ${failedCond.text}`, secret, durationMs: 0 },
          reg: { changed: false, skipped: true, skip_reason: "Conditional result was False", false_condition: failedCond.text },
          changed: false,
        });
    } catch (e) {
      if (e instanceof ConnectionError) throw e;
      return finish(failedOutcome(errorText(e), e));
    }
  }
  if (!module) return finish(failedOutcome(`unknown module '${task.module}'`));

  // templated retries/delay (engine/playbook/task.ts) are rendered with the host's variables
  const count = (e: Expr | undefined, dflt: number) => (e ? Math.max(0, Math.trunc(Number(renderValue(e.text, vars, e.pos))) || 0) : dflt);
  const [retries, delay] = [count(task.retriesExpr, task.retries), count(task.delayExpr, task.delay)];
  const attempts = task.until ? Math.max(1, retries) + 1 : 1;
  let out!: ItemOutcome;
  for (let a = 1; a <= attempts; a++) {
    out = await attempt(h, task, scope, vars, module, a > 1);
    if (!task.until) break;
    out.reg.attempts = a;
    const v = untilVerdict(task, vars, out.reg, out.idle === true);
    if (v === "met" || v === "undecidable") break;
    if (v !== "unmet") {
      out = failedOutcome(errorText(v.error), v.error);
      break;
    }
    if (a === attempts) {
      const msg = `retries exhausted after ${a} attempts: until condition '${task.until.text}' (${posText(task.until.pos)}) never became true`;
      out.result.status = "failed";
      out.result.msg = out.result.msg ? `${msg}; last: ${out.result.msg}` : msg;
      out.reg.failed = true;
      out.reg.msg = out.result.msg;
      break;
    }
    if (delay > 0) await sleep(delay * 1000);
  }
  return finish(out);
}

/** One attempt: run the controller module, or probe → diff → apply the host module; then the task's conditions. */
async function attempt(h: TaskHost, task: Task, scope: Scope, vars: Record<string, unknown>, module: ModuleDef, fresh: boolean): Promise<ItemOutcome> {
  const check = h.checkFor(scope, task);
  let status: TaskStatus;
  let changes: Change[] = [];
  let reason: string | undefined;
  let resource: string | undefined;
  let fpWrites: readonly string[] = ["*"];
  let applied = false;
  let ar: ApplyResult | void = undefined;
  let failMsg: string | undefined;
  let error: unknown;
  let reg: Record<string, unknown>;
  let show = false;
  const vc: { vault?: boolean } = {};
  try {
    if (module.kind === "controller") {
      const args = captureVault(() => renderArgs(task, module, vars), vc);
      resource = safeResource(module, args);
      const searchDirs = task.searchDirs.length ? task.searchDirs : [h.plan.dir];
      const cr = await (module as ControllerModule).run(args, {
        vars,
        facts: h.facts,
        check,
        verbosity: h.opts.verbosity ?? 0,
        searchDirs,
        evaluate: (text: string) => captureVault(() => plainCopy(evaluate({ text, pos: task.pos }, vars)), vc),
      });
      if (cr.setFacts && vc.vault) for (const k of Object.keys(cr.setFacts)) registerSecretName(k);
      if (cr.setFacts) {
        Object.assign(h.registered, cr.setFacts);
        markWrittenVars(h.registered, Object.keys(cr.setFacts), cr.setFactsWritten === true);
      }
      status = cr.failed ? "failed" : cr.skipped !== undefined ? "skipped" : cr.changed ? "changed" : "ok";
      if (cr.failed) failMsg = cr.msg ?? "failed";
      reg = { changed: Boolean(cr.changed), failed: Boolean(cr.failed), skipped: cr.skipped !== undefined };
      if (cr.skipped !== undefined) {
        reg.skipped_reason = cr.skipped;
        reason = cr.skipped;
      }
      show = cr.show === true;
      if (cr.msg !== undefined) reg.msg = cr.msg;
      if (cr.setFacts) reg.ansible_facts = cr.setFacts;
      if (cr.setFacts && cr.setFactsWritten) markWrittenResult(cr.setFacts);
    } else {
      const p = captureVault(() => prepare(h, task, scope, module as HostModule, vars), vc);
      if (p.vault) vc.vault = true;
      resource = p.resource;
      const po = await h.probes.get(h.connection, p.become, p.probe.script, p.fp.reads, fresh, () => h.upcoming(task, p.become), p.fp.writes);
      const state = p.probe.parse(po.stdout, po.rc);
      const extra = p.module.result?.(state, p.args, h.facts, { check });
      changes = p.module.diff(state, p.args, h.facts);
      if (changes.length === 0) {
        status = "ok";
        reason = p.module.explain?.(state, p.args);
      } else if (check) {
        // An action that never makes the task changed (Ansible's daemon_reload/daemon_reexec, which
        // its check mode does not even run) leaves the task ok when it is all there is.
        status = changes.some((c) => c.unknown) ? "unknown" : changes.every(quietAction) ? "ok" : "changed";
        if (h.plannedDirs) notePlannedDirs(h.plannedDirs, task, p.args);
      } else {
        applied = true;
        fpWrites = p.fp.writes;
        const pipe = h.probes.applies as ApplyPipeline | undefined;
        ar = pipe
          ? await pipe.apply(task, scope, p, po, state, changes)
          : await p.module.apply(new ConnectionHost(h.name, h.facts, h.connection, p.become), p.args, changes, state);
        status = ar && ar.changed === false ? "ok" : "changed";
        if (ar && ar.failed !== undefined) {
          status = "failed";
          failMsg = ar.failed;
        } else if (ar && ar.rc !== undefined && ar.rc !== 0) {
          status = "failed";
          failMsg = `exit code ${ar.rc}${ar.stderr?.trim() ? `: ${ar.stderr.trim()}` : ""}`;
        }
      }
      reg = { changed: status === "changed" || (applied && ar?.changed !== false), failed: status === "failed", skipped: false };
      // What the probe read first, then what apply reports on top: apply ran after the probe, so a
      // field both give (apt's cache_update_time after an update) takes apply's newer value.
      if (extra) {
        Object.assign(reg, extra);
        const af = extra.ansible_facts;
        if (af && typeof af === "object" && !Array.isArray(af)) absorbFacts(h, vars, af as Record<string, unknown>);
      }
      if (ar) {
        for (const k of ["rc", "stdout", "stderr", "msg", "backup_file"] as const) if (ar[k] !== undefined) reg[k] = ar[k];
        if (ar.stdout !== undefined) reg.stdout_lines = lines(ar.stdout);
        if (ar.stderr !== undefined) reg.stderr_lines = lines(ar.stderr);
        if (ar.data) Object.assign(reg, ar.data);
      }
      if (status === "unknown") reg.unknown = true;
      if (changes.length) reg.diff = changes.map((c) => ({ summary: c.summary, field: c.field, before: c.before, after: c.after }));
    }
  } catch (e) {
    if (e instanceof ConnectionError) throw e;
    const predicted = check ? predictedChange(h.plannedDirs, e, resource) : undefined;
    if (predicted) {
      // check mode: the directory an earlier task would create is missing only because it did not run
      status = "changed";
      changes = [predicted];
      reg = { changed: true, failed: false, skipped: false };
    } else {
      status = "failed";
      failMsg = errorText(e);
      error = e;
      reg = { changed: applied, failed: true, skipped: false, msg: failMsg };
      if (e instanceof CommandError) {
        ar = { rc: e.rc, stdout: e.stdout, stderr: e.stderr };
        Object.assign(reg, { rc: e.rc, stdout: e.stdout, stderr: e.stderr, stdout_lines: lines(e.stdout), stderr_lines: lines(e.stderr) });
      }
    }
  }
  if (failMsg !== undefined && reg.msg === undefined) reg.msg = failMsg;

  const idle = module.kind !== "controller" && !applied;
  const before: Verdict = { status, reg };
  if (failMsg !== undefined) before.failMsg = failMsg;
  if (reason !== undefined) before.reason = reason;
  if (error !== undefined) before.error = error;
  const v = decideOutcome(task, vars, before, { hasChanges: changes.length > 0, applied, ranWithRc: Boolean(ar && ar.rc !== undefined), idle });
  // Whatever changed_when/failed_when say, apply ran on the host and may have changed what later
  // probes read (a command with `changed_when: false` is still a command): drop the cache.
  if (applied) h.probes.noteApply(fpWrites);

  const result: TaskResult = { status: v.status, changes, secret: false, durationMs: 0 };
  if (resource !== undefined) result.resource = resource;
  if (v.reason !== undefined && (v.status === "ok" || v.status === "skipped")) result.reason = v.reason;
  if (v.status === "failed") result.msg = v.failMsg ?? "failed";
  else if (typeof v.reg.msg === "string") result.msg = v.reg.msg;
  if (show && v.status !== "failed" && result.msg !== undefined) result.show = true;
  if (ar) {
    if (ar.rc !== undefined) result.rc = ar.rc;
    if (ar.stdout !== undefined) result.stdout = ar.stdout;
    if (ar.stderr !== undefined) result.stderr = ar.stderr;
  }
  const o: ItemOutcome = { result, reg: v.reg, changed: v.status === "changed", idle };
  if (v.status === "failed" && v.error !== undefined) o.error = v.error;
  if (vc.vault) o.vault = true;
  return o;
}

/**
 * A module's returned `ansible_facts` become host variables, as in Ansible (INJECT_FACTS_AS_VARS):
 * each key as it is named (setup's `ansible_distribution`, package_facts' `packages`), and under
 * `ansible_facts` without the `ansible_` prefix, merged over the facts already there.
 */
function absorbFacts(h: TaskHost, vars: Record<string, unknown>, af: Record<string, unknown>): void {
  const cur = h.registered.ansible_facts ?? vars.ansible_facts;
  const ns: Record<string, unknown> = cur && typeof cur === "object" && !Array.isArray(cur) ? { ...(cur as Record<string, unknown>) } : {};
  for (const [k, v] of Object.entries(af)) {
    // Ansible's namespace_facts keeps ansible_local's prefix
    ns[k === "ansible_local" ? k : k.replace(/^ansible_/, "")] = v;
    h.registered[k] = v;
  }
  h.registered.ansible_facts = ns;
}

/** Render args with the task's variables, re-validate them, then let the module prepare them. */
function renderArgs(task: Task, module: ModuleDef, vars: Record<string, unknown>): Record<string, unknown> {
  // a copy: validateArgs coerces in place, and the plan's args must stay as written
  const args = plainCopy(renderValue(task.args, vars, task.argsPos)) as Record<string, unknown>;
  validateArgs(module, args, task.argPos, task.pos, task.moduleAs);
  return args;
}

export function prepare(
  h: Pick<TaskHost, "plan" | "facts" | "checkFor" | "becomeFor" | "registered" | "probes" | "sharedArgs">,
  task: Task,
  scope: Scope,
  module: HostModule,
  vars: Record<string, unknown>,
): Prepared {
  const check = h.checkFor(scope, task);
  const key = itemKey(task, vars);
  const hit = h.probes.prepared.get(task, key, h.registered, h.facts, check);
  if (hit && hit.module === module) return hit;
  h.probes.prepared.renders++;
  const vc: { vault?: boolean } = {};
  let args = captureVault(() => sharedRender(h.sharedArgs, h.registered, task, scope, module.name, () => renderArgs(task, module, vars)), vc);
  if (module.prepare) {
    const dirs = task.searchDirs.length ? task.searchDirs : [h.plan.dir];
    args = captureVault(
      () =>
        module.prepare!(args, {
          searchDirs: dirs,
          vars,
          check,
          render: (tpl, source) => renderText(tpl, vars, source),
          readLocal: (sub, rel, opts) => readLocal(dirs, sub, rel, task, opts?.decrypt !== false),
          findLocal: (sub, rel) => findLocal(dirs, sub, rel, task),
        }),
      vc,
    );
  }
  const p: Prepared = {
    module,
    args,
    probe: module.probe(args, h.facts),
    become: h.becomeFor(scope, task, vars),
    resource: safeResource(module, args),
    ...footprintOf(module, args, h.facts),
  };
  if (vc.vault) p.vault = true;
  h.probes.prepared.set(task, key, h.registered, h.facts, check, p);
  return p;
}

/** Check mode: a failure that comes from reading a register of a task check mode did not run is `unknown` (predict.ts). */
function unknownInCheck(h: TaskHost, task: Task, scope: Scope, o: ItemOutcome): ItemOutcome {
  if (o.result.status !== "failed" || !h.checkFor(scope, task)) return o;
  const nr = notRunRegister(h.notRunInCheck, o.error);
  if (!nr) return o;
  const msg = unknownReason(nr);
  return { result: { ...o.result, status: "unknown", msg }, reg: { ...o.reg, failed: false, unknown: true, msg }, changed: false };
}

/** For an undefined `ver.stdout` where `ver` was registered by a task check mode did not run: why, and what to do. */
function checkModeNote(h: TaskHost, error: unknown): string | undefined {
  if (!(error instanceof UndefinedVariableError) || !error.isField) return undefined;
  const by = h.notRunInCheck.get(error.root);
  if (!by) return undefined;
  return `\nnote: '${error.root}' comes from task '${by.name}' (${posText(by.pos)}), which check mode did not run: give it check_mode: false if it only reads`;
}

/** The task's loop rendered: its items, or the error rendering it (not a list, undefined variable…). */
export function loopItems(task: Task, vars: Record<string, unknown>): unknown[] | { error: unknown } {
  try {
    const rendered = renderValue(task.loop, vars, task.pos);
    if (!Array.isArray(rendered))
      throw new InputError(`loop must be a list, got ${typeName(rendered)}`, task.pos, "give loop a YAML list or a variable that holds one");
    return rendered;
  } catch (e) {
    if (e instanceof ConnectionError) throw e;
    return { error: e };
  }
}

/**
 * The one outcome of a task whose loop could not be rendered. As in Ansible, an undefined variable
 * in `loop` is an error only when the task's `when` holds: `loop: "{{ users }}"` with
 * `when: users is defined` is simply skipped.
 */
export function loopFailure(task: Task, scope: Scope, vars: Record<string, unknown>, error: unknown): ItemOutcome {
  const secret = scope.noLog || task.noLog;
  const skipped = isUndefinedUnder(error, null) ? skippedByWhen(task, scope, vars) : undefined;
  if (skipped) return skipped;
  const msg = errorText(error);
  const r: TaskResult = { status: "failed", changes: [], msg: secret ? SECRET_MSG : msg, secret, durationMs: 0 };
  // the error stays with the outcome: check mode turns one from a register it did not run into `unknown`
  return { result: r, reg: { changed: false, failed: true, msg }, changed: false, error };
}

/** The task's skipped outcome when one of its `when` conditions is false without an item (else undefined). */
export function skippedByWhen(task: Task, scope: Scope, vars: Record<string, unknown>): ItemOutcome | undefined {
  const falseCond = falseCondition(task, scope, vars);
  if (!falseCond) return undefined;
  const secret = scope.noLog || task.noLog;
  const r: TaskResult = { status: "skipped", changes: [], reason: `condition false: ${falseCond.text}`, secret, durationMs: 0 };
  return {
    result: secret ? maskResult(r) : r,
    reg: { changed: false, skipped: true, skip_reason: "Conditional result was False", false_condition: falseCond.text },
    changed: false,
  };
}

/** The first of the task's `when` conditions that is false without an item; undefined when all hold or one cannot be evaluated. */
function falseCondition(task: Task, scope: Scope, vars: Record<string, unknown>): Expr | undefined {
  try {
    return [...scope.whens, ...task.when].find((w) => !isTrue(w, vars));
  } catch {
    return undefined;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** A Change marked `data: { action: true, quiet: true }`: it runs on apply but never makes the task changed. */
function quietAction(c: Change): boolean {
  const d = c.data as { action?: unknown; quiet?: unknown } | undefined;
  return d?.action === true && d.quiet === true;
}
