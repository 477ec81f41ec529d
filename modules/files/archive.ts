// The probe and the pure judgement of files.unarchive, following ansible-core 2.14's unarchive
// module: the same handler order (zip, then tar with -z, none, -j, -J), the same tar --list/--diff
// command lines and the same filter over tar --diff's messages, and for zip the same per-member
// comparison (type, mtime, size, content, mode, owner, group) with keel's cmp in place of CRC32.
//
// Probe records:
//   @ua            uid, user, group (who extracts), umask, creates=1, destdir=1, srcexists=1,
//                  srcsize, handler=zip|tgz|tar|tbz|txz (empty: none could list it)
//   @cmd list      the member list (tar --list, or unzip -Z -1)
//   @cmd tdiff     tar --diff (tar)
//   @cmd zinfo     unzip -Z -T -s (zip);  @cmd zstamp: its timestamps as epochs (date -f -)
//   @m             one per listed member: name:b64, st=TYPE|MODE|UID|GID|USER|GROUP|SIZE|MTIME
//                  (lstat; absent when missing), same=0|1 (zip, regular files: content equal)
//   @top           a top folder of the members: name:b64, st=…
import { ModuleError } from "../../engine/core/errors.js";
import { allRecs, findRec, parseRecords, type Rec } from "../../engine/core/record.js";
import { cmdOf, normMode, snip } from "../../engine/core/snippets.js";
import { shq } from "../../engine/core/shell.js";
import { fnmatch } from "../../engine/core/fnmatch.js";
import { idMatches, parseMode, targetMode } from "./common.js";
import { attributesOf, chattrCommand, chconCommand, fsAttrChanges, newFsOps, wantsFsAttrs, type FsAttrArgs, type FsAttrOp } from "../../engine/core/fsattrs.js";

const SE_ARGS = ["seuser", "serole", "setype", "selevel"] as const;

export interface UnarchiveArgs extends FsAttrArgs {
  src: string;
  dest: string;
  remote_src?: boolean;
  copy?: boolean;
  creates?: string;
  unsafe_writes?: boolean;
  list_files?: boolean;
  keep_newer?: boolean;
  exclude?: string[];
  include?: string[];
  extra_opts?: string[];
  mode?: string | number;
  owner?: string;
  group?: string;
  validate_certs?: boolean;
  io_buffer_size?: number;
  decrypt?: boolean;
  /** Set by prepare: the local archive, base64. */
  archive?: string;
}

export type HandlerId = "zip" | "tgz" | "tar" | "tbz" | "txz";

export interface MemberStat {
  type: string;
  mode: number;
  uid: number;
  gid: number;
  owner: string;
  group: string;
  size: number;
  mtime: number;
  /** With attributes / SELinux parts: lsattr's flags, the SELinux context and the policy's default for the path. */
  flags?: string;
  ctx?: string;
  defCtx?: string;
}

export interface ArchiveState {
  uid: number;
  user: string;
  group: string;
  umask: number;
  createsExists: boolean;
  destDir: boolean;
  srcExists: boolean;
  srcSize: number;
  handler?: HandlerId;
  list: { rc: number; out: string; err: string };
  tdiff?: { rc: number; out: string; err: string };
  zinfo?: { rc: number; out: string };
  zstamps: number[];
  /** SELinux is enabled on the host (read only when the task names SELinux parts). */
  selinux?: boolean;
  members: { name: string; st?: MemberStat; same?: boolean }[];
  tops: { name: string; st?: MemberStat }[];
}

const TAR_FLAG: Record<Exclude<HandlerId, "zip">, string> = { tgz: "-z", tar: "", tbz: "-j", txz: "-J" };

const words = (xs: string[] | undefined) => (xs ?? []).map(shq).join(" ");

