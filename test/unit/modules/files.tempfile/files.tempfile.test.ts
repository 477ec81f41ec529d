// files.tempfile is an action, never "already converged" (every run makes a new one, as Ansible's
// changed=true), so its cases are here rather than in runModuleFixtures. The mktemp script apply
// sends is run by sh on this machine in a temporary folder: Ansible's name shape (prefix + 8
// characters + suffix), modes 0600/0700, and the registered stat fields.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import mod, { pathInfo, tempfileCommand } from "../../../../modules/files/tempfile.js";
import { BASE_FACTS, RecordingHost } from "../harness.js";

const dir = mkdtempSync(join(tmpdir(), "keel-tempfile-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(script: string, env: Record<string, string> = {}): string[] {
  return execFileSync("sh", ["-c", script], { encoding: "utf8", env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ...env } }).split("\n");
}

describe("files.tempfile, its script run by sh here", () => {
  it("a file: prefix ansible., 8 characters, 0600, the stat fields", () => {
    const [path, st] = run(tempfileCommand({ path: dir }));
    expect(dirname(path!)).toBe(dir);
    expect(basename(path!)).toMatch(/^ansible\.[A-Za-z0-9]{8}$/);
    expect(statSync(path!).mode & 0o777).toBe(0o600);
    expect(pathInfo(st!)).toMatchObject({ state: "file", mode: "0600", size: 0, uid: process.getuid!() });
  });
  it("a directory with prefix and suffix: 0700, named prefix + 8 + suffix", () => {
    const [path, st] = run(tempfileCommand({ state: "directory", path: dir, prefix: "build-", suffix: ".d" }));
    expect(basename(path!)).toMatch(/^build-[A-Za-z0-9]{8}\.d$/);
    expect(statSync(path!).isDirectory()).toBe(true);
    expect(statSync(path!).mode & 0o777).toBe(0o700);
    expect(pathInfo(st!)).toMatchObject({ state: "directory", mode: "0700" });
  });
  it("without path: the host's TMPDIR", () => {
    const [path] = run(tempfileCommand({}), { TMPDIR: dir });
    expect(dirname(path!)).toBe(dir);
  });
  it("a missing folder fails (exit 1), so apply reports it", () => {
    expect(() => run(tempfileCommand({ path: join(dir, "nope") }))).toThrow();
  });
  it("refuses a prefix with a slash at load", () => {
    expect(() => mod.validate!({ prefix: "a/b" })).toThrow(/prefix must not hold/);
  });
});

describe("files.tempfile plan and apply", () => {
  it("diff: one change, unknown (check mode and drift cannot know the name; Ansible skips the task there)", () => {
    const ch = mod.diff({}, { state: "directory", path: "/var/tmp" }, BASE_FACTS);
    expect(ch).toMatchObject([{ summary: "create a temporary directory in /var/tmp", unknown: true }]);
  });
  it("apply: one command; registers path and the file fields Ansible's add_path_info adds", async () => {
    const host = new RecordingHost(BASE_FACTS, [{ match: "mktemp", stdout: "/tmp/ansible.k3j0x9ab\n0 0 600 0 root root regular empty file\n" }] as never);
    const a = {};
    const res = await mod.apply(host, a, mod.diff({}, a, BASE_FACTS), {});
    expect(host.calls).toHaveLength(1);
    expect((host.calls[0] as { run: string }).run).toContain(`mktemp -p "\${TMPDIR:-/tmp}" ansible.XXXXXXXX`);
    expect(res).toEqual({ data: { path: "/tmp/ansible.k3j0x9ab", uid: 0, gid: 0, owner: "root", group: "root", mode: "0600", size: 0, state: "file" } });
  });
  it("apply: a failed mktemp fails the task with its message", async () => {
    const host = new RecordingHost(BASE_FACTS, [
      { match: "mktemp", rc: 1, stderr: "mktemp: failed to create file via template: No such file or directory" },
    ] as never);
    const a = { path: "/nope" };
    await expect(mod.apply(host, a, mod.diff({}, a, BASE_FACTS), {})).rejects.toThrow(/could not create a temporary file: mktemp: failed/);
  });
});
