// system.uri's request program (uri-request.ts) and its result (uriResult) against ansible-core's
// own uri module, both on this machine against a loopback HTTP server: the same request must give
// the same registered result (date and elapsed aside), changed and failed included. Nothing outside
// a temp folder is written (dest goes there). ANSIBLE_* variables are set explicitly.
// ansible-core's results are replayed from test/recordings/ansible/uri-parity-results.json while
// its key holds (the requests, the server, the harness, this user and umask, node's and python3's
// versions, the installed ansible-core/ansible), with the server's address and the temp folder as
// {base} and {dir}; else, and with KEEL_ANSIBLE_LIVE=1, ansible-playbook runs live
// (KEEL_ANSIBLE_RECORD=1 also rewrites the recording). keel differing from a recorded result fails
// the test, naming the recording (re-run with KEEL_ANSIBLE_LIVE=1 to compare with a live Ansible).
import { execFile } from "node:child_process";
import { createServer, type Server } from "node:http";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ExecOptions, ExecResult, Host } from "../../../../engine/core/module.js";
import { CommandError } from "../../../../engine/core/errors.js";
import mod, { type UriArgs } from "../../../../modules/system/uri.js";
import { BASE_FACTS } from "../harness.js";
import { sha256 } from "../../../ansible-record.js";
import { debianVersions, RecordedBatch } from "../../recorded-batch.js";

let server: Server;
let userver: Server;
let base = "";
const dir = mkdtempSync(join(tmpdir(), "keel-uri-parity-"));
writeFileSync(join(dir, "ansible.cfg"), "[defaults]\n");
writeFileSync(join(dir, "body.json"), '{"from": "a file"}\n');

function proc(cmd: string, args: string[], stdin: string, env: NodeJS.ProcessEnv = process.env): Promise<{ stdout: string; stderr: string; code: number }> {
  return new Promise((resolve) => {
    const child = execFile(cmd, args, { env, maxBuffer: 16 << 20, timeout: 120_000 }, (err, stdout, stderr) =>
      resolve({ stdout, stderr, code: err ? ((err as { code?: number }).code ?? 1) : 0 }),
    );
    child.stdin!.on("error", () => undefined); // a command that exits before reading its stdin (EPIPE)
    child.stdin!.end(stdin);
  });
}

/** A Host that runs commands here (sh -c), for the module's real apply. */
const local: Host = {
  name: "local",
  facts: BASE_FACTS,
  async run(cmd: string, opts?: ExecOptions): Promise<ExecResult> {
    const r = await proc("sh", ["-c", cmd], opts?.stdin?.toString() ?? "");
    if (r.code !== 0 && opts?.check !== false) throw new CommandError(cmd, r.code, r.stdout, r.stderr);
    return { stdout: r.stdout, stderr: r.stderr, rc: r.code };
  },
  writeFile: () => Promise.reject(new Error("not used")),
  reconnect: () => Promise.resolve(),
};

/** keel's registered result for args: the module's apply (the host program run here). */
async function keelResult(a: UriArgs): Promise<Record<string, unknown>> {
  const st = mod.probe(a, BASE_FACTS).parse("@uri\npython=1\n", 0);
  const changes = mod.diff(st, a, BASE_FACTS);
  const out = (await mod.apply(local, a, changes, st))!;
  return { ...out.data, changed: out.changed !== false, ...(out.failed !== undefined ? { failed: true } : {}) };
}

