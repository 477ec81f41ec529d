// Helpers for e2e tests that start their own sshd on 127.0.0.1 (independent of the lab).
import { spawnSync } from "node:child_process";
import { createServer, connect as netConnect } from "node:net";

/** A passphrase-less key pair at `path` / `path.pub`. */
export function keygen(path: string, type = "ed25519"): void {
  const r = spawnSync("ssh-keygen", ["-q", "-t", type, "-N", "", "-C", "keel-e2e", "-f", path]);
  if (r.status !== 0) throw new Error(`ssh-keygen failed: ${r.stderr}`);
}

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
}

/** Waits until 127.0.0.1:port accepts connections; `log()` is shown when it never does. */
export async function waitForPort(port: number, ms: number, log: () => string = () => ""): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = netConnect(port, "127.0.0.1");
      s.once("connect", () => (s.destroy(), resolve(true)));
      s.once("error", () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`sshd did not listen on ${port}: ${log()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
