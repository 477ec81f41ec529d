// Whether a role's stored password differs from the one a task gives, decided as
// community.postgresql's postgresql_user (user_should_we_change_password) decides it, without ever
// needing the clear text on the host:
//   - ''                     : the role must have no password (changes when it has one);
//   - a SCRAM-SHA-256 verifier given as the password: compared as text;
//   - stored SCRAM verifier  : the given password is salted with the stored salt and iteration
//                              count (PBKDF2-HMAC-SHA-256) and its ServerKey compared (RFC 5802);
//   - an md5 hash given ("md5" + 32 hex), or encrypted false: compared as text;
//   - otherwise              : md5(password + role name), as PostgreSQL stores md5 passwords.
// Ansible normalizes the password with SASLprep before salting it; keel applies its Unicode part,
// NFKC normalization, which is the whole of SASLprep for passwords without control or unassigned
// characters (every ASCII password).
import { createHash, createHmac, pbkdf2Sync } from "node:crypto";

export const SCRAM_SHA256 = /^SCRAM-SHA-256\$(\d+):([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]+):([A-Za-z0-9+/=]+)$/;

/** The md5 form PostgreSQL stores: "md5" + md5(password + user). */
export function pgMd5(password: string, user: string): string {
  return `md5${createHash("md5")
    .update(Buffer.from(password + user, "utf8"))
    .digest("hex")}`;
}

/** True when the given password matches the stored SCRAM-SHA-256 verifier. */
export function scramMatches(password: string, stored: string): boolean {
  const m = SCRAM_SHA256.exec(stored);
  if (!m) return false;
  const iterations = Number(m[1]);
  const salt = Buffer.from(m[2]!, "base64");
  const serverKey = Buffer.from(m[4]!, "base64");
  const salted = pbkdf2Sync(Buffer.from(password.normalize("NFKC"), "utf8"), salt, iterations, 32, "sha256");
  const verifier = createHmac("sha256", salted).update("Server Key").digest();
  return verifier.equals(serverKey);
}

/**
 * Whether the password must be set. `stored` is pg_authid.rolpassword (null: none), `encrypted` the
 * task's encrypted flag (default true).
 */
export function passwordChanges(stored: string | null, user: string, password: string, encrypted = true): boolean {
  if (password === "") return stored !== null;
  if (SCRAM_SHA256.test(password)) return password !== stored;
  if (stored !== null && SCRAM_SHA256.test(stored)) return !scramMatches(password, stored);
  if ((password.startsWith("md5") && password.length === 35) || !encrypted) return password !== stored;
  return pgMd5(password, user) !== stored;
}
