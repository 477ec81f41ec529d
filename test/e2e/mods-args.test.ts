// End to end, on one scratch host through the real `keel run`: files.tempfile (register shape,
// a new one each run, unknown in check mode), system.hostname's `use` strategies, and users.group's
// `local` on a Debian host without libuser (fails as Ansible does, nothing changed).
import { expect, it } from "vitest";
import { describeLab, useScratchHost } from "./lab.js";
import { on, run } from "./extra-run.js";

describeLab("module arguments on a scratch host (issue 16)", () => {
  const scratch = useScratchHost();

  it("tempfile: creates a file (0600) and a directory (0700), registers path/mode/state; a new one every run; unknown in --check", async () => {
    const h = scratch();
    const first = await run("mods-tempfile.yml", h);
    expect(first.code, first.out).toBe(0);
    expect(first.changed).toBe(3);
    const dirs = (await on(h, "ls -d /var/tmp/keel-e2e-*")).trim().split("\n");
    expect(dirs).toHaveLength(1);
    expect(dirs[0]).toMatch(/^\/var\/tmp\/keel-e2e-[A-Za-z0-9]{8}$/);
    const line = await on(h, `cat ${dirs[0]}/x`);
    const m = /^(\/tmp\/ansible\.[A-Za-z0-9]{8}\.keel) 0600 file 0700 directory\n$/.exec(line);
    expect(m, line).not.toBeNull();
    expect(await on(h, `stat -c '%a %F' ${m![1]} ${dirs[0]}`)).toBe("600 regular empty file\n700 directory\n");

    const check = await run("mods-tempfile.yml", h, "--check");
    expect(check.code, check.out).toBe(0);
    expect(check.result("temp file").status).toBe("unknown");
    expect((await on(h, "ls -d /var/tmp/keel-e2e-*")).trim().split("\n")).toHaveLength(1);

    const again = await run("mods-tempfile.yml", h);
    expect(again.changed).toBe(3);
    expect((await on(h, "ls -d /var/tmp/keel-e2e-*")).trim().split("\n")).toHaveLength(2);
  });

  it("hostname use=debian writes /etc/hostname and the live name, then converges; an unimplemented strategy stops the load", async () => {
    const h = scratch();
    const first = await run("mods-hostname.yml", h, "-e", "want=keel-e2e-named", "-e", "strategy=debian");
    expect(first.code, first.out).toBe(0);
    expect(first.changed).toBe(1);
    expect(await on(h, "hostname; cat /etc/hostname")).toBe("keel-e2e-named\nkeel-e2e-named\n");
    expect((await run("mods-hostname.yml", h, "-e", "want=keel-e2e-named", "-e", "strategy=debian")).changed).toBe(0);
    const bad = await run("mods-hostname.yml", h, "-e", "want=x", "-e", "strategy=redhat").catch((e: Error) => ({ code: -1, out: e.message }));
    expect(bad.code).not.toBe(0);
    expect(bad.out).toContain("hostname strategy 'redhat' is not implemented by keel");
    expect(await on(h, "hostname")).toBe("keel-e2e-named\n");
  });

  it("group local: true without libuser fails as Ansible's does and creates nothing", async () => {
    const h = scratch();
    const r = await run("mods-group-local.yml", h);
    expect(r.code).toBe(2);
    expect(r.out).toContain('local: true needs lgroupadd (libuser), which is not on the host: Failed to find required executable "lgroupadd"');
    expect(await on(h, "grep -c '^keel-e2e-lg:' /etc/group || true")).toBe("0\n");
  });
});
