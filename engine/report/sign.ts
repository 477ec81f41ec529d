// Detached Ed25519 signatures over report files (node:crypto only), so an auditor can check that a
// report came unmodified from whoever holds the key. The signature file is JSON: who signed, when,
// with which key (its SHA256 fingerprint, as `ssh-keygen -l` prints it), and the sha256 and size of
// the exact report bytes. The signature covers all of that, so neither the report nor the
// signer/time can be edited without verification failing.
//
// Keys: a PKCS#8 PEM private key or an unencrypted OpenSSH ed25519 private key; a SPKI PEM public
// key or an OpenSSH `ssh-ed25519 AAAA… comment` line. `keygen` writes a PEM private key and an
// OpenSSH public line.
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from "node:crypto";
import { InputError } from "../core/errors.js";

export const SIGNATURE_FORMAT = "keel-signature/v1";

export interface SignatureFile {
  format: typeof SIGNATURE_FORMAT;
  algorithm: "ed25519";
  signer: string;
  /** "SHA256:…" of the public key, as `ssh-keygen -l` shows it. */
  key_fingerprint: string;
  signed_at: string;
  subject: { name: string; sha256: string; size: number; kind?: string; format?: string; profile?: string; started_at?: string };
  /**
   * base64 Ed25519 signature over the report's exact bytes alone, so that openssl can check a report
   * without keel: `openssl pkeyutl -verify -pubin -inkey K.pub.pem -rawin -in REPORT -sigfile SIG.bin`
   * (SIG.bin: this field, base64-decoded). Covered by `signature` like every other field.
   */
  report_signature?: string;
  /** base64 Ed25519 signature over the canonical form of every other field. */
  signature: string;
}

export interface LoadedKey {
  key: KeyObject;
  /** The OpenSSH key comment, when the key had one. */
  comment?: string;
}

const SPKI_PREFIX = Buffer.from("302a300506032b6570032100", "hex");
const PKCS8_PREFIX = Buffer.from("302e020100300506032b657004220420", "hex");

/** Parse a private key (PKCS#8 PEM or unencrypted OpenSSH). `source` names it in errors. */
export function loadPrivateKey(text: string, source: string): LoadedKey {
  if (text.includes("BEGIN OPENSSH PRIVATE KEY")) return openSshPrivate(text, source);
  let key: KeyObject;
  try {
    key = createPrivateKey(text);
  } catch (e) {
    throw new InputError(
      `${source} is not a private key: ${(e as Error).message}`,
      undefined,
      "use an Ed25519 key: `keel report keygen --out KEY` or `ssh-keygen -t ed25519 -N '' -f KEY`",
    );
  }
  if (key.asymmetricKeyType !== "ed25519")
    throw new InputError(`${source} is a ${key.asymmetricKeyType} key; report signatures use Ed25519`, undefined, "`keel report keygen --out KEY` makes one");
  return { key };
}

/** Parse a public key (SPKI PEM or an OpenSSH ssh-ed25519 line). */
export function loadPublicKey(text: string, source: string): LoadedKey {
  const line = text.split(/\r?\n/).find((l) => l.trim().startsWith("ssh-"));
  if (line && !text.includes("BEGIN")) {
    const [type, b64, ...rest] = line.trim().split(/\s+/);
    if (type !== "ssh-ed25519" || !b64) throw new InputError(`${source}: a ${type} key; report signatures use Ed25519`, undefined, "use an ssh-ed25519 key");
    const blob = Buffer.from(b64, "base64");
    const r = reader(blob, source);
    if (r.str().toString() !== "ssh-ed25519") throw new InputError(`${source}: malformed ssh-ed25519 key`);
    const raw = r.str();
    return {
      key: createPublicKey({ key: Buffer.concat([SPKI_PREFIX, raw]), format: "der", type: "spki" }),
      ...(rest.length ? { comment: rest.join(" ") } : {}),
    };
  }
  let key: KeyObject;
  try {
    key = createPublicKey(text);
  } catch (e) {
    throw new InputError(
      `${source} is not a public key: ${(e as Error).message}`,
      undefined,
      "pass the .pub file written by `keel report keygen` (or ssh-keygen), or a PEM public key",
    );
  }
  if (key.asymmetricKeyType !== "ed25519") throw new InputError(`${source} is a ${key.asymmetricKeyType} key; report signatures use Ed25519`);
  return { key };
}

