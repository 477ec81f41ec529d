// End to end, on two scratch hosts: packages.npm (community.general.npm) through the real `keel
// run` on one and ansible-playbook (Debian's community.general) on the other, from the same
// playbook. Both hosts get Debian's nodejs from the lab repository and npm 9.2.0 (Debian 12's npm
// version, from the npm registry's own tarball, which bundles its dependencies: Debian's npm package
// needs ~360 packages), cached in the lab cache. The packages come from a small npm registry this
// test serves on the lab bridge (a packument and tarballs of keel-demo 1.0.0 and 1.1.0). Checked:
// --check predicts and writes nothing; keel and Ansible change the same tasks and leave the same
// node_modules/package.json; a second run changes nothing; state latest updates through npm
// outdated/update in both.
//
// Ansible's side (its statuses of the three runs and its host's STATE text after the first and the
// latest run) is replayed from test/recordings/ansible/npm-module-runs.json while its key holds (the
// plays, SETUP, STATE, this harness with Ansible's environment and the registry's packages, the lab's nodejs/python3 versions,
// the installed Ansible): then one scratch host runs keel alone against the recorded outcomes.
// KEEL_ANSIBLE_LIVE=1 runs Ansible live on a second host; KEEL_ANSIBLE_RECORD=1 also rewrites the
// recording.
import { createHash } from "node:crypto";
import { spawnSync } from "node:child_process";
import { createServer, type Server } from "node:http";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { BRIDGE_ADDRESS, labPaths } from "../lab/config.js";
import { labPackageVersions, sha256 } from "../ansible-record.js";
import { AnsibleSteps, ansiblePlaybookJson, ansibleStatuses, plainStatus } from "./ansible-side.js";
import { ansibleEnv, describeLab, keel, spawnAsync, ssh, startScratchHosts, stopScratchHosts, type ScratchHost } from "./lab.js";

const PLAY = `- hosts: all
  gather_facts: false
  vars: { reg: "http://${BRIDGE_ADDRESS}:{{ port }}/" }
  tasks:
    - name: pinned
      community.general.npm: { name: keel-demo, version: "1.0.0", path: /srv/keel-npm, registry: "{{ reg }}" }
    - name: global
      npm: { name: keel-demo, global: true, registry: "{{ reg }}" }
`;
const LATEST = `- hosts: all
  gather_facts: false
  tasks:
    - name: latest
      community.general.npm: { name: keel-demo, path: /srv/keel-npm, state: latest, registry: "http://${BRIDGE_ADDRESS}:{{ port }}/" }
`;
const STATE = [
  "grep '\"version\"' /srv/keel-npm/node_modules/keel-demo/package.json",
  "cat /srv/keel-npm/package.json",
  "npm ls -g --depth 0 2>/dev/null | grep keel-demo",
].join("; ");

let k: ScratchHost | undefined;
let a: ScratchHost | undefined;
let server: Server | undefined;
let port = 0;
let dir = "";
const tarballs = new Map<string, Buffer>();

/** npm 9.2.0's registry tarball, fetched once into the lab cache (npm pack in a folder with no package.json above). */
async function npmTarball(): Promise<string> {
  const cache = join(labPaths().cache, "npm");
  const file = join(cache, "npm-9.2.0.tgz");
  if (!existsSync(file)) {
    mkdirSync(cache, { recursive: true });
    const tmp = mkdtempSync(join(cache, ".pack-"));
    const r = await spawnAsync("npm", ["pack", "npm@9.2.0", "--silent"], { cwd: tmp, timeout: 120_000 });
    if (r.status !== 0) throw new Error(`npm pack npm@9.2.0 failed: ${r.stderr}`);
    renameSync(join(tmp, "npm-9.2.0.tgz"), file);
  }
  return file;
}

/** A package tarball as npm publishes it (package/package.json), built with tar. */
function pack(version: string): Buffer {
  const d = mkdtempSync(join(dir, "pkg-"));
  mkdirSync(join(d, "package"));
  writeFileSync(
    join(d, "package/package.json"),
    JSON.stringify({ name: "keel-demo", version, description: "keel lab package", license: "MIT", main: "index.js" }),
  );
  writeFileSync(join(d, "package/index.js"), `module.exports = "${version}";\n`);
  const r = spawnSync("tar", ["czf", "-", "package"], { cwd: d });
  if (r.status !== 0) throw new Error(`tar failed: ${String(r.stderr)}`);
  return r.stdout;
}

function packument(): string {
  const versions: Record<string, unknown> = {};
  for (const [v, tgz] of tarballs) {
    versions[v] = {
      name: "keel-demo",
      version: v,
      license: "MIT",
      main: "index.js",
      dist: {
        tarball: `http://${BRIDGE_ADDRESS}:${port}/keel-demo/-/keel-demo-${v}.tgz`,
        shasum: createHash("sha1").update(tgz).digest("hex"),
        integrity: `sha512-${createHash("sha512").update(tgz).digest("base64")}`,
      },
    };
  }
  return JSON.stringify({ name: "keel-demo", "dist-tags": { latest: "1.1.0" }, versions });
}

