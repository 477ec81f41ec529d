// files.get_url — ansible.builtin.get_url: the HOST downloads a URL into a file (curl, wget or
// python3, whichever it has, in that order), deciding as ansible-core 2.14's get_url does:
//   - checksum given and dest's digest matches it (force false): converged, no request;
//   - dest exists, force false, no checksum: a conditional request with If-Modified-Since set to
//     dest's mtime; 304 means unchanged, otherwise the content decides (Ansible's code does this,
//     although its documentation says the file is then never downloaded again);
//   - force true (sent with `cache-control: no-cache`, without If-Modified-Since), or dest a
//     directory (the file is dest/<URL basename>): the content decides;
//   - "the content decides": the probe streams the response through sha256sum on the host (nothing
//     written) and compares with dest, so that check mode knows what a run would do. (Ansible's
//     check mode sends a HEAD request and reports a change whenever the answer is not 304.)
//   - `checksum: ALGO:URL` reads the digest from a checksum file (`sha256sum` format, or a lone
//     digest) fetched by the probe, as Ansible does.
// Any status but 200 (or 304 to a conditional request) fails the task, as in Ansible. The download
// lands in a temporary file beside dest (or in tmp_dest) and is renamed into place.
import { defineModule, type ApplyResult, type Change, type Host } from "../../engine/core/module.js";
import { ArgError, ModuleError } from "../../engine/core/errors.js";
import { refuseLineBreaksIn } from "../../engine/core/lines.js";
import { findRec, parseRecords } from "../../engine/core/record.js";
import { cmdOf, normMode, snip, statOf } from "../../engine/core/snippets.js";
import { shq } from "../../engine/core/shell.js";
import { fsAttrList, fsAttrNote, fsAttrScript, parseFsAttrs } from "../../engine/core/fsattrs.js";
import { fetchCmd, statusOf, type FetchArgs, type FetchOpts, type FetchTool } from "./http-fetch.js";
import {
  BACKUP_SCHEMA,
  FS_ATTR_SCHEMAS,
  GROUP_SCHEMA,
  UNSAFE_WRITES_SCHEMA,
  MODE_SCHEMA,
  OWNER_SCHEMA,
  attrChanges,
  attrCommands,
  attrOps,
  parseMode,
  targetMode,
  newFsOps,
  validateFsAttrs,
  wantsFsAttrs,
  type AttrArgs,
  type AttrOp,
  type FileStat,
} from "./common.js";

/** The plan: download (into a temporary file, checked against `want`, renamed into place), or fix attributes. */
export type GetUrlOp = { op: "fetch"; want?: string } | AttrOp;

export interface GetUrlArgs extends AttrArgs, FetchArgs {
  url: string;
  dest: string;
  checksum?: string;
  force?: boolean;
  backup?: boolean;
  tmp_dest?: string;
  unredirected_headers?: string[];
  ciphers?: string[];
  use_gssapi?: boolean;
  unsafe_writes?: boolean;
}

export interface GetUrlState {
  /** The file the download goes to (dest, or dest/<basename> when dest is a directory). */
  path: string;
  destIsDir: boolean;
  file: FileStat;
  /** Digest of the existing file with the checksum's algorithm (or sha256). */
  digest?: string;
  /** The tool the host downloads with. */
  tool?: FetchTool;
  /** The response the probe streamed through sha256sum: the tool's exit code, the HTTP status, the body's sha256. */
  remote?: { rc: number; code?: number; sha256?: string; err: string };
  /** The request was conditional (If-Modified-Since: dest's mtime). */
  conditional?: boolean;
  /** `checksum: ALGO:URL`: the checksum file as fetched by the probe. */
  sumFile?: { rc: number; code?: number; text: string; err: string };
  /** What tmp_dest is on the host. */
  tmpDest?: "directory" | "file" | "absent";
}

const DIGEST_LEN: Record<string, number> = { md5: 32, sha1: 40, sha224: 56, sha256: 64, sha384: 96, sha512: 128 };

