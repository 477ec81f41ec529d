// The ssh transport (ssh2): one TCP connection per host for the whole run, one persistent `sh`
// channel on it, host keys checked against known_hosts and failing closed.
import ssh2 from "ssh2";
import type { Client as SshClient, ClientChannel, ConnectConfig, NegotiatedAlgorithms } from "ssh2";
import { appendFileSync, existsSync, mkdirSync, readFileSync } from "node:fs";
import { homedir, userInfo } from "node:os";
import { dirname, join } from "node:path";
import type { AlgorithmChoice, HostKeyPolicy, HostSpec } from "../core/host.js";
import { ConnectionError } from "../core/errors.js";
import { phaseMark, phasesEnabled } from "../core/phases.js";
import { readFileCached } from "../core/filecache.js";
import type { Duplex } from "node:stream";
import { ShellConnection, closeSignal, type ShellStreams, type StartupRequest } from "./session.js";
import { openRoute, type Route } from "./jump.js";
import { sshAlgorithms } from "./ssh-algorithms.js";
import { authMethods } from "./auth.js";
import {
  checkHostKey,
  fingerprint,
  formatKnownHostLine,
  hostLookupName,
  keyBlobType,
  knownKeyTypes,
  parseKnownHosts,
  preferredHostKeyAlgorithms,
  type KnownHostEntry,
} from "./known-hosts.js";

// ssh2 is CommonJS; Node's ESM loader cannot see `utils` as a named export, so take both from the default.
const { Client } = ssh2;

export interface SshOptions {
  /**
   * StrictHostKeyChecking: "yes" refuses unknown and changed keys; "accept-new" records unknown
   * keys and refuses changed ones; "no" checks nothing and records nothing (a revoked key is
   * still refused, as by OpenSSH).
   */
  hostKeyPolicy: HostKeyPolicy;
  knownHostsFile: string;
  connectTimeoutMs: number;
  commandTimeoutMs: number;
  password?: string;
  becomePassword?: string;
}

/** The global file OpenSSH also reads; consulted (never written) when the default user file is used. */
const GLOBAL_KNOWN_HOSTS = "/etc/ssh/ssh_known_hosts";

export class SshConnection extends ShellConnection {
  readonly host: string;
  private client?: SshClient;
  /** The jump host or proxy command this connection goes through (its own reference to a shared jump connection). */
  private route?: Route;
  /** Algorithms agreed in the last handshake (kex, host key, ciphers, MACs), for tests and diagnostics. */
  negotiated?: NegotiatedAlgorithms;

  private constructor(
    private readonly spec: HostSpec,
    private readonly opts: SshOptions,
  ) {
    super(opts.commandTimeoutMs, opts.becomePassword);
    this.host = spec.name;
  }

  /** Connects; `startup` runs in the shell's first exchange (ShellConnection.startShell). */
  static async open(spec: HostSpec, opts: SshOptions, startup?: StartupRequest): Promise<SshConnection> {
    const c = new SshConnection(spec, opts);
    await c.connectOnce(opts.connectTimeoutMs, startup);
    return c;
  }

  protected describe(): string {
    return describeHost(this.spec);
  }

  private get username(): string {
    return this.spec.user ?? userInfo().username;
  }

