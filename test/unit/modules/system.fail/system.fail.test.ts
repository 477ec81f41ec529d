// system.fail is a controller module: it fails with its message.
import { describe, it, expect } from "vitest";
import mod from "../../../../modules/system/fail.js";
import { EMPTY_FACTS } from "../../../../engine/core/facts.js";

const ctx = { vars: {}, facts: EMPTY_FACTS, check: false, evaluate: () => undefined };

describe("system.fail", () => {
  it.each([
    [{}, { failed: true, changed: false, msg: "Failed as requested from task" }],
    [{ msg: "unsupported OS" }, { failed: true, changed: false, msg: "unsupported OS" }],
  ])("%j", (args, want) => expect(mod.run(args, ctx)).toEqual(want));
});
