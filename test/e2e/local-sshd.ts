// Helpers for e2e tests that start their own sshd on 127.0.0.1 (independent of the lab).
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { userInfo } from "node:os";
import { join } from "node:path";
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

export const SSHD = "/usr/sbin/sshd";

export interface LocalSshd {
  port: number;
  proc: ChildProcess;
  /** What sshd wrote to stderr so far. */
  log(): string;
}

/**
 * Starts `sshd -D` on 127.0.0.1 (a free port) with its config, pid file and authorized_keys
 * (`client_key.pub` from `dir`) all in `dir`; key-only root login. Resolves once it listens.
 */
export async function startLocalSshd(dir: string, o: { hostKeys: string[]; extraConfig?: string[] }): Promise<LocalSshd> {
  writeFileSync(join(dir, "authorized_keys"), readFileSync(join(dir, "client_key.pub")));
  chmodSync(join(dir, "authorized_keys"), 0o600);
  const port = await freePort();
  writeFileSync(
    join(dir, "sshd_config"),
    [
      `Port ${port}`,
      "ListenAddress 127.0.0.1",
      ...o.hostKeys.map((k) => `HostKey ${k}`),
      `PidFile ${join(dir, "sshd.pid")}`,
      `AuthorizedKeysFile ${join(dir, "authorized_keys")}`,
      "StrictModes no",
      "UsePAM no",
      "PermitRootLogin prohibit-password",
      "PasswordAuthentication no",
      "KbdInteractiveAuthentication no",
      ...(o.extraConfig ?? []),
      "LogLevel ERROR",
      "",
    ].join("\n"),
  );
  // sshd refuses to start without its privilege separation directory (absent on some containers).
  if (userInfo().uid === 0 && !existsSync("/run/sshd")) mkdirSync("/run/sshd", { mode: 0o755 });
  const proc = spawn(SSHD, ["-D", "-e", "-f", join(dir, "sshd_config")], { stdio: ["ignore", "ignore", "pipe"] });
  let log = "";
  proc.stderr!.on("data", (c: Buffer) => (log += c.toString()));
  await waitForPort(port, 10_000, () => log);
  return { port, proc, log: () => log };
}