  private async connectOnce(timeoutMs: number, startup?: StartupRequest): Promise<void> {
    const spec = this.spec;
    const target: HandshakeTarget = {
      name: spec.name,
      where: this.describe(),
      address: spec.address,
      port: spec.port,
      user: this.username,
      identityFiles: [...(spec.privateKeyFile ? [spec.privateKeyFile] : []), ...(spec.identityFiles ?? [])],
      ...(spec.privateKeyFile ? { requiredKey: spec.privateKeyFile } : {}),
      password: this.opts.password ?? spec.password,
      hostKeyPolicy: this.opts.hostKeyPolicy,
      knownHostsFile: this.opts.knownHostsFile,
      ...(spec.algorithms ? { algorithms: spec.algorithms } : {}),
      ...(spec.identitiesOnly ? { identitiesOnly: true } : {}),
      keepaliveIntervalMs: spec.serverAliveIntervalMs ?? 15_000,
      keepaliveCountMax: spec.serverAliveCountMax ?? 3,
    };
    let route: Route | undefined;
    if (spec.via)
      route = await openRoute(
        spec.via,
        { name: spec.name, where: this.describe(), address: spec.address, port: spec.port },
        { hostKeyPolicy: this.opts.hostKeyPolicy, knownHostsFile: this.opts.knownHostsFile, connectTimeoutMs: timeoutMs },
      );
    let client: SshClient;
    try {
      client = await handshake(target, timeoutMs, route?.sock, (n) => (this.negotiated = n));
    } catch (e) {
      route?.release();
      throw route && e instanceof ConnectionError ? new ConnectionError(`${e.message} (${route.describe})`, e.failure, e.host) : e;
    }
    this.client = client;
    this.route = route;
    try {
      await this.openShell(client, timeoutMs, startup);
    } catch (e) {
      this.dropClient();
      throw e;
    }
  }

  private dropClient(): void {
    this.client?.end();
    this.client = undefined;
    this.route?.release();
    this.route = undefined;
  }

  private async openShell(client: SshClient, timeoutMs: number, startup?: StartupRequest): Promise<void> {
    phaseMark("shell channel requested", this.host);
    const channel = await new Promise<ClientChannel>((resolve, reject) => {
      client.exec("exec sh", (err, ch) =>
        err ? reject(new ConnectionError(`cannot start a shell on ${this.describe()}: ${err.message}`, "other", this.host)) : resolve(ch),
      );
    });
    phaseMark("shell channel open", this.host);
    const closing = closeSignal();
    const onClose = closing.close;
    channel.on("close", () => onClose("the shell channel closed"));
    client.on("close", () => onClose("the SSH connection closed"));
    client.on("error", (e: Error) => onClose(e.message));
    const streams: ShellStreams = {
      write: (t) => void channel.write(t),
      onStdout: (cb) => void channel.on("data", cb),
      onStderr: (cb) => void channel.stderr.on("data", cb),
      onClose: closing.onClose,
      destroy: (hard) => {
        if (hard) {
          // The command may still run on the host; dropping the connection is the only sure stop.
          client.end();
        } else channel.end();
      },
    };
    await this.startShell(streams, timeoutMs, startup);
  }

  async reconnect(timeoutMs: number): Promise<void> {
    this.closeShell();
    this.dropClient();
    const deadline = Date.now() + timeoutMs;
    let last: ConnectionError | undefined;
    for (;;) {
      const left = deadline - Date.now();
      if (left <= 0) break;
      try {
        await this.connectOnce(Math.max(1000, Math.min(this.opts.connectTimeoutMs, left)));
        return;
      } catch (e) {
        last = e instanceof ConnectionError ? e : new ConnectionError((e as Error).message, "other", this.host);
        if (last.failure === "hostkey") throw last; // a changed key after a reboot never becomes right by waiting
        await new Promise((r) => setTimeout(r, Math.min(1000, Math.max(0, deadline - Date.now()))));
      }
    }
    throw new ConnectionError(
      `${this.describe()} did not come back within ${Math.round(timeoutMs / 1000)} s${last ? `: ${last.message}` : ""}`,
      "timeout",
      this.host,
    );
  }

  /** A separate connection (same address, key and known_hosts), one command, closed again. */
  async probeNewConnection(timeoutMs: number): Promise<void> {
    const c = new SshConnection(this.spec, { ...this.opts, hostKeyPolicy: this.opts.hostKeyPolicy === "no" ? "no" : "yes" });
    try {
      await c.connectOnce(timeoutMs);
      const r = await c.exec({ command: "true", timeoutMs });
      if (r.rc !== 0) throw new ConnectionError(`a new connection to ${this.describe()} could not run a command: ${r.stderr.trim()}`, "other", this.host);
    } finally {
      await c.close();
    }
  }

