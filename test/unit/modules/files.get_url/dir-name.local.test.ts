// files.get_url with dest a directory, in this machine's sh: the file is named as Ansible's get_url
// names it (extract_filename_from_headers, else url_filename of the URL after redirects, undecoded),
// from what each download tool reports (curl/python3: keel-cd=/keel-url=; wget: its -S header dump);
// and the whole probe, run with curl against a server on loopback, stats the file so named.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import mod, { dirNameScript } from "../../../../modules/files/get_url.js";
import { BASE_FACTS } from "../harness.js";

function sh(script: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn("sh", ["-c", script]);
    let out = "";
    let err = "";
    p.stdout.on("data", (d: Buffer) => (out += d.toString()));
    p.stderr.on("data", (d: Buffer) => (err += d.toString()));
    p.on("close", (code) => (code === 0 ? resolve(out) : reject(new Error(`exit ${code}: ${err}`))));
  });
}

const tmp = mkdtempSync(join(tmpdir(), "keel-gu-name-"));
let server: Server;
let base = "";

describe("files.get_url: the file a directory dest gets", () => {
  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url === "/download?id=7") {
        res.writeHead(200, { "content-disposition": 'attachment; filename="tool-1.2.tar.gz"' });
        return void res.end("payload\n");
      }
      if (req.url === "/latest") {
        res.writeHead(302, { location: "/files/app%20v2.tgz?sig=x" });
        return void res.end();
      }
      res.writeHead(200);
      res.end("other\n");
    });
    await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise<void>((ok) => server.close(() => ok()));
    rmSync(tmp, { recursive: true, force: true });
  });

  const name = async (stderr: string, url = "http://h/a/b/fallback.tgz?x=1#f") => {
    writeFileSync(join(tmp, "he"), stderr);
    return sh(`_khe=${join(tmp, "he")}; _kd=/d\n${dirNameScript(url)}\nprintf '%s' "$_kp"`);
  };

  it("Content-Disposition attachment filename (quoted or not, its basename), as Ansible's regex takes it", async () => {
    expect(await name('keel-code=200\nkeel-cd=attachment; filename="x-1.0.tgz"\nkeel-url=http://h/dl\n')).toBe("/d/x-1.0.tgz");
    expect(await name("keel-cd=attachment;filename=y.zip\n")).toBe("/d/y.zip");
    expect(await name('keel-cd=attachment; filename="../../etc/z.conf"\n')).toBe("/d/z.conf");
    // wget -S: the header as the server sent it
    expect(await name('  HTTP/1.1 200 OK\n  Content-Disposition: attachment; filename="w.tgz"\n')).toBe("/d/w.tgz");
  });
  it("else the URL after redirects (undecoded, without query and fragment), else the task's URL; '' is index.html", async () => {
    expect(await name("keel-cd=inline\nkeel-url=http://h/x/app%20v2.tgz?sig=1\n")).toBe("/d/app%20v2.tgz");
    expect(await name("keel-cd=\nkeel-url=http://h/\n")).toBe("/d/index.html");
    expect(await name("  HTTP/1.1 302 Found\n  Location: https://cdn.example/r/rel.tgz\n  HTTP/1.1 200 OK\n")).toBe("/d/rel.tgz");
    expect(await name("keel-code=200\n")).toBe("/d/fallback.tgz");
  });
  it("the real probe with curl: named by Content-Disposition, or by the redirect target; the file stat'ed is that one", async () => {
    const dest = join(tmp, "dl");
    await sh(`mkdir -p ${dest} && printf 'payload\\n' > ${dest}/tool-1.2.tar.gz`);
    const p1 = mod.probe({ url: `${base}/download?id=7`, dest }, BASE_FACTS);
    const s1 = p1.parse(await sh(p1.script), 0);
    expect(s1.path).toBe(`${dest}/tool-1.2.tar.gz`);
    expect(s1.file.type).toBe("file");
    expect(mod.diff(s1, { url: `${base}/download?id=7`, dest }, BASE_FACTS)).toEqual([]); // same content: converged
    const p2 = mod.probe({ url: `${base}/latest`, dest }, BASE_FACTS);
    const s2 = p2.parse(await sh(p2.script), 0);
    expect(s2.path).toBe(`${dest}/app%20v2.tgz`);
    expect(mod.diff(s2, { url: `${base}/latest`, dest }, BASE_FACTS).map((c) => c.summary)).toEqual([
      `${dest}/app%20v2.tgz: missing, to download ${base}/latest`,
    ]);
  });
});
