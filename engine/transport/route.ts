// Where and how to reach a host, as ssh would: the name given to ssh (ansible_host, else the
// inventory name) is looked up in ssh_config after the command-line options; what the inventory
// or the CLI sets explicitly (user, port, key, timeout) comes first, as Ansible passes those to ssh
// as options. ProxyJump hosts are resolved the same way, each through its own ssh_config entry,
// so `Host bastion` / `Host *.internal ProxyJump bastion` work as with ssh. Pure (given the config).
import { InputError } from "../core/errors.js";
import type { AlgorithmChoice, HostKeyPolicy, JumpHost, SshOpt, Via } from "../core/host.js";
import { expandHome, expandTokens, lookupSshConfig, passwdHome, type SshConfig } from "./ssh-config.js";
import { algorithmChoice } from "./algorithm-options.js";
import { implementedAlgorithms } from "./ssh-algorithms.js";

export interface Endpoint {
  address: string;
  port: number;
  user?: string;
  identityFiles: string[];
  via?: Via;
  connectTimeoutMs?: number;
  serverAliveIntervalMs?: number;
  serverAliveCountMax?: number;
  /** StrictHostKeyChecking / UserKnownHostsFile from the options or ssh_config, when set there. */
  hostKeyPolicy?: HostKeyPolicy;
  knownHostsFile?: string;
  /** IdentitiesOnly, when set. */
  identitiesOnly?: boolean;
  /** Ciphers, KexAlgorithms, MACs, HostKeyAlgorithms, PubkeyAcceptedAlgorithms, when set. */
  algorithms?: AlgorithmChoice;
}

export interface Explicit {
  user?: string;
  port?: number;
  identityFile?: string;
}

const MAX_HOPS = 8;

/**
 * Resolves `name` (what ssh is given) with the command-line options `cmdline` (first wins) and
 * the ssh config. Throws InputError for values keel cannot use, naming their source.
 */
export function resolveEndpoint(
  name: string,
  cfg: SshConfig | undefined,
  cmdline: SshOpt[],
  explicit: Explicit = {},
  depth = 0,
  // `~` and %d in the options' paths: the passwd entry's home, as ssh expands them (not $HOME)
  home: string = passwdHome(),
): Endpoint {
  const fixed: SshOpt[] = [];
  if (explicit.user !== undefined) fixed.push({ key: "user", value: explicit.user, source: "inventory" });
  if (explicit.port !== undefined) fixed.push({ key: "port", value: String(explicit.port), source: "inventory" });
  const c = lookupSshConfig(cfg, name, [...fixed, ...cmdline], explicit.user);
  const o = (k: string) => c.opts.get(k);
  const user = o("user")?.value;
  const port = intOpt(o("port"), 1, 65535) ?? 22;
  const hostNameOpt = o("hostname");
  const address = hostNameOpt ? expandTokens(hostNameOpt.value, { host: name, original: name, port, user: user ?? "" }, hostNameOpt.source, home) : name;
  const tokens = { host: address, original: name, port, user: user ?? localName() };
  const ep: Endpoint = { address, port, identityFiles: [] };
  if (user !== undefined) ep.user = user;
  if (explicit.identityFile !== undefined) ep.identityFiles.push(explicit.identityFile);
  for (const f of c.identityFiles) {
    if (f.value.toLowerCase() === "none") continue;
    ep.identityFiles.push(expandHome(expandTokens(f.value, tokens, f.source, home), home, f.source));
  }
  const ct = intOpt(o("connecttimeout"), 1, 86_400);
  if (ct !== undefined) ep.connectTimeoutMs = ct * 1000;
  const sai = intOpt(o("serveraliveinterval"), 0, 86_400);
  if (sai !== undefined) ep.serverAliveIntervalMs = sai * 1000;
  const sac = intOpt(o("serveralivecountmax"), 1, 1000);
  if (sac !== undefined) ep.serverAliveCountMax = sac;
  const strict = o("stricthostkeychecking");
  if (strict) ep.hostKeyPolicy = policyOf(strict);
  const ukh = o("userknownhostsfile");
  // ssh allows several files; keel reads and writes the first
  if (ukh) ep.knownHostsFile = expandHome(expandTokens(ukh.value.split(/\s+/)[0]!, tokens, ukh.source, home), home, ukh.source);

  const io = o("identitiesonly");
  if (io) {
    const v = io.value.trim().toLowerCase();
    if (v !== "yes" && v !== "no")
      throw new InputError(`${io.source}: IdentitiesOnly ${io.value} is not yes or no`, undefined, "write IdentitiesOnly yes or IdentitiesOnly no");
    ep.identitiesOnly = v === "yes";
  }
  const algorithms = algorithmChoice(c.opts, implementedAlgorithms());
  if (Object.keys(algorithms).length > 0) ep.algorithms = algorithms;

  const jump = o("proxyjump");
  const command = o("proxycommand");
  if (jump && jump.value.toLowerCase() !== "none") {
    if (depth >= MAX_HOPS)
      throw new InputError(
        `${jump.source}: more than ${MAX_HOPS} jump hosts to reach ${name}`,
        undefined,
        "a ProxyJump probably leads back to itself; check the Host blocks of the jump hosts",
      );
    ep.via = { kind: "jump", host: jumpChain(jump, cfg, depth, home) };
  } else if (command && command.value.toLowerCase() !== "none") {
    ep.via = { kind: "command", command: expandTokens(command.value, tokens, command.source, home, true), source: command.source };
  }
  return ep;
}