  async close(): Promise<void> {
    this.closeShell();
    this.dropClient();
  }
}

/** Everything one SSH handshake needs: the target host itself, or a jump host. */
export interface HandshakeTarget {
  /** Inventory name (ConnectionError.host). */
  name: string;
  /** "web1 (10.0.0.5:22)" for messages. */
  where: string;
  address: string;
  port: number;
  user: string;
  /** Key files to offer, in order; the default ~/.ssh/id_* when empty. */
  identityFiles: string[];
  /** The key file named by the inventory or the CLI: unreadable or unusable, it is an error (ssh_config's IdentityFiles are skipped, as ssh skips them). */
  requiredKey?: string;
  password?: string | undefined;
  hostKeyPolicy: HostKeyPolicy;
  knownHostsFile: string;
  /** What ssh_config or `-o` restricted (Ciphers, KexAlgorithms, …): offered instead of keel's defaults. */
  algorithms?: AlgorithmChoice;
  /** IdentitiesOnly yes: of ssh-agent's keys, only those of the key files (their .pub for encrypted ones). */
  identitiesOnly?: boolean;
  keepaliveIntervalMs: number;
  keepaliveCountMax: number;
}

/**
 * One SSH handshake, over TCP or over `sock` (a channel forwarded by a jump host, or a proxy
 * command's stdio): the host key checked against known_hosts as the policy says, then
 * authentication. Resolves with the ready client; throws ConnectionError naming the host.
 */
export async function handshake(t: HandshakeTarget, timeoutMs: number, sock?: Duplex, onNegotiated?: (n: NegotiatedAlgorithms) => void): Promise<SshClient> {
  const lookup = hostLookupName(t.address, t.port);
  const entries = readKnownHosts(t.knownHostsFile, t.knownHostsFile === defaultKnownHostsFile());
  const skipped: string[] = [];
  const methods = authMethods(t, skipped);
  if (methods.length === 0) {
    if (skipped.length > 0)
      throw new ConnectionError(
        `no way to authenticate to ${t.where}: PubkeyAcceptedAlgorithms (${(t.algorithms?.pubkey ?? []).join(",")}) leaves out the key ${skipped.join(", ")}, and there is no ssh-agent or password`,
        "auth",
        t.name,
      );
    throw new ConnectionError(
      `no way to authenticate to ${t.where}: no private key file (set ansible_ssh_private_key_file or IdentityFile in ssh_config, or create ~/.ssh/id_ed25519), no ssh-agent (SSH_AUTH_SOCK) and no password`,
      "auth",
      t.name,
    );
  }
  let hostKeyError: ConnectionError | undefined;
  const client = new Client();
  const config: ConnectConfig = {
    host: t.address,
    port: t.port,
    username: t.user,
    readyTimeout: timeoutMs,
    keepaliveInterval: t.keepaliveIntervalMs,
    keepaliveCountMax: t.keepaliveCountMax,
    algorithms: offeredAlgorithms(t.algorithms, knownKeyTypes(entries, lookup)),
    hostVerifier: (key: Buffer) => {
      const verdict = checkHostKey(entries, lookup, key);
      if (verdict.status === "known") return true;
      if (verdict.status !== "revoked" && t.hostKeyPolicy === "no") return true;
      if (verdict.status === "unknown" && t.hostKeyPolicy === "accept-new") {
        try {
          if (t.knownHostsFile !== "/dev/null") appendKnownHost(t.knownHostsFile, formatKnownHostLine(lookup, key));
        } catch (e) {
          hostKeyError = new ConnectionError(`cannot record the host key of ${t.where} in ${t.knownHostsFile}: ${(e as Error).message}`, "hostkey", t.name);
          return false;
        }
        return true;
      }
      hostKeyError = new ConnectionError(hostKeyMessage(verdict, t.where, lookup, key, t.knownHostsFile), "hostkey", t.name);
      return false;
    },
    authHandler: methods.map(({ label: _l, ...m }) => m) as any,
  };
  if (sock) config.sock = sock as any;
  const tried = methods.map((m) => m.label).join(", ");

  await new Promise<void>((resolve, reject) => {
    let settled = false;
    const settle = (e?: ConnectionError) => {
      if (settled) return;
      settled = true;
      if (e) {
        client.end();
        reject(e);
      } else resolve();
    };
    if (onNegotiated) client.on("handshake", onNegotiated);
    if (phasesEnabled()) {
      client.on("connect", () => phaseMark("tcp connected", t.name));
      client.on("handshake", () => phaseMark("key exchange done", t.name));
    }
    client.on("ready", () => {
      phaseMark("authenticated", t.name);
      if (!sock) client.setNoDelay(true);
      settle();
    });
    client.on("error", (e: Error & { level?: string; code?: string }) =>
      settle(hostKeyError ?? classifyConnectError(e, { host: t.name, where: t.where, user: t.user, tried, timeoutMs })),
    );
    client.on("close", () => settle(hostKeyError ?? new ConnectionError(`connection to ${t.where} closed during the SSH handshake`, "lost", t.name)));
    phaseMark("tcp connect sent", t.name);
    client.connect(config);
    ignoreHostKeyAnnouncements(client);
    // Without TCP_NODELAY, Nagle holds back the tail of each command packet until the previous
    // one is acknowledged: ~40-50 ms per round trip instead of about 1 ms.
    if (!sock) client.setNoDelay(true);
  });
  return client;
}

