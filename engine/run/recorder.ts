// Recording an apply ahead of time, and replaying it on what the host answered (docs/pipelining.md).
//
// record(): runs a module's apply against a host that runs nothing. Each call is noted as a batch
// step and answers at once as if it succeeded (exit 0, no output, no backup). A module that declares
// a footprint promises that its calls, and whether it fails, depend on a call's result only when
// that call failed; so the calls noted are exactly the ones it makes on a host where every call
// succeeds. A call that cannot join a batch (become: false, its own timeout, reconnecting, a second
// connection) ends the recording: the calls before it are batched, the rest runs live afterwards.
//
// ReplayHost: the same apply run again for real, after the batch. A call the batch ran answers
// with the batch's result (and throws exactly as the live host would); a call it did not run
// (the batch stopped earlier, or the recording ended before it) runs live. A call that differs from
// the one the batch ran means the apply was not deterministic: an InternalError.
import type { BatchStep, Connection, ExecRequest } from "../core/connection.js";
import type { ApplyResult, Change, ExecOptions, ExecResult, FileWrite, Host, HostModule, WriteFileOptions } from "../core/module.js";
import type { Facts } from "../core/facts.js";
import { CommandError, InternalError } from "../core/errors.js";
import { ConnectionHost, type Become } from "./host.js";

export interface RecordedCall {
  /** Identity of the call (method, command or path, options, stdin digest) for replay. */
  key: string;
  step: BatchStep;
  /** writeFile: how the transport reads the result (throws as putFile does). */
  finish?: (r: ExecResult) => { backup?: string };
  /** run: throw CommandError on a non-zero exit (ExecOptions.check). */
  check: boolean;
  cmd: string;
  /** writeFile: the path and the bytes it installs (for probe predictions: lookahead.ts). */
  write?: FileWrite;
}

export interface Recording {
  calls: RecordedCall[];
  /** The apply returned without a call that had to run alone. */
  complete: boolean;
  /** It threw on its own (not from a host result): the task fails, nothing after it may run. */
  threw: boolean;
}

const NEVER = new Promise<never>(() => undefined);

function requestKey(method: string, what: string, req: ExecRequest, extra: unknown): string {
  const stdin = req.stdin === undefined ? null : Buffer.from(req.stdin).toString("base64");
  return JSON.stringify([method, what, req.become?.user ?? null, req.cwd ?? null, req.env ?? null, stdin, extra]);
}

function runRequest(cmd: string, opts: ExecOptions, become: Become): ExecRequest {
  const req: ExecRequest = { command: cmd };
  if (opts.stdin !== undefined) req.stdin = opts.stdin;
  if (become) req.become = become;
  if (opts.cwd !== undefined) req.cwd = opts.cwd;
  if (opts.env !== undefined) req.env = opts.env;
  return req;
}

/** Batchable: no own timeout, not run outside the task's become. */
function batchable(opts: ExecOptions): boolean {
  return opts.timeoutMs === undefined && opts.become !== false;
}

class RecordingHost implements Host {
  readonly calls: RecordedCall[] = [];
  stopped = false;
  private stop!: () => void;
  readonly stoppedP = new Promise<void>((r) => (this.stop = r));

  constructor(
    readonly name: string,
    readonly facts: Facts,
    private readonly conn: Connection,
    private readonly become: Become,
  ) {}

  private end(): Promise<never> {
    this.stopped = true;
    this.stop();
    return NEVER;
  }

  async run(cmd: string, opts: ExecOptions = {}): Promise<ExecResult> {
    if (this.stopped || !batchable(opts)) return this.end();
    const req = runRequest(cmd, opts, this.become);
    this.calls.push({ key: requestKey("run", cmd, req, opts.check !== false), step: { req, goOn: "rc0" }, check: opts.check !== false, cmd });
    return { stdout: "", stderr: "", rc: 0 };
  }

