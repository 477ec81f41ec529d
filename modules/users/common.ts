// Pure helpers shared by the users.* modules: getent line parsers and small formatting helpers.
// Nothing here touches a host. Probes print records (engine/core/record.ts) with the shared snippets.

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
  /** Fields 4 and 5, minimum and maximum password age in days, as Python's spwd gives them: -1 when empty. */
  minDays: number;
  maxDays: number;
}

/** `name:hash:lastchg:min:max:warn:inactive:expire:reserved` → entry. */
export function parseShadowLine(line: string | undefined): ShadowEntry | undefined {
  if (!line) return undefined;
  const f = line.split(":");
  if (f.length < 8) return undefined;
  const exp = f[7]!;
  const days = (v: string | undefined) => (v === undefined || v === "" ? -1 : Number(v));
  return { name: f[0]!, hash: f[1]!, expireDays: exp === "" ? null : Number(exp), minDays: days(f[3]), maxDays: days(f[4]) };
}

/** mode ("0700"), owner and group of a path, from the stat snippet (engine/core/snippets.ts). */
export interface StatInfo {
  mode: string;
  owner: string;
  group: string;
}

/** A list argument that Ansible also accepts as a comma-separated string. */
export function listArg(v: string | string[] | undefined): string[] | undefined {
  if (v === undefined) return undefined;
  const arr = Array.isArray(v) ? v : String(v).split(",");
  return arr.map((s) => String(s).trim()).filter((s) => s !== "");
}
