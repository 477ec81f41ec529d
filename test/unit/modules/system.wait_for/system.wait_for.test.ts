// system.wait_for beyond its fixture cases (which the registry test runs).
import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import mod, { conditionScript } from "../../../../modules/system/wait_for.js";

describe("system.wait_for", () => {
  it("needs exactly one of port and path", () => {
    expect(() => mod.validate!({})).toThrow(/exactly one of port and path/);
    expect(() => mod.validate!({ port: 1, path: "/x" })).toThrow(/exactly one of port and path/);
    expect(() => mod.validate!({ port: 1, search_regex: "x" })).toThrow(/search_regex needs path/);
  });
  it("checks a file in a real sh", () => {
    const sh = (c: string) => {
      try {
        execFileSync("sh", ["-c", c]);
        return true;
      } catch {
        return false;
      }
    };
    expect(sh(conditionScript({ path: "/etc/hostname" }))).toBe(true);
    expect(sh(conditionScript({ path: "/nonexistent-keel" }))).toBe(false);
    expect(sh(conditionScript({ path: "/nonexistent-keel", state: "absent" }))).toBe(true);
  });
});
