// system.debug is a controller module: it never changes anything.
import { describe, it, expect } from "vitest";
import mod from "../../../../modules/system/debug.js";
import { EMPTY_FACTS } from "../../../../engine/core/facts.js";

const ctx = {
  vars: {},
  facts: EMPTY_FACTS,
  check: false,
  evaluate: (e: string) =>
    e === "x"
      ? [1, "a"]
      : (() => {
          throw new Error("undefined");
        })(),
};

describe("system.debug", () => {
  it.each([
    [{}, { changed: false, msg: "Hello world!" }],
    [{ msg: "hi" }, { changed: false, msg: "hi" }],
    [{ msg: { a: 1 } }, { changed: false, msg: '{"a":1}' }],
    [{ var: "x" }, { changed: false, msg: 'x: [1,"a"]' }],
    [{ var: "nope" }, { changed: false, msg: "nope: VARIABLE IS NOT DEFINED!" }],
    [{ msg: "quiet", verbosity: 2 }, { changed: false }],
  ])("%j", (args, want) => expect(mod.run(args, ctx)).toEqual(want));
  it("msg and var together are refused at load", () => expect(() => mod.validate!({ msg: "a", var: "b" })).toThrow(/msg or var/));
});
