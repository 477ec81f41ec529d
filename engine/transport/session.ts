// The part of a connection both transports share: one persistent `sh` (over an ssh channel or a
// local child process), commands framed and run one at a time, round trips counted, atomic writes.
import { phaseMark } from "../core/phases.js";
import { randomBytes } from "node:crypto";
import type { BatchStep, Connection, ExecRequest, PutFileOptions, PutFileRequest } from "../core/connection.js";
import type { ExecResult } from "../core/module.js";
import { CommandError, ConnectionError, KeelError, InternalError } from "../core/errors.js";
import { FrameParser, commandScript, frameCommand, maxOutputBytes, shellPrelude } from "./framing.js";
import { wrapCommand } from "./become.js";
import { atomicWriteScript, parseAtomicWriteOutput } from "./atomic.js";
import { batchScript, splitBatch } from "./steps.js";

/** A running shell: where to write its input and how it reports output and its end. */
export interface ShellStreams {
  write(text: string): void;
  onStdout(cb: (chunk: Buffer) => void): void;
  onStderr(cb: (chunk: Buffer) => void): void;
  /** Called once when the shell or the transport under it goes away. */
  onClose(cb: (why: string) => void): void;
  /**
   * Ends the shell. `hard` (after a timeout or a broken frame) also stops what it is running;
   * otherwise the shell just gets end-of-input.
   */
  destroy(hard: boolean): void;
}

interface Pending {
  parser: FrameParser;
  resolve(r: { stdout: Buffer; stderr: Buffer; rc: number }): void;
  reject(e: Error): void;
}

/**
 * The first of several close signals (process exit, channel close, socket error…) wins: `close(why)`
 * calls every registered callback once; later signals are ignored.
 */
export function closeSignal(): { close(why: string): void; onClose(cb: (why: string) => void): void } {
  let closed = false;
  const cbs: ((why: string) => void)[] = [];
  return {
    close(why) {
      if (closed) return;
      closed = true;
      for (const cb of cbs) cb(why);
    },
    onClose: (cb) => void cbs.push(cb),
  };
}

export abstract class ShellConnection implements Connection {
  private readonly notices: string[] = [];
  abstract readonly host: string;
  protected shell?: ShellStreams;
  /** Why the shell is unusable (set on loss, timeout or close). */
  protected broken?: ConnectionError;
  /** The user the shell runs as (`id -un`), known after start. */
  loginUser = "";
  private nonce = "";
  private seq = 0;
  /** Frames written and not yet answered, oldest first (more than one only while a startup request rides with the prelude). */
  private pending: Pending[] = [];
  private queue: Promise<unknown> = Promise.resolve();
  private trips = 0;
  /** KEEL_MAX_OUTPUT_MB, read once per connection rather than once per command. */
  private readonly outputLimit = maxOutputBytes();
  /** The startup request's answer (startShell), handed to the first exec of exactly that request. */
  private early?: { command: string; result: Promise<{ stdout: Buffer; stderr: Buffer; rc: number }> };

  constructor(
    protected readonly commandTimeoutMs: number,
    /** Used when a request asks for become without a password of its own. */
    private readonly becomePassword?: string,
  ) {}

  get roundTrips(): number {
    return this.trips;
  }

  /** "lab01 (198.18.0.11:22)" for messages. */
  protected abstract describe(): string;

  /**
   * Starts the persistent shell on an open transport and waits until it answers. A `startup`
   * request (a plain command: no become, stdin, cwd or env, as the facts probe) is written right
   * behind the prelude, so it runs in the same exchange as the shell's start instead of one of its
   * own; the first exec of exactly that command gets its answer (once), without a round trip.
   */
  protected async startShell(streams: ShellStreams, timeoutMs: number, startup?: StartupRequest): Promise<void> {
    this.shell = streams;
    this.broken = undefined;
    this.nonce = randomBytes(8).toString("hex");
    this.seq = 0;
    this.early = undefined;
    streams.onStdout((c) => this.feed(streams, c, "out"));
    streams.onStderr((c) => this.feed(streams, c, "err"));
    streams.onClose((why) => {
      if (this.shell !== streams) return;
      this.fail(new ConnectionError(`connection to ${this.describe()} lost: ${why}`, "lost", this.host));
    });
    // Whatever a login rc file prints before the prelude's marker is dropped with it.
    let text = shellPrelude(this.nonce);
    const prelude = this.expect(0, timeoutMs > 0 ? timeoutMs : 10_000, false);
    if (startup) {
      const seq = ++this.seq;
      // No become: the command's text does not depend on the login user the prelude reports.
      const result = this.expect(seq, startup.timeoutMs ?? this.commandTimeoutMs, false).then((r) => {
        phaseMark("startup request answered", this.host);
        return r;
      });
      result.catch(() => undefined);
      text += frameCommand(this.inner({ command: startup.command }), undefined, this.nonce, seq);
      this.early = { command: startup.command, result };
      // Later commands are written once the startup request is answered (one command at a time).
      this.queue = result.catch(() => undefined);
    }
    phaseMark("shell start sent", this.host);
    this.write(streams, text);
    const r = await prelude;
    phaseMark("shell started", this.host);
    if (r.rc !== 0) throw new ConnectionError(`the shell on ${this.describe()} did not start: ${r.stderr.toString().trim()}`, "other", this.host);
    this.loginUser = r.stdout.toString().trim().split("\n").pop() ?? "";
  }

