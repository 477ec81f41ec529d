// What every module that manages a file shares (the files area, and system.pam_limits through
// textedit.ts): argument schemas, mode arithmetic, the file probe (the snippets of snippets.ts plus
// its parser), attribute diffs (mode/owner/group) and the commands that fix them. It lives in core
// so that no module imports another area's module (test/unit/architecture.test.ts).
//
// The probe prints records (engine/core/record.ts); $_kp is the path examined (copy may resolve
// dest/ + basename on the host first):
//   @target            path= (the path examined; base64 when it holds a newline)
//   @stat link         the path itself (not followed): type=link and target:b64= when a symlink,
//                      with the link's own uid/gid/owner/group
//   @stat dest         what the path resolves to (followed): absent when exists=0 (dangling links too)
//   @stat parent       the containing directory (followed)
//   @sum               sha256= of a regular file, or unreadable=1 (when asked)
//   @file content      the file's bytes (readFile snippet), when asked (see ContentMode)
//   @tree              count= and attrs=TYPE|MODE|UID|GID|USER|GROUP, one record per distinct
//                      attribute set below a directory (recurse; find | stat | sort | uniq -c)
import { createHash } from "node:crypto";
import type { ApplyResult, Change, Host, JSONSchema } from "./module.js";
import { ModuleError } from "./errors.js";
import { shq } from "./shell.js";
import { allRecs, findRec, parseRecords } from "./record.js";
import { fileOf, normMode, snip, statOf } from "./snippets.js";
import { prefetchHint, sumLookup } from "./prefetch.js";
import { parseMode, targetMode } from "./filemode.js";
import { timesCommands, type TimesOp } from "./filetimes.js";
import {
  attributesOf,
  chattrCommand,
  chconCommand,
  fsAttrChanges,
  fsAttrList,
  fsAttrNote,
  fsAttrScript,
  newFsOps,
  parseFsAttrs,
  wantsFsAttrs,
  type FsAttrArgs,
  type FsAttrOp,
  type FsAttrState,
} from "./fsattrs.js";

export { applySymbolic, parseMode, targetMode, type ModeSpec } from "./filemode.js";
export { FS_ATTR_SCHEMAS, newFsOps, validateFsAttrs, wantsFsAttrs, type FsAttrArgs, type FsAttrState } from "./fsattrs.js";

// ---------------------------------------------------------------------------------------------
// Argument schemas shared by the file modules

export const MODE_SCHEMA: JSONSchema = {
  type: "string",
  description:
    'Permissions: octal ("0644", "644", "0o644"; an unquoted 0644 in YAML is kept as written) or chmod symbolic form ("u=rw,g=r,o=r", "u+x", "a-w", "u=rwX"). Default: unchanged for existing files; new files get the umask default.',
};
export const OWNER_SCHEMA: JSONSchema = {
  type: "string",
  description: "User name (or numeric uid) that should own the file. Default: unchanged (new files: the connecting user).",
};
export const GROUP_SCHEMA: JSONSchema = {
  type: "string",
  description: "Group name (or numeric gid) of the file. Default: unchanged (new files: the user's primary group).",
};
export const BACKUP_SCHEMA: JSONSchema = {
  type: "boolean",
  default: false,
  description: "Keep a timestamped copy of the old file beside it before replacing it. Default false.",
};
export const VALIDATE_SCHEMA: JSONSchema = {
  type: "string",
  pattern: "%s",
  description:
    'Command run on the new file before it replaces the old one; `%s` is the temporary file\'s path (e.g. "visudo -cf %s"). The file is not replaced when it fails.',
};

export interface AttrArgs extends FsAttrArgs {
  mode?: string | number;
  owner?: string;
  group?: string;
}

// ---------------------------------------------------------------------------------------------
// The stat probe

export interface FileStat {
  /** The path examined. */
  path: string;
  /** What the path resolves to, following symlinks ("absent" includes dangling links). */
  type: "file" | "directory" | "other" | "absent";
  /** Set when the path itself is a symlink: its target as stored. */
  link?: string;
  /** The symlink's own ownership. */
  linkOwner?: { uid: number; gid: number; owner: string; group: string };
  /** Of the resolved path: mode as 4 octal digits ("0644"). */
  mode?: string;
  uid?: number;
  gid?: number;
  owner?: string;
  group?: string;
  size?: number;
  parentExists: boolean;
  sha256?: string;
  /** The file exists but could not be read (permission). */
  unreadable?: boolean;
  /** The file's text, when the probe sent it and it is valid UTF-8 of the stated size. */
  content?: string;
  /** The probe sent the bytes but they are not UTF-8 text. */
  binary?: boolean;
  /** Recursive attribute summary below a directory. */
  tree?: TreeGroup[];
  /** chattr flags and SELinux context, when the task names them (engine/core/fsattrs.ts). */
  fs?: FsAttrState;
}

