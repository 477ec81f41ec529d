// The per-host runner: one Connection for the whole run, facts once, then each play's tasks in
// order with probe batching, handlers, loops, blocks, retries and check mode.
//
// Probe cache (DESIGN.md, "Performance model"): when a task needs its probe and the cache does not
// hold it, the runner also prepares the probes of every later task of the play that it can already
// template, and runs them all in ONE round trip. Results are keyed by (become user, probe script),
// so a task whose arguments render differently later simply misses the cache. Once a module's
// apply ran at all (changed, failed half-way, or turned "ok" by changed_when: false, which does not
// make a command read-only) the whole cache is dropped, and the next task that needs a probe starts
// a new batch.
import { existsSync } from "node:fs";
import { readFileBytesCached } from "../core/filecache.js";
import { isAbsolute, join } from "node:path";
import type { Connection } from "../core/connection.js";
import type { Plan, Play, Task, TaskNode, Expr } from "../core/plan.js";
import type { HostSpec } from "../core/host.js";
import type { EventSink, HostStats, TaskRef, TaskResult, TaskStatus } from "../core/events.js";
import { emptyStats } from "../core/events.js";
import type { Change, HostModule, ControllerModule, ModuleDef, Probe, ApplyResult } from "../core/module.js";
import { EMPTY_FACTS, type Facts } from "../core/facts.js";
import { CommandError, ConnectionError, InputError, InternalError, KeelError, ModuleError, type ConnectionFailure } from "../core/errors.js";
import { renderValue, renderText, evaluate, isTrue, layerVars } from "../template/index.js";
import { validateArgs } from "../playbook/index.js";
import { gatherFacts, ansibleFactVars } from "../facts/index.js";
import { joinProbes, splitProbes, type ProbeOutput } from "./batch.js";
import { tagsSelect } from "./select.js";
import { ConnectionHost, type Become } from "./host.js";
import type { RunOptions } from "./index.js";

/** Inherited settings of the blocks around a task. */
interface Scope {
  blockVars: Record<string, unknown>;
  tags: string[];
  whens: Expr[];
  become?: boolean;
  becomeUser?: string;
  noLog: boolean;
  ignoreErrors: boolean;
  checkMode?: boolean;
  /** An enclosing block has a rescue: a failure here is not (yet) the host's failure. */
  rescuable: boolean;
  handler: boolean;
}

interface Flat {
  task: Task;
  scope: Scope;
}

/** A module prepared for one item: rendered, validated and prepared args, and its probe. */
interface Prepared {
  module: HostModule;
  args: Record<string, unknown>;
  probe: Probe<unknown>;
  become: Become;
  resource?: string;
}

interface ItemOutcome {
  result: TaskResult;
  reg: Record<string, unknown>;
  /** Changed, for notify and cache invalidation. */
  changed: boolean;
  /** A host module that did not act (no change, or check mode): its result has no rc/stdout. */
  idle?: boolean;
}

/** State shared by the hosts of one play: `meta: end_play` ends it for all of them. */
export interface PlayState {
  ended: boolean;
}

/** How a host's tasks are paced: free (run now) or linear (wait for the other hosts first). */
export type Step = <T>(fn: () => Promise<T>) => Promise<T>;

export interface HostFailure {
  host: string;
  task?: TaskRef;
  /** "lab01: task 'Ensure motd' (site.yml:12:7): exit code 1: …" */
  message: string;
  unreachable?: ConnectionFailure;
}

const MAX_BATCH = 500;

export class HostRunner {
  readonly stats: HostStats = emptyStats();
  state: "active" | "failed" | "unreachable" | "done" = "active";
  failure?: HostFailure;
  conn?: Connection;
  roundTrips = 0;
  readonly startedAt = Date.now();
  started = false;

  private facts: Facts = EMPTY_FACTS;
  private factVars: Record<string, unknown> = {};
  /** inventoryLayer()'s last result and what it was built from. */
  private invLayer?: { play: Play | undefined; factVars: Record<string, unknown>; vars: Record<string, unknown> };
  private factsGathered = false;
  /** register + set_fact, kept across plays. */
  private readonly registered: Record<string, unknown> = {};
  private readonly cache = new Map<string, ProbeOutput>();

  // per play
  private play!: Play;
  private flat: Flat[] = [];
  private flatIndex = new Map<Task, number>();
  private notified = new Set<string>();
  /** meta: end_host (this host) */
  private ended = false;
  /** meta: end_play, shared by every host of the play */
  private playState: PlayState = { ended: false };
  private step: Step = (fn) => fn();
  private current?: TaskRef;
  /** Index of the loop item being run (for prefetching the items after it). */
  private loopAt = 0;
  /** Registered names whose task check mode did not run (to explain a later undefined `name.stdout`). */
  private readonly notRunInCheck = new Map<string, TaskRef>();
  /** The last task that failed (not ignored): `ansible_failed_task`/`ansible_failed_result` in a rescue. */
  private lastFailed?: { task: Record<string, unknown>; result: Record<string, unknown> };

  constructor(
    readonly spec: HostSpec,
    private readonly plan: Plan,
    private readonly opts: RunOptions,
    private readonly sink: EventSink,
    private readonly connectFn: NonNullable<RunOptions["connect"]>,
    /** Fleet-wide magic variables, built once per run: `groups` and `hostvars` (inventory vars). */
    private readonly fleet: FleetVars = { groups: {}, hostvars: {} },
  ) {}

  get name(): string {
    return this.spec.name;
  }

