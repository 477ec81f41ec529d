// Shared probe snippets: POSIX sh text that prints one record each (format: engine/core/record.ts).
//
// Every snippet is self-contained (it can be joined with any other snippet in one script), uses
// only POSIX sh, `stat -c`, `base64`, `cat`, `tr`, `head`, `wc` and `readlink` (GNU coreutils or
// busybox), and quotes every interpolated value with shq. Inside a probe batch ($_keel_rm set by
// engine/run/batch.ts) a `key:b64=` value is printed as raw bytes between the batch's marks and the
// whole batch goes through one base64 (b64Value, b64Output); alone, each value has its own base64.
// Both give the same output once the batch is split (test/unit/core/snippets-batch.test.ts). The shell variables it uses start with `_keel_` and
// are overwritten by the next snippet. Fixture tests run them in a real dash (test/unit/core/).
//
// Each fork+exec of a binary costs the host about a millisecond, and a probe runs on every host of
// every run: the snippets use the shell's builtins wherever they give the same bytes (parameter
// expansion instead of head/cut/dirname, `base64 -w 0` instead of `base64 | tr -d '\n'`, one stat
// for a path that is not a link instead of two), and run a binary only for what sh cannot read.
import { InputError, InternalError } from "./errors.js";
import { REC_KEY, REC_NAME, type Rec } from "./record.js";
import { shq } from "./shell.js";
import { STAT_FORMAT, getentLookup, gidLookup, prefetchHint, statLookup } from "./prefetch.js";

/**
 * A value computed earlier in the same probe script: a shell word such as '"$_kf"' (a path read
 * from getent, a copy destination resolved on the host). Plain strings are literals and are quoted.
 */
export interface ShWord {
  sh: string;
}
export type ShValue = string | ShWord;

/**
 * A shell command that writes its stdin as base64 on one line without a newline: `base64 -w 0`
 * (GNU coreutils, busybox 1.32 and later: one process), else `base64 | tr -d '\n'` (an older
 * busybox refuses -w before reading anything, so the fallback still gets the whole input).
 */
export const B64 = "{ base64 -w 0 2>/dev/null || base64 | tr -d '\\n'; }";

/**
 * Shell text that prints the bytes of `value` (one shell word, e.g. '"$_keel_v"') as a base64
 * value: inside a probe batch ($_keel_rm set: engine/run/batch.ts) raw between the batch's marks,
 * which the controller turns into the same base64 text (the batch goes through one base64 for all
 * its values); alone, through base64 itself.
 */
function b64Value(value: string): string {
  return `if [ -n "\${_keel_rm-}" ]; then printf '%s{%s%s}' "$_keel_rm" ${value} "$_keel_rm"; else printf '%s' ${value} | ${B64}; fi`;
}

/**
 * Shell text that prints the stdout of `command` (shell text, then `redirs`) as a base64 value, raw
 * in a batch as b64Value does. `alone`: what runs outside a batch instead of `( command ) | base64`
 * (`base64 < file` for `cat < file`: one process, not two).
 */
function b64Output(command: string, redirs = "", alone?: string, opts: { subshell?: boolean } = {}): string {
  // in a subshell either way (a pipeline's part is one), so the command's variables stay in it;
  // `subshell: false` for a command that sets none (one fork less on every host, every read: a
  // failed redirection of a { } group is only a failed command, in dash and busybox sh alike)
  const sub = opts.subshell !== false;
  return [
    `if [ -n "\${_keel_rm-}" ]; then printf '%s{' "$_keel_rm"; ${sub ? "(" : ""}`,
    `{ ${command}`,
    `}${redirs}${sub ? " )" : ""}; printf '%s}' "$_keel_rm"; else`,
    ...(alone !== undefined ? [alone] : [`{ ${command}`, `}${redirs} | ${B64}`]),
    `fi`,
  ].join("\n");
}

/** Shell lines that set $_keel_nl to a newline (for ${v%%"$_keel_nl"*} and the like). */
const NL = [`_keel_nl='`, `'`].join("\n");

function word(v: ShValue): string {
  return typeof v === "string" ? shq(v) : v.sh;
}

function name(kind: string, what: string): string {
  if (!REC_NAME.test(kind)) throw new InternalError(`probe record ${what} ${JSON.stringify(kind)} must match [A-Za-z0-9_.:-]+`);
  return kind;
}

