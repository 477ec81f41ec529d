import { describe, expect, it } from "vitest";
import mod from "../../../../modules/system/timezone.js";
import { BASE_FACTS } from "../harness.js";

describe("system.timezone", () => {
  it("refuses a zone the host has no zoneinfo file for, before any change (probe captured on lab03)", () => {
    const args = { name: "Mars/Olympus" };
    const st = mod.probe(args, BASE_FACTS).parse("@tz\nhwclock_bin=1\nname=Etc/UTC\nlink=/usr/share/zoneinfo/Etc/UTC\n", 0);
    expect(() => mod.diff(st, args, BASE_FACTS)).toThrow(/given timezone "Mars\/Olympus" is not available/);
  });
});