  /** Run one play on this host. Never throws for host-level problems: they end up in state/failure. */
  async runPlay(play: Play, step: Step, playState: PlayState = { ended: false }): Promise<void> {
    if (this.state !== "active") return;
    this.play = play;
    this.step = step;
    this.playState = playState;
    this.notified = new Set();
    this.ended = false;
    this.cache.clear();
    const root = this.rootScope(play);
    this.flat = [];
    this.flatIndex = new Map();
    this.flatten(play.tasks, root);
    try {
      await this.step(async () => {
        if (!this.started) {
          this.started = true;
          this.sink({ type: "host.start", host: this.name });
        }
        if (!this.conn) await this.connect();
        if (play.gatherFacts && !this.factsGathered) await this.gatherFacts(play);
      });
      if (this.state !== "active") return;
      const ok = await this.runNodes(play.tasks, root);
      if (!ok) return this.markFailed();
      if (!this.ended && !this.playState.ended) {
        const hok = await this.flushHandlers(root);
        if (!hok) return this.markFailed();
      }
    } catch (e) {
      if (e instanceof ConnectionError) return this.markUnreachable(e);
      // A bug (in the transport, a module…) is contained to this host and reported as what it is.
      const task = this.current;
      this.stats.failed++;
      this.failure = { host: this.name, task, message: `${this.name}: ${task ? `task '${task.name}' (${posText(task.pos)}): ` : ""}${errorText(e)}` };
      return this.markFailed();
    } finally {
      this.roundTrips = this.conn?.roundTrips ?? this.roundTrips;
    }
  }

  /** Close the connection and report the host done. */
  async finish(): Promise<void> {
    this.roundTrips = this.conn?.roundTrips ?? this.roundTrips;
    if (this.conn) {
      const c = this.conn;
      this.conn = undefined;
      await c.close().catch(() => undefined);
    }
    if (this.state === "active") this.state = "done";
    this.sink({ type: "host.done", host: this.name, stats: { ...this.stats }, roundTrips: this.roundTrips, durationMs: Date.now() - this.startedAt });
  }

  // ---------------------------------------------------------------- connection and facts

  private async connect(): Promise<void> {
    const o = this.opts;
    const spec: HostSpec = {
      ...this.spec,
      connection: o.connection ?? this.spec.connection,
      password: o.password ?? this.spec.password,
      becomePassword: o.becomePassword ?? this.spec.becomePassword,
    };
    const connectOpts = {
      acceptNewHostKeys: o.acceptNewHostKeys ?? false,
      knownHostsFile: spec.knownHostsFile,
      connectTimeoutMs: o.connectTimeoutMs ?? spec.connectTimeoutMs,
      commandTimeoutMs: o.commandTimeoutMs,
      password: spec.password,
      becomePassword: spec.becomePassword,
    };
    // A handshake that timed out is tried once more: with hundreds of hosts connecting at once on
    // a busy controller, a healthy host can miss the deadline. Refusals, auth and host-key
    // failures are final at once.
    for (let attempt = 1; ; attempt++) {
      try {
        this.conn = await this.connectFn(spec, connectOpts);
        return;
      } catch (e) {
        if (attempt >= CONNECT_ATTEMPTS || !(e instanceof ConnectionError) || e.failure !== "timeout") throw e;
      }
    }
  }

  private async gatherFacts(play: Play): Promise<void> {
    try {
      this.facts = await gatherFacts(this.conn!);
    } catch (e) {
      if (e instanceof ConnectionError) throw e;
      const ref: TaskRef = { id: `${play.id}.facts`, name: "Gathering Facts", module: "facts", pos: play.pos, play: play.name };
      const msg = errorText(e);
      this.sink({ type: "task.start", host: this.name, task: ref });
      this.sink({ type: "task.result", host: this.name, task: ref, result: { status: "failed", changes: [], msg, secret: false, durationMs: 0 } });
      this.stats.failed++;
      this.failure = { host: this.name, task: ref, message: `${this.name}: gathering facts (${posText(play.pos)}) failed: ${msg}` };
      this.state = "failed";
      return;
    }
    this.factsGathered = true;
    this.factVars = ansibleFactVars(this.facts);
    this.publishHostvars();
    this.sink({ type: "host.facts", host: this.name, facts: this.facts });
  }

  /**
   * `hostvars[this host]` for the other hosts, as in Ansible: inventory vars, facts, then register
   * and set_fact results. Replaced (never mutated: the inventory's object stays as it was) whenever
   * one of them changes. Under `strategy: free` another host may not have got there yet.
   */
  private publishHostvars(): void {
    this.fleet.hostvars[this.name] = { ...this.spec.vars, ...this.factVars, ...this.registered };
  }

  private markUnreachable(e: ConnectionError): void {
    this.state = "unreachable";
    this.stats.unreachable = 1;
    const task = this.current;
    const during = task ? ` during task '${task.name}' (${posText(task.pos)})` : " while connecting";
    const message = `${this.name}: unreachable${during}: ${e.failure === "hostkey" ? "host key mismatch" : e.failure}: ${e.message}`;
    this.failure = { host: this.name, task, message, unreachable: e.failure };
    this.sink({ type: "host.unreachable", host: this.name, failure: e.failure, message, task });
    if (this.conn) {
      const c = this.conn;
      this.roundTrips = c.roundTrips;
      this.conn = undefined;
      void c.close().catch(() => undefined);
    }
  }

  private markFailed(): void {
    this.state = "failed";
  }

  // ---------------------------------------------------------------- scopes and variables

  private rootScope(play: Play): Scope {
    return {
      blockVars: {},
      tags: play.tags ?? [],
      whens: [],
      become: play.become,
      becomeUser: play.becomeUser,
      noLog: false,
      ignoreErrors: false,
      checkMode: play.checkMode,
      rescuable: false,
      handler: false,
    };
  }