function key(k: string): string {
  if (!REC_KEY.test(k)) throw new InternalError(`probe record key ${JSON.stringify(k)} must match [A-Za-z0-9_.-]+`);
  return k;
}

/** `@kind id` */
function begin(kind: string, id?: string): string {
  const head = `@${name(kind, "kind")}${id === undefined || id === "" ? "" : ` ${name(id, "id")}`}`;
  return `printf '%s\\n' ${shq(head)}`;
}

/**
 * `key=<value>` where `shellExpr` is one shell word that expands to the value ("$(hostname)",
 * "$HOME"). A value that holds a newline is sent as `key:b64=` instead, so the record stays valid;
 * Rec.get reads both the same way. Trailing newlines are dropped, as `$(…)` drops them.
 */
function field(k: string, shellExpr: string): string {
  key(k);
  return [
    `_keel_v=${shellExpr}`,
    `case $_keel_v in *'`,
    `'*) printf '%s:b64=' ${k}; ${b64Value('"$_keel_v"')}; printf '\\n' ;;`,
    `*) printf '%s=%s\\n' ${k} "$_keel_v" ;;`,
    `esac`,
  ].join("\n");
}

/** `key:b64=<base64 of the command's stdout>`, byte for byte (stdin is /dev/null, stderr dropped). */
function b64Field(k: string, command: string): string {
  key(k);
  return [`printf '%s:b64=' ${k}`, b64Output(command, " </dev/null 2>/dev/null"), `printf '\\n'`].join("\n");
}

/**
 * `@stat id` of `path` (the link itself; with `follow`, what it points to):
 *   exists=0|1, then when it exists: type=file|directory|link|other, mode=0644 (4 digits),
 *   uid, gid, owner, group (names; "UNKNOWN" without one), size, mtime (epoch seconds),
 *   and for a link (not followed) target:b64= (readlink, byte for byte).
 * `typeOnly`: exists and type alone (a parent folder's mtime and size change with every file
 * written in it; a probe that only needs to know it is a folder must not read them).
 */
function stat(id: string, path: ShValue, opts: { follow?: boolean; typeOnly?: boolean } = {}): string {
  const follow = opts.follow === true;
  const hint = typeof path === "string" && opts.typeOnly !== true ? [prefetchHint(follow ? "stat" : "lstat", path)] : [];
  return [...hint, `_keel_p=${word(path)}`, begin("stat", id), ...statBody(follow, opts.typeOnly === true)].join("\n");
}

/** Sets $_keel_t to the type of $_keel_p (that exists), following a link or not. */
function typeOf(follow: boolean): string {
  return follow
    ? `if [ -f "$_keel_p" ]; then _keel_t=file; elif [ -d "$_keel_p" ]; then _keel_t=directory; else _keel_t=other; fi`
    : `if [ -L "$_keel_p" ]; then _keel_t=link; elif [ -f "$_keel_p" ]; then _keel_t=file; elif [ -d "$_keel_p" ]; then _keel_t=directory; else _keel_t=other; fi`;
}

/**
 * The fields of a @stat record of $_keel_p after its header. Leaves $_keel_t (the type, empty when
 * the path does not exist) and $_keel_s (stat's output) for statPair.
 */
function statBody(follow: boolean, typeOnly: boolean): string[] {
  const exists = follow ? `if [ -e "$_keel_p" ]; then` : `if [ -e "$_keel_p" ] || [ -L "$_keel_p" ]; then`;
  if (typeOnly) {
    return [exists, `printf 'exists=1\\n'`, typeOf(follow), `printf 'type=%s\\n' "$_keel_t"`, `else _keel_t=; printf 'exists=0\\n'; fi`];
  }
  const L = follow ? "-L " : "";
  return [
    exists,
    `printf 'exists=1\\n'`,
    typeOf(follow),
    `printf 'type=%s\\n' "$_keel_t"`,
    // one stat for every field (each exec costs the host about a millisecond): the mode on the
    // first line, padded to 4 digits here, the key=value lines after it printed as they are
    // (the probe batch's answer when it read this path for every probe at once: prefetch.ts)
    statLookup(follow, "_keel_s", `$(stat ${L}-c ${shq(STAT_FORMAT)} -- "$_keel_p" 2>/dev/null)`),
    ...statFields(),
    ...(follow
      ? []
      : [
          `if [ "$_keel_t" = link ]; then`,
          // readlink adds one newline; printing an x after it and cutting "\nx" keeps a target that
          // itself ends in a newline intact.
          `_keel_v=$(readlink -- "$_keel_p" 2>/dev/null && printf x); _keel_v=\${_keel_v%?x}`,
          `printf 'target:b64='; ${b64Value('"$_keel_v"')}; printf '\\n'`,
          `fi`,
        ]),
    `else _keel_t=; _keel_s=; printf 'exists=0\\n'; fi`,
  ];
}