/** ansible-core's registered results for every case, from one ansible-playbook run (local connection, json callback). */
async function ansibleResults(all: UriArgs[]): Promise<Record<string, unknown>[]> {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: dir,
    ANSIBLE_STDOUT_CALLBACK: "json",
    ANSIBLE_LOAD_CALLBACK_PLUGINS: "1",
    ANSIBLE_LOCALHOST_WARNING: "0",
    ANSIBLE_INVENTORY_UNPARSED_WARNING: "0",
    ANSIBLE_PYTHON_INTERPRETER: "auto_silent",
    ANSIBLE_CONFIG: join(dir, "ansible.cfg"),
    ANSIBLE_LOCAL_TEMP: join(dir, "ansible-tmp"),
    ANSIBLE_REMOTE_TEMP: join(dir, "ansible-remote"),
  };
  const play = [{ hosts: "localhost", gather_facts: false, tasks: all.map((a) => ({ uri: a, ignore_errors: true })) }];
  writeFileSync(join(dir, "play.yml"), JSON.stringify(play));
  const r = await proc("ansible-playbook", ["-c", "local", "-i", "localhost,", join(dir, "play.yml")], "", env);
  const doc = JSON.parse(r.stdout.slice(r.stdout.indexOf("{"))) as { plays: { tasks: { hosts: Record<string, Record<string, unknown>> }[] }[] };
  return doc.plays[0]!.tasks.map((t) => {
    const res = t.hosts.localhost!;
    for (const k of ["invocation", "_ansible_no_log", "action", "warnings", "deprecations", "_ansible_verbose_always", "ansible_facts"]) delete res[k];
    return res;
  });
}

function comparable(r: Record<string, unknown>): Record<string, unknown> {
  const out = { ...r };
  delete out.date;
  delete out.elapsed;
  return out;
}

const handler: Parameters<typeof createServer>[1] = (req, res) => {
  let body = "";
  req.on("data", (c: Buffer) => (body += c.toString()));
  req.on("end", () => {
    const url = req.url ?? "";
    const echo = {
      method: req.method,
      body,
      ua: req.headers["user-agent"],
      ct: req.headers["content-type"] ?? null,
      auth: req.headers.authorization ?? null,
    };
    if (url === "/json") return res.writeHead(200, { "content-type": "application/json; charset=utf-8", "X-Thing": "a" }).end(JSON.stringify(echo));
    if (url === "/problem") return res.writeHead(422, { "content-type": "application/problem+json" }).end(JSON.stringify({ error: "bad", ...echo }));
    if (url === "/redir") return res.writeHead(302, { location: "/json" }).end();
    if (url === "/created") return res.writeHead(201, { "content-type": "text/plain", "set-cookie": "sid=abc; Path=/" }).end("made\n");
    if (url === "/missing") return res.writeHead(404, { "content-type": "text/plain" }).end("nope\n");
    res.writeHead(200, { "content-type": "text/plain", "content-length": "6" }).end("hello\n");
  });
};

