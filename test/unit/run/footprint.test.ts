// Declared resource overlap (engine/run/footprint.ts): which probes an apply may have changed.
import { describe, expect, it } from "vitest";
import { overlaps } from "../../../engine/run/footprint.js";
import { folderEntries } from "../../../engine/core/module.js";

describe("footprint overlap", () => {
  it.each([
    [["file:/etc/motd"], ["file:/etc/motd"], true],
    [["file:/etc/ssh/sshd_config.d"], ["file:/etc/ssh/sshd_config.d/50-x.conf"], true],
    [["file:/etc/ssh/sshd_config.d/50-x.conf"], ["file:/etc/ssh/sshd_config.d"], true],
    [["file:/etc/motd"], ["file:/etc/motd.d"], false],
    [["file:/etc/issue.net"], ["file:/etc/motd", "accounts"], false],
    [["accounts"], ["file:/etc/motd", "accounts"], true],
    [["*"], ["sysctl"], true],
    [["sysctl", "file:/etc/sysctl.d/60-a.conf"], ["file:/etc/sysctl.d"], true],
    // mkdir -p of a parent that another task's probe checks
    [["file:/srv/a/etc", ...folderEntries("/srv/a/etc")], ["file:/srv/a/var/lib/app", ...folderEntries("/srv/a/var/lib/app")], true],
    // a folder's entry is not its content
    [["file:/etc/issue.net"], ["file:/etc/motd", ...folderEntries("/etc/motd")], false],
    [["file:/etc"], ["dir:/etc"], true],
    [["file:/"], ["dir:/etc", "file:/etc/motd"], true],
  ])("%j written, %j read: %s", (w, r, want) => {
    expect(overlaps(w, r)).toBe(want);
  });

  it("folderEntries lists every folder above a path", () => {
    expect(folderEntries("/a/b/c")).toEqual(["dir:/a/b", "dir:/a", "dir:/"]);
    expect(folderEntries("/a/")).toEqual(["dir:/"]);
  });
});