  /**
   * Output of the shell: each stream's bytes go to the oldest frame still waiting for that stream;
   * bytes after a frame's end marker go on to the next frame, or are dropped when none waits
   * (output of background processes between commands).
   */
  private feed(streams: ShellStreams, chunk: Buffer, which: "out" | "err"): void {
    if (this.shell !== streams) return;
    let rest: Buffer | undefined = chunk;
    try {
      for (const p of this.pending) {
        if (!rest || rest.length === 0) break;
        if (which === "out" ? p.parser.stdoutDone : p.parser.stderrDone) continue;
        rest = which === "out" ? p.parser.pushStdout(rest) : p.parser.pushStderr(rest);
      }
    } catch (e) {
      this.fail(new ConnectionError(`connection to ${this.describe()}: ${(e as Error).message}`, "lost", this.host));
      return;
    }
    while (this.pending[0]?.parser.done) {
      const p = this.pending.shift()!;
      p.resolve(p.parser.result());
    }
  }

  /** Marks the shell unusable, ends it, and rejects the command in flight. */
  protected fail(err: ConnectionError): void {
    if (!this.broken) this.broken = err;
    const shell = this.shell;
    this.shell = undefined;
    shell?.destroy(true);
    for (const p of this.pending.splice(0)) p.reject(err);
  }

  private roundTrip(text: string, seq: number, timeoutMs: number, count: boolean): Promise<{ stdout: Buffer; stderr: Buffer; rc: number }> {
    const shell = this.shell;
    if (!shell || this.broken) {
      return Promise.reject(this.broken ?? new ConnectionError(`connection to ${this.describe()} is closed`, "lost", this.host));
    }
    const p = this.expect(seq, timeoutMs, count);
    phaseMark("round trip sent", this.host);
    this.write(shell, text);
    return p.then((r) => {
      phaseMark("round trip answered", this.host);
      return r;
    });
  }

  /** Waits for the answer of frame `seq` (to be written next), within timeoutMs (0: none). */
  private expect(seq: number, timeoutMs: number, count: boolean): Promise<{ stdout: Buffer; stderr: Buffer; rc: number }> {
    if (count) this.trips++;
    return new Promise((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const done =
        <T>(f: (v: T) => void) =>
        (v: T) => {
          if (timer) clearTimeout(timer);
          f(v);
        };
      this.pending.push({ parser: new FrameParser(this.nonce, seq, this.outputLimit), resolve: done(resolve), reject: done(reject) });
      if (timeoutMs > 0) {
        timer = setTimeout(() => {
          // The shell's state is unknown now (the command may still run): the host is done for.
          this.fail(new ConnectionError(`command on ${this.describe()} timed out after ${timeoutMs} ms`, "timeout", this.host));
        }, timeoutMs);
      }
    });
  }

  private write(shell: ShellStreams, text: string): void {
    try {
      shell.write(text);
    } catch (e) {
      this.fail(new ConnectionError(`connection to ${this.describe()} lost: ${(e as Error).message}`, "lost", this.host));
    }
  }

  exec(req: ExecRequest): Promise<ExecResult> {
    let raw: Promise<{ stdout: Buffer; stderr: Buffer; rc: number }>;
    if (this.early && req.command === this.early.command && isPlain(req)) {
      // The startup request's answer, once: it ran in the shell's first exchange.
      raw = this.early.result;
      this.early = undefined;
    } else raw = this.execRaw(req);
    return raw.then((r) => ({ stdout: r.stdout.toString("utf8"), stderr: r.stderr.toString("utf8"), rc: r.rc }));
  }

