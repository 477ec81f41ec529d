// files.find — Ansible's `find`: read-only. The probe lists what is below each path with lstat
// fields (find | stat --printf, NUL-separated), the host's clock, sha1 sums when asked, and which
// files match `contains` (grep -P: Perl-compatible, as close to Python's re as a shell gets). Every
// filter (patterns, excludes, age, size, file_type, hidden, depth) is applied here, in pure code,
// as Ansible's find.py applies them. The registered result is files, matched, examined,
// skipped_paths and msg.
import { defineModule } from "../../engine/core/module.js";
import { InputError, InternalError } from "../../engine/core/errors.js";
import { allRecs, findRec, parseRecords } from "../../engine/core/record.js";
import { snip } from "../../engine/core/snippets.js";
import { shq } from "../../engine/core/shell.js";
import { pyRegex } from "../../engine/core/pyregex.js";
import { fnmatch } from "../../engine/core/fnmatch.js";
import { STAT_FIELDS, fileFormat, modeInfo, permInfo, statFormat, type StatField } from "./statinfo.js";

export interface FindArgs {
  paths?: string | string[];
  path?: string | string[];
  name?: string | string[];
  patterns?: string | string[];
  pattern?: string | string[];
  excludes?: string | string[];
  exclude?: string | string[];
  contains?: string;
  read_whole_file?: boolean;
  file_type?: "any" | "directory" | "file" | "link";
  age?: string | number;
  age_stamp?: "atime" | "ctime" | "mtime";
  size?: string | number;
  recurse?: boolean;
  hidden?: boolean;
  follow?: boolean;
  get_checksum?: boolean;
  use_regex?: boolean;
  depth?: number;
}

export interface Entry {
  path: string;
  raw: number;
  uid: number;
  gid: number;
  owner: string;
  group: string;
  size: number;
  inode: number;
  dev: number;
  nlink: number;
  atime: number;
  mtime: number;
  ctime: number;
}

export interface FindState {
  now: number;
  walks: {
    path: string;
    isdir: boolean;
    entries: Entry[];
    error?: string;
    contains: string[];
    sums: Record<string, string>;
    /** Symlinks to directories: os.walk lists them with the directories (without following them). */
    linkdirs?: string[];
  }[];
}

const list = (description: string) => ({ anyOf: [{ type: "string" }, { type: "array", items: { type: "string" } }], description });

export default defineModule<FindArgs, FindState>({
  name: "files.find",
  aliases: ["find"],
  description:
    "Find files below directories by name (glob or regex), age, size, type and content, into the registered result's `files` (each with its stat fields), `matched` and `examined`, as Ansible's find returns them. Read-only.",
  args: {
    type: "object",
    additionalProperties: false,
    properties: {
      paths: list("Directories to search (a list, or a comma-separated string)."),
      path: list("Alias of paths."),
      name: list("Alias of paths."),
      patterns: list(
        "Basename patterns, any of which must match: shell globs, or Python regular expressions (matched at the start) with use_regex. Default all.",
      ),
      pattern: list("Alias of patterns."),
      excludes: list("Basename patterns that reject an entry the patterns matched."),
      exclude: list("Alias of excludes."),
      contains: {
        type: "string",
        description:
          "A regular expression a regular file must match at the start of one of its lines (anywhere in the file with read_whole_file). Only with file_type: file.",
      },
      read_whole_file: { type: "boolean", default: false, description: "Search contains in the whole file instead of line by line. Default false." },
      file_type: {
        type: "string",
        enum: ["any", "directory", "file", "link"],
        default: "file",
        description: "Which entries: file (the default), directory, link or any.",
      },
      age: {
        type: ["string", "integer"],
        pattern: "^-?\\d+[smhdwSMHDW]?$",
        description: "Entries at least this old (a negative value: at most this old): seconds, or with a unit s, m, h, d or w.",
      },
      age_stamp: { type: "string", enum: ["atime", "ctime", "mtime"], default: "mtime", description: "The time age compares. Default mtime." },
      size: {
        type: ["string", "integer"],
        pattern: "^-?\\d+[bkmgtBKMGT]?$",
        description: "Regular files at least this big (a negative value: at most): bytes, or with a unit b, k, m, g or t.",
      },
      recurse: { type: "boolean", default: false, description: "Descend into subdirectories. Default false." },
      hidden: { type: "boolean", default: false, description: "Include entries whose name starts with a dot. Default false." },
      follow: { type: "boolean", default: false, description: "Descend into symlinked directories. Default false." },
      get_checksum: { type: "boolean", default: false, description: "Add the sha1 checksum of each regular file found. Default false." },
      use_regex: { type: "boolean", default: false, description: "patterns and excludes are Python regular expressions instead of globs. Default false." },
      depth: { type: "integer", minimum: 1, description: "With recurse, the deepest level examined (1: the path's own entries)." },
    },
    anyOf: [{ required: ["paths"] }, { required: ["path"] }, { required: ["name"] }],
  },
  resource: (a) => `paths ${pathsOf(a).join(", ")}`,

  validate(a) {
    if (a.use_regex) for (const p of [...patternsOf(a), ...excludesOf(a)]) pyRegex(p, "patterns");
    if (a.contains !== undefined) pyRegex(a.contains, "contains");
    if (a.age !== undefined) seconds(a.age);
    if (a.size !== undefined) bytes(a.size);
  },

  probe(a) {
    return { script: findScript(a), parse: parseFind };
  },
  diff: () => [],
  explain: (st, a) => {
    const r = findResult(st, a);
    return `${String(r.matched)} of ${String(r.examined)} entries match`;
  },
  result: (st, a) => findResult(st, a),
  async apply() {
    throw new InternalError("files.find is read-only: its diff is always empty, so apply never runs");
  },
});

