// The per-host runner: one Connection for the whole run, facts once, then each play's tasks in
// order: blocks (rescue, always), loops, handlers and meta tasks. Each item goes through the task
// pipeline (pipeline.ts); probes are batched and cached per host (probes.ts).
import type { Connection } from "../core/connection.js";
import type { Block, Plan, Play, Task, TaskNode } from "../core/plan.js";
import type { HostSpec } from "../core/host.js";
import type { EventSink, HostStats, TaskRef, TaskResult } from "../core/events.js";
import { emptyStats } from "../core/events.js";
import type { HostModule } from "../core/module.js";
import { EMPTY_FACTS, type Facts } from "../core/facts.js";
import { ConnectionError, InternalError } from "../core/errors.js";
import { layerVars, markUnsafe, withLookupContext } from "../template/index.js";
import { gatherFacts, ansibleFactVars, factsBeforeGathering, factsOptions, factsProbeFor } from "../facts/index.js";
import { tagsSelect } from "./select.js";
import type { Become } from "./host.js";
import { Deadline } from "./deadline.js";
import { becomeOf, magicVars, playLayers } from "./vars.js";
import { playDefs, SharedArgs, sharedArgsOn, type SharedArgsHost } from "./shared-args.js";
import { renderedBecome } from "./keywords.js";
import { type FleetVars, type HostFailure, type PlayState, type RunOptions, type Step } from "./options.js";
import { childScope, conditionsHold, flatten, ignoresErrors, metaAction, rootScope, shownName, type Flat, type Scope } from "./scope.js";
import { runIncluded } from "./included.js";
import { ProbeCache, upcomingOf, upcomingProbes, type PrefetchHost, type UpcomingProbe } from "./probes.js";
import { aheadAllowed, applyPipelineFor } from "./applies.js";
import { prepare } from "./pipeline.js";
import { taskStatus } from "./outcome.js";
import { errorText, markFailure, placeFor, posText, runnerFailure } from "./result.js";
import { ConnectionPool } from "./delegate.js";
import { markNotRun, notRunInCheck, type PlannedDirs } from "./predict.js";
import { adoptedVars, mainTarget, onceGate, runPlaced, type OnceResult, type PlacingHost } from "./placed.js";

export { SECRET, maskResult, posText } from "./result.js";
export { CONNECT_ATTEMPTS, type FleetVars, type HostFailure, type PlayState, type Step } from "./options.js";

export class HostRunner implements PlacingHost, PrefetchHost {
  readonly stats: HostStats = emptyStats();
  state: "active" | "failed" | "unreachable" | "done" = "active";
  failure?: HostFailure;
  conn?: Connection;
  /** Every connection of this host's run (main, other users, delegates): delegate.ts. */
  readonly pool: ConnectionPool;
  /** Pool key of `conn`. */
  connKey?: string;
  roundTrips = 0;
  readonly startedAt = Date.now();
  started = false;

  facts: Facts = EMPTY_FACTS;
  private factVars: Record<string, unknown> = {};
  /** inventoryLayer()'s last result and what it was built from. */
  private invLayer?: { play: Play | undefined; batch?: string[]; factVars: Record<string, unknown>; vars: Record<string, unknown> };
  private factsGathered = false;
  /** register + set_fact, kept across plays. */
  readonly registered: Record<string, unknown> = {};
  readonly probes = new ProbeCache();

