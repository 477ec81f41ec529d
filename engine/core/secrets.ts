// Secret values known to this process: decrypted Ansible Vault values (engine/vault), passwords
// given at prompts. Every output, report, log and history entry is scrubbed of them, and a task
// result that carries one is masked whole, as a no_log result is (engine/run, engine/cli).
//
// A secret of MIN_SUBSTRING characters or more is masked wherever it occurs inside a string; a
// shorter one (a vaulted "22" or "yes") only where a whole string equals it, since masking every
// "22" inside every output would hide everything and protect nothing.
export const MASK = "(secret)";
export const MIN_SUBSTRING = 4;

const known = new Set<string>();
let sorted: string[] | undefined;

/** Remember a secret value (empty and whitespace-only strings are not secrets). */
export function registerSecret(value: string): void {
  if (value.trim() === "") return;
  if (known.has(value)) return;
  known.add(value);
  sorted = undefined;
  // a multi-line secret (a key, a certificate) also shows line by line in diffs
  if (value.includes("\n")) for (const line of value.split(/\r?\n/)) if (line.trim().length >= MIN_SUBSTRING) known.add(line.trim());
}

/** Every string value inside a decrypted vault file's data: each one is a secret. */
export function registerSecretsIn(data: unknown): void {
  if (typeof data === "string") registerSecret(data);
  else if (Array.isArray(data)) data.forEach(registerSecretsIn);
  else if (data && typeof data === "object") Object.values(data).forEach(registerSecretsIn);
}

export function knownSecrets(): readonly string[] {
  sorted ??= [...known].sort((a, b) => b.length - a.length);
  return sorted;
}

/** Tests only: forget every secret. */
export function clearSecrets(): void {
  known.clear();
  sorted = undefined;
}

/** True when the text contains (or, for a short secret, is) a known secret. */
export function textHasSecret(text: string): boolean {
  for (const s of knownSecrets()) if (s.length >= MIN_SUBSTRING ? text.includes(s) : text === s) return true;
  return false;
}

/** The text with every known secret replaced by MASK. */
export function redactText(text: string): string {
  const list = knownSecrets();
  if (list.length === 0) return text;
  let out = text;
  for (const s of list) {
    if (s.length >= MIN_SUBSTRING) {
      if (out.includes(s)) out = out.split(s).join(MASK);
    } else if (out === s) return MASK;
  }
  return out;
}

/** True when any string inside the value contains a known secret. */
export function hasSecret(value: unknown): boolean {
  if (known.size === 0) return false;
  if (typeof value === "string") return textHasSecret(value);
  if (Array.isArray(value)) return value.some(hasSecret);
  if (isPlain(value)) return Object.values(value).some(hasSecret);
  return false;
}

function isPlain(v: unknown): v is Record<string, unknown> {
  if (!v || typeof v !== "object") return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

/** A copy of the value with every known secret masked in every string (keys included). */
export function redact<T>(value: T): T {
  if (known.size === 0) return value;
  const walk = (v: unknown): unknown => {
    if (typeof v === "string") return redactText(v);
    if (Array.isArray(v)) return v.map(walk);
    if (isPlain(v)) {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) out[redactText(k)] = walk(x);
      return out;
    }
    return v;
  };
  return walk(value) as T;
}
