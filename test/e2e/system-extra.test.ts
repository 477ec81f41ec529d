// End to end: system.cron, system.timezone, system.pam_limits and system.mount through the real `keel run` on lab03: converge,
// converge again (nothing changes), check the host with the system ssh client, tamper, --check
// reports the drift, then remove. Paths are this suite's own: the `games` crontab, the cron.d file
// keel-e2e-modsb, and the time zone (restored to Etc/UTC afterwards).
import { afterAll, beforeAll, expect, it } from "vitest";
import { describeLab, hostExec, useScratchHost } from "./lab.js";
import { on, run } from "./extra-run.js";

const HOST = "lab03";

async function clean(): Promise<void> {
  await hostExec(
    HOST,
    "crontab -u games -r 2>/dev/null; rm -f /etc/cron.d/keel-e2e-modsb /etc/security/limits.d/keel-e2e-modsb.conf; umount '/mnt/keel e2e modsb' 2>/dev/null; rmdir '/mnt/keel e2e modsb' 2>/dev/null; rm -f /etc/keel-e2e-modsb.fstab; true",
    { check: false },
  );
}

describeLab("system.cron on a lab host", () => {
  beforeAll(clean);
  afterAll(clean);

  it("writes Ansible's markers, converges, detects tampering and removes", async () => {
    const first = await run("cron.yml", HOST);
    expect(first.code, first.out).toBe(0);
    expect(first.changed).toBe(4);
    expect(await on(HOST, "crontab -u games -l")).toBe('MAILTO="ops@example.org"\n#Ansible: keel-e2e backup\n15 3 * * * /usr/local/bin/backup --all\n');
    expect(await on(HOST, "cat /etc/cron.d/keel-e2e-modsb; stat -c %a /etc/cron.d/keel-e2e-modsb")).toBe(
      "#Ansible: keel-e2e hook\n@reboot root /bin/true\n#Ansible: keel-e2e off\n#*/10 * * * * root /bin/false\n644\n",
    );

    const again = await run("cron.yml", HOST);
    expect(again.code, again.out).toBe(0);
    expect(again.changed).toBe(0);

    // Someone edits the schedule by hand: --check sees it, and changes nothing.
    await on(HOST, "crontab -u games -l | sed 's/^15 3 /45 4 /' | crontab -u games -");
    const drift = await run("cron.yml", HOST, "--check");
    expect(drift.changed).toBe(1);
    expect(drift.result("job in a user crontab").changes[0]!.summary).toBe(
      "crontab of games: job 'keel-e2e backup': 45 4 * * * /usr/local/bin/backup --all → 15 3 * * * /usr/local/bin/backup --all",
    );
    expect(await on(HOST, "crontab -u games -l")).toContain("45 4 * * *");

    const gone = await run("cron-absent.yml", HOST);
    expect(gone.code, gone.out).toBe(0);
    expect(gone.changed).toBe(2);
    expect(await on(HOST, "crontab -u games -l")).toBe('MAILTO="ops@example.org"\n');
    expect((await hostExec(HOST, "test -e /etc/cron.d/keel-e2e-modsb", { check: false })).code).not.toBe(0);
    expect((await run("cron-absent.yml", HOST)).changed).toBe(0);
  });
});

describeLab("system.pam_limits on a lab host", () => {
  beforeAll(clean);
  afterAll(clean);

  it("creates the limits.d file, converges, keeps the larger value with use_max", async () => {
    const first = await run("pam-limits.yml", HOST, "-e", "nofile=4096");
    expect(first.code, first.out).toBe(0);
    expect(first.changed).toBe(2);
    expect(await on(HOST, "cat /etc/security/limits.d/keel-e2e-modsb.conf")).toBe("nobody\tsoft\tnofile\t4096\nnobody\t-\tnproc\t512\t#keel e2e\n");
    expect((await run("pam-limits.yml", HOST, "-e", "nofile=4096")).changed).toBe(0);
    // use_max: a smaller value changes nothing, a larger one raises it.
    expect((await run("pam-limits.yml", HOST, "-e", "nofile=1024")).changed).toBe(0);
    const up = await run("pam-limits.yml", HOST, "-e", "nofile=8192");
    expect(up.result("nofile for nobody").changes[0]!.summary).toBe("set nobody soft nofile 8192");
    expect(await on(HOST, "head -n 1 /etc/security/limits.d/keel-e2e-modsb.conf")).toBe("nobody\tsoft\tnofile\t8192\n");
  });
});

