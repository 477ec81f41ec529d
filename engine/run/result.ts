// Task results: the outcome of one item, no_log masking, and the texts of errors and positions.
import type { Change, ModuleDef } from "../core/module.js";
import type { Task } from "../core/plan.js";
import { renderValue } from "../template/index.js";
import type { EventSink, TaskResult } from "../core/events.js";
import { knownSecrets, redact } from "../core/secrets.js";
import { CommandError, InputError, InternalError, KeelError, UndefinedVariableError } from "../core/errors.js";

export const SECRET = "(secret)";
export const SECRET_MSG = "the output is hidden because 'no_log: true' was specified for this task";
export const VAULT_MSG = "the output is hidden because it holds a vaulted (secret) value";

export interface ItemOutcome {
  result: TaskResult;
  reg: Record<string, unknown>;
  /** Changed, for notify and cache invalidation. */
  changed: boolean;
  /** A host module that did not act (no change, or check mode): its result has no rc/stdout. */
  idle?: boolean;
  /** The error that failed the item, when one did (to explain it: see checkModeNote). */
  error?: unknown;
  /** It read a vaulted variable: its result is masked whole (engine/core/secrets.ts). */
  vault?: boolean;
}

/** Mask every value of a no_log task's result: before/after/diff/stdout/stderr/msg/item. */
export function maskResult(r: TaskResult, failedMsg: string = SECRET_MSG): TaskResult {
  const out: TaskResult = { ...r, secret: true };
  out.changes = r.changes.map((c) => {
    const m: Change = { summary: c.field ? `${c.field} ${SECRET}` : `changed ${SECRET}` };
    if (c.field !== undefined) m.field = c.field;
    if ("before" in c) m.before = SECRET;
    if ("after" in c) m.after = SECRET;
    // the path may be rendered from a secret (dest: "/etc/{{ item }}.conf")
    if (c.diff) m.diff = { path: SECRET, before: SECRET, after: SECRET };
    if (c.unknown) m.unknown = true;
    // keep only the "this is an action, not drift" flag of module data (no values)
    if ((c.data as { action?: unknown } | undefined)?.action === true) m.data = { action: true };
    return m;
  });
  if (r.stdout !== undefined) out.stdout = SECRET;
  if (r.stderr !== undefined) out.stderr = SECRET;
  if (r.msg !== undefined) out.msg = r.status === "failed" ? failedMsg : SECRET;
  if (r.reason !== undefined) out.reason = SECRET;
  if (r.item !== undefined) out.item = SECRET;
  // the resource may embed a value (a command line): keep only its kind ("command", "file"…)
  if (r.resource !== undefined) out.resource = `${r.resource.split(" ")[0]} ${SECRET}`;
  return out;
}

/**
 * The run's events with decrypted vault values kept out (engine/core/secrets.ts). A task item that
 * read a vaulted variable is already masked whole (engine/run/pipeline.ts); here every string of
 * every event has each known secret replaced by "(secret)": a command that prints a password back,
 * a name rendered from one. Every reporter, log and history sees only what passes here.
 */
export function maskingSink(sink: EventSink): EventSink {
  return (e) => {
    if (knownSecrets().length === 0) return sink(e);
    sink(redact(e));
  };
}

/** How a loop item is shown: its loop_control label rendered, else the item itself. */
export function itemLabel(task: Task, vars: Record<string, unknown>, item: unknown): string {
  if (task.loopLabel !== undefined) {
    try {
      return String(renderValue(task.loopLabel, vars, task.pos));
    } catch {
      /* fall through to the item itself */
    }
  }
  return typeof item === "string" ? item : JSON.stringify(item);
}

/** The module's resource text for its arguments, or undefined when it cannot make one. */
export function safeResource(m: ModuleDef, args: Record<string, unknown>): string | undefined {
  try {
    return m.resource(args);
  } catch {
    return undefined;
  }
}

export function failedOutcome(msg: string, error?: unknown): ItemOutcome {
  const o: ItemOutcome = {
    result: { status: "failed", changes: [], msg, secret: false, durationMs: 0 },
    reg: { changed: false, failed: true, skipped: false, msg },
    changed: false,
  };
  if (error !== undefined) o.error = error;
  return o;
}

/**
 * The error is an undefined variable `name` itself or a field of it (`r.rc`, `r['x']`); with
 * `name` null, any undefined variable. `undefined` (no register) never matches.
 */
export function isUndefinedUnder(e: unknown, name: string | undefined | null): boolean {
  if (name === undefined || !(e instanceof UndefinedVariableError)) return false;
  return name === null || e.root === name;
}

export function posText(p: { file: string; line: number; col?: number }): string {
  return `${p.file}:${p.line}`;
}

/**
 * " (file:line)" naming where a task or play is, for a failure message `msg`; "" when `msg` itself
 * starts at a place in the same file (an InputError's file:line:col): a location is printed once.
 */
export function placeFor(p: { file: string; line: number }, msg: string): string {
  return msg.startsWith(`${p.file}:`) ? "" : ` (${posText(p)})`;
}

export function errorText(e: unknown): string {
  if (e instanceof InputError) return e.format();
  if (e instanceof CommandError) return `exit code ${e.rc}${e.stderr.trim() ? `: ${e.stderr.trim()}` : e.stdout.trim() ? `: ${e.stdout.trim()}` : ""}`;
  if (e instanceof InternalError) return `internal error (a bug in keel): ${e.message}`;
  if (e instanceof KeelError) return e.message;
  return `internal error (a bug in keel): ${e instanceof Error ? e.message : String(e)}`;
}

export function lines(s: string): string[] {
  return s === "" ? [] : s.replace(/\n$/, "").split("\n");
}

export function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * A failed result under ignore_errors is `ignored`; one inside a block with `rescue` is `rescued`
 * (the rescue runs and the host does not fail by it; a drift report must not count it a failed host).
 */
export function markFailure(r: TaskResult, ignored: boolean, rescuable: boolean): TaskResult {
  if (r.status !== "failed") return r;
  if (ignored) r.ignored = true;
  else if (rescuable) r.rescued = true;
  return r;
}

/** A failed result the runner makes itself (a meta task's condition it could not decide): marked, and masked under no_log. */
export function runnerFailure(msg: string, secret: boolean, handler: boolean | undefined, ignored: boolean, rescuable: boolean): TaskResult {
  const r = markFailure({ status: "failed", changes: [], msg, secret, durationMs: 0, ...(handler ? { handler: true } : {}) }, ignored, rescuable);
  return secret ? maskResult(r) : r;
}
