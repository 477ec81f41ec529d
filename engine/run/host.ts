// The `Host` that a module's apply sees: the host's one persistent Connection, with the task's
// become settings applied by default.
import type { Connection } from "../core/connection.js";
import type { Host, ExecOptions, ExecResult, WriteFileOptions } from "../core/module.js";
import type { Facts } from "../core/facts.js";
import { CommandError, ConnectionError } from "../core/errors.js";

export type Become = { user: string; password?: string } | undefined;

export class ConnectionHost implements Host {
  constructor(
    readonly name: string,
    readonly facts: Facts,
    private readonly conn: Connection,
    /** The task's become (undefined: run as the connecting user). */
    private readonly become: Become,
  ) {}

  async run(cmd: string, opts: ExecOptions = {}): Promise<ExecResult> {
    const res = await this.conn.exec({
      command: cmd,
      stdin: opts.stdin,
      become: opts.become === false ? undefined : this.become,
      cwd: opts.cwd,
      env: opts.env,
      timeoutMs: opts.timeoutMs,
    });
    if (res.rc !== 0 && opts.check !== false) throw new CommandError(cmd, res.rc, res.stdout, res.stderr);
    return res;
  }

  writeFile(path: string, content: string | Buffer, opts: WriteFileOptions = {}): Promise<{ backup?: string }> {
    return this.conn.putFile(path, typeof content === "string" ? Buffer.from(content, "utf8") : content, { ...opts, become: this.become });
  }

  reconnect(timeoutMs: number): Promise<void> {
    return this.conn.reconnect(timeoutMs);
  }

  async probeNewConnection(timeoutMs: number): Promise<void> {
    if (!this.conn.probeNewConnection) throw new ConnectionError(`the connection to ${this.name} cannot open a second one to prove access`, "other", this.name);
    await this.conn.probeNewConnection(timeoutMs);
  }
}