function tarCmd(op: "--list" | "--diff" | "--extract", h: Exclude<HandlerId, "zip">, a: UnarchiveArgs, src: string): string {
  const parts = ["LC_ALL=C tar", op, "-C", shq(a.dest)];
  if (TAR_FLAG[h]) parts.push(TAR_FLAG[h]);
  if (a.extra_opts?.length) parts.push("--show-transformed-names", words(a.extra_opts));
  if (op !== "--list") {
    if (a.owner) parts.push(shq(`--owner=${a.owner}`));
    if (a.group) parts.push(shq(`--group=${a.group}`));
    if (a.keep_newer) parts.push("--keep-newer-files");
  }
  for (const e of excludes(a)) parts.push(shq(`--exclude=${e}`));
  parts.push("-f", src);
  if (a.include?.length) parts.push(words(a.include));
  return `( cd ${shq(a.dest)} && ${parts.join(" ")} )`;
}

function zipExtract(a: UnarchiveArgs, src: string): string {
  const parts = ["unzip", "-o"];
  if (a.extra_opts?.length) parts.push(words(a.extra_opts));
  parts.push(src);
  if (a.exclude?.length) parts.push("-x", words(a.exclude));
  if (a.include?.length) parts.push(words(a.include));
  parts.push("-d", shq(a.dest));
  return parts.join(" ");
}

/** Ansible's handler class names, and the extract command of each. */
export const HANDLERS: Record<HandlerId, { name: string; extract(a: UnarchiveArgs, src: string): string }> = {
  zip: { name: "ZipArchive", extract: zipExtract },
  tgz: { name: "TgzArchive", extract: (a, s) => tarCmd("--extract", "tgz", a, s) },
  tar: { name: "TarArchive", extract: (a, s) => tarCmd("--extract", "tar", a, s) },
  tbz: { name: "TarBzipArchive", extract: (a, s) => tarCmd("--extract", "tbz", a, s) },
  txz: { name: "TarXzArchive", extract: (a, s) => tarCmd("--extract", "txz", a, s) },
};

function excludes(a: UnarchiveArgs): string[] {
  return (a.exclude ?? []).map((p) => p.replace(/\/+$/, ""));
}

const STAT = `stat -c 'st=%F|%a|%u|%g|%U|%G|%s|%.9Y' -- "$_kp" 2>/dev/null`;

/** Per member (not through a symlink: lsattr and chattr do not take links): lsattr's flags; the SELinux context when enabled. */
function fsStat(a: UnarchiveArgs): string {
  if (!wantsFsAttrs(a)) return "";
  const out: string[] = [];
  if (attributesOf(a) !== undefined) out.push(`if [ ! -L "$_kp" ] && _kl=$(lsattr -d -- "$_kp" 2>/dev/null); then printf 'flags=%s\\n' "\${_kl%% *}"; fi;`);
  if (SE_ARGS.some((k) => a[k] !== undefined))
    out.push(
      `if [ "$_kse" = 1 ]; then printf 'ctx=%s\\n' "$(stat -c %C -- "$_kp" 2>/dev/null)"; printf 'defctx=%s\\n' "$(matchpathcon -n -- "$_kp" 2>/dev/null)"; fi;`,
    );
  return " " + out.join(" ");
}

