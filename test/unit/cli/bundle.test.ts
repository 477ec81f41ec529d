// The bundled CLI (engine/cli/bundle.ts, dist/keel.mjs) must behave as the module tree it is built
// from: same version, same module registry, and a real run through it. The bundle is written to a
// folder of its own inside dist/ (so node_modules resolves for the external packages), never to
// dist/keel.mjs, which bin/keel.js would pick up for other tests meanwhile.
import { afterAll, describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { asciiOnly, bundle, bundlePaths } from "../../../engine/cli/bundle.js";

const root = join(import.meta.dirname, "../../..");
const outDir = join(root, "dist", `bundle-test-${process.pid}`);
const work = mkdtempSync(join(tmpdir(), "keel-bundle-"));
afterAll(() => {
  rmSync(outDir, { recursive: true, force: true });
  rmSync(work, { recursive: true, force: true });
});

function cli(entry: string, args: string[]): string {
  const script = `import(${JSON.stringify(entry)}).then((m) => m.main(${JSON.stringify(args)})).then((c) => { process.exitCode = c; });`;
  return execFileSync(process.execPath, ["--input-type=module", "-e", script], { cwd: work, encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } });
}

describe("asciiOnly", () => {
  it("escapes non-ASCII characters so that code means the same", () => {
    const src = "// a comment… with é\n(() => ['é…', `ü${1}😀`, /[…😀]/.test('x😀'), /é+/u.test('éé'), 'ß'.length])()";
    const ascii = asciiOnly(src);
    expect(/[^\x00-\x7f]/.test(ascii)).toBe(false);
    expect((0, eval)(ascii)).toEqual((0, eval)(src));
    expect((0, eval)(ascii)).toEqual(["é…", "ü1😀", true, true, 1]);
  });
});

describe("the bundled CLI", () => {
  it("is built from dist and runs as the module tree does", async () => {
    const { entry } = bundlePaths(root);
    expect(existsSync(entry), `${entry} is missing: run npm run build (tsc) first`).toBe(true);
    const out = join(outDir, "keel.mjs");
    const size = await bundle(root, out);
    expect(size).toBeGreaterThan(100_000);
    // ASCII only: Node then decodes it and V8 scans it as one-byte text (bundle.ts asciiOnly)
    expect(/[^\x00-\x7f]/.test(readFileSync(out, "latin1"))).toBe(false);
    const version = (JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { version: string }).version;
    expect(cli(out, ["--version"]).trim()).toBe(version);
    expect(cli(out, ["modules"])).toBe(cli(entry, ["modules"]));
    writeFileSync(join(work, "inv.yml"), "all:\n  hosts:\n    localhost:\n      ansible_connection: local\n");
    writeFileSync(
      join(work, "play.yml"),
      `- hosts: all\n  gather_facts: true\n  tasks:\n    - name: a file\n      copy: { dest: "${work}/out.txt", content: "{{ ansible_facts.os_family | default('x') }}\\n", mode: "0640" }\n`,
    );
    const run = cli(out, ["run", join(work, "play.yml"), "-i", join(work, "inv.yml")]);
    expect(run).toMatch(/localhost\s*:\s*ok=\d+\s+changed=1\s/);
    expect(readFileSync(join(work, "out.txt"), "utf8")).toMatch(/^\S+\n$/);
    const again = cli(out, ["run", join(work, "play.yml"), "-i", join(work, "inv.yml")]);
    expect(again).toMatch(/localhost\s*:\s*ok=\d+\s+changed=0\s/);
  }, 120_000);
});
