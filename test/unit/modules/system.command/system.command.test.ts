import { spawnSync } from "node:child_process";
import { describe, it, expect } from "vitest";
import { splitArgs, argvToShell, globWord, execApply, ansibleDelta, ansibleTime } from "../../../../modules/system/exec-common.js";
import { argvOf } from "../../../../modules/system/command.js";
import { InputError } from "../../../../engine/core/errors.js";
import { RecordingHost } from "../harness.js";

describe("splitArgs: shell-like words without expansion", () => {
  const table: [string, string[]][] = [
    ["ls -l /tmp", ["ls", "-l", "/tmp"]],
    ["  a\t b  ", ["a", "b"]],
    [`echo 'a b' "c d"`, ["echo", "a b", "c d"]],
    [`echo "$HOME" *.txt ~ | >`, ["echo", "$HOME", "*.txt", "~", "|", ">"]],
    [`a\\ b c`, ["a b", "c"]],
    [`"say \\"hi\\" \\$x \\n"`, [`say "hi" $x \\n`]],
    [`'it'\\''s'`, ["it's"]],
    [`x'' ""`, ["x", ""]],
    ["line\\\ncontinued", ["linecontinued"]],
    ["", []],
  ];
  for (const [input, want] of table) {
    it(JSON.stringify(input), () => expect(splitArgs(input)).toEqual(want));
  }
  it("rejects an unterminated quote with a hint", () => {
    expect(() => splitArgs(`echo 'oops`)).toThrow(InputError);
    expect(() => splitArgs(`echo "oops`)).toThrow(/unterminated " quote/);
    try {
      splitArgs("echo 'x");
    } catch (e) {
      expect((e as InputError).hint).toMatch(/close/);
    }
  });
  it("argvOf needs a command", () => {
    expect(() => argvOf({ cmd: "   " })).toThrow(/needs a command/);
    expect(argvOf({ argv: ["a b"] })).toEqual(["a b"]);
  });
});

describe("argvToShell: real sh runs exactly these words (round trip through /bin/sh)", () => {
  const cases: string[][] = [
    ["$HOME", "*", "a b", "it's", "\\n", "`id`", "$(id)", ";", "&&", "|", ">x", "~", "", "tab\there", "new\nline"],
    ["FOO=1", "x"],
    ["if", "then"],
  ];
  for (const argv of cases) {
    it(JSON.stringify(argv), () => {
      const text = `printf '<%s>\\n' ${argvToShell(argv.slice(1))}`;
      const r = spawnSync("sh", ["-c", text], { encoding: "utf8", cwd: "/" });
      expect(r.stdout).toBe(
        argv
          .slice(1)
          .map((w) => `<${w}>\n`)
          .join(""),
      );
      // The first word is a program name: an assignment or keyword must not be read as syntax.
      const first = spawnSync("sh", ["-c", `${argvToShell([argv[0]!])} 2>/dev/null; echo "rc=$?"`], { encoding: "utf8" });
      expect(first.stdout.trim()).toBe("rc=127");
    });
  }
  it("globWord keeps globs active and quotes the rest", () => {
    expect(globWord("/etc/pass*")).toBe("/etc/pass*");
    expect(globWord("/my dir/x?.log")).toBe("'/my dir/x'?.log");
    const r = spawnSync("sh", ["-c", `for f in ${globWord("/etc/passw?")}; do echo "$f"; done`], { encoding: "utf8" });
    expect(r.stdout).toBe("/etc/passwd\n");
  });
});

describe("execApply: options and result", () => {
  it("passes cwd and stdin (with the Ansible newline), never throws on rc != 0", async () => {
    const host = new RecordingHost(undefined, [{ match: "^false", rc: 3, stdout: "out\n\n", stderr: "boom\n" }]);
    const r = await execApply(host, { chdir: "/srv", stdin: "data" }, "false", "false");
    expect(host.calls[0]).toEqual({ run: "false", opts: { check: false, cwd: "/srv", stdin: "data\n" } });
    expect(r).toMatchObject({ rc: 3, stdout: "out", stderr: "boom", msg: "non-zero return code" });
    expect((r.data as { stdout_lines: string[] }).stdout_lines).toEqual(["out"]);
  });
  it("stdin_add_newline false and strip_empty_ends false keep text as is", async () => {
    const host = new RecordingHost(undefined, [{ match: "^cat", stdout: "x\n" }]);
    const r = await execApply(host, { stdin: "data", stdin_add_newline: false, strip_empty_ends: false }, "cat", "cat");
    expect(host.calls[0]).toEqual({ run: "cat", opts: { check: false, stdin: "data" } });
    expect(r).toMatchObject({ rc: 0, stdout: "x\n" });
    // ansible-core 2.14 returns msg "" for a zero exit
    expect(r.msg).toBe("");
  });
  // Recorded from ansible-core 2.14 on a lab scratch host (ansible-playbook, command: echo hi and
  // shell: echo hi; echo err >&2): cmd ["echo", "hi"] / "echo hi; echo err >&2", start
  // "2026-12-04 13:58:48.754986", end "2026-12-04 13:58:48.808918", delta "0:00:00.053932", msg "".
  it("registers cmd, start, end and delta in Ansible's shapes", async () => {
    const r = await execApply(new RecordingHost(undefined, [{ match: "^echo", stdout: "hi\n" }]), {}, "echo hi", "echo hi", ["echo", "hi"]);
    const d = r.data as Record<string, unknown>;
    expect(d.cmd).toEqual(["echo", "hi"]);
    expect(d.start).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}$/);
    expect(d.end).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}$/);
    expect(d.delta).toMatch(/^\d+:\d\d:\d\d\.\d{6}$/);
    expect(ansibleDelta(53.932)).toBe("0:00:00.053932");
    expect(ansibleDelta(3_723_004.5)).toBe("1:02:03.004500");
    expect(ansibleTime(new Date(2026, 11, 4, 13, 58, 48, 754))).toBe("2026-12-04 13:58:48.754000");
  });
});