function asList(v: string | string[] | undefined): string[] {
  if (v === undefined) return [];
  return Array.isArray(v)
    ? v
    : v
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean);
}

export function pathsOf(a: FindArgs): string[] {
  return asList(a.paths ?? a.path ?? a.name);
}
function patternsOf(a: FindArgs): string[] {
  // Ansible splits a comma-separated string for type=list, but a regex may hold commas: a string
  // given with use_regex stays whole, as Ansible's docs advise a list for those.
  const p = a.patterns ?? a.pattern;
  return typeof p === "string" && a.use_regex ? [p] : asList(p);
}
function excludesOf(a: FindArgs): string[] {
  const p = a.excludes ?? a.exclude;
  return typeof p === "string" && a.use_regex ? [p] : asList(p);
}

function seconds(age: string | number): number {
  const m = /^(-?\d+)([smhdw])?$/.exec(String(age).toLowerCase());
  if (!m) throw new InputError(`failed to process age '${age}'`, undefined, "write age as a number of seconds, or with a unit: 30m, 2h, 3d, 1w");
  return Number(m[1]) * { s: 1, m: 60, h: 3600, d: 86400, w: 604800 }[(m[2] ?? "s") as "s"];
}

function bytes(size: string | number): number {
  const m = /^(-?\d+)([bkmgt])?$/.exec(String(size).toLowerCase());
  if (!m) throw new InputError(`failed to process size '${size}'`, undefined, "write size as bytes, or with a unit: 10k, 5m, 1g");
  return Number(m[1]) * 1024 ** "bkmgt".indexOf(m[2] ?? "b");
}

const FMT = `${statFormat("|", false)}|%n\\0`;

function findScript(a: FindArgs): string {
  const L = a.follow ? "-L " : "";
  // Entries one level deeper than `depth` are counted in `examined`, as os.walk lists them.
  const max = !a.recurse ? " -maxdepth 1" : a.depth ? ` -maxdepth ${a.depth + 1}` : "";
  const grep =
    a.contains === undefined
      ? undefined
      : `grep -l -Z ${a.read_whole_file ? "-z " : ""}-P -e ${shq(a.read_whole_file ? a.contains : `^(?:${a.contains})`)} -- {} +`;
  const lines = [snip.begin("now"), snip.field("epoch", "$(date +%s)")];
  pathsOf(a).forEach((p, i) => {
    lines.push(
      `_keel_d=${shq(p)}`,
      snip.begin("walk", String(i)),
      `if [ -d "$_keel_d" ]; then printf 'isdir=1\\n'`,
      snip.b64Field("list", `find ${L}"$_keel_d" -mindepth 1${max} -exec stat --printf ${shq(FMT)} {} + 2>/dev/null`),
      snip.b64Field("err", `find ${L}"$_keel_d" -mindepth 1${max} 2>&1 >/dev/null | head -n 5`),
      ...(a.follow ? [] : [snip.b64Field("linkdirs", `find "$_keel_d" -mindepth 1${max} -type l -xtype d -print0 2>/dev/null`)]),
      ...(a.get_checksum ? [snip.b64Field("sums", `find ${L}"$_keel_d" -mindepth 1${max} -type f -exec sha1sum -z -- {} + 2>/dev/null`)] : []),
      ...(grep ? [snip.b64Field("contains", `find ${L}"$_keel_d" -mindepth 1${max} -type f -exec ${grep} 2>/dev/null`)] : []),
      `else printf 'isdir=0\\n'; fi`,
    );
  });
  return lines.join("\n");
}