/** The raw 32-byte public key. */
function rawPublic(key: KeyObject): Buffer {
  const pub = key.type === "private" ? createPublicKey(key) : key;
  return pub.export({ format: "der", type: "spki" }).subarray(SPKI_PREFIX.length);
}

/** "SHA256:…" over the OpenSSH wire form of the key: the same string `ssh-keygen -l` prints. */
export function fingerprint(key: KeyObject): string {
  const blob = Buffer.concat([sshString(Buffer.from("ssh-ed25519")), sshString(rawPublic(key))]);
  return `SHA256:${createHash("sha256").update(blob).digest("base64").replace(/=+$/, "")}`;
}

/** "ssh-ed25519 AAAA… comment" for a key. */
export function openSshPublicLine(key: KeyObject, comment?: string): string {
  const blob = Buffer.concat([sshString(Buffer.from("ssh-ed25519")), sshString(rawPublic(key))]);
  return `ssh-ed25519 ${blob.toString("base64")}${comment ? ` ${comment}` : ""}`;
}

export function keygen(comment?: string): { privatePem: string; publicLine: string; publicPem: string; fingerprint: string } {
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  return {
    privatePem: privateKey.export({ format: "pem", type: "pkcs8" }).toString(),
    publicLine: openSshPublicLine(publicKey, comment) + "\n",
    publicPem: publicKey.export({ format: "pem", type: "spki" }).toString(),
    fingerprint: fingerprint(publicKey),
  };
}

/** The exact bytes signed: a fixed prefix and the signature file's fields in canonical JSON. */
function payload(s: Omit<SignatureFile, "signature">): Buffer {
  return Buffer.from(`${SIGNATURE_FORMAT}\n${canonical(s)}`);
}