export default defineModule<GetUrlArgs, GetUrlState, GetUrlOp>({
  name: "files.get_url",
  aliases: ["get_url"],
  argAliases: { username: "url_username", password: "url_password" },
  description:
    "Ensure a file downloaded by the host from an HTTP(S) URL is in place (curl, wget or python3 on the host), judged as Ansible does: by checksum when given, else by a conditional request (If-Modified-Since) and the content.",
  args: {
    type: "object",
    additionalProperties: false,
    required: ["url", "dest"],
    properties: {
      url: { type: "string", pattern: "^(https?|ftp|file)://\\S+$", description: "http://, https://, ftp:// or file:// URL (file:// is read on the host)." },
      dest: {
        type: "string",
        pattern: "^/",
        description: "Absolute path of the file, or of a directory (the file is then named after the URL's last path segment).",
      },
      checksum: {
        type: "string",
        pattern: "^(md5|sha1|sha224|sha256|sha384|sha512):.+$",
        description:
          "ALGORITHM:HEXDIGEST (sha256:…), or ALGORITHM:URL of a checksum file (`sha256sum` output, or a lone digest) fetched by the host. dest is converged when its digest matches; a download must match it.",
      },
      force: {
        type: "boolean",
        default: false,
        description: "Download every time (no If-Modified-Since; `cache-control: no-cache`) and replace dest when the content differs. Default false.",
      },
      backup: BACKUP_SCHEMA,
      timeout: { type: "integer", minimum: 1, default: 10, description: "Seconds before the request gives up. Default 10." },
      headers: { type: "object", additionalProperties: { type: "string" }, description: "Extra request headers." },
      validate_certs: { type: "boolean", default: true, description: "Verify the server's TLS certificate. Default true." },
      url_username: { type: "string", description: "User name for HTTP basic (or digest) authentication. Alias: username." },
      url_password: { type: "string", description: "Password for HTTP authentication. Alias: password." },
      force_basic_auth: {
        type: "boolean",
        default: false,
        description:
          "Send the basic authentication header with the first request; otherwise credentials answer the server's 401 challenge (basic or digest), as in Ansible.",
      },
      use_proxy: { type: "boolean", default: true, description: "Use the proxy the host's environment names (http_proxy, https_proxy). Default true." },
      http_agent: { type: "string", default: "ansible-httpget", description: "The User-Agent header. Default ansible-httpget, as Ansible." },
      client_cert: { type: "string", pattern: "^/", description: "PEM client certificate on the host (may include the key)." },
      client_key: { type: "string", pattern: "^/", description: "PEM private key on the host for client_cert." },
      decompress: { type: "boolean", default: true, description: "Decode a gzip Content-Encoding response. Default true." },
      use_netrc: {
        type: "boolean",
        default: true,
        description: "Use credentials from the host's ~/.netrc (or $NETRC) when url_username is not set. Default true.",
      },
      tmp_dest: { type: "string", pattern: "^/", description: "An existing directory on the host for the temporary download (default: dest's directory)." },
      unredirected_headers: {
        type: "array",
        items: { type: "string" },
        description: "Headers not to send on a redirect: not implemented, refused unless empty.",
      },
      ciphers: { type: "array", items: { type: "string" }, description: "TLS cipher list: not implemented, refused unless empty." },
      use_gssapi: { type: "boolean", default: false, description: "GSSAPI (Kerberos) authentication: not implemented, refused when true." },
      mode: MODE_SCHEMA,
      owner: OWNER_SCHEMA,
      group: GROUP_SCHEMA,
      ...FS_ATTR_SCHEMAS,
      unsafe_writes: UNSAFE_WRITES_SCHEMA,
    },
  },
  resource: (a) => `file ${a.dest} from ${a.url.replace(/\/\/[^/@]*@/, "//")}`,

  validate(a) {
    validateFsAttrs(a);
    refuseLineBreaksIn(a, ["url", "dest", "url_username", "url_password", "http_agent", "checksum"], "the request");
    for (const [k, v] of Object.entries(a.headers ?? {})) {
      if (!/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(k) || /[\r\n\0]/.test(v))
        throw new ArgError("headers", `invalid header ${JSON.stringify(k)}`, "a header name is a token and its value one line");
    }
    if (a.unredirected_headers?.length)
      throw new ArgError(
        "unredirected_headers",
        "keel's get_url does not implement unredirected_headers",
        "drop it; keel cannot keep a header off redirects on every download tool",
      );
    if (a.ciphers?.length) throw new ArgError("ciphers", "keel's get_url does not implement ciphers", "drop it; the host's TLS library chooses the ciphers");
    if (a.use_gssapi)
      throw new ArgError("use_gssapi", "keel's get_url does not implement GSSAPI authentication", "use url_username/url_password or a client certificate");
    if (a.client_key && !a.client_cert) throw new ArgError("client_key", "client_key needs client_cert", "add client_cert");
    if (a.checksum) {
      const { algo, hex, url } = splitChecksum(a.checksum);
      if (url === undefined) {
        if (!/^[0-9a-f]+$/.test(hex))
          throw new ArgError("checksum", "The checksum format is invalid", "checksum: sha256:<hex digits>, or sha256:<URL of a checksum file>");
        if (hex.length !== DIGEST_LEN[algo])
          throw new ArgError("checksum", `a ${algo} digest has ${DIGEST_LEN[algo]} hex digits, got ${hex.length}`, "checksum: sha256:<64 hex digits>");
      }
    }
  },

  probe(a) {
    const ck = a.checksum ? splitChecksum(a.checksum) : undefined;
    const algo = ck?.algo ?? "sha256";
    const lines = [
      `_kd=${shq(a.dest)}`,
      `if [ -d "$_kd" ]; then _kdir=1; _kp=; else _kp="$_kd"; _kdir=0; fi`,
      snip.begin("get_url"),
      snip.field("dir", '"$_kdir"'),
      `if command -v curl >/dev/null 2>&1; then printf 'tool=curl\\n'; elif command -v wget >/dev/null 2>&1; then printf 'tool=wget\\n'; elif command -v python3 >/dev/null 2>&1; then printf 'tool=python3\\n'; fi`,
    ];
    if (ck?.url !== undefined) lines.push(snip.cmd("sumfile", fetchOrCat(ck.url, a, "-")));
    // The content decides unless a checksum does: stream the response through sha256sum (the tool's
    // stderr carries the status; "keel-rc=" its exit code). A dest file that exists, without force,
    // makes it a conditional request from its mtime (HTTP-date, as Ansible's rfc2822_date_string).
    // dest a directory: Ansible always requests (also with a checksum) and names the file after the
    // answer's Content-Disposition, else the URL after redirects (extract_filename_from_headers,
    // url_filename), so the request comes first and the file's path from what it answered.
    lines.push(
      ck ? `if [ "$_kdir" = 1 ]; then` : a.force ? "if true; then" : `if [ "$_kdir" = 1 ] || [ -f "$_kp" ]; then`,
      a.force ? "_kims=" : `_kims=; if [ "$_kdir" = 0 ] && [ -f "$_kp" ]; then _kims=$(LC_ALL=C date -u -r "$_kp" '+%a, %d %b %Y %H:%M:%S GMT'); fi`,
      `_khe=$(mktemp) || exit 1`,
      snip.cmd(
        "remote",
        `{ { ${a.force ? fetchOrCat(a.url, a, "-", { force: true, meta: true }) : `if [ -n "$_kims" ]; then ${fetchOrCat(a.url, a, "-", { ims: true, meta: true })}; else ${fetchOrCat(a.url, a, "-", { meta: true })}; fi`}; printf '\\nkeel-rc=%s\\n' "$?" >&2; } 2>"$_khe" | sha256sum; cat "$_khe" >&2; }`,
      ),
      snip.field("conditional", `"$(if [ -n "$_kims" ]; then echo 1; else echo 0; fi)"`),
      `if [ "$_kdir" = 1 ]; then ${dirNameScript(a.url)}; fi`,
      `rm -f "$_khe"`,
      "fi",
      `if [ -z "$_kp" ]; then _kp="$_kd"/${shq(urlFilename(a.url))}; fi`,
      snip.begin("dest"),
      snip.field("path", '"$_kp"'),
      `if [ -f "$_kp" ]; then _ks=$(${algo}sum < "$_kp" 2>/dev/null) && printf 'digest=%s\\n' "\${_ks%% *}"; fi`,
      snip.stat("file", { sh: '"$_kp"' }, { follow: true }),
      snip.stat("parent", { sh: `"\${_kp%/*}"` }, { follow: true }),
    );
    if (wantsFsAttrs(a)) lines.push(fsAttrScript(a));
    if (a.tmp_dest) lines.push(snip.stat("tmp_dest", a.tmp_dest, { follow: true }));
    return {
      script: lines.join("\n"),
      parse(stdout) {
        const recs = parseRecords(stdout);
        const r = findRec(recs, "get_url");
        if (!r) throw new ModuleError(`unexpected probe output: ${JSON.stringify(stdout.slice(0, 200))}`);
        const path = findRec(recs, "dest")?.get("path") ?? a.dest;
        const s = statOf(recs, "file");
        const file: FileStat = {
          path,
          type: !s ? "absent" : s.type === "file" || s.type === "directory" ? s.type : "other",
          parentExists: statOf(recs, "parent")?.type === "directory",
        };
        if (s) Object.assign(file, { mode: s.mode, uid: s.uid, gid: s.gid, owner: s.owner, group: s.group, size: s.size });
        const fs = parseFsAttrs(recs);
        if (fs) file.fs = fs;
        const st: GetUrlState = { path, destIsDir: r.get("dir") === "1", file };
        const digest = findRec(recs, "dest")?.get("digest");
        if (digest) st.digest = digest;
        const tool = r.get("tool");
        if (tool === "curl" || tool === "wget" || tool === "python3") st.tool = tool;
        const remote = cmdOf(recs, "remote");
        if (remote) {
          const m = /^([0-9a-f]{64}) /.exec(remote.out);
          const rc = /keel-rc=(\d+)\s*$/.exec(remote.err);
          const code = statusOf(remote.err);
          st.remote = { rc: rc ? Number(rc[1]) : -1, ...(code !== undefined ? { code } : {}), ...(m ? { sha256: m[1]! } : {}), err: remote.err };
          st.conditional = findRec(recs, "cmd", "remote")?.get("conditional") === "1";
        }
        const sum = cmdOf(recs, "sumfile");
        if (sum) {
          const code = statusOf(sum.err);
          st.sumFile = { rc: sum.rc, ...(code !== undefined ? { code } : {}), text: sum.out, err: sum.err };
        }
        const td = statOf(recs, "tmp_dest");
        if (a.tmp_dest) st.tmpDest = !td ? "absent" : td.type === "directory" ? "directory" : "file";
        return st;
      },
    };
  },

  diff(st, a) {
    const f = st.file;
    if (f.type === "other" || (f.type === "directory" && !st.destIsDir)) throw new ModuleError(`${st.path} exists and is not a regular file`);
    const want = wantedDigest(st, a);
    const out: Change<GetUrlOp>[] = [];
    const fetch = (why: string, before?: string) =>
      out.push({
        summary: `${st.path}: ${why}, to download ${a.url}`,
        field: "content",
        before: before ?? null,
        after: want ? `${splitChecksum(a.checksum!).algo}:${want}` : "downloaded",
        data: { op: "fetch", ...(want ? { want } : {}) },
      });
    const r = st.remote;
    const notModified = r?.code === 304 && st.conditional;
    if (r && !notModified && (r.sha256 === undefined || r.rc !== 0 || (r.code !== undefined && r.code !== 200 && /^https?:/i.test(a.url))))
      throw new ModuleError(
        `Request failed: ${a.url} (${r.code !== undefined ? `HTTP ${r.code}` : `${st.tool ?? "no curl, wget or python3"} exited ${r.rc}`})`,
      );
    if (f.type === "absent") fetch("missing");
    else if (want) {
      if (st.digest !== want) fetch(`${splitChecksum(a.checksum!).algo} ${st.digest ?? "unknown"} is not the checksum`, st.digest);
    } else if (r && !notModified) {
      if (r.sha256 !== st.digest) fetch(`content differs (sha256 ${short(st.digest)} → ${short(r.sha256)})`, st.digest);
    }
    if (out.length) {
      if (f.type === "absent" && !f.parentExists) throw new ModuleError(`Destination ${st.path.replace(/\/[^/]*$/, "")} does not exist`);
      if (st.tmpDest === "file") throw new ModuleError(`${a.tmp_dest} is a file but should be a directory.`);
      if (st.tmpDest === "absent") throw new ModuleError(`${a.tmp_dest} directory does not exist.`);
    }
    if (f.type === "file") out.push(...attrChanges(f, a, ""));
    else if (out.length && (a.mode !== undefined || a.owner !== undefined || a.group !== undefined || wantsFsAttrs(a))) out[0]!.summary += attrNote(a, f);
    return out;
  },

  explain(st, a) {
    const note = fsAttrNote(st.file.fs, a);
    return note ? `${explainGetUrl(st, a)} (${note})` : explainGetUrl(st, a);
  },

  async apply(host, a, changes, st) {
    return applyGetUrl(host, a, changes, st);
  },
});

