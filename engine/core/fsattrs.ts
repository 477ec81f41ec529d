// A file's filesystem attributes (chattr/lsattr flags) and SELinux context, as every file-writing
// module of Ansible takes them (`attributes`/`attr`, `seuser`, `serole`, `setype`, `selevel`):
// the probe reads `lsattr -d` and, when SELinux is enabled, `stat -c %C` and `matchpathcon -n`;
// the diff is pure; apply runs chcon (before chown/chmod) and chattr (last), as Ansible's
// set_fs_attributes_if_different orders them.
//
// Ansible's semantics, and where keel differs:
//   - SELinux arguments are ignored when SELinux is disabled on the host (`selinuxenabled` absent
//     or false); keel says so in the task's explanation. `_default` takes the part from the
//     policy's default context (matchpathcon). selevel is ignored without MLS (no level part).
//   - attributes "+x" / "-x" / "=x" (a bare "x" is "="): keel compares the flag SETS (order does
//     not matter): "+" converges when every flag is set, "-" when none is, "=" when the set is
//     exactly x. Ansible compares lsattr's flag string with x, so it reports "-x", and "+x" on a
//     file with other flags (ext4's e), as changed on every run; keel reports them converged.
import type { JSONSchema } from "./module.js";
import { InputError, ModuleError } from "./errors.js";
import { findRec, type Rec } from "./record.js";
import { shq } from "./shell.js";
import { snip } from "./snippets.js";

export interface FsAttrArgs {
  attributes?: string;
  attr?: string;
  seuser?: string;
  serole?: string;
  setype?: string;
  selevel?: string;
}

const se = (what: string) => ({
  type: "string",
  minLength: 1,
  description: `The ${what} part of the SELinux context ('_default': the policy's default for the path). Ignored when SELinux is disabled on the host, as Ansible does.`,
});

/** The schema properties every file-writing module adds. */
export const FS_ATTR_SCHEMAS: Record<keyof FsAttrArgs, JSONSchema> = {
  attributes: {
    type: "string",
    pattern: "^[-+=]?[aAcCdDeFijmPsStTux]*$",
    description:
      'Filesystem attributes as chattr takes them: "+i" adds, "-a" removes, "=ie" or "ie" sets exactly these flags (letters as lsattr shows them). Compared as sets with `lsattr -d`; applied with chattr.',
  },
  attr: { type: "string", pattern: "^[-+=]?[aAcCdDeFijmPsStTux]*$", description: "Alias of attributes." },
  seuser: se("user"),
  serole: se("role"),
  setype: se("type"),
  selevel: se("level (MLS range)"),
};

/** e2fsprogs' attribute letters, named as Ansible names them (module_utils/common/file.py). */
export const FILE_ATTRIBUTES: Record<string, string> = {
  A: "noatime",
  a: "append",
  c: "compressed",
  C: "nocow",
  d: "nodump",
  D: "dirsync",
  e: "extents",
  E: "encrypted",
  h: "blocksize",
  i: "immutable",
  I: "indexed",
  j: "journalled",
  N: "inline",
  s: "zero",
  S: "synchronous",
  t: "notail",
  T: "blockroot",
  u: "undelete",
  X: "compressedraw",
  Z: "compresseddirty",
};

/** The flag letters of one `lsattr -d` line ("----i---------e------- /path" → "ie"). */
export function lsattrFlags(line: string): string {
  return (line.trim().split(/\s+/)[0] ?? "").replace(/-/g, "");
}

/** Ansible's attribute names of flag letters. */
export function attributeNames(flags: string): string[] {
  return [...flags].filter((c) => FILE_ATTRIBUTES[c]).map((c) => FILE_ATTRIBUTES[c]!);
}

/** What the probe found: flags (or why lsattr failed) and the SELinux context. */
export interface FsAttrState {
  flags?: string;
  flagsError?: string;
  selinux: boolean;
  context?: string;
  defaultContext?: string;
  /** What a symlink resolves to (chattr's path), when the path is one. */
  real?: string;
}

export type FsAttrOp = { op: "chattr"; set: string; path?: string } | { op: "chcon"; user?: string; role?: string; type?: string; level?: string };

export function attributesOf(a: FsAttrArgs): string | undefined {
  return a.attributes ?? a.attr;
}

const SE_KEYS = [
  ["seuser", "user"],
  ["serole", "role"],
  ["setype", "type"],
  ["selevel", "level"],
] as const;

function seNamed(a: FsAttrArgs): boolean {
  return SE_KEYS.some(([k]) => a[k] !== undefined);
}

/** Whether the task names any of these arguments (the probe reads them only then). */
export function wantsFsAttrs(a: FsAttrArgs): boolean {
  return attributesOf(a) !== undefined || seNamed(a);
}

