// `keel run … | head` (issue 10 #5): a reader that closes stdout early must not stop the run nor
// change its exit code. The real CLI runs in a child process whose stdout pipe is closed at once;
// the playbook's later tasks must still run, and a failing host must still give exit code 2.
import { describe, it, expect, afterAll } from "vitest";
import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync, existsSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const root = join(import.meta.dirname, "../../..");
const dir = mkdtempSync(join(tmpdir(), "keel-epipe-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function runClosedStdout(args: string[]): Promise<{ code: number | null; stderr: string }> {
  const script = `import(${JSON.stringify(join(root, "engine/cli/main.ts"))}).then((m) => m.main(${JSON.stringify(args)})).then((c) => { process.exitCode = c; });`;
  const child = spawn(process.execPath, ["--import", "tsx", "-e", script], { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
  child.stdout.destroy(); // the reader is gone before keel writes anything
  let stderr = "";
  child.stderr.on("data", (d) => (stderr += d));
  return new Promise((res) => child.on("close", (code) => res({ code, stderr })));
}

describe("closed stdout", () => {
  it("the run finishes and keeps its exit code", async () => {
    const tasks = Array.from({ length: 30 }, (_, i) => `    - name: step ${i}\n      copy: { dest: "${dir}/f${i}", content: "${"x".repeat(200)}" }\n`).join("");
    writeFileSync(
      join(dir, "play.yml"),
      `- hosts: all\n  gather_facts: false\n  tasks:\n${tasks}    - name: last\n      copy: { dest: "${dir}/last", content: "done" }\n    - name: fail\n      command: "false"\n`,
    );
    writeFileSync(join(dir, "inv.yml"), "all:\n  hosts:\n    localhost:\n      ansible_connection: local\n");
    const r = await runClosedStdout(["run", join(dir, "play.yml"), "-i", join(dir, "inv.yml")]);
    expect(r.stderr).not.toMatch(/internal error/);
    expect(existsSync(join(dir, "last"))).toBe(true);
    expect(r.code).toBe(2);
  }, 60_000);
});
