// Pure parsing and matching of OpenSSH known_hosts files (sshd(8) "SSH_KNOWN_HOSTS FILE FORMAT").
// Supported: plain host patterns (comma lists, `*`/`?` wildcards, `!` negation), the `[host]:port`
// form for ports other than 22, hashed entries (`|1|salt|hash`, HMAC-SHA1 like OpenSSH), several
// key types per host, and `@revoked` (a revoked key is refused even when it also appears elsewhere).
// `@cert-authority` lines are skipped: keel does not verify host certificates, so a host known only
// through a CA counts as unknown and fails closed.
import { createHash, createHmac, randomBytes } from "node:crypto";

export interface KnownHostEntry {
  /** 1-based line number in the file. */
  line: number;
  marker?: "revoked" | "cert-authority";
  /** The raw host field: "a,b,[c]:2222" or "|1|salt|hash". */
  hosts: string;
  keyType: string;
  /** The key blob (SSH wire format), decoded from base64. */
  key: Buffer;
}

/** Parses known_hosts text. Malformed lines are skipped (OpenSSH does the same). */
export function parseKnownHosts(text: string): KnownHostEntry[] {
  const out: KnownHostEntry[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!.replace(/\r$/, "").trim();
    if (raw === "" || raw.startsWith("#")) continue;
    const fields = raw.split(/[ \t]+/);
    let marker: KnownHostEntry["marker"];
    if (fields[0]!.startsWith("@")) {
      const m = fields.shift()!;
      if (m === "@revoked") marker = "revoked";
      else if (m === "@cert-authority") marker = "cert-authority";
      else continue;
    }
    const [hosts, keyType, b64] = fields;
    if (!hosts || !keyType || !b64 || !/^[A-Za-z0-9+/]+=*$/.test(b64)) continue;
    const key = Buffer.from(b64, "base64");
    if (key.length === 0) continue;
    out.push({ line: i + 1, marker, hosts, keyType, key });
  }
  return out;
}

/** The name OpenSSH looks up: "host" on port 22, "[host]:port" otherwise; lowercased. */
export function hostLookupName(host: string, port: number): string {
  const h = host.toLowerCase();
  return port === 22 ? h : `[${h}]:${port}`;
}

/** OpenSSH-style glob: `*` any run, `?` one character; whole-string, case-insensitive. */
export function globMatch(pattern: string, s: string): boolean {
  const p = pattern.toLowerCase();
  const str = s.toLowerCase();
  // iterative wildcard matching with backtracking on the last `*`
  let pi = 0;
  let si = 0;
  let star = -1;
  let mark = 0;
  while (si < str.length) {
    if (pi < p.length && (p[pi] === "?" || p[pi] === str[si])) {
      pi++;
      si++;
    } else if (pi < p.length && p[pi] === "*") {
      star = pi++;
      mark = si;
    } else if (star >= 0) {
      pi = star + 1;
      si = ++mark;
    } else return false;
  }
  while (pi < p.length && p[pi] === "*") pi++;
  return pi === p.length;
}

/** Does the host field of an entry match the lookup name ("host" or "[host]:port")? */
export function hostFieldMatches(hosts: string, name: string): boolean {
  if (hosts.startsWith("|1|")) {
    const parts = hosts.split("|");
    // ["", "1", salt, hash]
    if (parts.length !== 4) return false;
    const salt = Buffer.from(parts[2]!, "base64");
    const want = Buffer.from(parts[3]!, "base64");
    const got = createHmac("sha1", salt).update(name).digest();
    return got.length === want.length && got.equals(want);
  }
  let positive = false;
  for (const pat of hosts.split(",")) {
    if (pat.startsWith("!")) {
      if (globMatch(pat.slice(1), name)) return false; // a negated match wins
    } else if (globMatch(pat, name)) positive = true;
  }
  return positive;
}

/** A hashed host field for `name`, as `ssh-keygen -H` writes it. */
export function hashHostName(name: string, salt: Buffer = randomBytes(20)): string {
  const hash = createHmac("sha1", salt).update(name).digest();
  return `|1|${salt.toString("base64")}|${hash.toString("base64")}`;
}

/** "SHA256:…" as `ssh-keygen -l` prints it. */
export function fingerprint(key: Buffer): string {
  return "SHA256:" + createHash("sha256").update(key).digest("base64").replace(/=+$/, "");
}

/** The key type named inside an SSH wire-format key blob ("ssh-ed25519", "ssh-rsa", …). */
export function keyBlobType(key: Buffer): string | undefined {
  if (key.length < 4) return undefined;
  const n = key.readUInt32BE(0);
  if (n <= 0 || n > 64 || key.length < 4 + n) return undefined;
  return key.subarray(4, 4 + n).toString("latin1");
}