/** Load-time rules: attributes with one operator at most, and SELinux parts on one line. */
export function validateFsAttrs(a: FsAttrArgs): void {
  if (a.attributes !== undefined && a.attr !== undefined && a.attributes !== a.attr)
    throw new InputError("attributes and attr are the same argument, given twice with different values", undefined, "keep one of them");
  const at = attributesOf(a);
  if (at !== undefined && !/^[-+=]?[aAcCdDeFijmPsStTux]*$/.test(at))
    throw new InputError(`invalid attributes '${at}'`, undefined, 'write chattr flags with an optional operator: "+i", "-a", "=ie"');
  for (const [k] of SE_KEYS) {
    const v = a[k];
    if (v !== undefined && !/^[A-Za-z0-9_.:,-]+$/.test(v))
      throw new InputError(`invalid ${k} '${v}'`, undefined, "an SELinux context part is a name such as system_u, object_r, etc_t or s0");
  }
}

/** Probe lines for the path in $_kp: an @fsattr record (only when the task names attributes or SELinux parts). */
export function fsAttrScript(a: FsAttrArgs): string {
  const lines = [snip.begin("fsattr")];
  if (attributesOf(a) !== undefined) {
    // lsattr and chattr do not follow symlinks: they read what the path resolves to
    lines.push(
      `_kf=$_kp; if [ -L "$_kf" ]; then _kf=$(readlink -f -- "$_kf"); fi`,
      `if [ "$_kf" != "$_kp" ]; then ${snip.field("real", '"$_kf"')}; fi`,
      `if [ -e "$_kf" ]; then if ! command -v lsattr >/dev/null 2>&1; then printf 'lsattr_err=lsattr not found (install e2fsprogs)\\n';`,
      `elif _kl=$(lsattr -d -- "$_kf" 2>&1); then printf 'lsattr:b64='; printf '%s' "$_kl" | base64 | tr -d '\\n'; printf '\\n';`,
      `else printf 'lsattr_err:b64='; printf '%s' "$_kl" | base64 | tr -d '\\n'; printf '\\n'; fi; fi`,
    );
  }
  if (seNamed(a)) {
    lines.push(
      `if command -v selinuxenabled >/dev/null 2>&1 && selinuxenabled; then printf 'selinux=1\\n'`,
      `if [ -e "$_kp" ]; then ${snip.field("context", '"$(stat -c %C -- "$_kp" 2>/dev/null)"')}; fi`,
      `if command -v matchpathcon >/dev/null 2>&1; then ${snip.field("default", '"$(matchpathcon -n -- "$_kp" 2>/dev/null)"')}; fi`,
      `else printf 'selinux=0\\n'; fi`,
    );
  }
  return lines.join("\n");
}

/** The @fsattr record, or undefined when the probe did not read one. */
export function parseFsAttrs(recs: readonly Rec[]): FsAttrState | undefined {
  const r = findRec([...recs], "fsattr");
  if (!r) return undefined;
  const out: FsAttrState = { selinux: r.get("selinux") === "1" };
  const line = r.get("lsattr");
  if (line !== undefined) out.flags = lsattrFlags(line);
  const err = r.get("lsattr_err");
  if (err !== undefined) out.flagsError = err.trim();
  const ctx = r.get("context");
  if (ctx !== undefined && ctx !== "" && ctx !== "?") out.context = ctx.trim();
  const def = r.get("default");
  if (def !== undefined && def.trim() !== "") out.defaultContext = def.trim();
  const real = r.get("real");
  if (real !== undefined && real !== "") out.real = real;
  return out;
}

type Parts = { user?: string; role?: string; type?: string; level?: string };

function splitContext(ctx: string | undefined): Parts {
  if (!ctx) return {};
  const [user, role, type, ...rest] = ctx.split(":");
  return { user, role, type, ...(rest.length ? { level: rest.join(":") } : {}) };
}

/** The context parts the task wants (with `_default` resolved), or undefined when SELinux does not apply. */
function wantedParts(fs: FsAttrState, a: FsAttrArgs, exists: boolean): Parts | undefined {
  if (!fs.selinux || !seNamed(a)) return undefined;
  const def = splitContext(fs.defaultContext);
  const cur = splitContext(fs.context);
  const out: Parts = {};
  for (const [k, part] of SE_KEYS) {
    let v = a[k];
    if (v === undefined) continue;
    if (v === "_default") v = def[part];
    if (v === undefined) continue;
    // Without MLS the context has no level: Ansible leaves selevel out then.
    if (part === "level" && exists && cur.level === undefined) continue;
    out[part] = v;
  }
  return Object.keys(out).length ? out : undefined;
}

