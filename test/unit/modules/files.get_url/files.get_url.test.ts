import { describe, expect, it } from "vitest";
import mod, { splitChecksum, wantedDigest, type GetUrlState } from "../../../../modules/files/get_url.js";
import { fetchCmd, statusOf } from "../../../../modules/files/http-fetch.js";
import { BASE_FACTS } from "../harness.js";

describe("files.get_url", () => {
  it("streams the URL in the probe unless a checksum decides; conditional (If-Modified-Since) only without force", () => {
    const plain = mod.probe({ url: "http://h/x", dest: "/x" }, BASE_FACTS).script;
    expect(plain).toContain(`if [ "$_kdir" = 1 ] || [ -f "$_kp" ]; then`);
    expect(plain).toContain(`date -u -r "$_kp" '+%a, %d %b %Y %H:%M:%S GMT'`);
    expect(plain).toContain(`-H "If-Modified-Since: $_kims"`);
    const forced = mod.probe({ url: "http://h/x", dest: "/x", force: true }, BASE_FACTS).script;
    expect(forced).not.toContain(`-H "If-Modified-Since: $_kims"`);
    expect(forced).toContain("'cache-control: no-cache'");
    // with a checksum, only a directory dest is requested (for the file's name, as Ansible always requests then)
    const ck = mod.probe({ url: "http://h/x", dest: "/x", checksum: `sha256:${"0".repeat(64)}` }, BASE_FACTS).script;
    expect(ck).toContain(`if [ "$_kdir" = 1 ]; then\n_kims=`);
    expect(ck).not.toContain(`if [ "$_kdir" = 1 ] || [ -f "$_kp" ]; then`);
  });

  it("reads the HTTP status from curl/python3 (keel-code=) and wget (-S), the last one after redirects", () => {
    expect(statusOf("keel-code=304\n\nkeel-rc=0\n")).toBe(304);
    expect(statusOf("  HTTP/1.1 302 Found\n  Location: /b\n  HTTP/1.1 304 Not Modified\nERROR 304: Not Modified.\n")).toBe(304);
    expect(statusOf("keel-code=000\n")).toBeUndefined();
    expect(statusOf("Traceback (most recent call last):\n")).toBeUndefined();
  });

  it("carries Ansible's request options to each tool", () => {
    const a = {
      http_agent: "keel-test",
      url_username: "u",
      url_password: "p",
      use_proxy: false,
      client_cert: "/c.pem",
      client_key: "/k.pem",
      decompress: false,
    };
    const curl = fetchCmd("https://h/x", a, "-", "curl");
    expect(curl).toContain("-A keel-test");
    expect(curl).toContain("-u u:p --anyauth");
    expect(curl).toContain("--noproxy '*'");
    expect(curl).toContain("--cert /c.pem --key /k.pem");
    expect(curl).not.toContain("--compressed");
    expect(fetchCmd("https://h/x", { ...a, force_basic_auth: true }, "-", "curl")).not.toContain("--anyauth");
    expect(fetchCmd("https://h/x", {}, "-", "curl")).toContain("--netrc-optional");
    expect(fetchCmd("https://h/x", { use_netrc: false }, "-", "wget")).toContain("--no-netrc");
    expect(fetchCmd("https://h/x", { url_username: "u", force_basic_auth: true }, "-", "wget")).toContain("--auth-no-challenge");
    expect(fetchCmd("https://h/x", {}, "-", "python3")).toContain(`"agent":"ansible-httpget"`);
  });

  it("reads a checksum file as Ansible does: 'DIGEST *name', './name', or one lone digest", () => {
    const st = (text: string): GetUrlState => ({
      path: "/d/f.tgz",
      destIsDir: false,
      file: { path: "/d/f.tgz", type: "absent", parentExists: true },
      sumFile: { rc: 0, code: 200, text, err: "" },
    });
    const args = { url: "http://h/rel/f.tgz", dest: "/d/f.tgz", checksum: "sha256:http://h/rel/SUMS" };
    const d = "ab".repeat(32);
    expect(wantedDigest(st(`${"0".repeat(64)}  other.tgz\n${d} *./f.tgz\n`), args)).toBe(d);
    expect(wantedDigest(st(`${d.toUpperCase()}\n`), args)).toBe(d);
    expect(() => wantedDigest(st(`${d}  g.tgz\n`), args)).toThrow(/Unable to find a checksum for file 'f.tgz'/);
    expect(() => wantedDigest({ ...st(""), sumFile: { rc: 0, code: 404, text: "", err: "" } }, args)).toThrow(
      /Request failed: http:\/\/h\/rel\/SUMS \(HTTP 404\)/,
    );
    expect(splitChecksum("sha256: AB-cd")).toEqual({ algo: "sha256", hex: "abcd" });
  });
});
