// Host output never reaches the terminal raw (issue 10 #12): escape sequences in a command's
// stderr, in a message or in a file's content shown by --diff are printed as visible escapes.
import { describe, it, expect, afterAll } from "vitest";
import { mkdtempSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { main } from "../../../engine/cli/main.js";
import type { CliIO } from "../../../engine/cli/io.js";
import { termSafe } from "../../../engine/report/termsafe.js";

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
    const o = {
      stdout: "",
      stderr: "",
      isTTY: false,
      color: false,
      out: (t: string) => void (o.stdout += t),
      err: (t: string) => void (o.stderr += t),
    } as CliIO & { stdout: string; stderr: string };
    expect(await main(["run", join(dir, "pb.yml"), "-i", join(dir, "inv.yml"), "--diff"], o)).toBe(2);
    const all = o.stdout + o.stderr;
    expect(all).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f]/);
    expect(all).toContain("\\x1b]0;owned\\x07"); // the diff's old line, visible
    expect(all).toContain("\\x1b[2K"); // the command's stderr, visible
  });
});