  async writeFile(path: string, content: string | Buffer, opts: WriteFileOptions = {}): Promise<{ backup?: string }> {
    if (this.stopped || !this.conn.putFileRequest) return this.end();
    const w = this.conn.putFileRequest(path, typeof content === "string" ? Buffer.from(content, "utf8") : content, { ...opts, become: this.become });
    const bytes = typeof content === "string" ? Buffer.from(content, "utf8") : content;
    this.calls.push({
      key: requestKey("write", path, w.req, opts),
      step: { req: w.req, goOn: "rc0" },
      finish: w.finish,
      check: true,
      cmd: `write ${path}`,
      write: { path, content: bytes },
    });
    return {};
  }

  reconnect(): Promise<void> {
    return this.end();
  }

  probeNewConnection(): Promise<void> {
    return this.end();
  }
}

/** The calls `apply` makes on a host where each of them succeeds (see the header). */
export async function record(
  m: HostModule,
  args: Record<string, unknown>,
  changes: Change[],
  state: unknown,
  name: string,
  facts: Facts,
  conn: Connection,
  become: Become,
): Promise<Recording> {
  const h = new RecordingHost(name, facts, conn, become);
  const done = (async () => {
    try {
      await m.apply(h, args, changes, state);
      return { threw: false };
    } catch {
      return { threw: true };
    }
  })();
  const r = await Promise.race([done, h.stoppedP.then(() => undefined)]);
  if (!r) return { calls: h.calls, complete: false, threw: false };
  return { calls: h.calls, complete: !h.stopped, threw: r.threw };
}

/** The apply's host after its batch ran: `results[i]` answers `calls[i]` (those that ran). */
export class ReplayHost implements Host {
  private at = 0;
  private readonly live: ConnectionHost;

  constructor(
    readonly name: string,
    readonly facts: Facts,
    private readonly conn: Connection,
    private readonly become: Become,
    private readonly calls: readonly RecordedCall[],
    private readonly results: readonly ExecResult[],
    private readonly module: string,
  ) {
    this.live = new ConnectionHost(name, facts, conn, become);
  }

  /** Calls the batch ran that the apply did not make again (it was not deterministic). */
  get leftover(): boolean {
    return this.at < this.results.length;
  }

  /** The batch's answer to this call, or undefined when it must run live. */
  private answer(key: string): { call: RecordedCall; r: ExecResult } | undefined {
    const i = this.at;
    if (i >= this.results.length) {
      this.at = Infinity;
      return undefined;
    }
    const call = this.calls[i]!;
    if (call.key !== key) {
      throw new InternalError(
        `the apply of ${this.module} on ${this.name} did not repeat the calls it was recorded with (call ${i + 1}: ${call.cmd}); modules that declare a footprint must apply deterministically`,
      );
    }
    this.at++;
    return { call, r: this.results[i]! };
  }

  async run(cmd: string, opts: ExecOptions = {}): Promise<ExecResult> {
    if (this.at < this.results.length && batchable(opts)) {
      const a = this.answer(requestKey("run", cmd, runRequest(cmd, opts, this.become), opts.check !== false))!;
      if (a.r.rc !== 0 && opts.check !== false) throw new CommandError(cmd, a.r.rc, a.r.stdout, a.r.stderr);
      return { ...a.r };
    }
    this.at = Infinity;
    return this.live.run(cmd, opts);
  }

  async writeFile(path: string, content: string | Buffer, opts: WriteFileOptions = {}): Promise<{ backup?: string }> {
    if (this.at < this.results.length && this.conn.putFileRequest) {
      const w = this.conn.putFileRequest(path, typeof content === "string" ? Buffer.from(content, "utf8") : content, { ...opts, become: this.become });
      const a = this.answer(requestKey("write", path, w.req, opts))!;
      return w.finish(a.r);
    }
    this.at = Infinity;
    return this.live.writeFile(path, content, opts);
  }

  reconnect(timeoutMs: number): Promise<void> {
    this.at = Infinity;
    return this.live.reconnect(timeoutMs);
  }

  probeNewConnection(timeoutMs: number): Promise<void> {
    this.at = Infinity;
    return this.live.probeNewConnection(timeoutMs);
  }
}

export type { ApplyResult };
