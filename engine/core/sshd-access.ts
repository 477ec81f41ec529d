// keel's own SSH login and what an sshd configuration does to it: shared by hardening.sshd_config
// (which edits sshd settings) and services.service (which restarts or reloads sshd after a
// playbook's own edits), so that no change keel makes refuses the login it connects with
// (DESIGN.md, "Changes that can cut access"):
// - LOGIN_SCRIPT finds keel's session on the host (user, client address, groups, the sshd binary);
// - EFFECTIVE, `sshd -T -C user=...,host=...,addr=...`, prints the configuration as it applies to it;
// - loginRefusal() says why that configuration would refuse keel's login (pure);
// - proveNewLogin() opens a NEW connection after a change: the proof that access survived.
//
// The proof after a change that can cut access (sshd, PAM): a NEW login as keel logs in works.
// Host.probeNewConnection opens a second connection and runs a command on it. sshd stops
// listening for a moment while it re-executes after SIGHUP, so a refused connection is retried
// until the deadline, and so is one reset during the handshake (a connection that was waiting in
// the backlog of the listening socket sshd closed to re-execute); any other failure is final (an authentication or host-key failure means sshd
// answered and refused the login; a timeout already waited). Each attempt may use all the time left:
// on a loaded machine (50 lab hosts on 2 cores, load 100) a sound handshake took over 5 s, and a
// proof that gives up early restores a good configuration and fails the host for nothing.
import { ConnectionError, type ConnectionFailure } from "./errors.js";
import type { Host } from "./module.js";
import { findRec, parseRecords, type Rec } from "./record.js";
import { snip } from "./snippets.js";

/** Keywords whose value is a list of entries (sshd -T prints one line per entry). */
export const MULTI = new Set(["allowusers", "allowgroups", "denyusers", "denygroups"]);
/** Keywords compared case-sensitively (names and paths). */
const CASED = new Set([...MULTI, "banner"]);
/** Values sshd -T prints differently from how they are written. */
const ALIASES: Record<string, Record<string, string>> = {
  permitrootlogin: { "prohibit-password": "without-password" },
  allowtcpforwarding: { all: "yes" },
  allowstreamlocalforwarding: { all: "yes" },
};

/** The comparable form of a value: the entries sshd -T would print for it, normalised. */
export function normalise(key: string, text: string): string[] {
  const k = key.toLowerCase();
  const entries = MULTI.has(k) ? text.split(/\s+/).filter(Boolean) : [text.trim()];
  return entries.map((e) => {
    const v = CASED.has(k) ? e : e.toLowerCase();
    return ALIASES[k]?.[v] ?? v;
  });
}

/** Parses `sshd -T` output: lowercase keyword → its values in order. */
export function parseEffective(out: string): Record<string, string[]> {
  const eff: Record<string, string[]> = {};
  for (const line of out.split("\n")) {
    const m = /^(\S+)\s+(.*)$/.exec(line.trim());
    if (!m) continue;
    const k = m[1]!.toLowerCase();
    (eff[k] ??= []).push(m[2]!.trim());
  }
  return eff;
}

/** The effective value in comparable form (entries joined by a space). */
export function effectiveText(eff: Record<string, string[]>, key: string): string {
  const k = key.toLowerCase();
  return (eff[k] ?? []).flatMap((v) => normalise(k, v)).join(" ");
}

export interface Login {
  /** keel's connection came over SSH (false: local connection, nothing to protect). */
  ssh: boolean;
  user: string;
  /** The client address sshd sees. */
  addr: string;
  groups: string[];
}