export interface TreeGroup {
  count: number;
  dir: boolean;
  mode: string;
  uid: number;
  gid: number;
  owner: string;
  group: string;
}

/**
 * What the probe sends of a regular file's bytes: nothing; always (line/block editing needs them);
 * or only when its sha256 differs from `sha256` and it is small (<= 64 KiB) text without NUL
 * bytes, so --diff can show the old text without another round trip.
 */
export type ContentMode = { kind: "none" } | { kind: "always" } | { kind: "ifDiffers"; sha256: string };

export const DIFF_CONTENT_LIMIT = 65536;

export interface StatOptions {
  sha256?: boolean;
  content?: ContentMode;
  /** Summarise the attributes of everything below a directory (for recurse). */
  tree?: boolean;
  /** Shell lines run first that may change $_kp (e.g. copy into a directory). */
  resolve?: string;
  /** The task's attributes/SELinux arguments: read lsattr and the context when it names any. */
  fs?: FsAttrArgs;
}

/** The file probe for one path, from the shared snippets (stat -c, readlink, sha256sum, base64). */
export function fileProbeScript(path: string, o: StatOptions = {}): string {
  const p = { sh: '"$_kp"' };
  const content = o.content ?? { kind: "none" };
  const summed = o.sha256 === true || content.kind === "ifDiffers";
  // what the probe batch may read for every probe at once (engine/core/prefetch.ts)
  const lines = [prefetchHint("lstat", path), ...(summed ? [prefetchHint("sum", path)] : []), `_kp=${shq(path)}`];
  if (o.resolve) lines.push(o.resolve);
  lines.push(
    `case "$_kp" in */*) _kd=\${_kp%/*}; [ -n "$_kd" ] || _kd=/ ;; *) _kd=. ;; esac`,
    snip.begin("target"),
    snip.field("path", '"$_kp"'),
    snip.statPair("link", "dest", p),
    snip.stat("parent", { sh: '"$_kd"' }, { follow: true, typeOnly: true }),
  );
  if (summed) {
    lines.push(
      snip.begin("sum"),
      `_ks=; if [ -f "$_kp" ]; then ${sumLookup('"$_kp"', "_ks")}; if [ -n "$_ks" ] || { _ks=$(sha256sum < "$_kp") && _ks=\${_ks%% *}; }; then printf 'sha256=%s\\n' "$_ks"; else printf 'unreadable=1\\n'; fi; fi`,
    );
  }
  if (content.kind === "always") {
    lines.push(`if [ -f "$_kp" ] && [ -r "$_kp" ]; then`, snip.readFile("content", p), `fi`);
  } else if (content.kind === "ifDiffers") {
    // Only small text without NUL bytes, and only when the hash differs (for --diff).
    lines.push(
      `if [ -f "$_kp" ] && [ -n "$_ks" ] && [ "$_ks" != ${shq(content.sha256)} ]; then _kn=$(stat -L -c %s "$_kp");` +
        ` if [ "$_kn" -le ${DIFF_CONTENT_LIMIT} ] && [ "$(tr -d '\\000' < "$_kp" | wc -c)" -eq "$_kn" ]; then`,
      snip.readFile("content", p),
      `fi; fi`,
    );
  }
  if (o.fs && wantsFsAttrs(o.fs)) lines.push(fsAttrScript(o.fs));
  if (o.tree) {
    lines.push(
      `if [ -d "$_kp" ]; then find "$_kp/" ! -type l -exec stat -c '%F|%a|%u|%g|%U|%G' {} + | sort | uniq -c |` +
        ` awk '{ n = $1; sub(/^ *[0-9]+ /, ""); printf "@tree\\ncount=%s\\nattrs=%s\\n", n, $0 }'; fi`,
    );
  }
  return lines.join("\n") + "\n";
}

