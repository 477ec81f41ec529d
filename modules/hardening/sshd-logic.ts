// Pure logic of hardening.sshd_config: sshd keywords and how `sshd -T` prints them, comparing a
// wanted value with the effective one, the drop-in text, the Include check, and whether keel's
// own login survives a configuration (AllowUsers/DenyUsers/AllowGroups/DenyGroups patterns with
// user@host and CIDR, PermitRootLogin for root, PubkeyAuthentication, AuthenticationMethods).

/** The keywords keel manages, canonical spelling by lowercase name (as `sshd -T` prints them). */
export const SSHD_KEYWORDS: Record<string, string> = Object.fromEntries(
  [
    "AllowAgentForwarding",
    "AllowGroups",
    "AllowStreamLocalForwarding",
    "AllowTcpForwarding",
    "AllowUsers",
    "AuthenticationMethods",
    "Banner",
    "Ciphers",
    "ClientAliveCountMax",
    "ClientAliveInterval",
    "Compression",
    "DenyGroups",
    "DenyUsers",
    "DisableForwarding",
    "GatewayPorts",
    "GSSAPIAuthentication",
    "HostbasedAuthentication",
    "HostKeyAlgorithms",
    "IgnoreRhosts",
    "KbdInteractiveAuthentication",
    "KerberosAuthentication",
    "KexAlgorithms",
    "LoginGraceTime",
    "LogLevel",
    "MACs",
    "MaxAuthTries",
    "MaxSessions",
    "MaxStartups",
    "PasswordAuthentication",
    "PermitEmptyPasswords",
    "PermitRootLogin",
    "PermitTunnel",
    "PermitUserEnvironment",
    "PrintLastLog",
    "PrintMotd",
    "PubkeyAuthentication",
    "StrictModes",
    "TCPKeepAlive",
    "UseDNS",
    "UsePAM",
    "X11Forwarding",
  ].map((k) => [k.toLowerCase(), k]),
);

/** Keywords whose value is a list of entries (sshd -T prints one line per entry). */
const MULTI = new Set(["allowusers", "allowgroups", "denyusers", "denygroups"]);
/** Keywords compared case-sensitively (names and paths). */
const CASED = new Set([...MULTI, "banner"]);
/** Values sshd -T prints differently from how they are written. */
const ALIASES: Record<string, Record<string, string>> = {
  permitrootlogin: { "prohibit-password": "without-password" },
  allowtcpforwarding: { all: "yes" },
  allowstreamlocalforwarding: { all: "yes" },
};

export type SettingValue = string | number | boolean | string[];

/** The text a value takes in sshd_config: yes/no for booleans, lists joined (comma lists for algorithms, spaces for users). */
export function configText(key: string, v: SettingValue): string {
  if (typeof v === "boolean") return v ? "yes" : "no";
  if (Array.isArray(v)) return MULTI.has(key.toLowerCase()) ? v.join(" ") : v.join(",");
  return String(v);
}

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

export function wantedText(key: string, v: SettingValue): string {
  return normalise(key, configText(key, v)).join(" ");
}

/** The drop-in with `settings` set (one line each, replacing earlier lines for the same keyword). */
export function renderDropin(current: string | undefined, settings: Record<string, SettingValue>): string {
  const lines = (current ?? "").split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  const out =
    current === undefined || current === ""
      ? [
          "# Managed by keel (hardening.sshd_config). sshd reads the first value it finds for a keyword;",
          "# this file is included before the rest of sshd_config.",
        ]
      : [...lines];
  for (const [key, v] of Object.entries(settings)) {
    const canon = SSHD_KEYWORDS[key.toLowerCase()] ?? key;
    const line = `${canon} ${configText(key, v)}`;
    const idx = out.findIndex((l) => l.trim().split(/\s+/)[0]?.toLowerCase() === key.toLowerCase());
    if (idx >= 0) {
      out[idx] = line;
      for (let i = out.length - 1; i > idx; i--) if (out[i]!.trim().split(/\s+/)[0]?.toLowerCase() === key.toLowerCase()) out.splice(i, 1);
    } else out.push(line);
  }
  return `${out.join("\n")}\n`;
}

/** A glob as sshd's Include reads it (*, ?, [..]) → RegExp. */
function globRe(glob: string): RegExp {
  let re = "";
  for (const c of glob) re += c === "*" ? "[^/]*" : c === "?" ? "[^/]" : /[.+^${}()|\\]/.test(c) ? `\\${c}` : c;
  return new RegExp(`^${re}$`);
}

/** Whether the main config Includes `dropin` (relative Include paths are under /etc/ssh) outside any Match block. */
export function includes(mainText: string, dropin: string): boolean {
  for (const raw of mainText.split("\n")) {
    const line = raw.trim();
    if (/^match\s/i.test(line)) return false; // everything after a Match belongs to it
    const m = /^include\s+(.+)$/i.exec(line);
    if (!m) continue;
    for (const pat of m[1]!.split(/\s+/)) if (globRe(pat.startsWith("/") ? pat : `/etc/ssh/${pat}`).test(dropin)) return true;
  }
  return false;
}

/** The main config with an Include of the drop-in's folder as its first directive. */
export function withInclude(mainText: string, dropin: string): string {
  const dir = dropin.slice(0, dropin.lastIndexOf("/"));
  const lines = mainText.split("\n");
  let at = 0;
  while (at < lines.length && /^\s*(#|$)/.test(lines[at]!)) at++;
  lines.splice(at, 0, "# Added by keel (hardening.sshd_config): drop-ins come first, sshd keeps the first value it reads.", `Include ${dir}/*.conf`);
  return lines.join("\n");
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

/** The effective configuration with `settings` laid over it (what the drop-in would make effective). */
export function overlay(eff: Record<string, string[]>, settings: Record<string, SettingValue>): Record<string, string[]> {
  const out = { ...eff };
  for (const [k, v] of Object.entries(settings)) out[k.toLowerCase()] = normalise(k, configText(k, v));
  return out;
}
