// files.get_url — ansible.builtin.get_url: the HOST downloads a URL into a file (curl, wget or
// python3, whichever it has, in that order), with Ansible's idempotence:
//   - dest exists, no checksum, force=false: left alone (Ansible does not download);
//   - checksum given: converged when dest's digest is the checksum; otherwise downloaded, and the
//     download must match it before it replaces dest;
//   - force=true, or dest is a directory (the file is dest/<URL basename>): the probe streams the
//     URL through sha256sum on the host (nothing written) so that check mode knows whether the
//     content differs, as Ansible decides after downloading.
// The download lands in a temporary file beside dest and is renamed into place.
import { defineModule, type Change, type Host } from "../../engine/core/module.js";
import { ArgError, ModuleError } from "../../engine/core/errors.js";
import { refuseLineBreaksIn } from "../../engine/core/lines.js";
import { findRec, parseRecords } from "../../engine/core/record.js";
import { normMode, snip, statOf } from "../../engine/core/snippets.js";
import { shq } from "../../engine/core/shell.js";
import {
  BACKUP_SCHEMA,
  GROUP_SCHEMA,
  MODE_SCHEMA,
  OWNER_SCHEMA,
  attrChanges,
  attrCommands,
  attrOps,
  parseMode,
  targetMode,
  type AttrArgs,
  type AttrOp,
  type FileStat,
} from "./common.js";

/** The plan: download (into a temporary file, checked, renamed into place), or fix attributes. */
export type GetUrlOp = { op: "fetch" } | AttrOp;

export interface GetUrlArgs extends AttrArgs {
  url: string;
  dest: string;
  checksum?: string;
  force?: boolean;
  backup?: boolean;
  timeout?: number;
  headers?: Record<string, string>;
  validate_certs?: boolean;
  url_username?: string;
  url_password?: string;
  force_basic_auth?: boolean;
}

export interface GetUrlState {
  /** The file the download goes to (dest, or dest/<basename> when dest is a directory). */
  path: string;
  destIsDir: boolean;
  file: FileStat;
  /** Digest of the existing file with the checksum's algorithm (or sha256). */
  digest?: string;
  /** The tool the host downloads with. */
  tool?: "curl" | "wget" | "python3";
  /** sha256 of the URL's content, when the probe streamed it; fetchRc is the tool's exit code. */
  remote?: { rc: number; sha256?: string };
}

// the algorithms Ansible accepts in `checksum`; the type below is derived from this list
// eslint-disable-next-line @typescript-eslint/no-unused-vars
const ALGOS = ["md5", "sha1", "sha224", "sha256", "sha384", "sha512"] as const;

