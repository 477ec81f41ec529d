// Pure logic of hardening.sshd_config: sshd keywords and how `sshd -T` prints them, comparing a
// wanted value with the effective one, the drop-in text, the Include check, and whether keel's
// own login survives a configuration (AllowUsers/DenyUsers/AllowGroups/DenyGroups patterns with
// user@host and CIDR, PermitRootLogin for root, PubkeyAuthentication, AuthenticationMethods).

import { MULTI, normalise } from "../../engine/core/sshd-access.js";
// keel's login and how sshd -T prints values are shared with services.service: engine/core/sshd-access.ts.
export { effectiveText, loginRefusal, normalise, parseEffective, userEntryMatches, type Login } from "../../engine/core/sshd-access.js";

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

export type SettingValue = string | number | boolean | string[];

/** The text a value takes in sshd_config: yes/no for booleans, lists joined (comma lists for algorithms, spaces for users). */
export function configText(key: string, v: SettingValue): string {
  if (typeof v === "boolean") return v ? "yes" : "no";
  if (Array.isArray(v)) return MULTI.has(key.toLowerCase()) ? v.join(" ") : v.join(",");
  return String(v);
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

/** The effective configuration with `settings` laid over it (what the drop-in would make effective). */
export function overlay(eff: Record<string, string[]>, settings: Record<string, SettingValue>): Record<string, string[]> {
  const out = { ...eff };
  for (const [k, v] of Object.entries(settings)) out[k.toLowerCase()] = normalise(k, configText(k, v));
  return out;
}
