import { describe, expect, it } from "vitest";
import { foreignLabDir } from "../../lab/lab.js";

// 2026-12-04 10:27: a test run from a second checkout (its own .lab) tore down every host of the
// lab the other checkouts were using. The lab dir whose hosts run is recorded machine-wide and
// another one is refused; these are the cases of that decision.
describe("foreignLabDir", () => {
  const has = (dirs: string[]) => (d: string) => dirs.includes(d);
  it("names the other lab dir while its hosts run", () => {
    expect(foreignLabDir("/work/wt/a/.lab", "/work/main/.lab", true, has(["/work/main/.lab"]))).toBe("/work/main/.lab");
  });
  it("is our own lab, however the path is written", () => {
    expect(foreignLabDir("/work/main/.lab/", "/work/main/./.lab", true, has(["/work/main/.lab"]))).toBeUndefined();
  });
  it("ignores a stale record: no host runs, or the dir holds no lab any more", () => {
    expect(foreignLabDir("/work/wt/a/.lab", "/work/main/.lab", false, has(["/work/main/.lab"]))).toBeUndefined();
    expect(foreignLabDir("/work/wt/a/.lab", "/work/main/.lab", true, has([]))).toBeUndefined();
    expect(foreignLabDir("/work/wt/a/.lab", undefined, true, has([]))).toBeUndefined();
  });
});
