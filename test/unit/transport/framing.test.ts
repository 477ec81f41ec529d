// Framing over the persistent shell: the parser on split and hostile input, and the framed text
// run by a real /bin/sh (no network), so quoting and here-doc placement are checked for real.
import { spawnSync } from "node:child_process";
import { describe, it, expect } from "vitest";
import { FrameParser, commandScript, frameCommand, frameMarkers, shellPrelude } from "../../../engine/transport/framing.js";
import { wrapCommand } from "../../../engine/transport/become.js";

const NONCE = "0123456789abcdef";

/** Runs framed commands through one sh process and parses each frame from the combined output. */
function runFrames(cmds: { script: string; stdin?: Buffer }[]): { stdout: string; stderr: string; rc: number; raw: Buffer }[] {
  const input = cmds.map((c, i) => frameCommand(wrapCommand(c.script, undefined, "me"), c.stdin, NONCE, i + 1)).join("");
  const r = spawnSync("/bin/sh", [], { input, maxBuffer: 64 * 1024 * 1024 });
  const results = [];
  let out = r.stdout;
  let err = r.stderr;
  for (let i = 0; i < cmds.length; i++) {
    const p = new FrameParser(NONCE, i + 1);
    p.pushStdout(out);
    p.pushStderr(err);
    expect(p.done).toBe(true);
    const res = p.result();
    results.push({ stdout: res.stdout.toString(), stderr: res.stderr.toString(), rc: res.rc, raw: res.stdout });
    // the next frame starts after this one's markers
    const m = frameMarkers(NONCE, i + 1);
    const o = out.indexOf(`\n${m.out}`);
    out = out.subarray(out.indexOf(0x0a, o + 1 + m.out.length) + 1);
    err = err.subarray(err.indexOf(`\n${m.err}\n`) + m.err.length + 2);
  }
  return results;
}

describe("FrameParser", () => {
  it("waits for both markers, byte by byte", () => {
    const m = frameMarkers(NONCE, 7);
    const out = Buffer.from(`hello\nno newline at end\n${m.out}42\n`);
    const err = Buffer.from(`warn\n${m.err}\n`);
    const p = new FrameParser(NONCE, 7);
    for (const b of out) p.pushStdout(Buffer.from([b]));
    expect(p.done).toBe(false);
    for (const b of err) p.pushStderr(Buffer.from([b]));
    expect(p.done).toBe(true);
    expect(p.result()).toEqual({ stdout: Buffer.from("hello\nno newline at end"), stderr: Buffer.from("warn"), rc: 42 });
  });

  it("ignores markers of other nonces and sequence numbers", () => {
    const fake = frameMarkers("ffffffffffffffff", 3);
    const old = frameMarkers(NONCE, 2);
    const real = frameMarkers(NONCE, 3);
    const p = new FrameParser(NONCE, 3);
    p.pushStdout(Buffer.from(`\n${fake.out}0\n\n${old.out}0\nx\n${real.out}1\nafter`));
    p.pushStderr(Buffer.from(`\n${fake.err}\n\n${real.err}\n`));
    expect(p.done).toBe(true);
    expect(p.result().stdout.toString()).toBe(`\n${fake.out}0\n\n${old.out}0\nx`);
    expect(p.result().rc).toBe(1);
  });

  it("rejects a malformed exit code", () => {
    const m = frameMarkers(NONCE, 1);
    const p = new FrameParser(NONCE, 1);
    expect(() => p.pushStdout(Buffer.from(`\n${m.out}x\n`))).toThrow(/malformed/);
  });
});

