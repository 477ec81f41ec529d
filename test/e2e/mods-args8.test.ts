// End to end on one scratch host through the real `keel run` (issue 16, session 8's arguments):
// authorized_key with a key URL (fetched by the controller from a server on loopback) and follow on
// a symlinked file; wait_for state drained with exclude_hosts; get_url into a directory named by
// Content-Disposition, with attributes on a tmpfs mounted in the host's own mount namespace (the
// lab's overlayfs root takes no chattr flags), and setype ignored there (no SELinux on lab hosts).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { BRIDGE_ADDRESS, describeLab, keel, startScratchHost, stopScratchHost, type ScratchHost } from "./lab.js";
import { on } from "./extra-run.js";

const KEYS =
  "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAJn8pOdikveYDSXXrqE1g4xrMcHS5L8wBqfZMS/WDYB alice@laptop\n" +
  "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFj9F3Y/dMM5qkle34E06grdeE30jtF5V6aNHTmOe1qe bob@desk\n";

describeLab("session 8 module arguments on a scratch host (issue 16)", () => {
  let s: ScratchHost | undefined;
  let dir = "";
  let local: Server | undefined;
  let bridge: Server | undefined;
  let keysUrl = "";
  let dlUrl = "";

  async function play(name: string, tasks: string, ...extra: string[]): Promise<{ code: number; out: string; changed: number; failed: number }> {
    const pb = join(dir, `${name}.yml`);
    writeFileSync(pb, `- hosts: all\n  gather_facts: false\n  tasks:\n${tasks}`);
    const json = join(dir, `${name}-${Date.now()}.json`);
    const r = await keel(["run", pb, "-i", s!.inventory, "--limit", s!.name, "--json", json, ...extra]);
    const rep = JSON.parse(readFileSync(json, "utf8")) as { summary: { hosts: Record<string, { changed: number; failed: number }> } };
    const h = rep.summary.hosts[s!.name] ?? { changed: -1, failed: -1 };
    return { code: r.code, out: `${r.stdout}\n${r.stderr}`, changed: h.changed, failed: h.failed };
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "keel-mods8-"));
    local = createServer((req, res) => (req.url === "/alice.keys" ? res.writeHead(200).end(KEYS) : res.writeHead(404).end("no\n")));
    await new Promise<void>((ok) => local!.listen(0, "127.0.0.1", ok));
    keysUrl = `http://127.0.0.1:${(local.address() as AddressInfo).port}/alice.keys`;
    bridge = createServer((req, res) =>
      req.url === "/download?id=7"
        ? res.writeHead(200, { "content-disposition": 'attachment; filename="tool-1.2.txt"' }).end("payload\n")
        : res.writeHead(404).end("no\n"),
    );
    await new Promise<void>((ok, ko) => bridge!.once("error", ko).listen(0, BRIDGE_ADDRESS, ok));
    dlUrl = `http://${BRIDGE_ADDRESS}:${(bridge.address() as AddressInfo).port}/download?id=7`;
    s = await startScratchHost();
    await on(s, "mkdir -p /srv/ak /mnt/attr && : > /srv/ak/real && ln -s /srv/ak/real /srv/ak/link && mount -t tmpfs -o size=1m tmpfs /mnt/attr");
  }, 120_000);
  afterAll(async () => {
    if (s) await stopScratchHost(s);
    await new Promise<void>((ok) => (local ? local.close(() => ok()) : ok()));
    await new Promise<void>((ok) => (bridge ? bridge.close(() => ok()) : ok()));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("authorized_key: keys from a URL into the file a symlink leads to (follow), the link kept; converged on the second run", async () => {
    const t = `    - authorized_key: { user: root, key: "${keysUrl}", path: /srv/ak/link, follow: true, manage_dir: false }\n`;
    const check = await play("ak", t, "--check");
    expect(check.code, check.out).toBe(0);
    expect(check.changed).toBe(1);
    expect(await on(s!, "cat /srv/ak/real")).toBe("");
    const first = await play("ak", t);
    expect(first.code, first.out).toBe(0);
    expect(first.changed).toBe(1);
    expect(await on(s!, "readlink /srv/ak/link; cat /srv/ak/real")).toBe(`/srv/ak/real\n${KEYS}`);
    expect((await play("ak", t)).changed).toBe(0);
    const bad = await play("ak-bad", `    - authorized_key: { user: root, key: "${keysUrl.replace("alice", "nobody")}", path: /srv/ak/link, follow: true }\n`);
    expect(bad.code).toBe(2);
    expect(bad.out).toContain(`Error getting key from: ${keysUrl.replace("alice", "nobody")}`);
  });

  it("wait_for drained: keel's own SSH connection keeps port 22 busy unless its address is excluded", async () => {
    const me = (await on(s!, `printf '%s' "\${SSH_CLIENT%% *}"`)).trim();
    expect(me).toBe(BRIDGE_ADDRESS);
    const ok = await play("drained", `    - wait_for: { port: 22, host: 0.0.0.0, state: drained, exclude_hosts: ["${me}"], timeout: 5 }\n`);
    expect(ok.code, ok.out).toBe(0);
    expect(ok.changed).toBe(0);
    const busy = await play("busy", `    - wait_for: { port: 22, host: 0.0.0.0, state: drained, timeout: 2, msg: still busy }\n`);
    expect(busy.code).toBe(2);
    expect(busy.out).toContain("still busy");
  });

  it("get_url into a directory: named by Content-Disposition, attributes +A on tmpfs, setype ignored; converged on the second run", async () => {
    const t = `    - get_url: { url: "${dlUrl}", dest: /mnt/attr, attributes: "+A", setype: httpd_sys_content_t }\n`;
    const first = await play("gu", t);
    expect(first.code, first.out).toBe(0);
    expect(first.changed).toBe(1);
    expect(await on(s!, "cat /mnt/attr/tool-1.2.txt")).toBe("payload\n");
    expect((await on(s!, "lsattr -d /mnt/attr/tool-1.2.txt")).split(" ")[0]).toContain("A");
    const again = await play("gu", t);
    expect(again.code, again.out).toBe(0);
    expect(again.changed).toBe(0);
    // a flag removed behind keel's back is drift, and is put back
    await on(s!, "chattr -A /mnt/attr/tool-1.2.txt");
    const fix = await play("gu", t);
    expect(fix.changed).toBe(1);
    expect((await on(s!, "lsattr -d /mnt/attr/tool-1.2.txt")).split(" ")[0]).toContain("A");
  });
});
