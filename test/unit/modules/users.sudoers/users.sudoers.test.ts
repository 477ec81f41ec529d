import mod from "../../../../modules/users/sudoers.js";

import { describe, it, expect } from "vitest";
import { Ajv } from "ajv";
import { ArgError, InputError } from "../../../../engine/core/errors.js";
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

  it("validate names the problem and hints a usable file name", () => {
    try {
      mod.validate!({ name: "deploy.conf", user: "deploy" });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(InputError);
      expect((e as InputError).message).toMatch(/would be ignored by sudo/);
      expect((e as InputError).hint).toMatch(/deploy-conf/);
    }
    expect(() => mod.validate!({ name: "x" })).toThrow(/needs `user` or `group`/);
  });

  // issue 10 #2: a line break in any value written into the rule would add a sudoers line.
  const payloads: [string, Record<string, unknown>][] = [
    ["user", { user: "appsvc ALL=(ALL) NOPASSWD: ALL\nappsvc" }],
    ["commands", { user: "app", commands: "/usr/bin/systemctl restart app\nnobody ALL=(ALL) NOPASSWD: ALL" }],
    ["commands", { user: "app", commands: ["/bin/ls", "/bin/true\rnobody ALL=(ALL) ALL"] }],
    ["group", { group: "ops\n%nobody ALL=(ALL) ALL" }],
    ["runas", { user: "app", runas: "root\nnobody ALL=(ALL) ALL" }],
    ["host", { user: "app", host: "ALL\0x" }],
    ["defaults", { user: "app", defaults: ["!requiretty\nnobody ALL=(ALL) ALL"] }],
  ];
  for (const [arg, extra] of payloads) {
    it(`refuses a line break in ${arg}: ${JSON.stringify(extra)}`, () => {
      let err: unknown;
      try {
        mod.validate!({ name: "x", ...extra } as never);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ArgError);
      expect((err as ArgError).arg).toBe(arg);
      expect((err as Error).message).toMatch(/contains a (newline|carriage return|NUL byte)/);
    });
  }

  it("a change summary names every line of the rule file, not only the last", () => {
    const a = { name: "x", user: "app", defaults: ["!requiretty", "env_keep += HOME"] };
    const [created] = mod.diff({ visudo: "/usr/sbin/visudo" }, a, {} as never);
    expect(created!.summary).toContain('"Defaults:app !requiretty"');
    expect(created!.summary).toContain('"Defaults:app env_keep += HOME"');
    expect(created!.summary).toContain('"app ALL=NOPASSWD: ALL"');
    const s = {
      file: { mode: "0440", owner: "root", group: "root" },
      content: "Defaults:app !requiretty\napp ALL=NOPASSWD: ALL\nnobody ALL=(ALL) ALL\n",
      visudo: "/usr/sbin/visudo",
    };
    const [changed] = mod.diff(s, { name: "x", user: "app", defaults: ["!requiretty"] }, {} as never);
    expect(changed!.summary).toContain('- "nobody ALL=(ALL) ALL"');
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
    expect(host.calls[1]).toMatchObject({
      write: "/etc/sudoers.d/x",
      opts: { mode: "0440", owner: "root", group: "root", validate: "/usr/sbin/visudo -cf %s" },
    });
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