export function archiveProbe(a: UnarchiveArgs, remote: boolean): string {
  const L: string[] = [];
  const st = STAT + fsStat(a);
  L.push(`_kd=${shq(a.dest)}`, "_kt=", snip.begin("ua"));
  if (SE_ARGS.some((k) => a[k] !== undefined))
    L.push(`_kse=0; if command -v selinuxenabled >/dev/null 2>&1 && selinuxenabled; then _kse=1; fi; printf 'selinux=%s\\n' "$_kse"`);
  L.push(`printf 'uid=%s\\nuser=%s\\ngroup=%s\\numask=%s\\n' "$(id -u)" "$(id -un)" "$(id -gn)" "$(umask)"`);
  if (a.creates) L.push(`if [ -e ${shq(a.creates)} ] || [ -L ${shq(a.creates)} ]; then printf 'creates=1\\n'; fi`);
  L.push(`if [ -d "$_kd" ]; then printf 'destdir=1\\n'; fi`);
  if (remote) L.push(`_ks=${shq(a.src)}`);
  else
    L.push(`_kt=$(mktemp) && base64 -d > "$_kt" <<'KEEL_ARCHIVE_END'`, (a.archive ?? "").replace(/(.{76})/g, "$1\n").trimEnd(), "KEEL_ARCHIVE_END", `_ks=$_kt`);
  L.push(`if [ -f "$_ks" ]; then printf 'srcexists=1\\nsrcsize=%s\\n' "$(stat -L -c %s -- "$_ks")"; fi`);
  // Ansible's pick_handler order: zip first, then tar with -z, no flag, -j, -J (the first that lists members).
  L.push(
    `_kh=; if [ -d "$_kd" ] && [ -s "$_ks" ]${a.creates ? ` && ! [ -e ${shq(a.creates)} ]` : ""}; then`,
    `if command -v unzip >/dev/null 2>&1 && command -v zipinfo >/dev/null 2>&1 && unzip -l "$_ks" >/dev/null 2>&1; then _kh=zip;`,
    ...(["tgz", "tar", "tbz", "txz"] as const).map((h) => `elif [ -n "$( ${tarCmd("--list", h, a, '"$_ks"')} 2>/dev/null)" ]; then _kh=${h};`),
    `fi; fi`,
    `printf 'handler=%s\\n' "$_kh"`,
  );
  const zipRows = `awk 'NF >= 8 && length($7) == 15 { print substr($7,1,4) "-" substr($7,5,2) "-" substr($7,7,2) " " substr($7,10,2) ":" substr($7,12,2) ":" substr($7,14,2) }'`;
  const zinfo = `unzip -Z -T -s "$_ks"${a.exclude?.length ? ` -x ${words(a.exclude)}` : ""}${a.include?.length ? ` ${words(a.include)}` : ""}`;
  const loop = (zip: boolean) =>
    [
      `while IFS= read -r _km; do _kp="$_kd/$_km"; printf '@m\\nname:b64=%s\\n' "$(printf %s "$_km" | base64 -w0)"; ${st};`,
      zip
        ? ` if [ -f "$_kp" ] && [ ! -L "$_kp" ]; then if unzip -p "$_ks" "$(printf %s "$_km" | sed 's/[][*?]/[&]/g')" 2>/dev/null | cmp -s - "$_kp"; then printf 'same=1\\n'; else printf 'same=0\\n'; fi; fi;`
        : "",
      ` done`,
    ].join("");
  const tops = `sed -n 's|^/*\\([^/]*\\)/.*|\\1|p' | sort -u | while IFS= read -r _km; do _kp="$_kd/$_km"; printf '@top\\nname:b64=%s\\n' "$(printf %s "$_km" | base64 -w0)"; ${st}; done`;
  L.push(
    `case $_kh in`,
    `zip)`,
    snip.cmd("list", `unzip -Z -1 "$_ks"`),
    snip.cmd("zinfo", zinfo),
    snip.cmd("zstamp", `${zinfo} | ${zipRows} | date -f - +%s`),
    `unzip -Z -1 "$_ks" | ${loop(true)}`,
    `unzip -Z -1 "$_ks" | ${tops} ;;`,
    ...(["tgz", "tar", "tbz", "txz"] as const).map((h) =>
      [
        `${h})`,
        snip.cmd("list", tarCmd("--list", h, a, '"$_ks"')),
        snip.cmd("tdiff", tarCmd("--diff", h, a, '"$_ks"')),
        `${tarCmd("--list", h, a, '"$_ks"').replace("--list", "--list --quoting-style=literal")} 2>/dev/null | sed 's|^/*||' | ${loop(false)}`,
        `${tarCmd("--list", h, a, '"$_ks"').replace("--list", "--list --quoting-style=literal")} 2>/dev/null | ${tops} ;;`,
      ].join("\n"),
    ),
    `esac`,
    `if [ -n "$_kt" ]; then rm -f "$_kt"; fi`,
  );
  return L.join("\n") + "\n";
}

