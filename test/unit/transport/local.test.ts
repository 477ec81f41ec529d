// The local transport's lifetime: closing a connection must not keep keel's process alive, whatever
// the commands left running (a task that starts a daemon with `cmd &` keeps the shell's pipes open).
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, it, expect } from "vitest";
import { spawnAsync } from "../../spawn.js";

const ROOT = resolve(import.meta.dirname, "../../..");

describe("LocalConnection.close", () => {
  it("lets the process exit while a background process of a command still holds the shell's output", { timeout: 120_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), "keel-local-bg-"));
    const script = join(dir, "bg.mts");
    writeFileSync(
      script,
      `import { connect } from ${JSON.stringify(join(ROOT, "engine/transport/index.ts"))};
const c = await connect({ name: "l", address: "l", port: 22, connection: "local", become: false, becomeUser: "root", becomeMethod: "sudo", vars: {}, groups: [] } as any);
const r = await c.exec({ command: "sleep 120 & echo $!" });
process.stdout.write(r.stdout);
await c.close();
`,
    );
    // a hang is killed after 90 s, well before the background sleep ends
    const r = await spawnAsync(process.execPath, ["--import", "tsx", script], { cwd: ROOT, timeout: 90_000 });
    const pid = Number(r.stdout.trim());
    // the process ended while the background command still ran: it did not wait for it (no
    // timing involved, whatever the machine's load)
    let stillRunning = false;
    try {
      process.kill(pid, 0);
      stillRunning = true;
    } catch {
      stillRunning = false;
    }
    if (pid > 0) {
      try {
        process.kill(pid, "SIGTERM");
      } catch {
        // already gone
      }
    }
    rmSync(dir, { recursive: true });
    expect(r.status, r.stderr).toBe(0);
    expect(pid).toBeGreaterThan(0);
    expect(stillRunning, "the background sleep had ended: keel's process waited for it").toBe(true);
  });
});