/** OpenSSH wildcard match (* and ?), case-sensitive. */
function wild(pattern: string, s: string): boolean {
  return new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, "\\$&")
      .replace(/\*/g, ".*")
      .replace(/\?/g, ".")}$`,
  ).test(s);
}

function ipv4(a: string): number | undefined {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(a);
  return m ? m.slice(1).reduce((acc, x) => acc * 256 + Number(x), 0) : undefined;
}

/** USER or USER@HOST (HOST a wildcard or an address/CIDR) against the login. */
export function userEntryMatches(entry: string, login: Login): boolean {
  const at = entry.indexOf("@");
  const userPat = at < 0 ? entry : entry.slice(0, at);
  if (!wild(userPat, login.user)) return false;
  if (at < 0) return true;
  const hostPat = entry.slice(at + 1);
  const cidr = /^([\d.]+)\/(\d+)$/.exec(hostPat);
  if (cidr) {
    const net = ipv4(cidr[1]!);
    const ip = ipv4(login.addr);
    const bits = Number(cidr[2]);
    if (net === undefined || ip === undefined) return false;
    const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
    return (net & mask) >>> 0 === (ip & mask) >>> 0;
  }
  return wild(hostPat, login.addr);
}

/** Why this configuration refuses keel's own login, or undefined when the login survives. */
export function loginRefusal(eff: Record<string, string[]>, login: Login): string | undefined {
  if (!login.ssh) return undefined;
  const who = `${login.user}@${login.addr}`;
  const one = (k: string) => effectiveText(eff, k);
  if (login.user === "root" && ["no", "forced-commands-only"].includes(one("permitrootlogin"))) {
    return `PermitRootLogin ${one("permitrootlogin")} refuses root, the user keel connects as (${who})`;
  }
  if (one("pubkeyauthentication") === "no") return `PubkeyAuthentication no refuses key logins, and keel logs in as ${who} with a key`;
  const methods = one("authenticationmethods");
  if (methods && methods !== "any" && !methods.split(/\s+/).includes("publickey")) {
    return `AuthenticationMethods ${methods} needs more than the key keel logs in with as ${who}`;
  }
  const list = (k: string) => (eff[k] ?? []).flatMap((v) => v.split(/\s+/)).filter(Boolean);
  const deny = list("denyusers").find((e) => userEntryMatches(e, login));
  if (deny) return `DenyUsers ${deny} refuses ${who}, keel's own login`;
  const allow = list("allowusers");
  if (allow.length && !allow.some((e) => userEntryMatches(e, login))) return `AllowUsers ${allow.join(" ")} does not let in ${who}, keel's own login`;
  const dg = list("denygroups").find((g) => login.groups.some((x) => wild(g, x)));
  if (dg) return `DenyGroups ${dg} refuses ${login.user} (groups ${login.groups.join(", ")}), keel's own login`;
  const ag = list("allowgroups");
  if (ag.length && !ag.some((g) => login.groups.some((x) => wild(g, x))))
    return `AllowGroups ${ag.join(" ")} does not include a group of ${login.user} (${login.groups.join(", ")}), keel's own login`;
  return undefined;
}

/** Finds keel's session (the nearest ancestor process with SSH_CONNECTION) and its user. */
export const LOGIN_SCRIPT = `_keel_p=$$; _keel_sc=; _keel_u=
while [ -n "$_keel_p" ] && [ "$_keel_p" -gt 1 ] 2>/dev/null; do
  _keel_sc=$(tr '\\000' '\\n' < /proc/$_keel_p/environ 2>/dev/null | sed -n 's/^SSH_CONNECTION=//p' | head -n 1)
  # USER as sshd set it (a setuid sudo's /proc entry is owned by root, its environment is not)
  if [ -n "$_keel_sc" ]; then _keel_u=$(tr '\\000' '\\n' < /proc/$_keel_p/environ 2>/dev/null | sed -n 's/^USER=//p' | head -n 1)
    [ -n "$_keel_u" ] || _keel_u=$(stat -c %U /proc/$_keel_p 2>/dev/null); break; fi
  _keel_p=$(sed -n 's/^PPid:[[:space:]]*//p' /proc/$_keel_p/status 2>/dev/null)
done
if [ -n "$_keel_sc" ]; then set -- $_keel_sc; _keel_addr=$1; _keel_laddr=$3; _keel_lport=$4; _keel_ssh=1
else _keel_u=$(id -un); _keel_addr=127.0.0.1; _keel_laddr=127.0.0.1; _keel_lport=22; _keel_ssh=0; fi
_keel_sshd=$(command -v sshd 2>/dev/null || { [ -x /usr/sbin/sshd ] && echo /usr/sbin/sshd; })
printf '@login\\nssh=%s\\nuser=%s\\naddr=%s\\ngroups=%s\\nsshd=%s\\n' "$_keel_ssh" "$_keel_u" "$_keel_addr" "$(id -Gn "$_keel_u" 2>/dev/null)" "$_keel_sshd"`;

/** `sshd -T` for keel's own connection (Match blocks evaluated for it). */
export const EFFECTIVE = `"$_keel_sshd" -T -C "user=$_keel_u,host=$_keel_addr,addr=$_keel_addr"`;

export interface Proof {
  ok: boolean;
  detail: string;
  failure?: ConnectionFailure;
}

export async function proveNewLogin(host: Host, timeoutMs = 30_000): Promise<Proof> {
  if (!host.probeNewConnection) return { ok: false, detail: "this connection cannot open a second one to prove a login", failure: "other" };
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const left = deadline - Date.now();
    try {
      await host.probeNewConnection(Math.max(1000, left));
      return { ok: true, detail: `a new SSH connection to ${host.name} works` };
    } catch (e) {
      const err = e instanceof ConnectionError ? e : new ConnectionError(e instanceof Error ? e.message : String(e), "other", host.name);
      if ((err.failure !== "refused" && err.failure !== "lost") || Date.now() + 300 >= deadline)
        return { ok: false, detail: `a new SSH connection to ${host.name} failed: ${err.message}`, failure: err.failure };
      await new Promise((r) => setTimeout(r, 300));
    }
  }
}