  // per play
  private play!: Play;
  flat: Flat[] = [];
  flatIndex = new Map<Task, number>();
  barriers = new Map<Block, Task>();
  private notified = new Set<string>();
  /** meta: end_host (this host) */
  private ended = false;
  /** meta: end_play, shared by every host of the play */
  private playState: PlayState = { ended: false };
  private step: Step = (fn) => fn();
  current?: TaskRef;
  /** What the host was doing when it was not in a task: " while connecting", " while gathering facts". */
  private phase = " while connecting";
  /** --host-timeout, armed when the host starts. */
  private readonly deadline: Deadline;
  /** Index of the loop item being run (for prefetching the items after it). */
  private loopAt = 0;
  /** Registered names whose task check mode did not run (to explain a later undefined `name.stdout`). */
  readonly notRunInCheck = new Map<string, TaskRef>();
  /** Check mode: directories earlier tasks would create (predict.ts). */
  readonly plannedDirs: PlannedDirs = new Map();
  /** The last task that failed (not ignored): `ansible_failed_task`/`ansible_failed_result` in a rescue. */
  private lastFailed?: { task: Record<string, unknown>; result: Record<string, unknown> };
  /** The registered result of the last task run (handed to the batch by run_once). */
  private lastReg?: Record<string, unknown>;

  constructor(
    readonly spec: HostSpec,
    readonly plan: Plan,
    readonly opts: RunOptions,
    private readonly out: EventSink,
    connectFn: NonNullable<RunOptions["connect"]>,
    /** Fleet-wide magic variables, built once per run: `groups` and `hostvars` (inventory vars). */
    readonly fleet: FleetVars = { groups: {}, hostvars: {} },
  ) {
    this.deadline = new Deadline(spec.name, opts.hostTimeoutMs);
    this.facts = factsBeforeGathering(spec.vars);
    this.pool = new ConnectionPool({ ...opts, connect: connectFn });
    applyPipelineFor(this, (t) => (aheadAllowed(this.play, this.opts) ? this.flatIndex.get(t) : undefined));
  }

  get name(): string {
    return this.spec.name;
  }

  /**
   * Events of this host. Once its deadline passed, work still under way (a probe that the stalled
   * host answers late) reports nothing more: the host was already reported unreachable.
   */
  readonly sink: EventSink = (e) => {
    if (this.deadline.passed && (e.type === "task.start" || e.type === "task.result" || e.type === "host.facts")) return;
    this.out(e);
  };

  get connection(): Connection {
    if (!this.conn) throw new InternalError(`${this.name}: a task ran without a connection`);
    return this.conn;
  }

  /** Run one play on this host. Never throws for host-level problems: they end up in state/failure. */
  async runPlay(play: Play, step: Step, playState: PlayState = { ended: false }): Promise<void> {
    if (this.state !== "active") return;
    this.play = play;
    this.step = step;
    this.playState = playState;
    this.notified = new Set();
    this.ended = false;
    this.probes.clear();
    const root = rootScope(play);
    ({ flat: this.flat, index: this.flatIndex, barriers: this.barriers } = flatten(play.tasks, root));
    // The deadline counts from the host's first play (armed once; later plays share it).
    this.deadline.arm();
    try {
      const ok = await this.deadline.race(async () => {
        await this.step(async () => {
          if (!this.started) {
            this.started = true;
            this.sink({ type: "host.start", host: this.name });
          }
          await this.connect(play);
          if (play.gatherFacts && !this.factsGathered) await this.gatherFacts(play);
        });
        if (this.state !== "active") return true;
        if (!(await this.runNodes(play.tasks, root))) return false;
        return this.ended || this.playState.ended || this.playState.halted === true || (await this.flushHandlers(root));
      });
      if (!ok) return this.markFailed();
    } catch (e) {
      if (e instanceof ConnectionError) return this.markUnreachable(e);
      // A bug (in the transport, a module…) is contained to this host and reported as what it is.
      const task = this.current;
      this.stats.failed++;
      const text = errorText(e);
      this.failure = { host: this.name, task, message: `${this.name}: ${task ? `task '${task.name}'${placeFor(task.pos, text)}: ` : ""}${text}` };
      return this.markFailed();
    } finally {
      this.roundTrips = this.conn?.roundTrips ?? this.roundTrips;
    }
  }

