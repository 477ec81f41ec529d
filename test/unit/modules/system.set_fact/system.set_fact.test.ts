// system.set_fact is a controller module: table tests of run() and of its (open) schema.
import { describe, it, expect } from "vitest";
import { Ajv } from "ajv";
import mod from "../../../../modules/system/set_fact.js";
import { EMPTY_FACTS } from "../../../../engine/core/facts.js";

const ctx = { vars: {}, facts: EMPTY_FACTS, check: false, evaluate: () => undefined };

describe("system.set_fact", () => {
  const table: [Record<string, unknown>, Record<string, unknown>][] = [
    [{ app_port: 8080 }, { app_port: 8080 }],
    [
      { a: "x", b: [1, 2], c: { d: true } },
      { a: "x", b: [1, 2], c: { d: true } },
    ],
    [{ a: null, cacheable: true }, { a: null }],
  ];
  for (const [args, facts] of table) {
    it(JSON.stringify(args), () => expect(mod.run(args, ctx)).toEqual({ changed: false, setFacts: facts }));
  }
  it("fails with only cacheable", () => {
    expect(mod.run({ cacheable: true }, ctx)).toMatchObject({ failed: true, msg: /at least one/ });
  });
  it("schema allows any valid variable name, and nothing else", () => {
    const v = new Ajv({ strict: true }).compile(mod.args);
    expect(v({ x: 1, _y2: "z", cacheable: false })).toBe(true);
    expect(v({ "bad-name": 1 })).toBe(false);
    expect(v({ "1x": 1 })).toBe(false);
    expect(v({ cacheable: "yes" })).toBe(false);
    expect(mod.resource({ a: 1, b: 2, cacheable: true })).toBe("facts a, b");
  });
});
