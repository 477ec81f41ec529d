// A startup request rides with the shell's start (ShellConnection.startShell): two frames in flight
// on one shell, their output split correctly whatever the chunking, the answer handed to the first
// exec of exactly that command without a round trip, and everything else unchanged.
import { spawnSync } from "node:child_process";
import { describe, it, expect } from "vitest";
import { ShellConnection, type ShellStreams, type StartupRequest } from "../../../engine/transport/session.js";
import { LocalConnection } from "../../../engine/transport/local.js";
import type { HostSpec } from "../../../engine/core/host.js";

/**
 * A shell that runs each write through a real /bin/sh (one process per write, which is enough for
 * commands that keep no state) and hands the output back cut as `cut` says, stderr first.
 */
class ChunkedShell extends ShellConnection {
  readonly host = "fake";
  writes = 0;
  constructor(private readonly cut: (b: Buffer) => Buffer[]) {
    super(5000);
  }
  protected describe(): string {
    return "fake";
  }
  async start(startup?: StartupRequest): Promise<void> {
    const outCbs: ((c: Buffer) => void)[] = [];
    const errCbs: ((c: Buffer) => void)[] = [];
    const streams: ShellStreams = {
      write: (text) => {
        this.writes++;
        const r = spawnSync("/bin/sh", [], { input: text });
        setImmediate(() => {
          for (const c of this.cut(r.stderr)) for (const cb of errCbs) cb(c);
          for (const c of this.cut(r.stdout)) for (const cb of outCbs) cb(c);
        });
      },
      onStdout: (cb) => void outCbs.push(cb),
      onStderr: (cb) => void errCbs.push(cb),
      onClose: () => undefined,
      destroy: () => undefined,
    };
    await this.startShell(streams, 5000, startup);
  }
  reconnect(): Promise<void> {
    return Promise.resolve();
  }
  close(): Promise<void> {
    this.closeShell();
    return Promise.resolve();
  }
}

const CUTS: [string, (b: Buffer) => Buffer[]][] = [
  ["in one chunk", (b) => [b]],
  ["byte by byte", (b) => [...b].map((x) => Buffer.from([x]))],
  ["in chunks of 7 bytes", (b) => Array.from({ length: Math.ceil(b.length / 7) }, (_, i) => b.subarray(i * 7, i * 7 + 7))],
];

const STARTUP = { command: "echo facts here; echo to-stderr >&2; exit 3" };

describe("a startup request in the shell's first exchange", () => {
  for (const [name, cut] of CUTS) {
    it(`splits the prelude's and the request's output (${name}), answers the request once without a round trip`, async () => {
      const c = new ChunkedShell(cut);
      await c.start(STARTUP);
      expect(c.writes).toBe(1);
      expect(c.loginUser).not.toBe("");
      expect(await c.exec({ command: STARTUP.command })).toEqual({ stdout: "facts here\n", stderr: "to-stderr\n", rc: 3 });
      expect(c.roundTrips).toBe(0);
      expect(c.writes).toBe(1);
      // the same command again, or any other, runs for real
      expect(await c.exec({ command: STARTUP.command })).toEqual({ stdout: "facts here\n", stderr: "to-stderr\n", rc: 3 });
      expect(await c.exec({ command: "printf %s ok" })).toEqual({ stdout: "ok", stderr: "", rc: 0 });
      expect(c.roundTrips).toBe(2);
      expect(c.writes).toBe(3);
      await c.close();
    });
  }

  it("answers only exactly the plain request: with become, stdin or another text it runs for real", async () => {
    const c = new ChunkedShell((b) => [b]);
    await c.start(STARTUP);
    expect(await c.exec({ command: STARTUP.command, stdin: "x" })).toMatchObject({ stdout: "facts here\n", rc: 3 });
    expect(c.roundTrips).toBe(1);
    expect(await c.exec({ command: STARTUP.command })).toMatchObject({ rc: 3 });
    expect(c.roundTrips).toBe(1);
    await c.close();
  });

  it("over the local transport: the facts-style request costs no round trip, later commands run as before", async () => {
    const spec = { name: "l", address: "l", port: 22, connection: "local" } as HostSpec;
    const c = await LocalConnection.open(spec, 10_000, undefined, { command: "uname -s; pwd >&2" });
    try {
      const r = await c.exec({ command: "uname -s; pwd >&2" });
      expect(r.rc).toBe(0);
      expect(r.stdout).toBe(spawnSync("uname", ["-s"], { encoding: "utf8" }).stdout);
      expect(r.stderr.trim()).not.toBe("");
      expect(c.roundTrips).toBe(0);
      expect(await c.exec({ command: "echo $((6*7))" })).toEqual({ stdout: "42\n", stderr: "", rc: 0 });
      expect(c.roundTrips).toBe(1);
    } finally {
      await c.close();
    }
  });
});
