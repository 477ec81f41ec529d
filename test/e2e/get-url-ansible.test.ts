// End to end: files.get_url through the real `keel run` on lab04, side by side with ansible-playbook
// (ansible-core 2.14 on this machine) running the same playbook into a sibling folder, both
// downloading on the host from this test's HTTP server on the lab bridge. The server honours
// If-Modified-Since against each file's Last-Modified and records every request, so the test sees
// what each tool sends: a conditional request for an existing dest without force (304: unchanged;
// a newer file upstream: replaced), `cache-control: no-cache` and no condition when forced, a
// checksum read from a SHA256SUMS URL, preemptive basic auth, the User-Agent. Both tools must
// report the same changed flags run after run. Paths: /srv/keel-e2e-geturl-{k,a}.
// Ansible's side (its changed flags, the requests it sent, its User-Agent and the files it left) is
// replayed from test/recordings/ansible/get-url-ansible-runs.json while its key holds (the play,
// the server and this harness, the installed Ansible, the lab's python3); keel always runs live
// against the same server. If keel differs from the recording, Ansible runs live and keel is
// compared with that (test/e2e/ansible-replay.ts). KEEL_ANSIBLE_LIVE=1 runs Ansible live;
// KEEL_ANSIBLE_RECORD=1 also rewrites the recording.
import { createHash } from "node:crypto";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { spawn } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { IncomingMessage, ServerResponse } from "node:http";
import { labPackageVersions, sha256 } from "../ansible-record.js";
import { BRIDGE_ADDRESS } from "../lab/config.js";
import { checkAgainstAnsible } from "./ansible-replay.js";
import { describeLab, INVENTORY, INVENTORY_INI, PRIVATE_KEY, keel, ssh, ansibleEnv } from "./lab.js";

const HOST = "lab04";
const BASE = "/srv/keel-e2e-geturl";
const sha = (b: string) => createHash("sha256").update(b).digest("hex");

interface Served {
  body: string;
  modified: number;
}
const files = new Map<string, Served>();
const seen: { tool: string; path: string; headers: IncomingHttpHeaders }[] = [];
let server: Server | undefined;
let port = 0;
let dir = "";
let pb = "";

const PLAY = `- hosts: all
  gather_facts: false
  vars: { url: "http://${BRIDGE_ADDRESS}:{{ srv_port }}/{{ tool }}" }
  tasks:
    - name: plain
      get_url: { url: "{{ url }}/feed.txt", dest: "{{ base }}/feed.txt", http_agent: "agent-{{ tool }}" }
    - name: forced
      get_url: { url: "{{ url }}/forced.txt", dest: "{{ base }}/forced.txt", force: true }
    - name: checksum file
      get_url: { url: "{{ url }}/pkg/tool-1.0.tar", dest: "{{ base }}/tool-1.0.tar", checksum: "sha256:{{ url }}/pkg/SHA256SUMS" }
    - name: basic auth
      get_url: { url: "{{ url }}/private.txt", dest: "{{ base }}/private.txt", username: deploy, password: s3cret, force_basic_auth: true, mode: "0600" }
`;

function serve(path: string, body: string, modified = Date.now() - 3_600_000): void {
  files.set(path, { body, modified: Math.floor(modified / 1000) * 1000 });
}

function reset(): void {
  files.clear();
  serve("/feed.txt", "v1\n");
  serve("/forced.txt", "forced v1\n");
  serve("/pkg/tool-1.0.tar", "tool 1.0\n");
  serve("/pkg/SHA256SUMS", `${"0".repeat(64)}  other.tar\n${sha("tool 1.0\n")}  tool-1.0.tar\n`);
  serve("/private.txt", "secret\n");
}

async function keelRun(): Promise<Map<string, string>> {
  const json = join(dir, `k-${Date.now()}.json`);
  const r = await keel(["run", pb, "-i", INVENTORY, "--limit", HOST, "-e", `base=${BASE}-k`, "-e", `srv_port=${port}`, "-e", "tool=k", "--json", json]);
  expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
  const rep = JSON.parse(readFileSync(json, "utf8")) as { events: { type: string; host: string; task: { name: string }; result: { status: string } }[] };
  const out = new Map<string, string>();
  for (const e of rep.events) if (e.type === "task.result" && e.host === HOST) out.set(e.task.name, e.result.status);
  return out;
}

// Asynchronous: the HTTP server answering the host runs in this process.
async function ansibleRun(): Promise<Map<string, string>> {
  const child = spawn(
    "ansible-playbook",
    [pb, "-i", INVENTORY_INI, "-l", HOST, "-e", `base=${BASE}-a`, "-e", `srv_port=${port}`, "-e", "tool=a", "--private-key", PRIVATE_KEY, "-u", "root"],
    {
      env: ansibleEnv(dir, { ANSIBLE_STDOUT_CALLBACK: "json", ANSIBLE_RETRY_FILES_ENABLED: "0" }),
    },
  );
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const status = await new Promise<number | null>((resolve) => child.on("close", resolve));
  const r = { status, stdout, stderr };
  expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
  const rep = JSON.parse(r.stdout) as { plays: { tasks: { task: { name: string }; hosts: Record<string, { changed?: boolean; failed?: boolean }> }[] }[] };
  const out = new Map<string, string>();
  for (const t of rep.plays[0]!.tasks) {
    const h = t.hosts[HOST]!;
    out.set(t.task.name, h.failed ? "failed" : h.changed ? "changed" : "ok");
  }
  return out;
}

