// Connecting to one host with the run's connection options: the one connect loop of keel (run,
// drift and facts all go through it).
import type { Connection } from "../core/connection.js";
import type { HostSpec } from "../core/host.js";
import { ConnectionError } from "../core/errors.js";
import { connect as realConnect } from "../transport/index.js";
import { CONNECT_ATTEMPTS, type RunOptions } from "./options.js";

export type ConnectSettings = Pick<RunOptions, "connection" | "user" | "privateKeyFile" | "password" | "becomePassword" | "acceptNewHostKeys" | "connectTimeoutMs" | "commandTimeoutMs" | "connect">;

/**
 * Open the host's connection: the options override the inventory's connection type and passwords.
 * A handshake that timed out is tried once more: with hundreds of hosts connecting at once on a
 * busy controller, a healthy host can miss the deadline. Refusals, auth and host-key failures are
 * final at once. Throws ConnectionError.
 */
export async function connectHost(host: HostSpec, o: ConnectSettings): Promise<Connection> {
  const connectFn = o.connect ?? realConnect;
  const spec: HostSpec = {
    ...host,
    connection: o.connection ?? host.connection,
    user: o.user ?? host.user,
    privateKeyFile: o.privateKeyFile ?? host.privateKeyFile,
    password: o.password ?? host.password,
    becomePassword: o.becomePassword ?? host.becomePassword,
  };
  const connectOpts = {
    acceptNewHostKeys: o.acceptNewHostKeys ?? false,
    knownHostsFile: spec.knownHostsFile,
    connectTimeoutMs: o.connectTimeoutMs ?? spec.connectTimeoutMs,
    commandTimeoutMs: o.commandTimeoutMs,
    password: spec.password,
    becomePassword: spec.becomePassword,
  };
  for (let attempt = 1; ; attempt++) {
    try {
      return await connectFn(spec, connectOpts);
    } catch (e) {
      if (attempt >= CONNECT_ATTEMPTS || !(e instanceof ConnectionError) || e.failure !== "timeout") throw e;
    }
  }
}
