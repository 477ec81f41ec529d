// `keel run` in-process (engine/cli/main.ts with a captured CliIO) on the local connection against
// temp folders: -e forms, --json -, --check, --tags, exit codes 0/1/2.
import { describe, it, expect, afterAll } from "vitest";
import { mkdtempSync, writeFileSync, readFileSync, existsSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { main } from "../../../engine/cli/main.js";
import { parseExtraVars } from "../../../engine/cli/commands/shared.js";
import { captureIO as io } from "../../capture-io.js";

const dir = mkdtempSync(join(tmpdir(), "keel-cli-run-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

writeFileSync(
  join(dir, "inv.yml"),
  `all:\n  vars:\n    ansible_connection: local\n  hosts:\n    one:\n      root: ${join(dir, "one")}\n    two:\n      root: ${join(dir, "two")}\n`,
);
writeFileSync(
  join(dir, "play.yml"),
  `- hosts: all
  gather_facts: false
  tasks:
    - name: Ensure dir
      file: { path: "{{ root }}", state: directory }
    - name: Ensure greeting
      copy: { dest: "{{ root }}/greeting", content: "{{ greeting }} from {{ inventory_hostname }}\\n" }
      tags: [greet]
    - name: Fail on two
      command: "test {{ inventory_hostname }} != two"
      changed_when: false
      tags: [check]
`,
);
writeFileSync(join(dir, "vars.yml"), "greeting: hello\n");

describe("parseExtraVars", () => {
  it("key=value words (quotes honoured), JSON/YAML mappings and @file, later wins", () => {
    expect(parseExtraVars(["a=1 b='x y'", '{"c": [1, 2], "a": "2"}', `@${join(dir, "vars.yml")}`])).toEqual({ a: "2", b: "x y", c: [1, 2], greeting: "hello" });
  });
  it.each([["novalue"], ["1abc=x"], ["{not: [closed"], ["[1, 2]"]])("rejects %s as invalid input", (v) => {
    expect(() => parseExtraVars([v])).toThrow();
  });
  it("a missing @file names it", () => {
    expect(() => parseExtraVars(["@/nonexistent/vars.yml"])).toThrow(/nonexistent\/vars\.yml/);
  });
});

describe("keel run (in-process, local connection)", () => {
  it("exit 2 when a host fails, the others converge; --json - keeps stdout pure JSON", async () => {
    const o = io();
    const code = await main(["run", join(dir, "play.yml"), "-i", join(dir, "inv.yml"), "-e", `@${join(dir, "vars.yml")}`, "--json", "-"], o);
    expect(code).toBe(2);
    const rep = JSON.parse(o.stdout);
    expect(rep.summary.failed).toEqual(["two"]);
    expect(rep.summary.hosts.one).toMatchObject({ changed: 2, ok: 1, status: "ok" });
    expect(readFileSync(join(dir, "one", "greeting"), "utf8")).toBe("hello from one\n");
    expect(o.stderr).toMatch(/^failed   two  Fail on two  \(system\.command /m);
    expect(o.stderr).toMatch(/FAILED\n  two: task 'Fail on two' \(.*play\.yml:\d+\) failed \(rc 1\)/);
  });

  it("--check with --limit and --tags changes nothing and exits 0", async () => {
    const o = io();
    const code = await main(
      ["run", join(dir, "play.yml"), "-i", join(dir, "inv.yml"), "-e", "greeting=bye", "--check", "--limit", "one", "--tags", "greet"],
      o,
    );
    expect(code).toBe(0);
    expect(o.stdout).toMatch(/^changed  one  Ensure greeting/m);
    expect(o.stdout).not.toContain("Ensure dir");
    expect(readFileSync(join(dir, "one", "greeting"), "utf8")).toBe("hello from one\n");
    expect(o.stdout).not.toMatch(/^\w+ +two /m);
    expect(existsSync(join(dir, "two", "greeting"))).toBe(true);
  });

  it("invalid input exits 1 and no host is touched", async () => {
    for (const args of [
      ["--forks", "0"],
      ["--limit", "nomatch"],
      ["-e", "oops"],
      ["--timeout", "-3"],
    ]) {
      const o = io();
      const code = await main(["run", join(dir, "play.yml"), "-i", join(dir, "inv.yml"), "-e", "greeting=x", ...args], o);
      expect(code, args.join(" ")).toBe(1);
      expect(o.stderr).toMatch(/^error: /);
      expect(o.stdout).toBe("");
    }
  });
});
