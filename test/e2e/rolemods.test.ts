// End to end: system.uri (and the language modules of the rolemods work) through the real `keel run`
// on a lab host. The HTTP server is this test's own, on the lab bridge address, so the request
// comes FROM the host as with Ansible's uri. Paths: /srv/keel-e2e-rolemods.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, expect, it } from "vitest";
import { BRIDGE_ADDRESS } from "../lab/config.js";
import { describeLab, hostExec, HOSTS, startScratchHost, stopScratchHost, type ScratchHost } from "./lab.js";
import { on, run } from "./extra-run.js";

const HOST = "lab03";
interface Hit {
  method: string;
  path: string;
  from: string;
  body: string;
  ims?: string;
}
const hits: Hit[] = [];
let server: Server | undefined;
let port = 0;
const MOTD = "welcome, from the bridge\n";
const MTIME = new Date("2026-11-01T10:00:00Z");

async function clean(): Promise<void> {
  await hostExec(HOST, "rm -rf /srv/keel-e2e-rolemods", { check: false });
}

describeLab("system.uri on a lab host, against an HTTP server on the lab bridge", () => {
  beforeAll(async () => {
    await clean();
    server = createServer((req, res) => {
      let body = "";
      req.on("data", (c: Buffer) => (body += c.toString()));
      req.on("end", () => {
        const path = req.url ?? "";
        const ims = req.headers["if-modified-since"];
        hits.push({ method: req.method ?? "", path, from: req.socket.remoteAddress ?? "", body, ...(ims ? { ims } : {}) });
        const json = (code: number, v: unknown) =>
          res.writeHead(code, { "content-type": "application/json", "x-served-by": "keel-e2e" }).end(JSON.stringify(v));
        if (path === "/api/info") return json(200, { host: "from-host" });
        if (path === "/api/items" && req.method === "POST") return json(201, { received: JSON.parse(body) as unknown });
        if (path === "/api/once") return json(200, { ok: true });
        if (path === "/files/motd") {
          // As a static server: 304 when the copy is not older than the file.
          if (ims && new Date(ims) >= MTIME) return res.writeHead(304).end();
          return res.writeHead(200, { "content-type": "text/plain", "last-modified": MTIME.toUTCString() }).end(MOTD);
        }
        res.writeHead(404, { "content-type": "text/plain" }).end("no such page\n");
      });
    });
    await new Promise<void>((resolve, reject) => server!.once("error", reject).listen(0, BRIDGE_ADDRESS, resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await clean();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  });

  it("requests from the host, registers Ansible's result, reports ok except for a saved file, and asks nothing in check mode", async () => {
    const addr = HOSTS.find((h) => h.name === HOST)!.address;
    const first = await run("uri.yml", HOST, "-e", `port=${port}`, "-e", "item_name=widget");
    expect(first.code, first.out).toBe(0);
    // The directory and the saved file are the changes; GET/POST are ok, as Ansible reports them.
    expect(first.changed, first.out).toBe(2);
    expect(first.result("post json").status).toBe("ok");
    expect(first.result("save to dest").status).toBe("changed");
    expect(first.result("once").status).toBe("ok");
    expect(first.result("once").reason).toMatch(/skipped, since '\/srv\/keel-e2e-rolemods\/motd' exists/);
    expect(
      hits.every((h) => h.from === addr || h.from === `::ffff:${addr}`),
      JSON.stringify(hits),
    ).toBe(true);
    expect(hits.find((h) => h.path === "/api/items")!.body).toBe('{"name": "widget", "tags": ["a", "b"]}');
    expect(hits.some((h) => h.path === "/api/once")).toBe(false);
    expect(await on(HOST, "cat /srv/keel-e2e-rolemods/motd; stat -c %a /srv/keel-e2e-rolemods/motd")).toBe(`${MOTD}600\n`);

    // Again: the saved file is not older than the server's, so the server answers 304: nothing changes.
    await on(HOST, "touch -d '2026-11-02 00:00:00 UTC' /srv/keel-e2e-rolemods/motd");
    hits.length = 0;
    const again = await run("uri.yml", HOST, "-e", `port=${port}`, "-e", "item_name=widget");
    expect(again.code, again.out).toBe(0);
    expect(again.changed, again.out).toBe(0);
    expect(hits.find((h) => h.path === "/files/motd")!.ims).toBe("Mon, 02 Nov 2026 00:00:00 GMT");

    // Check mode: the requests are "unknown" (Ansible skips uri in check mode) and none is made.
    hits.length = 0;
    const check = await run("uri.yml", HOST, "--check", "-e", `port=${port}`, "-e", "item_name=widget");
    expect(check.result("get json").status).toBe("unknown");
    expect(hits).toEqual([]);

    // A status outside status_code fails the task with Ansible's message.
    const bad = await run("uri.yml", HOST, "-e", `port=${port}`, "-e", "item_name=widget", "-e", "base=http://198.18.0.1:" + port + "/broken");
    expect(bad.code).not.toBe(0);
    expect(bad.result("get json").msg).toMatch(/^Status code was 404 and not \[200\]: HTTP Error 404: Not Found/);
  });
});

// Pure-python wheels built here (a wheel is a zip with METADATA, WHEEL and RECORD), served as a
// PEP 503 simple index: the host's pip resolves and downloads from the lab bridge.
const WHEEL_PY = String.raw`
import base64, hashlib, os, sys, zipfile
out = sys.argv[1]
for spec in sys.argv[2:]:
    name, version, *deps = spec.split(':')
    mod = name.replace('-', '_'); dist = '%s-%s.dist-info' % (mod, version)
    files = {mod + '/__init__.py': ('VERSION = %r\n' % version).encode(),
             dist + '/METADATA': ('Metadata-Version: 2.1\nName: %s\nVersion: %s\n' % (name, version) + ''.join('Requires-Dist: %s\n' % d for d in deps)).encode(),
             dist + '/WHEEL': b'Wheel-Version: 1.0\nGenerator: keel-test\nRoot-Is-Purelib: true\nTag: py3-none-any\n'}
    rec = ['%s,sha256=%s,%d' % (p, base64.urlsafe_b64encode(hashlib.sha256(b).digest()).rstrip(b'=').decode(), len(b)) for p, b in files.items()]
    files[dist + '/RECORD'] = ('\n'.join(rec + [dist + '/RECORD,,']) + '\n').encode()
    with zipfile.ZipFile(os.path.join(out, '%s-%s-py3-none-any.whl' % (mod, version)), 'w') as z:
        for p, b in files.items(): z.writestr(p, b)
`;

describeLab("packages.pip on a scratch host, from a package index on the lab bridge", () => {
  let h: ScratchHost | undefined;
  let wheels = "";
  let pipServer: Server | undefined;
  let pipPort = 0;
  const served: string[] = [];
  beforeAll(async () => {
    wheels = mkdtempSync(join(tmpdir(), "keel-e2e-wheels-"));
    execFileSync("python3", ["-c", WHEEL_PY, wheels, "keel-demo:1.0", "keel-dep:2.0", "keel-app:1.0:keel-dep"]);
    pipServer = createServer((req, res) => {
      const path = req.url ?? "";
      served.push(path);
      const m = /^\/simple\/([a-z0-9-]+)\/$/.exec(path);
      if (m) {
        const mod = m[1]!.replace(/-/g, "_");
        const links = readdirSync(wheels)
          .filter((f) => f.startsWith(`${mod}-`))
          .map((f) => `<a href="/files/${f}">${f}</a>`);
        if (!links.length) return res.writeHead(404).end();
        return res.writeHead(200, { "content-type": "text/html" }).end(`<!DOCTYPE html><html><body>${links.join("\n")}</body></html>`);
      }
      const f = /^\/files\/([A-Za-z0-9_.-]+\.whl)$/.exec(path);
      if (f && readdirSync(wheels).includes(f[1]!))
        return res.writeHead(200, { "content-type": "application/octet-stream" }).end(readFileSync(join(wheels, f[1]!)));
      res.writeHead(404).end();
    });
    await new Promise<void>((resolve, reject) => pipServer!.once("error", reject).listen(0, BRIDGE_ADDRESS, resolve));
    pipPort = (pipServer.address() as AddressInfo).port;
    h = await startScratchHost();
    await on(h, "export DEBIAN_FRONTEND=noninteractive; apt-get update -q >/dev/null && apt-get install -y -q python3-pip python3-venv >/dev/null");
  }, 600_000);
  afterAll(async () => {
    if (h) await stopScratchHost(h);
    await new Promise<void>((resolve) => (pipServer ? pipServer.close(() => resolve()) : resolve()));
    if (wheels) rmSync(wheels, { recursive: true, force: true });
  });

  it("creates the virtualenv, installs with dependencies, converges, predicts an upgrade in check mode, upgrades and removes", async () => {
    const pipRun = (...extra: string[]) => run("pip.yml", h!, "-e", `port=${pipPort}`, ...extra);
    const venvList = () => on(h!, "/srv/keel-e2e-pip/venv/bin/pip list --format=freeze 2>/dev/null | grep ^keel | sort");
    const first = await pipRun("-e", "demo=keel-demo==1.0", "-e", "demo_state=present");
    expect(first.code, first.out).toBe(0);
    expect(first.changed, first.out).toBe(2);
    expect(first.result("app into a new virtualenv").changes.map((c) => c.summary)).toEqual([
      "virtualenv /srv/keel-e2e-pip/venv missing, to create with python3 -m venv",
      "install keel-app in /srv/keel-e2e-pip/venv",
    ]);
    expect(await venvList()).toBe("keel-app==1.0\nkeel-demo==1.0\nkeel-dep==2.0\n");

    // A newer keel-demo appears: check mode predicts the upgrade for state latest (pip's dry run) and
    // finds keel-app converged; nothing changes.
    execFileSync("python3", ["-c", WHEEL_PY, wheels, "keel-demo:1.1"]);
    const check = await pipRun("--check", "-e", "demo=keel-demo", "-e", "demo_state=latest");
    expect(check.changed, check.out).toBe(1);
    expect(check.result("app into a new virtualenv").status).toBe("ok");
    expect(check.result("demo").changes.map((c) => c.summary)).toEqual(["upgrade keel-demo 1.0 → 1.1 in /srv/keel-e2e-pip/venv"]);
    expect(await venvList()).toContain("keel-demo==1.0\n");
    const latest = await pipRun("-e", "demo=keel-demo", "-e", "demo_state=latest");
    expect(latest.changed, latest.out).toBe(1);
    expect(await venvList()).toContain("keel-demo==1.1\n");

    // Removed (what remains is untouched).
    const gone = await pipRun("-e", "demo=keel-demo", "-e", "demo_state=absent");
    expect(gone.changed, gone.out).toBe(1);
    expect(await venvList()).toBe("keel-app==1.0\nkeel-dep==2.0\n");
  }, 600_000);
});
