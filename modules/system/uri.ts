// system.uri — ansible.builtin.uri: an HTTP(S) request made BY THE HOST (python3's urllib, as
// Ansible's module; see uri-request.ts), with Ansible's register shape and verdicts:
//   - changed is false, except when `dest` was written (status in status_code and not 304), as in
//     ansible-core 2.14's uri.py: a POST is "ok", not "changed";
//   - a status outside status_code fails the task, with the whole result registered (status, msg
//     "Status code was N and not [200]: …", content, json), so failed_when/until can read it;
//   - the response headers are result keys, lowercased with '-' turned into '_' (content_type,
//     content_length, location made absolute…);
//   - creates/removes are judged by the probe: when they say so, nothing is requested and the task
//     is ok with Ansible's stdout ("skipped, since '/x' exists").
// Ansible does not support check mode for uri (the task is skipped); keel's check mode and drift
// report the request as "unknown" (it cannot know the answer without asking), never as drift.
import { defineModule } from "../../engine/core/module.js";
import { ArgError, ModuleError } from "../../engine/core/errors.js";
import { refuseLineBreaksIn } from "../../engine/core/lines.js";
import { findRec, parseRecords } from "../../engine/core/record.js";
import { normMode, snip } from "../../engine/core/snippets.js";
import { shq } from "../../engine/core/shell.js";
import {
  FS_ATTR_SCHEMAS,
  GROUP_SCHEMA,
  MODE_SCHEMA,
  OWNER_SCHEMA,
  attrCommands,
  newFsOps,
  parseMode,
  validateFsAttrs,
  wantsFsAttrs,
  type AttrArgs,
  type AttrOp,
  type FsAttrState,
} from "../../engine/core/filestate.js";
import { fsAttrNote, fsAttrScript, parseFsAttrs } from "../../engine/core/fsattrs.js";
import { UNSAFE_WRITES_SCHEMA } from "../../engine/core/filestate.js";
import { URI_PY, type UriRequest, type UriResponse } from "./uri-request.js";

export interface UriArgs extends AttrArgs {
  url: string;
  unsafe_writes?: boolean;
  method?: string;
  body?: unknown;
  body_format?: "json" | "form-urlencoded" | "raw";
  headers?: Record<string, string | number | boolean>;
  status_code?: number | string | (number | string)[];
  return_content?: boolean;
  dest?: string;
  creates?: string;
  removes?: string;
  url_username?: string;
  user?: string;
  url_password?: string;
  password?: string;
  force_basic_auth?: boolean;
  follow_redirects?: "all" | "no" | "none" | "safe" | "urllib2" | "yes";
  timeout?: number;
  validate_certs?: boolean;
  http_agent?: string;
  force?: boolean;
  use_proxy?: boolean;
  decompress?: boolean;
  use_netrc?: boolean;
  ca_path?: string;
  client_cert?: string;
  client_key?: string;
  unix_socket?: string;
  src?: string;
  remote_src?: boolean;
  /** Set by prepare: the controller file's bytes (base64) when src is not remote. */
  src_b64?: string;
  unredirected_headers?: string[];
}

export interface UriState {
  python: boolean;
  /** `creates` exists / `removes` exists (undefined when not given). */
  creates?: boolean;
  removes?: boolean;
  /** With dest and attributes/SELinux parts: whether SELinux is enabled, dest's default context. */
  fs?: FsAttrState;
}

const str = (description: string) => ({ type: "string", minLength: 1, description });