  /** Close the connection and report the host done. */
  async finish(): Promise<void> {
    this.deadline.clear();
    this.roundTrips = (this.conn?.roundTrips ?? this.roundTrips) + this.pool.otherRoundTrips(this.conn);
    await this.pool.closeAll(this.conn);
    if (this.conn) {
      const c = this.conn;
      this.conn = undefined;
      await c.close().catch(() => undefined);
    }
    if (this.state === "active") this.state = "done";
    this.sink({ type: "host.done", host: this.name, stats: { ...this.stats }, roundTrips: this.roundTrips, durationMs: Date.now() - this.startedAt });
  }

  // ---------------------------------------------------------------- connection and facts

  /** The play's main connection (placed.ts mainTarget), kept when the same; facts again where it goes elsewhere. */
  private async connect(play: Play): Promise<void> {
    const t = mainTarget(this.spec, play, this.varsFor(rootScope(play)), this.fleet, this.opts);
    if (this.conn && this.connKey === t.key) return;
    this.phase = " while connecting";
    const where = (k: string | undefined) => k?.replace(/^ssh:[^@]*@/, "ssh:");
    // The facts probe to come rides with the shell's start: one exchange fewer per host.
    const factsNext = play.gatherFacts && (!this.factsGathered || (this.connKey !== undefined && where(this.connKey) !== where(t.key)));
    const conn = await this.pool.get(t, factsNext ? { command: factsProbeFor(factsOptions(play, this.spec.vars, this.opts.keelFactsOnly)).script } : undefined);
    // a connect that completes after the deadline: the host was already reported; do not keep it open
    if (this.deadline.passed) {
      void conn.close().catch(() => undefined);
      throw new ConnectionError("connected after the per-host deadline", "timeout", this.name);
    }
    if (this.connKey !== undefined && where(this.connKey) !== where(t.key)) this.factsGathered = false;
    this.conn = conn;
    this.connKey = t.key;
    this.probes.clear();
    this.phase = " between tasks";
  }

  private async gatherFacts(play: Play): Promise<void> {
    try {
      this.phase = " while gathering facts";
      this.facts = await gatherFacts(this.conn!, undefined, factsOptions(play, this.spec.vars, this.opts.keelFactsOnly));
      this.phase = " between tasks";
    } catch (e) {
      if (e instanceof ConnectionError) throw e;
      const ref: TaskRef = { id: `${play.id}.facts`, name: "Gathering Facts", module: "facts", pos: play.pos, play: play.name };
      const msg = errorText(e);
      this.sink({ type: "task.start", host: this.name, task: ref });
      this.sink({ type: "task.result", host: this.name, task: ref, result: { status: "failed", changes: [], msg, secret: false, durationMs: 0 } });
      this.stats.failed++;
      this.failure = { host: this.name, task: ref, message: `${this.name}: gathering facts${placeFor(play.pos, msg)} failed: ${msg}` };
      this.state = "failed";
      return;
    }
    this.factsGathered = true;
    this.factVars = ansibleFactVars(this.facts);
    // Ansible's gather_facts marks the facts it gathered for the play
    (this.factVars.ansible_facts as Record<string, unknown>)._ansible_facts_gathered = true;
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
    // work still under way when the deadline passed fails later on the closed connection: once is enough
    if (this.state === "unreachable") return;
    this.state = "unreachable";
    this.stats.unreachable = 1;
    const task = this.current;
    const during = task ? ` during task '${task.name}' (${posText(task.pos)})` : this.phase;
    const message = `${this.name}: unreachable${during}: ${e.failure === "hostkey" ? "" : `${e.failure}: `}${e.message}`;
    this.failure = { host: this.name, task, message, unreachable: e.failure };
    this.sink({ type: "host.unreachable", host: this.name, failure: e.failure, message, task });
    if (this.conn) {
      const c = this.conn;
      this.roundTrips = c.roundTrips;
      this.conn = undefined;
      if (this.connKey !== undefined) this.pool.drop(this.connKey);
      void c.close().catch(() => undefined);
    }
    void this.pool.closeAll();
  }

  /** delegate_facts of another host's task: facts set for this host. */
  adoptFacts(facts: Record<string, unknown>): void {
    Object.assign(this.registered, facts);
    this.publishHostvars();
  }

