// lookup('url', …): Ansible's url lookup (ansible-core 2.14 plugins/lookup/url.py), run on the
// controller. Lookups are synchronous in keel's evaluator, as in Ansible, so the request runs in a
// child node process (execFileSync) with node:http/https; the parent gets its status and body back.
//
// As Ansible: each term is fetched with GET, redirects followed (follow_redirects 'urllib2'), and
// its body split into lines (bytes.splitlines: \n, \r\n, \r) unless split_lines=False; an HTTP
// error status fails with "Received HTTP error for URL : HTTP Error 404: Not Found", a network
// error with "Failed lookup url for URL : …". Options: validate_certs (True), split_lines (True),
// headers, timeout (10), http_agent ("ansible-httpget"), username/password (basic auth: sent after
// a Basic challenge, or with the first request under force_basic_auth), force (keel never caches, so it changes nothing), use_proxy. keel does not go
// through proxies: with use_proxy true and a proxy variable set for the URL's scheme it refuses
// rather than connecting directly behind the user's back. Any other option is refused by name.
import { execFileSync } from "node:child_process";
import { ExprEvalError } from "./errors.js";
import { type Val, isDict, needStr, pyStr, toBool } from "./values.js";

const SUPPORTED = new Set([
  "validate_certs",
  "split_lines",
  "headers",
  "timeout",
  "http_agent",
  "username",
  "password",
  "force",
  "use_proxy",
  "force_basic_auth",
]);

// The child: argv[1] is a JSON request; prints a JSON {status, reason, body (base64)} or {error}.
const CHILD = String.raw`
const req = JSON.parse(process.argv[1]);
const done = (o) => { process.stdout.write(JSON.stringify(o)); process.exit(0); };
function get(url, left, withAuth) {
  let u;
  try { u = new URL(url); } catch (e) { return done({ error: "unknown url type: " + url }); }
  const mod = u.protocol === "https:" ? require("node:https") : u.protocol === "http:" ? require("node:http") : null;
  if (!mod) return done({ error: "unknown url type: " + u.protocol.replace(/:$/, "") });
  const headers = withAuth && req.auth ? { ...req.headers, Authorization: req.auth } : req.headers;
  const r = mod.request(u, { method: "GET", headers, rejectUnauthorized: req.validate, timeout: req.timeout * 1000 }, (res) => {
    const loc = res.headers.location;
    // urllib's HTTPBasicAuthHandler: credentials go out after a Basic challenge (or always with force_basic_auth)
    if (res.statusCode === 401 && req.auth && !withAuth && /^basic/i.test(String(res.headers["www-authenticate"] ?? ""))) {
      res.resume();
      return get(url, left, true);
    }
    if ([301, 302, 303, 307, 308].includes(res.statusCode) && loc) {
      res.resume();
      if (left === 0) return done({ status: res.statusCode, reason: "Too many redirects", body: "" });
      return get(new URL(loc, u).toString(), left - 1, withAuth);
    }
    const chunks = [];
    res.on("data", (c) => chunks.push(c));
    res.on("end", () => done({ status: res.statusCode, reason: res.statusMessage, body: Buffer.concat(chunks).toString("base64") }));
    res.on("error", (e) => done({ error: String(e.message) }));
  });
  r.on("timeout", () => r.destroy(new Error("timed out")));
  r.on("error", (e) => {
    if (/CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ALTNAME/.test(String(e.code))) return done({ ssl: String(e.message) });
    done({ error: e.code === "ECONNREFUSED" ? "<urlopen error [Errno 111] Connection refused>" : "<urlopen error " + String(e.message) + ">" });
  });
  r.end();
}
get(req.url, 10, req.force);
`;

/** Python's bytes.splitlines(): \n, \r\n and \r end a line; no empty last item for a final newline. */
export function splitLinesBytes(s: string): string[] {
  const out = s.split(/\r\n|\n|\r/);
  if (out.length > 0 && out[out.length - 1] === "") out.pop();
  return out;
}

function proxyFor(protocol: string): string | undefined {
  const k = protocol === "https:" ? "https_proxy" : "http_proxy";
  return process.env[k] || process.env[k.toUpperCase()] || undefined;
}

export function urlLookup(terms: unknown[], kw: Record<string, Val>): unknown[] {
  for (const k of Object.keys(kw))
    if (!SUPPORTED.has(k)) throw new ExprEvalError(`lookup('url'): option '${k}' is not supported by keel (it has ${[...SUPPORTED].sort().join(", ")})`);
  const validate = kw.validate_certs === undefined ? true : toBool(kw.validate_certs);
  const splitLines = kw.split_lines === undefined ? true : toBool(kw.split_lines);
  const useProxy = kw.use_proxy === undefined ? true : toBool(kw.use_proxy);
  const timeout = kw.timeout === undefined ? 10 : Number(kw.timeout);
  if (!Number.isFinite(timeout) || timeout <= 0)
    throw new ExprEvalError(`lookup('url'): timeout must be a positive number of seconds, got ${pyStr(kw.timeout)}`);
  const headers: Record<string, string> = { "User-Agent": kw.http_agent === undefined ? "ansible-httpget" : pyStr(kw.http_agent) };
  if (kw.headers !== undefined) {
    if (!isDict(kw.headers)) throw new ExprEvalError(`lookup('url'): headers must be a mapping, got ${pyStr(kw.headers)}`);
    for (const [k, v] of Object.entries(kw.headers)) headers[k] = pyStr(v as Val);
  }
  const auth =
    kw.username === undefined
      ? undefined
      : `Basic ${Buffer.from(`${pyStr(kw.username)}:${kw.password === undefined ? "" : pyStr(kw.password)}`).toString("base64")}`;
  const force = kw.force_basic_auth === undefined ? false : toBool(kw.force_basic_auth);
  const out: unknown[] = [];
  for (const t of terms) {
    const url = needStr(t, "lookup('url')");
    let protocol = "";
    try {
      protocol = new URL(url).protocol;
    } catch {
      throw new ExprEvalError(`Failed lookup url for ${url} : unknown url type: ${url}`);
    }
    if (useProxy && proxyFor(protocol))
      throw new ExprEvalError(`lookup('url') for ${url}: keel does not go through the proxy set in the environment; pass use_proxy=False to connect directly`);
    let res: { status?: number; reason?: string; body?: string; error?: string; ssl?: string };
    try {
      const stdout = execFileSync(process.execPath, ["-e", CHILD, JSON.stringify({ url, headers, validate, timeout, auth, force })], {
        encoding: "utf8",
        stdio: ["ignore", "pipe", "pipe"],
        timeout: (timeout + 5) * 1000 * 11,
        maxBuffer: 256 * 1024 * 1024,
      });
      res = JSON.parse(stdout) as typeof res;
    } catch (e) {
      throw new ExprEvalError(`Failed lookup url for ${url} : ${String((e as Error).message).split("\n")[0]}`);
    }
    if (res.error !== undefined) throw new ExprEvalError(`Failed lookup url for ${url} : ${res.error}`);
    if (res.ssl !== undefined) throw new ExprEvalError(`Error validating the server's certificate for ${url}: ${res.ssl}`);
    // urllib's HTTPErrorProcessor: any final status outside 200..299 is an HTTPError
    if (res.status === undefined || res.status >= 300 || res.status < 200)
      throw new ExprEvalError(`Received HTTP error for ${url} : HTTP Error ${res.status}: ${res.reason ?? ""}`);
    const text = Buffer.from(res.body ?? "", "base64").toString("utf8");
    if (splitLines) out.push(...splitLinesBytes(text));
    else out.push(text);
  }
  return out;
}
