// Host output never reaches the terminal raw (issue 10 #12): escape sequences in a command's
// stderr, in a message or in a file's content shown by --diff are printed as visible escapes.
import { describe, it, expect, afterAll } from "vitest";
import { mkdtempSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { main } from "../../../engine/cli/main.js";
import { captureIO } from "../../capture-io.js";
import { termSafe } from "../../../engine/report/termsafe.js";
import { buildPatchReport } from "../../../engine/report/patch/model.js";
import { renderPatchReport } from "../../../engine/cli/commands/patch.js";

const dir = mkdtempSync(join(tmpdir(), "keel-termsafe-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("termSafe", () => {
  it.each([
    ["\x1b[2K\x1b[1A", "\\x1b[2K\\x1b[1A"],
    ["\x1b]0;title\x07", "\\x1b]0;title\\x07"],
    ["a\rok forged", "a\\x0dok forged"],
    ["line\r\nnext\ttab", "line\nnext\ttab"],
    ["c1 \u009b31m", "c1 \\x9b31m"],
    ["bidi \u202eevil", "bidi \\u202eevil"],
    ["plain é 😀", "plain é 😀"],
  ])("%j", (input, want) => expect(termSafe(input)).toBe(want));
});

describe("keel run prints host output safely", () => {
  it("stderr of a failing command, a diff of a file with escapes, with --diff", async () => {
    const target = join(dir, "motd");
    writeFileSync(target, "old \x1b]0;owned\x07 line\n");
    writeFileSync(join(dir, "inv.yml"), "all:\n  hosts:\n    localhost:\n      ansible_connection: local\n");
    writeFileSync(
      join(dir, "pb.yml"),
      `- hosts: all
  gather_facts: false
  tasks:
    - copy: { dest: ${target}, content: "new\\n" }
    - shell: "printf '\\\\033[2K\\\\033[1A\\\\rok       localhost  all good\\\\n' >&2; printf '\\\\033]0;pwned\\\\007' >&2; exit 1"
`,
    );
    const o = captureIO();
    expect(await main(["run", join(dir, "pb.yml"), "-i", join(dir, "inv.yml"), "--diff"], o)).toBe(2);
    const all = o.stdout + o.stderr;
    expect(all).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f]/);
    expect(all).toContain("\\x1b]0;owned\\x07"); // the diff's old line, visible
    expect(all).toContain("\\x1b[2K"); // the command's stderr, visible
  });
});

const cliIO = () => {
  const o = captureIO();
  return o;
};
const RAW = /[\x00-\x08\x0b-\x1f\x7f]/;

describe("report text formats and error messages print host text safely (issue 10 #12, session 6)", () => {
  it("keel drift --details (text), markdown and github: a drifted file's old line with escapes is shown escaped", async () => {
    const target = join(dir, "drifted");
    writeFileSync(target, "old \x1b]0;owned\x07\x1b[2K line\n");
    writeFileSync(join(dir, "inv.yml"), "all:\n  hosts:\n    localhost:\n      ansible_connection: local\n");
    writeFileSync(join(dir, "drift.yml"), `- hosts: all\n  gather_facts: false\n  tasks:\n    - lineinfile: { path: ${target}, line: "x" }\n`);
    for (const format of ["text", "markdown", "github"]) {
      const o = cliIO();
      expect(await main(["drift", join(dir, "drift.yml"), "-i", join(dir, "inv.yml"), "--details", "--no-history", "--format", format], o)).toBe(2);
      if (format !== "github") expect(o.stdout, format).toContain("\\x1b]0;owned\\x07"); // github lists no diff lines
      expect(o.stdout + o.stderr, format).not.toMatch(RAW);
    }
  });

  it("keel patch text and markdown: package names, versions and reboot reasons a host sent are escaped", () => {
    const r = buildPatchReport(
      [
        {
          host: "h1",
          durationMs: 1,
          roundTrips: 1,
          state: {
            manager: "apt",
            now: 1_700_000_000,
            updates: [{ name: "pkg\x1b[2K", installed: "1\x1b]0;t\x07", candidate: "2", security: true, source: "deb\x9b31m", held: false }],
            held: [],
            reboot: { required: true, reasons: ["linux\x1b[1A\rok forged"], packages: ["p\x1b[2K"] },
            kernel: { running: "6.1" },
            brokenSources: ["file:/srv\x1b[2K"],
          } as never,
        },
        { host: "h2", durationMs: 1, roundTrips: 1, error: "probe said \x1b]0;x\x07", failure: "probe" },
      ],
      { inventory: ["inv"], failOn: "security", durationMs: 1 },
    );
    for (const f of ["text", "markdown"] as const) {
      const out = renderPatchReport(r, f, true);
      expect(out, f).not.toMatch(RAW);
      expect(out, f).toContain("\\x1b");
    }
  });

  it("an error message (unknown module name with escapes) is printed escaped", async () => {
    writeFileSync(join(dir, "bad.yml"), "- hosts: all\n  tasks:\n    - nosuch\x1b]0;t\x07: {}\n");
    const o = cliIO();
    expect(await main(["run", join(dir, "bad.yml"), "-i", join(dir, "inv.yml")], o)).toBe(1);
    expect(o.stderr).toContain("unknown module 'nosuch\\x1b]0;t\\x07'");
    expect(o.stderr).not.toMatch(RAW);
  });
});
