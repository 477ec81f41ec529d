// Shared, pure helpers of the file modules: argument schemas, mode arithmetic, the stat probe
// (POSIX sh + a parser), attribute diffs (mode/owner/group) and the commands that fix them.
//
// Probe output is one `key=value` per line (the value runs to the end of the line):
//   path=/etc/motd              the path that was examined (copy may resolve dest/ + basename)
//   link=/etc/alt/motd          present when the path is a symlink: its target, as readlink prints it
//   path64=, link64=            instead of path= and link= when the value holds a newline: base64
//   lstat=UID GID USER GROUP    the symlink's own owner, when it is a symlink
//   type=file|directory|other|absent       what the path resolves to (following symlinks)
//   stat=MODE UID GID SIZE USER GROUP      of the resolved path (stat -L), MODE as %a ("644")
//   parent=yes|no               whether the containing directory exists
//   sha256=HEX                  regular files, when asked; `unreadable=1` if it could not be read
//   content=BASE64              the file's bytes on one line, when asked (see ContentMode)
//   tree=COUNT TYPE|MODE|UID|GID|USER|GROUP   recurse: one line per distinct attribute set below
//                                            a directory (find | stat | sort | uniq -c)
import { createHash } from "node:crypto";
import type { ApplyResult, Change, Host, JSONSchema } from "../../engine/core/module.js";
import { InputError, ModuleError } from "../../engine/core/errors.js";
import { shq } from "../../engine/core/shell.js";

// ---------------------------------------------------------------------------------------------
// Argument schemas shared by the file modules

export const MODE_SCHEMA: JSONSchema = {
  type: "string",
  description:
    'Permissions: octal ("0644", "644", "0o644"; an unquoted 0644 in YAML is kept as written) or chmod symbolic form ("u=rw,g=r,o=r", "u+x", "a-w", "u=rwX"). Default: unchanged for existing files; new files get the umask default.',
};
export const OWNER_SCHEMA: JSONSchema = { type: "string", description: "User name (or numeric uid) that should own the file. Default: unchanged (new files: the connecting user)." };
export const GROUP_SCHEMA: JSONSchema = { type: "string", description: "Group name (or numeric gid) of the file. Default: unchanged (new files: the user's primary group)." };
export const BACKUP_SCHEMA: JSONSchema = { type: "boolean", default: false, description: "Keep a timestamped copy of the old file beside it before replacing it. Default false." };
export const VALIDATE_SCHEMA: JSONSchema = {
  type: "string",
  pattern: "%s",
  description: 'Command run on the new file before it replaces the old one; `%s` is the temporary file\'s path (e.g. "visudo -cf %s"). The file is not replaced when it fails.',
};

export interface AttrArgs {
  mode?: string | number;
  owner?: string;
  group?: string;
}

// ---------------------------------------------------------------------------------------------
// Modes

/** A desired mode: an absolute octal one, or a chmod symbolic expression (resolved against the current mode). */
export type ModeSpec = { octal: number } | { symbolic: string };

const SYMBOLIC = /^([ugoa]*([-+=]([rwxXst]*|[ugo]))+)(,([ugoa]*([-+=]([rwxXst]*|[ugo]))+))*$/;

/**
 * Parse a mode argument. Numbers are read by their decimal digits as octal (YAML 1.2 reads `0644`
 * as 644, which Ansible users mean as 0644); strings may be "0644", "644", "0o644" or symbolic.
 */
export function parseMode(mode: string | number): ModeSpec {
  if (typeof mode === "number") {
    const digits = String(mode);
    if (!Number.isInteger(mode) || mode < 0 || !/^[0-7]{1,4}$/.test(digits)) {
      throw new InputError(`invalid mode ${mode}`, undefined, 'write modes as octal digits in quotes, e.g. mode: "0644"');
    }
    return { octal: parseInt(digits, 8) };
  }
  const s = mode.trim();
  const m = /^(?:0o)?([0-7]{1,4})$/i.exec(s);
  if (m) return { octal: parseInt(m[1]!, 8) };
  if (SYMBOLIC.test(s)) return { symbolic: s };
  throw new InputError(`invalid mode '${mode}'`, undefined, 'use octal ("0644") or chmod symbolic form ("u=rw,g=r,o=r")');
}

