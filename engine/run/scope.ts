// The settings a task inherits from its play and enclosing blocks, and the flat list of a play's
// tasks in normal flow (what probe prefetching walks).
import type { Block, Play, Task, TaskNode, Expr } from "../core/plan.js";
import { escapeRe } from "./result.js";
import { captureVault } from "../core/secrets.js";
import { isTrue, renderValue } from "../template/index.js";

/** Inherited settings of the blocks around a task. */
export interface Scope {
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

export interface Flat {
  task: Task;
  scope: Scope;
}

export function rootScope(play: Play): Scope {
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

export function childScope(parent: Scope, node: TaskNode): Scope {
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

/** A play's tasks in normal flow: the list, each task's position, and the stand-in task of each looped include. */
export interface Flattened {
  flat: Flat[];
  index: Map<Task, number>;
  barriers: Map<Block, Task>;
}

/**
 * The tasks that run in normal flow (blocks and always sections, not rescue), in order, with their
 * index. A looped include is one stand-in `meta` task until a host runs it (spliceIncluded): probe
 * prefetching and pipelined applies stop there, so nothing after it runs before its tasks.
 */
export function flatten(nodes: TaskNode[], scope: Scope, f: Flattened = { flat: [], index: new Map(), barriers: new Map() }): Flattened {
  for (const n of nodes) {
    if (n.kind === "block" && n.include) {
      const t = includeStandIn(n);
      f.barriers.set(n, t);
      f.index.set(t, f.flat.length);
      f.flat.push({ task: t, scope });
    } else if (n.kind === "block") {
      const s = childScope(scope, n);
      flatten(n.block, s, f);
      flatten(n.always, s, f);
    } else {
      f.index.set(n, f.flat.length);
      f.flat.push({ task: n, scope });
    }
  }
  return f;
}

/** The included items' tasks in place of the include's stand-in (a host ran the include). */
export function spliceIncluded(f: Flattened, block: Block, runs: { nodes: TaskNode[]; scope: Scope }[]): void {
  const t = f.barriers.get(block);
  const at = t && f.index.get(t);
  if (at === undefined) return;
  const seg: Flattened = { flat: [], index: new Map(), barriers: f.barriers };
  for (const r of runs) flatten(r.nodes, r.scope, seg);
  f.flat.splice(at, 1, ...seg.flat);
  f.index.clear();
  f.flat.forEach((e, i) => f.index.set(e.task, i));
}

/** A task standing for a looped include: its id, position, role and search folders; it runs nothing itself. */
export function includeStandIn(b: Block): Task {
  const inc = b.include!;
  return {
    kind: "task",
    id: b.id,
    ...(b.name !== undefined ? { name: b.name } : {}),
    pos: b.pos,
    when: [],
    tags: inc.tags,
    vars: {},
    ignoreErrors: inc.ignoreErrors,
    noLog: b.noLog,
    role: b.role,
    searchDirs: b.searchDirs,
    module: "meta",
    moduleAs: inc.as,
    args: { action: "noop" },
    argsPos: b.pos,
    argPos: {},
    loopVar: inc.loopVar,
    notify: [],
    retries: 0,
    delay: 0,
    listen: [],
  };
}

/** The task's when/loop/args/vars mention one of `names` (a variable a task before it produces). */
export function dependsOn(task: Task, scope: Scope, names: Set<string>): boolean {
  const text = JSON.stringify([task.args, task.when.map((w) => w.text), scope.whens.map((w) => w.text), task.loop ?? null, task.vars, scope.blockVars]);
  for (const n of names) if (new RegExp(`(^|[^A-Za-z0-9_])${escapeRe(n)}([^A-Za-z0-9_]|$)`).test(text)) return true;
  return false;
}

export function metaAction(task: Task): string {
  const a = task.args as Record<string, unknown>;
  for (const k of ["action", "_raw", "free_form", "cmd", "_"]) if (typeof a[k] === "string") return a[k] as string;
  const s = Object.values(a).find((v) => typeof v === "string");
  return typeof s === "string" ? s : "noop";
}

/**
 * The task's name with its {{ variables }} rendered, as Ansible shows it; as written when it
 * cannot be, and always as written under no_log or when it reads a vaulted variable (a rendered
 * name may carry a secret).
 */
export function shownName(task: Task, scope: Scope, vars: () => Record<string, unknown>): string {
  const name = task.name ?? task.moduleAs;
  if (!name.includes("{{") || scope.noLog || task.noLog) return name;
  try {
    // as written, too, when it renders a vaulted variable
    const cell: { vault?: boolean } = {};
    const shown = captureVault(() => String(renderValue(name, vars(), task.pos)), cell);
    return cell.vault ? name : shown;
  } catch {
    return name;
  }
}

/** ignore_errors of the task or its blocks; a templated one is decided with the host's variables. */
export function ignoresErrors(task: Task, scope: Scope, vars: () => Record<string, unknown>): boolean {
  if (scope.ignoreErrors || task.ignoreErrors) return true;
  if (!task.ignoreErrorsExpr) return false;
  try {
    return isTrue(task.ignoreErrorsExpr, vars());
  } catch {
    return false;
  }
}

/** The enclosing blocks' and the task's own `when` conditions hold; `vars` is only built when there are some. */
export function conditionsHold(scope: Scope, task: Task, vars: () => Record<string, unknown>): boolean {
  const whens = [...scope.whens, ...task.when];
  if (!whens.length) return true;
  const v = vars();
  return whens.every((w) => isTrue(w, v));
}
