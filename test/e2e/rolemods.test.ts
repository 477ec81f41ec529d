// End to end: system.uri (and the language modules of the rolemods work) through the real `keel run`
// on a lab host. The HTTP server is this test's own, on the lab bridge address, so the request
// comes FROM the host as with Ansible's uri. Paths: /srv/keel-e2e-rolemods.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, expect, it } from "vitest";
import { BRIDGE_ADDRESS } from "../lab/config.js";
import { describeLab, hostExec, HOSTS } from "./lab.js";
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
