// The file system scans of hardening.world_writable and hardening.unowned_files share one `find`
// probe (modules/hardening/check-common.ts). Their real probes run here under `sh` against a temp
// tree: roots, pruned excludes, the limit and the exact count, for both modules (the fixtures only
// cover the parsing).
import { execFileSync } from "node:child_process";
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { HostModule } from "../../../engine/core/module.js";
import { BASE_FACTS } from "./harness.js";
import worldWritable from "../../../modules/hardening/world_writable.js";
import unowned from "../../../modules/hardening/unowned_files.js";

let dir: string;
const sh = (script: string) => execFileSync("sh", ["-c", script], { encoding: "utf8" });

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "keel-scan-"));
  for (const d of ["a", "a/skip", "b", "b/drop", "b/tmp"]) mkdirSync(join(dir, d));
  for (const f of ["a/one", "a/two", "a/three", "a/skip/hidden", "b/ok"]) writeFileSync(join(dir, f), "x");
  for (const f of ["a/one", "a/two", "a/three", "a/skip/hidden"]) chmodSync(join(dir, f), 0o666);
  chmodSync(join(dir, "b/drop"), 0o777);
  chmodSync(join(dir, "b/tmp"), 0o1777);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function scan<A, S>(mod: HostModule<A, S>, args: A): S {
  const p = mod.probe(args, BASE_FACTS);
  return p.parse(sh(p.script), 0);
}

describe("hardening file system scans", () => {
  it("world_writable: files and sticky-less directories under the roots, excludes pruned", () => {
    const st = scan(worldWritable, { paths: [dir], exclude: [join(dir, "a/skip")] });
    expect(st.fileCount).toBe(3);
    expect(st.files.sort()).toEqual(["a/one", "a/three", "a/two"].map((f) => join(dir, f)));
    expect(st.dirCount).toBe(1);
    expect(st.dirs).toEqual([join(dir, "b/drop")]);
    expect(worldWritable.diff(st, {}, BASE_FACTS)).toHaveLength(2);
  });

  it("world_writable: the limit caps the paths read back, the count stays exact", () => {
    const st = scan(worldWritable, { paths: [join(dir, "a")], limit: 2 });
    expect(st.fileCount).toBe(4);
    expect(st.files).toHaveLength(2);
  });

  it("world_writable: a root with nothing to report converges", () => {
    const st = scan(worldWritable, { paths: [join(dir, "b/tmp")] });
    expect(st).toEqual({ fileCount: 0, files: [], dirCount: 0, dirs: [] });
    expect(worldWritable.diff(st, {}, BASE_FACTS)).toEqual([]);
  });

  it("unowned_files: nothing under a tree owned by existing accounts", () => {
    const st = scan(unowned, { paths: [dir] });
    expect(st).toEqual({ count: 0, paths: [] });
    expect(unowned.diff(st, {}, BASE_FACTS)).toEqual([]);
  });

  it.skipIf(process.getuid?.() !== 0)("unowned_files: files of a UID and GID no account has, limit and excludes applied", () => {
    for (const f of ["a/one", "a/two", "a/skip/hidden"]) chownSync(join(dir, f), 54_321, 54_321);
    try {
      const all = scan(unowned, { paths: [dir], exclude: [join(dir, "a/skip")] });
      expect(all.count).toBe(2);
      expect(all.paths.sort()).toEqual([join(dir, "a/one"), join(dir, "a/two")]);
      const capped = scan(unowned, { paths: [dir], limit: 1 });
      expect(capped.count).toBe(3);
      expect(capped.paths).toHaveLength(1);
    } finally {
      for (const f of ["a/one", "a/two", "a/skip/hidden"]) chownSync(join(dir, f), 0, 0);
    }
  });
});
