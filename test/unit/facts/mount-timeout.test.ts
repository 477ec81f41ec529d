// ansible_mounts when a mount's statvfs hangs (a dead NFS server): Ansible gives every mount 10 s,
// all at once (hardware/linux.py get_mount_facts: a thread per mount, DEFAULT_GATHER_TIMEOUT, which
// gather_timeout does not change on Linux), then reports the mount with a note and without sizes or
// uuid. keel's probe runs each `stat -f` under `timeout 10` in the background and reads timeout's
// exit status 124 the same way; before, one hung mount hung the whole facts probe.
import { spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { mountFacts } from "../../../engine/facts/extra.js";
import { factsScript, parseFacts } from "../../../engine/facts/probe.js";

const dir = mkdtempSync(join(tmpdir(), "keel-mount-timeout-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("a mount whose statvfs times out", () => {
  it("gets Ansible's note and neither sizes nor uuid; the others keep theirs, uuid after the sizes as Ansible adds it", () => {
    const m = mountFacts(
      ["/dev/vda1 / ext4 rw,relatime 0 0", "srv:/export /mnt/nfs\\040share nfs4 rw 0 0"],
      [],
      ["/dev/vda1 1234-abcd"],
      ["4096|4096|100|40|50|20|/", "timeout|/mnt/nfs\\040share"],
    );
    expect(m[1]).toEqual({
      mount: "/mnt/nfs share",
      device: "srv:/export",
      fstype: "nfs4",
      options: "rw",
      note: "Could not get extra information due to timeout",
    });
    expect(Object.keys(m[0]!)).toEqual([
      "mount",
      "device",
      "fstype",
      "options",
      "size_total",
      "size_available",
      "block_size",
      "block_total",
      "block_available",
      "block_used",
      "inode_total",
      "inode_available",
      "inode_used",
      "uuid",
    ]);
    expect(m[0]!.uuid).toBe("1234-abcd");
  });

  const real = spawnSync("sh", ["-c", "awk '$1 ~ /^\\// || $1 ~ /:\\//' /proc/mounts | grep -cv ' none '"], { encoding: "utf8" }).stdout.trim();
  it.skipIf(real === "0" || real === "")("the probe's shell: timeout's status 124 becomes the note for every mount; without it, sizes", () => {
    const bin = join(dir, "bin");
    spawnSync("mkdir", ["-p", bin]);
    // stands for coreutils' timeout giving up after 10 s: its exit status is 124
    writeFileSync(join(bin, "timeout"), "#!/bin/sh\nexit 124\n");
    chmodSync(join(bin, "timeout"), 0o755);
    const script = factsScript({ subset: ["!all", "hardware"] });
    const run = (path: string) => parseFacts(spawnSync("/bin/sh", ["-c", script], { encoding: "utf8", env: { ...process.env, PATH: path } }).stdout);
    const hung = run(`${bin}:${process.env.PATH}`).mounts as Record<string, unknown>[];
    expect(hung.length).toBeGreaterThan(0);
    for (const m of hung) expect(m, String(m.mount)).toMatchObject({ note: "Could not get extra information due to timeout" });
    const fine = run(process.env.PATH ?? "/usr/bin:/bin").mounts as Record<string, unknown>[];
    expect(fine.some((m) => typeof m.size_total === "number" && m.note === undefined)).toBe(true);
  });
});
