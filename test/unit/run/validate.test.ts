// Module validate() (issue 9 §2) and the one-line / NUL refusals (issue 10 #2, #11), through the
// real CLI on the local connection: arguments known at load fail the load (exit 1, no host
// touched); arguments known only after rendering fail that task on each host before its probe,
// naming the task's file:line, and nothing is written.
import { afterAll, describe, expect, it } from "vitest";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { main } from "../../../engine/cli/main.js";
import { captureIO as io } from "../../capture-io.js";

const dir = mkdtempSync(join(tmpdir(), "keel-validate-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
/** A play whose first task writes a marker file, then `task` (YAML lines at indent 4). */
async function run(task: string, extra: string[] = []): Promise<{ code: number; out: string; err: string; root: string; line: number }> {
  const root = join(dir, `case${++n}`);
  mkdirSync(root);
  writeFileSync(join(dir, `inv${n}.yml`), `all:\n  vars:\n    ansible_connection: local\n  hosts:\n    one:\n      root: ${root}\n`);
  const head = `- hosts: all\n  gather_facts: false\n  tasks:\n    - name: First\n      copy: { dest: "${root}/marker", content: "x" }\n`;
  writeFileSync(join(dir, `play${n}.yml`), head + task);
  const o = io();
  const code = await main(["run", join(dir, `play${n}.yml`), "-i", join(dir, `inv${n}.yml`), ...extra], o);
  return { code, out: o.stdout, err: o.stderr, root, line: head.split("\n").length + 1 };
}

// These run with --check: should a refusal ever regress, the payloads (a root sudoers rule, a
// sysctl file, an account) must not land on the machine running the tests. Load-time failure is
// shown by exit 1 with nothing on stdout: no play started, so no host was contacted.
describe("arguments known at load", () => {
  it.each([
    ["a cross-argument rule (link needs src)", `    - name: Link\n      file: { path: /nonexistent/keel-never, state: link }\n`, /needs src/],
    ["a package name", `    - name: Pkg\n      package: { name: "nginx;reboot" }\n`, /invalid package name/],
    ["copy with content and src", `    - name: Copy\n      copy: { dest: /nonexistent/keel-never, content: a, src: b }\n`, /content or src, not both/],
    [
      "a newline in a sudoers user",
      `    - name: Sudo\n      sudoers: { name: app, sudoers_path: /nonexistent, user: "appsvc ALL=(ALL) NOPASSWD: ALL\\nappsvc" }\n`,
      /'user' contains a newline/,
    ],
    [
      "a newline in sudoers commands",
      `    - name: Sudo\n      sudoers: { name: app, sudoers_path: /nonexistent, user: app, commands: "/usr/bin/systemctl restart app\\nnobody ALL=(ALL) NOPASSWD: ALL" }\n`,
      /'commands' contains a newline/,
    ],
    [
      "a newline in an authorized_key comment",
      `    - name: Key\n      authorized_key: { user: keeltest-never, key: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGp3b3Zm4iVQ9V0v7k8w1X1o1bXz6Uq0tVv3t4X0pZkq", comment: "x\\nssh-ed25519 AAAA evil" }\n`,
      /'comment' contains a newline/,
    ],
    [
      "a newline in authorized_key key_options",
      `    - name: Key\n      authorized_key: { user: keeltest-never, key: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGp3b3Zm4iVQ9V0v7k8w1X1o1bXz6Uq0tVv3t4X0pZkq", key_options: "no-pty\\nssh-rsa AAAA" }\n`,
      /'key_options' contains a newline/,
    ],
    [
      "a newline in lineinfile's line",
      `    - name: Line\n      lineinfile: { path: /nonexistent/keel-never, line: "a=1\\nb=2" }\n`,
      /'line' contains a newline/,
    ],
    [
      "a newline in a sysctl value",
      `    - name: Sysctl\n      sysctl: { name: net.ipv4.ip_forward, sysctl_file: /nonexistent/keel.conf, value: "1\\nkernel.panic = 1" }\n`,
      /'value' contains a newline/,
    ],
    [
      "a newline in a user's comment",
      `    - name: User\n      user: { name: keeltest-never, comment: "App\\nevil::0:0::/:/bin/sh" }\n`,
      /'comment' contains a newline/,
    ],
    [
      "a carriage return in a user's shell",
      `    - name: User\n      user: { name: keeltest-never, shell: "/bin/sh\\r" }\n`,
      /'shell' contains a carriage return/,
    ],
    ["a NUL in a path", `    - name: Nul\n      file: { path: "/nonexistent/cnul\\0byte", state: touch }\n`, /'path' contains a NUL byte/],
    ["a NUL in a command", `    - name: Nul\n      command: { argv: ["/bin/echo", "a\\0b"] }\n`, /'argv\[1\]' contains a NUL byte/],
  ])("%s fails the load with exit 1 at the argument's line, before any host", async (_what, task, re) => {
    const r = await run(task, ["--check"]);
    expect(r.code, r.err + r.out).toBe(1);
    expect(r.err).toMatch(re);
    expect(r.err).toContain(`play${n}.yml:${r.line}:`);
    expect(r.out).toBe("");
  });
});

describe("arguments known only at run time", () => {
  it("a rendered argument that breaks a rule fails the task on the host before its probe, naming file:line", async () => {
    const r = await run(`    - name: Link\n      file: { path: "{{ root }}/l", state: link }\n`);
    expect(r.code).toBe(2);
    expect(r.out).toContain(`play${n}.yml:${r.line - 1}:`); // the task's line
    expect(r.out).toMatch(/needs src/);
    expect(existsSync(join(r.root, "marker"))).toBe(true); // the task before it ran
    expect(existsSync(join(r.root, "l"))).toBe(false);
  });

  it("a rendered line with a newline is refused and the file is left alone", async () => {
    const r = await run(`    - name: Line\n      lineinfile: { path: "{{ root }}/marker", line: "{{ evil }}" }\n`, [
      "-e",
      JSON.stringify({ evil: "ok\nPermitRootLogin yes" }),
    ]);
    expect(r.code).toBe(2);
    expect(r.out).toMatch(/'line' contains a newline/);
    expect(readFileSync(join(r.root, "marker"), "utf8")).toBe("x");
  });

  it("a rendered sudoers user with a newline is refused", async () => {
    const r = await run(`    - name: Sudo\n      sudoers: { name: app, sudoers_path: "{{ root }}", user: "{{ who }}" }\n`, [
      "-e",
      JSON.stringify({ who: "appsvc ALL=(ALL) NOPASSWD: ALL\nappsvc" }),
    ]);
    expect(r.code).toBe(2);
    expect(r.out).toMatch(/'user' contains a newline/);
    expect(existsSync(join(r.root, "app"))).toBe(false);
  });

  it("a NUL that arrives through a variable is refused", async () => {
    const r = await run(`    - name: Nul\n      file: { path: "{{ root }}/{{ name }}", state: touch }\n`, ["-e", JSON.stringify({ name: "cnul\u0000byte" })]);
    expect(r.code).toBe(2);
    expect(r.out).toMatch(/contains a NUL byte/);
    expect(existsSync(join(r.root, "cnulbyte"))).toBe(false);
  });
});
