// A host's output is held in memory: one command may not send more than KEEL_MAX_OUTPUT_MB on a
// stream (issue 10: a 100 MB stdout cost the controller 3.1 GB). Past the limit the host is given
// up with a clear error, and the process stays small; below it, output arrives whole.
import { describe, expect, it } from "vitest";
import { LocalConnection } from "../../../engine/transport/local.js";
import { FrameParser, frameMarkers, maxOutputBytes } from "../../../engine/transport/framing.js";
import type { HostSpec } from "../../../engine/core/host.js";

const spec = { name: "l", address: "l", port: 22, connection: "local" } as HostSpec;

describe("output limit per command and stream", () => {
  it("reads KEEL_MAX_OUTPUT_MB, 256 MiB by default, ignoring nonsense", () => {
    expect(maxOutputBytes({})).toBe(256 * 1048576);
    expect(maxOutputBytes({ KEEL_MAX_OUTPUT_MB: "8" })).toBe(8 * 1048576);
    expect(maxOutputBytes({ KEEL_MAX_OUTPUT_MB: "0" })).toBe(256 * 1048576);
    expect(maxOutputBytes({ KEEL_MAX_OUTPUT_MB: "lots" })).toBe(256 * 1048576);
  });

  it("a frame past the limit throws, on stdout and on stderr; one within it is whole", () => {
    const m = frameMarkers("n0nce", 1);
    const p = new FrameParser("n0nce", 1, 1024);
    expect(() => p.pushStdout(Buffer.alloc(2048, 0x61))).toThrow(/stdout passed/);
    const q = new FrameParser("n0nce", 1, 1024);
    expect(() => q.pushStderr(Buffer.alloc(2048, 0x61))).toThrow(/stderr passed/);
    const ok = new FrameParser("n0nce", 1, 1024);
    ok.pushStdout(Buffer.from(`${"a".repeat(1000)}\n${m.out}0\n`));
    ok.pushStderr(Buffer.from(`\n${m.err}\n`));
    expect(ok.result().stdout.length).toBe(1000);
  });

  it("over a real shell: 3 MiB with a 1 MiB limit fails the host with the reason; 512 KiB comes through", async () => {
    const before = process.env.KEEL_MAX_OUTPUT_MB;
    process.env.KEEL_MAX_OUTPUT_MB = "1";
    try {
      const c = await LocalConnection.open(spec, 10_000);
      try {
        const small = await c.exec({ command: "head -c 524288 /dev/zero | tr '\\0' a" });
        expect(small.stdout.length).toBe(524288);
        await expect(c.exec({ command: "head -c 3145728 /dev/zero | tr '\\0' a" })).rejects.toThrow(/stdout passed 1 MiB; keel stopped reading this host/);
      } finally {
        await c.close();
      }
    } finally {
      if (before === undefined) delete process.env.KEEL_MAX_OUTPUT_MB;
      else process.env.KEEL_MAX_OUTPUT_MB = before;
    }
  });
});
