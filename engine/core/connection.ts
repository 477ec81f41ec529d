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
 * One connection to one host, kept for the whole run. Every exec is one round trip
 * and is counted, so reports can show round trips per host.
 */
export interface Connection {
  readonly host: string;
  /** Round trips so far (each exec counts one). */
  readonly roundTrips: number;
  exec(req: ExecRequest): Promise<ExecResult>;
  /** Write bytes to a path on the host atomically (temp file in the same dir, then rename). */
  putFile(path: string, content: Buffer, opts: { mode?: string; owner?: string; group?: string; become?: { user: string; password?: string }; validate?: string; backup?: boolean }): Promise<{ backup?: string }>;
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
