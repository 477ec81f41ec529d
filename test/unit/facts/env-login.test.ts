// ansible_env is the login's environment, as Ansible's setup sees it over ssh: keel's shell sets
// LC_ALL=C and appends the sbin folders to PATH for its own commands (framing.ts shellPrelude), and
// those showed in ansible_env (LC_ALL "C" where the login has none, PATH with sbin twice). The
// prelude keeps the login's values; the facts' env section prints them.
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { shellPrelude } from "../../../engine/transport/framing.js";
import { factsScript, parseFacts } from "../../../engine/facts/probe.js";

/** The prelude's settings (its first line; the rest frames the ready marker), then the facts probe. */
function gather(env: Record<string, string>, withPrelude = true): Record<string, string> {
  const prelude = shellPrelude("0123456789abcdef0123").split("\n")[0]!;
  const script = `${withPrelude ? `${prelude}\n` : ""}${factsScript({ subset: ["!all"] })}`;
  const r = spawnSync("/bin/sh", ["-c", script], { encoding: "utf8", env });
  return parseFacts(r.stdout).env as Record<string, string>;
}

describe("ansible_env", () => {
  const base = { PATH: "/usr/bin:/bin", HOME: "/root", LANG: "C.UTF-8", X_KEEL_TEST: "a b" };
  it("the login's PATH and no LC_ALL when the login has none", () => {
    const e = gather(base);
    expect(e.PATH).toBe("/usr/bin:/bin");
    expect(e).not.toHaveProperty("LC_ALL");
    expect(e).toMatchObject({ HOME: "/root", LANG: "C.UTF-8", X_KEEL_TEST: "a b" });
  });
  it("the login's own LC_ALL when it has one", () => {
    expect(gather({ ...base, LC_ALL: "en_US.UTF-8" }).LC_ALL).toBe("en_US.UTF-8");
  });
  it("without keel's prelude (a shell that did not run it), the environment as it is", () => {
    expect(gather({ ...base, LC_ALL: "C.UTF-8" }, false)).toMatchObject({ PATH: "/usr/bin:/bin", LC_ALL: "C.UTF-8" });
  });
});