  private childScope(parent: Scope, node: TaskNode): Scope {
    return {
      ...parent,
      blockVars: node.kind === "block" ? { ...parent.blockVars, ...node.vars } : parent.blockVars,
      tags: [...parent.tags, ...node.tags],
      whens: node.kind === "block" ? [...parent.whens, ...node.when] : parent.whens,
      become: node.become ?? parent.become,
      becomeUser: node.becomeUser ?? parent.becomeUser,
      noLog: node.noLog || parent.noLog,
      ignoreErrors: node.ignoreErrors || parent.ignoreErrors,
      checkMode: node.checkMode ?? parent.checkMode,
    };
  }

  /** The tasks that run in normal flow (blocks and always sections, not rescue), in order, for prefetching. */
  private flatten(nodes: TaskNode[], scope: Scope): void {
    for (const n of nodes) {
      if (n.kind === "block") {
        const s = this.childScope(scope, n);
        this.flatten(n.block, s);
        this.flatten(n.always, s);
      } else {
        this.flatIndex.set(n, this.flat.length);
        this.flat.push({ task: n, scope });
      }
    }
  }

  /**
   * The inventory layer (magic variables, host vars, facts): the same for every task of a play
   * until facts are gathered again, so it is built once per (play, facts) rather than per task.
   */
  private inventoryLayer(): Record<string, unknown> {
    const c = this.invLayer;
    if (c && c.play === this.play && c.factVars === this.factVars) return c.vars;
    const spec = this.spec;
    const magic: Record<string, unknown> = {
      inventory_hostname: spec.name,
      inventory_hostname_short: spec.name.split(".")[0],
      group_names: spec.groups.filter((g) => g !== "all" && g !== "ungrouped"),
      ansible_host: spec.vars.ansible_host ?? spec.address,
      ansible_check_mode: this.opts.check,
      ansible_diff_mode: this.opts.diff,
      playbook_dir: this.plan.dir,
      ansible_play_name: this.play?.name,
      groups: this.fleet.groups,
      hostvars: this.fleet.hostvars,
    };
    const vars = { ...magic, ...spec.vars, ...this.factVars };
    this.invLayer = { play: this.play, factVars: this.factVars, vars };
    return vars;
  }

  private varsFor(scope: Scope, task?: Task): Record<string, unknown> {
    return layerVars({
      roleDefaults: task?.role?.defaults ?? this.play?.roleDefaults ?? {},
      inventory: this.inventoryLayer(),
      playVars: this.play?.vars ?? {},
      varsFiles: this.play?.varsFiles ?? {},
      roleVars: task?.role?.vars ?? {},
      blockVars: scope.blockVars,
      taskVars: task?.vars ?? {},
      registered: this.registered,
      extraVars: this.opts.extraVars ?? {},
    });
  }

  private becomeFor(scope: Scope, task: Task): Become {
    const on = task.become ?? scope.become ?? this.opts.become ?? this.spec.become;
    if (!on) return undefined;
    const user = task.becomeUser ?? scope.becomeUser ?? this.spec.becomeUser ?? "root";
    const password = this.opts.becomePassword ?? this.spec.becomePassword;
    return password === undefined ? { user } : { user, password };
  }

  private checkFor(scope: Scope, task: Task): boolean {
    return task.checkMode ?? scope.checkMode ?? this.opts.check;
  }

  // ---------------------------------------------------------------- walking tasks

  private async runNodes(nodes: TaskNode[], scope: Scope): Promise<boolean> {
    for (const n of nodes) {
      if (this.ended || this.playState.ended) return true;
      const ok = n.kind === "block" ? await this.runBlock(n, scope) : await this.runTaskNode(n, scope);
      if (!ok) return false;
    }
    return true;
  }

  private async runBlock(block: Extract<TaskNode, { kind: "block" }>, parent: Scope): Promise<boolean> {
    // A block's `when` is not evaluated here: as in Ansible it is inherited by each task of its
    // block, rescue and always sections (scope.whens) and evaluated as each task comes, so a
    // set_fact inside the block can switch off the tasks after it.
    const scope = this.childScope(parent, block);
    const inner = { ...scope, rescuable: parent.rescuable || block.rescue.length > 0 };
    let ok = await this.runNodes(block.block, inner);
    if (!ok && block.rescue.length) {
      this.stats.rescued++;
      const failed = this.lastFailed ? { ansible_failed_task: this.lastFailed.task, ansible_failed_result: this.lastFailed.result } : {};
      ok = await this.runNodes(block.rescue, { ...scope, blockVars: { ...scope.blockVars, ...failed }, rescuable: parent.rescuable });
    }
    if (block.always.length) {
      const aok = await this.runNodes(block.always, { ...scope, rescuable: parent.rescuable });
      ok = ok && aok;
    }
    return ok;
  }

  private async runTaskNode(task: Task, parent: Scope): Promise<boolean> {
    const scope = this.childScope(parent, task);
    if (!scope.handler && !tagsSelect(scope.tags, { tags: this.opts.tags, skipTags: this.opts.skipTags })) return true;
    // A meta task acts on the runner only; flush_handlers takes one step per handler itself. Inside
    // a step it would nest steps: under `linear` a host would wait for a fork slot it holds.
    if (task.module === "meta") return this.runMeta(task, scope);
    // Under `linear`, another host may end the play while this one waits at the step.
    return this.step(() => (this.playState.ended ? Promise.resolve(true) : this.runTask(task, scope)));
  }

