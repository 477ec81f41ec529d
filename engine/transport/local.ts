// The local transport: the same persistent `sh`, framing, become and atomic writes as ssh, with the
// shell as a child process of keel.
import { spawn } from "node:child_process";
import type { HostSpec } from "../core/host.js";
import { ConnectionError } from "../core/errors.js";
import { ShellConnection, closeSignal, type ShellStreams, type StartupRequest } from "./session.js";

export class LocalConnection extends ShellConnection {
  readonly host: string;

  private constructor(spec: HostSpec, commandTimeoutMs: number, becomePassword?: string) {
    super(commandTimeoutMs, becomePassword);
    this.host = spec.name;
  }

  /** Starts the shell; `startup` runs in its first exchange (ShellConnection.startShell). */
  static async open(spec: HostSpec, commandTimeoutMs: number, becomePassword?: string, startup?: StartupRequest): Promise<LocalConnection> {
    const c = new LocalConnection(spec, commandTimeoutMs, becomePassword);
    await c.start(startup);
    return c;
  }

  protected describe(): string {
    return `${this.host} (local)`;
  }

  private async start(startup?: StartupRequest): Promise<void> {
    // Its own process group, so that a hard stop (timeout) also ends the command it runs.
    const child = spawn("/bin/sh", [], { stdio: ["pipe", "pipe", "pipe"], detached: true });
    const closing = closeSignal();
    const onClose = closing.close;
    child.on("error", (e) => onClose(`cannot run /bin/sh: ${e.message}`));
    child.on("exit", (code, signal) => onClose(signal ? `the shell was killed by ${signal}` : `the shell exited with code ${code}`));
    child.stdin.on("error", (e) => onClose(`writing to the shell failed: ${e.message}`));
    const streams: ShellStreams = {
      write: (t) => void child.stdin.write(t),
      onStdout: (cb) => void child.stdout.on("data", cb),
      onStderr: (cb) => void child.stderr.on("data", cb),
      onClose: closing.onClose,
      destroy: (hard) => {
        child.stdin.end();
        // A background process a command started (`daemon &`) keeps the pipes open after the shell
        // exits; Node would then wait for it before exiting. Output after the end is not wanted.
        child.stdout.destroy();
        child.stderr.destroy();
        if (hard && child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
          try {
            process.kill(-child.pid, "SIGKILL");
          } catch {
            child.kill("SIGKILL");
          }
        }
      },
    };
    await this.startShell(streams, 10_000, startup);
  }

  async reconnect(timeoutMs: number): Promise<void> {
    this.closeShell();
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        await this.start();
        return;
      } catch (e) {
        if (Date.now() >= deadline) {
          throw e instanceof ConnectionError ? e : new ConnectionError(`cannot restart the local shell: ${(e as Error).message}`, "other", this.host);
        }
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  }

  /** A local shell does not cross the network, so no firewall can cut it; still prove a new one starts. */
  async probeNewConnection(timeoutMs: number): Promise<void> {
    const c = new LocalConnection({ name: this.host } as HostSpec, timeoutMs);
    try {
      await c.start();
      await c.exec({ command: "true", timeoutMs });
    } finally {
      await c.close();
    }
  }

  async close(): Promise<void> {
    this.closeShell();
  }
}