export default defineModule<GetUrlArgs, GetUrlState, GetUrlOp>({
  name: "files.get_url",
  aliases: ["get_url"],
  description:
    "Ensure a file downloaded by the host from an HTTP(S) URL is in place (curl, wget or python3 on the host), judged as Ansible does: by checksum when given, else by the file's presence unless force.",
  args: {
    type: "object",
    additionalProperties: false,
    required: ["url", "dest"],
    properties: {
      url: { type: "string", pattern: "^(https?|ftp)://\\S+$", description: "http://, https:// or ftp:// URL." },
      dest: {
        type: "string",
        pattern: "^/",
        description: "Absolute path of the file, or of a directory (the file is then named after the URL's last path segment).",
      },
      checksum: {
        type: "string",
        pattern: "^(md5|sha1|sha224|sha256|sha384|sha512):[0-9A-Fa-f]+$",
        description: "ALGORITHM:HEXDIGEST (sha256:…). dest is converged when its digest matches; a download must match it.",
      },
      force: { type: "boolean", default: false, description: "Download even when dest exists (replaced only when the content differs). Default false." },
      backup: BACKUP_SCHEMA,
      timeout: { type: "integer", minimum: 1, default: 10, description: "Seconds before the request gives up. Default 10." },
      headers: { type: "object", additionalProperties: { type: "string" }, description: "Extra request headers." },
      validate_certs: { type: "boolean", default: true, description: "Verify the server's TLS certificate. Default true." },
      url_username: { type: "string", description: "User name for HTTP basic authentication." },
      url_password: { type: "string", description: "Password for HTTP basic authentication." },
      force_basic_auth: {
        type: "boolean",
        default: false,
        description: "Send the basic authentication header on the first request (keel always does when url_username is set).",
      },
      mode: MODE_SCHEMA,
      owner: OWNER_SCHEMA,
      group: GROUP_SCHEMA,
    },
  },
  resource: (a) => `file ${a.dest} from ${a.url.replace(/\/\/[^/@]*@/, "//")}`,

  validate(a) {
    refuseLineBreaksIn(a, ["url", "dest", "url_username", "url_password"], "the request");
    for (const [k, v] of Object.entries(a.headers ?? {})) {
      if (!/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(k) || /[\r\n\0]/.test(v))
        throw new ArgError("headers", `invalid header ${JSON.stringify(k)}`, "a header name is a token and its value one line");
    }
    if (a.checksum) {
      const [algo, hex] = a.checksum.split(":") as [string, string];
      const len = { md5: 32, sha1: 40, sha224: 56, sha256: 64, sha384: 96, sha512: 128 }[algo as (typeof ALGOS)[number]];
      if (hex.length !== len) throw new ArgError("checksum", `a ${algo} digest has ${len} hex digits, got ${hex.length}`, "checksum: sha256:<64 hex digits>");
    }
  },

  probe(a) {
    const algo = a.checksum ? a.checksum.split(":")[0]! : "sha256";
    const base = basename(a.url);
    const lines = [
      `_kd=${shq(a.dest)}`,
      `if [ -d "$_kd" ]; then _kp="$_kd"/${shq(base)}; _kdir=1; else _kp="$_kd"; _kdir=0; fi`,
      snip.begin("get_url"),
      snip.field("dir", '"$_kdir"'),
      snip.field("path", '"$_kp"'),
      `if command -v curl >/dev/null 2>&1; then printf 'tool=curl\\n'; elif command -v wget >/dev/null 2>&1; then printf 'tool=wget\\n'; elif command -v python3 >/dev/null 2>&1; then printf 'tool=python3\\n'; fi`,
      `if [ -f "$_kp" ]; then _ks=$(${algo}sum < "$_kp" 2>/dev/null) && printf 'digest=%s\\n' "\${_ks%% *}"; fi`,
      snip.stat("file", { sh: '"$_kp"' }, { follow: true }),
      snip.stat("parent", { sh: `"\${_kp%/*}"` }, { follow: true }),
    ];
    // Stream the content through sha256sum only when the decision needs it (force, or a directory
    // dest without checksum): "RC:HASH  -", the tool's exit code first (it exits before the pipe closes).
    // With a checksum the digest decides (force or not: a forced download must match it anyway).
    if (!a.checksum) {
      lines.push(
        a.force ? "if true; then" : `if [ "$_kdir" = 1 ]; then`,
        snip.begin("remote"),
        snip.field("sum", `"$( { { ${fetchCmd(a, "-")} 2>/dev/null; printf '%s:' "$?" >&5; } | sha256sum; } 5>&1 )"`),
        "fi",
      );
    }
    return {
      script: lines.join("\n"),
      parse(stdout) {
        const recs = parseRecords(stdout);
        const r = findRec(recs, "get_url");
        if (!r) throw new ModuleError(`unexpected probe output: ${JSON.stringify(stdout.slice(0, 200))}`);
        const path = r.get("path") ?? a.dest;
        const s = statOf(recs, "file");
        const file: FileStat = {
          path,
          type: !s ? "absent" : s.type === "file" || s.type === "directory" ? s.type : "other",
          parentExists: statOf(recs, "parent")?.type === "directory",
        };
        if (s) Object.assign(file, { mode: s.mode, uid: s.uid, gid: s.gid, owner: s.owner, group: s.group, size: s.size });
        const st: GetUrlState = { path, destIsDir: r.get("dir") === "1", file };
        const digest = r.get("digest");
        if (digest) st.digest = digest;
        const tool = r.get("tool");
        if (tool === "curl" || tool === "wget" || tool === "python3") st.tool = tool;
        const remote = findRec(recs, "remote")?.get("sum");
        if (remote !== undefined) {
          const m = /^(\d+):([0-9a-f]{64})?/.exec(remote);
          st.remote = m ? { rc: Number(m[1]), ...(m[1] === "0" && m[2] ? { sha256: m[2] } : {}) } : { rc: -1 };
        }
        return st;
      },
    };
  },

  diff(st, a) {
    const f = st.file;
    if (f.type === "other" || (f.type === "directory" && !st.destIsDir)) throw new ModuleError(`${st.path} exists and is not a regular file`);
    if (f.type === "absent" && !f.parentExists) throw new ModuleError(`Destination ${st.path.replace(/\/[^/]*$/, "")} does not exist`);
    const want = a.checksum?.split(":")[1]?.toLowerCase();
    const out: Change<GetUrlOp>[] = [];
    const fetch = (why: string, before?: string) =>
      out.push({
        summary: `${st.path}: ${why}, to download ${a.url}`,
        field: "content",
        before: before ?? null,
        after: want ? a.checksum : "downloaded",
        data: { op: "fetch" },
      });
    if (st.remote && st.remote.sha256 === undefined)
      throw new ModuleError(`Request failed: ${a.url} could not be fetched on the host (${st.tool ?? "no curl, wget or python3"} exited ${st.remote.rc})`);
    if (f.type === "absent") fetch("missing");
    else if (want) {
      if (st.digest !== want) fetch(`${a.checksum!.split(":")[0]} ${st.digest ?? "unknown"} is not the checksum`, st.digest);
    } else if (st.remote) {
      // force, or a directory dest: the content decides.
      if (st.remote.sha256 !== st.digest) fetch(`content differs (sha256 ${short(st.digest)} → ${short(st.remote.sha256)})`, st.digest);
    }
    if (f.type === "file") out.push(...attrChanges(f, a, ""));
    else if (out.length && (a.mode !== undefined || a.owner !== undefined || a.group !== undefined)) out[0]!.summary += attrNote(a);
    return out;
  },

  explain(st, a) {
    if (a.checksum) return `${st.path} has ${a.checksum.split(":")[0]} ${st.digest}`;
    if (st.remote) return `${st.path} has the URL's content (sha256 ${short(st.digest)})`;
    return `${st.path} exists (not downloaded again without force or checksum, as Ansible)`;
  },

  async apply(host, a, changes, st) {
    const fetch = changes.some((c) => c.data?.op === "fetch");
    if (!fetch) {
      await runAttr(host, st.path, attrOps(changes));
      return;
    }
    if (!st.tool) throw new ModuleError("the host has none of curl, wget or python3 to download with");
    const p = shq(st.path);
    const dir = shq(st.path.replace(/\/[^/]*$/, "") || "/");
    const lines = [`_kt=$(mktemp ${dir}/.keel-get_url.XXXXXX) || exit 1`, `trap 'rm -f "$_kt"' EXIT`];
    lines.push(`${fetchCmd(a, '"$_kt"', st.tool)} || { echo "Request failed: ${a.url.replace(/["\\$`]/g, "")} ($?)" >&2; exit 1; }`);
    if (a.checksum) {
      const [algo, hex] = a.checksum.split(":") as [string, string];
      lines.push(
        `_kg=$(${algo}sum < "$_kt"); _kg=\${_kg%% *}`,
        `if [ "$_kg" != ${shq(hex.toLowerCase())} ]; then echo "The checksum for ${st.path.replace(/["\\$`]/g, "")} did not match ${hex.toLowerCase()}; it was $_kg." >&2; exit 1; fi`,
      );
    }
    // A replaced file keeps its mode and owner; a new one gets 0666 & ~umask, as Ansible's atomic_move.
    if (st.file.type === "file") lines.push(`chmod --reference=${p} "$_kt" && chown --reference=${p} "$_kt"`);
    else lines.push(`chmod "$(printf '%04o' $(( 0666 & ~$(umask) )))" "$_kt"`);
    if (a.backup && st.file.type === "file") lines.push(`cp -p ${p} ${p}.$(date +%Y-%m-%d@%H:%M:%S)~`);
    lines.push(`mv -f "$_kt" ${p}`, "trap - EXIT");
    await host.run(lines.join("\n"));
    // The task's mode/owner/group on the new file (the probe saw the old one or none).
    const attrs: AttrOp[] = [];
    if (a.owner !== undefined) attrs.push({ op: "owner", owner: a.owner });
    if (a.group !== undefined) attrs.push({ op: "group", group: a.group });
    if (a.mode !== undefined)
      attrs.push({ op: "mode", mode: normMode(targetMode(parseMode(a.mode), st.file.mode ? parseInt(st.file.mode, 8) : 0o644, false)) });
    await runAttr(host, st.path, attrs);
    return { data: { dest: st.path, url: a.url } };
  },
});

