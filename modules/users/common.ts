// Pure helpers shared by the users.* modules: the tagged probe-output format, getent line parsers,
// and small formatting helpers. Nothing here touches a host.
//
// Probe output format: one record per line, `tag:rest`. A tag may repeat (e.g. `b64:` lines of a
// base64-encoded file, concatenated in order). Lines without a known tag are ignored, so a stray
// warning on stdout cannot corrupt the state.

/** Splits tagged probe output into tag → list of values, in order. */
export function parseTagged(stdout: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const raw of stdout.split("\n")) {
    const line = raw.replace(/\r$/, "");
    const i = line.indexOf(":");
    if (i <= 0) continue;
    const tag = line.slice(0, i);
    if (!/^[a-z0-9_]+$/.test(tag)) continue;
    const list = out.get(tag) ?? [];
    list.push(line.slice(i + 1));
    out.set(tag, list);
  }
  return out;
}

/** First value of a tag, or undefined. */
export function tagged1(t: Map<string, string[]>, tag: string): string | undefined {
  return t.get(tag)?.[0];
}

/** Decodes the concatenated `b64:` lines (or another tag) into UTF-8 text; undefined when absent. */
export function taggedBase64(t: Map<string, string[]>, tag = "b64"): string | undefined {
  const parts = t.get(tag);
  if (!parts) return undefined;
  return Buffer.from(parts.join(""), "base64").toString("utf8");
}

export interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
  comment: string;
  home: string;
  shell: string;
}

/** `name:x:uid:gid:gecos:home:shell` → entry; undefined for anything else. */
export function parsePasswdLine(line: string | undefined): PasswdEntry | undefined {
  if (!line) return undefined;
  const f = line.split(":");
  if (f.length < 7) return undefined;
  const uid = Number(f[2]);
  const gid = Number(f[3]);
  if (!Number.isInteger(uid) || !Number.isInteger(gid)) return undefined;
  return { name: f[0]!, uid, gid, comment: f[4]!, home: f[5]!, shell: f.slice(6).join(":") };
}

export interface GroupEntry {
  name: string;
  gid: number;
  members: string[];
}

/** `name:x:gid:m1,m2` → entry; undefined for anything else. */
export function parseGroupLine(line: string | undefined): GroupEntry | undefined {
  if (!line) return undefined;
  const f = line.split(":");
  if (f.length < 4) return undefined;
  const gid = Number(f[2]);
  if (f[2] === "" || !Number.isInteger(gid)) return undefined;
  return { name: f[0]!, gid, members: f[3] ? f[3].split(",").filter(Boolean) : [] };
}

export interface ShadowEntry {
  name: string;
  /** The password field as stored ("!" prefix when locked, "*" or "!" when no password). */
  hash: string;
  /** Field 8: account expiry in days since the epoch; null when empty (never expires). */
  expireDays: number | null;
}

/** `name:hash:lastchg:min:max:warn:inactive:expire:reserved` → entry. */
export function parseShadowLine(line: string | undefined): ShadowEntry | undefined {
  if (!line) return undefined;
  const f = line.split(":");
  if (f.length < 8) return undefined;
  const exp = f[7]!;
  return { name: f[0]!, hash: f[1]!, expireDays: exp === "" ? null : Number(exp) };
}

/** `stat -c '%a:%U:%G'` → {mode "0700", owner, group}; undefined when absent. */
export interface StatInfo {
  mode: string;
  owner: string;
  group: string;
}

export function parseStat(v: string | undefined): StatInfo | undefined {
  if (!v) return undefined;
  const [mode, owner, group] = v.split(":");
  if (!mode || !/^[0-7]+$/.test(mode) || owner === undefined || group === undefined) return undefined;
  return { mode: normMode(mode), owner, group };
}

/** "700" / "0700" / "00700" → "0700". */
export function normMode(m: string): string {
  const s = m.replace(/^0+/, "");
  return s.padStart(4, "0");
}

/** A list argument that Ansible also accepts as a comma-separated string. */
export function listArg(v: string | string[] | undefined): string[] | undefined {
  if (v === undefined) return undefined;
  const arr = Array.isArray(v) ? v : String(v).split(",");
  return arr.map((s) => String(s).trim()).filter((s) => s !== "");
}