  private ref(task: Task, scope: Scope): TaskRef {
    const r: TaskRef = { id: task.id, name: this.taskName(task, scope), module: task.module, pos: task.pos, play: this.play.name };
    if (task.role) r.role = task.role.name;
    return r;
  }

  /** The task's name with its {{ variables }} rendered, as Ansible shows it; as written when it cannot be. */
  private taskName(task: Task, scope: Scope): string {
    const name = task.name ?? task.moduleAs;
    if (!name.includes("{{")) return name;
    try {
      return String(renderValue(name, this.varsFor(scope, task), task.pos));
    } catch {
      return name;
    }
  }

  /** Report a task that did not get to run its module (skipped block, failed block condition). */
  private async reportStatic(task: Task, scope: Scope, status: "skipped" | "failed", msg?: string): Promise<boolean> {
    const ref = this.ref(task, scope);
    this.current = ref;
    this.sink({ type: "task.start", host: this.name, task: ref });
    const result: TaskResult = { status, changes: [], secret: scope.noLog, durationMs: 0 };
    if (msg) result.msg = msg;
    this.sink({ type: "task.result", host: this.name, task: ref, result: scope.handler ? { ...result, handler: true } : result });
    const reg = status === "skipped" ? { changed: false, skipped: true, skip_reason: "Conditional result was False" } : { changed: false, failed: true, msg };
    if (task.register) {
      this.registered[task.register] = reg;
      this.publishHostvars();
    }
    if (status === "skipped") {
      this.stats.skipped++;
      return true;
    }
    return this.countFailure(task, scope, ref, msg ?? "failed", undefined, reg);
  }

  /** Counts a task failure; returns true when the failure is ignored (the host goes on). */
  private countFailure(task: Task, scope: Scope, ref: TaskRef, msg: string, result: TaskResult | undefined, reg: Record<string, unknown>): boolean {
    if (scope.ignoreErrors || task.ignoreErrors) {
      this.stats.ignored++;
      return true;
    }
    const failedTask: Record<string, unknown> = { name: ref.name, action: task.moduleAs, module: task.module, id: task.id, path: posText(task.pos) };
    this.lastFailed = { task: failedTask, result: reg };
    if (!scope.rescuable) {
      this.stats.failed++;
      const rc = result?.rc !== undefined ? ` (rc ${result.rc})` : "";
      const item = result?.item !== undefined ? ` for item '${result.item}'` : "";
      this.failure = { host: this.name, task: ref, message: `${this.name}: task '${ref.name}' (${posText(ref.pos)}) failed${item}${rc}: ${msg}` };
    }
    return false;
  }

  private async runTask(task: Task, scope: Scope): Promise<boolean> {
    if (task.module === "meta") return this.runMeta(task, scope);
    const ref = this.ref(task, scope);
    this.current = ref;
    this.sink({ type: "task.start", host: this.name, task: ref });
    const vars = this.varsFor(scope, task);
    const module = this.opts.registry.get(task.module);
    const ignore = scope.ignoreErrors || task.ignoreErrors;
    const emit = (result: TaskResult) => {
      if (ignore && result.status === "failed") result.ignored = true;
      const notes = this.conn?.takeNotices?.();
      if (notes?.length) result.warnings = notes;
      this.sink({ type: "task.result", host: this.name, task: ref, result: scope.handler ? { ...result, handler: true } : result });
    };

    const outcomes: ItemOutcome[] = [];
    /** The loop could not be rendered: one outcome for the whole task (failed, or skipped by its when). */
    let whole = false;
    if (task.loop === undefined || task.loop === null) {
      outcomes.push(await this.runItem(task, scope, vars, module, undefined));
      emit(outcomes[0]!.result);
    } else {
      let items: unknown[] = [];
      let loopError: unknown;
      try {
        const rendered = renderValue(task.loop, vars, task.pos);
        if (!Array.isArray(rendered)) throw new InputError(`loop must be a list, got ${typeName(rendered)}`, task.pos, "give loop a YAML list or a variable that holds one");
        items = rendered;
      } catch (e) {
        if (e instanceof ConnectionError) throw e;
        loopError = e;
      }
      if (loopError === undefined) {
        // Ansible shows an empty loop as one skipped task: so do the events (the stats count it too).
        if (items.length === 0) emit({ status: "skipped", changes: [], reason: "no items in the loop", secret: scope.noLog || task.noLog, durationMs: 0 });
        for (const [i, item] of items.entries()) {
          this.loopAt = i;
          const itemVars = { ...vars, [task.loopVar]: item, ansible_loop_var: task.loopVar };
          const o = await this.runItem(task, scope, itemVars, module, item);
          outcomes.push(o);
          emit(o.result);
        }
      } else {
        whole = true;
        const secret = scope.noLog || task.noLog;
        // As in Ansible, an undefined variable in `loop` is an error only when the task's `when`
        // holds: `loop: "{{ users }}"` with `when: users is defined` is simply skipped.
        const falseCond = isUndefinedUnder(loopError, null) ? this.falseCondition(task, scope, vars) : undefined;
        if (falseCond) {
          const r: TaskResult = { status: "skipped", changes: [], reason: `condition false: ${falseCond.text}`, secret, durationMs: 0 };
          outcomes.push({ result: secret ? maskResult(r) : r, reg: { changed: false, skipped: true, skip_reason: "Conditional result was False", false_condition: falseCond.text }, changed: false });
        } else {
          const msg = errorText(loopError);
          const r: TaskResult = { status: "failed", changes: [], msg: secret ? SECRET_MSG : msg, secret, durationMs: 0 };
          outcomes.push({ result: r, reg: { changed: false, failed: true, msg }, changed: false });
        }
        emit(outcomes[0]!.result);
      }
    }

    // the task's result (register): one result, or `results` for a loop
    const taskReg: Record<string, unknown> =
      task.loop === undefined || task.loop === null || whole
        ? outcomes[0]!.reg
        : {
            changed: outcomes.some((o) => o.reg.changed === true),
            failed: outcomes.some((o) => o.reg.failed === true),
            skipped: outcomes.every((o) => o.reg.skipped === true),
            ...(outcomes.length === 0 ? { skipped_reason: "No items in the list" } : {}),
            msg: "All items completed",
            results: outcomes.map((o) => o.reg),
          };
    if (task.register) {
      this.registered[task.register] = taskReg;
      const notRun = this.checkFor(scope, task) && outcomes.some((o) => o.idle && o.result.changes.length > 0);
      if (notRun) this.notRunInCheck.set(task.register, ref);
      else this.notRunInCheck.delete(task.register);
    }
    if (task.register || module?.kind === "controller") this.publishHostvars();

    const statuses = outcomes.map((o) => o.result.status);
    const status: TaskStatus = statuses.includes("failed")
      ? "failed"
      : statuses.includes("unknown")
        ? "unknown"
        : statuses.includes("changed")
          ? "changed"
          : statuses.length && statuses.every((s) => s === "skipped")
            ? "skipped"
            : statuses.length === 0
              ? "skipped"
              : "ok";
    if (status === "changed") for (const n of task.notify) this.notified.add(n);
    if (status === "failed") {
      const firstFailed = outcomes.find((o) => o.result.status === "failed")!.result;
      return this.countFailure(task, scope, ref, firstFailed.msg ?? "failed", firstFailed, taskReg);
    }
    this.stats[status]++;
    return true;
  }

