// The ssh transport (ssh2): one TCP connection per host for the whole run, one persistent `sh`
// channel on it, host keys checked against known_hosts and failing closed.
import ssh2 from "ssh2";
import type { Client as SshClient, ClientChannel, ConnectConfig, NegotiatedAlgorithms, ParsedKey } from "ssh2";
import { appendFileSync, existsSync, mkdirSync, readFileSync } from "node:fs";
import { homedir, userInfo } from "node:os";
import { dirname, join } from "node:path";
import type { HostKeyPolicy, HostSpec } from "../core/host.js";
import { ConnectionError } from "../core/errors.js";
import { readFileCached } from "../core/filecache.js";
import { ShellConnection, closeSignal, type ShellStreams } from "./session.js";
import { sshAlgorithms } from "./ssh-algorithms.js";
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
const { Client, utils } = ssh2;

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

type AuthMethod = { type: "publickey"; username: string; key: ParsedKey; label: string } | { type: "agent"; username: string; agent: string; label: string } | { type: "password"; username: string; password: string; label: string } | { type: "keyboard-interactive"; username: string; label: string; prompt: (...a: any[]) => void };

export class SshConnection extends ShellConnection {
  readonly host: string;
  private client?: SshClient;
  /** Algorithms agreed in the last handshake (kex, host key, ciphers, MACs), for tests and diagnostics. */
  negotiated?: NegotiatedAlgorithms;

  private constructor(
    private readonly spec: HostSpec,
    private readonly opts: SshOptions,
  ) {
    super(opts.commandTimeoutMs, opts.becomePassword);
    this.host = spec.name;
  }

  static async open(spec: HostSpec, opts: SshOptions): Promise<SshConnection> {
    const c = new SshConnection(spec, opts);
    await c.connectOnce(opts.connectTimeoutMs);
    return c;
  }

  protected describe(): string {
    return describeHost(this.spec);
  }

  private get username(): string {
    return this.spec.user ?? userInfo().username;
  }

  private async connectOnce(timeoutMs: number): Promise<void> {
    const spec = this.spec;
    const lookup = hostLookupName(spec.address, spec.port);
    const entries = readKnownHosts(this.opts.knownHostsFile, this.opts.knownHostsFile === defaultKnownHostsFile());
    const methods = authMethods(spec, this.username, this.opts.password);
    if (methods.length === 0) {
      throw new ConnectionError(
        `no way to authenticate to ${this.describe()}: no private key file (set ansible_ssh_private_key_file, or create ~/.ssh/id_ed25519), no ssh-agent (SSH_AUTH_SOCK) and no password`,
        "auth",
        this.host,
      );
    }
    let hostKeyError: ConnectionError | undefined;
    const client = new Client();
    const config: ConnectConfig = {
      host: spec.address,
      port: spec.port,
      username: this.username,
      readyTimeout: timeoutMs,
      keepaliveInterval: 15_000,
      keepaliveCountMax: 3,
      algorithms: { ...sshAlgorithms(), serverHostKey: preferredHostKeyAlgorithms(knownKeyTypes(entries, lookup)) } as ConnectConfig["algorithms"],
      hostVerifier: (key: Buffer) => {
        const verdict = checkHostKey(entries, lookup, key);
        if (verdict.status === "known") return true;
        if (verdict.status !== "revoked" && this.opts.hostKeyPolicy === "no") return true;
        if (verdict.status === "unknown" && this.opts.hostKeyPolicy === "accept-new") {
          try {
            if (this.opts.knownHostsFile !== "/dev/null") appendKnownHost(this.opts.knownHostsFile, formatKnownHostLine(lookup, key));
          } catch (e) {
            hostKeyError = new ConnectionError(`cannot record the host key of ${this.describe()} in ${this.opts.knownHostsFile}: ${(e as Error).message}`, "hostkey", this.host);
            return false;
          }
          return true;
        }
        hostKeyError = new ConnectionError(hostKeyMessage(verdict, spec, lookup, key, this.opts.knownHostsFile), "hostkey", this.host);
        return false;
      },
      authHandler: methods.map(({ label: _l, ...m }) => m) as any,
    };
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
      client.on("handshake", (n: NegotiatedAlgorithms) => (this.negotiated = n));
      client.on("ready", () => {
        client.setNoDelay(true);
        settle();
      });
      client.on("error", (e: Error & { level?: string; code?: string }) =>
        settle(hostKeyError ?? classifyConnectError(e, { host: this.host, where: this.describe(), user: this.username, tried, timeoutMs })),
      );
      client.on("close", () => settle(hostKeyError ?? new ConnectionError(`connection to ${this.describe()} closed during the SSH handshake`, "lost", this.host)));
      client.connect(config);
      // Without TCP_NODELAY, Nagle holds back the tail of each command packet until the previous
      // one is acknowledged: ~40-50 ms per round trip instead of about 1 ms.
      client.setNoDelay(true);
    });
    this.client = client;
    try {
      await this.openShell(client, timeoutMs);
    } catch (e) {
      client.end();
      this.client = undefined;
      throw e;
    }
  }

  private async openShell(client: SshClient, timeoutMs: number): Promise<void> {
    const channel = await new Promise<ClientChannel>((resolve, reject) => {
      client.exec("exec sh", (err, ch) => (err ? reject(new ConnectionError(`cannot start a shell on ${this.describe()}: ${err.message}`, "other", this.host)) : resolve(ch)));
    });
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
    await this.startShell(streams, timeoutMs);
  }

  async reconnect(timeoutMs: number): Promise<void> {
    this.closeShell();
    this.client?.end();
    this.client = undefined;
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
    throw new ConnectionError(`${this.describe()} did not come back within ${Math.round(timeoutMs / 1000)} s${last ? `: ${last.message}` : ""}`, "timeout", this.host);
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
    this.client?.end();
    this.client = undefined;
  }
}

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

