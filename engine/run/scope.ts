// The settings a task inherits from its play and enclosing blocks, and the flat list of a play's
// tasks in normal flow (what probe prefetching walks).
import type { Play, Task, TaskNode, Expr } from "../core/plan.js";
import { escapeRe } from "./result.js";
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

/** The tasks that run in normal flow (blocks and always sections, not rescue), in order, with their index. */
export function flatten(nodes: TaskNode[], scope: Scope, out: Flat[] = [], index = new Map<Task, number>()): { flat: Flat[]; index: Map<Task, number> } {
  for (const n of nodes) {
    if (n.kind === "block") {
      const s = childScope(scope, n);
      flatten(n.block, s, out, index);
      flatten(n.always, s, out, index);
    } else {
      index.set(n, out.length);
      out.push({ task: n, scope });
    }
  }
  return { flat: out, index };
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
 * cannot be, and always as written under no_log (a rendered name may carry a secret).
 */
export function shownName(task: Task, scope: Scope, vars: () => Record<string, unknown>): string {
  const name = task.name ?? task.moduleAs;
  if (!name.includes("{{") || scope.noLog || task.noLog) return name;
  try {
    return String(renderValue(name, vars(), task.pos));
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
