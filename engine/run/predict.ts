// Check mode predicts instead of failing (issue 15 #9). Nothing is applied under --check or in
// drift, so a task can meet a host as the earlier tasks found it, not as they would leave it:
// - a file written into a directory that an earlier task would create: the write is reported as a
//   change ("would create … in a directory that task X creates"), and the run goes on;
// - a task whose `when` or arguments read a register of a task check mode did not run (a command):
//   its outcome cannot be known, so it is `unknown` with that reason, never failed.
import { MissingDirError, UndefinedVariableError } from "../core/errors.js";
import type { Change } from "../core/module.js";
import type { Task } from "../core/plan.js";
import type { TaskRef } from "../core/events.js";
import { posText, type ItemOutcome } from "./result.js";
import { markNotRun as markResult } from "../template/notrun.js";

/** Directories that earlier tasks would create in this check run, with the task that would. */
export type PlannedDirs = Map<string, Task>;

/** Note the directories a task that check mode did not apply would create (file state=directory; parents: true). */
export function notePlannedDirs(dirs: PlannedDirs, task: Task, args: Record<string, unknown>): void {
  const path = typeof args.path === "string" ? args.path : typeof args.dest === "string" ? args.dest : undefined;
  if (!path || !path.startsWith("/")) return;
  const clean = path.replace(/\/+$/, "") || "/";
  if (args.state === "directory") dirs.set(clean, task);
  if (args.parents === true || args.create_parents === true) dirs.set(clean.slice(0, clean.lastIndexOf("/")) || "/", task);
}

/** The task that would create `dir` (itself, or a directory below it, which creates it too). */
export function plannedBy(dirs: PlannedDirs, dir: string): Task | undefined {
  const d = dir.replace(/\/+$/, "") || "/";
  for (const [p, t] of dirs) if (p === d || p.startsWith(d === "/" ? "/" : d + "/")) return t;
  return undefined;
}

/** A module's "directory missing" failure, predicted as a change when an earlier task creates the directory. */
export function predictedChange(dirs: PlannedDirs | undefined, e: unknown, resource: string | undefined): Change | undefined {
  if (!dirs || !(e instanceof MissingDirError)) return undefined;
  const by = plannedBy(dirs, e.dir);
  if (!by) return undefined;
  const what = resource ?? "the file";
  return {
    summary: `would create ${what} in ${e.dir}, a directory that task '${by.name ?? by.moduleAs}' (${posText(by.pos)}) creates`,
    field: "state",
    before: "absent",
    after: "present",
  };
}

/** The register (and its task) that check mode did not run, when `error` is an undefined field of it. */
export function notRunRegister(notRun: ReadonlyMap<string, TaskRef>, error: unknown): { name: string; by: TaskRef } | undefined {
  if (!(error instanceof UndefinedVariableError) || !error.isField) return undefined;
  const by = notRun.get(error.root);
  return by ? { name: error.root, by } : undefined;
}

/** Why a task is unknown in check mode: it reads the result of a task check mode did not run. */
export function unknownReason(r: { name: string; by: TaskRef }): string {
  return `unknown in check mode: it reads '${r.name}', the result of task '${r.by.name}' (${posText(r.by.pos)}), which check mode did not run; give that task check_mode: false if it only reads`;
}

/**
 * Note a register whose task check mode did not run, and mark its results (each item's of a loop)
 * that did not run, so that a field read through another name (a loop's `item`, subelements) is
 * unknown like `name.stdout` is.
 */
/** An item check mode did not run: it had changes to make and made none (its result is a guess). */
export function notRunInCheck(o: ItemOutcome): boolean {
  return o.idle === true && o.result.changes.length > 0;
}

export function markNotRun(notRun: Map<string, TaskRef>, name: string, by: TaskRef, reg: Record<string, unknown>, outcomes: ItemOutcome[]): void {
  notRun.set(name, by);
  const results = reg.results;
  if (Array.isArray(results) && results.length === outcomes.length && outcomes.every((o, i) => results[i] === o.reg)) {
    outcomes.forEach((o, i) => notRunInCheck(o) && markResult(o.reg, `${name}.results[${i}]`));
  } else markResult(reg, name);
}
