// become wrapping. The text is checked, then run by /bin/sh against a stand-in `sudo` placed first
// in PATH that records its argv and stdin; this shows where the password goes without needing a
// sudoers rule with a password on this machine (the e2e test uses the real sudo).
import { mkdtempSync, readFileSync, writeFileSync, chmodSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { describe, it, expect } from "vitest";
import { MAX_BECOME_SCRIPT, wrapCommand } from "../../../engine/transport/become.js";
import { ModuleError } from "../../../engine/core/errors.js";

describe("wrapCommand", () => {
  it("skips sudo without become and when already the target user", () => {
    expect(wrapCommand("id -un", undefined, "deploy")).toBe("( eval 'id -un' )");
    expect(wrapCommand("id -un", { user: "root" }, "root")).toBe("( eval 'id -un' )");
  });

  it("uses sudo -n without a password", () => {
    expect(wrapCommand("echo 'x'", { user: "root" }, "deploy")).toBe(
      `sudo -n -H -u root -- sh -c 'IFS=; __keel_s="$*"; unset IFS; set --; eval "$__keel_s"' keel 'echo '\\''x'\\'''`,
    );
  });

  it("keeps the password out of argv and is one line", () => {
    const w = wrapCommand("cat", { user: "root", password: "s3cr'et" }, "deploy");
    expect(w).not.toContain("\n");
    expect(w).toContain(`printf '%s\\n' 's3cr'\\''et'`);
    expect(w).toMatch(/sudo -k -S -p '' -H -u root -- sh -c '.*' keel cat; fi \)$/);
  });

  it("refuses scripts too long for sudo's argv with a clear error (not an internal one)", () => {
    expect(() => wrapCommand("x".repeat(MAX_BECOME_SCRIPT + 1), { user: "root" }, "deploy")).toThrow(ModuleError);
    expect(() => wrapCommand("x".repeat(MAX_BECOME_SCRIPT + 1), { user: "root" }, "deploy")).toThrow(/the limit is/);
  });
});

describe("become through a recording sudo", () => {
  const dir = mkdtempSync(join(tmpdir(), "keel-become-"));
  const log = join(dir, "log");
  // Stand-in: `sudo -n ... true` succeeds only when NOPASSWD=1; with -S it reads one line as the
  // password; then it runs the command after `--` and records what it saw.
  writeFileSync(
    join(dir, "sudo"),
    `#!/bin/sh
printf 'argv:%s\\n' "$*" >> ${log}
pw=
case " $* " in *" -S "*) IFS= read -r pw; printf 'password:%s\\n' "$pw" >> ${log};; esac
last=; for a in "$@"; do last=$a; done
if [ "$last" = true ]; then [ "$NOPASSWD" = 1 ]; exit $?; fi
while [ "$1" != "--" ]; do shift; done; shift
"$@"
`,
  );
  chmodSync(join(dir, "sudo"), 0o755);
  const run = (inner: string, stdin: string, env: Record<string, string> = {}) => {
    writeFileSync(log, "");
    // the shell text goes in a file: as an argument of sh -c, a big one would hit the very limit tested
    writeFileSync(join(dir, "inner.sh"), inner + "\n");
    const r = spawnSync("/bin/sh", [join(dir, "inner.sh")], { input: stdin, env: { ...process.env, PATH: `${dir}:${process.env.PATH}`, ...env } });
    return { stdout: r.stdout.toString(), log: readFileSync(log, "utf8"), rc: r.status };
  };

  it("sends the password on stdin only when sudo asks, and the command still gets its stdin", () => {
    expect(existsSync(join(dir, "sudo"))).toBe(true);
    const inner = wrapCommand("cat", { user: "root", password: "hunter2" }, "deploy");
    const asked = run(inner, "payload\n");
    expect(asked.stdout).toBe("payload\n");
    expect(asked.log).toContain("password:hunter2");
    expect(
      asked.log
        .split("\n")
        .filter((l) => l.startsWith("argv:"))
        .join("\n"),
    ).not.toContain("hunter2");

    const nopasswd = run(inner, "payload\n", { NOPASSWD: "1" });
    expect(nopasswd.stdout).toBe("payload\n"); // the password did not leak into the command's stdin
    expect(nopasswd.log).not.toContain("hunter2");
  });

  it("a command over 128 KiB (one argv string's limit) runs whole under become (issue 10 #9)", () => {
    // 300 KB of shell with quotes, multibyte text and surrogate pairs across piece boundaries
    const filler = `n=$((n+1)); : '${"z😀é".repeat(50)}'\n`;
    const script = "n=0\n" + filler.repeat(1200) + `printf '%s\\n' "x'y é 😀 \\$HOME"\necho "$n"\n`;
    expect(Buffer.byteLength(script)).toBeGreaterThan(300_000);
    for (const become of [{ user: "root" }, { user: "root", password: "pw" }]) {
      const r = run(wrapCommand(script, become, "deploy"), "", { NOPASSWD: "1" });
      expect(r.rc).toBe(0);
      expect(r.stdout).toBe("x'y é 😀 $HOME\n1200\n");
    }
  });

  it("passes the exit code through", () => {
    expect(run(wrapCommand("exit 5", { user: "root" }, "deploy"), "").rc).toBe(5);
  });
});
