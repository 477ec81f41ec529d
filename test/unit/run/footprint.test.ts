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

describe("hardening modules' footprints", async () => {
  const { default: filePerms, globBase } = await import("../../../modules/hardening/file_perms.js");
  const { default: kernelModule } = await import("../../../modules/hardening/kernel_module.js");
  const facts = {} as Parameters<NonNullable<typeof filePerms.footprint>>[1];

  it("file_perms names each glob by the folder above its first glob character", () => {
    expect(globBase("/etc/ssh/ssh_host_*_key")).toBe("/etc/ssh");
    expect(globBase("/etc/cron.[dh]*")).toBe("/etc");
    expect(globBase("/*")).toBe("/");
    expect(globBase("/etc/shadow")).toBe("/etc/shadow");
    const fp = filePerms.footprint!({ paths: ["/etc/ssh/ssh_host_*_key", "/etc/ssh/sshd_config", "/etc/crontab"], mode: "0600" }, facts);
    expect(fp).toEqual({
      reads: ["file:/etc/ssh", "file:/etc/ssh/sshd_config", "file:/etc/crontab", "accounts"],
      writes: ["file:/etc/ssh", "file:/etc/ssh/sshd_config", "file:/etc/crontab"],
    });
    // a file task writing a host key, then file_perms over the keys: the probe is checked again
    expect(overlaps(["file:/etc/ssh/ssh_host_ed25519_key"], fp.reads)).toBe(true);
    // an account created before: owner names may change
    expect(overlaps(["accounts"], fp.reads)).toBe(true);
    expect(overlaps(["file:/etc/motd"], fp.reads)).toBe(false);
  });

  it("kernel_module reads every modprobe.d folder and writes its own file", () => {
    const fp = kernelModule.footprint!({ name: "cramfs" }, facts);
    expect(fp.writes).toContain("file:/etc/modprobe.d/keel-hardening-cramfs.conf");
    expect(fp.writes).toContain("dir:/etc/modprobe.d");
    // the next kernel_module task reads what this one wrote (a guard re-reads it in the batch)
    expect(overlaps(fp.writes, kernelModule.footprint!({ name: "udf" }, facts).reads)).toBe(true);
    expect(overlaps(["file:/usr/lib/modprobe.d/x.conf"], fp.reads)).toBe(true);
    expect(overlaps(fp.writes, ["file:/etc/motd", "accounts"])).toBe(false);
    const custom = kernelModule.footprint!({ name: "usb-storage", file: "/srv/mp/usb.conf" }, facts);
    expect(custom.reads).toContain("file:/srv/mp/usb.conf");
    expect(custom.writes).toEqual(["file:/srv/mp/usb.conf", "dir:/srv/mp", "dir:/srv", "dir:/"]);
  });
});
