// The pure decisions of the task pipeline: changed_when / failed_when (decideOutcome), `until`
// (untilVerdict), a task's status over its items; and the typed undefined-variable error they rely on.
import { describe, it, expect } from "vitest";
import { decideOutcome, untilVerdict, taskStatus, type Verdict, type VerdictContext } from "../../../engine/run/outcome.js";
import { isUndefinedUnder } from "../../../engine/run/result.js";
import { evaluate } from "../../../engine/template/index.js";
import { UndefinedVariableError } from "../../../engine/core/errors.js";
import type { Expr } from "../../../engine/core/plan.js";
import type { TaskStatus } from "../../../engine/core/events.js";

const pos = { file: "site.yml", line: 3, col: 5 };
const x = (text: string): Expr => ({ text, pos });
const ran: VerdictContext = { hasChanges: true, applied: true, ranWithRc: true, idle: false };
const idle: VerdictContext = { hasChanges: true, applied: false, ranWithRc: false, idle: true };

describe("decideOutcome", () => {
  const cases: {
    name: string;
    task: { changedWhen?: string[]; failedWhen?: string[]; register?: string };
    v: Verdict;
    ctx: VerdictContext;
    want: Partial<Verdict> & { status: TaskStatus };
  }[] = [
    { name: "no conditions: the module's verdict stands", task: {}, v: { status: "changed", reg: { changed: true } }, ctx: ran, want: { status: "changed" } },
    {
      name: "changed_when false turns a change into ok",
      task: { changedWhen: ["false"], register: "r" },
      v: { status: "changed", reg: { changed: true, rc: 0 } },
      ctx: ran,
      want: { status: "ok" },
    },
    {
      name: "changed_when on the registered rc",
      task: { changedWhen: ["r.rc == 3"], register: "r" },
      v: { status: "changed", reg: { changed: true, rc: 0 } },
      ctx: ran,
      want: { status: "ok" },
    },
    {
      name: "changed_when false in check mode explains the no-op",
      task: { changedWhen: ["false"] },
      v: { status: "changed", reg: { changed: false } },
      ctx: { ...idle, idle: false },
      want: { status: "ok", reason: "changed_when is false" },
    },
    {
      name: "failed_when true fails a success",
      task: { failedWhen: ["r.rc == 0"], register: "r" },
      v: { status: "changed", reg: { changed: true, rc: 0 } },
      ctx: ran,
      want: { status: "failed", failMsg: "failed_when condition is true: r.rc == 0" },
    },
    {
      name: "failed_when false turns a non-zero exit into success",
      task: { failedWhen: ["r.rc > 1"], register: "r" },
      v: { status: "failed", reg: { changed: true, rc: 1, msg: "exit code 1" }, failMsg: "exit code 1" },
      ctx: ran,
      want: { status: "changed" },
    },
    {
      name: "an idle module's own rc is undefined: the condition does not decide",
      task: { changedWhen: ["r.rc != 0"], failedWhen: ["r.rc > 1"], register: "r" },
      v: { status: "changed", reg: { changed: false } },
      ctx: idle,
      want: { status: "changed" },
    },
    {
      name: "any other undefined variable fails the item",
      task: { changedWhen: ["other.rc != 0"], register: "r" },
      v: { status: "changed", reg: { changed: false } },
      ctx: idle,
      want: { status: "failed" },
    },
    {
      name: "unknown stays unknown unless changed_when is false",
      task: { changedWhen: ["false"] },
      v: { status: "unknown", reg: {} },
      ctx: idle,
      want: { status: "ok" },
    },
  ];
  it.each(cases)("$name", ({ task, v, ctx, want }) => {
    const t = { changedWhen: task.changedWhen?.map(x), failedWhen: task.failedWhen?.map(x), register: task.register };
    const input = structuredClone(v);
    const out = decideOutcome(t, {}, v, ctx);
    expect(out).toMatchObject(want);
    expect(out.reg.failed === true).toBe(want.status === "failed");
    expect(v).toEqual(input); // pure: the input verdict is not modified
    if (want.status === "failed" && !want.failMsg) expect(out.error).toBeInstanceOf(UndefinedVariableError);
  });
});

describe("untilVerdict", () => {
  it.each([
    ["r.rc == 0", { rc: 0 }, false, "met"],
    ["r.rc == 0", { rc: 1 }, false, "unmet"],
    ["r.stdout == 'up'", {}, true, "undecidable"],
  ] as const)("%s with %j (idle %s) is %s", (cond, reg, isIdle, want) => {
    expect(untilVerdict({ until: x(cond), register: "r" }, {}, reg, isIdle)).toBe(want);
  });
  it("an undefined variable of a host that acted is an error, not a retry", () => {
    const v = untilVerdict({ until: x("r.stdout == 'up'"), register: "r" }, {}, {}, false);
    expect(typeof v === "object" && v.error).toBeInstanceOf(UndefinedVariableError);
  });
});

describe("taskStatus", () => {
  it.each([
    [["ok", "failed", "changed"], "failed"],
    [["ok", "unknown", "changed"], "unknown"],
    [["ok", "changed"], "changed"],
    [["skipped", "skipped"], "skipped"],
    [[], "skipped"],
    [["skipped", "ok"], "ok"],
  ] as [TaskStatus[], TaskStatus][])("%j → %s", (s, want) => expect(taskStatus(s)).toBe(want));
});

describe("UndefinedVariableError", () => {
  const err = (text: string) => {
    try {
      evaluate(x(text), { known: 1 });
    } catch (e) {
      return e;
    }
    throw new Error("no error");
  };
  it("carries the variable's path and root, whatever the message says", () => {
    const e = err("ver.stdout == 'x'") as UndefinedVariableError;
    expect(e).toBeInstanceOf(UndefinedVariableError);
    expect([e.varName, e.root, e.isField]).toEqual(["ver", "ver", false]);
    expect(e.format()).toMatch(/^site\.yml:3:5: undefined variable 'ver'/);
  });
  it("isUndefinedUnder matches the register name itself or its fields, nothing else", () => {
    expect(isUndefinedUnder(err("ver.stdout"), "ver")).toBe(true);
    expect(isUndefinedUnder(err("version"), "ver")).toBe(false);
    expect(isUndefinedUnder(err("ver"), null)).toBe(true);
    expect(isUndefinedUnder(err("known | nosuchfilter"), null)).toBe(false);
    expect(isUndefinedUnder(err("ver"), undefined)).toBe(false);
  });
  it("a field of a defined variable names the full path", () => {
    const e = err("known.field") as UndefinedVariableError;
    expect(e).toBeInstanceOf(UndefinedVariableError);
    expect([e.root, e.isField]).toEqual(["known", true]);
  });
});