/** Parse the file probe's records. Throws ModuleError when the output is not the file probe's. */
export function parseFileStat(stdout: string, fallbackPath: string): FileStat {
  const recs = parseRecords(stdout);
  const target = findRec(recs, "target");
  if (!target || !findRec(recs, "stat", "dest")) {
    throw new ModuleError(`cannot examine ${fallbackPath}: unexpected probe output ${JSON.stringify(stdout.slice(0, 200))}`);
  }
  const dest = statOf(recs, "dest");
  const type: FileStat["type"] = !dest ? "absent" : dest.type === "file" || dest.type === "directory" ? dest.type : "other";
  const st: FileStat = { path: target.get("path") || fallbackPath, type, parentExists: statOf(recs, "parent")?.type === "directory" };
  const link = statOf(recs, "link");
  if (link?.type === "link" && link.target !== undefined) {
    st.link = link.target;
    if (link.uid !== undefined && link.gid !== undefined) st.linkOwner = { uid: link.uid, gid: link.gid, owner: link.owner ?? "", group: link.group ?? "" };
  }
  if (dest?.mode !== undefined) {
    st.mode = dest.mode;
    st.uid = dest.uid;
    st.gid = dest.gid;
    st.size = dest.size;
    st.owner = dest.owner;
    st.group = dest.group;
  }
  const sum = findRec(recs, "sum");
  const sha = sum?.get("sha256");
  if (sha !== undefined) st.sha256 = sha;
  if (sum?.get("unreadable") === "1") st.unreadable = true;
  const f = fileOf(recs, "content");
  if (f.content !== undefined && (st.size === undefined || f.content.length === st.size)) {
    const text = decodeUtf8(f.content);
    if (text === undefined) st.binary = true;
    else st.content = text;
  }
  const fs = parseFsAttrs(recs);
  if (fs) st.fs = fs;
  const tree = allRecs(recs, "tree");
  if (tree.length) {
    st.tree = tree.map((t) => {
      const [ftype, mode, uid, gid, owner, group] = (t.get("attrs") ?? "").split("|");
      return {
        count: t.int("count") ?? 0,
        dir: ftype === "directory",
        mode: normMode(mode ?? "0"),
        uid: Number(uid),
        gid: Number(gid),
        owner: owner ?? "",
        group: group ?? "",
      };
    });
  }
  return st;
}

export function decodeUtf8(buf: Buffer): string | undefined {
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(buf);
  } catch {
    return undefined;
  }
}

export function sha256hex(data: string | Buffer): string {
  return createHash("sha256").update(data).digest("hex");
}

export function shortSha(h: string | undefined): string {
  return h ? `${h.slice(0, 12)}…` : "none";
}

// ---------------------------------------------------------------------------------------------
// Attribute diffs and their commands

/** Whether the wanted owner (name or numeric id) matches the one found. */
export function idMatches(want: string, name: string | undefined, id: number | undefined): boolean {
  if (/^\d+$/.test(want)) return id === Number(want);
  return name === want;
}

/**
 * The typed plan of one attribute fix (Change.data), shared by every file module: chmod to an octal
 * mode, chown/chgrp to the task's owner/group; the tree_* ops are the same below a directory
 * (files.file recurse). A module's own plan is a union of these and its own ops.
 */
export type AttrOp =
  | FsAttrOp
  | TimesOp
  | { op: "mode"; mode: string }
  | { op: "owner"; owner: string }
  | { op: "group"; group: string }
  | { op: "tree_mode"; spec: string }
  | { op: "tree_owner"; owner: string }
  | { op: "tree_group"; group: string };

const ATTR_OPS: ReadonlySet<string> = new Set<AttrOp["op"]>(["mode", "owner", "group", "tree_mode", "tree_owner", "tree_group", "chattr", "chcon", "times"]);

/** The attribute ops among a module's planned changes, in order. */
export function attrOps<D extends { op: string }>(changes: readonly Change<D>[]): AttrOp[] {
  return changes.flatMap((c) => (c.data && isAttrOp(c.data) ? [c.data] : []));
}

function isAttrOp(d: { op: string }): d is AttrOp {
  return ATTR_OPS.has(d.op);
}

/**
 * mode/owner/group changes of an existing path. `isDir` decides how symbolic X applies.
 * Each Change has field mode|owner|group, before/after, and its AttrOp in data.
 */
