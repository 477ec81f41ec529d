// Ansible Vault's file format (versions 1.1 and 1.2, cipher AES256), with node:crypto only:
//
//   $ANSIBLE_VAULT;1.1;AES256            (1.2 adds ";<vault id>")
//   <hex of: hex(salt) "\n" hex(hmac) "\n" hex(ciphertext)>, in lines of 80 characters
//
// key material = PBKDF2-HMAC-SHA256(password, salt (32 random bytes), 10000 iterations, 80 bytes):
// bytes 0-31 the AES-256 key, 32-63 the HMAC-SHA256 key, 64-79 the CTR initial counter. The
// plaintext is PKCS#7 padded to 16 bytes (as Ansible does, even though CTR needs no padding), then
// AES-256-CTR encrypted; the HMAC covers the ciphertext. This is ansible/parsing/vault's VaultAES256.
import { createCipheriv, createDecipheriv, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from "node:crypto";

export const VAULT_HEADER = "$ANSIBLE_VAULT";
export const DEFAULT_VAULT_ID = "default";
const ITERATIONS = 10000;
const KEY_LEN = 32;
const IV_LEN = 16;

/** The envelope of a vaulted text: header fields and the hex body (line breaks removed). */
export interface VaultEnvelope {
  version: string;
  cipher: string;
  /** The 1.2 header's vault id; undefined for 1.1. */
  vaultId?: string;
  body: string;
}

/** A malformed vault text (not a wrong password): the message says what is wrong. */
export class VaultFormatError extends Error {}

/** True when the text is Ansible Vault data (it starts with the header). */
export function isVaultText(text: string): boolean {
  return text.trimStart().startsWith(VAULT_HEADER);
}

export function parseEnvelope(text: string): VaultEnvelope {
  const lines = text
    .trim()
    .split(/\r?\n/)
    .map((l) => l.trim());
  const header = lines[0]!.split(";").map((p) => p.trim());
  if (header[0] !== VAULT_HEADER || header.length < 3) throw new VaultFormatError(`bad vault header '${lines[0]}'`);
  const [, version, cipher, vaultId] = header as [string, string, string, string | undefined];
  if (version !== "1.1" && version !== "1.2") throw new VaultFormatError(`vault format version ${version} is not supported (keel reads 1.1 and 1.2)`);
  if (cipher !== "AES256") throw new VaultFormatError(`vault cipher ${cipher} is not supported (keel reads AES256)`);
  const body = lines.slice(1).join("");
  if (!/^(?:[0-9a-fA-F]{2})+$/.test(body)) throw new VaultFormatError("the vault body is not hexadecimal");
  const env: VaultEnvelope = { version, cipher, body };
  if (vaultId !== undefined && vaultId !== "") env.vaultId = vaultId;
  return env;
}

function deriveKeys(password: Buffer, salt: Buffer): { key: Buffer; hmacKey: Buffer; iv: Buffer } {
  const m = pbkdf2Sync(password, salt, ITERATIONS, 2 * KEY_LEN + IV_LEN, "sha256");
  return { key: m.subarray(0, KEY_LEN), hmacKey: m.subarray(KEY_LEN, 2 * KEY_LEN), iv: m.subarray(2 * KEY_LEN) };
}

/**
 * Decrypt an envelope's body with one password. Returns undefined when the password does not fit
 * (the HMAC differs); throws VaultFormatError when the body is malformed.
 */
export function decryptBody(body: string, password: Buffer): Buffer | undefined {
  const inner = Buffer.from(body, "hex").toString("latin1").split("\n");
  if (inner.length !== 3 || !inner.every((p) => /^(?:[0-9a-fA-F]{2})+$/.test(p)))
    throw new VaultFormatError("the vault body does not hold salt, HMAC and ciphertext");
  const [saltHex, hmacHex, ctHex] = inner as [string, string, string];
  const salt = Buffer.from(saltHex, "hex");
  const mac = Buffer.from(hmacHex, "hex");
  const ct = Buffer.from(ctHex, "hex");
  const { key, hmacKey, iv } = deriveKeys(password, salt);
  const want = createHmac("sha256", hmacKey).update(ct).digest();
  if (mac.length !== want.length || !timingSafeEqual(mac, want)) return undefined;
  const d = createDecipheriv("aes-256-ctr", key, iv);
  const padded = Buffer.concat([d.update(ct), d.final()]);
  const pad = padded[padded.length - 1] ?? 0;
  if (pad < 1 || pad > 16 || pad > padded.length || !padded.subarray(padded.length - pad).every((b) => b === pad)) {
    throw new VaultFormatError("bad padding after decryption");
  }
  return padded.subarray(0, padded.length - pad);
}

/** Encrypt into a complete vault text (header, 80-column lines, final newline), as ansible-vault writes it. */
export function encryptVault(plaintext: Buffer, password: Buffer, vaultId: string = DEFAULT_VAULT_ID, salt: Buffer = randomBytes(32)): string {
  const { key, hmacKey, iv } = deriveKeys(password, salt);
  const pad = 16 - (plaintext.length % 16);
  const c = createCipheriv("aes-256-ctr", key, iv);
  const ct = Buffer.concat([c.update(Buffer.concat([plaintext, Buffer.alloc(pad, pad)])), c.final()]);
  const mac = createHmac("sha256", hmacKey).update(ct).digest("hex");
  const body = Buffer.from([salt.toString("hex"), mac, ct.toString("hex")].join("\n"), "latin1").toString("hex");
  // a vault id other than "default" makes it format 1.2 (ansible's format_vaulttext_envelope)
  const header = vaultId && vaultId !== DEFAULT_VAULT_ID ? `${VAULT_HEADER};1.2;AES256;${vaultId}` : `${VAULT_HEADER};1.1;AES256`;
  const lines = [header];
  for (let i = 0; i < body.length; i += 80) lines.push(body.slice(i, i + 80));
  return lines.join("\n") + "\n";
}
