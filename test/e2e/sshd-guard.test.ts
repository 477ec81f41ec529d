// End to end: services.service never restarts sshd into a configuration that refuses keel's own
// login (on a scratch host: sshd changes can lock everyone out). geerlingguy.security's defaults do
// exactly that to a fleet managed as root (PermitRootLogin no, then the "restart ssh" handler):
// keel refuses the restart, the running sshd keeps its configuration, new logins still work. A
// configuration that admits keel's login is restarted, and a NEW connection proves it.
import { expect, it } from "vitest";
import { describeLab, ssh, useScratchHost } from "./lab.js";
import { on, run } from "./extra-run.js";

describeLab("services.service guards sshd restarts (scratch host)", () => {
  const scratch = useScratchHost();

  it("refuses to restart ssh into PermitRootLogin no while keel connects as root, and restarts a sound change", async () => {
    const h = scratch();
    const pid = async () => (await on(h, "cat /run/sshd.pid")).trim();
    const before = await pid();

    const refused = await run("sshd-restart.yml", h, "-e", "root_login=no");
    expect(refused.code, refused.out).toBe(2);
    expect(refused.out).toMatch(/refusing to restart ssh: PermitRootLogin no refuses root, the user keel connects as/);
    // The file was edited (the task before the handler), but sshd was not restarted: it still runs
    // its previous configuration, so a new root login works.
    expect(await on(h, "grep '^PermitRootLogin' /etc/ssh/sshd_config")).toBe("PermitRootLogin no\n");
    expect(await pid()).toBe(before);
    expect((await ssh(h, "true")).code).toBe(0);

    const ok = await run("sshd-restart.yml", h, "-e", "root_login=prohibit-password");
    expect(ok.code, ok.out).toBe(0);
    expect(ok.result("restart ssh").status).toBe("changed");
    expect(await pid()).not.toBe(before);
    expect((await ssh(h, "true")).code).toBe(0);
  });
});
