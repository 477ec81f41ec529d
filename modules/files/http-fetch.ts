// The download command files.get_url runs ON THE HOST, with curl, wget or python3 (whichever the
// host has, in that order), carrying Ansible's request options (ansible.module_utils.urls, 2.14):
// User-Agent (http_agent), headers, basic/digest authentication (preemptive with force_basic_auth,
// else answering a challenge), ~/.netrc credentials (use_netrc), proxies from the environment
// (use_proxy), client certificates, certificate checking, gzip Content-Encoding decoded
// (decompress), `cache-control: no-cache` when forced and If-Modified-Since for a conditional request.
//
// Every tool writes the body to `out` and reports the HTTP status on stderr: curl and python3 as a
// `keel-code=NNN` line, wget in its `-S` header dump ("  HTTP/1.1 304 Not Modified"). statusOf
// reads either. Exit codes: curl/wget/python3's own (a 304 to a conditional request may exit
// non-zero with wget; the status decides).
import { shq } from "../../engine/core/shell.js";

export type FetchTool = "curl" | "wget" | "python3";

/** The request options of get_url that reach the download command. */
export interface FetchArgs {
  timeout?: number;
  headers?: Record<string, string>;
  validate_certs?: boolean;
  url_username?: string;
  url_password?: string;
  force_basic_auth?: boolean;
  use_proxy?: boolean;
  http_agent?: string;
  client_cert?: string;
  client_key?: string;
  decompress?: boolean;
  use_netrc?: boolean;
}

export interface FetchOpts {
  /** Send If-Modified-Since with the value of the shell variable $_kims (set by the caller). */
  ims?: boolean;
  /** Ansible's force: `cache-control: no-cache`. */
  force?: boolean;
  /** Also report the final response's Content-Disposition and the URL after redirects on stderr (curl: keel-cd=, keel-url=). */
  meta?: boolean;
}

/** The download command for `url`, writing to `out` (a shell word; "-" is stdout), with the given tool or the first the host has. */
export function fetchCmd(url: string, a: FetchArgs, out: string, tool?: FetchTool, o: FetchOpts = {}): string {
  const t = String(a.timeout ?? 10);
  const insecure = a.validate_certs === false;
  const hdrs = Object.entries(a.headers ?? {});
  if (o.force) hdrs.push(["cache-control", "no-cache"]);
  const agent = a.http_agent ?? "ansible-httpget";
  const user = a.url_username !== undefined && a.url_username !== "" ? a.url_username : undefined;
  const fba = a.force_basic_auth === true;
  const netrc = a.use_netrc !== false;
  const dec = a.decompress !== false;
  const q = (xs: string[]) => xs.map((x) => shq(x)).join(" ");
  const ims = `"If-Modified-Since: $_kims"`;
  const curl = [
    "curl",
    "-sfL",
    "--max-time",
    t,
    "-A",
    agent,
    ...(insecure ? ["-k"] : []),
    ...hdrs.flatMap(([k, v]) => ["-H", `${k}: ${v}`]),
    ...(user !== undefined ? ["-u", `${user}:${a.url_password ?? ""}`, ...(fba ? [] : ["--anyauth"])] : netrc ? ["--netrc-optional"] : []),
    ...(a.use_proxy === false ? ["--noproxy", "*"] : []),
    ...(a.client_cert ? ["--cert", a.client_cert] : []),
    ...(a.client_key ? ["--key", a.client_key] : []),
    ...(dec ? ["--compressed"] : []),
    "-w",
    // curl >= 7.84 has %header{}; python3 prints both itself; wget's -S dump has the headers (Location, Content-Disposition).
    `%{stderr}keel-code=%{http_code}\\n${o.meta ? "keel-cd=%header{content-disposition}\\nkeel-url=%{url_effective}\\n" : ""}`,
  ];
  const wget = [
    "wget",
    "-nv",
    "-S",
    "-T",
    t,
    "-U",
    agent,
    ...(insecure ? ["--no-check-certificate"] : []),
    ...hdrs.map(([k, v]) => `--header=${k}: ${v}`),
    ...(user !== undefined ? [`--user=${user}`, `--password=${a.url_password ?? ""}`, ...(fba ? ["--auth-no-challenge"] : [])] : []),
    ...(netrc ? [] : ["--no-netrc"]),
    ...(a.use_proxy === false ? ["--no-proxy"] : []),
    ...(a.client_cert ? [`--certificate=${a.client_cert}`] : []),
    ...(a.client_key ? [`--private-key=${a.client_key}`] : []),
    ...(dec ? ["--compression=auto"] : []),
  ];
  const conf = {
    t: Number(t),
    h: Object.fromEntries(hdrs),
    agent,
    insecure,
    user: user ?? null,
    pw: a.url_password ?? "",
    fba,
    netrc,
    proxy: a.use_proxy !== false,
    cert: a.client_cert ?? null,
    key: a.client_key ?? null,
    dec,
  };
  const qurl = shq(url);
  const curlCmd = `${q(curl)}${o.ims ? ` -H ${ims}` : ""} -o ${out} ${qurl}`;
  const wgetCmd = `${q(wget)}${o.ims ? ` --header=${ims}` : ""} -O ${out} ${qurl}`;
  const pyCmd = `python3 -c ${shq(PY)} ${qurl} ${out} ${shq(JSON.stringify(conf))} ${o.ims ? '"$_kims"' : "''"}`;
  if (tool === "curl") return curlCmd;
  if (tool === "wget") return wgetCmd;
  if (tool === "python3") return pyCmd;
  return `if command -v curl >/dev/null 2>&1; then ${curlCmd}; elif command -v wget >/dev/null 2>&1; then ${wgetCmd}; else ${pyCmd}; fi`;
}