function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(",")}]`;
  if (v && typeof v === "object")
    return `{${Object.keys(v as object)
      .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
      .join(",")}}`;
  return JSON.stringify(v);
}

/**
 * Sign a report's bytes (any format). `meta` says what the bytes are when they are not a JSON
 * report that says so itself (text, HTML, SARIF…: kind, format, profile, start).
 */
export function signReport(
  report: Buffer,
  name: string,
  key: LoadedKey,
  o: { signer?: string; now: Date; meta?: { kind?: string; format?: string; profile?: string; started_at?: string } },
): SignatureFile {
  const meta = { ...reportMeta(report), ...(o.meta ?? {}) };
  const body: Omit<SignatureFile, "signature"> = {
    format: SIGNATURE_FORMAT,
    algorithm: "ed25519",
    signer: o.signer ?? key.comment ?? fingerprint(key.key),
    key_fingerprint: fingerprint(key.key),
    signed_at: o.now.toISOString(),
    subject: { name, sha256: createHash("sha256").update(report).digest("hex"), size: report.length, ...meta },
    report_signature: sign(null, report, key.key).toString("base64"),
  };
  return { ...body, signature: sign(null, payload(body), key.key).toString("base64") };
}

export type Verification = { ok: true; sig: SignatureFile } | { ok: false; reason: string; sig?: SignatureFile };

/** Checks a report's bytes against a signature file and a public key. Never throws for a bad signature. */
export function verifyReport(report: Buffer, sigText: string, pub: LoadedKey): Verification {
  let sig: SignatureFile;
  try {
    sig = JSON.parse(sigText) as SignatureFile;
  } catch {
    return { ok: false, reason: "the signature file is not JSON (expected a keel-signature/v1 file)" };
  }
  if (!sig || sig.format !== SIGNATURE_FORMAT || sig.algorithm !== "ed25519" || typeof sig.signature !== "string" || !sig.subject) {
    return { ok: false, reason: `the signature file is not a ${SIGNATURE_FORMAT} ed25519 signature` };
  }
  const fp = fingerprint(pub.key);
  if (sig.key_fingerprint !== fp) return { ok: false, sig, reason: `signed with key ${sig.key_fingerprint}, not with the given key ${fp}` };
  const { signature, ...body } = sig;
  let good = false;
  try {
    good = verify(null, payload(body), pub.key, Buffer.from(signature, "base64"));
  } catch {
    good = false;
  }
  if (!good) return { ok: false, sig, reason: "the signature does not match its signed fields (the signature file was edited, or made with another key)" };
  const sha = createHash("sha256").update(report).digest("hex");
  if (sha !== sig.subject.sha256 || report.length !== sig.subject.size) {
    return {
      ok: false,
      sig,
      reason: `the report was modified after signing: sha256 ${sha} (${report.length} bytes), signed ${sig.subject.sha256} (${sig.subject.size} bytes)`,
    };
  }
  if (sig.report_signature !== undefined) {
    let raw = false;
    try {
      raw = verify(null, report, pub.key, Buffer.from(sig.report_signature, "base64"));
    } catch {
      raw = false;
    }
    if (!raw) return { ok: false, sig, reason: "the signature over the report's bytes does not match (report_signature)" };
  }
  return { ok: true, sig };
}

/** What a signature says of a JSON report (kind, profile, start), when the bytes are one. */
function reportMeta(report: Buffer): { kind?: string; profile?: string; started_at?: string } {
  try {
    const r = JSON.parse(report.toString("utf8")) as { kind?: unknown; profile?: { name?: unknown }; started_at?: unknown; generated_at?: unknown };
    const out: { kind?: string; profile?: string; started_at?: string } = {};
    if (typeof r.kind === "string") out.kind = r.kind;
    if (typeof r.profile?.name === "string") out.profile = r.profile.name;
    const t = r.started_at ?? r.generated_at;
    if (typeof t === "string") out.started_at = t;
    return out;
  } catch {
    return {};
  }
}

// ---------------------------------------------------------------------------------------------
// OpenSSH key files (PROTOCOL.key): "openssh-key-v1\0", cipher, kdf, kdf options, keys.

function openSshPrivate(text: string, source: string): LoadedKey {
  const b64 = text.replace(/-----(BEGIN|END) OPENSSH PRIVATE KEY-----/g, "").replace(/\s+/g, "");
  const buf = Buffer.from(b64, "base64");
  const magic = Buffer.from("openssh-key-v1\0");
  if (!buf.subarray(0, magic.length).equals(magic)) throw new InputError(`${source}: not an OpenSSH private key`);
  const r = reader(buf.subarray(magic.length), source);
  const cipher = r.str().toString();
  r.str(); // kdf name
  r.str(); // kdf options
  if (cipher !== "none")
    throw new InputError(
      `${source} is encrypted (${cipher}); keel reads unencrypted keys only`,
      undefined,
      "sign from CI with a key kept in a secret store, or export one: `keel report keygen --out KEY`",
    );
  if (r.u32() !== 1) throw new InputError(`${source}: expected exactly one key`);
  r.str(); // public key blob
  const p = reader(r.str(), source);
  if (p.u32() !== p.u32()) throw new InputError(`${source}: corrupt private key (check bytes differ)`);
  const type = p.str().toString();
  if (type !== "ssh-ed25519")
    throw new InputError(`${source} is a ${type} key; report signatures use Ed25519`, undefined, "`ssh-keygen -t ed25519` or `keel report keygen`");
  p.str(); // public
  const priv = p.str(); // seed (32) + public (32)
  const comment = p.str().toString();
  const key = createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, priv.subarray(0, 32)]), format: "der", type: "pkcs8" });
  return { key, ...(comment ? { comment } : {}) };
}

function reader(buf: Buffer, source: string): { u32(): number; str(): Buffer } {
  let off = 0;
  const need = (n: number) => {
    if (off + n > buf.length) throw new InputError(`${source}: truncated key`);
  };
  return {
    u32() {
      need(4);
      const v = buf.readUInt32BE(off);
      off += 4;
      return v;
    },
    str() {
      need(4);
      const n = buf.readUInt32BE(off);
      off += 4;
      need(n);
      const s = buf.subarray(off, off + n);
      off += n;
      return s;
    },
  };
}

function sshString(b: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(b.length);
  return Buffer.concat([len, b]);
}