function explainGetUrl(st: GetUrlState, a: GetUrlArgs): string {
  if (a.checksum) return `${st.path} has ${splitChecksum(a.checksum).algo} ${st.digest}`;
  if (st.remote?.code === 304 && st.conditional) return `${st.path} not modified on the server since its mtime (HTTP 304)`;
  return `${st.path} has the URL's content (sha256 ${short(st.digest)})`;
}

async function applyGetUrl(host: Host, a: GetUrlArgs, changes: Change<GetUrlOp>[], st: GetUrlState): Promise<ApplyResult | void> {
  const fx = changes.map((c) => c.data).find((d) => d?.op === "fetch");
  if (!fx || fx.op !== "fetch") {
    await runAttr(host, st.path, attrOps(changes));
    return;
  }
  if (!st.tool) throw new ModuleError("the host has none of curl, wget or python3 to download with");
  const p = shq(st.path);
  const dir = shq(a.tmp_dest ?? (st.path.replace(/\/[^/]*$/, "") || "/"));
  const lines = [`_kt=$(mktemp ${dir}/.keel-get_url.XXXXXX) || exit 1`, `trap 'rm -f "$_kt"' EXIT`];
  const safe = (s: string) => s.replace(/["\\$`]/g, "");
  lines.push(
    `_ke=$( { ${fetchOrCat(a.url, a, '"$_kt"', { force: a.force === true }, st.tool)}; } 2>&1 ); _kr=$?`,
    `_kc=$(printf '%s\\n' "$_ke" | sed -n 's/^keel-code=\\([0-9]*\\)$/\\1/p; s/^ *HTTP\\/[0-9.]* \\([0-9][0-9][0-9]\\).*/\\1/p' | tail -n 1)`,
    `if [ "$_kr" != 0 ] || { [ -n "$_kc" ] && [ "$_kc" != 000 ] && [ "$_kc" != 0 ] && [ "$_kc" != 200 ] && ${/^https?:/i.test(a.url) ? "true" : "false"}; }; then echo "Request failed: ${safe(a.url)} (HTTP \${_kc:-none}, exit $_kr)" >&2; exit 1; fi`,
  );
  if (fx.want) {
    const algo = splitChecksum(a.checksum!).algo;
    lines.push(
      `_kg=$(${algo}sum < "$_kt"); _kg=\${_kg%% *}`,
      `if [ "$_kg" != ${shq(fx.want)} ]; then echo "The checksum for ${safe(st.path)} did not match ${fx.want}; it was $_kg." >&2; exit 1; fi`,
    );
  }
  // A replaced file keeps its mode and owner; a new one gets 0666 & ~umask, as Ansible's atomic_move.
  if (st.file.type === "file") lines.push(`chmod --reference=${p} "$_kt" && chown --reference=${p} "$_kt"`);
  else lines.push(`chmod "$(printf '%04o' $(( 0666 & ~$(umask) )))" "$_kt"`);
  if (a.backup && st.file.type === "file") lines.push(`cp -p ${p} ${p}.$(date +%Y-%m-%d@%H:%M:%S)~`);
  lines.push(`mv -f "$_kt" ${p}`, "trap - EXIT");
  await host.run(lines.join("\n"));
  // The task's SELinux parts, mode/owner/group and attributes on the new file (a new inode: the
  // probe saw the old one or none), in Ansible's order (attrCommands: chcon first, chattr last).
  const attrs: AttrOp[] = [...newFsOps(st.file.fs, a)];
  if (a.owner !== undefined) attrs.push({ op: "owner", owner: a.owner });
  if (a.group !== undefined) attrs.push({ op: "group", group: a.group });
  if (a.mode !== undefined) attrs.push({ op: "mode", mode: normMode(targetMode(parseMode(a.mode), st.file.mode ? parseInt(st.file.mode, 8) : 0o644, false)) });
  await runAttr(host, st.path, attrs);
  return { data: { dest: st.path, url: a.url } };
}

/** "sha256:abc…" → algo and normalised digest (Ansible strips non-word characters and lowercases); "sha256:https://…" → the URL. */
export function splitChecksum(c: string): { algo: string; hex: string; url?: string } {
  const i = c.indexOf(":");
  const algo = c.slice(0, i);
  const rest = c.slice(i + 1);
  if (/^(https?|ftp|file):/i.test(rest)) return { algo, hex: "", url: rest };
  return { algo, hex: rest.replace(/\W+/g, "").toLowerCase() };
}

/** The digest dest must have: the checksum argument's, or the one the checksum file names for the URL's file, as Ansible reads it. */
export function wantedDigest(st: GetUrlState, a: GetUrlArgs): string | undefined {
  if (!a.checksum) return undefined;
  const ck = splitChecksum(a.checksum);
  if (ck.url === undefined) return ck.hex;
  const s = st.sumFile;
  if (!s || s.rc !== 0 || (s.code !== undefined && s.code !== 200 && /^https?:/i.test(ck.url)))
    throw new ModuleError(`Request failed: ${ck.url} (${s?.code !== undefined ? `HTTP ${s.code}` : `exit ${s?.rc ?? "?"}`})`);
  const lines = s.text.split("\n").map((l) => l.replace(/\r$/, ""));
  if (lines[lines.length - 1] === "") lines.pop();
  const filename = urlFilename(a.url);
  const map: [string, string][] = [];
  if (lines.length === 1 && lines[0]!.split(/\s+/).filter(Boolean).length === 1) map.push([lines[0]!.trim(), filename]);
  else {
    for (const line of lines) {
      const sp = line.indexOf(" ");
      if (sp < 0) continue;
      let name = line.slice(sp + 1);
      if (name.startsWith(" ") || name.startsWith("*")) name = name.slice(1);
      map.push([line.slice(0, sp), name.replace(/^[./]+/, "")]);
    }
  }
  const hit = map.find(([, n]) => n === filename);
  if (!hit) throw new ModuleError(`Unable to find a checksum for file '${filename}' in '${ck.url}'`);
  const hex = hit[0].replace(/\W+/g, "").toLowerCase();
  if (!/^[0-9a-f]+$/.test(hex)) throw new ModuleError("The checksum format is invalid");
  return hex;
}

/**
 * Shell lines that set $_kp to the file in $_kd that Ansible's get_url names from the answer in
 * $_khe: Content-Disposition `attachment; filename="…"` (re.match of 'attachment; ?filename="?([^"]+)',
 * then os.path.basename), else url_filename of the URL after redirects (curl/python3 report it; wget's
 * last absolute Location), else of the task's URL.
 */
export function dirNameScript(url: string): string {
  return [
    `_kn=$(sed -n 's/^keel-cd=//p; s/^ *[Cc][Oo][Nn][Tt][Ee][Nn][Tt]-[Dd][Ii][Ss][Pp][Oo][Ss][Ii][Tt][Ii][Oo][Nn]: *//p' "$_khe" | tail -n 1 | sed -n 's/^attachment; \\{0,1\\}filename="\\{0,1\\}\\([^"][^"]*\\).*/\\1/p')`,
    `_kn=\${_kn##*/}`,
    `if [ -z "$_kn" ]; then _ku=$(sed -n 's/^keel-url=//p; s/^ *[Ll]ocation: *\\([a-zA-Z][a-zA-Z0-9+.-]*:\\/\\/.*\\)$/\\1/p' "$_khe" | tail -n 1 | tr -d '\\r'); [ -n "$_ku" ] || _ku=${shq(url)}`,
    `_ku=\${_ku#*://}; case $_ku in */*) _ku=\${_ku#*/} ;; *) _ku= ;; esac; _ku=\${_ku%%#*}; _ku=\${_ku%%\\?*}; _kn=\${_ku##*/}; [ -n "$_kn" ] || _kn=index.html; fi`,
    `_kp="$_kd/$_kn"`,
  ].join("\n");
}

/** Ansible's url_filename: the basename of the URL's path, undecoded ("" → index.html). */
function urlFilename(url: string): string {
  const path = url.replace(/^[a-z]+:\/\/[^/]*/i, "").split(/[?#]/)[0]!;
  return path.slice(path.lastIndexOf("/") + 1) || "index.html";
}

/** fetchCmd, or `cat` for a file:// URL (read on the host, as Ansible's urllib does). */
function fetchOrCat(url: string, a: GetUrlArgs, out: string, o: FetchOpts = {}, tool?: FetchTool): string {
  const m = /^file:\/\/(\/[^?#]*)/i.exec(url);
  if (m) return `cat ${shq(decodeURIComponent(m[1]!))}${out === "-" ? "" : ` > ${out}`}`;
  return fetchCmd(url, a, out, tool, o);
}

async function runAttr(host: Host, path: string, ops: AttrOp[]): Promise<void> {
  const cmds = attrCommands(path, ops);
  if (cmds.length) await host.run(cmds.join(" && "));
}

function attrNote(a: AttrArgs, f: FileStat): string {
  const parts: string[] = [];
  if (a.mode !== undefined) parts.push(`mode ${a.mode}`);
  if (a.owner !== undefined) parts.push(`owner ${a.owner}`);
  if (a.group !== undefined) parts.push(`group ${a.group}`);
  parts.push(...fsAttrList(f.fs, a));
  if (!parts.length) return "";
  return ` (with ${parts.join(", ")})`;
}

function short(h: string | undefined): string {
  return h ? `${h.slice(0, 12)}…` : "none";
}