/** ssh2's parse of a private key file (an Error for encrypted or unsupported keys). */
const parsePrivateKey = (data: Buffer): ParsedKey | Error => utils.parseKey(data);

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

function hostKeyMessage(
  verdict: ReturnType<typeof checkHostKey>,
  spec: HostSpec,
  lookup: string,
  key: Buffer,
  file: string,
): string {
  const where = describeHost(spec);
  const offered = `${keyBlobType(key) ?? "unknown"} ${fingerprint(key)}`;
  if (verdict.status === "revoked") return `host key of ${where} is revoked (${file} line ${verdict.entry.line}): server offered ${offered}; refusing to connect`;
  if (verdict.status === "mismatch") {
    const e = verdict.entries[0]!;
    return (
      `host key CHANGED for ${where}: ${file} line ${e.line} has ${e.keyType} ${fingerprint(e.key)}, server offered ${offered}; ` +
      `if the host was rebuilt, remove the old key with ssh-keygen -R '${lookup}' -f ${file} (otherwise someone may be intercepting the connection)`
    );
  }
  return `unknown host key for ${where}: server offered ${offered}, not in ${file}; check the fingerprint and run again with --accept-new-host-keys (or -o StrictHostKeyChecking=accept-new in ansible_ssh_common_args) to trust and record it`;
}

/** The ways to authenticate, in order: key files, ssh-agent, password. */
function authMethods(spec: HostSpec, username: string, password: string | undefined): AuthMethod[] {
  const out: AuthMethod[] = [];
  const files = spec.privateKeyFile ? [spec.privateKeyFile] : ["id_ed25519", "id_ecdsa", "id_rsa"].map((f) => join(homedir(), ".ssh", f)).filter((f) => existsSync(f));
  for (const f of files) {
    let parsed: ParsedKey | Error;
    try {
      // Parsed once for all hosts; ssh2 takes the parsed key as it is (it would parse a Buffer again per host).
      parsed = readFileCached(f, parsePrivateKey);
    } catch (e) {
      throw new ConnectionError(`cannot read private key file ${f} for ${describeHost(spec)}: ${(e as Error).message}`, "auth", spec.name);
    }
    if (parsed instanceof Error) {
      // Encrypted keys need a passphrase keel does not ask for; the agent can hold them instead.
      if (spec.privateKeyFile) throw new ConnectionError(`cannot use private key file ${f} for ${describeHost(spec)}: ${parsed.message}`, "auth", spec.name);
      continue;
    }
    out.push({ type: "publickey", username, key: parsed, label: `publickey ${f}` });
  }
  const sock = process.env.SSH_AUTH_SOCK;
  if (sock) out.push({ type: "agent", username, agent: sock, label: "ssh-agent" });
  const pw = password ?? spec.password;
  if (pw !== undefined) {
    out.push({ type: "password", username, password: pw, label: "password" });
    out.push({
      type: "keyboard-interactive",
      username,
      label: "keyboard-interactive",
      prompt: (_n: string, _i: string, _l: string, prompts: unknown[], finish: (answers: string[]) => void) => finish(prompts.map(() => pw)),
    });
  }
  return out;
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
  if (code === "ECONNREFUSED") return new ConnectionError(`connection refused by ${ctx.where}: is sshd running and listening on that port?`, "refused", ctx.host);
  if (code === "ENOTFOUND" || code === "EAI_AGAIN" || code === "EAI_NONAME") {
    return new ConnectionError(`cannot resolve the address of ${ctx.where}: ${e.message}`, "dns", ctx.host);
  }
  if (code === "EHOSTUNREACH" || code === "ENETUNREACH") return new ConnectionError(`no route to ${ctx.where} (${code})`, "other", ctx.host);
  if (code === "ECONNRESET" || code === "EPIPE") return new ConnectionError(`connection to ${ctx.where} was reset during the SSH handshake`, "lost", ctx.host);
  return new ConnectionError(`cannot connect to ${ctx.where}: ${e.message}`, "other", ctx.host);
}