export default defineModule<UriArgs, UriState>({
  name: "system.uri",
  aliases: ["uri"],
  refusedArgs: {
    ciphers: "choosing TLS ciphers is not implemented; remove it, and the host's python3 (OpenSSL) defaults apply",
    use_gssapi: "GSSAPI (Kerberos) authentication is not implemented; authenticate with url_username/url_password or client_cert/client_key",
  },
  description:
    "Make an HTTP(S) request from the host (python3 on the host, as Ansible's uri) and register its status, headers and content; optionally save the body to dest.",
  args: {
    type: "object",
    additionalProperties: false,
    required: ["url"],
    properties: {
      url: { type: "string", pattern: "^https?://\\S+$", description: "http:// or https:// URL." },
      method: { type: "string", minLength: 1, default: "GET", description: "The HTTP method, one word (GET, POST, PUT, DELETE, HEAD, PATCH…). Default GET." },
      body: { description: "The request body: a string as is, or a mapping/list encoded as body_format says." },
      body_format: {
        enum: ["json", "form-urlencoded", "raw"],
        default: "raw",
        description: "json: body becomes JSON (Content-Type application/json); form-urlencoded: key=value&…; raw: sent as is.",
      },
      headers: { type: "object", additionalProperties: { type: ["string", "number", "boolean"] }, description: "Request headers." },
      status_code: {
        oneOf: [
          { type: "integer" },
          { type: "string", pattern: "^\\s*\\d+(\\s*,\\s*\\d+)*\\s*$" },
          { type: "array", items: { oneOf: [{ type: "integer" }, { type: "string", pattern: "^\\s*\\d+\\s*$" }] }, minItems: 1 },
        ],
        description: "The status code(s) that mean success; any other fails the task. Default 200.",
      },
      return_content: { type: "boolean", default: false, description: "Register the body as `content` (JSON bodies are always parsed into `json`)." },
      dest: { type: "string", pattern: "^/", description: "Save the body to this file (or to a file in this folder, named after the URL)." },
      creates: str("A path; when it exists on the host, no request is made."),
      removes: str("A path; when it does not exist on the host, no request is made."),
      url_username: { type: "string", description: "User for HTTP basic/digest authentication." },
      user: { type: "string", description: "Alias of url_username." },
      url_password: { type: "string", description: "Password for HTTP basic/digest authentication." },
      password: { type: "string", description: "Alias of url_password." },
      force_basic_auth: { type: "boolean", default: false, description: "Send basic authentication on the first request instead of after a 401." },
      follow_redirects: {
        enum: ["all", "no", "none", "safe", "urllib2", "yes"],
        default: "safe",
        description: "safe: follow redirects of GET and HEAD only; all/yes: every method; none/no: never; urllib2: Python's default.",
      },
      timeout: { type: "integer", minimum: 1, default: 30, description: "Socket timeout in seconds. Default 30." },
      validate_certs: { type: "boolean", default: true, description: "Verify the server's TLS certificate. Default true." },
      http_agent: { type: "string", default: "ansible-httpget", description: "The User-Agent header. Default ansible-httpget, as Ansible." },
      force: { type: "boolean", default: false, description: "Send cache-control: no-cache instead of If-Modified-Since from dest's mtime." },
      use_proxy: { type: "boolean", default: true, description: "Use the host's *_proxy environment variables (false: connect directly). Default true." },
      decompress: { type: "boolean", default: true, description: "Decompress a gzip-encoded response." },
      use_netrc: { type: "boolean", default: true, description: "Take credentials from the host's ~/.netrc (or $NETRC) when none are given." },
      ca_path: { type: "string", pattern: "^/", description: "A CA bundle on the host to verify the server against." },
      client_cert: {
        type: "string",
        pattern: "^/[^\\r\\n]*$",
        description: "PEM client certificate on the host (may include its key), for TLS client authentication (Python's load_cert_chain, as Ansible).",
      },
      client_key: { type: "string", pattern: "^/[^\\r\\n]*$", description: "PEM private key on the host for client_cert." },
      src: {
        type: "string",
        minLength: 1,
        pattern: "^[^\\r\\n]*$",
        description:
          "A file whose bytes are the request body (Content-Length from its size): on the controller (the role's then the playbook's files/ folder, or a path; an ansible-vault file is sent decrypted), or with remote_src on the host. Not with body.",
      },
      remote_src: { type: "boolean", default: false, description: "src is a file on the host." },
      unix_socket: {
        type: "string",
        pattern: "^/[^\\r\\n]*$",
        description:
          "Make the request over this Unix socket on the host (e.g. /var/run/docker.sock); the URL's path and Host header still apply, as in Ansible.",
      },
      unredirected_headers: { type: "array", items: { type: "string" }, description: "Headers not sent again after a redirect." },
      mode: MODE_SCHEMA,
      owner: OWNER_SCHEMA,
      group: GROUP_SCHEMA,
      ...FS_ATTR_SCHEMAS,
      unsafe_writes: UNSAFE_WRITES_SCHEMA,
    },
  },
  resource: (a) => `${(a.method ?? "GET").toUpperCase()} ${a.url.replace(/\/\/[^/@]*@/, "//")}`,

  validate(a) {
    if (!/^[A-Z]+$/.test((a.method ?? "GET").toUpperCase()))
      throw new ArgError("method", "Parameter 'method' needs to be a single word in uppercase, like GET or POST.", "method: POST");
    refuseLineBreaksIn(a, ["url", "dest", "creates", "removes", "url_username", "user", "url_password", "password", "http_agent"], "the request");
    for (const [k, v] of Object.entries(a.headers ?? {})) {
      if (!/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(k) || /[\r\n\0]/.test(String(v)))
        throw new ArgError("headers", `invalid header ${JSON.stringify(k)}`, "a header name is a token and its value one line");
    }
    if (a.url_username !== undefined && a.user !== undefined) throw new ArgError("user", "url_username and its alias user are both given", "keep one of them");
    if (a.url_password !== undefined && a.password !== undefined)
      throw new ArgError("password", "url_password and its alias password are both given", "keep one of them");
    validateFsAttrs(a);
    if (a.src !== undefined && a.body !== undefined)
      throw new ArgError("src", "parameters are mutually exclusive: body|src", "send the file (src) or a body, not both");
    if ((a.mode !== undefined || a.owner !== undefined || a.group !== undefined) && a.dest === undefined)
      throw new ArgError("mode", "mode, owner and group apply to dest, which is not given", "add dest: /path, or drop them");
    if (wantsFsAttrs(a) && a.dest === undefined)
      throw new ArgError("attributes", "attributes and the SELinux parts apply to dest, which is not given", "add dest: /path, or drop them");
  },

  // Ansible's uri action plugin uploads a controller src before the module runs.
  prepare(a, ctx) {
    if (a.src === undefined || a.remote_src) return a;
    return { ...a, src_b64: ctx.readLocal("files", a.src).toString("base64") };
  },

  probe(a) {
    const lines = [snip.begin("uri"), "if command -v python3 >/dev/null 2>&1; then printf 'python=1\\n'; fi"];
    // os.path.exists, as Ansible: follows links (a dangling link does not exist).
    if (a.creates !== undefined) lines.push(`if [ -e ${shq(a.creates)} ]; then printf 'creates=1\\n'; else printf 'creates=0\\n'; fi`);
    if (a.removes !== undefined) lines.push(`if [ -e ${shq(a.removes)} ]; then printf 'removes=1\\n'; else printf 'removes=0\\n'; fi`);
    // Whether SELinux is enabled (and dest's default context), for what apply sets on a saved dest.
    if (a.dest !== undefined && wantsFsAttrs(a)) lines.push(`_kp=${shq(a.dest)}`, fsAttrScript({ ...a, attributes: undefined, attr: undefined }));
    return {
      script: lines.join("\n"),
      parse(stdout) {
        const r = findRec(parseRecords(stdout), "uri");
        if (!r) throw new ModuleError(`unexpected probe output: ${JSON.stringify(stdout.slice(0, 200))}`);
        const st: UriState = { python: r.get("python") === "1" };
        if (r.has("creates")) st.creates = r.get("creates") === "1";
        if (r.has("removes")) st.removes = r.get("removes") === "1";
        const fs = parseFsAttrs(parseRecords(stdout));
        if (fs) st.fs = fs;
        return st;
      },
    };
  },

  diff(st, a) {
    if (skipped(st, a)) return [];
    if (!st.python) throw new ModuleError("uri needs python3 on the host (keel makes the request from the host, as Ansible does)");
    const what = `${(a.method ?? "GET").toUpperCase()} ${a.url.replace(/\/\/[^/@]*@/, "//")}`;
    // The answer is only known by asking: check mode and drift say "unknown"; a run asks.
    return [{ summary: `request ${what}${a.dest ? ` to ${a.dest}` : ""}`, field: "request", after: what, unknown: true }];
  },

  explain(st, a) {
    return skipped(st, a) ?? fsAttrNote(st.fs, a) ?? "";
  },

  result(st, a) {
    const s = skipped(st, a);
    return s ? { stdout: s } : {};
  },

  async apply(host, a, _changes, st) {
    const req = requestOf(a);
    const r = await host.run(`python3 -c ${shq(URI_PY)}`, { stdin: JSON.stringify(req), check: false });
    let resp: UriResponse;
    try {
      resp = JSON.parse(r.stdout) as UriResponse;
    } catch {
      throw new ModuleError(`the request program failed on the host (exit ${r.rc}): ${(r.stderr || r.stdout).trim().slice(-400)}`);
    }
    const out = uriResult(resp, req);
    if (resp.dest !== undefined) {
      // The task's mode/owner/group on the file just saved (Ansible: set_fs_attributes_if_different),
      // then the file's facts Ansible adds to a result with a `path` (uid, gid, owner, group, mode, state, size).
      // The SELinux parts (when SELinux is enabled) and attributes too: attrCommands runs chcon first, chattr last.
      const attrs: AttrOp[] = [...newFsOps(st.fs, a)];
      if (a.owner !== undefined) attrs.push({ op: "owner", owner: a.owner });
      if (a.group !== undefined) attrs.push({ op: "group", group: a.group });
      if (a.mode !== undefined) {
        const spec = parseMode(a.mode);
        attrs.push({ op: "mode", mode: "octal" in spec ? normMode(spec.octal) : shq(spec.symbolic) });
      }
      const cmds = out.changed ? attrCommands(resp.dest, attrs) : [];
      const p = shq(resp.dest);
      cmds.push(`if [ -e ${p} ]; then stat -c '%u %g %a %s %h %F %U %G' ${p}; fi`);
      const r = await host.run(cmds.join(" && "));
      Object.assign(out.data, pathInfo(r.stdout));
    }
    return out;
  },
});