/** 0o644 -> "0644"; 0o4755 -> "4755". */
export function fmtMode(n: number): string {
  return n.toString(8).padStart(4, "0");
}

/** stat's %a ("644", "4755") -> number. */
export function modeFromStat(a: string): number {
  return parseInt(a, 8);
}

const CLASS_SHIFT: Record<"u" | "g" | "o", number> = { u: 6, g: 3, o: 0 };

/** Apply a chmod symbolic expression to `cur` (POSIX chmod semantics, umask ignored). */
export function applySymbolic(spec: string, cur: number, isDir: boolean): number {
  let mode = cur & 0o7777;
  for (const clause of spec.split(",")) {
    const wm = /^([ugoa]*)(.*)$/.exec(clause)!;
    let who = wm[1]!.replace(/a/g, "ugo");
    if (who === "") who = "ugo";
    const classes = [...new Set(who.split(""))] as ("u" | "g" | "o")[];
    const ops = wm[2]!.match(/[-+=][rwxXstugo]*/g) ?? [];
    for (const op of ops) {
      const kind = op[0]!;
      const perms = op.slice(1);
      let bits = 0;
      for (const c of classes) {
        let rwx = 0;
        let special = 0;
        for (const p of perms) {
          if (p === "r") rwx |= 4;
          else if (p === "w") rwx |= 2;
          else if (p === "x") rwx |= 1;
          else if (p === "X") {
            if (isDir || (mode & 0o111) !== 0) rwx |= 1;
          } else if (p === "s") {
            if (c === "u") special |= 0o4000;
            if (c === "g") special |= 0o2000;
          } else if (p === "t") {
            if (c === "o") special |= 0o1000;
          } else if (p === "u" || p === "g" || p === "o") {
            rwx |= (mode >> CLASS_SHIFT[p]) & 7;
          }
        }
        bits |= (rwx << CLASS_SHIFT[c]) | special;
      }
      if (kind === "+") mode |= bits;
      else if (kind === "-") mode &= ~bits;
      else {
        let clear = 0;
        for (const c of classes) clear |= (7 << CLASS_SHIFT[c]) | (c === "u" ? 0o4000 : c === "g" ? 0o2000 : 0o1000);
        // chmod keeps a directory's setuid/setgid bits under `=` unless they are named.
        if (isDir) clear &= ~0o6000;
        mode = (mode & ~clear) | bits;
      }
    }
  }
  return mode;
}

/** The mode a path should end up with; `cur` undefined means "to be created" (umask 022 default). */
export function targetMode(spec: ModeSpec, cur: number | undefined, isDir: boolean): number {
  if ("octal" in spec) return spec.octal;
  return applySymbolic(spec.symbolic, cur ?? (isDir ? 0o755 : 0o644), isDir);
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
}

