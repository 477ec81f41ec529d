// OpenSSH client configuration (ssh_config(5)) as `ssh` reads it: the file is lexed by the
// `ssh-config` package; what applies to a host is decided here, as OpenSSH decides it. The first
// value obtained for an option wins (IdentityFile accumulates); command-line `-o` options come
// before the files; `Host` patterns (comma or space separated, `*`, `?`, `!negation`) are matched
// against the name given to ssh, `Match host` against the HostName reached so far. `Include`
// splices files in (globs, relative to ~/.ssh or /etc/ssh). Options that would change where or how
// keel connects and that it cannot honour (`Match exec`, `HostKeyAlias`, `BindAddress`, …) stop the
// connection with an error naming file:line; the algorithm options (`Ciphers`, `KexAlgorithms`,
// `MACs`, `HostKeyAlgorithms`, `PubkeyAcceptedAlgorithms`) restrict what keel offers
// (algorithm-options.ts); options that cannot change either (`ForwardAgent`, `SendEnv`, …) are
// ignored as they have nothing to act on.
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { homedir, hostname, userInfo } from "node:os";
import { basename, dirname, isAbsolute, join } from "node:path";
import { createRequire } from "node:module";
import type { Line } from "ssh-config";
import { InputError } from "../core/errors.js";
import { readFileCached } from "../core/filecache.js";
import { globMatch } from "./known-hosts.js";
import type { SshOpt } from "../core/host.js";
import { ALGORITHM_OPTIONS } from "./algorithm-options.js";

export type { SshOpt };

// CommonJS with an __esModule default: Node's loader and vitest disagree on what a default import
// is, so take the module object through require.
const { parse: parseSshConfigText, LineType } = createRequire(import.meta.url)("ssh-config") as typeof import("ssh-config");

type Cond = { kind: "host"; patterns: string[] } | { kind: "match"; criteria: { name: string; arg: string }[] } | { kind: "all" };

interface Entry extends SshOpt {
  /** The enclosing Host/Match blocks (an Include inside a block keeps its condition). */
  conds: Cond[];
}

export interface SshConfig {
  /** The file given (-F) or ~/.ssh/config then /etc/ssh/ssh_config. */
  files: string[];
  entries: Entry[];
}

/**
 * Options keel acts on, in a config file or as `-o` of ssh_args / ansible_ssh_common_args
 * (ssh-args.ts). Any other option in a file either cannot matter (ignored) or is REFUSED.
 */
export const HONOURED_OPTIONS: ReadonlySet<string> = new Set([
  "hostname",
  "user",
  "port",
  "identityfile",
  "proxyjump",
  "proxycommand",
  "connecttimeout",
  "serveraliveinterval",
  "serveralivecountmax",
  "userknownhostsfile",
  "stricthostkeychecking",
  "identitiesonly",
]);

/** Options that would send the connection elsewhere or check it differently, which keel cannot do: keyword → hint. */
const REFUSED_KEYWORDS: [keyword: string, hint: string][] = [
  ["HostKeyAlias", "keel looks host keys up under the HostName; remove HostKeyAlias for this host"],
  ["BindAddress", "keel cannot choose the source address; remove BindAddress for this host"],
  ["BindInterface", "keel cannot choose the source interface; remove BindInterface for this host"],
  ["GlobalKnownHostsFile", "keel reads /etc/ssh/ssh_known_hosts and the UserKnownHostsFile; remove GlobalKnownHostsFile for this host"],
  ["KnownHostsCommand", "keel does not run a KnownHostsCommand; put the keys in a known_hosts file"],
  ["ProxyUseFdpass", "keel cannot take a file descriptor from a ProxyCommand; remove ProxyUseFdpass"],
  ["RemoteCommand", "keel runs its own shell on the host; remove RemoteCommand for this host"],
  ["CanonicalizeHostname", "keel does not canonicalize host names; set HostName instead"],
  ["CertificateFile", "keel's SSH client does not log in with certificates; use a key (IdentityFile) or ssh-agent"],
];
/** REFUSED_KEYWORDS by lower-case key, as the parser gives keys. */
const REFUSED = new Map(REFUSED_KEYWORDS.map(([keyword, hint]) => [keyword.toLowerCase(), { keyword, hint }]));

/** Values of REFUSED options that are the default and change nothing. */
const HARMLESS_VALUES = new Set(["no", "none", "false"]);

const MAX_INCLUDE_DEPTH = 16;

/**
 * The configuration ssh reads: `-F FILE` alone when given, else ~/.ssh/config then
 * /etc/ssh/ssh_config (either may be missing). Parsed files are cached while unchanged.
 */