/** The mode, uid… lines of a @stat record from $_keel_s (stat's output). */
function statFields(): string[] {
  return [
    `_keel_m=\${_keel_s%%[!0-9]*}`,
    `case $_keel_m in ?) _keel_m=000$_keel_m ;; ??) _keel_m=00$_keel_m ;; ???) _keel_m=0$_keel_m ;; esac`,
    `if [ -n "$_keel_m" ]; then printf 'mode=%s\\n' "$_keel_m"; fi`,
    `case $_keel_s in *uid=*) printf 'uid=%s\\n' "\${_keel_s#*uid=}" ;; esac`,
  ];
}

/**
 * The two @stat records of one path: `linkId` without follow and `followId` with it, exactly as
 * stat(linkId, path) then stat(followId, path, { follow: true }) print them, with one stat(1) when
 * the path is not a symlink (then both describe the same inode; only a link is stat'ed twice).
 */
function statPair(linkId: string, followId: string, path: ShValue): string {
  return [
    ...(typeof path === "string" ? [prefetchHint("lstat", path)] : []),
    `_keel_p=${word(path)}`,
    begin("stat", linkId),
    ...statBody(false, false),
    begin("stat", followId),
    `if [ "$_keel_t" = link ]; then`,
    ...statBody(true, false),
    `elif [ -n "$_keel_t" ]; then printf 'exists=1\\ntype=%s\\n' "$_keel_t"`,
    ...statFields(),
    `else printf 'exists=0\\n'; fi`,
  ].join("\n");
}

/**
 * `@file id` of `path` (symlinks followed): exists=0|1; type=file|directory|other when it exists;
 * for a regular file readable=0|1 and, when readable, content:b64= (the first `maxBytes` bytes,
 * with size and truncated=1 when the file is longer). Without maxBytes the whole file is read and
 * its size is the content's length (fileOf), so no wc runs.
 */
function readFile(id: string, path: ShValue, opts: { maxBytes?: number } = {}): string {
  const max = opts.maxBytes;
  if (max !== undefined && (!Number.isInteger(max) || max < 0)) throw new InternalError(`readFile maxBytes must be a non-negative integer, got ${max}`);
  return [
    `_keel_p=${word(path)}`,
    begin("file", id),
    `if [ -e "$_keel_p" ]; then printf 'exists=1\\n'`,
    `if [ -f "$_keel_p" ]; then printf 'type=file\\n'`,
    // `true`, not `:`: dash and busybox sh exit when a special builtin's redirection fails, which
    // ended the probe here for a login that cannot read the file (no readable=0, nothing after it)
    `if { true < "$_keel_p"; } 2>/dev/null; then printf 'readable=1\\n'`,
    max === undefined
      ? `printf 'content:b64='; ${b64Output("cat", ' < "$_keel_p"', `${B64} < "$_keel_p"`, { subshell: false })}; printf '\\n'`
      : // wc -c pads its count with blanks on some systems: keep the digits after the last blank
        `_keel_s=$(wc -c < "$_keel_p" 2>/dev/null); _keel_s=\${_keel_s##*[!0-9]}; printf 'size=%s\\n' "$_keel_s"\n` +
        `printf 'content:b64='; ${b64Output(`head -c ${max}`, ' < "$_keel_p"', `head -c ${max} < "$_keel_p" | ${B64}`, { subshell: false })}; printf '\\n'; if [ "$_keel_s" -gt ${max} ] 2>/dev/null; then printf 'truncated=1\\n'; fi`,
    `else printf 'readable=0\\n'; fi`,
    `elif [ -d "$_keel_p" ]; then printf 'type=directory\\n'; else printf 'type=other\\n'; fi`,
    `else printf 'exists=0\\n'; fi`,
  ].join("\n");
}