function statRec(r: Rec): MemberStat | undefined {
  const s = r.get("st");
  if (!s) return undefined;
  const [type, mode, uid, gid, owner, group, size, mtime] = s.split("|");
  return {
    type: type ?? "",
    mode: parseInt(mode ?? "0", 8),
    uid: Number(uid),
    gid: Number(gid),
    owner: owner ?? "",
    group: group ?? "",
    size: Number(size),
    mtime: Number(mtime),
    ...(r.has("flags") ? { flags: r.get("flags")!.replace(/-/g, "") } : {}),
    ...(r.get("ctx") ? { ctx: r.get("ctx")! } : {}),
    ...(r.get("defctx") ? { defCtx: r.get("defctx")! } : {}),
  };
}

export function parseArchiveProbe(stdout: string): ArchiveState {
  const recs = parseRecords(stdout);
  const ua = findRec(recs, "ua");
  if (!ua) throw new ModuleError(`unexpected unarchive probe output ${JSON.stringify(stdout.slice(0, 200))}`);
  const h = ua.get("handler");
  const c = (id: string) => {
    const r = cmdOf(recs, id);
    return { rc: r?.rc ?? 0, out: r?.out ?? "", err: r?.err ?? "" };
  };
  const st: ArchiveState = {
    uid: ua.int("uid") ?? 0,
    user: ua.get("user") ?? "",
    group: ua.get("group") ?? "",
    umask: parseInt(ua.get("umask") ?? "022", 8),
    createsExists: ua.get("creates") === "1",
    ...(ua.has("selinux") ? { selinux: ua.get("selinux") === "1" } : {}),
    destDir: ua.get("destdir") === "1",
    srcExists: ua.get("srcexists") === "1",
    srcSize: ua.int("srcsize") ?? 0,
    list: c("list"),
    zstamps: c("zstamp")
      .out.split("\n")
      .filter(Boolean)
      .map((x) => Number(x)),
    members: allRecs(recs, "m").map((r) => ({ name: r.get("name") ?? "", st: statRec(r), ...(r.has("same") ? { same: r.get("same") === "1" } : {}) })),
    tops: allRecs(recs, "top").map((r) => ({ name: r.get("name") ?? "", st: statRec(r) })),
  };
  if (h === "zip" || h === "tgz" || h === "tar" || h === "tbz" || h === "txz") st.handler = h;
  if (st.handler && st.handler !== "zip") st.tdiff = c("tdiff");
  if (st.handler === "zip") st.zinfo = { rc: c("zinfo").rc, out: c("zinfo").out };
  return st;
}

/** codecs.escape_decode of GNU tar's escaped names (\\ooo octal bytes, \\n, \\t, \\\\). */
function unescapeTar(s: string): string {
  if (!s.includes("\\")) return s;
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    if (s[i] === "\\" && i + 1 < s.length) {
      const m = /^[0-7]{1,3}/.exec(s.slice(i + 1));
      if (m) {
        bytes.push(parseInt(m[0], 8));
        i += m[0].length;
        continue;
      }
      const map: Record<string, number> = { n: 10, t: 9, "\\": 92, r: 13, a: 7, b: 8, f: 12, v: 11, "'": 39, '"': 34 };
      const n = map[s[i + 1]!];
      if (n !== undefined) {
        bytes.push(n);
        i++;
        continue;
      }
    }
    bytes.push(...Buffer.from(s[i]!, "utf8"));
  }
  return Buffer.from(bytes).toString("utf8");
}