function joinParts(cur: Parts, want: Parts): string {
  const p = { ...cur, ...want };
  return [p.user, p.role, p.type, ...(p.level !== undefined ? [p.level] : [])].map((x) => x ?? "?").join(":");
}

export interface FsChange {
  summary: string;
  field: "attributes" | "secontext";
  before: string;
  after: string;
  data: FsAttrOp;
}

/** The attribute and context changes of an existing path (`what` prefixes the summaries). */
export function fsAttrChanges(fs: FsAttrState | undefined, a: FsAttrArgs, path: string, what: string): FsChange[] {
  if (!wantsFsAttrs(a)) return [];
  if (!fs) throw new ModuleError(`${path}: the probe did not read its attributes or SELinux context`);
  const out: FsChange[] = [];
  const parts = wantedParts(fs, a, true);
  if (parts) {
    const cur = splitContext(fs.context);
    const next = joinParts(cur, parts);
    if (next !== fs.context)
      out.push({
        summary: `${what}SELinux context ${fs.context ?? "(none)"} → ${next}`,
        field: "secontext",
        before: fs.context ?? "",
        after: next,
        data: { op: "chcon", ...parts },
      });
  }
  const at = attributesOf(a);
  if (at !== undefined) {
    if (fs.flags === undefined) throw new ModuleError(`cannot read the attributes of ${path}: ${fs.flagsError ?? "lsattr gave nothing"}`);
    const [op, letters] = /^[-+=]/.test(at) ? [at[0]!, at.slice(1)] : ["=", at];
    const have = new Set(fs.flags);
    const want = new Set(letters);
    const ok =
      op === "+"
        ? [...want].every((c) => have.has(c))
        : op === "-"
          ? [...want].every((c) => !have.has(c))
          : have.size === want.size && [...want].every((c) => have.has(c));
    if (!ok)
      out.push({
        summary: `${what}attributes ${fs.flags || "(none)"} → ${op}${letters}`,
        field: "attributes",
        before: fs.flags,
        after: `${op}${letters}`,
        data: { op: "chattr", set: `${op}${letters}`, ...(fs.real !== undefined ? { path: fs.real } : {}) },
      });
  }
  return out;
}

/** The ops that give a path just created (or rewritten: a new inode) the task's attributes and context. */
export function newFsOps(fs: FsAttrState | undefined, a: FsAttrArgs): FsAttrOp[] {
  const out: FsAttrOp[] = [];
  const parts = fs ? wantedParts({ ...fs, context: undefined }, a, false) : undefined;
  if (parts) out.push({ op: "chcon", ...parts });
  const at = attributesOf(a);
  if (at !== undefined) out.push({ op: "chattr", set: /^[-+=]/.test(at) ? at : `=${at}` });
  return out;
}

/** "attributes +i", "setype etc_t" for a summary of what a new file gets. */
export function fsAttrList(fs: FsAttrState | undefined, a: FsAttrArgs): string[] {
  const out: string[] = [];
  const at = attributesOf(a);
  if (at !== undefined) out.push(`attributes ${at}`);
  if (fs?.selinux) for (const [k] of SE_KEYS) if (a[k] !== undefined) out.push(`${k} ${a[k]}`);
  return out;
}

/** The note a task gets when it names SELinux parts on a host without SELinux (Ansible ignores them silently). */
export function fsAttrNote(fs: FsAttrState | undefined, a: FsAttrArgs): string | undefined {
  if (!fs || fs.selinux || !seNamed(a)) return undefined;
  return `SELinux is disabled on the host: ${SE_KEYS.filter(([k]) => a[k] !== undefined)
    .map(([k]) => k)
    .join(", ")} ignored, as Ansible does`;
}

/** The chcon command of a context op (`noDeref`: the symlink itself). */
export function chconCommand(path: string, p: Extract<FsAttrOp, { op: "chcon" }>, noDeref: boolean): string {
  const flags = [
    ...(p.user !== undefined ? ["-u", p.user] : []),
    ...(p.role !== undefined ? ["-r", p.role] : []),
    ...(p.type !== undefined ? ["-t", p.type] : []),
    ...(p.level !== undefined ? ["-l", p.level] : []),
  ];
  return `chcon ${noDeref ? "-h " : ""}${flags.map(shq).join(" ")} -- ${shq(path)}`;
}

/** The chattr command of an attributes op. */
export function chattrCommand(link: string, p: Extract<FsAttrOp, { op: "chattr" }>): string {
  const path = p.path ?? link;
  // chattr reads every word starting with -, + or = as flags (and knows no --)
  return `chattr ${shq(p.set)} ${shq(/^[-+=]/.test(path) ? `./${path}` : path)}`;
}