  private async runMeta(task: Task, scope: Scope): Promise<boolean> {
    const action = metaAction(task);
    this.current = this.ref(task, scope);
    // `meta: end_host` with `when: …` is the usual way to stop a host early: honour the condition.
    const whens = [...scope.whens, ...task.when];
    if (whens.length) {
      let pass: boolean;
      try {
        const vars = this.varsFor(scope, task);
        pass = whens.every((w) => isTrue(w, vars));
      } catch (e) {
        if (e instanceof ConnectionError) throw e;
        return this.reportStatic(task, scope, "failed", errorText(e));
      }
      if (!pass) return true;
    }
    switch (action) {
      case "flush_handlers":
        return this.flushHandlers(this.rootScope(this.play));
      case "end_play":
        // As in Ansible: the play ends for every host (and every later serial batch), not only this one.
        this.playState.ended = true;
        this.ended = true;
        return true;
      case "end_host":
        this.ended = true;
        return true;
      default:
        // noop, refresh_inventory, clear_facts, clear_host_errors: nothing to do for this runner
        void scope;
        return true;
    }
  }

  private async flushHandlers(root: Scope): Promise<boolean> {
    const scope = { ...root, handler: true };
    for (let round = 0; round < 20 && this.notified.size; round++) {
      const names = this.notified;
      this.notified = new Set();
      for (const h of this.play.handlers) {
        const hit = (h.name !== undefined && names.has(h.name)) || h.listen.some((t) => names.has(t));
        if (!hit) continue;
        const ok = await this.step(() => this.runTask(h, this.childScope(scope, h)));
        if (!ok) return false;
      }
    }
    return true;
  }

  // ---------------------------------------------------------------- one item: probe, diff, apply

  private async runItem(task: Task, scope: Scope, vars: Record<string, unknown>, module: ModuleDef | undefined, item: unknown): Promise<ItemOutcome> {
    const t0 = Date.now();
    const secret = scope.noLog || task.noLog;
    const label = item === undefined ? undefined : this.itemLabel(task, vars, item);
    const finish = (o: ItemOutcome): ItemOutcome => {
      o.result.durationMs = Date.now() - t0;
      if (o.result.status === "failed" && o.result.msg) {
        const note = this.checkModeNote(o.result.msg);
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
      if (secret) o.result = maskResult(o.result);
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
        return finish(failedOutcome(errorText(e)));
      }
    }
    if (!module) return finish(failedOutcome(`unknown module '${task.module}'`));

    const attempts = task.until ? Math.max(1, task.retries) + 1 : 1;
    let out!: ItemOutcome;
    for (let a = 1; a <= attempts; a++) {
      out = await this.attempt(task, scope, vars, module, a > 1);
      if (!task.until) break;
      out.reg.attempts = a;
      let done: boolean;
      try {
        done = isTrue(task.until, task.register ? { ...vars, [task.register]: out.reg } : vars);
      } catch (e) {
        // Nothing ran (check mode, or nothing to change): retrying cannot make rc/stdout appear.
        if (out.idle && isUndefinedUnder(e, task.register)) break;
        out = failedOutcome(errorText(e));
        break;
      }
      if (done) break;
      if (a === attempts) {
        const msg = `retries exhausted after ${a} attempts: until condition '${task.until.text}' (${posText(task.until.pos)}) never became true`;
        out.result.status = "failed";
        out.result.msg = out.result.msg ? `${msg}; last: ${out.result.msg}` : msg;
        out.reg.failed = true;
        out.reg.msg = out.result.msg;
        break;
      }
      if (task.delay > 0) await sleep(task.delay * 1000);
    }
    return finish(out);
  }