async function runAttr(host: Host, path: string, ops: AttrOp[]): Promise<void> {
  const cmds = attrCommands(path, ops);
  if (cmds.length) await host.run(cmds.join(" && "));
}

function attrNote(a: AttrArgs): string {
  const parts: string[] = [];
  if (a.mode !== undefined) parts.push(`mode ${a.mode}`);
  if (a.owner !== undefined) parts.push(`owner ${a.owner}`);
  if (a.group !== undefined) parts.push(`group ${a.group}`);
  return ` (with ${parts.join(", ")})`;
}

function short(h: string | undefined): string {
  return h ? `${h.slice(0, 12)}…` : "none";
}

/** The URL's last path segment, as Ansible names a file downloaded into a directory. */
export function basename(url: string): string {
  const path = url.replace(/^[a-z]+:\/\/[^/]*/i, "").split(/[?#]/)[0]!;
  const b = decodeURIComponent(path.split("/").filter(Boolean).pop() ?? "");
  return b && b !== "." && b !== ".." && !b.includes("/") ? b : "index.html";
}

/** The download command writing to `out` (a shell word; "-" is stdout) with the host's tool. */
export function fetchCmd(a: GetUrlArgs, out: string, tool?: GetUrlState["tool"]): string {
  const t = a.timeout ?? 10;
  const insecure = a.validate_certs === false;
  const hdrs = Object.entries(a.headers ?? {});
  const curl = [
    "curl",
    "-fsSL",
    "--max-time",
    String(t),
    ...(insecure ? ["-k"] : []),
    ...hdrs.flatMap(([k, v]) => ["-H", `${k}: ${v}`]),
    ...(a.url_username !== undefined ? ["-u", `${a.url_username}:${a.url_password ?? ""}`] : []),
  ];
  const wget = [
    "wget",
    "-q",
    "-T",
    String(t),
    ...(insecure ? ["--no-check-certificate"] : []),
    ...hdrs.map(([k, v]) => `--header=${k}: ${v}`),
    ...(a.url_username !== undefined ? [`--user=${a.url_username}`, `--password=${a.url_password ?? ""}`, "--auth-no-challenge"] : []),
  ];
  const py = [
    "import base64,json,shutil,ssl,sys,urllib.request as u",
    "url,out,t,ins,h,usr,pw=sys.argv[1:8]",
    "r=u.Request(url,headers=json.loads(h))",
    "usr and r.add_header('Authorization','Basic '+base64.b64encode((usr+':'+pw).encode()).decode())",
    "c=ssl._create_unverified_context() if ins=='1' else None",
    "s=u.urlopen(r,timeout=float(t),context=c)",
    "f=sys.stdout.buffer if out=='-' else open(out,'wb')",
    "shutil.copyfileobj(s,f)",
    "f.flush()",
  ].join("\n");
  const q = (xs: string[]) => xs.map((x) => shq(x)).join(" ");
  const url = shq(a.url);
  const curlCmd = `${q(curl)} -o ${out} ${url}`;
  const wgetCmd = `${q(wget)} -O ${out} ${url}`;
  const pyCmd = `python3 -c ${shq(py)} ${url} ${out} ${t} ${insecure ? 1 : 0} ${shq(JSON.stringify(a.headers ?? {}))} ${shq(a.url_username ?? "")} ${shq(a.url_password ?? "")}`;
  if (tool === "curl") return curlCmd;
  if (tool === "wget") return wgetCmd;
  if (tool === "python3") return pyCmd;
  return `if command -v curl >/dev/null 2>&1; then ${curlCmd}; elif command -v wget >/dev/null 2>&1; then ${wgetCmd}; else ${pyCmd}; fi`;
}