/** Pure: the probe's records as walks of entries. */
export function parseFind(stdout: string): FindState {
  const recs = parseRecords(stdout);
  const now = Number(findRec(recs, "now")?.get("epoch") ?? "0");
  const walks = allRecs(recs, "walk").map((r) => {
    const entries: Entry[] = [];
    for (const rec of (r.get("list") ?? "").split("\0")) {
      if (rec === "") continue;
      const f = rec.split("|");
      const nf = STAT_FIELDS.length;
      if (f.length <= nf) continue;
      const v = Object.fromEntries(STAT_FIELDS.map(([k], i) => [k, f[i]!])) as Record<StatField, string>;
      const n = (k: StatField) => Number(v[k]);
      entries.push({
        path: f.slice(nf).join("|"),
        raw: parseInt(v.rawmode, 16),
        uid: n("uid"),
        gid: n("gid"),
        owner: v.owner,
        group: v.group,
        size: n("size"),
        inode: n("inode"),
        dev: n("dev"),
        nlink: n("nlink"),
        atime: n("atime"),
        mtime: n("mtime"),
        ctime: n("ctime"),
      });
    }
    const sums: Record<string, string> = {};
    for (const s of (r.get("sums") ?? "").split("\0")) {
      const m = /^\\?([0-9a-f]{40}) [ *](.*)$/s.exec(s);
      if (m) sums[m[2]!] = m[1]!;
    }
    const walk: FindState["walks"][number] = {
      path: "",
      isdir: r.get("isdir") === "1",
      entries,
      contains: (r.get("contains") ?? "").split("\0").filter(Boolean),
      sums,
    };
    const linkdirs = (r.get("linkdirs") ?? "").split("\0").filter(Boolean);
    if (linkdirs.length) walk.linkdirs = linkdirs;
    const err = (r.get("err") ?? "").trim();
    if (err) walk.error = err.split("\n")[0]!.replace(/^find: /, "");
    return walk;
  });
  return { now, walks };
}

function nameFilter(name: string, patterns: string[], excludes: string[], regex: boolean): boolean {
  // re.match anchors at the start only, as Ansible's pfilter uses it
  const m = (p: string) => (regex ? pyRegex(`^(?:${p})`, "patterns").test(name) : fnmatch(name, p));
  if (!patterns.some(m)) return false;
  return !excludes.some(m);
}

/** Ansible's statinfo() of one entry. */
function statinfo(e: Entry): Record<string, unknown> {
  return {
    path: e.path,
    ...modeInfo(e.raw),
    uid: e.uid,
    gid: e.gid,
    size: e.size,
    inode: e.inode,
    dev: e.dev,
    nlink: e.nlink,
    atime: e.atime,
    mtime: e.mtime,
    ctime: e.ctime,
    gr_name: e.group === "UNKNOWN" ? "" : e.group,
    pw_name: e.owner === "UNKNOWN" ? "" : e.owner,
    ...permInfo(e.raw),
  };
}

