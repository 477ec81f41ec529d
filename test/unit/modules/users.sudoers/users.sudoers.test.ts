import { fileURLToPath } from "node:url";
import { dirname } from "node:path";
import mod from "../../../../modules/users/sudoers.js";
import { runModuleFixtures } from "../harness.js";

runModuleFixtures(mod, dirname(fileURLToPath(import.meta.url)));

import { describe, it, expect } from "vitest";
import Ajv from "ajv";
import { InputError } from "../../../../engine/core/errors.js";
import { sudoersContent } from "../../../../modules/users/sudoers.js";
import { RecordingHost } from "../harness.js";

describe("users.sudoers arguments", () => {
  const validate = new Ajv({ strict: true, allErrors: true }).compile(mod.args);
  const table: [Record<string, unknown>, boolean][] = [
    [{ name: "deploy", user: "deploy" }, true],
    [{ name: "10-deploy", group: "ops", commands: ["/bin/ls", "/bin/cat"] }, true],
    [{ name: "d", state: "absent" }, true],
    [{ name: "deploy.conf", user: "deploy" }, false],
    [{ name: "deploy~", user: "deploy" }, false],
    [{ name: "a/b", user: "deploy" }, false],
    [{ name: "x", user: "a", group: "b" }, false],
    [{ name: "x", user: "a", bogus: 1 }, false],
  ];
  for (const [args, ok] of table) it(`${JSON.stringify(args)} ${ok ? "valid" : "invalid"}`, () => expect(validate(args)).toBe(ok));

  it("prepare names the problem and hints a usable file name", () => {
    try {
      mod.prepare!({ name: "deploy.conf", user: "deploy" }, {} as never);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(InputError);
      expect((e as InputError).message).toMatch(/would be ignored by sudo/);
      expect((e as InputError).hint).toMatch(/deploy-conf/);
    }
    expect(() => mod.prepare!({ name: "x" }, {} as never)).toThrow(/needs `user` or `group`/);
  });
});

describe("sudoersContent: byte for byte what community.general.sudoers writes", () => {
  const table: [Parameters<typeof sudoersContent>[0], string][] = [
    [{ name: "a", user: "deploy" }, "deploy ALL=NOPASSWD: ALL\n"],
    [{ name: "a", group: "ops", nopassword: false, commands: ["/bin/a", "/bin/b"] }, "%ops ALL= /bin/a, /bin/b\n"],
    [{ name: "a", user: "bob", runas: "alice", host: "web", setenv: true, noexec: true, commands: "ALL" }, "bob web=(alice)NOEXEC:NOPASSWD:SETENV: ALL\n"],
    [{ name: "a", group: "ops", defaults: ["!targetpw"] }, "Defaults:%ops !targetpw\n%ops ALL=NOPASSWD: ALL\n"],
  ];
  for (const [args, want] of table) it(JSON.stringify(want), () => expect(sudoersContent(args)).toBe(want));
});

describe("users.sudoers apply", () => {
  it("never writes the file when visudo rejects the rule", async () => {
    const host = new RecordingHost(undefined, [{ match: "visudo", rc: 1, stderr: "stdin:1:27: expected a fully-qualified path name" }]);
    const a = { name: "x", user: "u", commands: "ls" };
    const s = { visudo: "/usr/sbin/visudo" };
    await expect(mod.apply(host, a, mod.diff(s, a, {} as never), s)).rejects.toThrow(/not installed/);
    expect(host.calls.some((c) => "write" in c)).toBe(false);
  });
  it("passes visudo as writeFile's validate command for the temp file", async () => {
    const host = new RecordingHost();
    const a = { name: "x", user: "u" };
    const s = { visudo: "/usr/sbin/visudo" };
    await mod.apply(host, a, mod.diff(s, a, {} as never), s);
    expect(host.calls[1]).toMatchObject({ write: "/etc/sudoers.d/x", opts: { mode: "0440", owner: "root", group: "root", validate: "/usr/sbin/visudo -cf %s" } });
  });
  it("validation: required fails without visudo; absent skips it", async () => {
    const a = { name: "x", user: "u", validation: "required" as const };
    await expect(mod.apply(new RecordingHost(), a, mod.diff({}, a, {} as never), {})).rejects.toThrow(/visudo was not found/);
    const host = new RecordingHost();
    const b = { name: "x", user: "u", validation: "absent" as const };
    await mod.apply(host, b, mod.diff({ visudo: "/usr/sbin/visudo" }, b, {} as never), { visudo: "/usr/sbin/visudo" });
    expect(host.calls).toHaveLength(1);
    expect((host.calls[0] as { opts: { validate?: string } }).opts.validate).toBeUndefined();
  });
});
