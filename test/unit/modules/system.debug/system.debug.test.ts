// system.debug is a controller module: it never changes anything.
import { describe, it, expect } from "vitest";
import mod from "../../../../modules/system/debug.js";
import { EMPTY_FACTS } from "../../../../engine/core/facts.js";

const ctx = {
  vars: {},
  facts: EMPTY_FACTS,
  check: false,
  verbosity: 0,
  evaluate: (e: string) =>
    e === "x"
      ? [1, "a"]
      : (() => {
          throw new Error("undefined");
        })(),
};

describe("system.debug", () => {
  it.each([
    [{}, { changed: false, show: true, msg: "Hello world!" }],
    [{ msg: "hi" }, { changed: false, show: true, msg: "hi" }],
    [{ msg: { a: 1 } }, { changed: false, show: true, msg: '{"a":1}' }],
    [{ var: "x" }, { changed: false, show: true, msg: 'x: [1,"a"]' }],
    [{ var: "nope" }, { changed: false, show: true, msg: "nope: VARIABLE IS NOT DEFINED!" }],
    // as Ansible: under the threshold the task is skipped ("Verbosity threshold not met.")
    [
      { msg: "quiet", verbosity: 2 },
      { changed: false, skipped: "Verbosity threshold not met." },
    ],
  ])("%j", (args, want) => expect(mod.run(args, ctx)).toEqual(want));
  it("verbosity: N runs from -v…v (N v's) on", () => {
    expect(mod.run({ msg: "loud", verbosity: 2 }, { ...ctx, verbosity: 2 })).toEqual({ changed: false, show: true, msg: "loud" });
    expect(mod.run({ msg: "loud", verbosity: 2 }, { ...ctx, verbosity: 1 })).toMatchObject({ skipped: expect.any(String) });
  });
  it("msg and var together are refused at load", () => expect(() => mod.validate!({ msg: "a", var: "b" })).toThrow(/msg or var/));
});
