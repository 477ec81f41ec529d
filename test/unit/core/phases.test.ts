import { afterEach, describe, expect, it } from "vitest";
import { phaseMark, phasesEnabled, phaseSummary, setPhases } from "../../../engine/core/phases.js";

describe("phase profile (KEEL_PROFILE_PHASES)", () => {
  afterEach(() => setPhases(false));

  it("records nothing while off", () => {
    setPhases(false);
    phaseMark("modules loaded");
    phaseMark("connect started", "h1");
    expect(phasesEnabled()).toBe(false);
    expect(phaseSummary()).toBe("");
  });

  it("summarises per-host phases over hosts, numbers repeated marks, and follows the last host", async () => {
    setPhases(true);
    phaseMark("modules loaded");
    for (const h of ["a", "b"]) {
      phaseMark("connect started", h);
      phaseMark("round trip sent", h);
    }
    await new Promise((r) => setTimeout(r, 5));
    phaseMark("round trip answered", "a");
    phaseMark("round trip sent", "a");
    phaseMark("round trip answered", "a");
    await new Promise((r) => setTimeout(r, 5));
    phaseMark("round trip answered", "b");
    phaseMark("hosts done");
    const s = phaseSummary();
    expect(s).toContain("phase profile (ms since process start; 2 hosts)");
    expect(s).toMatch(/modules loaded\n/);
    expect(s).toMatch(/connect started → round trip sent\n/);
    // the second round trip exists on one host only
    expect(s).toMatch(/round trip answered → round trip sent #2 \(1 hosts\)/);
    expect(s).toContain("critical path (the last host to finish: b)");
    const path = s.slice(s.indexOf("critical path"));
    expect(path.indexOf("b: round trip answered")).toBeLessThan(path.indexOf("hosts done"));
    expect(path).not.toContain("a: ");
  });
});
