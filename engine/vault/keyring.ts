// The vault passwords of this run (--vault-id, --vault-password-file, --ask-vault-pass, ansible.cfg's
// vault_password_file), and decryption with them. The CLI sets the keyring once, before anything is
// loaded; the loaders (engine/core/yaml.ts, engine/inventory) decrypt through it. Without a keyring
// a vaulted file or value stays a load error: ciphertext is never used as text.
import type { SourcePos } from "../core/errors.js";
import { InputError } from "../core/errors.js";
import { noteTaint, registerSecret } from "../core/secrets.js";
import { DEFAULT_VAULT_ID, VAULT_HEADER, VaultFormatError, decryptBody, encryptVault, parseEnvelope } from "./format.js";

export interface VaultSecret {
  /** The vault id (label): "default" unless given as --vault-id label@source. */
  id: string;
  password: Buffer;
  /** Where it came from ("prompt", a file), for messages; never the password. */
  source: string;
}

let keyring: readonly VaultSecret[] = [];
const VAULT_PREFIX = Buffer.from(`${VAULT_HEADER};`);

/** Set the passwords of this run (engine/cli only). */
export function setVaultSecrets(secrets: readonly VaultSecret[]): void {
  keyring = [...secrets];
}

export function vaultSecrets(): readonly VaultSecret[] {
  return keyring;
}

export const NO_PASSWORD_HINT =
  "give the vault password: --vault-password-file FILE, --vault-id [label@]FILE|prompt, --ask-vault-pass, or vault_password_file in ansible.cfg (ANSIBLE_VAULT_PASSWORD_FILE)";

/**
 * Decrypt a vault text with the given passwords: the ones whose id matches the envelope's vault id
 * first, then the others (Ansible's default, vault_id_match = False). Returns the plaintext and the
 * id of the password that fitted. Throws InputError (at `pos`) when none fits or the text is bad.
 */
export function decryptWith(
  secrets: readonly VaultSecret[],
  text: string,
  what: string,
  pos?: SourcePos,
  sourceLine?: string,
): { plaintext: Buffer; id: string } {
  let env;
  try {
    env = parseEnvelope(text);
  } catch (e) {
    if (e instanceof VaultFormatError)
      throw new InputError(
        `${what}: vault format error: ${e.message}`,
        pos,
        "the vaulted text was damaged (a line cut or re-wrapped?); encrypt it again",
        sourceLine,
      );
    throw e;
  }
  if (secrets.length === 0) throw new InputError(`${what} is encrypted with ansible-vault, and keel has no vault password`, pos, NO_PASSWORD_HINT, sourceLine);
  const wanted = env.vaultId ?? DEFAULT_VAULT_ID;
  const order = [...secrets.filter((s) => s.id === wanted), ...secrets.filter((s) => s.id !== wanted)];
  for (const s of order) {
    let plain: Buffer | undefined;
    try {
      plain = decryptBody(env.body, s.password);
    } catch (e) {
      if (e instanceof VaultFormatError)
        throw new InputError(`${what}: vault format error: ${e.message}`, pos, "the vaulted text was damaged; encrypt it again", sourceLine);
      throw e;
    }
    if (plain) return { plaintext: plain, id: s.id };
  }
  const ids = [...new Set(secrets.map((s) => s.id))].join(", ");
  throw new InputError(
    `${what}: decryption failed: none of the vault passwords given (vault ids: ${ids}) fits${env.vaultId ? ` (it was encrypted with vault id '${env.vaultId}')` : ""}`,
    pos,
    "check the password file or give the right one with --vault-id LABEL@FILE",
    sourceLine,
  );
}

/**
 * A vaulted file of the loaders: its plaintext (UTF-8). The caller registers the values it finds
 * in it as secrets (see registerPlainValues).
 */
export function decryptVaultFile(text: string, file: string): string {
  const first = text.split(/\r?\n/)[0];
  const { plaintext } = decryptWith(keyring, text, "this file", { file, line: 1, col: 1 }, first);
  return plaintext.toString("utf8");
}

/** An inline `!vault |` value: its plaintext, registered as a secret (masked in every output). */
export function decryptVaultValue(text: string, pos: SourcePos, sourceLine?: string): string {
  const { plaintext } = decryptWith(keyring, text, "vaulted value (!vault)", pos, sourceLine);
  const s = plaintext.toString("utf8");
  registerSecret(s);
  return s;
}

/** Encrypt with one secret, in ansible-vault's layout (1.2 with the id unless it is "default"). */
export function encryptWith(secret: VaultSecret, plaintext: Buffer): string {
  return encryptVault(plaintext, secret.password, secret.id);
}

const decryptedFiles = new WeakMap<Buffer, Buffer>();

/**
 * A controller file that a module sends to hosts (copy's and unarchive's src, a template): when it is
 * an ansible-vault file, its plaintext, as Ansible's copy (decrypt: yes) and template read it; else
 * the bytes unchanged. The plaintext is a secret: the task is masked whole, the text elsewhere. The
 * same cached bytes decrypt once for all hosts. No password, or a wrong one, is an InputError at `pos`.
 */
export function decryptLocalFile(bytes: Buffer, file: string, pos?: SourcePos): Buffer {
  if (!bytes.subarray(0, VAULT_PREFIX.length).equals(VAULT_PREFIX)) return bytes;
  let plain = decryptedFiles.get(bytes);
  if (!plain) {
    plain = decryptWith(keyring, bytes.toString("utf8"), `file ${file}`, pos).plaintext;
    decryptedFiles.set(bytes, plain);
  }
  // the task sending it is masked whole (captureVault in engine/run/pipeline.ts); the text is masked
  // wherever else it shows whole (a later `cat`). Not line by line: a vaulted config file's lines
  // ("[client]") are not secrets one by one. A binary plaintext (an archive) never shows as text.
  noteTaint();
  const text = plain.toString("utf8");
  if (!text.includes("\uFFFD") && !text.includes("\0")) registerSecret(text, false);
  return plain;
}