describe("framed commands through /bin/sh", () => {
  it("separates stdout, stderr and exit codes, and keeps the shell alive", () => {
    const r = runFrames([
      { script: "echo out; echo err >&2; exit 3" },
      { script: "printf 'no newline'" },
      { script: "echo 'unbalanced" },
      { script: "cd /; X=1; exec 1>&-" },
      { script: 'echo "${X:-unset}"; pwd' },
    ]);
    expect(r[0]).toMatchObject({ stdout: "out\n", stderr: "err\n", rc: 3 });
    expect(r[1]).toMatchObject({ stdout: "no newline", rc: 0 });
    expect(r[2]!.rc).toBe(2);
    expect(r[2]!.stderr).toMatch(/Unterminated|unterminated|EOF/);
    expect(r[4]!.stdout).toBe(`unset\n${process.cwd()}\n`);
  });

  it("gives a command /dev/null as stdin so it cannot eat the next command", () => {
    const r = runFrames([{ script: "cat; echo rc=$?" }, { script: "echo second" }]);
    expect(r[0]).toMatchObject({ stdout: "rc=0\n", rc: 0 });
    expect(r[1]!.stdout).toBe("second\n");
  });

  it("passes binary stdin exactly, and multi-line scripts with here-doc stdin", () => {
    const bytes = Buffer.alloc(300_000);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7919) % 256;
    const r = runFrames([
      { script: "od -An -tx1 | tr -d ' \\n' | wc -c", stdin: bytes },
      { script: 'read a\nread b\necho "$b-$a"', stdin: Buffer.from("one\ntwo\n") },
      { script: "cat", stdin: Buffer.alloc(0) },
    ]);
    expect(Number(r[0]!.stdout.trim())).toBe(bytes.length * 2);
    expect(r[1]!.stdout).toBe("two-one\n");
    expect(r[2]).toMatchObject({ stdout: "", rc: 0 });
  });

  it("applies cwd and env", () => {
    const r = runFrames([
      { script: commandScript('pwd; echo "$A|$B"', { cwd: "/tmp", env: { A: "it's", B: "$HOME" } }) },
      { script: commandScript("echo never", { cwd: "/nonexistent-dir" }) },
    ]);
    expect(r[0]!.stdout).toBe("/tmp\nit's|$HOME\n");
    expect(r[1]!.rc).toBe(1);
    expect(r[1]!.stdout).toBe("");
    expect(() => commandScript("x", { env: { "A B": "1" } })).toThrow(/invalid environment variable/);
  });

  it("the prelude reports the login user", () => {
    const r = spawnSync("/bin/sh", [], { input: shellPrelude(NONCE) });
    const p = new FrameParser(NONCE, 0);
    p.pushStdout(r.stdout);
    p.pushStderr(r.stderr);
    expect(p.done).toBe(true);
    expect(p.result().stdout.toString().trim()).toBe(spawnSync("id", ["-un"]).stdout.toString().trim());
  });
});

describe("large outputs", () => {
  it("collects 32 MiB of stdout in small chunks in linear time", () => {
    const m = frameMarkers(NONCE, 1);
    const p = new FrameParser(NONCE, 1);
    const chunk = Buffer.alloc(32 * 1024, 0x61);
    const t0 = performance.now();
    for (let i = 0; i < 1024; i++) p.pushStdout(chunk);
    const tailed = Buffer.from(`\n${m.out}0\n`);
    // the marker split across three chunks
    p.pushStdout(tailed.subarray(0, 5));
    p.pushStdout(tailed.subarray(5, 12));
    p.pushStdout(tailed.subarray(12));
    p.pushStderr(Buffer.from(`\n${m.err}\n`));
    expect(p.done).toBe(true);
    expect(p.result().stdout.length).toBe(32 * 1024 * 1024);
    expect(performance.now() - t0).toBeLessThan(5000);
  });
});

describe("a connection cut mid-command", () => {
  it("runs nothing when the input ends inside a here-doc (no half-written file)", async () => {
    const { mkdtempSync, readFileSync, writeFileSync, readdirSync, rmSync } = await import("node:fs");
    const { tmpdir } = await import("node:os");
    const { join } = await import("node:path");
    const { atomicWriteScript } = await import("../../../engine/transport/atomic.js");
    const dir = mkdtempSync(join(tmpdir(), "keel-cut-"));
    const p = join(dir, "target");
    writeFileSync(p, "old\n");
    const content = Buffer.alloc(100_000, 0x61);
    const text = frameCommand(wrapCommand(atomicWriteScript(p), undefined, "me"), content, NONCE, 1);
    // every cut point: on a base64 line boundary, mid-line, just before and after the delimiter
    const bodyStart = text.indexOf("\n") + 1;
    const delimAt = text.indexOf(`__KEEL_${NONCE}_1_IN\n`, bodyStart);
    for (const cut of [bodyStart + 77 * 10, bodyStart + 77 * 10 + 30, delimAt, delimAt + 5]) {
      const r = spawnSync("/bin/sh", [], { input: text.slice(0, cut) });
      expect(readFileSync(p, "utf8"), `cut at ${cut}: ${r.stderr}`).toBe("old\n");
      expect(readdirSync(dir).filter((f) => f.startsWith(".keel-tmp"))).toEqual([]);
    }
    // the whole text still writes the file
    spawnSync("/bin/sh", [], { input: text });
    expect(readFileSync(p).equals(content)).toBe(true);
    rmSync(dir, { recursive: true });
  });
});
