// End to end: files.get_url (and files.unarchive) through the real `keel run` on lab02. The HTTP
// server is this test's own, on the lab bridge address of the machine, so the HOST downloads as
// Ansible's get_url does (lab hosts only have python3 to download with). Paths: /srv/keel-e2e-modsb.
// Then the file modules' attributes (lsattr/chattr on the lab's overlayfs) and SELinux arguments
// (ignored with a note: the lab has no SELinux). Paths: /srv/keel-e2e-files-attrs.
import { createHash } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, expect, it } from "vitest";
import { BRIDGE_ADDRESS } from "../lab/config.js";
import { describeLab, hostExec } from "./lab.js";
import { on, run } from "./extra-run.js";

const HOST = "lab02";
const sha = (b: Buffer | string) => createHash("sha256").update(b).digest("hex");

const files = new Map<string, Buffer>();
const hits = new Map<string, number>();
let server: Server | undefined;
let port = 0;

async function clean(): Promise<void> {
  await hostExec(HOST, "rm -rf /srv/keel-e2e-modsb", { check: false });
}

describeLab("files.get_url on a lab host, from an HTTP server on the lab bridge", () => {
  beforeAll(async () => {
    await clean();
    server = createServer((req, res) => {
      const path = (req.url ?? "").split("?")[0]!;
      hits.set(path, (hits.get(path) ?? 0) + 1);
      const body = files.get(path);
      if (!body) return res.writeHead(404).end("not found\n");
      res.writeHead(200, { "content-type": "application/octet-stream", "content-length": body.length }).end(body);
    });
    await new Promise<void>((resolve, reject) => server!.once("error", reject).listen(0, BRIDGE_ADDRESS, resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await clean();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  });

  it("downloads on the host, converges by checksum without a request, replaces on drift, refuses a wrong checksum", async () => {
    files.set("/pkg/tool.tar.gz", Buffer.from([0x1f, 0x8b, 0, 1, 2, 3, 255, 0, 10]));
    files.set("/motd", Buffer.from("welcome to keel\n"));
    files.set("/feed", Buffer.from("v1\n"));
    const vars = () => ["-e", `port=${port}`, "-e", `tool_sum=${sha(files.get("/pkg/tool.tar.gz")!)}`, "-e", `motd_sum=${sha(files.get("/motd")!)}`];
    const first = await run("get-url.yml", HOST, ...vars());
    expect(first.code, first.out).toBe(0);
    expect(first.changed).toBe(4);
    expect(await on(HOST, "cd /srv/keel-e2e-modsb && sha256sum tool.tar.gz motd feed | cut -c1-64 && stat -c %a motd")).toBe(
      `${sha(files.get("/pkg/tool.tar.gz")!)}\n${sha(files.get("/motd")!)}\n${sha("v1\n")}\n600\n`,
    );

    // Converged: the checksum task on a file makes no request at all; into a directory the URL is
    // requested once (probe), as Ansible always requests then, to name the file from the answer
    // (Content-Disposition, else the URL); the forced one streams the URL once (probe).
    hits.clear();
    const again = await run("get-url.yml", HOST, ...vars());
    expect(again.changed, again.out).toBe(0);
    expect(hits.get("/motd")).toBeUndefined();
    expect(hits.get("/pkg/tool.tar.gz")).toBe(1);
    expect(hits.get("/feed")).toBe(1);

    // The forced file changed upstream, and motd was edited on the host: --check sees both.
    files.set("/feed", Buffer.from("v2\n"));
    await on(HOST, "echo tampered > /srv/keel-e2e-modsb/motd");
    const check = await run("get-url.yml", HOST, "--check", ...vars());
    expect(check.changed).toBe(2);
    expect(check.result("forced").changes[0]!.summary).toMatch(/^\/srv\/keel-e2e-modsb\/feed: content differs/);
    expect(await on(HOST, "cat /srv/keel-e2e-modsb/feed /srv/keel-e2e-modsb/motd")).toBe("v1\ntampered\n");
    const fix = await run("get-url.yml", HOST, ...vars());
    expect(fix.changed).toBe(2);
    expect(await on(HOST, "cat /srv/keel-e2e-modsb/feed /srv/keel-e2e-modsb/motd; stat -c %a /srv/keel-e2e-modsb/motd")).toBe("v2\nwelcome to keel\n600\n");

    // The server now serves something else than the checksum says: the download is refused and dest stays.
    files.set("/motd", Buffer.from("evil\n"));
    await on(HOST, "echo tampered > /srv/keel-e2e-modsb/motd");
    const bad = await run(
      "get-url.yml",
      HOST,
      "-e",
      `port=${port}`,
      "-e",
      `tool_sum=${sha(files.get("/pkg/tool.tar.gz")!)}`,
      "-e",
      `motd_sum=${sha("welcome to keel\n")}`,
    );
    expect(bad.code).toBe(2);
    expect(bad.out).toContain(`The checksum for /srv/keel-e2e-modsb/motd did not match ${sha("welcome to keel\n")}; it was ${sha("evil\n")}.`);
    expect(await on(HOST, "cat /srv/keel-e2e-modsb/motd; ls -A /srv/keel-e2e-modsb")).toBe("tampered\nfeed\nmotd\ntool.tar.gz\n");
  });
});

const ATTRS = "/srv/keel-e2e-files-attrs";
/** lsattr's flag letters of each path (no dashes), as the host reports them. */
const flags = async (...names: string[]) =>
  (await on(HOST, `cd ${ATTRS} && lsattr -d ${names.join(" ")}`))
    .trim()
    .split("\n")
    .map((l) => l.split(/\s+/)[0]!.replace(/-/g, ""));

describeLab("files attributes and SELinux arguments on a lab host", () => {
  const wipe = () => hostExec(HOST, `chattr -R -A -d ${ATTRS} 2>/dev/null; rm -rf ${ATTRS}`, { check: false });
  beforeAll(wipe);
  afterAll(wipe);

  it("sets chattr flags and a modification time on new and existing paths, converges, sees a flag removed on the host, and ignores SELinux parts with a note", async () => {
    const first = await run("files-attrs.yml", HOST);
    expect(first.code, first.out).toBe(0);
    expect(first.changed).toBe(4);
    // the time is read in the host's time zone, as Python's time.mktime on the host reads it
    expect(await on(HOST, `stat -c %Y ${ATTRS}/list; date -d '2026-01-02 15:30:45' +%s`)).toMatch(/^(\d+)\n\1\n$/);
    const [dir, conf, list] = await flags(".", "app.conf", "list");
    for (const [f, want] of [
      [dir, "A"],
      [conf, "Ad"],
      [list, "d"],
    ] as const)
      for (const c of want) expect(f, `${want} in ${f}`).toContain(c);
    expect(await on(HOST, `stat -c %a ${ATTRS}`)).toBe("750\n");

    const again = await run("files-attrs.yml", HOST);
    expect(again.changed, again.out).toBe(0);
    expect(again.result("selinux parts on a host without SELinux").reason).toContain("SELinux is disabled on the host: seuser, setype ignored");

    await on(HOST, `chattr -d ${ATTRS}/app.conf`);
    const check = await run("files-attrs.yml", HOST, "--check");
    expect(check.changed).toBe(1);
    expect(check.result("copy with noatime and nodump").changes.map((c) => c.summary)).toEqual([expect.stringMatching(/^attributes [A-Za-z]+ → \+Ad$/)]);
    expect((await flags("app.conf"))[0]).not.toContain("d");
    const fix = await run("files-attrs.yml", HOST);
    expect(fix.changed).toBe(1);
    expect((await flags("app.conf"))[0]).toContain("d");
  });
});
