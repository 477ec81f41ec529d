// The transport interface (engine/transport implements it for ssh2 and local).
import type { ExecResult } from "./module.js";

export interface ExecRequest {
  /** Shell text, run by POSIX sh on the host. */
  command: string;
  stdin?: string | Buffer;
  /** Wrap in `sudo -n` / `sudo -S` (become password on stdin) as this user. */
  become?: { user: string; password?: string };
  cwd?: string;
  env?: Record<string, string>;
  timeoutMs?: number;
}

/**
 * One step of a batch (Connection.execBatch): a request run exactly as `exec` would run it, framed
 * on its own (stdout, stderr, exit code), and what lets the batch go on after it.
 */
export interface BatchStep {
  req: ExecRequest;
  /**
   * "rc0": the batch goes on only when the step exits 0 (an apply's command); "always"; or
   * `{ sha256 }`: a probe guard, which runs with stdin from /dev/null and stderr discarded, and lets
   * the batch go on only when sha256(stdout + ":" + rc) is this hex digest.
   */
  goOn: "rc0" | "always" | { sha256: string };
}

/** A file write (Connection.putFile) as a request plus the reading of its result. */
export interface PutFileRequest {
  req: ExecRequest;
  /** What putFile returns for this result, or the error it throws. */
  finish(r: ExecResult): { backup?: string };
}

export type PutFileOptions = {
  mode?: string;
  owner?: string;
  group?: string;
  become?: { user: string; password?: string };
  validate?: string;
  backup?: boolean;
};

/**
 * One connection to one host, kept for the whole run. Every exec is one round trip
 * and is counted, so reports can show round trips per host.
 */
export interface Connection {
  readonly host: string;
  /** Round trips so far (each exec counts one). */
  readonly roundTrips: number;
  exec(req: ExecRequest): Promise<ExecResult>;
  /** Write bytes to a path on the host atomically (temp file in the same dir, then rename). */
  putFile(path: string, content: Buffer, opts: PutFileOptions): Promise<{ backup?: string }>;
  /** putFile split into its request and the reading of its result (for batches). */
  putFileRequest?(path: string, content: Buffer, opts: PutFileOptions): PutFileRequest;
  /**
   * Several requests in ONE round trip, in order; after a step whose `goOn` does not hold, the
   * remaining steps do not run. Returns the results of the steps that ran (a prefix).
   */
  execBatch?(steps: BatchStep[]): Promise<ExecResult[]>;
  /**
   * Things the transport did on its own that the user should hear about (a stale temporary
   * directory of a killed write removed); each call returns and forgets them.
   */
  takeNotices?(): string[];
  /** Close and connect again, retrying until timeoutMs elapses. */
  reconnect(timeoutMs: number): Promise<void>;
  /** Connect once more, separately, authenticate and run `true`, then close that connection; the current one is untouched. */
  probeNewConnection?(timeoutMs: number): Promise<void>;
  close(): Promise<void>;
}
