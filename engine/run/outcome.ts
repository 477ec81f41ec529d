// Pure decisions on a task's result: changed_when / failed_when, `until`, and a looped task's
// overall status. No I/O; the conditions are evaluated against the variables given.
import type { Expr, Task } from "../core/plan.js";
import type { TaskStatus } from "../core/events.js";
import { isTrue } from "../template/index.js";
import { errorText, isUndefinedUnder } from "./result.js";

/** What the module said about one item, before the task's own conditions. */
export interface Verdict {
  status: TaskStatus;
  /** The registered result (rc, stdout, changed, failed, msg…). */
  reg: Record<string, unknown>;
  failMsg?: string;
  /** Why a no-op is one ("user deploy exists"). */
  reason?: string;
  /** The error that failed it, when one did. */
  error?: unknown;
}

export interface VerdictContext {
  /** The module's diff was not empty. */
  hasChanges: boolean;
  /** apply ran (the host may have changed, whatever the conditions say). */
  applied: boolean;
  /** A command ran and gave an exit code. */
  ranWithRc: boolean;
  /** A host module that did not act (no change, or check mode): its result has no rc/stdout. */
  idle: boolean;
}

/**
 * Apply changed_when and failed_when to a module's verdict; returns a new verdict (the input is
 * not modified). The conditions see the result under the register name. changed_when is also
 * evaluated for a command that exited non-zero, so failed_when can turn it back into a success.
 * When a host module did not act its result has no rc/stdout: a condition on such a field of the
 * task's own result does not decide, and the module's verdict stands (Ansible does not evaluate
 * them on a command skipped in check mode either). Any other undefined variable fails the item.
 */
export function decideOutcome(
  task: Pick<Task, "changedWhen" | "failedWhen" | "register">,
  vars: Record<string, unknown>,
  v: Verdict,
  ctx: VerdictContext,
): Verdict {
  const reg = { ...v.reg };
  let { status, failMsg, reason, error } = v;
  const condVars = task.register ? { ...vars, [task.register]: reg } : vars;
  const decide = (conds: Expr[]): boolean | undefined => {
    for (const c of conds) {
      try {
        if (!isTrue(c, condVars)) return false;
      } catch (e) {
        if (ctx.idle && isUndefinedUnder(e, task.register)) return undefined;
        throw e;
      }
    }
    return true;
  };
  try {
    if (task.changedWhen?.length && (status !== "failed" || ctx.ranWithRc)) {
      const cw = decide(task.changedWhen);
      if (status === "unknown") {
        if (cw === false) status = "ok";
      } else if (cw !== undefined) {
        if (status !== "failed") status = cw ? "changed" : "ok";
        if (!cw && ctx.hasChanges && !ctx.applied) reason = "changed_when is false";
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
        error = undefined;
      }
      reg.failed = status === "failed";
    }
  } catch (e) {
    status = "failed";
    failMsg = errorText(e);
    error = e;
    reg.failed = true;
  }
  if (failMsg !== undefined) reg.msg = reg.msg ?? failMsg;
  const out: Verdict = { status, reg };
  if (failMsg !== undefined) out.failMsg = failMsg;
  if (reason !== undefined) out.reason = reason;
  if (error !== undefined) out.error = error;
  return out;
}

/**
 * `until` after an attempt: "met", "unmet" (retry if attempts are left), "undecidable" (nothing ran,
 * so retrying cannot make the registered rc/stdout appear: stop with the attempt's result), or the
 * error evaluating it.
 */
export function untilVerdict(
  task: Pick<Task, "until" | "register">,
  vars: Record<string, unknown>,
  reg: Record<string, unknown>,
  idle: boolean,
): "met" | "unmet" | "undecidable" | { error: unknown } {
  try {
    return isTrue(task.until!, task.register ? { ...vars, [task.register]: reg } : vars) ? "met" : "unmet";
  } catch (e) {
    if (idle && isUndefinedUnder(e, task.register)) return "undecidable";
    return { error: e };
  }
}

/** A task's status from its items' (a looped task counts once, by its worst item). */
export function taskStatus(statuses: TaskStatus[]): TaskStatus {
  if (statuses.includes("failed")) return "failed";
  if (statuses.includes("unknown")) return "unknown";
  if (statuses.includes("changed")) return "changed";
  return statuses.every((s) => s === "skipped") ? "skipped" : "ok";
}

/** A looped task's registered result: `results` holds each item's. */
export function loopRegister(outcomes: { reg: Record<string, unknown> }[]): Record<string, unknown> {
  return {
    changed: outcomes.some((o) => o.reg.changed === true),
    failed: outcomes.some((o) => o.reg.failed === true),
    skipped: outcomes.every((o) => o.reg.skipped === true),
    ...(outcomes.length === 0 ? { skipped_reason: "No items in the list" } : {}),
    msg: "All items completed",
    results: outcomes.map((o) => o.reg),
  };
}
