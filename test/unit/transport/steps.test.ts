// A batch of requests in one round trip (engine/transport/steps.ts), run by a real /bin/sh: each
// step framed on its own, stdin per step, the batch stopping after a failing step or a guard whose
// probe output changed.
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { batchScript, guardDigest, splitBatch, type ScriptStep } from "../../../engine/transport/steps.js";

function run(steps: ScriptStep[]) {
  const nonce = "0123456789abcdef";
  const r = spawnSync("/bin/sh", ["-c", batchScript(steps, nonce)], { stdio: ["ignore", "pipe", "pipe"] });
  expect(r.status).toBe(0);
  return splitBatch(r.stdout, r.stderr, steps.length, nonce);
}

describe("batch steps", () => {
  it("keeps each step's stdout, stderr and exit code apart, byte for byte", () => {
    const out = run([
      { inner: "printf 'one\\ntwo'", goOn: "rc0" },
      // inner is what exec would run: a subshell (or sudo), so `exit` ends only the step
      { inner: "( echo err >&2; echo out; exit 3 )", goOn: "always" },
      { inner: "cat; echo", stdin: Buffer.from("line\n\u00e9\u0000x"), goOn: "rc0" },
      { inner: "printf ''", goOn: "rc0" },
    ]);
    expect(out).toEqual([
      { stdout: "one\ntwo", stderr: "", rc: 0 },
      { stdout: "out\n", stderr: "err\n", rc: 3 },
      { stdout: "line\n\u00e9\u0000x\n", stderr: "", rc: 0 },
      { stdout: "", stderr: "", rc: 0 },
    ]);
  });

  it("stops after the first step that exits non-zero when the batch may only go on after success", () => {
    const out = run([
      { inner: "echo a", goOn: "rc0" },
      { inner: "( echo b; false )", goOn: "rc0" },
      { inner: "echo never", goOn: "rc0" },
    ]);
    expect(out.map((r) => [r.stdout, r.rc])).toEqual([
      ["a\n", 0],
      ["b\n", 1],
    ]);
  });

  it("a guard goes on when its probe prints what it printed before, and stops (keeping the new output) when not", () => {
    const probe = "printf 'state=%s\\n' 42; exit 2";
    const same = guardDigest("state=42\n", 2);
    const other = guardDigest("state=41\n", 2);
    const ok = run([
      { inner: `( ${probe} )`, goOn: { sha256: same } },
      { inner: "echo after", goOn: "rc0" },
    ]);
    expect(ok).toEqual([
      { stdout: "state=42\n", stderr: "", rc: 2 },
      { stdout: "after\n", stderr: "", rc: 0 },
    ]);
    const changed = run([
      { inner: `( ${probe} )`, goOn: { sha256: other } },
      { inner: "echo after", goOn: "rc0" },
    ]);
    expect(changed).toEqual([{ stdout: "state=42\n", stderr: "", rc: 2 }]);
  });

  it("a frame cut short is an error, never a result", () => {
    const nonce = "0123456789abcdef";
    const r = spawnSync("/bin/sh", ["-c", batchScript([{ inner: "echo a", goOn: "rc0" }], nonce)]);
    const cut = r.stdout.subarray(0, r.stdout.length - 10);
    expect(() => splitBatch(cut, r.stderr, 1, nonce)).toThrow(/cut short|malformed/);
  });
});