  /** For "undefined variable 'ver.stdout'" where `ver` was registered by a task check mode did not run: why, and what to do. */
  private checkModeNote(msg: string): string | undefined {
    const m = /undefined variable '([A-Za-z_][A-Za-z0-9_]*)[.[]/.exec(msg);
    const by = m ? this.notRunInCheck.get(m[1]!) : undefined;
    if (!by) return undefined;
    return `\nnote: '${m![1]}' comes from task '${by.name}' (${posText(by.pos)}), which check mode did not run: give it check_mode: false if it only reads`;
  }

  /** The first of the task's `when` conditions that is false without an item; undefined when all hold or one cannot be evaluated. */
  private falseCondition(task: Task, scope: Scope, vars: Record<string, unknown>): Expr | undefined {
    try {
      return [...scope.whens, ...task.when].find((w) => !isTrue(w, vars));
    } catch {
      return undefined;
    }
  }

  private itemLabel(task: Task, vars: Record<string, unknown>, item: unknown): string {
    if (task.loopLabel !== undefined) {
      try {
        return String(renderValue(task.loopLabel, vars, task.pos));
      } catch {
        /* fall through to the item itself */
      }
    }
    return typeof item === "string" ? item : JSON.stringify(item);
  }

  private async attempt(task: Task, scope: Scope, vars: Record<string, unknown>, module: ModuleDef, fresh: boolean): Promise<ItemOutcome> {
    const check = this.checkFor(scope, task);
    let status: TaskStatus;
    let changes: Change[] = [];
    let reason: string | undefined;
    let resource: string | undefined;
    let applied = false;
    let ar: ApplyResult | void = undefined;
    let failMsg: string | undefined;
    let reg: Record<string, unknown>;
    try {
      if (module.kind === "controller") {
        const args = this.renderArgs(task, module, vars);
        resource = safeResource(module, args);
        const cr = (module as ControllerModule).run(args, { vars, facts: this.facts, check, evaluate: (text: string) => evaluate({ text, pos: task.pos }, vars) });
        if (cr.setFacts) Object.assign(this.registered, cr.setFacts);
        status = cr.failed ? "failed" : cr.changed ? "changed" : "ok";
        if (cr.failed) failMsg = cr.msg ?? "failed";
        reg = { changed: Boolean(cr.changed), failed: Boolean(cr.failed), skipped: false };
        if (cr.msg !== undefined) reg.msg = cr.msg;
        if (cr.setFacts) reg.ansible_facts = cr.setFacts;
      } else {
        const p = this.prepare(task, scope, module as HostModule, vars);
        resource = p.resource;
        const po = await this.probeOf(p, task, fresh);
        const state = p.probe.parse(po.stdout, po.rc);
        changes = p.module.diff(state, p.args, this.facts);
        if (changes.length === 0) {
          status = "ok";
          reason = p.module.explain?.(state, p.args);
        } else if (check) {
          status = changes.some((c) => c.unknown) ? "unknown" : "changed";
        } else {
          applied = true;
          try {
            ar = await p.module.apply(new ConnectionHost(this.name, this.facts, this.conn!, p.become), p.args, changes, state);
          } catch (e) {
            this.cache.clear();
            throw e;
          }
          status = "changed";
          if (ar && ar.rc !== undefined && ar.rc !== 0) {
            status = "failed";
            failMsg = `exit code ${ar.rc}${ar.stderr?.trim() ? `: ${ar.stderr.trim()}` : ""}`;
          }
        }
        reg = { changed: status === "changed" || applied, failed: status === "failed", skipped: false };
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
      status = "failed";
      failMsg = errorText(e);
      reg = { changed: applied, failed: true, skipped: false, msg: failMsg };
      if (e instanceof CommandError) {
        ar = { rc: e.rc, stdout: e.stdout, stderr: e.stderr };
        Object.assign(reg, { rc: e.rc, stdout: e.stdout, stderr: e.stderr, stdout_lines: lines(e.stdout), stderr_lines: lines(e.stderr) });
      }
    }
    if (failMsg !== undefined && reg.msg === undefined) reg.msg = failMsg;

    // changed_when / failed_when see the result under the register name. changed_when is also
    // evaluated for a command that exited non-zero, so failed_when can turn it back into a success.
    // When a host module did not act (nothing to change, or check mode) its result has no rc/stdout:
    // a condition on such a field of the task's own result does not decide, and the module's own
    // verdict stands (Ansible does not evaluate them on a command skipped in check mode either).
    // Any other undefined variable is still an error.
    const condVars = task.register ? { ...vars, [task.register]: reg } : vars;
    const ranWithRc = Boolean(ar && ar.rc !== undefined);
    const idle = module.kind !== "controller" && !applied;
    const decide = (conds: Expr[]): boolean | undefined => {
      for (const c of conds) {
        try {
          if (!isTrue(c, condVars)) return false;
        } catch (e) {
          if (idle && isUndefinedUnder(e, task.register)) return undefined;
          throw e;
        }
      }
      return true;
    };
    try {
      if (task.changedWhen?.length && (status !== "failed" || ranWithRc)) {
        const cw = decide(task.changedWhen);
        if (status === "unknown") {
          if (cw === false) status = "ok";
        } else if (cw !== undefined) {
          if (status !== "failed") status = cw ? "changed" : "ok";
          if (!cw && changes.length && !applied) reason = "changed_when is false";
          reg.changed = cw;
        }
      }
      const fw = task.failedWhen?.length ? decide(task.failedWhen) : undefined;
      if (fw !== undefined) {
        if (fw && status !== "failed") {
          status = "failed";
          failMsg = `failed_when condition is true: ${task.failedWhen!.map((c) => c.text).join(" and ")}`;
        } else if (!fw && status === "failed") {
          status = reg.changed ? "changed" : "ok";
          if (reg.msg === failMsg) delete reg.msg;
          failMsg = undefined;
        }
        reg.failed = status === "failed";
      }
    } catch (e) {
      if (e instanceof ConnectionError) throw e;
      status = "failed";
      failMsg = errorText(e);
      reg.failed = true;
    }
    if (failMsg !== undefined) reg.msg = reg.msg ?? failMsg;
    // Whatever changed_when/failed_when say, apply ran on the host and may have changed what later
    // probes read (a command with `changed_when: false` is still a command): drop the cache.
    if (applied) this.cache.clear();

    const result: TaskResult = { status, changes, secret: false, durationMs: 0 };
    if (resource !== undefined) result.resource = resource;
    if (reason !== undefined && status === "ok") result.reason = reason;
    if (status === "failed") result.msg = failMsg ?? "failed";
    else if (typeof reg.msg === "string") result.msg = reg.msg;
    if (ar) {
      if (ar.rc !== undefined) result.rc = ar.rc;
      if (ar.stdout !== undefined) result.stdout = ar.stdout;
      if (ar.stderr !== undefined) result.stderr = ar.stderr;
    }
    return { result, reg, changed: status === "changed", idle };
  }

  /** Render args with the task's variables, re-validate them, then let the module prepare them. */
  private renderArgs(task: Task, module: ModuleDef, vars: Record<string, unknown>): Record<string, unknown> {
    // a copy: validateArgs coerces in place, and the plan's args must stay as written
    const args = structuredClone(renderValue(task.args, vars, task.argsPos)) as Record<string, unknown>;
    validateArgs(module, args, task.argPos, task.pos, task.moduleAs);
    return args;
  }

  private prepare(task: Task, scope: Scope, module: HostModule, vars: Record<string, unknown>): Prepared {
    let args = this.renderArgs(task, module, vars);
    if (module.prepare) {
      const dirs = task.searchDirs.length ? task.searchDirs : [this.plan.dir];
      args = module.prepare(args, {
        searchDirs: dirs,
        vars,
        check: this.checkFor(scope, task),
        render: (tpl, source) => renderText(tpl, vars, source),
        readLocal: (sub, rel) => readLocal(dirs, sub, rel, task),
      });
    }
    return { module, args, probe: module.probe(args, this.facts), become: this.becomeFor(scope, task), resource: safeResource(module, args) };
  }

  // ---------------------------------------------------------------- probes, batched

  private async probeOf(p: Prepared, task: Task, fresh: boolean): Promise<ProbeOutput> {
    const key = cacheKey(p.become, p.probe.script);
    if (!fresh) {
      const hit = this.cache.get(key);
      if (hit) return hit;
    }
    const scripts = [p.probe.script];
    const keys = [key];
    if (!fresh) {
      const idx = this.flatIndex.get(task);
      if (idx !== undefined) {
        for (const more of this.upcoming(idx, p.become, task.loop === undefined || task.loop === null ? 0 : this.loopAt + 1)) {
          const k = cacheKey(p.become, more);
          if (keys.includes(k) || this.cache.has(k)) continue;
          scripts.push(more);
          keys.push(k);
          if (scripts.length >= MAX_BATCH) break;
        }
      }
    }
    const { script, nonce } = joinProbes(scripts);
    const res = await this.conn!.exec({ command: script, become: p.become });
    let outs: ProbeOutput[];
    try {
      outs = splitProbes(res.stdout, scripts.length, nonce);
    } catch {
      throw new ModuleError(`could not read the host's state (probe exit code ${res.rc}${res.stderr.trim() ? `: ${res.stderr.trim()}` : ""})`);
    }
    outs.forEach((o, i) => this.cache.set(keys[i]!, o));
    return outs[0]!;
  }

  /**
   * Probe scripts of what runs after flat[idx] (item `fromItem - 1` of it, when it loops) that can
   * be prepared now: the task's own later loop items, then the later tasks with the same become,
   * `when` true with today's variables, and nothing in their when/loop/args that a task between
   * here and there will register or set_fact. Anything that fails to prepare is left for later.
   */
  private upcoming(idx: number, become: Become, fromItem: number): string[] {
    const out: string[] = [];
    const pending = new Set<string>();
    const addProduced = (t: Task) => {
      if (t.register) pending.add(t.register);
      const m = this.opts.registry.get(t.module);
      if (m?.kind === "controller") for (const k of Object.keys(t.args)) pending.add(k);
    };
    for (let j = idx; j < this.flat.length && out.length < MAX_BATCH; j++) {
      const { task, scope: parent } = this.flat[j]!;
      const looped = task.loop !== undefined && task.loop !== null;
      try {
        if (j === idx && !looped) continue;
        const scope = this.childScope(parent, task);
        const m = this.opts.registry.get(task.module);
        if (!m || m.kind === "controller" || task.module === "meta") continue;
        if (j > idx && !tagsSelect(scope.tags, { tags: this.opts.tags, skipTags: this.opts.skipTags })) continue;
        if (pending.size && dependsOn(task, scope, pending)) continue;
        if (cacheKey(this.becomeFor(scope, task), "") !== cacheKey(become, "")) continue;
        const vars = this.varsFor(scope, task);
        if (!scope.whens.every((w) => isTrue(w, vars))) continue;
        const items = looped ? (renderValue(task.loop, vars, task.pos) as unknown[]) : [undefined];
        if (!Array.isArray(items)) continue;
        for (const item of j === idx ? items.slice(fromItem) : items) {
          const iv = looped ? { ...vars, [task.loopVar]: item, ansible_loop_var: task.loopVar } : vars;
          if (!task.when.every((w) => isTrue(w, iv))) continue;
          out.push(this.prepare(task, scope, m as HostModule, iv).probe.script);
        }
      } catch {
        // cannot be prepared yet (undefined variable, missing file…): it will be probed when it runs
      } finally {
        addProduced(this.flat[j]!.task);
      }
    }
    return out;
  }
}

// ---------------------------------------------------------------- helpers

export const SECRET = "(secret)";
const SECRET_MSG = "the output is hidden because 'no_log: true' was specified for this task";

/** Mask every value of a no_log task's result: before/after/diff/stdout/stderr/msg/item. */
/** Connection attempts when the handshake times out (other connection failures are not retried). */
export const CONNECT_ATTEMPTS = 2;

/** Ansible's `groups` (group → host names) and `hostvars` (host → its inventory variables). */
export interface FleetVars {
  groups: Record<string, string[]>;
  hostvars: Record<string, Record<string, unknown>>;
}

export function maskResult(r: TaskResult): TaskResult {
  const out: TaskResult = { ...r, secret: true };
  out.changes = r.changes.map((c) => {
    const m: Change = { summary: c.field ? `${c.field} ${SECRET}` : `changed ${SECRET}` };
    if (c.field !== undefined) m.field = c.field;
    if ("before" in c) m.before = SECRET;
    if ("after" in c) m.after = SECRET;
    if (c.diff) m.diff = { path: c.diff.path, before: SECRET, after: SECRET };
    if (c.unknown) m.unknown = true;
    // keep only the "this is an action, not drift" flag of module data (no values)
    if ((c.data as { action?: unknown } | undefined)?.action === true) m.data = { action: true };
    return m;
  });
  if (r.stdout !== undefined) out.stdout = SECRET;
  if (r.stderr !== undefined) out.stderr = SECRET;
  if (r.msg !== undefined) out.msg = r.status === "failed" ? SECRET_MSG : SECRET;
  if (r.reason !== undefined) out.reason = SECRET;
  if (r.item !== undefined) out.item = SECRET;
  // the resource may embed a value (a command line): keep only its kind ("command", "file"…)
  if (r.resource !== undefined) out.resource = `${r.resource.split(" ")[0]} ${SECRET}`;
  return out;
}

function failedOutcome(msg: string): ItemOutcome {
  return { result: { status: "failed", changes: [], msg, secret: false, durationMs: 0 }, reg: { changed: false, failed: true, skipped: false, msg }, changed: false };
}

function cacheKey(b: Become, script: string): string {
  return `${b ? b.user : ""}\u0000${script}`;
}

function dependsOn(task: Task, scope: Scope, names: Set<string>): boolean {
  const text = JSON.stringify([task.args, task.when.map((w) => w.text), scope.whens.map((w) => w.text), task.loop ?? null, task.vars, scope.blockVars]);
  for (const n of names) if (new RegExp(`(^|[^A-Za-z0-9_])${escapeRe(n)}([^A-Za-z0-9_]|$)`).test(text)) return true;
  return false;
}

/**
 * The error is "undefined variable 'NAME…'" for NAME itself or a field of it (`r.rc`, `r['x']`);
 * with `name` null, for any variable. `undefined` (no register) never matches.
 */
function isUndefinedUnder(e: unknown, name: string | undefined | null): boolean {
  if (name === undefined || !(e instanceof InputError)) return false;
  if (name === null) return e.message.startsWith("undefined variable '");
  return new RegExp(`^undefined variable '${escapeRe(name)}([.[][^']*)?'`).test(e.message);
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

function metaAction(task: Task): string {
  const a = task.args as Record<string, unknown>;
  for (const k of ["action", "_raw", "free_form", "cmd", "_"]) if (typeof a[k] === "string") return a[k] as string;
  const s = Object.values(a).find((v) => typeof v === "string");
  return typeof s === "string" ? s : "noop";
}

function readLocal(dirs: string[], sub: "files" | "templates", rel: string, task: Task): Buffer {
  const tried: string[] = [];
  const candidates = isAbsolute(rel) ? [rel] : dirs.flatMap((d) => [join(d, sub, rel), join(d, rel)]);
  for (const c of candidates) {
    tried.push(c);
    // Read once for all hosts (and tasks) while the file is unchanged.
    if (existsSync(c)) return readFileBytesCached(c);
  }
  throw new InputError(`${sub.replace(/s$/, "")} '${rel}' not found (looked in ${tried.join(", ")})`, task.argsPos, `put it in ${join(dirs[0] ?? ".", sub, rel)}`);
}

function safeResource(m: ModuleDef, args: Record<string, unknown>): string | undefined {
  try {
    return m.resource(args);
  } catch {
    return undefined;
  }
}

export function posText(p: { file: string; line: number; col?: number }): string {
  return `${p.file}:${p.line}`;
}

function errorText(e: unknown): string {
  if (e instanceof InputError) return e.format();
  if (e instanceof CommandError) return `exit code ${e.rc}${e.stderr.trim() ? `: ${e.stderr.trim()}` : e.stdout.trim() ? `: ${e.stdout.trim()}` : ""}`;
  if (e instanceof InternalError) return `internal error (a bug in keel): ${e.message}`;
  if (e instanceof KeelError) return e.message;
  return `internal error (a bug in keel): ${e instanceof Error ? e.message : String(e)}`;
}

function typeName(v: unknown): string {
  return v === null ? "null" : Array.isArray(v) ? "list" : typeof v === "object" ? "mapping" : typeof v;
}

function lines(s: string): string[] {
  return s === "" ? [] : s.replace(/\n$/, "").split("\n");
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