/**
 * `@getent id`: found=0|1 and entry=<the first matching line> of `getent DB KEY` (passwd, group,
 * shadow, hosts…). Hosts without getent (some busybox systems) read /etc/passwd, /etc/group or
 * /etc/shadow directly, matching the name (or the numeric id for passwd and group). The entry
 * stays in $_keel_ge (empty when not found) for the lines right after the snippet, so that a probe
 * reads its fields with parameter expansion instead of asking getent again. `primaryOf`: k is
 * the gid of that account's passwd entry (a shell word), which a probe batch looks up at once.
 */
function getent(id: string, db: string, k: ShValue, opts: { primaryOf?: string } = {}): string {
  const byNumber = db === "passwd" || db === "group" ? " || $3 == k" : "";
  // a name the probe batch looked up for every probe at once (prefetch.ts) is not asked again
  const batched = typeof k === "string" && (db === "passwd" || db === "group") && prefetchHint(db, k) !== "" ? db : undefined;
  // a group by the gid of an account's passwd entry: the batch asked it with the group names
  const byGid = !batched && db === "group" && typeof k !== "string" && opts.primaryOf !== undefined && prefetchHint("pgid", opts.primaryOf) !== "";
  return [
    ...(batched ? [prefetchHint(batched, k as string), getentLookup(batched, k as string, "_keel_v")] : []),
    ...(byGid ? [prefetchHint("pgid", opts.primaryOf!), gidLookup(word(k), "_keel_v")] : []),
    begin("getent", id),
    `${batched || byGid ? `if [ -n "$_keel_v" ]; then :; elif` : "if"} command -v getent >/dev/null 2>&1; then _keel_v=$(getent ${shq(db)} ${word(k)} 2>/dev/null)`,
    `elif [ -r /etc/${shq(db)} ]; then _keel_v=$(awk -F: -v k=${word(k)} ${shq(`$1 == k${byNumber} { print; exit }`)} /etc/${shq(db)} 2>/dev/null)`,
    `else _keel_v=; fi`,
    NL,
    // the first line (getent prints one per key; the shell cuts it instead of a head process)
    `_keel_ge=\${_keel_v%%"$_keel_nl"*}; _keel_v=$_keel_ge`,
    `if [ -n "$_keel_v" ]; then printf 'found=1\\nentry=%s\\n' "$_keel_v"; else printf 'found=0\\n'; fi`,
  ].join("\n");
}

/**
 * `@cmd id`: rc=N, out:b64= (stdout, byte for byte) and err:b64= (stderr) of `command`, run in a
 * subshell with stdin from /dev/null. The command must only read: probes never change anything.
 */
function cmd(id: string, command: string): string {
  // fd 3 is the probe's stdout, where the base64 of the command's stdout goes. Inside $(…), fd 5 is
  // the capture: it gets the command's stderr, then a newline and the exit code, split apart below.
  return [
    begin("cmd", id),
    // in a batch, the command's stdout goes raw to fd 3 between the batch's marks (b64Value)
    `if [ -n "\${_keel_rm-}" ]; then printf 'out:b64=%s{' "$_keel_rm"`,
    `{ _keel_v=$( ( ${command}`,
    `) </dev/null 2>&1 >&3 3>&-; printf '\\n%s' "$?" ); } 3>&1`,
    `printf '%s}\\n' "$_keel_rm"`,
    `else`,
    `{ _keel_v=$( { { ( ${command}`,
    `) </dev/null 2>&5 5>&- 3>&-; printf '\\n%s' "$?" >&5; } | { printf 'out:b64='; ${B64}; printf '\\n'; } >&3 5>&-; } 5>&1 ); } 3>&1`,
    `fi`,
    NL,
    `printf 'rc=%s\\n' "\${_keel_v##*"$_keel_nl"}"`,
    // stderr is mostly empty: base64 runs only when there is something to encode
    `_keel_v=\${_keel_v%"$_keel_nl"*}; printf 'err:b64='; if [ -n "$_keel_v" ]; then ${b64Value('"$_keel_v"')}; fi; printf '\\n'`,
  ].join("\n");
}

/**
 * `@out id`: text:b64= (the stdout of `command`, byte for byte; stderr dropped, stdin empty). For
 * output a parser reads line by line (a package manager's listing) where the exit code is not needed.
 */
function out(id: string, command: string): string {
  return `${begin("out", id)}\n${b64Field("text", command)}`;
}

export const snip = { begin, field, b64Field, b64Value, stat, statPair, readFile, getent, cmd, out };

/**
 * The one mode normaliser: "644", "0644", "00644", "0o644" → "0644"; "4755" → "4755". A number is
 * a mode value (0o644 → "0644"), as stat and fs give it.
 */