/** The POSIX sh probe for one path. Uses stat -c, readlink, sha256sum, base64 (GNU coreutils or busybox). */
export function statScript(path: string, o: StatOptions = {}): string {
  const lines = [`_kp=${shq(path)}`, `_knl='\n'`];
  if (o.resolve) lines.push(o.resolve);
  lines.push(
    // A value with a newline would end its line early and could even forge the keys after it
    // (`type=`), so such a path or link target is sent base64-encoded instead (path64=, link64=).
    `case "$_kp" in *"$_knl"*) printf 'path64=%s\\n' "$(printf '%s' "$_kp" | base64 | tr -d '\\n')" ;; *) printf 'path=%s\\n' "$_kp" ;; esac`,
    `if [ -L "$_kp" ]; then _kl=$(readlink "$_kp"; echo .); _kl=\${_kl%.}; _kl=\${_kl%"$_knl"}; case "$_kl" in *"$_knl"*) printf 'link64=%s\\n' "$(printf '%s' "$_kl" | base64 | tr -d '\\n')" ;; *) printf 'link=%s\\n' "$_kl" ;; esac; stat -c 'lstat=%u %g %U %G' "$_kp"; fi`,
    `if [ -d "$_kp" ]; then echo type=directory; elif [ -f "$_kp" ]; then echo type=file; elif [ -e "$_kp" ]; then echo type=other; else echo type=absent; fi`,
    `[ -e "$_kp" ] && stat -L -c 'stat=%a %u %g %s %U %G' "$_kp"`,
    `case "$_kp" in */*) _kd=\${_kp%/*}; [ -n "$_kd" ] || _kd=/ ;; *) _kd=. ;; esac`,
    `if [ -d "$_kd" ]; then echo parent=yes; else echo parent=no; fi`,
  );
  const content = o.content ?? { kind: "none" };
  if (o.sha256 || content.kind === "ifDiffers") {
    lines.push(`_ks=; if [ -f "$_kp" ]; then if _ks=$(sha256sum < "$_kp"); then _ks=\${_ks%% *}; echo "sha256=$_ks"; else echo unreadable=1; fi; fi`);
  }
  const dump = `printf 'content='; base64 < "$_kp" | tr -d '\\n'; echo`;
  if (content.kind === "always") {
    lines.push(`if [ -f "$_kp" ] && [ -r "$_kp" ]; then ${dump}; fi`);
  } else if (content.kind === "ifDiffers") {
    lines.push(
      `if [ -f "$_kp" ] && [ -n "$_ks" ] && [ "$_ks" != ${shq(content.sha256)} ]; then _kn=$(stat -L -c %s "$_kp");` +
        ` if [ "$_kn" -le ${DIFF_CONTENT_LIMIT} ] && [ "$(tr -d '\\000' < "$_kp" | wc -c)" -eq "$_kn" ]; then ${dump}; fi; fi`,
    );
  }
  if (o.tree) {
    lines.push(
      `if [ -d "$_kp" ]; then find "$_kp/" ! -type l -exec stat -c '%F|%a|%u|%g|%U|%G' {} + | sort | uniq -c | sed 's/^ *\\([0-9][0-9]*\\) /tree=\\1 /'; fi`,
    );
  }
  return lines.join("\n") + "\n";
}

/** key=value lines -> map (first '=' splits; later duplicates of `tree` are collected separately). */
export function kv(stdout: string): { map: Map<string, string>; tree: string[] } {
  const map = new Map<string, string>();
  const tree: string[] = [];
  for (const line of stdout.split("\n")) {
    const i = line.indexOf("=");
    if (i <= 0) continue;
    const k = line.slice(0, i);
    const v = line.slice(i + 1);
    if (k === "tree") tree.push(v);
    else if (!map.has(k)) map.set(k, v);
  }
  return { map, tree };
}