/** Pure: Ansible's find result from the walks. */
export function findResult(st: FindState, a: FindArgs): Record<string, unknown> {
  const regex = a.use_regex ?? false;
  let patterns = patternsOf(a);
  if (!patterns.length) patterns = [regex ? ".*" : "*"];
  const excludes = excludesOf(a);
  const type = a.file_type ?? "file";
  const age = a.age === undefined ? undefined : seconds(a.age);
  const size = a.size === undefined ? undefined : bytes(a.size);
  const stamp = a.age_stamp ?? "mtime";
  const files: Record<string, unknown>[] = [];
  const skipped: Record<string, string> = {};
  let examined = 0;
  pathsOf(a).forEach((root, i) => {
    const w = st.walks[i];
    if (!w || !w.isdir) {
      skipped[root] = `'${root}' is not a directory`;
      return;
    }
    if (w.error) skipped[root] = w.error;
    const base = root.replace(/\/+$/, "") + "/";
    const contains = new Set(w.contains);
    for (const e of walkOrder(w.entries, root, new Set(w.linkdirs ?? []))) {
      examined++;
      const rel = e.path.startsWith(base) ? e.path.slice(base.length) : e.path.slice(root.length);
      const depth = rel.split("/").length;
      if (a.recurse && a.depth && depth > a.depth) continue;
      const name = rel.slice(rel.lastIndexOf("/") + 1);
      if (name.startsWith(".") && !a.hidden) continue;
      const fmt = fileFormat(e.raw);
      const isReg = fmt === 0o100000;
      const ageOk = age === undefined || (age >= 0 ? st.now - e[stamp] >= age : st.now - e[stamp] <= -age);
      const sizeOk = size === undefined || (size >= 0 ? e.size >= size : e.size <= -size);
      const nameOk = () => nameFilter(name, patterns, excludes, regex);
      const path = normpath(e.path);
      let take = false;
      if (type === "any") take = nameOk() && ageOk && (!isReg || sizeOk);
      else if (type === "directory") take = fmt === 0o040000 && nameOk() && ageOk;
      else if (type === "file") take = isReg && nameOk() && ageOk && sizeOk && (a.contains === undefined || contains.has(e.path));
      else take = fmt === 0o120000 && nameOk() && ageOk;
      if (!take) continue;
      const r = statinfo(e);
      r.path = path;
      if (isReg && a.get_checksum && (type === "file" || type === "any") && w.sums[e.path]) r.checksum = w.sums[e.path];
      files.push(r);
    }
  });
  const warned = Object.keys(skipped).length > 0;
  return {
    files,
    matched: files.length,
    examined,
    skipped_paths: skipped,
    msg: warned ? "Not all paths examined, check warnings for details" : "All paths examined",
    changed: false,
    // module.warn() of each skipped path, which Ansible's result carries as `warnings`
    ...(warned ? { warnings: Object.entries(skipped).map(([p, why]) => `Skipped '${p}' path due to this access issue: ${why}\n`) } : {}),
  };
}

/**
 * The entries in os.walk's order (find's is depth-first): per directory, top-down, its non-directory
 * entries then its directories (a symlink to a directory counts as one, as os.scandir's is_dir()
 * follows it), each group in the order the directory lists them.
 */
function walkOrder(entries: Entry[], root: string, linkdirs: ReadonlySet<string>): Entry[] {
  const kids = new Map<string, Entry[]>();
  for (const e of entries) {
    const parent = e.path.slice(0, e.path.lastIndexOf("/"));
    if (!kids.has(parent)) kids.set(parent, []);
    kids.get(parent)!.push(e);
  }
  const out: Entry[] = [];
  const visit = (dir: string) => {
    const list = kids.get(dir) ?? [];
    const dirs = list.filter((e) => kids.has(e.path) || fileFormat(e.raw) === 0o040000 || linkdirs.has(e.path));
    out.push(...list.filter((e) => !dirs.includes(e)), ...dirs);
    for (const d of dirs) visit(d.path);
  };
  visit(root.length > 1 ? root.replace(/\/+$/, "") : root);
  // anything the walk did not reach (a root given as "." or with "//"): find's order
  if (out.length < entries.length) for (const e of entries) if (!out.includes(e)) out.push(e);
  return out;
}

/** os.path.normpath for the absolute or relative paths find prints. */
function normpath(p: string): string {
  const abs = p.startsWith("/");
  const out: string[] = [];
  for (const s of p.split("/")) {
    if (s === "" || s === ".") continue;
    if (s === ".." && out.length && out[out.length - 1] !== "..") out.pop();
    else if (s !== ".." || !abs) out.push(s);
  }
  return (abs ? "/" : "") + out.join("/") || (abs ? "/" : ".");
}
