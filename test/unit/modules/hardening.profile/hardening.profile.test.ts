// hardening.profile (a controller module): resolves a profile against the shipped catalog and sets
// the selection the role's tasks are gated on, with applicability from the host's facts.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import mod from "../../../../modules/hardening/profile.js";
import { ansibleFactVars } from "../../../../engine/facts/ansible.js";
import { BASE_FACTS } from "../harness.js";
import type { Facts } from "../../../../engine/core/facts.js";
import type { ControllerResult } from "../../../../engine/core/module.js";

function run(profile: string, facts: Partial<Facts> = {}) {
  const f = { ...BASE_FACTS, ...facts } as Facts;
  const vars = { ...ansibleFactVars(f), hardening_ssh_allow_users: [], hardening_ssh_allow_groups: [] };
  // hardening.profile answers synchronously (a controller run may also return a Promise)
  return mod.run({ profile }, { vars, facts: f, check: false, evaluate: () => true }) as ControllerResult;
}

describe("hardening.profile", () => {
  it("cis-level1-server: selects its controls, sets its parameters, names what does not apply", () => {
    const r = run("cis-level1-server", { init: "sysv" });
    expect(r.failed).toBeFalsy();
    const f = r.setFacts!;
    const sel = f.hardening_controls as string[];
    expect(sel).toContain("ssh.permit-root-login");
    expect(sel).not.toContain("ssh.password-authentication"); // dev-sec only
    expect(sel).not.toContain("coredump.systemd"); // applies_when facts.init == 'systemd'
    expect(f.hardening_not_applicable).toMatchObject({ "coredump.systemd": "applies_when `facts.init == 'systemd'` is false" });
    expect(f.hardening_ssh_max_auth_tries).toBe(4);
    expect(f.hardening_encrypt_method).toBe("YESCRYPT");
    expect((f.hardening_resolved_profile as { sha256: string }).sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(r.msg).toMatch(/^profile cis-level1-server: \d+ controls selected, \d+ apply, \d+ not applicable$/);
  });

  it("devsec differs where the sources differ, and a systemd host gets coredump.systemd", () => {
    const f = run("devsec", { init: "systemd" }).setFacts!;
    expect(f).toMatchObject({
      hardening_ssh_max_auth_tries: 2,
      hardening_ssh_login_grace_time: 30,
      hardening_ssh_log_level: "VERBOSE",
      hardening_ptrace_scope: 2,
      hardening_encrypt_method: "SHA512",
      hardening_pass_max_days: 60,
      hardening_faillock_deny: 5,
      hardening_faillock_unlock_time: 600,
    });
    expect(f.hardening_controls).toContain("coredump.systemd");
    expect(f.hardening_controls).toContain("ssh.password-authentication");
  });

  it("a user profile file extends a shipped one; a bad one fails the task with file:line", () => {
    const dir = mkdtempSync(join(tmpdir(), "keel-profile-mod-"));
    writeFileSync(
      join(dir, "site.yml"),
      "profile: site\nextends: cis-level1-server\ndeselect: [ssh.permit-root-login]\nparams:\n  hardening_ip_forward: true\n",
    );
    const f = run(join(dir, "site.yml")).setFacts!;
    expect(f.hardening_controls).not.toContain("ssh.permit-root-login");
    expect(f.hardening_ip_forward).toBe(true);
    writeFileSync(join(dir, "bad.yml"), "profile: bad\nextends: cis-level1-server\nparams:\n  hardening_ip_forwrd: true\n");
    const r = run(join(dir, "bad.yml"));
    expect(r.failed).toBe(true);
    expect(r.msg).toMatch(/bad\.yml:4:3: unknown parameter 'hardening_ip_forwrd', did you mean 'hardening_ip_forward'\?/);
  });

  it("declares the variables it sets, so probe batching never reads them ahead of it", () => {
    const names = mod.produces!({ profile: "x" });
    expect(names).toEqual(expect.arrayContaining(["hardening_controls", "hardening_not_applicable", "hardening_ssh_max_auth_tries"]));
  });
});