/** Ansible's add_path_info (lstat) from `stat -c '%u %g %a %s %h %F %U %G'`; nothing when the file is absent. */
export function pathInfo(line: string): Record<string, unknown> {
  const m = /^(\d+) (\d+) ([0-7]+) (\d+) (\d+) (.+?) (\S+) (\S+)\s*$/.exec(line.trim());
  if (!m) return {};
  const [, uid, gid, mode, size, links, type, owner, group] = m as unknown as string[];
  const state = type === "symbolic link" ? "link" : type === "directory" ? "directory" : Number(links) > 1 ? "hard" : "file";
  return { uid: Number(uid), gid: Number(gid), owner, group, mode: `0${mode!.padStart(3, "0")}`, state, size: Number(size) };
}

function skipped(st: UriState, a: UriArgs): string | undefined {
  if (a.creates !== undefined && st.creates) return `skipped, since '${a.creates}' exists`;
  if (a.removes !== undefined && st.removes === false) return `skipped, since '${a.removes}' does not exist`;
  return undefined;
}

/** The status codes that mean success: Ansible's list of ints ("200,201" splits on commas). */
export function statusCodes(v: UriArgs["status_code"]): number[] {
  if (v === undefined) return [200];
  const items = Array.isArray(v) ? v : typeof v === "string" ? v.split(",") : [v];
  return items.map((x) => Number(String(x).trim()));
}