export function attrChanges(st: FileStat, args: AttrArgs, what: string): Change<AttrOp>[] {
  const out: Change<AttrOp>[] = [];
  const isDir = st.type === "directory";
  if (args.mode !== undefined && st.mode !== undefined) {
    const want = normMode(targetMode(parseMode(args.mode), parseInt(st.mode, 8), isDir));
    if (want !== st.mode)
      out.push({ summary: `${what}mode ${st.mode} → ${want}`, field: "mode", before: st.mode, after: want, data: { op: "mode", mode: want } });
  }
  if (args.owner !== undefined && !idMatches(args.owner, st.owner, st.uid)) {
    out.push({
      summary: `${what}owner ${st.owner} → ${args.owner}`,
      field: "owner",
      before: st.owner,
      after: args.owner,
      data: { op: "owner", owner: args.owner },
    });
  }
  if (args.group !== undefined && !idMatches(args.group, st.group, st.gid)) {
    out.push({
      summary: `${what}group ${st.group} → ${args.group}`,
      field: "group",
      before: st.group,
      after: args.group,
      data: { op: "group", group: args.group },
    });
  }
  out.push(...fsAttrChanges(st.fs, args, st.path, what));
  return out;
}

/** The ops that set every attribute the task names on a path just created (`isDir`: how X applies). */
export function newAttrOps(a: AttrArgs, isDir: boolean, o: { noMode?: boolean; fs?: FsAttrState } = {}): AttrOp[] {
  const ops: AttrOp[] = [...newFsOps(o.fs, a)];
  if (a.owner !== undefined) ops.push({ op: "owner", owner: a.owner });
  if (a.group !== undefined) ops.push({ op: "group", group: a.group });
  if (a.mode !== undefined && !o.noMode) ops.push({ op: "mode", mode: normMode(targetMode(parseMode(a.mode), undefined, isDir)) });
  return ops;
}

/** What a new file or directory gets, for a summary: "mode 0644", "owner root", "attributes +i"… */
export function createAttrs(a: AttrArgs, isDir: boolean, fs: FsAttrState | undefined): string[] {
  const attrs: string[] = [];
  if (a.mode !== undefined) attrs.push(`mode ${normMode(targetMode(parseMode(a.mode), undefined, isDir))}`);
  if (a.owner !== undefined) attrs.push(`owner ${a.owner}`);
  if (a.group !== undefined) attrs.push(`group ${a.group}`);
  return [...attrs, ...fsAttrList(fs, a)];
}

/** "mode 0644, owner root, group root" for the attributes the task names, as found. */
export function attrExplain(st: FileStat, args: AttrArgs): string[] {
  const out: string[] = [];
  if (args.mode !== undefined) out.push(`mode ${st.mode}`);
  if (args.owner !== undefined) out.push(`owner ${st.owner}`);
  if (args.group !== undefined) out.push(`group ${st.group}`);
  if (attributesOf(args) !== undefined && st.fs?.flags !== undefined) out.push(`attributes ${st.fs.flags || "(none)"}`);
  if (st.fs?.selinux && st.fs.context !== undefined) out.push(`SELinux context ${st.fs.context}`);
  return out;
}

/** Wraps a module's explain: the SELinux note is added when the task names SELinux parts on a host without SELinux. */
export function withFsNote<S extends FileStat, A extends AttrArgs>(explain: (st: S, a: A) => string): (st: S, a: A) => string {
  return (st, a) => {
    const note = fsAttrNote(st.fs, a);
    return note ? `${explain(st, a)} (${note})` : explain(st, a);
  };
}

/** A path as a shell word that no utility can take for an option. */
export function shPath(p: string): string {
  return shq(p.startsWith("-") ? `./${p}` : p);
}

/**
 * The chown/chgrp/chmod commands that the attribute ops call for, and nothing else. `recurse`
 * applies them to the whole tree (chmod gets the task's mode expression then, so X and relative
 * forms apply per entry); `noDeref` changes a symlink's own owner (chown -h). `isDir` writes
 * directory modes with a 5th leading zero so GNU chmod also clears setuid/setgid bits.
 */