  /** The one-line text that runs a request (cwd, env, become wrapping); its stdin is its own stdin. */
  private inner(req: ExecRequest): string {
    const script = commandScript(req.command, { cwd: req.cwd, env: req.env });
    const become =
      req.become && req.become.password === undefined && this.becomePassword !== undefined ? { ...req.become, password: this.becomePassword } : req.become;
    return wrapCommand(script, become, this.loginUser);
  }

  private execRaw(req: ExecRequest): Promise<{ stdout: Buffer; stderr: Buffer; rc: number }> {
    // One command at a time on the shell; callers may still call concurrently.
    const run = async () => {
      const inner = this.inner(req);
      const stdin = req.stdin === undefined ? undefined : Buffer.isBuffer(req.stdin) ? req.stdin : Buffer.from(req.stdin);
      const seq = ++this.seq;
      return this.roundTrip(frameCommand(inner, stdin, this.nonce, seq), seq, req.timeoutMs ?? this.commandTimeoutMs, true);
    };
    const p = this.queue.then(run, run);
    this.queue = p.catch(() => undefined);
    return p;
  }

  async execBatch(steps: BatchStep[]): Promise<ExecResult[]> {
    const nonce = randomBytes(8).toString("hex");
    const script = batchScript(
      steps.map((s) => ({
        inner: this.inner(s.req),
        stdin: s.req.stdin === undefined ? undefined : Buffer.isBuffer(s.req.stdin) ? s.req.stdin : Buffer.from(s.req.stdin),
        goOn: s.goOn,
      })),
      nonce,
    );
    // Each step keeps the time it would have had on its own.
    const timeout =
      this.commandTimeoutMs > 0 || steps.some((s) => s.req.timeoutMs) ? steps.reduce((t, s) => t + (s.req.timeoutMs ?? this.commandTimeoutMs), 0) : 0;
    const r = await this.execRaw({ command: script, timeoutMs: timeout });
    return splitBatch(r.stdout, r.stderr, steps.length, nonce);
  }

  putFileRequest(path: string, content: Buffer, opts: PutFileOptions): PutFileRequest {
    const script = atomicWriteScript(path, opts);
    return {
      req: { command: script, stdin: content, become: opts.become },
      finish: (r) => {
        const out = parseAtomicWriteOutput(r.stdout, r.stderr);
        if (out.validateRc !== undefined) {
          throw new CommandError(
            opts.validate!,
            out.validateRc,
            r.stdout,
            out.stderr,
            `validation of ${path} failed with exit code ${out.validateRc} (nothing was installed): ${firstLine(out.stderr) || firstLine(r.stdout) || opts.validate}`,
          );
        }
        if (r.rc !== 0) {
          throw new CommandError(
            `write ${path}`,
            r.rc,
            r.stdout,
            r.stderr,
            `writing ${path} failed with exit code ${r.rc}: ${firstLine(r.stderr) || "no error output"}`,
          );
        }
        for (const s of out.staleRemoved) this.notices.push(`removed ${s}, left by an earlier write that was killed`);
        return out.backup !== undefined ? { backup: out.backup } : {};
      },
    };
  }

  async putFile(path: string, content: Buffer, opts: PutFileOptions): Promise<{ backup?: string }> {
    const w = this.putFileRequest(path, content, opts);
    return w.finish(await this.exec(w.req));
  }

  takeNotices(): string[] {
    return this.notices.splice(0);
  }

  /** Ends the shell and the transport under it. */
  protected closeShell(): void {
    const shell = this.shell;
    this.shell = undefined;
    if (!this.broken) this.broken = new ConnectionError(`connection to ${this.describe()} is closed`, "lost", this.host);
    for (const p of this.pending.splice(0)) p.reject(this.broken);
    this.early = undefined;
    shell?.destroy(false);
  }

  abstract reconnect(timeoutMs: number): Promise<void>;
  abstract close(): Promise<void>;
}

/** A request sent with the shell's start (ShellConnection.startShell): a plain command. */
export interface StartupRequest {
  command: string;
  timeoutMs?: number;
}

/** Nothing but a command (and a timeout): what a startup request can stand for. */
function isPlain(req: ExecRequest): boolean {
  return req.stdin === undefined && req.become === undefined && req.cwd === undefined && (req.env === undefined || Object.keys(req.env).length === 0);
}

function firstLine(s: string): string {
  return s.trim().split("\n")[0] ?? "";
}

/** Wraps anything thrown while connecting so callers only ever see KeelErrors. */
export function asKeelError(e: unknown): KeelError {
  return e instanceof KeelError ? e : new InternalError(e instanceof Error ? e.message : String(e), e);
}
