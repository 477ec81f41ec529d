// The local transport's lifetime: closing a connection must not keep keel's process alive, whatever
// the commands left running (a task that starts a daemon with `cmd &` keeps the shell's pipes open).
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, it, expect } from "vitest";

const ROOT = resolve(import.meta.dirname, "../../..");

describe("LocalConnection.close", () => {
  it("lets the process exit while a background process of a command still holds the shell's output", () => {
    const dir = mkdtempSync(join(tmpdir(), "keel-local-bg-"));
    const script = join(dir, "bg.mts");
    writeFileSync(
      script,
      `import { connect } from ${JSON.stringify(join(ROOT, "engine/transport/index.ts"))};
const c = await connect({ name: "l", address: "l", port: 22, connection: "local", become: false, becomeUser: "root", becomeMethod: "sudo", vars: {}, groups: [] } as any);
const r = await c.exec({ command: "sleep 20 & echo $!" });
process.stdout.write(r.stdout);
await c.close();
`,
    );
    const t0 = Date.now();
    const r = spawnSync(process.execPath, ["--import", "tsx", script], { cwd: ROOT, encoding: "utf8", timeout: 30_000 });
    const took = Date.now() - t0;
    const pid = Number(r.stdout.trim());
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
    expect(took).toBeLessThan(10_000);
  });
});
