// Reaching a host through a jump host (ProxyJump) or a proxy command (ProxyCommand).
//
// Jump hosts: ONE SSH connection per jump host (and per way of checking it) for the whole process,
// shared by every host behind it; each target gets a `direct-tcpip` channel on it (ssh2's
// forwardOut), over which keel runs the target's own SSH handshake, so the target's host key is
// checked end to end exactly as for a direct connection, and the jump host's key is checked on
// its own connection. Chains (`ProxyJump a,b`) nest: b's connection runs over a channel of a's.
// The shared connection is closed a moment after its last user lets go.
//
// Proxy commands: `sh -c COMMAND` with the tokens expanded, its stdin/stdout as the socket.
import { spawn } from "node:child_process";
import { Duplex } from "node:stream";
import type { Client as SshClient } from "ssh2";
import { ConnectionError } from "../core/errors.js";
import type { HostKeyPolicy, JumpHost, Via } from "../core/host.js";
import { handshake } from "./ssh.js";

export interface Route {
  sock: Duplex;
  /** "through jump host bastion (198.18.0.5:22)" for messages. */
  describe: string;
  release(): void;
}

export interface RouteDefaults {
  hostKeyPolicy: HostKeyPolicy;
  knownHostsFile: string;
  connectTimeoutMs: number;
}

interface Target {
  name: string;
  where: string;
  address: string;
  port: number;
}

interface Shared {
  client: Promise<SshClient>;
  refs: number;
  linger?: NodeJS.Timeout;
  closed: boolean;
}

const pool = new Map<string, Shared>();
/** How long an unused jump connection stays open (the next host, or a reconnect, may want it). */
const LINGER_MS = 1000;

/** Opens the socket to `target` along `via`. Throws ConnectionError naming the jump host or the command. */
export async function openRoute(via: Via, target: Target, d: RouteDefaults): Promise<Route> {
  if (via.kind === "command") return proxyCommand(via.command, via.source, target);
  const j = via.host;
  const where = `${j.name}${j.address !== j.name || j.port !== 22 ? ` (${j.address}:${j.port})` : ""}`;
  const describe = `through jump host ${where}`;
  const { client, release } = await acquire(j, d, target);
  try {
    const sock = await new Promise<Duplex>((resolve, reject) => {
      try {
        client.forwardOut("127.0.0.1", 0, target.address, target.port, (err, ch) => (err ? reject(err) : resolve(ch as unknown as Duplex)));
      } catch (e) {
        reject(e);
      }
    });
    return { sock, describe, release };
  } catch (e) {
    release();
    throw new ConnectionError(
      `jump host ${where} could not open a connection to ${target.address}:${target.port} for ${target.where}: ${(e as Error).message.replace(/^\(SSH\) /, "")}`,
      "other",
      target.name,
    );
  }
}

function keyOf(j: JumpHost, d: RouteDefaults): string {
  return JSON.stringify([
    j.address,
    j.port,
    j.user ?? "",
    j.identityFiles,
    j.knownHostsFile ?? d.knownHostsFile,
    j.hostKeyPolicy ?? d.hostKeyPolicy,
    j.via ?? null,
    j.algorithms ?? null,
    j.identitiesOnly ?? null,
  ]);
}

async function acquire(j: JumpHost, d: RouteDefaults, target: Target): Promise<{ client: SshClient; release: () => void }> {
  const key = keyOf(j, d);
  let s = pool.get(key);
  if (!s || s.closed) {
    const fresh: Shared = { client: connectJump(j, d), refs: 0, closed: false };
    s = fresh;
    pool.set(key, fresh);
    fresh.client.then(
      (c) =>
        c.on("close", () => {
          fresh.closed = true;
          if (pool.get(key) === fresh) pool.delete(key);
        }),
      () => {
        // a failed jump connection is forgotten: a later host (or a reconnect) tries again
        fresh.closed = true;
        if (pool.get(key) === fresh) pool.delete(key);
      },
    );
  }
  const shared = s;
  shared.refs++;
  if (shared.linger) {
    clearTimeout(shared.linger);
    shared.linger = undefined;
  }
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    if (--shared.refs > 0) return;
    shared.linger = setTimeout(() => {
      if (shared.refs > 0) return;
      shared.closed = true;
      if (pool.get(key) === shared) pool.delete(key);
      shared.client.then(
        (c) => c.end(),
        () => undefined,
      );
    }, LINGER_MS);
    shared.linger.unref();
  };
  try {
    return { client: await shared.client, release };
  } catch (e) {
    release();
    const msg = e instanceof Error ? e.message : String(e);
    throw new ConnectionError(
      `cannot reach ${target.where}: jump host ${j.name} (${j.source}) is unreachable: ${msg}`,
      e instanceof ConnectionError ? e.failure : "other",
      target.name,
    );
  }
}

async function connectJump(j: JumpHost, d: RouteDefaults): Promise<SshClient> {
  const where = `jump host ${j.name}${j.address !== j.name || j.port !== 22 ? ` (${j.address}:${j.port})` : ""}`;
  const timeoutMs = j.connectTimeoutMs ?? d.connectTimeoutMs;
  let route: Route | undefined;
  if (j.via) route = await openRoute(j.via, { name: j.name, where, address: j.address, port: j.port }, d);
  try {
    const client = await handshake(
      {
        name: j.name,
        where,
        address: j.address,
        port: j.port,
        user: j.user ?? localUser(),
        identityFiles: j.identityFiles,
        hostKeyPolicy: j.hostKeyPolicy ?? d.hostKeyPolicy,
        knownHostsFile: j.knownHostsFile ?? d.knownHostsFile,
        ...(j.algorithms ? { algorithms: j.algorithms } : {}),
        ...(j.identitiesOnly ? { identitiesOnly: true } : {}),
        keepaliveIntervalMs: 15_000,
        keepaliveCountMax: 3,
      },
      timeoutMs,
      route?.sock,
    );
    if (route) client.on("close", () => route!.release());
    return client;
  } catch (e) {
    route?.release();
    throw e;
  }
}

/** `sh -c COMMAND`: its stdout is what the host sends, its stdin what keel sends. */
function proxyCommand(command: string, source: string, target: Target): Promise<Route> {
  return new Promise((resolve, reject) => {
    const child = spawn("/bin/sh", ["-c", command], { stdio: ["pipe", "pipe", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (b: Buffer) => {
      if (stderr.length < 4000) stderr += b.toString("utf8");
    });
    const fail = (why: string) =>
      new ConnectionError(
        `ProxyCommand '${command}' (${source}) for ${target.where} ${why}${stderr.trim() ? `: ${stderr.trim().split("\n").slice(-3).join(" | ")}` : ""}`,
        "other",
        target.name,
      );
    child.on("error", (e) => reject(fail(`could not start: ${e.message}`)));
    const sock = Duplex.from({ readable: child.stdout, writable: child.stdin });
    // ssh2 listens for the socket's errors only while its connection lives: a proxy that exits
    // after keel gave up (auth refused, timeout) must not become an unhandled 'error' event
    sock.on("error", () => undefined);
    // ssh2 handles socket errors; a command that exits early shows up as a closed connection
    child.on("exit", (code) => {
      if (code !== 0 && code !== null) sock.destroy(fail(`exited with status ${code}`));
    });
    child.stdin.on("error", () => undefined);
    const release = () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
    };
    child.on("spawn", () => resolve({ sock, describe: `through ProxyCommand '${command}'`, release }));
  });
}

function localUser(): string {
  return process.env.USER ?? process.env.LOGNAME ?? "root";
}
