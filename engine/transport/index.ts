// The transport: turns a HostSpec into a Connection (engine/core/connection.ts), over ssh2 or locally.
// Both keep one persistent POSIX `sh` per host; see session.ts and framing.ts.
import type { HostKeyPolicy, HostSpec } from "../core/host.js";
import type { Connection } from "../core/connection.js";
import { ConnectionError, KeelError, InternalError } from "../core/errors.js";
import { phaseMark } from "../core/phases.js";
import { LocalConnection } from "./local.js";
import { SshConnection, defaultKnownHostsFile } from "./ssh.js";
import type { StartupRequest } from "./session.js";

export interface ConnectOptions {
  /** Trust and record keys seen for the first time. */
  acceptNewHostKeys?: boolean;
  /** The host key policy (StrictHostKeyChecking); overrides acceptNewHostKeys when given. */
  hostKeyPolicy?: HostKeyPolicy;
  /** Default spec.knownHostsFile ?? ~/.ssh/known_hosts. */
  knownHostsFile?: string;
  /** Default spec.connectTimeoutMs ?? 10000. */
  connectTimeoutMs?: number;
  /** Default 0 = none. A command that times out makes the host unreachable (ConnectionError "timeout"). */
  commandTimeoutMs?: number;
  /** ssh password (prompted by the CLI, never logged); spec.password is used when absent. */
  password?: string;
  /** Used when a request has become without its own password; default spec.becomePassword. */
  becomePassword?: string;
  /**
   * A plain command (no become, stdin, cwd or env) to run in the shell's first exchange, together
   * with its start: the first exec of exactly this command is answered from it, without a round
   * trip of its own (the runner sends the facts probe this way).
   */
  startup?: StartupRequest;
}

/**
 * Connects to one host. spec.connection "local" gives a LocalConnection, anything else an
 * SshConnection. Throws ConnectionError (failure auth | hostkey | timeout | refused | dns | lost | other)
 * whose message names the host and the cause.
 */
export async function connect(spec: HostSpec, opts: ConnectOptions = {}): Promise<Connection> {
  const commandTimeoutMs = opts.commandTimeoutMs ?? 0;
  phaseMark("connect started", spec.name);
  try {
    const becomePassword = opts.becomePassword ?? spec.becomePassword;
    if (spec.connection === "local") return await LocalConnection.open(spec, commandTimeoutMs, becomePassword, opts.startup);
    return await SshConnection.open(
      spec,
      {
        hostKeyPolicy: opts.hostKeyPolicy ?? (opts.acceptNewHostKeys ? "accept-new" : "yes"),
        knownHostsFile: opts.knownHostsFile ?? spec.knownHostsFile ?? defaultKnownHostsFile(),
        connectTimeoutMs: opts.connectTimeoutMs ?? spec.connectTimeoutMs ?? 10_000,
        commandTimeoutMs,
        password: opts.password,
        becomePassword,
      },
      opts.startup,
    );
  } catch (e) {
    if (e instanceof KeelError) throw e;
    throw new InternalError(`connecting to ${spec.name}: ${e instanceof Error ? e.message : String(e)}`, e);
  }
}

export { LocalConnection } from "./local.js";
export { SshConnection, defaultKnownHostsFile, classifyConnectError } from "./ssh.js";
export { ConnectionError };
