// Dynamic includes at run time (engine/playbook/looped.ts reads them): on each host, the include's
// own `when` is decided when the host reaches it — once, or per item of the loop rendered there (as
// Ansible runs the include task itself over its loop) — and the included tasks run once per
// included item with the loop variable in scope. Each item's tasks are fresh copies of the loaded
// ones, so the per-task caches (prepared arguments, probe prefetch positions) never mix two items.
import type { Block, IncludeLoop, Task, TaskNode } from "../core/plan.js";
import type { EventSink, HostStats, TaskRef, TaskResult } from "../core/events.js";
import { ConnectionError, InputError } from "../core/errors.js";
import { isTrue, renderValue } from "../template/index.js";
import { tagsSelect } from "./select.js";
import { errorText, isUndefinedUnder, maskResult } from "./result.js";
import { typeName } from "../template/values.js";
import type { RunOptions } from "./options.js";
import { childScope, includeStandIn, spliceIncluded, type Flat, type Scope } from "./scope.js";

/** One included item: the tasks to run and the scope (with the loop variable) they run in. */
export interface IncludeRun {
  nodes: TaskNode[];
  scope: Scope;
}

export interface IncludeHost {
  readonly opts: Pick<RunOptions, "tags" | "skipTags">;
  readonly stats: HostStats;
  varsFor(scope: Scope, task?: Task): Record<string, unknown>;
}

/** What running a looped include needs from the host runner (runner.ts). */
export interface IncludeRunner extends IncludeHost {
  readonly name: string;
  readonly sink: EventSink;
  current?: TaskRef;
  flat: Flat[];
  flatIndex: Map<Task, number>;
  barriers: Map<Block, Task>;
  ref(task: Task, scope: Scope): TaskRef;
  countFailure(task: Task, scope: Scope, ref: TaskRef, msg: string, result: TaskResult | undefined, reg: Record<string, unknown>): boolean;
  runNodes(nodes: TaskNode[], scope: Scope): Promise<boolean>;
}

/** Run a looped include on a host: decide it per item, then each included item's tasks in turn (a failure stops the rest). */
export async function runIncluded(h: IncludeRunner, block: Block, parent: Scope): Promise<boolean> {
  const scope = childScope(parent, block);
  const at = h.barriers.get(block) ?? includeStandIn(block);
  const ref = h.ref(at, scope);
  const d = decideInclude(h, block, scope, at, (result) => {
    if (h.current !== ref) h.sink({ type: "task.start", host: h.name, task: (h.current = ref) });
    h.sink({ type: "task.result", host: h.name, task: ref, result });
  });
  if ("failed" in d) return h.countFailure(at, scope, ref, d.failed, undefined, { changed: false, failed: true, msg: d.failed });
  spliceIncluded({ flat: h.flat, index: h.flatIndex, barriers: h.barriers }, block, d.runs);
  for (const r of d.runs) if (!(await h.runNodes(r.nodes, r.scope))) return false;
  return true;
}

/** What a host does with a looped include: run these items, or fail (unless its ignore_errors) with `msg`. */
export type IncludeDecision = { runs: IncludeRun[] } | { failed: string };

/**
 * Decide a looped include on a host. `scope` is the include block's scope, `at` the stand-in task
 * its variables are read with (its role, search folders), `emit` reports one result per item, as
 * Ansible shows "included: file for host (item=…)". Nothing is emitted when tags deselect it.
 */