  private markFailed(): void {
    this.state = "failed";
  }

  // ---------------------------------------------------------------- scopes and variables

  /**
   * The inventory layer (magic variables, host vars, facts): the same for every task of a play
   * until facts are gathered again, so it is built once per (play, facts) rather than per task.
   */
  private inventoryLayer(): Record<string, unknown> {
    const c = this.invLayer;
    const batch = this.playState.batch;
    if (c && c.play === this.play && c.batch === batch && c.factVars === this.factVars) return c.vars;
    const vars = { ...magicVars(this.spec, this.opts, this.plan, this.play, this.fleet, this.playState), ...this.spec.vars, ...this.factVars };
    this.invLayer = { play: this.play, batch, factVars: this.factVars, vars };
    return vars;
  }

  varsFor(scope: Scope, task?: Task): Record<string, unknown> {
    const vars = this.layers(scope, task);
    // lookups (lookup('file'), with_first_found…) search the task's role and playbook folders
    return task ? withLookupContext(vars, task.searchDirs.length ? task.searchDirs : [this.plan.dir], task.moduleAs) : vars;
  }

  private layers(scope: Scope, task?: Task): Record<string, unknown> {
    return layerVars({ ...playLayers(this.play, scope, task, this.opts.extraVars), inventory: this.inventoryLayer(), registered: this.registered });
  }

  /** Arguments rendered once per play for every host whose reads are the same (shared-args.ts). */
  get sharedArgs(): SharedArgsHost | undefined {
    if (!sharedArgsOn()) return undefined;
    const cache = (this.playState.args ??= new SharedArgs());
    return { cache, defs: (s, t) => playDefs(this.play, s, t, this.opts.extraVars), inventory: () => this.inventoryLayer() };
  }

  /** The task's become; a templated become_user is rendered with `vars` (the item's), else the task's. */
  becomeFor(scope: Scope, task: Task, vars?: Record<string, unknown>): Become {
    return renderedBecome(becomeOf(task, scope, this.opts, this.spec), vars, () => this.varsFor(scope, task), this.play);
  }

  checkFor(scope: Scope, task: Task): boolean {
    return task.checkMode ?? scope.checkMode ?? this.opts.check;
  }

  // ---------------------------------------------------------------- walking tasks

  async runNodes(nodes: TaskNode[], scope: Scope): Promise<boolean> {
    for (const n of nodes) {
      if (this.deadline.passed) throw new ConnectionError("per-host deadline passed", "timeout", this.name);
      if (this.ended || this.playState.ended || this.playState.halted) return true;
      const ok = n.kind === "task" ? await this.runTaskNode(n, scope) : n.include ? await runIncluded(this, n, scope) : await this.runBlock(n, scope);
      if (!ok) return false;
    }
    return true;
  }

  private async runBlock(block: Extract<TaskNode, { kind: "block" }>, parent: Scope): Promise<boolean> {
    // A block's `when` is not evaluated here: as in Ansible it is inherited by each task of its
    // block, rescue and always sections (scope.whens) and evaluated as each task comes, so a
    // set_fact inside the block can switch off the tasks after it.
    const scope = childScope(parent, block);
    const inner = { ...scope, rescuable: parent.rescuable || block.rescue.length > 0 };
    let ok = await this.runNodes(block.block, inner);
    if (!ok && block.rescue.length) {
      this.stats.rescued++;
      // results are data, not templates: a failure's message may quote a template's text
      const failed = this.lastFailed
        ? { ansible_failed_task: markUnsafe(this.lastFailed.task), ansible_failed_result: markUnsafe(this.lastFailed.result) }
        : {};
      ok = await this.runNodes(block.rescue, { ...scope, blockVars: { ...scope.blockVars, ...failed }, rescuable: parent.rescuable });
    }
    if (block.always.length) {
      const aok = await this.runNodes(block.always, { ...scope, rescuable: parent.rescuable });
      ok = ok && aok;
    }
    return ok;
  }

