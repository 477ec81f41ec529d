// Secret values known to this process, and the variables that hold them.
//
// What is a secret: an inline `!vault` value, a password given at a prompt or read from a vault
// password source, and every value of a variable defined in an ansible-vault file. The strings of
// a vaulted FILE are not secrets by themselves (a vault file often holds `root`, `3306` or a domain
// too): its top-level names are (registerSecretName), and a value becomes a known secret string
// when a task, a task name or a loop renders it, along with whatever the template made of it
// (`| b64encode`, `| upper`, "postgres://u:{{ pw }}@db").
//
// Masking, in two ways, as Terraform treats a sensitive value:
// - taint: a task item whose arguments, loop, label or module preparation (a template's content)
//   read a vaulted variable, directly or through other variables, is masked whole, as a no_log
//   result is (engine/run/pipeline.ts, captureVault);
// - scrubbing: every other string of every output, report, log and history entry has each known
//   secret string replaced by "(secret)" (engine/run/result.ts maskingSink, engine/cli/io.ts).
//
// A secret of MIN_SUBSTRING characters or more is masked wherever it occurs inside a string; a
// shorter one (a vaulted "22" or "yes") only where a whole string equals it, since masking every
// "22" inside every output would hide everything and protect nothing.
export const MASK = "(secret)";
export const MIN_SUBSTRING = 4;

const known = new Set<string>();
let sorted: string[] | undefined;

/**
 * Remember a secret value (empty and whitespace-only strings are not secrets). `lines`: a multi-line
 * secret (a key, a certificate) also shows line by line in diffs, so each of its lines is one too.
 */
export function registerSecret(value: string, lines = true): void {
  if (value.trim() === "") return;
  if (known.has(value)) return;
  known.add(value);
  sorted = undefined;
  if (value.trim() !== value && value.trim().length >= MIN_SUBSTRING) known.add(value.trim());
  if (lines && value.includes("\n")) for (const line of value.split(/\r?\n/)) if (line.trim().length >= MIN_SUBSTRING) known.add(line.trim());
}

/** Every string inside a value (a vaulted variable's list or mapping): each one is a secret. */
export function registerSecretsIn(data: unknown): void {
  if (typeof data === "string") registerSecret(data);
  else if (Array.isArray(data)) data.forEach(registerSecretsIn);
  else if (isPlain(data)) Object.values(data).forEach(registerSecretsIn);
}

// ---------------------------------------------------------------------------------------------
// Vaulted variables, and which renderings read them

const names = new Set<string>();
/** How many reads of a vaulted variable templates made so far (captureVault compares it). */
let reads = 0;
/** captureVault calls under way: a vaulted value read then is being rendered into an output. */
let capturing = 0;

/** A variable whose value is a secret (a top-level name of a vaulted vars file, a `!vault` value's key). */
export function registerSecretName(name: string): void {
  names.add(name);
}

export function isSecretName(name: string): boolean {
  return names.size > 0 && names.has(name);
}

/**
 * A template read the vaulted variable holding `value` (engine/template/vars.ts). Inside a
 * captureVault (a task's arguments, a name, a loop being rendered) the value becomes a known secret
 * string, to be scrubbed from every other output that repeats it.
 */
export function noteSecretRead(value: unknown): void {
  reads++;
  if (capturing > 0) registerSecretsIn(value);
}

/** Something secret went into the rendering under way without a variable read (a vaulted src file, a shared rendering). */
export function noteTaint(): void {
  reads++;
}

/**
 * Run `fn` (synchronous: a rendering) and set `cell.vault` when it read a vaulted variable, even
 * when it throws. Nested calls each see the reads made inside them.
 */
export function captureVault<T>(fn: () => T, cell: { vault?: boolean }): T {
  const before = reads;
  capturing++;
  try {
    return fn();
  } finally {
    capturing--;
    if (reads !== before) cell.vault = true;
  }
}

/** A text a template made while reading a vaulted variable (a derived value): a secret from now on. */
export function registerDerived(value: unknown): void {
  if (capturing > 0) registerSecretsIn(value);
}

/** The number of vaulted-variable reads so far (renderValue compares it around each string). */
export function secretReads(): number {
  return reads;
}

/** A copy of a host's variables with each vaulted variable's value shown as MASK (`keel inventory`). */
export function maskVaultedVars(vars: Record<string, unknown>): Record<string, unknown> {
  if (names.size === 0) return vars;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(vars)) out[k] = names.has(k) ? MASK : v;
  return out;
}

const watched = new WeakMap<object, object>();

/**
 * A view of `hostvars` whose hosts' entries note reads of vaulted variables, as the task variables'
 * lazy view does (`hostvars[groups.db[0]].vault_db_password`); `hostvars` itself when no variable is
 * vaulted. One view per object, so the same object always gives the same view.
 */
export function watchHostvars<T extends object>(hostvars: T): T {
  if (names.size === 0) return hostvars;
  return view(hostvars, (t, k, v) => (v !== null && typeof v === "object" && Object.hasOwn(t, k) && !Object.isFrozen(t) ? view(v, noteEntry) : v));
}

function noteEntry(t: object, k: string, v: unknown): unknown {
  if (names.has(k) && Object.hasOwn(t, k)) noteSecretRead(v);
  return v;
}

function view<T extends object>(o: T, onGet: (t: object, k: string, v: unknown) => unknown): T {
  let p = watched.get(o) as T | undefined;
  if (!p) {
    p = new Proxy(o, { get: (t, k, r) => (typeof k === "string" ? onGet(t, k, Reflect.get(t, k, r)) : Reflect.get(t, k, r)) });
    watched.set(o, p);
  }
  return p;
}

export function knownSecrets(): readonly string[] {
  sorted ??= [...known].sort((a, b) => b.length - a.length);
  return sorted;
}

/** Tests only: forget every secret and every vaulted name. */
export function clearSecrets(): void {
  known.clear();
  names.clear();
  sorted = undefined;
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