export interface Judgement {
  skip?: string;
  unarchived: boolean;
  reasons: string[];
  attrs: string[];
  files: string[];
}

/** Ansible's unarchive decision over the probed state. Throws ModuleError where Ansible fails. */
export function judge(st: ArchiveState, a: UnarchiveArgs, remote: boolean): Judgement {
  if (a.creates && st.createsExists) return { skip: `skipped, since ${a.creates} exists`, unarchived: true, reasons: [], attrs: [], files: [] };
  if (!st.destDir) throw new ModuleError(`dest '${a.dest}' must be an existing dir`);
  if (remote && !st.srcExists) throw new ModuleError(`Source '${a.src}' does not exist`);
  if (st.srcSize === 0) throw new ModuleError(`Invalid archive '${a.src}', the file is 0 bytes`);
  if (!st.handler) {
    throw new ModuleError(
      `Failed to find handler for "${a.src}". Make sure the required command to extract the file is installed (unzip for zip; GNU tar with gzip, bzip2 or xz-utils for tar archives).`,
    );
  }
  const files = st.handler === "zip" ? zipFiles(st, a) : tarFiles(st, a);
  const r = st.handler === "zip" ? zipUnarchived(st, a) : tarUnarchived(st, a);
  return { unarchived: r.length === 0, reasons: r, attrs: attrDiffs(st, a, files), files };
}

function zipFiles(st: ArchiveState, a: UnarchiveArgs): string[] {
  const out: string[] = [];
  for (const m of st.list.out.split("\n").filter(Boolean)) {
    if (a.include?.length) {
      for (const inc of a.include) if (fnmatch(m, inc)) out.push(m);
    } else if (!(a.exclude ?? []).some((e) => fnmatch(m, e))) out.push(m);
  }
  return out;
}