// python3 (no third-party module): urllib with the handlers Ansible's Request.open installs.
const PY = [
  "import base64,gzip,json,netrc,os,shutil,ssl,sys,urllib.request as u,urllib.error as ue,urllib.parse as up",
  "url,out,cf,ims=sys.argv[1:5]",
  "c=json.loads(cf)",
  "h=dict(c['h'])",
  "h['User-agent']=c['agent']",
  "if ims: h['If-Modified-Since']=ims",
  "hs=[]",
  "ctx=ssl._create_unverified_context() if c['insecure'] else ssl.create_default_context()",
  "if c['cert']: ctx.load_cert_chain(c['cert'],c['key'])",
  "hs.append(u.HTTPSHandler(context=ctx))",
  "if not c['proxy']: hs.append(u.ProxyHandler({}))",
  "usr,pw=c['user'],c['pw']",
  "if usr is not None and not c['fba']:",
  "  pm=u.HTTPPasswordMgrWithDefaultRealm(); pm.add_password(None,url,usr,pw); hs+=[u.HTTPBasicAuthHandler(pm),u.HTTPDigestAuthHandler(pm)]",
  "elif usr is not None: h['Authorization']='Basic '+base64.b64encode((usr+':'+pw).encode()).decode()",
  "elif c['netrc']:",
  "  try: l=netrc.netrc(os.environ.get('NETRC')).authenticators(up.urlsplit(url).hostname)",
  "  except (IOError,netrc.NetrcParseError): l=None",
  "  if l and l[0] and l[2]: h['Authorization']='Basic '+base64.b64encode((l[0]+':'+l[2]).encode()).decode()",
  "try: s=u.build_opener(*hs).open(u.Request(url,headers=h),timeout=c['t'])",
  "except ue.HTTPError as x:",
  "  sys.stderr.write('keel-code=%d\\n'%x.code); sys.exit(0 if x.code==304 else 22)",
  "sys.stderr.write('keel-code=%s\\n'%(getattr(s,'status',None) or 0))",
  "sys.stderr.write('keel-cd=%s\\nkeel-url=%s\\n'%((s.headers.get('content-disposition') or '').replace('\\n',' '),s.geturl()))",
  "if c['dec'] and s.headers.get('content-encoding','').lower()=='gzip': s=gzip.GzipFile(fileobj=s)",
  "f=sys.stdout.buffer if out=='-' else open(out,'wb')",
  "shutil.copyfileobj(s,f)",
  "f.flush()",
].join("\n");

/** The HTTP status a fetch reported on stderr (curl/python3 `keel-code=`, wget `-S`), the last one after redirects; undefined when none (ftp, or no response). */
export function statusOf(stderr: string): number | undefined {
  let code: number | undefined;
  for (const m of stderr.matchAll(/^(?:keel-code=(\d{3})|\s*HTTP\/[\d.]+ (\d{3}))/gm)) code = Number(m[1] ?? m[2]);
  return code === 0 ? undefined : code;
}