  private async runTaskNode(task: Task, parent: Scope): Promise<boolean> {
    const scope = childScope(parent, task);
    if (!scope.handler && !tagsSelect(scope.tags, { tags: this.opts.tags, skipTags: this.opts.skipTags })) return true;
    // A meta task acts on the runner only; flush_handlers takes one step per handler itself. Inside
    // a step it would nest steps: under `linear` a host would wait for a fork slot it holds.
    if (task.module === "meta") return this.runMeta(task, scope);
    if (this.opts.confirmTask && !scope.handler && !(await this.opts.confirmTask(this.ref(task, scope)))) return true;
    // Under `linear`, another host may end the play while this one waits at the step.
    return this.step(() => (this.playState.ended || this.playState.halted ? Promise.resolve(true) : this.runTask(task, scope)));
  }

  ref(task: Task, scope: Scope): TaskRef {
    const r: TaskRef = { id: task.id, name: this.taskName(task, scope), module: task.module, pos: task.pos, play: this.play.name };
    if (task.role) r.role = task.role.name;
    return r;
  }

  private taskName(task: Task, scope: Scope): string {
    return shownName(task, scope, () => this.varsFor(scope, task));
  }

  /** Report a (meta) task whose condition could not be decided as failed. */
  private reportFailed(task: Task, scope: Scope, msg: string): boolean {
    const ref = (this.current = this.ref(task, scope));
    this.sink({ type: "task.start", host: this.name, task: ref });
    const result = runnerFailure(msg, scope.noLog || task.noLog, scope.handler, this.ignores(task, scope), scope.rescuable);
    this.sink({ type: "task.result", host: this.name, task: ref, result });
    const reg = { changed: false, failed: true, msg };
    if (task.register) this.registered[task.register] = reg;
    if (task.register) this.publishHostvars();
    return this.countFailure(task, scope, ref, msg, undefined, reg);
  }

  /** Counts a task failure; returns true when the failure is ignored (the host goes on). */
  countFailure(task: Task, scope: Scope, ref: TaskRef, msg: string, result: TaskResult | undefined, reg: Record<string, unknown>): boolean {
    if (this.ignores(task, scope)) {
      this.stats.ignored++;
      return true;
    }
    const failedTask: Record<string, unknown> = { name: ref.name, action: task.moduleAs, module: task.module, id: task.id, path: posText(task.pos) };
    this.lastFailed = { task: failedTask, result: reg };
    if (!scope.rescuable) {
      this.stats.failed++;
      const rc = result?.rc !== undefined ? ` (rc ${result.rc})` : "";
      const item = result?.item !== undefined ? ` for item '${result.item}'` : "";
      this.failure = { host: this.name, task: ref, message: `${this.name}: task '${ref.name}'${placeFor(ref.pos, msg)} failed${item}${rc}: ${msg}` };
    }
    return false;
  }

  private ignores(task: Task, scope: Scope, vars?: Record<string, unknown>): boolean {
    return ignoresErrors(task, scope, () => vars ?? this.varsFor(scope, task));
  }

  private async runTask(task: Task, scope: Scope): Promise<boolean> {
    if (task.module === "meta") return this.runMeta(task, scope);
    return onceGate(
      this.name,
      this.playState,
      this.play,
      task,
      async () => {
        this.lastReg = undefined;
        const ok = await this.runTaskHere(task, scope);
        return { ok, reg: this.lastReg };
      },
      (r) => this.adoptOnce(task, scope, r),
    );
  }

  /** A run_once task another host ran: its result and facts are this host's too; its failure fails this host (as Ansible). */
  private adoptOnce(task: Task, scope: Scope, r: OnceResult): boolean {
    if (adoptedVars(this.registered, task, r)) this.publishHostvars();
    const msg = `run_once task failed on ${r.host}`;
    return r.ok || this.countFailure(task, scope, this.ref(task, scope), msg, undefined, { changed: false, failed: true, msg });
  }