/** sshd's own service names: Debian's `ssh`, its `sshd` alias, other distributions' `sshd`. */
const SSHD_UNIT = /^(ssh|sshd|openssh-server)(\.service)?$/;

/** The operations of services.service that end sshd's listener or make it re-read its configuration. */
const CUTTING = new Set(["restart", "reload", "stop", "disable --now"]);

/** What services.service sends before it restarts, reloads or stops sshd (one round trip). */
export const SSHD_ACTION_CHECK = [
  LOGIN_SCRIPT,
  `printf '@listen\\nladdr=%s\\nlport=%s\\n' "$_keel_laddr" "$_keel_lport"`,
  `if [ -n "$_keel_sshd" ]; then`,
  snip.cmd("test", `"$_keel_sshd" -t`),
  snip.cmd("effective", EFFECTIVE),
  `fi`,
].join("\n");

/** Whether services.service must check before, and prove after, these operations on this service. */
export function sshdActionGuarded(name: string, ops: readonly string[]): boolean {
  return SSHD_UNIT.test(name) && ops.some((o) => CUTTING.has(o));
}

/** The host and port of an `sshd -T` listenaddress entry ("0.0.0.0:22", "[::]:22"). */
function listenOf(entry: string): { host: string; port: string } | undefined {
  const m = /^\[?([^\]]*?)\]?:(\d+)(?:\s|$)/.exec(entry.trim());
  return m ? { host: m[1]!, port: m[2]! } : undefined;
}

/**
 * Why restarting/reloading/stopping sshd would refuse keel's own login, from SSHD_ACTION_CHECK's
 * output: the configuration on disk fails `sshd -t`, refuses the login (loginRefusal), or no
 * longer listens where keel connected; a stop always would. `viaSsh` false: keel did not come in
 * over SSH (a local connection), there is no login to protect and no new connection to prove.
 */
export function sshdActionRefusal(stdout: string, name: string, ops: readonly string[]): { viaSsh: boolean; refusal?: string } {
  const recs = parseRecords(stdout);
  const l = findRec(recs, "login");
  if (l?.get("ssh") !== "1") return { viaSsh: false };
  const refusal = refusalFor(recs, l, name, ops);
  return refusal ? { viaSsh: true, refusal } : { viaSsh: true };
}

function refusalFor(recs: Rec[], l: Rec, name: string, ops: readonly string[]): string | undefined {
  const login: Login = {
    ssh: true,
    user: l.get("user") ?? "",
    addr: l.get("addr") ?? "",
    groups: (l.get("groups") ?? "").split(/\s+/).filter(Boolean),
  };
  const who = `${login.user}@${login.addr}`;
  if (ops.some((o) => o === "stop" || o === "disable --now")) return `stopping ${name} refuses every new SSH login, and keel connects through it as ${who}`;
  if (!l.get("sshd")) return `sshd was not found on the host, so the configuration ${name} would load cannot be checked`;
  const test = findRec(recs, "cmd", "test");
  if (test?.int("rc") !== 0) return `\`sshd -t\` rejects the configuration on disk: ${(test?.get("err") ?? "").trim() || "no output"}`;
  const effRec = findRec(recs, "cmd", "effective");
  if (effRec?.int("rc") !== 0) return `\`sshd -T\` for keel's login (${who}) failed: ${(effRec?.get("err") ?? "").trim() || "no output"}`;
  const eff = parseEffective(effRec.get("out") ?? "");
  const refusal = loginRefusal(eff, login);
  if (refusal) return refusal;
  const listen = findRec(recs, "listen");
  const lport = listen?.get("lport") ?? "";
  const laddr = listen?.get("laddr") ?? "";
  const entries = (eff["listenaddress"] ?? []).map(listenOf).filter((x): x is { host: string; port: string } => x !== undefined);
  const wildcard = (h: string) => h === "0.0.0.0" || h === "::" || h === "*";
  if (lport && entries.length && !entries.some((e) => e.port === lport && (wildcard(e.host) || e.host === laddr)))
    return `sshd would listen on ${entries.map((e) => (e.host.includes(":") ? `[${e.host}]:${e.port}` : `${e.host}:${e.port}`)).join(", ")}, not on ${laddr}:${lport} where keel connects`;
  return undefined;
}
