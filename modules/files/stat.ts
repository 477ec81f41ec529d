// files.stat — Ansible's `stat`: read-only. The registered result is Ansible's `stat` mapping
// (exists, mode, isdir…, checksum, mimetype, attributes), computed from one @astat record. It never
// changes anything, so check mode, drift and a real run are the same.
import { defineModule } from "../../engine/core/module.js";
import { InternalError } from "../../engine/core/errors.js";
import { findRec, parseRecords, type Rec } from "../../engine/core/record.js";
import { snip } from "../../engine/core/snippets.js";
import { shq } from "../../engine/core/shell.js";
import { modeInfo, permInfo, statFormat } from "./statinfo.js";
import { attributeNames } from "../../engine/core/fsattrs.js";

export interface StatArgs {
  path?: string;
  dest?: string;
  name?: string;
  follow?: boolean;
  get_checksum?: boolean;
  checksum_algorithm?: Algo;
  checksum?: Algo;
  checksum_algo?: Algo;
  get_mime?: boolean;
  mime?: boolean;
  mime_type?: boolean;
  "mime-type"?: boolean;
  get_attributes?: boolean;
  attr?: boolean;
  attributes?: boolean;
  get_md5?: boolean;
}

type Algo = "md5" | "sha1" | "sha224" | "sha256" | "sha384" | "sha512";
const ALGOS: Algo[] = ["md5", "sha1", "sha224", "sha256", "sha384", "sha512"];

/** Ansible's stat result; `{ exists: false }` when the path is missing. */
export type StatResult = Record<string, unknown> & { exists: boolean };

const bool = (description: string, dflt?: boolean) => ({ type: "boolean", ...(dflt === undefined ? {} : { default: dflt }), description });
const algo = (description: string) => ({ type: "string", enum: ALGOS, description });

export default defineModule<StatArgs, StatResult>({
  name: "files.stat",
  aliases: ["stat"],
  description:
    "Read a path's status (type, mode, owner, size, times, checksum, MIME type, attributes) into the registered result's `stat`, as Ansible's stat returns it. Read-only.",
  args: {
    type: "object",
    additionalProperties: false,
    properties: {
      path: { type: "string", minLength: 1, description: "The path to examine." },
      dest: { type: "string", minLength: 1, description: "Alias of path." },
      name: { type: "string", minLength: 1, description: "Alias of path." },
      follow: bool("Follow a symlink and describe what it points to. Default false: the link itself.", false),
      get_checksum: bool("Checksum a readable regular file (checksum_algorithm). Default true.", true),
      checksum_algorithm: algo("md5, sha1 (the default), sha224, sha256, sha384 or sha512."),
      checksum: algo("Alias of checksum_algorithm."),
      checksum_algo: algo("Alias of checksum_algorithm."),
      get_mime: bool("Set mimetype and charset with `file --mime-type --mime-encoding` ('unknown' without the file command). Default true.", true),
      mime: bool("Alias of get_mime."),
      mime_type: bool("Alias of get_mime."),
      "mime-type": bool("Alias of get_mime."),
      get_attributes: bool("Set version, attributes and attr_flags from `lsattr -vd`. Default true.", true),
      attr: bool("Alias of get_attributes."),
      attributes: bool("Alias of get_attributes."),
      get_md5: bool("Also set md5 of a readable regular file (kept by Ansible for old playbooks). Default false.", false),
    },
    anyOf: [{ required: ["path"] }, { required: ["dest"] }, { required: ["name"] }],
  },
  resource: (a) => `path ${pathOf(a)}`,

  probe(a) {
    return { script: statScript(a), parse: (out) => statResult(findRec(parseRecords(out), "astat"), a) };
  },
  diff: () => [],
  explain: (st, a) => (st.exists ? `${pathOf(a)} exists (${kind(st)}, mode ${String(st.mode)})` : `${pathOf(a)} does not exist`),
  result: (st) => ({ stat: st }),
  async apply() {
    throw new InternalError("files.stat is read-only: its diff is always empty, so apply never runs");
  },
});

export function pathOf(a: StatArgs): string {
  return (a.path ?? a.dest ?? a.name)!;
}

function pick<T>(...v: (T | undefined)[]): T | undefined {
  return v.find((x) => x !== undefined);
}

function opts(a: StatArgs) {
  return {
    follow: a.follow ?? false,
    checksum: a.get_checksum ?? true,
    algo: pick(a.checksum_algorithm, a.checksum, a.checksum_algo) ?? "sha1",
    mime: pick(a.get_mime, a.mime, a.mime_type, a["mime-type"]) ?? true,
    attrs: pick(a.get_attributes, a.attr, a.attributes) ?? true,
    md5: a.get_md5 ?? false,
  };
}