export function attrCommands(path: string, ops: readonly AttrOp[], o: { recurse?: boolean; noDeref?: boolean; isDir?: boolean } = {}): string[] {
  const cmds: string[] = [];
  let owner: string | undefined;
  let group: string | undefined;
  let mode: string | undefined;
  let treeMode: string | undefined;
  let chattr: Extract<AttrOp, { op: "chattr" }> | undefined;
  let times: TimesOp | undefined;
  // the SELinux context first, the attributes last (an immutable file takes no chmod), as Ansible
  for (const p of ops) if (p.op === "chcon") cmds.push(chconCommand(path, p, !!o.noDeref));
  for (const p of ops) {
    switch (p.op) {
      case "chattr":
        chattr = p;
        break;
      case "chcon":
        break;
      case "times":
        times = p;
        break;
      case "owner":
      case "tree_owner":
        owner = p.owner;
        break;
      case "group":
      case "tree_group":
        group = p.group;
        break;
      case "mode":
        mode ??= p.mode;
        break;
      case "tree_mode":
        treeMode = p.spec;
        break;
    }
  }
  const flags = `${o.recurse ? "-R " : ""}${o.noDeref ? "-h " : ""}`;
  if (owner !== undefined) cmds.push(`chown ${flags}${shq(group !== undefined ? `${owner}:${group}` : owner)} ${shPath(path)}`);
  else if (group !== undefined) cmds.push(`chgrp ${flags}${shq(group)} ${shPath(path)}`);
  if (o.recurse && (treeMode !== undefined || mode !== undefined)) {
    cmds.push(`chmod -R ${shq(treeMode ?? mode!)} ${shPath(path)}`);
  } else if (mode !== undefined) cmds.push(`chmod ${o.isDir ? "0" : ""}${mode} ${shPath(path)}`);
  if (times) cmds.push(...timesCommands(path, times));
  if (chattr) cmds.push(chattrCommand(path, chattr));
  return cmds;
}

/** Run commands joined with && in one round trip (nothing when there are none). */
export async function runAll(host: Host, cmds: string[]): Promise<void> {
  if (cmds.length) await host.run(cmds.join(" && "));
}

/** Throws when a path resolves to something the module cannot handle as a file. */
export function requireReadable(st: FileStat): void {
  if (st.unreadable) throw new ModuleError(`cannot read ${st.path}: permission denied`);
}

/** Parent directory of a path ("." for a bare name). */
export function parentOf(p: string): string {
  const i = p.lastIndexOf("/");
  if (i < 0) return ".";
  return i === 0 ? "/" : p.slice(0, i);
}

/** First line of a regex/line for messages, shortened. */
export function quoteShort(s: string, max = 40): string {
  const one = s.split("\n")[0]!;
  return `'${one.length > max ? `${one.slice(0, max - 1)}…` : one}'`;
}

/**
 * Writes a file whole, atomically (through the transport's writeFile). A replaced file keeps its
 * mode and owner unless the task names them, as Ansible's atomic_move does.
 */
export async function writeWhole(
  host: Host,
  st: FileStat,
  a: AttrArgs & { backup?: boolean; validate?: string },
  content: string | Buffer,
): Promise<ApplyResult | void> {
  const exists = st.type === "file";
  const mode =
    a.mode !== undefined ? normMode(targetMode(parseMode(a.mode), exists && st.mode ? parseInt(st.mode, 8) : undefined, false)) : exists ? st.mode : undefined;
  const owner = a.owner ?? (exists ? String(st.uid) : undefined);
  const group = a.group ?? (exists ? String(st.gid) : undefined);
  const res = await host.writeFile(st.path, content, {
    ...(mode !== undefined ? { mode } : {}),
    ...(owner !== undefined ? { owner } : {}),
    ...(group !== undefined ? { group } : {}),
    ...(a.backup && exists ? { backup: true } : {}),
    ...(a.validate !== undefined ? { validate: a.validate } : {}),
  });
  return res.backup ? { backup_file: res.backup } : undefined;
}

/**
 * Ansible's unsafe_writes: its atomic_move falls back to writing in place only when the final
 * rename fails (EBUSY/EXDEV/EPERM… on bind-mounted files); on a filesystem where rename works, as
 * on every host keel writes, it changes nothing. keel's write stays atomic either way: where the
 * rename fails, the task fails with the error instead of writing in place.
 */
export const UNSAFE_WRITES_SCHEMA: JSONSchema = {
  type: "boolean",
  default: false,
  description:
    "Accepted for Ansible compatibility; no effect where rename(2) works. keel never falls back to a non-atomic write: where the final rename fails (a bind-mounted file), the task fails.",
};