export function normMode(mode: string | number): string {
  if (typeof mode === "number") {
    if (!Number.isInteger(mode) || mode < 0 || mode > 0o7777)
      throw new InputError(`invalid mode ${mode}`, undefined, 'write modes as octal digits in quotes, e.g. "0644"');
    return mode.toString(8).padStart(4, "0");
  }
  const m = /^(?:0o)?0*([0-7]{1,4})$/i.exec(mode.trim());
  if (!m) throw new InputError(`invalid mode '${mode}'`, undefined, 'write modes as octal digits in quotes, e.g. "0644"');
  return m[1]!.padStart(4, "0");
}

// ---------------------------------------------------------------------------------------------
// Readers of the snippets' records (pure): the one place that knows their fields.

export interface StatRec {
  type: "file" | "directory" | "link" | "other";
  /** 4 octal digits ("0644"). */
  mode?: string;
  uid?: number;
  gid?: number;
  owner?: string;
  group?: string;
  size?: number;
  mtime?: number;
  /** A link's target, as stored (stat without follow). */
  target?: string;
}

/** The @stat record of `id`; undefined when the path does not exist (or the record is missing). */
export function statOf(recs: readonly Rec[], id: string): StatRec | undefined {
  const r = recs.find((x) => x.kind === "stat" && x.id === id);
  if (!r || r.get("exists") !== "1") return undefined;
  const t = r.get("type");
  const out: StatRec = { type: t === "file" || t === "directory" || t === "link" ? t : "other" };
  const mode = r.get("mode");
  if (mode !== undefined && /^[0-7]{4}$/.test(mode)) out.mode = mode;
  for (const k of ["uid", "gid", "size", "mtime"] as const) {
    const v = r.int(k);
    if (v !== undefined) out[k] = v;
  }
  const owner = r.get("owner");
  if (owner !== undefined) out.owner = owner;
  const group = r.get("group");
  if (group !== undefined) out.group = group;
  const target = r.get("target");
  if (target !== undefined) out.target = target;
  return out;
}

export interface FileRec {
  exists: boolean;
  type?: "file" | "directory" | "other";
  /** A regular file that could not be opened for reading. */
  unreadable?: boolean;
  content?: Buffer;
  size?: number;
  truncated?: boolean;
}

/** The @file record of `id` (readFile); { exists: false } when missing. */
export function fileOf(recs: readonly Rec[], id: string): FileRec {
  const r = recs.find((x) => x.kind === "file" && x.id === id);
  if (!r || r.get("exists") !== "1") return { exists: false };
  const t = r.get("type");
  const out: FileRec = { exists: true, type: t === "file" || t === "directory" ? t : "other" };
  if (r.get("readable") === "0") out.unreadable = true;
  const content = r.buf("content");
  if (content !== undefined) out.content = content;
  // readFile prints size only with maxBytes; a whole file's size is its content's length
  const size = r.int("size") ?? content?.length;
  if (size !== undefined) out.size = size;
  if (r.get("truncated") === "1") out.truncated = true;
  return out;
}

/** The entry line of the @getent record of `id`, or undefined when nothing was found. */
export function getentOf(recs: readonly Rec[], id: string): string | undefined {
  const r = recs.find((x) => x.kind === "getent" && x.id === id);
  return r && r.get("found") === "1" ? r.get("entry") : undefined;
}

export interface CmdRec {
  rc: number;
  out: string;
  err: string;
}

/** The text of the @out record of `id` (undefined when the probe did not print it). */
export function outOf(recs: readonly Rec[], id: string): string | undefined {
  return recs.find((x) => x.kind === "out" && x.id === id)?.get("text");
}

/** The non-blank lines of the @out record of `id`, without a trailing \r; [] when absent. */
export function outLines(recs: readonly Rec[], id: string): string[] {
  return (outOf(recs, id) ?? "")
    .split("\n")
    .map((l) => l.replace(/\r$/, ""))
    .filter((l) => l.trim() !== "");
}

/** The @cmd record of `id`, or undefined when the command did not run. */
export function cmdOf(recs: readonly Rec[], id: string): CmdRec | undefined {
  const r = recs.find((x) => x.kind === "cmd" && x.id === id);
  const rc = r?.int("rc");
  if (!r || rc === undefined) return undefined;
  return { rc, out: r.get("out") ?? "", err: r.get("err") ?? "" };
}
