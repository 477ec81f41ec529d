// system.locale_gen's registered keys, as community.general's locale_gen returns them: name and
// msg "OK" after a run (changed or not); in check mode the module exits with `changed` alone.
import { describe, expect, it } from "vitest";
import lg from "../../../../modules/system/locale_gen.js";
import { BASE_FACTS } from "../harness.js";

describe("system.locale_gen registered keys", () => {
  it("a run: name and msg; check mode: nothing but changed", () => {
    const st = {} as Parameters<NonNullable<typeof lg.result>>[0];
    expect(lg.result?.(st, { name: "de_DE.UTF-8" }, BASE_FACTS, { check: false })).toEqual({ name: "de_DE.UTF-8", msg: "OK" });
    expect(lg.result?.(st, { name: "de_DE.UTF-8" }, BASE_FACTS, { check: true })).toEqual({});
  });
});