export function loadSshConfig(file?: string, home: string = homedir()): SshConfig {
  const entries: Entry[] = [];
  const files: string[] = [];
  if (file !== undefined) {
    const f = expandHome(file, home);
    if (!existsSync(f)) throw new InputError(`ssh config file ${f} (-F) does not exist`, undefined, "give the path of an ssh_config file");
    files.push(f);
    readInto(f, entries, [], true, home, 0);
  } else {
    for (const [f, user] of [
      [join(home, ".ssh", "config"), true],
      ["/etc/ssh/ssh_config", false],
    ] as const) {
      if (!existsSync(f)) continue;
      files.push(f);
      readInto(f, entries, [], user, home, 0);
    }
  }
  return { files, entries };
}

/** Parsed ssh_config text: keyword/arguments per line with line numbers (pure). */
export function parseSshConfigFile(
  text: string,
  file: string,
): { key: string; args: string[]; raw: string; line: number; section: boolean; body?: { key: string; args: string[]; raw: string; line: number }[] }[] {
  let parsed: Line[];
  try {
    parsed = parseSshConfigText(text) as unknown as Line[];
  } catch (e) {
    throw new InputError(`cannot parse ${file}: ${(e as Error).message}`, { file, line: 1, col: 1 }, "check the quotes");
  }
  // ssh-config keeps the text between directives in before/after; count its newlines for line numbers.
  let line = 1;
  const lineOf = (l: Line): number => {
    line += (l.before.match(/\n/g) ?? []).length;
    const at = line;
    if (l.type === LineType.COMMENT) line += (l.content.match(/\n/g) ?? []).length;
    line += (l.after.match(/\n/g) ?? []).length;
    return at;
  };
  const argsOf = (v: unknown): string[] => (Array.isArray(v) ? v.map((x: { val: string }) => x.val) : [String(v)]);
  // ProxyCommand is one shell command: its words as written, with their separators and quotes
  const rawOf = (v: unknown): string =>
    Array.isArray(v)
      ? v
          .map((x: { val: string; separator: string; quoted?: boolean }) => `${x.separator}${x.quoted ? `"${x.val.replace(/"/g, '\\"')}"` : x.val}`)
          .join("")
          .trim()
      : String(v);
  const out: ReturnType<typeof parseSshConfigFile> = [];
  for (const l of parsed) {
    const at = lineOf(l);
    if (l.type !== LineType.DIRECTIVE) continue;
    const item: (typeof out)[number] = { key: l.param.toLowerCase(), args: argsOf(l.value), raw: rawOf(l.value), line: at, section: "config" in l };
    if ("config" in l) {
      item.body = [];
      for (const s of l.config as unknown as Line[]) {
        const sat = lineOf(s);
        if (s.type === LineType.DIRECTIVE) item.body.push({ key: s.param.toLowerCase(), args: argsOf(s.value), raw: rawOf(s.value), line: sat });
      }
    }
    out.push(item);
  }
  return out;
}

/** One parser per file (readFileCached keys parsed values by parser): every host's connection reads the same files. */
const fileParsers = new Map<string, (data: Buffer) => ReturnType<typeof parseSshConfigFile>>();
function parserFor(file: string): (data: Buffer) => ReturnType<typeof parseSshConfigFile> {
  let p = fileParsers.get(file);
  if (!p) {
    p = (data) => parseSshConfigFile(data.toString("utf8"), file);
    fileParsers.set(file, p);
  }
  return p;
}

function readInto(file: string, out: Entry[], outer: Cond[], user: boolean, home: string, depth: number): void {
  if (depth > MAX_INCLUDE_DEPTH)
    throw new InputError(
      `ssh config Include nested more than ${MAX_INCLUDE_DEPTH} deep at ${file}`,
      { file, line: 1, col: 1 },
      "an Include probably includes itself",
    );
  // Parsed once per run while the file is unchanged (a parse error is not kept: it is thrown again).
  let items: ReturnType<typeof parseSshConfigFile>;
  try {
    items = readFileCached(file, parserFor(file));
  } catch (e) {
    if (e instanceof InputError) throw e;
    throw new InputError(`cannot read ssh config ${file}: ${(e as Error).message}`);
  }
  const add = (d: { key: string; args: string[]; raw: string; line: number }, conds: Cond[]) => {
    const source = `${file}:${d.line}`;
    if (d.key === "include") {
      for (const pat of d.args) for (const inc of expandInclude(pat, user, home)) readInto(inc, out, conds, user, home, depth + 1);
      return;
    }
    // ProxyCommand keeps its command line as written
    out.push({ key: d.key, value: d.key === "proxycommand" ? d.raw : d.args.join(" "), source, conds });
  };
  for (const item of items) {
    if (!item.section) {
      add(item, outer);
      continue;
    }
    const pos = { file, line: item.line, col: 1 };
    let cond: Cond;
    if (item.key === "host") cond = { kind: "host", patterns: item.args.flatMap((a) => a.split(",")).filter(Boolean) };
    else cond = matchCond(item.args, pos);
    for (const d of item.body ?? []) add(d, [...outer, cond]);
  }
}