export function requestOf(a: UriArgs): UriRequest {
  const req: UriRequest = {
    url: a.url,
    method: (a.method ?? "GET").toUpperCase(),
    body_format: a.body_format ?? "raw",
    headers: Object.fromEntries(Object.entries(a.headers ?? {}).map(([k, v]) => [k, String(v)])),
    status_code: statusCodes(a.status_code),
    return_content: a.return_content ?? false,
    force_basic_auth: a.force_basic_auth ?? false,
    follow_redirects: a.follow_redirects ?? "safe",
    timeout: a.timeout ?? 30,
    validate_certs: a.validate_certs ?? true,
    http_agent: a.http_agent ?? "ansible-httpget",
    force: a.force ?? false,
    decompress: a.decompress ?? true,
    use_netrc: a.use_netrc ?? true,
    use_proxy: a.use_proxy ?? true,
    unredirected_headers: a.unredirected_headers ?? [],
  };
  if (a.body !== undefined && a.body !== null) req.body = a.body;
  if (a.dest !== undefined) req.dest = a.dest;
  const user = a.url_username ?? a.user;
  const pw = a.url_password ?? a.password;
  if (user !== undefined) req.url_username = user;
  if (pw !== undefined) req.url_password = pw;
  if (a.ca_path !== undefined) req.ca_path = a.ca_path;
  if (a.client_cert !== undefined) req.client_cert = a.client_cert;
  if (a.client_key !== undefined) req.client_key = a.client_key;
  if (a.unix_socket !== undefined) req.unix_socket = a.unix_socket;
  if (a.src_b64 !== undefined) req.src_b64 = a.src_b64;
  else if (a.src !== undefined) req.src = a.src;
  return req;
}