/** The requests one tool made since `from`, as "PATH ims|nocache|plain". */
function requests(tool: string, from: number): string[] {
  return seen
    .slice(from)
    .flatMap((s) =>
      s.tool === tool ? [`${s.path} ${s.headers["if-modified-since"] ? "ims" : s.headers["cache-control"] === "no-cache" ? "nocache" : "plain"}`] : [],
    );
}

/** The test's HTTP server: serves `files` under /<tool>/, records each request, honours If-Modified-Since. */
function handle(req: IncomingMessage, res: ServerResponse): void {
  const [, tool, ...rest] = (req.url ?? "").split("?")[0]!.split("/");
  const path = `/${rest.join("/")}`;
  seen.push({ tool: tool!, path, headers: req.headers });
  const f = files.get(path);
  if (!f) return void res.writeHead(404).end("not found\n");
  if (path === "/private.txt" && req.headers.authorization !== `Basic ${Buffer.from("deploy:s3cret").toString("base64")}`)
    return void res.writeHead(401, { "www-authenticate": 'Basic realm="keel"' }).end("no\n");
  const ims = req.headers["if-modified-since"];
  if (ims && Date.parse(ims) >= f.modified) return void res.writeHead(304).end();
  res.writeHead(200, { "last-modified": new Date(f.modified).toUTCString(), "content-length": Buffer.byteLength(f.body) }).end(f.body);
}

/** What one tool did over three runs: each run's flags, the requests of runs 2 and 3, its User-Agent, the files it left. */
interface ToolOutcome {
  runs: Record<string, string>[];
  second: string[];
  third: string[];
  agent: string | undefined;
  tree: string;
}

const tree = async (b: string) => (await ssh(HOST, `cd ${b} && for f in *; do printf '%s %s ' "$f" "$(stat -c %a "$f")"; cat "$f"; done`)).stdout;

/** Three runs of one tool: first download, a second run, then a run after upstream changed. */
async function threeRuns(tool: "k" | "a"): Promise<ToolOutcome> {
  reset();
  const go = async () => Object.fromEntries(await (tool === "k" ? keelRun() : ansibleRun()));
  const runs = [await go()];
  let from = seen.length;
  runs.push(await go());
  const second = requests(tool, from);
  // upstream changes: feed is newer than dest (replaced), forced changes content with an old date
  serve("/feed.txt", "v2\n", Date.now() + 120_000);
  serve("/forced.txt", "forced v2\n");
  from = seen.length;
  runs.push(await go());
  const third = requests(tool, from);
  const agent = seen.find((s) => s.tool === tool && s.path === "/feed.txt")?.headers["user-agent"] as string | undefined;
  return { runs, second, third, agent, tree: await tree(`${BASE}-${tool}`) };
}

function checkRequests(tool: string, o: ToolOutcome): void {
  // second run: a conditional request for the plain file, an unconditional one for the forced file
  expect(o.second, tool).toEqual(expect.arrayContaining(["/feed.txt ims", "/forced.txt nocache"]));
  expect(o.second, tool).not.toContain("/pkg/tool-1.0.tar plain");
  expect(o.third, tool).toContain("/feed.txt ims");
  expect(o.agent).toBe(`agent-${tool}`);
}

describeLab("files.get_url against ansible-core on a lab host", () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "keel-geturl-e2e-"));
    pb = join(dir, "pb.yml");
    writeFileSync(pb, PLAY);
    server = createServer(handle);
    await new Promise<void>((resolve, reject) => server!.once("error", reject).listen(0, BRIDGE_ADDRESS, resolve));
    port = (server.address() as AddressInfo).port;
    const r = await ssh(HOST, `rm -rf ${BASE}-k ${BASE}-a && mkdir -p ${BASE}-k ${BASE}-a`);
    expect(r.code, r.stderr).toBe(0);
  });
  afterAll(async () => {
    await ssh(HOST, `rm -rf ${BASE}-k ${BASE}-a`);
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("the same changed flags as Ansible: first download, 304 on the second run, a newer file upstream replaced, forced compared by content", async () => {
    const k = await threeRuns("k");
    checkRequests("k", k);
    const parts = {
      play: sha256(PLAY),
      harness: sha256([handle, reset, serve, ansibleRun, requests, threeRuns, tree, ansibleEnv].map((f) => f.toString()).join("\n")),
      lab: labPackageVersions(["python3", "python3-minimal"]),
    };
    await checkAgainstAnsible(
      "get-url-ansible-runs",
      parts,
      () => threeRuns("a"),
      (a) => {
        checkRequests("a", a);
        expect(k.runs).toEqual(a.runs);
        expect(k.tree).toBe(a.tree);
      },
    );
    expect(k.runs[1]).toEqual({ plain: "ok", forced: "ok", "checksum file": "ok", "basic auth": "ok" });
    expect(k.runs[2]).toMatchObject({ plain: "changed", forced: "changed", "checksum file": "ok" });
    expect(k.tree).toContain("feed.txt 644 v2\nforced.txt 644 forced v2\nprivate.txt 600 secret\n");
  });
});
