// Pure parsing of OpenSSH authorized_keys lines: [options] type base64-body [comment].
// Keys are identified by (type, body): a comment change is not drift, an options change is.
import { createHash } from "node:crypto";

export interface SshKey {
  /** Options as written, e.g. `from="10.0.0.0/8",no-pty`; "" when none. */
  options: string;
  type: string;
  body: string;
  comment: string;
}

const KNOWN_TYPE = /^(ssh-(rsa|dss|ed25519|xmss)|ecdsa-sha2-nistp(256|384|521)|sk-(ssh-ed25519|ecdsa-sha2-nistp256)@openssh\.com)(-cert-v01@openssh\.com)?$/;
const BASE64 = /^[A-Za-z0-9+/]+={0,3}$/;

/** Parses one authorized_keys line; undefined for blank lines, comments and anything that is not a key. */
export function parseKeyLine(line: string): SshKey | undefined {
  const s = line.trim();
  if (s === "" || s.startsWith("#")) return undefined;
  const direct = splitKey(s);
  if (direct) return { options: "", ...direct };
  // Options come first and end at the first whitespace outside double quotes.
  let i = 0;
  let quoted = false;
  for (; i < s.length; i++) {
    const ch = s[i]!;
    if (ch === "\\" && quoted) i++;
    else if (ch === '"') quoted = !quoted;
    else if (!quoted && (ch === " " || ch === "\t")) break;
  }
  if (quoted || i >= s.length) return undefined;
  const rest = splitKey(s.slice(i).trim());
  return rest ? { options: s.slice(0, i), ...rest } : undefined;
}

function splitKey(s: string): Omit<SshKey, "options"> | undefined {
  const m = /^(\S+)\s+(\S+)(?:\s+(.*))?$/.exec(s);
  if (!m) return undefined;
  const [, type, body, comment] = m;
  if (!BASE64.test(body!)) return undefined;
  // A type we do not know is accepted when the body really decodes to a key blob naming that type.
  if (!KNOWN_TYPE.test(type!) && blobType(body!) !== type) return undefined;
  return { type: type!, body: body!, comment: (comment ?? "").trim() };
}

/** The key type written at the start of a key blob (uint32 length + name). */
function blobType(body: string): string | undefined {
  const b = Buffer.from(body, "base64");
  if (b.length < 4) return undefined;
  const n = b.readUInt32BE(0);
  if (n <= 0 || n > 64 || b.length < 4 + n) return undefined;
  return b.subarray(4, 4 + n).toString("latin1");
}

export function formatKey(k: SshKey): string {
  return `${k.options ? `${k.options} ` : ""}${k.type} ${k.body}${k.comment ? ` ${k.comment}` : ""}`;
}

/** Identity of a key for comparison: type and body only. */
export function keyId(k: SshKey): string {
  return `${k.type} ${k.body}`;
}

/** OpenSSH-style fingerprint: "SHA256:" + unpadded base64 of sha256 of the blob. */
export function fingerprint(k: SshKey): string {
  const h = createHash("sha256").update(Buffer.from(k.body, "base64")).digest("base64");
  return `SHA256:${h.replace(/=+$/, "")}`;
}

/** "ssh-ed25519 SHA256:… (alice@laptop)" for change summaries. */
export function describeKey(k: SshKey): string {
  return `${k.type} ${fingerprint(k)}${k.comment ? ` (${k.comment})` : ""}`;
}