/**
 * `ProxyJump a,b,c` reaches the target through c, c through b, b through a (as `ssh -J`); the
 * first host is reached as its own ssh_config says (it may have a ProxyJump of its own).
 */
function jumpChain(opt: SshOpt, cfg: SshConfig | undefined, depth: number, home: string): JumpHost {
  const hops = opt.value.split(",").map((h) => h.trim());
  const last = parseJumpSpec(hops[hops.length - 1]!, opt);
  const cmdline: SshOpt[] = [];
  if (hops.length > 1) cmdline.push({ key: "proxyjump", value: hops.slice(0, -1).join(","), source: opt.source });
  // Command-line options of the target are not given to the jump host (ssh -J passes none either).
  const ep = resolveEndpoint(
    last.host,
    cfg,
    cmdline,
    { ...(last.user !== undefined ? { user: last.user } : {}), ...(last.port !== undefined ? { port: last.port } : {}) },
    depth + 1,
    home,
  );
  const j: JumpHost = { name: last.host, address: ep.address, port: ep.port, identityFiles: ep.identityFiles, source: opt.source };
  if (ep.user !== undefined) j.user = ep.user;
  if (ep.knownHostsFile !== undefined) j.knownHostsFile = ep.knownHostsFile;
  if (ep.hostKeyPolicy !== undefined) j.hostKeyPolicy = ep.hostKeyPolicy;
  if (ep.connectTimeoutMs !== undefined) j.connectTimeoutMs = ep.connectTimeoutMs;
  if (ep.algorithms) j.algorithms = ep.algorithms;
  if (ep.identitiesOnly !== undefined) j.identitiesOnly = ep.identitiesOnly;
  if (ep.via) j.via = ep.via;
  return j;
}

/** `[user@]host[:port]` or `ssh://[user@]host[:port]`; IPv6 addresses in brackets. */
export function parseJumpSpec(s: string, opt: SshOpt): { user?: string; host: string; port?: number } {
  const m = /^(?:ssh:\/\/)?(?:([^@\s]+)@)?(\[[^\]]+\]|[^:@\s/]+)(?::(\d+))?\/?$/.exec(s);
  if (!m) throw new InputError(`${opt.source}: '${s}' is not a jump host`, undefined, "write ProxyJump [user@]host[:port], several separated by commas");
  const out: { user?: string; host: string; port?: number } = { host: m[2]!.replace(/^\[|\]$/g, "") };
  if (m[1] !== undefined) out.user = m[1];
  if (m[3] !== undefined) {
    const p = Number(m[3]);
    if (p < 1 || p > 65535) throw new InputError(`${opt.source}: port ${p} of jump host ${out.host} is out of range`);
    out.port = p;
  }
  return out;
}

function intOpt(o: SshOpt | undefined, min: number, max: number): number | undefined {
  if (!o) return undefined;
  const v = o.value.trim();
  if (o.key === "serveraliveinterval" && v.toLowerCase() === "none") return 0;
  if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max)
    throw new InputError(`${o.source}: ${o.key} must be a whole number from ${min} to ${max}, found '${o.value}'`);
  return Number(v);
}

function policyOf(o: SshOpt): HostKeyPolicy {
  const v = o.value.trim().toLowerCase();
  if (v === "yes" || v === "ask") return "yes";
  if (v === "no" || v === "off") return "no";
  if (v === "accept-new") return "accept-new";
  throw new InputError(`${o.source}: StrictHostKeyChecking ${o.value} is not a value keel knows`, undefined, "use yes, ask, accept-new, no or off");
}

function localName(): string {
  return process.env.USER ?? "";
}