/** Parse the stat probe's output. Throws ModuleError when the output is not a stat probe's. */
export function parseStat(stdout: string, fallbackPath: string): FileStat {
  const { map, tree } = kv(stdout);
  const type = map.get("type");
  if (type !== "file" && type !== "directory" && type !== "other" && type !== "absent") {
    throw new ModuleError(`cannot examine ${fallbackPath}: unexpected probe output ${JSON.stringify(stdout.slice(0, 200))}`);
  }
  const b64 = (k: string) => (map.has(`${k}64`) ? Buffer.from(map.get(`${k}64`)!, "base64").toString("utf8") : map.get(k));
  const st: FileStat = { path: b64("path") || fallbackPath, type, parentExists: map.get("parent") === "yes" };
  const link = b64("link");
  if (link !== undefined) {
    st.link = link;
    const l = map.get("lstat")?.split(" ");
    if (l && l.length >= 4) st.linkOwner = { uid: Number(l[0]), gid: Number(l[1]), owner: l[2]!, group: l[3]! };
  }
  const s = map.get("stat")?.split(" ");
  if (type !== "absent" && s && s.length >= 6) {
    st.mode = fmtMode(modeFromStat(s[0]!));
    st.uid = Number(s[1]);
    st.gid = Number(s[2]);
    st.size = Number(s[3]);
    st.owner = s[4]!;
    st.group = s[5]!;
  }
  if (map.has("sha256")) st.sha256 = map.get("sha256")!;
  if (map.get("unreadable") === "1") st.unreadable = true;
  if (map.has("content")) {
    const buf = Buffer.from(map.get("content")!, "base64");
    if (st.size === undefined || buf.length === st.size) {
      const text = decodeUtf8(buf);
      if (text === undefined) st.binary = true;
      else st.content = text;
    }
  }
  if (tree.length) {
    st.tree = tree.map((t) => {
      const sp = t.indexOf(" ");
      const [ftype, mode, uid, gid, owner, group] = t.slice(sp + 1).split("|");
      return {
        count: Number(t.slice(0, sp)),
        dir: ftype === "directory",
        mode: fmtMode(modeFromStat(mode ?? "0")),
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
 * mode/owner/group changes of an existing path. `isDir` decides how symbolic X applies.
 * Each Change has field mode|owner|group, before/after, and `data.mode` (the octal to chmod to).
 */
export function attrChanges(st: FileStat, args: AttrArgs, what: string): Change[] {
  const out: Change[] = [];
  const isDir = st.type === "directory";
  if (args.mode !== undefined && st.mode !== undefined) {
    const want = fmtMode(targetMode(parseMode(args.mode), parseInt(st.mode, 8), isDir));
    if (want !== st.mode) out.push({ summary: `${what}mode ${st.mode} → ${want}`, field: "mode", before: st.mode, after: want });
  }
  if (args.owner !== undefined && !idMatches(args.owner, st.owner, st.uid)) {
    out.push({ summary: `${what}owner ${st.owner} → ${args.owner}`, field: "owner", before: st.owner, after: args.owner });
  }
  if (args.group !== undefined && !idMatches(args.group, st.group, st.gid)) {
    out.push({ summary: `${what}group ${st.group} → ${args.group}`, field: "group", before: st.group, after: args.group });
  }
  return out;
}

/** "mode 0644, owner root, group root" for the attributes the task names, as found. */
export function attrExplain(st: FileStat, args: AttrArgs): string[] {
  const out: string[] = [];
  if (args.mode !== undefined) out.push(`mode ${st.mode}`);
  if (args.owner !== undefined) out.push(`owner ${st.owner}`);
  if (args.group !== undefined) out.push(`group ${st.group}`);
  return out;
}

/** A path as a shell word that no utility can take for an option. */
export function shPath(p: string): string {
  return shq(p.startsWith("-") ? `./${p}` : p);
}

/**
 * The chown/chgrp/chmod commands that the mode/owner/group changes call for, and nothing else.
 * `recurse` applies them to the whole tree (chmod gets the task's mode expression then, so X and
 * relative forms apply per entry); `noDeref` changes a symlink's own owner (chown -h). `isDir`
 * writes directory modes with a 5th leading zero so GNU chmod also clears setuid/setgid bits.
 */
export function attrCommands(
  path: string,
  changes: Change[],
  args: AttrArgs,
  o: { recurse?: boolean; noDeref?: boolean; isDir?: boolean } = {},
): string[] {
  const cmds: string[] = [];
  const owner = changes.some((c) => c.field === "owner" || c.field === "tree_owner") ? args.owner : undefined;
  const group = changes.some((c) => c.field === "group" || c.field === "tree_group") ? args.group : undefined;
  const flags = `${o.recurse ? "-R " : ""}${o.noDeref ? "-h " : ""}`;
  if (owner !== undefined) cmds.push(`chown ${flags}${shq(group !== undefined ? `${owner}:${group}` : owner)} ${shPath(path)}`);
  else if (group !== undefined) cmds.push(`chgrp ${flags}${shq(group)} ${shPath(path)}`);
  if (o.recurse && args.mode !== undefined && changes.some((c) => c.field === "mode" || c.field === "tree_mode")) {
    const spec = parseMode(args.mode);
    cmds.push(`chmod -R ${shq("octal" in spec ? fmtMode(spec.octal) : spec.symbolic)} ${shPath(path)}`);
  } else {
    const mode = changes.find((c) => c.field === "mode");
    if (mode) cmds.push(`chmod ${o.isDir ? "0" : ""}${String(mode.after)} ${shPath(path)}`);
  }
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
export async function writeWhole(host: Host, st: FileStat, a: AttrArgs & { backup?: boolean; validate?: string }, content: string | Buffer): Promise<ApplyResult | void> {
  const exists = st.type === "file";
  const mode = a.mode !== undefined ? fmtMode(targetMode(parseMode(a.mode), exists && st.mode ? parseInt(st.mode, 8) : undefined, false)) : exists ? st.mode : undefined;
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