/**
 * What the handshake offers: keel's defaults, or the lists an algorithm option set. Host key
 * algorithms of already-known key types go first only when HostKeyAlgorithms is not set (OpenSSH
 * orders them so only for its default list).
 */
export function offeredAlgorithms(set: AlgorithmChoice | undefined, knownTypes: string[]): ConnectConfig["algorithms"] {
  const d = sshAlgorithms();
  return {
    kex: set?.kex ?? d.kex,
    cipher: set?.cipher ?? d.cipher,
    hmac: set?.hmac ?? d.hmac,
    compress: d.compress,
    serverHostKey: set?.serverHostKey ?? preferredHostKeyAlgorithms(knownTypes),
  } as ConnectConfig["algorithms"];
}

/**
 * After authentication OpenSSH announces all its host keys (`hostkeys-00@openssh.com`, for the
 * client's UpdateHostKeys). ssh2 answers by asking the server to prove each one and verifying
 * every signature, unasked: per host, the server signs with each of its keys (RSA among them) and
 * keel verifies them all, for keys keel never uses (it records keys only as accept-new does, from
 * the key exchange). OpenSSH itself skips this unless UpdateHostKeys applies. So the announcement
 * is ignored; every other global request goes to ssh2's own handler. ssh2 has no option for this:
 * its message handler is replaced on the protocol object (checked to exist, else left alone).
 */
function ignoreHostKeyAnnouncements(client: SshClient): void {
  type GlobalRequest = (p: { requestSuccess(): void }, name: string, wantReply: boolean, data: unknown) => void;
  const proto = (client as unknown as { _protocol?: { _handlers?: { GLOBAL_REQUEST?: GlobalRequest } } })._protocol;
  const handlers = proto?._handlers;
  const original = handlers?.GLOBAL_REQUEST;
  if (!handlers || typeof original !== "function") return;
  handlers.GLOBAL_REQUEST = (p, name, wantReply, data) => {
    if (name !== "hostkeys-00@openssh.com") return original(p, name, wantReply, data);
    if (wantReply) p.requestSuccess();
  };
}

/**
 * The default known_hosts: ~/.ssh/known_hosts under $HOME. OpenSSH takes its own files from the
 * passwd entry's home instead; keel keeps $HOME on purpose, because CI steps write ~/.ssh with the
 * shell's $HOME (the README's workflow does), and on runners where HOME is not the passwd home
 * (GitHub container jobs: HOME=/github/home, root's home /root) OpenSSH misses them.
 * test/e2e/nightly.test.ts runs the README's steps with such a HOME and fails otherwise.
 */