describeLab("system.mount on a lab host", () => {
  beforeAll(clean);
  afterAll(clean);
  const P = "'/mnt/keel e2e modsb'";
  const live = (h: string) => on(h, `findmnt -n -o SOURCE,FSTYPE,OPTIONS --mountpoint ${P} || true`);

  it("mounts a tmpfs through its fstab entry, remounts on a changed entry, unmounts, removes", async () => {
    const m = (want: string, size = "1m", ...x: string[]) => run("mount.yml", HOST, "-e", `want=${want}`, "-e", `size=${size}`, ...x);
    const first = await m("mounted");
    expect(first.code, first.out).toBe(0);
    expect(first.result("the tmpfs").changes.map((c) => c.field)).toEqual(["fstab", "mounted"]);
    expect(await on(HOST, "cat /etc/keel-e2e-modsb.fstab")).toBe("keele2e /mnt/keel\\040e2e\\040modsb tmpfs size=1m,mode=0750 0 0\n");
    expect(await live(HOST)).toMatch(/^keele2e tmpfs +rw,relatime,size=1024k,mode=750\n$/);
    expect((await m("mounted")).changed).toBe(0);

    // A new size in the entry: fstab rewritten and the live mount remounted with it.
    const grow = await m("mounted", "2m");
    expect(grow.result("the tmpfs").changes.map((c) => c.field)).toEqual(["fstab", "mounted"]);
    expect(await live(HOST)).toContain("size=2048k");

    // Unmounted by hand: drift on the live facet only.
    await on(HOST, `umount ${P}`);
    const drift = await m("mounted", "2m", "--check");
    expect(drift.result("the tmpfs").changes.map((c) => c.field)).toEqual(["mounted"]);
    expect(await live(HOST)).toBe("");
    expect((await m("mounted", "2m")).changed).toBe(1);
    expect(await live(HOST)).toContain("keele2e");

    expect((await m("unmounted", "2m")).changed).toBe(1);
    expect(await live(HOST)).toBe("");
    expect(await on(HOST, "cat /etc/keel-e2e-modsb.fstab")).toContain("size=2m");

    expect((await m("mounted", "2m")).changed).toBe(1);
    const gone = await m("absent", "2m");
    expect(gone.result("the tmpfs").changes.map((c) => c.field)).toEqual(["mounted", "fstab", "mount_point"]);
    expect(await live(HOST)).toBe("");
    expect(await on(HOST, "cat /etc/keel-e2e-modsb.fstab; test -e /mnt/keel\\ e2e\\ modsb || echo gone")).toBe("gone\n");
    expect((await m("absent", "2m")).changed).toBe(0);
  });
});

describeLab("system.timezone on a scratch host", () => {
  const scratch = useScratchHost();

  it("sets the zone as Ansible does without systemd, converges, and sees a stale /etc/localtime", async () => {
    const h = scratch();
    const first = await run("timezone.yml", h, "-e", "zone=Europe/Paris");
    expect(first.code, first.out).toBe(0);
    expect(first.changed).toBe(1);
    expect(await on(h, "cat /etc/timezone; readlink /etc/localtime; date +%Z")).toMatch(/^Europe\/Paris\n\/usr\/share\/zoneinfo\/Europe\/Paris\nCES?T\n$/);
    const again = await run("timezone.yml", h, "-e", "zone=Europe/Paris");
    expect(again.changed).toBe(0);

    // /etc/localtime moved behind the module's back: drift, and the run fixes only that.
    await on(h, "ln -sf /usr/share/zoneinfo/Etc/UTC /etc/localtime");
    const drift = await run("timezone.yml", h, "-e", "zone=Europe/Paris", "--check");
    expect(drift.result("zone").changes.map((c) => c.field)).toEqual(["localtime"]);
    expect((await run("timezone.yml", h, "-e", "zone=Europe/Paris")).changed).toBe(1);
    expect(await on(h, "readlink /etc/localtime")).toBe("/usr/share/zoneinfo/Europe/Paris\n");

    const bad = await run("timezone.yml", h, "-e", "zone=Mars/Olympus");
    expect(bad.code).toBe(2);
    expect(bad.out).toContain('given timezone "Mars/Olympus" is not available');
    expect(await on(h, "cat /etc/timezone")).toBe("Europe/Paris\n");
  });
});