async function on(h: ScratchHost, cmd: string, input?: string): Promise<string> {
  const r = await ssh(h, cmd, input !== undefined ? { input } : {});
  if (r.code !== 0) throw new Error(`ssh ${h.name} '${cmd.slice(0, 200)}' exited ${r.code}: ${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

async function keelRun(h: ScratchHost, play: string, ...extra: string[]): Promise<{ code: number; out: string; status: Record<string, string> }> {
  const json = join(dir, `k-${Date.now()}.json`);
  const r = await keel(["run", play, "-i", h.inventory, "-e", `port=${port}`, "--json", json, ...extra]);
  const out = `${r.stdout}\n${r.stderr}`;
  const status: Record<string, string> = {};
  const rep = JSON.parse(readFileSync(json, "utf8")) as { events: { type: string; task: { name: string }; result: { status: string } }[] };
  for (const e of rep.events) if (e.type === "task.result") status[e.task.name] = e.result.status;
  return { code: r.code, out, status };
}

// Asynchronous (spawnAsync): the registry answering the host runs in this process.
async function ansibleRun(h: ScratchHost, play: string): Promise<Record<string, string>> {
  return ansibleStatuses(await ansiblePlaybookJson(h, play, { home: dir, extra: ["-e", `port=${port}`] }), h.name, plainStatus);
}

/** Debian's nodejs from the lab repository and npm 9.2.0 from its tarball (stdin, base64). */
const SETUP =
  "apt-get update -qq >/dev/null 2>&1; DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends nodejs >/dev/null && base64 -d > /var/tmp/npm.tgz && " +
  "mkdir -p /usr/local/lib/node_modules/npm && tar xzf /var/tmp/npm.tgz -C /usr/local/lib/node_modules/npm --strip-components=1 && " +
  "ln -sf ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm && npm --version";

/** Ansible's outcomes on its host (recorded as npm-module-runs). */
type Side = { run1: Record<string, string>; state1: string; run2: Record<string, string>; run3: Record<string, string>; state3: string };
let side: AnsibleSteps<Side>;

describeLab("packages.npm against community.general.npm (issue 16)", () => {
  let pb = "";
  let latest = "";
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "keel-npm-e2e-"));
    pb = join(dir, "pb.yml");
    latest = join(dir, "latest.yml");
    writeFileSync(pb, PLAY);
    writeFileSync(latest, LATEST);
    tarballs.set("1.0.0", pack("1.0.0"));
    tarballs.set("1.1.0", pack("1.1.0"));
    server = createServer((req, res) => {
      const url = (req.url ?? "").split("?")[0]!;
      if (url === "/keel-demo") return res.writeHead(200, { "content-type": "application/json" }).end(packument());
      const m = /^\/keel-demo\/-\/keel-demo-(.+)\.tgz$/.exec(url);
      const tgz = m ? tarballs.get(m[1]!) : undefined;
      if (tgz) return res.writeHead(200, { "content-type": "application/octet-stream" }).end(tgz);
      res.writeHead(404, { "content-type": "application/json" }).end('{"error":"not found"}');
    });
    await new Promise<void>((resolve) => server!.listen(0, BRIDGE_ADDRESS, resolve));
    port = (server.address() as { port: number }).port;
    const npm = readFileSync(await npmTarball());
    side = new AnsibleSteps<Side>("npm-module-runs", {
      play: sha256(PLAY),
      latest: sha256(LATEST),
      setup: sha256(SETUP),
      state: sha256(STATE),
      npm: sha256(npm),
      harness: sha256([npmTarball, pack, packument, ansibleRun, on, ansiblePlaybookJson, ansibleEnv, ansibleStatuses, plainStatus].map(String).join("\n")),
      packages: labPackageVersions(["nodejs", "libnode108", "python3"]),
    });
    // replaying, Ansible's host is not needed: one scratch host, set up alone
    [k, a] = await startScratchHosts(side.replaying ? 1 : 2);
    await Promise.all([k, a].filter((h): h is ScratchHost => h !== undefined).map((h) => on(h, SETUP, npm.toString("base64"))));
  }, 300_000);
  afterAll(async () => {
    await stopScratchHosts([k, a].filter((h): h is ScratchHost => h !== undefined));
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  });

  it("--check predicts both installs and writes nothing", async () => {
    console.log(`npm-module: Ansible's side ${side.source}`);
    const c = await keelRun(k!, pb, "--check");
    expect(c.code, c.out).toBe(0);
    expect(c.status).toEqual({ pinned: "changed", global: "changed" });
    expect(await on(k!, "ls /srv/keel-npm /usr/local/lib/node_modules 2>&1 || true")).not.toContain("keel-demo");
  }, 120_000);

  it("keel and Ansible install the same, then change nothing; state latest updates in both", async () => {
    const k1 = await keelRun(k!, pb);
    expect(k1.code, k1.out).toBe(0);
    const a1 = await side.step("run1", () => ansibleRun(a!, pb));
    expect(k1.status, side.hint).toEqual(a1);
    expect(a1, side.hint).toEqual({ pinned: "changed", global: "changed" });
    const ks = await on(k!, STATE);
    expect(ks, side.hint).toBe(await side.step("state1", () => on(a!, STATE)));
    expect(ks).toContain('"version":"1.0.0"');

    const k2 = await keelRun(k!, pb);
    expect(k2.status, k2.out).toEqual({ pinned: "ok", global: "ok" });
    expect(await side.step("run2", () => ansibleRun(a!, pb)), side.hint).toEqual({ pinned: "ok", global: "ok" });

    const k3 = await keelRun(k!, latest);
    const a3 = await side.step("run3", () => ansibleRun(a!, latest));
    expect(k3.status, `${k3.out}\n${side.hint}`).toEqual(a3);
    expect(a3, side.hint).toEqual({ latest: "changed" });
    const ks3 = await on(k!, STATE);
    expect(ks3, side.hint).toBe(await side.step("state3", () => on(a!, STATE)));
    expect(ks3).toContain('"version":"1.1.0"');
    side.save();
    expect((await keelRun(k!, latest)).status).toEqual({ latest: "ok" });
  }, 240_000);
});