beforeAll(async () => {
  server = createServer(handler);
  userver = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  await new Promise<void>((resolve) => userver.listen(join(dir, "api.sock"), resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await new Promise<void>((resolve) => userver.close(() => resolve()));
  rmSync(dir, { recursive: true, force: true });
});

const cases: [string, (b: string) => UriArgs][] = [
  ["a GET followed through a 302 to JSON: parsed into json, redirected, headers as keys", (b) => ({ url: `${b}/redir` })],
  ["a POST of a JSON body: ok, not changed", (b) => ({ url: `${b}/json`, method: "POST", body: { a: [1, 2], b: "x y", c: true }, body_format: "json" })],
  [
    "a form-urlencoded PUT with basic auth forced and return_content",
    (b) => ({
      url: `${b}/json`,
      method: "PUT",
      body: { name: "x", tags: ["a", "b"] },
      body_format: "form-urlencoded",
      url_username: "admin",
      url_password: "pw",
      force_basic_auth: true,
      return_content: true,
    }),
  ],
  ["a POST answered 302 under follow_redirects safe: the 302 fails the task", (b) => ({ url: `${b}/redir`, method: "POST", body: "x" })],
  ["a 404 not in status_code fails with Ansible's message", (b) => ({ url: `${b}/missing` })],
  ["a 404 accepted by status_code, with return_content", (b) => ({ url: `${b}/missing`, status_code: [200, 404], return_content: true })],
  ["a 422 problem+json: failed, json parsed", (b) => ({ url: `${b}/problem`, method: "DELETE" })],
  ["a 201 with a cookie, status_code as a string list", (b) => ({ url: `${b}/created`, status_code: "200, 201", headers: { "X-Req": "1" } })],
  ["HEAD", (b) => ({ url: `${b}/plain`, method: "HEAD" })],
  ["a refused connection", () => ({ url: "http://127.0.0.1:9/x", timeout: 5 })],
  ["dest: saved (changed), with the file's facts", (b) => ({ url: `${b}/plain`, dest: join(dir, "saved.txt"), mode: "0640" })],
  ["dest a folder: named after the URL", (b) => ({ url: `${b}/plain`, dest: join(dir, "into") })],
  [
    "over a Unix socket (unix_socket, as docker's API is reached): the URL's path, any host",
    () => ({ url: "http://localhost/json", unix_socket: join(dir, "api.sock") }),
  ],
  ["a 302 over a Unix socket is followed through the socket", () => ({ url: "http://docker/redir", unix_socket: join(dir, "api.sock"), return_content: true })],
];
/** A result with the server's address and the temp folder as {base} and {dir}, as recorded. */
const placeholders = (r: unknown): Record<string, unknown> =>
  JSON.parse(JSON.stringify(r).replaceAll(base, "{base}").replaceAll(dir, "{dir}")) as Record<string, unknown>;
const ansible = new RecordedBatch<Record<string, unknown>>(
  "uri-parity-results",
  () => ({
    requests: JSON.stringify(cases.map(([, make]) => placeholders(make(base)))),
    server: sha256(handler.toString()),
    harness: sha256(ansibleResults.toString() + comparable.toString()),
    user: `${process.getuid?.()}:${process.getgid?.()} umask ${process.umask().toString(8)}`,
    versions: `node=${process.version} ${debianVersions(["python3"])}`,
  }),
  async () => {
    const rs = await ansibleResults(cases.map(([, make]) => make(base)));
    return Object.fromEntries(rs.map((r, i) => [cases[i]![0], placeholders(comparable(r))]));
  },
  "fail",
);

describe("system.uri gives ansible-core's result for the same request (loopback server)", () => {
  beforeAll(async () => {
    mkdirSync(join(dir, "into"));
    console.log(`ansible-core's uri results: ${(await ansible.outcomes()).source}`);
    // keel then makes the same requests and writes the same files again (a live run wrote them).
    rmSync(join(dir, "saved.txt"), { force: true });
    rmSync(join(dir, "into", "plain"), { force: true });
  }, 120_000);
  cases.forEach(([name, make]) => {
    it(name, async () => {
      const k = placeholders(comparable(await keelResult(make(base))));
      expect(k).toEqual(await ansible.expected(name, k));
    });
  });
  it("dest: the saved file has the content and the mode asked", () => {
    expect(readFileSync(join(dir, "saved.txt"), "utf8")).toBe("hello\n");
    expect(statSync(join(dir, "saved.txt")).mode & 0o777).toBe(0o640);
  });
});

describe("system.uri src on the controller", () => {
  it("prepare reads it from files/ (as Ansible's action plugin uploads it) and the request sends its bytes; body and src together stop the load", () => {
    const a = mod.prepare!({ url: "http://h/x", src: "body.json" }, {
      readLocal: (sub: string, rel: string) => (sub === "files" && rel === "body.json" ? Buffer.from("abc") : Buffer.alloc(0)),
    } as unknown as Parameters<NonNullable<typeof mod.prepare>>[1]);
    expect(a.src_b64).toBe(Buffer.from("abc").toString("base64"));
    expect(
      mod.prepare!({ url: "http://h/x", src: "/on/host", remote_src: true }, {} as Parameters<NonNullable<typeof mod.prepare>>[1]).src_b64,
    ).toBeUndefined();
    expect(() => mod.validate!({ url: "http://h/x", src: "a", body: "b" })).toThrow(/mutually exclusive: body\|src/);
  });
});