  private async runTaskHere(task: Task, scope: Scope): Promise<boolean> {
    const ref = this.ref(task, scope);
    this.current = ref;
    this.sink({ type: "task.start", host: this.name, task: ref });
    const vars = this.varsFor(scope, task);
    const module = this.opts.registry.get(task.module);
    const ignore = this.ignores(task, scope, vars);
    const emit = (result: TaskResult) => {
      markFailure(result, ignore, scope.rescuable);
      const notes = this.conn?.takeNotices?.();
      if (notes?.length) result.warnings = notes;
      this.sink({ type: "task.result", host: this.name, task: ref, result: scope.handler ? { ...result, handler: true } : result });
    };

    // delegate_to / remote_user / environment / connection may run it over another connection (placed.ts)
    const { outcomes, reg: taskReg } = await runPlaced(this, this.play, task, scope, vars, module, emit, (i) => (this.loopAt = i));
    this.lastReg = taskReg;
    if (task.register) {
      this.registered[task.register] = taskReg;
      const notRun = this.checkFor(scope, task) && outcomes.some(notRunInCheck);
      if (notRun) markNotRun(this.notRunInCheck, task.register, ref, taskReg, outcomes);
      else this.notRunInCheck.delete(task.register);
    }
    if (task.register || module?.kind === "controller") this.publishHostvars();

    const statuses = outcomes.map((o) => o.result.status);
    const status = taskStatus(statuses);
    if (status === "changed") for (const n of task.notify) this.notified.add(n);
    if (status === "failed") {
      const firstFailed = outcomes.find((o) => o.result.status === "failed")!.result;
      return this.countFailure(task, scope, ref, firstFailed.msg ?? "failed", firstFailed, taskReg);
    }
    this.stats[status]++;
    return true;
  }

  private async runMeta(task: Task, scope: Scope): Promise<boolean> {
    this.current = this.ref(task, scope);
    try {
      // `meta: end_host` with `when: …` is the usual way to stop a host early: honour the condition.
      if (!conditionsHold(scope, task, () => this.varsFor(scope, task))) return true;
    } catch (e) {
      if (e instanceof ConnectionError) throw e;
      return this.reportFailed(task, scope, errorText(e));
    }
    const action = metaAction(task);
    if (action === "flush_handlers") return this.flushHandlers(rootScope(this.play));
    // As in Ansible, end_play ends the play for every host (and every later serial batch).
    if (action === "end_play") this.playState.ended = true;
    if (action === "end_play" || action === "end_host") this.ended = true;
    if (action === "reset_connection") await this.resetConnection(); // a new login: groups given by earlier tasks apply; other metas do nothing
    return true;
  }

  private async resetConnection(): Promise<void> {
    if (!this.conn || this.connKey === undefined) return;
    this.pool.drop(this.connKey);
    await this.conn.close().catch(() => undefined);
    this.conn = undefined;
    await this.connect(this.play);
  }

  private async flushHandlers(root: Scope): Promise<boolean> {
    const scope = { ...root, handler: true };
    for (let round = 0; round < 20 && this.notified.size; round++) {
      const names = this.notified;
      this.notified = new Set();
      for (const h of this.play.handlers) {
        const hit = (h.name !== undefined && names.has(h.name)) || h.listen.some((t) => names.has(t));
        if (!hit) continue;
        const ok = await this.step(() => this.runTask(h, childScope(scope, h)));
        if (!ok) return false;
      }
    }
    return true;
  }

  // ------------------------------------------ probe prefetching (probes.ts), pipelined applies (lookahead.ts)

  upcoming(task: Task, become: Become): UpcomingProbe[] {
    const idx = this.flatIndex.get(task);
    if (idx === undefined) return [];
    return upcomingProbes(this, idx, become, task.loop === undefined || task.loop === null ? 0 : this.loopAt + 1);
  }

  probeScript(task: Task, scope: Scope, module: HostModule, vars: Record<string, unknown>): UpcomingProbe {
    return upcomingOf(prepare(this, task, scope, module, vars));
  }
}