/** `Match` criteria keel can evaluate: all, final, canonical, host, originalhost, user, localuser. Others (exec, localnetwork, tagged) stop the load. */
function matchCond(args: string[], pos: { file: string; line: number; col: number }): Cond {
  const criteria: { name: string; arg: string }[] = [];
  for (let i = 0; i < args.length; i++) {
    const name = args[i]!.toLowerCase();
    // keel reads the file once and never canonicalizes: that one pass is the final one
    if (name === "all" || name === "final" || name === "canonical") {
      criteria.push({ name, arg: "" });
      continue;
    }
    if (!["host", "originalhost", "user", "localuser"].includes(name)) {
      throw new InputError(
        `Match ${args[i]} in ${pos.file} is not supported by keel`,
        pos,
        "keel evaluates Match all, final, canonical, host, originalhost, user and localuser; write the block as a Host block, or give keel its own file with -F",
      );
    }
    const arg = args[++i];
    if (arg === undefined) throw new InputError(`Match ${args[i - 1]} needs an argument`, pos);
    criteria.push({ name, arg });
  }
  return { kind: "match", criteria };
}

function expandInclude(pattern: string, user: boolean, home: string): string[] {
  const p = expandHome(pattern, home);
  const abs = isAbsolute(p) ? p : join(user ? join(home, ".ssh") : "/etc/ssh", p);
  if (!/[*?]/.test(abs)) return existsSync(abs) ? [abs] : [];
  // glob in the last component only (ssh allows more; configs use conf.d/*.conf)
  const dir = dirname(abs);
  if (/[*?]/.test(dir) || !existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((n) => globMatch(basename(abs), n) && !n.startsWith("."))
    .sort()
    .map((n) => join(dir, n))
    .filter((f) => statSync(f).isFile());
}

/** An ssh_config pattern list against a name: a negated match excludes, else any positive match. */
export function patternListMatches(patterns: string[], name: string): boolean {
  let positive = false;
  for (const p of patterns) {
    if (p.startsWith("!")) {
      if (globMatch(p.slice(1), name)) return false;
    } else if (globMatch(p, name)) positive = true;
  }
  return positive;
}

/** What ssh would use for one host: first value of each option; IdentityFile as a list. */
export interface HostSshConfig {
  opts: Map<string, SshOpt>;
  identityFiles: SshOpt[];
}

/**
 * Options for `host` (the name given to ssh): the command-line options first, then the files, the
 * first value of each option winning. `user` is the login user known from the command line, for
 * `Match user`. Throws InputError for an option keel cannot honour that applies to this host.
 */
export function lookupSshConfig(cfg: SshConfig | undefined, host: string, cmdline: SshOpt[] = [], user?: string): HostSshConfig {
  const opts = new Map<string, SshOpt>();
  const identityFiles: SshOpt[] = [];
  const take = (o: SshOpt) => {
    if (o.key === "identityfile") {
      identityFiles.push(o);
      return;
    }
    // ProxyJump and ProxyCommand compete: whichever comes first prevents the other
    if ((o.key === "proxyjump" && opts.has("proxycommand")) || (o.key === "proxycommand" && opts.has("proxyjump"))) return;
    // PubkeyAcceptedKeyTypes and PubkeyAcceptedAlgorithms are one option: the first of either wins
    const key = ALGORITHM_OPTIONS[o.key]?.canonical ?? o.key;
    if (!opts.has(key)) opts.set(key, o);
  };
  for (const o of cmdline) take(o);
  for (const e of cfg?.entries ?? []) {
    const hostName = opts.get("hostname")?.value ?? host;
    const login = opts.get("user")?.value ?? user ?? localUser();
    if (!e.conds.every((c) => condMatches(c, host, hostName, login))) continue;
    const refusal = REFUSED.get(e.key);
    if (refusal && !HARMLESS_VALUES.has(e.value.toLowerCase()) && !opts.has(e.key)) {
      const [file, line] = splitSource(e.source);
      throw new InputError(
        `${e.source}: ${refusal.keyword} ${e.value} applies to host ${host}, and keel cannot honour it`,
        { file, line, col: 1 },
        refusal.hint,
      );
    }
    if (HONOURED_OPTIONS.has(e.key) || ALGORITHM_OPTIONS[e.key]) take(e);
  }
  return { opts, identityFiles };
}

function condMatches(c: Cond, host: string, hostName: string, user: string): boolean {
  if (c.kind === "all") return true;
  if (c.kind === "host") return patternListMatches(c.patterns, host);
  return c.criteria.every((k) => {
    const list = k.arg.split(",");
    if (k.name === "all" || k.name === "final") return true;
    if (k.name === "canonical") return false;
    if (k.name === "localuser") return patternListMatches(list, localUser());
    if (k.name === "host") return patternListMatches(list, hostName);
    if (k.name === "originalhost") return patternListMatches(list, host);
    return patternListMatches(list, user);
  });
}

/** What OpenSSH refuses in a host or user name given on its command line (valid_hostname/valid_ruser). */
const SHELL_UNSAFE = /^-|['`"$\\;&<>|(){},\s\x00-\x1f\x7f]/;

/**
 * ssh_config TOKENS in a value: %h host (after HostName), %n the name given, %p port, %r remote
 * user, %u local user, %d home, %l/%L local host name, %%. Any other token stops the load.
 */
export function expandTokens(
  value: string,
  t: { host: string; original: string; port: number; user: string },
  source: string,
  home: string = homedir(),
  shell = false,
): string {
  // Into a shell command (ProxyCommand), the host and user names (from the inventory: ansible_host,
  // the inventory name, ansible_user) must stay one word of data: refused when they hold a shell
  // metacharacter, as OpenSSH >= 9.6 refuses them, so an inventory value never becomes a command.
  const word = (v: string, what: string) => {
    if (shell && SHELL_UNSAFE.test(v)) {
      const [file, line] = splitSource(source);
      throw new InputError(
        `${source}: the ${what} ${JSON.stringify(v)} would be expanded into the shell command '${value}' and holds a shell metacharacter or a leading '-'`,
        line ? { file, line, col: 1 } : undefined,
        "fix the name in the inventory (ansible_host, ansible_user or the host's name); ssh refuses such names in a ProxyCommand too",
      );
    }
    return v;
  };
  return value.replace(/%(.)/g, (_m, c: string) => {
    switch (c) {
      case "h":
        return word(t.host, "host name (%h)");
      case "n":
        return word(t.original, "host name (%n)");
      case "p":
        return String(t.port);
      case "r":
        return word(t.user, "remote user (%r)");
      case "u":
        return localUser();
      case "d":
        return home;
      case "l":
        return hostname();
      case "L":
        return hostname().split(".")[0]!;
      case "%":
        return "%";
      default: {
        const [file, line] = splitSource(source);
        throw new InputError(
          `${source}: the token %${c} in '${value}' is not supported by keel`,
          line ? { file, line, col: 1 } : undefined,
          "keel expands %h %n %p %r %u %d %l %L and %%",
        );
      }
    }
  });
}

/**
 * `~` and `~/…` to `home`, `~user/…` to that user's home from the passwd database (getent), as
 * OpenSSH's tilde_expand_filename does. An unknown user stops the load, as it stops ssh.
 */
export function expandHome(p: string, home: string = homedir(), source?: string): string {
  if (p === "~") return home;
  if (p.startsWith("~/")) return home + p.slice(1);
  const m = /^~([^/]+)(\/.*)?$/.exec(p);
  if (!m) return p;
  const dir = userHomeOf(m[1]!);
  if (dir === undefined)
    throw new InputError(
      `${source ? `${source}: ` : ""}no user '${m[1]}' for '${p}'`,
      source ? posOfSource(source) : undefined,
      "write ~/… or the path in full",
    );
  return dir + (m[2] ?? "");
}

/**
 * The home folder `~` means in ssh_config values and ssh's `-o` options: the login's passwd entry,
 * never $HOME (OpenSSH reads pw_dir; Ansible's ssh inherits that).
 */
export function passwdHome(): string {
  try {
    return userInfo().homedir;
  } catch {
    return homedir();
  }
}

function userHomeOf(name: string): string | undefined {
  try {
    if (name === userInfo().username) return userInfo().homedir;
  } catch {
    /* no passwd entry for this process: ask getent */
  }
  try {
    const line = execFileSync("getent", ["passwd", name], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).split("\n")[0] ?? "";
    const dir = line.split(":")[5];
    return dir ? dir : undefined;
  } catch {
    return undefined;
  }
}

function posOfSource(source: string): { file: string; line: number; col: number } | undefined {
  const [file, line] = splitSource(source);
  return line ? { file, line, col: 1 } : undefined;
}

function localUser(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env.USER ?? "";
  }
}

function splitSource(source: string): [string, number] {
  const m = /^(.*):(\d+)$/.exec(source);
  return m ? [m[1]!, Number(m[2])] : [source, 0];
}