/**
 * The registered result from the host's answer, as uri.py's main() builds it: redirected, the info
 * keys (headers) lowercased with '-' → '_', elapsed, status, changed, path, location made absolute,
 * content/json; `failed` when the status is not one of status_code.
 */
export function uriResult(resp: UriResponse, req: UriRequest): { changed: boolean; failed?: string; msg?: string; data: Record<string, unknown> } {
  if (resp.error !== undefined) throw new ModuleError(resp.error);
  const info = resp.info;
  const raw: Record<string, unknown> = { redirected: info.url !== req.url, ...info, elapsed: resp.elapsed, status: Number(info.status), changed: false };
  const status = raw.status as number;
  const wrote = resp.dest !== undefined && req.status_code.includes(status) && status !== 304;
  if (resp.dest !== undefined) {
    if (wrote) raw.changed = true;
    raw.path = resp.dest;
  }
  const data: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(raw)) data[k.replace(/-/g, "_").toLowerCase()] = v;
  if (typeof data.location === "string") data.location = absoluteLocation(req.url, data.location);
  if (resp.json !== undefined) data.json = resp.json;
  // Ansible passes content= only with return_content (a failing status without it has none).
  if (req.return_content) data.content = resp.content;
  const changed = data.changed as boolean;
  delete data.changed;
  if (!req.status_code.includes(status)) {
    const msg = `Status code was ${status} and not [${req.status_code.join(", ")}]: ${typeof data.msg === "string" ? data.msg : ""}`;
    data.msg = msg;
    return { changed, failed: msg, msg, data };
  }
  return { changed, ...(typeof data.msg === "string" ? { msg: data.msg } : {}), data };
}

/** uri.py's absolute_location: a relative Location header made absolute against the request URL. */
export function absoluteLocation(url: string, location: string): string {
  if (location.includes("://")) return location;
  if (location.startsWith("/")) {
    const m = /^([a-z][a-z0-9+.-]*:\/\/[^/?#]*)([^?#]*)/i.exec(url);
    const path = m?.[2] ?? "";
    // Python: url.replace(urlsplit(url).path, '') — every occurrence of the path is removed.
    const base = path ? url.split(path).join("") : url;
    return `${base}${location}`;
  }
  return `${url.replace(/\/[^/]*$/, "")}/${location}`;
}
