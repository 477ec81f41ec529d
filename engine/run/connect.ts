// Connecting to one host with the run's connection options: the one connect loop of keel (run,
// drift and facts all go through it).
import type { Connection } from "../core/connection.js";
import type { HostKeyPolicy, HostSpec } from "../core/host.js";
import { hostKeyPolicy, sshOptionOf } from "../inventory/hostspec.js";
import { ConnectionError, InputError } from "../core/errors.js";
import { expandHome, loadSshConfig, passwdHome } from "../transport/ssh-config.js";
import { parseSshArgs } from "../transport/ssh-args.js";
import { resolveEndpoint, type Endpoint, type Explicit } from "../transport/route.js";
import { connect as realConnect } from "../transport/index.js";
import type { StartupRequest } from "../transport/session.js";
import { CONNECT_ATTEMPTS, type RunOptions } from "./options.js";

/** The run options that decide how a host is connected to; the CLI's flags fill them (engine/cli/commands/flags.ts). */
export type ConnectKey =
  | "connection"
  | "user"
  | "privateKeyFile"
  | "password"
  | "becomePassword"
  | "acceptNewHostKeys"
  | "hostKeyChecking"
  | "sshArgs"
  | "sshConfigFile"
  | "defaultUser"
  | "defaultPort"
  | "defaultPrivateKeyFile"
  | "defaultConnectTimeoutMs"
  | "connectTimeoutMs"
  | "commandTimeoutMs";

/** The options connectHost reads: the ConnectKey ones, plus the connect function tests replace. */
export type ConnectSettings = Pick<RunOptions, ConnectKey | "connect">;

/**
 * Open the host's connection: the options override the inventory's connection type and passwords.
 * A handshake that timed out is tried once more: with hundreds of hosts connecting at once on a
 * busy controller, a healthy host can miss the deadline. Refusals, auth and host-key failures are
 * final at once. Throws ConnectionError.
 */
export async function connectHost(host: HostSpec, o: ConnectSettings, startup?: StartupRequest): Promise<Connection> {
  const connectFn = o.connect ?? realConnect;
  const { spec, ep } = routeOf(host, o);
  const connectOpts = {
    hostKeyPolicy: hostKeyPolicyOf(spec, o, ep),
    knownHostsFile: knownHostsFileOf(spec, o) ?? ep?.knownHostsFile,
    connectTimeoutMs: o.connectTimeoutMs ?? spec.connectTimeoutMs ?? o.defaultConnectTimeoutMs ?? ep?.connectTimeoutMs,
    commandTimeoutMs: o.commandTimeoutMs,
    password: spec.password,
    becomePassword: spec.becomePassword,
    ...(startup ? { startup } : {}),
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
 * The host as keel connects to it: the options override the inventory's connection type, user,
 * key and passwords; for ssh, ssh_config (-F FILE, else ~/.ssh/config and /etc/ssh/ssh_config)
 * fills in what neither sets (HostName, User, Port, IdentityFile, ProxyJump, ProxyCommand, …), as
 * ssh does when Ansible runs it. Throws InputError for a config keel cannot honour.
 */
export function routeOf(host: HostSpec, o: ConnectSettings): { spec: HostSpec; ep?: Endpoint } {
  const spec: HostSpec = {
    ...host,
    connection: o.connection ?? host.connection,
    password: o.password ?? host.password,
    becomePassword: o.becomePassword ?? host.becomePassword,
  };
  const user = o.user ?? host.user ?? o.defaultUser;
  const key = o.privateKeyFile ?? host.privateKeyFile ?? o.defaultPrivateKeyFile;
  if (user !== undefined) spec.user = user;
  if (key !== undefined) spec.privateKeyFile = key;
  if (spec.connection !== "ssh") return { spec };
  const cfgArgs = o.sshArgs
    ? parseSshArgs(o.sshArgs, "ssh_args", (m, hint) => {
        throw new InputError(`ssh_args ${m}`, undefined, hint);
      })
    : { opts: [] };
  const cfg = loadSshConfig(o.sshConfigFile ?? cfgArgs.configFile ?? host.sshConfigFile);
  const explicit: Explicit = {};
  if (user !== undefined) explicit.user = user;
  if (host.portSet) explicit.port = host.port;
  else if (o.defaultPort !== undefined) explicit.port = o.defaultPort;
  const ep = resolveEndpoint(host.address, cfg, [...cfgArgs.opts, ...(host.sshOptions ?? [])], explicit);
  spec.address = ep.address;
  spec.port = ep.port;
  if (ep.user !== undefined) spec.user = ep.user;
  const more = ep.identityFiles.filter((f) => f !== key);
  if (more.length > 0) spec.identityFiles = more;
  if (ep.via) spec.via = ep.via;
  if (ep.algorithms) spec.algorithms = ep.algorithms;
  if (ep.identitiesOnly !== undefined) spec.identitiesOnly = ep.identitiesOnly;
  if (ep.serverAliveIntervalMs !== undefined) spec.serverAliveIntervalMs = ep.serverAliveIntervalMs;
  if (ep.serverAliveCountMax !== undefined) spec.serverAliveCountMax = ep.serverAliveCountMax;
  return { spec, ep };
}

/**
 * The host key policy of one host, in the order Ansible puts them on ssh's command line (OpenSSH
 * takes the first value of each option): [ssh_connection] ssh_args, then host_key_checking = False
 * (the host's ansible_host_key_checking before ansible.cfg/ANSIBLE_HOST_KEY_CHECKING), then
 * -o StrictHostKeyChecking in ansible_ssh_common_args/_extra_args; else --accept-new-host-keys,
 * else "yes".
 */
export function hostKeyPolicyOf(spec: HostSpec, o: Pick<ConnectSettings, "acceptNewHostKeys" | "hostKeyChecking" | "sshArgs">, ep?: Endpoint): HostKeyPolicy {
  const fromCfg = o.sshArgs ? sshOptionOf([o.sshArgs], "StrictHostKeyChecking") : undefined;
  const cfg = fromCfg !== undefined ? hostKeyPolicy(fromCfg) : undefined;
  if (cfg) return cfg;
  if ((spec.hostKeyChecking ?? o.hostKeyChecking) === false) return "no";
  if (spec.strictHostKeyChecking === "no") return "no";
  if (spec.strictHostKeyChecking === "accept-new" || o.acceptNewHostKeys) return "accept-new";
  // ssh_config's StrictHostKeyChecking (the options' value came first above)
  return ep?.hostKeyPolicy ?? "yes";
}

/** -o UserKnownHostsFile of [ssh_connection] ssh_args first (as ssh takes it), then the host's. */
export function knownHostsFileOf(spec: HostSpec, o: Pick<ConnectSettings, "sshArgs">): string | undefined {
  const fromCfg = o.sshArgs ? sshOptionOf([o.sshArgs], "UserKnownHostsFile") : undefined;
  // ssh expands `~` in it from the passwd entry
  return fromCfg !== undefined ? expandHome(fromCfg, passwdHome(), "ssh_args") : spec.knownHostsFile;
}

/** The hosts whose keys will not be checked (policy "no"): named in one warning line per run. */
export function uncheckedHosts(specs: HostSpec[], o: ConnectSettings): string[] {
  return specs.filter((s) => (o.connection ?? s.connection) === "ssh" && hostKeyPolicyOf(s, o, routeOf(s, o).ep) === "no").map((s) => s.name);
}
