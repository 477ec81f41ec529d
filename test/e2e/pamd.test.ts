// End to end: hardening.pamd on a scratch host (PAM changes can lock everyone out; never on the
// shared lab hosts). A harmless edit converges and a new login still works; an edit that refuses
// every login is detected by keel's proof (a NEW SSH connection), the file is restored byte for
// byte and the task fails; a rule naming a module that is not installed is refused before any write.
import { expect, it } from "vitest";
import { describeLab, ssh, useScratchHost } from "./lab.js";
import { on, run } from "./extra-run.js";

describeLab("hardening.pamd on a scratch host", () => {
  const scratch = useScratchHost();

  it("edits /etc/pam.d/sshd under the lockout guard and rolls back an edit that refuses logins", async () => {
    const h = scratch();
    const original = await on(h, "sha256sum /etc/pam.d/sshd");

    const ok = await run("pamd.yml", h, "-e", "rule=umask");
    expect(ok.code, ok.out).toBe(0);
    expect(ok.changed).toBe(1);
    expect(await on(h, "grep -A1 pam_limits.so /etc/pam.d/sshd")).toBe("session    required pam_limits.so\nsession    optional pam_umask.so umask=0027\n");
    expect((await ssh(h, "true")).code).toBe(0);
    expect((await run("pamd.yml", h, "-e", "rule=umask")).changed).toBe(0);
    const afterUmask = await on(h, "sha256sum /etc/pam.d/sshd");
    expect(afterUmask).not.toBe(original);

    // pam_deny in the account stack refuses every login, keel's included: the proof fails, the
    // file is put back at once, the task fails with what happened.
    const deny = await run("pamd.yml", h, "-e", "rule=deny");
    expect(deny.code).toBe(2);
    expect(deny.out).toMatch(
      /a new SSH login failed after the PAM change: .*Restored the previous PAM files \(saved in \/var\/backups\/keel-pam\.[0-9a-f]{8}\)/,
    );
    expect(await on(h, "sha256sum /etc/pam.d/sshd")).toBe(afterUmask);
    expect((await ssh(h, "true")).code).toBe(0);
    // The dead-man timer was disarmed: no sleeping restore left behind.
    expect(await on(h, "pgrep -f 'keel-pam-o[k]' || echo none")).toBe("none\n");

    const missing = await run("pamd.yml", h, "-e", "rule=missing");
    expect(missing.code).toBe(2);
    expect(missing.out).toContain("not installed on the host: pam_google_authenticator.so");
    expect(await on(h, "sha256sum /etc/pam.d/sshd")).toBe(afterUmask);
  });
});
