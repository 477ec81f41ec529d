// Connecting to one host with the run's connection options: the one connect loop of keel (run,
// drift and facts all go through it).
import type { Connection } from "../core/connection.js";
import type { HostKeyPolicy, HostSpec } from "../core/host.js";
import { hostKeyPolicy, sshOptionOf } from "../inventory/hostspec.js";
import { ConnectionError } from "../core/errors.js";
import { connect as realConnect } from "../transport/index.js";
import { CONNECT_ATTEMPTS, type RunOptions } from "./options.js";

export type ConnectSettings = Pick<RunOptions, "connection" | "user" | "privateKeyFile" | "password" | "becomePassword" | "acceptNewHostKeys" | "hostKeyChecking" | "sshArgs" | "defaultUser" | "defaultPrivateKeyFile" | "defaultConnectTimeoutMs" | "connectTimeoutMs" | "commandTimeoutMs" | "connect">;

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
    user: o.user ?? host.user ?? o.defaultUser,
    privateKeyFile: o.privateKeyFile ?? host.privateKeyFile ?? o.defaultPrivateKeyFile,
    password: o.password ?? host.password,
    becomePassword: o.becomePassword ?? host.becomePassword,
  };
  const connectOpts = {
    hostKeyPolicy: hostKeyPolicyOf(spec, o),
    knownHostsFile: knownHostsFileOf(spec, o),
    connectTimeoutMs: o.connectTimeoutMs ?? spec.connectTimeoutMs ?? o.defaultConnectTimeoutMs,
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

/**
 * The host key policy of one host, in the order Ansible puts them on ssh's command line (OpenSSH
 * takes the first value of each option): [ssh_connection] ssh_args, then host_key_checking = False
 * (the host's ansible_host_key_checking before ansible.cfg/ANSIBLE_HOST_KEY_CHECKING), then
 * -o StrictHostKeyChecking in ansible_ssh_common_args/_extra_args; else --accept-new-host-keys,
 * else "yes".
 */
export function hostKeyPolicyOf(spec: HostSpec, o: Pick<ConnectSettings, "acceptNewHostKeys" | "hostKeyChecking" | "sshArgs">): HostKeyPolicy {
  const fromCfg = o.sshArgs ? sshOptionOf([o.sshArgs], "StrictHostKeyChecking") : undefined;
  const cfg = fromCfg !== undefined ? hostKeyPolicy(fromCfg) : undefined;
  if (cfg) return cfg;
  if ((spec.hostKeyChecking ?? o.hostKeyChecking) === false) return "no";
  if (spec.strictHostKeyChecking === "no") return "no";
  if (spec.strictHostKeyChecking === "accept-new" || o.acceptNewHostKeys) return "accept-new";
  return "yes";
}

/** -o UserKnownHostsFile of [ssh_connection] ssh_args first (as ssh takes it), then the host's. */
export function knownHostsFileOf(spec: HostSpec, o: Pick<ConnectSettings, "sshArgs">): string | undefined {
  const fromCfg = o.sshArgs ? sshOptionOf([o.sshArgs], "UserKnownHostsFile") : undefined;
  return fromCfg ?? spec.knownHostsFile;
}

/** The hosts whose keys will not be checked (policy "no"): named in one warning line per run. */
export function uncheckedHosts(specs: HostSpec[], o: Pick<ConnectSettings, "acceptNewHostKeys" | "hostKeyChecking" | "sshArgs" | "connection">): string[] {
  return specs.filter((s) => (o.connection ?? s.connection) === "ssh" && hostKeyPolicyOf(s, o) === "no").map((s) => s.name);
}
