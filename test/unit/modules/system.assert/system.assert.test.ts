// system.assert is a controller module: table tests of run() with an evaluate() that maps each
// expression to a value (the runner provides the real one, keel's condition language).
import { describe, it, expect } from "vitest";
import { Ajv } from "ajv";
import mod, { truthy } from "../../../../modules/system/assert.js";
import { EMPTY_FACTS } from "../../../../engine/core/facts.js";
import type { ControllerResult } from "../../../../engine/core/module.js";

function ctx(values: Record<string, unknown>) {
  const seen: string[] = [];
  return {
    seen,
    ctx: {
      vars: {},
      facts: EMPTY_FACTS,
      check: false,
      evaluate(expr: string) {
        seen.push(expr);
        if (!(expr in values)) throw new Error(`undefined expression ${expr}`);
        return values[expr];
      },
    },
  };
}

describe("system.assert", () => {
  const table: { name: string; args: Parameters<typeof mod.run>[0]; values: Record<string, unknown>; want: Record<string, unknown>; evaluated?: string[] }[] = [
    { name: "one true condition", args: { that: "x > 1" }, values: { "x > 1": true }, want: { changed: false, msg: "All assertions passed" } },
    {
      name: "first false condition is named and evaluation stops there",
      args: { that: ["a", "b", "c"] },
      values: { a: true, b: false, c: true },
      want: { failed: true, msg: "Assertion failed: b" },
      evaluated: ["a", "b"],
    },
    {
      name: "fail_msg is used and the condition still named",
      args: { that: ["port == 22"], fail_msg: "sshd must listen on 22" },
      values: { "port == 22": false },
      want: { failed: true, msg: "sshd must listen on 22 (assertion: port == 22)" },
    },
    { name: "msg is a synonym of fail_msg", args: { that: "a", msg: "nope" }, values: { a: 0 }, want: { failed: true, msg: "nope (assertion: a)" } },
    { name: "success_msg", args: { that: "a", success_msg: "fine" }, values: { a: "yes" }, want: { msg: "fine" } },
    { name: "quiet: no message on success", args: { that: "a", quiet: true }, values: { a: 1 }, want: { changed: false } },
    { name: "empty list is false (Jinja truthiness)", args: { that: "l" }, values: { l: [] }, want: { failed: true } },
    {
      name: "a literal boolean needs no evaluation",
      args: { that: [true, false] },
      values: {},
      want: { failed: true, msg: "Assertion failed: false" },
      evaluated: [],
    },
  ];
  for (const t of table) {
    it(t.name, () => {
      const c = ctx(t.values);
      const r = mod.run(t.args, c.ctx) as ControllerResult; // assert answers synchronously
      expect(r).toMatchObject(t.want);
      if (!("failed" in t.want)) expect(r.failed).toBeFalsy();
      if (t.args.quiet) expect(r.msg).toBeUndefined();
      if (t.evaluated) expect(c.seen).toEqual(t.evaluated);
    });
  }
  it("evaluation errors propagate (an undefined variable fails the task)", () => {
    expect(() => mod.run({ that: "nope" }, ctx({}).ctx)).toThrow(/undefined expression/);
  });
  it("truthy", () => {
    expect([false, null, undefined, 0, "", [], {}].map(truthy)).toEqual([false, false, false, false, false, false, false]);
    expect([true, 1, "x", [0], { a: 1 }].map(truthy)).toEqual([true, true, true, true, true]);
  });
  it("schema: that is required; unknown arguments are rejected", () => {
    const v = new Ajv({ strict: true }).compile(mod.args);
    expect(v({ that: ["a", "b"], fail_msg: "x" })).toBe(true);
    expect(v({ fail_msg: "x" })).toBe(false);
    expect(v({ that: "a", bogus: 1 })).toBe(false);
    expect(mod.kind).toBe("controller");
    expect(mod.resource({ that: ["a", "b"] })).toBe("assert a and b");
  });
});