export type HostKeyVerdict =
  | { status: "known"; entry: KnownHostEntry }
  | { status: "unknown" }
  | { status: "revoked"; entry: KnownHostEntry }
  /** Entries exist for this host but none has the offered key. */
  | { status: "mismatch"; entries: KnownHostEntry[] };

interface EntryIndex {
  /** Plain entries (literal names only: no wildcard, negation or hash) by each name they list, lowercased (names match case-insensitively). */
  byName: Map<string, { at: number; e: KnownHostEntry }[]>;
  /** Every other plain entry (hashed, patterns): matched one by one. */
  rest: { at: number; e: KnownHostEntry }[];
  revoked: KnownHostEntry[];
}

/**
 * Entries are indexed once per parsed file (the array is the file cache's), so each host's lookup
 * costs its own entries instead of a pass over the whole file: at hundreds of hosts the passes
 * were quadratic.
 */
const indexes = new WeakMap<KnownHostEntry[], EntryIndex>();

function indexOf(entries: KnownHostEntry[]): EntryIndex {
  let ix = indexes.get(entries);
  if (ix) return ix;
  ix = { byName: new Map(), rest: [], revoked: [] };
  entries.forEach((e, at) => {
    if (e.marker === "revoked") ix!.revoked.push(e);
    if (e.marker !== undefined) return;
    const names = e.hosts.split(",");
    if (e.hosts.startsWith("|") || names.some((n) => /[*?!]/.test(n))) return void ix!.rest.push({ at, e });
    for (const n of new Set(names.map((x) => x.toLowerCase()))) {
      const list = ix!.byName.get(n);
      if (list) list.push({ at, e });
      else ix!.byName.set(n, [{ at, e }]);
    }
  });
  indexes.set(entries, ix);
  return ix;
}

/** The plain (unmarked) entries whose host field matches `name`, in file order. */
export function entriesFor(entries: KnownHostEntry[], name: string): KnownHostEntry[] {
  const ix = indexOf(entries);
  const hits = [...(ix.byName.get(name.toLowerCase()) ?? []), ...ix.rest.filter((x) => hostFieldMatches(x.e.hosts, name))];
  return hits.sort((a, b) => a.at - b.at).map((x) => x.e);
}

/** Decides what the offered key means for `name` ("host" or "[host]:port"). */
export function checkHostKey(entries: KnownHostEntry[], name: string, offered: Buffer): HostKeyVerdict {
  const revoked = indexOf(entries).revoked.find((e) => e.key.equals(offered));
  if (revoked) return { status: "revoked", entry: revoked };
  const forHost = entriesFor(entries, name);
  const exact = forHost.find((e) => e.key.equals(offered));
  if (exact) return { status: "known", entry: exact };
  if (forHost.length === 0) return { status: "unknown" };
  // Prefer to report entries of the same key type: that is the key the server replaced.
  const type = keyBlobType(offered);
  const sameType = forHost.filter((e) => e.keyType === type);
  return { status: "mismatch", entries: sameType.length > 0 ? sameType : forHost };
}

/** The key types known for `name`, in file order, for ordering host key algorithms. */
export function knownKeyTypes(entries: KnownHostEntry[], name: string): string[] {
  const types: string[] = [];
  for (const e of entriesFor(entries, name)) if (!types.includes(e.keyType)) types.push(e.keyType);
  return types;
}

/** ssh2's default host key algorithm order. */
export const DEFAULT_HOST_KEY_ALGORITHMS = [
  "ssh-ed25519",
  "ecdsa-sha2-nistp256",
  "ecdsa-sha2-nistp384",
  "ecdsa-sha2-nistp521",
  "rsa-sha2-512",
  "rsa-sha2-256",
  "ssh-rsa",
];

/**
 * Host key algorithms with those matching already-known key types first, as OpenSSH does, so
 * that a host known by its RSA key is not reported as changed because it also has an ed25519 key.
 */
export function preferredHostKeyAlgorithms(knownTypes: string[]): string[] {
  const algsFor = (t: string): string[] => (t === "ssh-rsa" ? ["rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"] : [t]);
  const first: string[] = [];
  for (const t of knownTypes) for (const a of algsFor(t)) if (DEFAULT_HOST_KEY_ALGORITHMS.includes(a) && !first.includes(a)) first.push(a);
  return [...first, ...DEFAULT_HOST_KEY_ALGORITHMS.filter((a) => !first.includes(a))];
}

/** The line to append for a newly trusted key (plain form, like `ssh -o StrictHostKeyChecking=accept-new` without HashKnownHosts). */
export function formatKnownHostLine(name: string, key: Buffer): string {
  const type = keyBlobType(key) ?? "unknown";
  return `${name} ${type} ${key.toString("base64")}`;
}