export function decideInclude(h: IncludeHost, block: Block, scope: Scope, at: Task, emit: (r: TaskResult) => void): IncludeDecision {
  const inc = block.include!;
  if (!tagsSelect([...scope.tags, ...inc.tags], { tags: h.opts.tags, skipTags: h.opts.skipTags })) return { runs: [] };
  const secret = scope.noLog || block.noLog;
  const send = (r: TaskResult) => emit(secret ? maskResult(r) : r);
  const vars = h.varsFor(scope, at);
  if (!inc.looped) return decideOnce(h, block, scope, vars, send);
  let items: unknown;
  try {
    items = renderValue(inc.loop, vars, inc.loopPos);
    if (!Array.isArray(items))
      throw new InputError(`loop must be a list, got ${typeName(items)}`, inc.loopPos, "give loop a YAML list or a variable that holds one");
  } catch (e) {
    if (e instanceof ConnectionError) throw e;
    // as for a task: an undefined loop under a `when` that is false without the item is a skip
    const off = isUndefinedUnder(e, null) ? falseWithout(inc, vars) : undefined;
    if (off) return skipAll(h, send, `condition false: ${off}`);
    const msg = errorText(e);
    send({ status: "failed", changes: [], msg, secret, durationMs: 0 });
    return { failed: msg };
  }
  const list = items as unknown[];
  if (list.length === 0) return skipAll(h, send, "no items in the loop");
  const runs: IncludeRun[] = [];
  for (const [i, item] of list.entries()) {
    const own = loopVars(inc, list, i);
    const iv = { ...vars, ...own };
    const label = itemLabel(inc, iv, item, block);
    let off: string | undefined;
    try {
      off = inc.when.find((w) => !isTrue(w, iv))?.text;
    } catch (e) {
      if (e instanceof ConnectionError) throw e;
      const msg = errorText(e);
      send({ status: "failed", changes: [], msg, item: label, secret, durationMs: 0 });
      return { failed: msg };
    }
    if (off !== undefined) {
      send({ status: "skipped", changes: [], reason: `condition false: ${off}`, item: label, secret, durationMs: 0 });
      continue;
    }
    send({ status: "ok", changes: [], reason: `included: ${inc.what}`, item: label, secret, durationMs: 0 });
    runs.push({ nodes: copyNodes(block.block), scope: { ...scope, blockVars: { ...scope.blockVars, ...own } } });
  }
  // Ansible counts each included item as ok; an include with none included is one skip
  if (runs.length) h.stats.ok += runs.length;
  else h.stats.skipped++;
  return { runs };
}

/** An include without a loop: its `when` decided once, then its tasks once (Ansible's include_tasks). */
function decideOnce(h: IncludeHost, block: Block, scope: Scope, vars: Record<string, unknown>, send: (r: TaskResult) => void): IncludeDecision {
  const inc = block.include!;
  const secret = scope.noLog || block.noLog;
  let off: string | undefined;
  try {
    off = inc.when.find((w) => !isTrue(w, vars))?.text;
  } catch (e) {
    if (e instanceof ConnectionError) throw e;
    const msg = errorText(e);
    send({ status: "failed", changes: [], msg, secret, durationMs: 0 });
    return { failed: msg };
  }
  if (off !== undefined) return skipAll(h, send, `condition false: ${off}`);
  send({ status: "ok", changes: [], reason: `included: ${inc.what}`, secret, durationMs: 0 });
  h.stats.ok++;
  return { runs: [{ nodes: copyNodes(block.block), scope }] };
}

/** The variables an item gives the included tasks: the loop variable, index_var, ansible_loop (extended). */
export function loopVars(inc: IncludeLoop, items: unknown[], i: number): Record<string, unknown> {
  const v: Record<string, unknown> = { [inc.loopVar]: items[i], ansible_loop_var: inc.loopVar };
  if (inc.indexVar) {
    v[inc.indexVar] = i;
    v.ansible_index_var = inc.indexVar;
  }
  if (inc.extended) {
    const n = items.length;
    v.ansible_loop = {
      allitems: items,
      index: i + 1,
      index0: i,
      revindex: n - i,
      revindex0: n - i - 1,
      first: i === 0,
      last: i === n - 1,
      length: n,
      ...(i > 0 ? { previtem: items[i - 1] } : {}),
      ...(i < n - 1 ? { nextitem: items[i + 1] } : {}),
    };
  }
  return v;
}

/** Fresh copies of loaded nodes (tasks are never changed by the runner, only told apart by identity). */
export function copyNodes(nodes: TaskNode[]): TaskNode[] {
  return nodes.map((n) => (n.kind === "task" ? { ...n } : { ...n, block: copyNodes(n.block), rescue: copyNodes(n.rescue), always: copyNodes(n.always) }));
}

function skipAll(h: IncludeHost, send: (r: TaskResult) => void, reason: string): IncludeDecision {
  send({ status: "skipped", changes: [], reason, secret: false, durationMs: 0 });
  h.stats.skipped++;
  return { runs: [] };
}

/** The first of the include's conditions that is false without an item; undefined when all hold or one cannot be decided. */
function falseWithout(inc: IncludeLoop, vars: Record<string, unknown>): string | undefined {
  try {
    return inc.when.find((w) => !isTrue(w, vars))?.text;
  } catch {
    return undefined;
  }
}

function itemLabel(inc: IncludeLoop, vars: Record<string, unknown>, item: unknown, block: Block): string {
  if (inc.label !== undefined) {
    try {
      return String(renderValue(inc.label, vars, block.pos));
    } catch {
      /* the item itself */
    }
  }
  return typeof item === "string" ? item : JSON.stringify(item);
}