/** One @astat record: the stat(1) fields, access tests, link, checksum, file(1) and lsattr output. */
function statScript(a: StatArgs): string {
  const o = opts(a);
  const L = o.follow ? "-L " : "";
  const fmt = [statFormat("\n", true), "blocks=%b", "block_size=%o", "rmajor=%t", "rminor=%T"].join("\n");
  const sum = (id: string, algo: string) => `${snip.field(id, `$(${algo}sum < "$_keel_p" 2>/dev/null | cut -d ' ' -f 1)`)}`;
  return [
    `_keel_p=${shq(pathOf(a))}`,
    snip.begin("astat"),
    o.follow ? `if [ -e "$_keel_p" ]; then` : `if [ -e "$_keel_p" ] || [ -L "$_keel_p" ]; then`,
    `printf 'exists=1\\n'`,
    `stat ${L}-c ${shq(fmt)} -- "$_keel_p" 2>/dev/null`,
    `for _keel_t in r w x; do if [ -$_keel_t "$_keel_p" ]; then printf 'access_%s=1\\n' $_keel_t; else printf 'access_%s=0\\n' $_keel_t; fi; done`,
    ...(o.follow
      ? []
      : [
          `if [ -L "$_keel_p" ]; then`,
          `_keel_v=$(readlink -- "$_keel_p" 2>/dev/null && printf x); _keel_v=\${_keel_v%?x}`,
          `printf 'lnk_target:b64='; printf '%s' "$_keel_v" | base64 | tr -d '\\n'; printf '\\n'`,
          snip.field("lnk_source", `$(readlink -m -- "$_keel_p" 2>/dev/null || readlink -f -- "$_keel_p" 2>/dev/null)`),
          `fi`,
        ]),
    `if [ -f "$_keel_p" ] && [ -r "$_keel_p" ]; then`,
    o.checksum ? sum("checksum", o.algo) : ":",
    o.md5 ? sum("md5", "md5") : ":",
    `fi`,
    ...(o.mime
      ? [`if command -v file >/dev/null 2>&1; then`, snip.field("mime", `$(file -b --mime-type --mime-encoding -- "$_keel_p" 2>/dev/null)`), `fi`]
      : []),
    ...(o.attrs ? [`if command -v lsattr >/dev/null 2>&1; then`, snip.field("lsattr", `$(lsattr -vd -- "$_keel_p" 2>/dev/null)`), `fi`] : []),
    `else printf 'exists=0\\n'; fi`,
  ].join("\n");
}

/** Linux's makedev, as Python's st_rdev gives it. */
function makedev(major: number, minor: number): number {
  return (major & 0xfff) * 256 + (major >>> 12) * 2 ** 44 + (minor & 0xff) + (minor >>> 8) * 2 ** 20;
}

/** Pure: Ansible's `stat` mapping from the @astat record. */
export function statResult(r: Rec | undefined, a: StatArgs): StatResult {
  if (!r || r.get("exists") !== "1") return { exists: false };
  const o = opts(a);
  const raw = parseInt(r.get("rawmode") ?? "0", 16);
  const num = (k: string) => {
    const v = r.get(k);
    return v === undefined || v === "" || !Number.isFinite(Number(v)) ? undefined : Number(v);
  };
  const out: StatResult = {
    exists: true,
    path: pathOf(a),
    ...modeInfo(raw),
    uid: num("uid"),
    gid: num("gid"),
    size: num("size"),
    inode: num("inode"),
    dev: num("dev"),
    nlink: num("nlink"),
    atime: num("atime"),
    mtime: num("mtime"),
    ctime: num("ctime"),
    ...permInfo(raw),
    blocks: num("blocks"),
    block_size: num("block_size"),
    device_type: makedev(parseInt(r.get("rmajor") ?? "0", 16) || 0, parseInt(r.get("rminor") ?? "0", 16) || 0),
    readable: r.get("access_r") === "1",
    writeable: r.get("access_w") === "1",
    executable: r.get("access_x") === "1",
  };
  if (out.islnk) {
    out.lnk_source = r.get("lnk_source") ?? "";
    out.lnk_target = r.get("lnk_target") ?? "";
  }
  const owner = r.get("owner");
  if (owner !== undefined && owner !== "UNKNOWN") out.pw_name = owner;
  const group = r.get("group");
  if (group !== undefined && group !== "UNKNOWN") out.gr_name = group;
  if (out.isreg && out.readable) {
    if (o.md5) out.md5 = r.get("md5") || null;
    if (o.checksum && r.get("checksum")) out.checksum = r.get("checksum");
  }
  if (o.mime) {
    out.mimetype = out.charset = "unknown";
    const m = /^\s*([^;]+);\s*charset=(\S+)/.exec(r.get("mime") ?? "");
    if (m) {
      out.mimetype = m[1]!.trim();
      out.charset = m[2]!.trim();
    }
  }
  if (o.attrs) {
    out.version = null;
    out.attributes = [];
    out.attr_flags = "";
    const f = (r.get("lsattr") ?? "").trim().split(/\s+/);
    if (f.length >= 2) {
      out.version = f[0]!;
      out.attr_flags = f[1]!.replace(/-/g, "");
      out.attributes = attributeNames(out.attr_flags as string);
    }
  }
  for (const k of Object.keys(out)) if (out[k] === undefined) delete out[k];
  return out;
}

function kind(st: StatResult): string {
  return st.isdir ? "directory" : st.islnk ? "symlink" : st.isreg ? "file" : "special file";
}
