import { describe, expect, it } from "vitest";
import mod, { basename } from "../../../../modules/files/get_url.js";
import { BASE_FACTS } from "../harness.js";

describe("files.get_url", () => {
  it("fails before any change when the host cannot fetch the URL (python3 exit 1 on a 404, captured on lab03)", () => {
    const args = { url: "http://198.18.0.1:18080/missing.txt", dest: "/tmp/gu/x", force: true };
    const out =
      "@get_url\ndir=0\npath=/tmp/gu/x\ntool=python3\n@stat file\nexists=0\n@stat parent\nexists=1\ntype=directory\n@remote\nsum=1:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855  -\n";
    const st = mod.probe(args, BASE_FACTS).parse(out, 0);
    expect(() => mod.diff(st, args, BASE_FACTS)).toThrow(/Request failed: .*missing\.txt could not be fetched on the host \(python3 exited 1\)/);
  });
  it("names a file downloaded into a directory after the URL's last segment", () => {
    expect(basename("http://h/a/b/file%20x.tar.gz?v=1#f")).toBe("file x.tar.gz");
    expect(basename("http://h/")).toBe("index.html");
  });
  it("only streams the URL in the probe when the content decides (force, or a directory dest without checksum)", () => {
    expect(mod.probe({ url: "http://h/x", dest: "/x" }, BASE_FACTS).script).toContain('if [ "$_kdir" = 1 ]; then');
    expect(mod.probe({ url: "http://h/x", dest: "/x", checksum: `sha256:${"0".repeat(64)}` }, BASE_FACTS).script).not.toContain("remote");
  });
});