function tarFiles(st: ArchiveState, a: UnarchiveArgs): string[] {
  if (st.list.rc !== 0) throw new ModuleError(`Unable to list files in the archive: ${st.list.err.trim()}`);
  const ex = excludes(a);
  return st.list.out
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => unescapeTar(l).replace(/^\//, ""))
    .filter((f) => !ex.some((e) => fnmatch(f, e)));
}

function tarUnarchived(st: ArchiveState, a: UnarchiveArgs): string[] {
  const d = st.tdiff ?? { rc: 0, out: "", err: "" };
  const out: string[] = [];
  for (const line of [...d.out.split("\n"), ...d.err.split("\n")]) {
    if (/: : Warning: Cannot stat: No such file or directory$/.test(line)) continue;
    if (st.uid === 0 && !a.owner && /: Uid differs$/.test(line)) out.push(line);
    if (st.uid === 0 && !a.group && /: Gid differs$/.test(line)) out.push(line);
    if (a.mode === undefined && /: Mode differs$/.test(line)) out.push(line);
    if (/: Mod time differs$/.test(line)) out.push(line);
    if (/: Warning: Cannot stat: No such file or directory$/.test(line)) out.push(line);
    if (/: Invalid owner/.test(line)) out.push(line);
    if (/: Invalid group/.test(line)) out.push(line);
  }
  return out;
}

function permToOctal(perm: string, umask: number): number {
  const rev = [...perm].reverse();
  let mode = 0;
  for (let j = 0; j < 3; j++) for (let i = 0; i < 3; i++) if ("rwxst".includes(rev[i + 3 * j]!)) mode += 2 ** (i + 3 * j);
  return mode & ~umask;
}

function zipUnarchived(st: ArchiveState, a: UnarchiveArgs): string[] {
  const reasons: string[] = [];
  if ((st.zinfo?.rc ?? 0) !== 0) reasons.push(`unzip -Z exited ${st.zinfo?.rc}`);
  const byName = new Map(st.members.map((m) => [m.name, m]));
  const lines = (st.zinfo?.out ?? "").split("\n").filter((l) => {
    const p = l.trim().split(/\s+/);
    return p.length >= 8 && p[6]!.length === 15;
  });
  lines.forEach((line, idx) => {
    const pcs = line.trim().split(/\s+/);
    const rest = line.trim().replace(/^(\S+\s+){7}/, "");
    if (pcs[0]!.length !== 7 && pcs[0]!.length !== 10) return;
    if (!"dl-?".includes(pcs[0]![0]!) || ![...pcs[0]!.slice(1)].every((c) => "rwxstah-".includes(c))) return;
    const ztype = pcs[0]![0]!;
    let perm = pcs[0]!.slice(1);
    const size = Number(pcs[3]);
    const path = rest;
    if ((a.exclude ?? []).includes(path)) return;
    const ftype = path.endsWith("/") ? "d" : ztype === "l" ? "L" : "f";
    let umask = 0;
    if (perm.length === 6) {
      perm = path.endsWith("/") ? "rwxrwxrwx" : perm === "rwx---" ? "rwxrwxrwx" : "rw-rw-rw-";
      umask = st.umask;
    }
    const s = byName.get(path)?.st;
    if (!s) return void reasons.push(`Path ${path} is missing`);
    if (ftype === "d" && s.type !== "directory") return void reasons.push(`File ${path} already exists, but not as a directory`);
    if (ftype === "f" && s.type !== "regular file" && s.type !== "regular empty file")
      return void reasons.push(`Directory ${path} already exists, but not as a regular file`);
    if (ftype === "L" && s.type !== "symbolic link") return void reasons.push(`Directory ${path} already exists, but not as a symlink`);
    const regular = s.type === "regular file" || s.type === "regular empty file";
    const stamp = st.zstamps[idx];
    if (regular && stamp !== undefined) {
      if (a.keep_newer) {
        if (stamp > s.mtime) reasons.push(`File ${path} is older, replacing file`);
        else if (stamp < s.mtime) return;
      } else if (stamp !== s.mtime) reasons.push(`File ${path} differs in mtime (${stamp} vs ${s.mtime})`);
    }
    if (regular && size !== s.size) reasons.push(`File ${path} differs in size (${size} vs ${s.size})`);
    if (regular && byName.get(path)?.same === false) reasons.push(`File ${path} differs in content`);
    if (ftype !== "L") {
      const want =
        a.mode !== undefined ? targetMode(parseMode(a.mode), s.mode, s.type === "directory") : ztype === "?" ? permToOctal(perm, 0) : permToOctal(perm, umask);
      if (want !== s.mode) reasons.push(`Path ${path} differs in permissions (${want.toString(8)} vs ${s.mode.toString(8)})`);
    }
    const owner = a.owner ?? st.user;
    if (!idMatches(owner, s.owner, s.uid)) reasons.push(`Path ${path} is owned by user ${s.owner}, not by user ${owner} as expected`);
    const group = a.group ?? st.group;
    if (!idMatches(group, s.group, s.gid)) reasons.push(`Path ${path} is owned by group ${s.group}, not by group ${group} as expected`);
  });
  return reasons;
}

/** Ansible's set_fs_attributes_if_different on every member and top folder (mode/owner/group named by the task). */
function attrDiffs(st: ArchiveState, a: UnarchiveArgs, files: string[]): string[] {
  if (a.mode === undefined && a.owner === undefined && a.group === undefined && !wantsFsAttrs(a)) return [];
  const stats = new Map<string, MemberStat | undefined>();
  for (const m of st.members) stats.set(m.name.replace(/\/+$/, ""), m.st);
  for (const t of st.tops) if (!stats.has(t.name)) stats.set(t.name, t.st);
  const out: string[] = [];
  const names = new Set([...files.map((f) => f.replace(/\/+$/, "")), ...files.filter((f) => f.includes("/")).map((f) => f.split("/")[0]!)]);
  for (const n of names) {
    const s = stats.get(n);
    if (!s) continue;
    if (a.owner !== undefined && !idMatches(a.owner, s.owner, s.uid)) out.push(`${n} owner ${s.owner}`);
    if (a.group !== undefined && !idMatches(a.group, s.group, s.gid)) out.push(`${n} group ${s.group}`);
    if (a.mode !== undefined && s.type !== "symbolic link") {
      const want = targetMode(parseMode(a.mode), s.mode, s.type === "directory");
      if (want !== s.mode) out.push(`${n} mode ${normMode(s.mode)}`);
    }
    for (const c of memberFsChanges(st, a, s, n))
      out.push(`${n} ${c.data.op === "chattr" ? `attributes ${c.before || "(none)"}` : `SELinux context ${c.before}`}`);
  }
  return out;
}

/** The attribute and context changes of one extracted path (none through a symlink, which chattr does not take). */
function memberFsChanges(st: ArchiveState, a: UnarchiveArgs, s: MemberStat, path: string): { field: string; before: string; data: FsAttrOp }[] {
  if (!wantsFsAttrs(a) || s.type === "symbolic link") return [];
  if (attributesOf(a) !== undefined && s.flags === undefined) return [];
  return fsAttrChanges({ selinux: st.selinux === true, flags: s.flags, context: s.ctx, defaultContext: s.defCtx }, a, path, "");
}

/**
 * What Ansible's set_fs_attributes_if_different does on every member and top folder: the SELinux
 * context first, then chown -h / chmod, the attributes last. After an extraction (new inodes) the
 * context and attributes are set on every path that is not a symlink; otherwise only on those whose
 * probed context or flags differ.
 */
export function attrCommands(a: UnarchiveArgs, files: string[], st: ArchiveState, extracted = false): string[] {
  const names = [...new Set([...files.map((f) => f.replace(/\/+$/, "")), ...files.filter((f) => f.includes("/")).map((f) => f.split("/")[0]!)])].filter(
    Boolean,
  );
  if (!names.length) return [];
  const full = (n: string) => `${a.dest.replace(/\/+$/, "")}/${n}`;
  const paths = names.map((n) => shq(full(n))).join(" ");
  const cmds: string[] = [];
  const late: string[] = [];
  if (wantsFsAttrs(a)) {
    const stats = new Map<string, MemberStat | undefined>();
    for (const m of st.members) stats.set(m.name.replace(/\/+$/, ""), m.st);
    for (const t of st.tops) if (!stats.has(t.name)) stats.set(t.name, t.st);
    for (const n of names) {
      const s = stats.get(n);
      const ops: FsAttrOp[] =
        extracted || !s
          ? newFsOps({ selinux: st.selinux === true, ...(s?.defCtx ? { defaultContext: s.defCtx } : {}) }, a)
          : memberFsChanges(st, a, s, full(n)).map((c) => c.data);
      for (const op of ops) {
        const cmd = op.op === "chcon" ? chconCommand(full(n), op, false) : chattrCommand(full(n), op);
        (op.op === "chcon" ? cmds : late).push(`{ [ -L ${shq(full(n))} ] || ${cmd}; }`);
      }
    }
  }
  const og = a.owner !== undefined ? (a.group !== undefined ? `${a.owner}:${a.group}` : a.owner) : undefined;
  if (og !== undefined) cmds.push(`chown -h ${shq(og)} -- ${paths}`);
  else if (a.group !== undefined) cmds.push(`chgrp -h ${shq(a.group)} -- ${paths}`);
  if (a.mode !== undefined) {
    const spec = parseMode(a.mode);
    const m = "octal" in spec ? normMode(spec.octal) : spec.symbolic;
    cmds.push(`_kf=0; for _kp in ${paths}; do [ -L "$_kp" ] || chmod ${shq(m)} -- "$_kp" || _kf=1; done; [ "$_kf" = 0 ]`);
  }
  return [...cmds, ...late];
}