export function defaultKnownHostsFile(): string {
  return join(homedir(), ".ssh", "known_hosts");
}

export function describeHost(spec: HostSpec): string {
  return spec.name === spec.address ? `${spec.name}:${spec.port}` : `${spec.name} (${spec.address}:${spec.port})`;
}

const parseKnownHostsFile = (data: Buffer): KnownHostEntry[] => parseKnownHosts(data.toString("utf8"));

function readKnownHosts(file: string, withGlobal: boolean): KnownHostEntry[] {
  // Parsed once for all hosts while the file is unchanged (an appended key changes it).
  const read = (f: string) => {
    try {
      return readFileCached(f, parseKnownHostsFile);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return [];
      throw new ConnectionError(`cannot read ${f}: ${(e as Error).message}`, "hostkey");
    }
  };
  return withGlobal ? [...read(file), ...read(GLOBAL_KNOWN_HOSTS)] : read(file);
}

/** Appends one line; O_APPEND keeps concurrent connections from mixing lines. */
function appendKnownHost(file: string, line: string): void {
  if (!existsSync(dirname(file))) mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  let prefix = "";
  try {
    const cur = readFileSync(file);
    if (cur.length > 0 && cur[cur.length - 1] !== 0x0a) prefix = "\n";
  } catch {
    // a new file
  }
  appendFileSync(file, `${prefix}${line}\n`, { mode: 0o600 });
}

function hostKeyMessage(verdict: ReturnType<typeof checkHostKey>, where: string, lookup: string, key: Buffer, file: string): string {
  const offered = `${keyBlobType(key) ?? "unknown"} ${fingerprint(key)}`;
  if (verdict.status === "revoked")
    return `host key of ${where} is revoked (${file} line ${verdict.entry.line}): server offered ${offered}; refusing to connect`;
  if (verdict.status === "mismatch") {
    const e = verdict.entries[0]!;
    return (
      `host key CHANGED for ${where}: ${file} line ${e.line} has ${e.keyType} ${fingerprint(e.key)}, server offered ${offered}; ` +
      `if the host was rebuilt, remove the old key with ssh-keygen -R '${lookup}' -f ${file} (otherwise someone may be intercepting the connection)`
    );
  }
  return `unknown host key for ${where}: server offered ${offered}, not in ${file}; check the fingerprint and run again with --accept-new-host-keys (or -o StrictHostKeyChecking=accept-new in ansible_ssh_common_args) to trust and record it`;
}

/** Maps an ssh2/socket error while connecting to a ConnectionError that names the host and the cause. */
export function classifyConnectError(
  e: Error & { level?: string; code?: string },
  ctx: { host: string; where: string; user: string; tried: string; timeoutMs: number },
): ConnectionError {
  const code = e.code ?? "";
  if (e.level === "client-authentication") {
    return new ConnectionError(`authentication failed for ${ctx.user}@${ctx.where} (tried: ${ctx.tried})`, "auth", ctx.host);
  }
  if (e.level === "client-timeout" || code === "ETIMEDOUT") {
    return new ConnectionError(`timed out after ${ctx.timeoutMs} ms connecting to ${ctx.where}`, "timeout", ctx.host);
  }
  if (code === "ECONNREFUSED")
    return new ConnectionError(`connection refused by ${ctx.where}: is sshd running and listening on that port?`, "refused", ctx.host);
  if (code === "ENOTFOUND" || code === "EAI_AGAIN" || code === "EAI_NONAME") {
    return new ConnectionError(`cannot resolve the address of ${ctx.where}: ${e.message}`, "dns", ctx.host);
  }
  if (code === "EHOSTUNREACH" || code === "ENETUNREACH") return new ConnectionError(`no route to ${ctx.where} (${code})`, "other", ctx.host);
  if (code === "ECONNRESET" || code === "EPIPE") return new ConnectionError(`connection to ${ctx.where} was reset during the SSH handshake`, "lost", ctx.host);
  return new ConnectionError(`cannot connect to ${ctx.where}: ${e.message}`, "other", ctx.host);
}
