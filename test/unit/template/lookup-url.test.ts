// lookup('url'): each expectation is what ansible-core 2.14's url lookup gave for the same request
// to the same server (test/unit/template/url-server.cjs), run by hand with
//   ansible-playbook -i localhost, -c local pb.yml   (debug: msg="{{ lookup('url', URL, …) }}")
// The server runs in its own process: the lookup is synchronous and blocks this one.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { evaluate } from "../../../engine/template/index.js";
import { splitLinesBytes } from "../../../engine/template/lookup-url.js";

const pos = { file: "t.yml", line: 1, col: 1 };
const ev = (text: string) => evaluate({ text, pos }, {});
let srv: ChildProcess | undefined;
let base = "";

describe("lookup('url') as Ansible's url lookup", () => {
  beforeAll(async () => {
    srv = spawn(process.execPath, [fileURLToPath(new URL("./url-server.cjs", import.meta.url))], { stdio: ["pipe", "pipe", "inherit"] });
    const port = await new Promise<string>((resolve) => srv!.stdout!.once("data", (d: Buffer) => resolve(d.toString().trim())));
    base = `http://127.0.0.1:${port}`;
  });
  afterAll(() => {
    srv?.stdin?.end();
    srv?.kill();
  });

  it("splits the body into lines; lookup joins them with ',', wantlist and query keep the list", () => {
    const lines = ["aaa  node_exporter-1.0.linux-amd64.tar.gz", "bbb  node_exporter-1.0.linux-arm64.tar.gz"];
    expect(ev(`lookup('url', '${base}/sums', wantlist=True)`)).toEqual(lines);
    expect(ev(`query('url', '${base}/sums')`)).toEqual(lines);
    expect(ev(`lookup('url', '${base}/sums')`)).toBe(lines.join(","));
    // node_exporter's preflight: lookup(…, wantlist=True) | list
    expect(ev(`lookup('url', '${base}/sums', wantlist=True) | list`)).toEqual(lines);
  });
  it("split_lines: \\r\\n, \\r and \\n end lines (bytes.splitlines); split_lines=False keeps the body", () => {
    expect(ev(`lookup('url', '${base}/crlf', wantlist=True)`)).toEqual(["x", "y", "z", "", "last"]);
    expect(ev(`lookup('url', '${base}/crlf', split_lines=False)`)).toBe("x\r\ny\rz\n\nlast");
    expect(splitLinesBytes("a\n")).toEqual(["a"]);
  });
  it("follows redirects; utf-8 bodies", () => {
    expect(ev(`lookup('url', '${base}/moved', wantlist=True)`)).toHaveLength(2);
    expect(ev(`lookup('url', '${base}/utf8')`)).toBe("grüße");
  });
  it("User-Agent ansible-httpget, headers, basic auth only when forced or challenged", () => {
    expect(ev(`lookup('url', '${base}/agent')`)).toBe("ansible-httpget||");
    expect(ev(`lookup('url', '${base}/agent', headers={'X-Token':'t1'}, username='u', password='p', force_basic_auth=True)`)).toBe(
      "ansible-httpget|t1|Basic dTpw",
    );
    expect(ev(`lookup('url', '${base}/agent', username='u', password='p')`)).toBe("ansible-httpget||");
    expect(ev(`lookup('url', '${base}/private', username='u', password='p')`)).toBe("secret");
  });
  it("errors as Ansible words them; errors='ignore' gives nothing; unknown options are refused", () => {
    expect(() => ev(`lookup('url', '${base}/nope')`)).toThrow(`Received HTTP error for ${base}/nope : HTTP Error 404: Not Found`);
    expect(() => ev(`lookup('url', 'http://127.0.0.1:1/x')`)).toThrow(
      "Failed lookup url for http://127.0.0.1:1/x : <urlopen error [Errno 111] Connection refused>",
    );
    expect(ev(`lookup('url', '${base}/nope', errors='ignore')`)).toBeNull();
    expect(() => ev(`lookup('url', '${base}/sums', use_gssapi=True)`)).toThrow(/option 'use_gssapi' is not supported/);
  });
});
