// Hardening end to end, on SCRATCH hosts (hardening changes sshd, PAM and the firewall; lab01..04
// belong to everyone). keel connects as labuser (key, sudo) as a real fleet would, never as root.
// Every claim is checked with the real tool on the host (sshd -T, sysctl -n, modprobe -n -v,
// chage -l, nft), from outside keel (hostExec through nsenter, or the system ssh client).
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import ssh2 from "ssh2";
import { afterAll, beforeAll, expect, it } from "vitest";
import { describeLab, hostExec, keel, lab, ssh, startScratchHost, stopScratchHost, type ScratchHost } from "./lab.js";
import { loadCatalog } from "../../engine/controls/catalog.js";
import type { AuditReport } from "../../engine/report/audit/model.js";

const HARDEN = "playbooks/harden.yml";
/**
 * The CIS profile, whole. (aide.database used to be deselected here: aideinit exited 18 because
 * /var/lib/aide lacked the owner aide-common's tmpfiles.d gives it on systemd hosts; the control now
 * ensures it, see roles/hardening/tasks/aide.yml.)
 */
const CIS_LAB = "profile: cis-lab\nextends: cis-level1-server\n";
/**
 * dev-sec's profile without what the CIS host already proves with the same tasks and that costs the
 * most on a lab host (package installs of auditd and nftables, the whole-file-system scans, the
 * apt security check): the dev-sec host is here for dev-sec's own values (sshd, PAM, login.defs,
 * ptrace), which it keeps.
 */
const DEVSEC_LAB = "profile: devsec-lab\nextends: devsec\ndeselect: [audit.*, firewall.*, updates.*, filesystem.world-writable, filesystem.unowned]\n";
// Lab hosts share the machine's kernel and their /proc/sys is read-only (only net.* is theirs): kernel-wide
// sysctls are persisted only there, and reported "takes effect at next boot" (on a real host they are set live).
const LAB_KERNEL = ["-e", "hardening_sysctl_kernel_live=false"];
let dir: string;
const hosts: Record<string, ScratchHost> = {};

/** An inventory for one scratch host, logging in as `user` with the lab key. */
function inventory(h: ScratchHost, user: string): string {
  const f = join(dir, `${h.name}-${user}.yml`);
  writeFileSync(
    f,
    `all:\n  vars:\n    ansible_user: ${user}\n    ansible_ssh_private_key_file: ${lab().privateKey}\n    keel_known_hosts: ${h.knownHosts}\n  hosts:\n    ${h.name}:\n      ansible_host: ${h.address}\n`,
  );
  return f;
}

interface RunJson {
  summary: { hosts: Record<string, { changed: number; failed: number; ok: number; round_trips: number }> };
}

async function harden(h: ScratchHost, profile: string, extra: string[] = []) {
  const json = join(dir, `${h.name}-${Date.now()}-${Math.random().toString(36).slice(2)}.json`);
  const r = await keel(["run", HARDEN, "-i", inventory(h, "labuser"), "-e", `profile=${profile}`, ...LAB_KERNEL, "--json", json, ...extra], {
    timeoutMs: 1_800_000,
  });
  const rep = JSON.parse(readFileSync(json, "utf8")) as RunJson;
  return { ...r, out: r.stdout + r.stderr, stats: rep.summary.hosts[h.name]! };
}

const on = (h: ScratchHost, cmd: string) => hostExec(h, cmd, { check: false }).then((r) => ({ code: r.code, out: `${r.stdout}${r.stderr}`.trim() }));

function passwordLogin(h: ScratchHost, user: string, password: string): Promise<string> {
  return new Promise((resolve) => {
    const c = new ssh2.Client();
    c.on("ready", () => (c.end(), resolve("accepted")));
    c.on("error", (e) => resolve(`refused: ${e.message}`));
    c.connect({ host: h.address, port: 22, username: user, password, tryKeyboard: false, readyTimeout: 15_000, hostVerifier: () => true });
  });
}

const first: Record<string, Awaited<ReturnType<typeof harden>>> = {};
const second: Record<string, Awaited<ReturnType<typeof harden>>> = {};
const profileFile: Record<string, string> = {};

describeLab("hardening (playbooks/harden.yml) on fresh scratch hosts", () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "keel-harden-e2e-"));
    const [cis, devsec] = await Promise.all([startScratchHost(), startScratchHost()]);
    hosts.cis = cis!;
    hosts.devsec = devsec!;
    writeFileSync((profileFile.cis = join(dir, "cis-lab.yml")), CIS_LAB);
    writeFileSync((profileFile.devsec = join(dir, "devsec-lab.yml")), DEVSEC_LAB);
    // The same password for labuser on both, to see which profile refuses password logins.
    for (const h of [cis!, devsec!]) await hostExec(h, "echo 'labuser:Lab-user-pw-2026!' | chpasswd");
    [first.cis, first.devsec] = await Promise.all([harden(cis!, profileFile.cis), harden(devsec!, profileFile.devsec)]);
    // The second runs, side by side; the CIS one also writes the remediation report the live-state test reads.
    [second.cis, second.devsec] = await Promise.all([
      harden(cis!, profileFile.cis, ["--audit-report", `json:${join(dir, "cis-second.audit.json")}`]),
      harden(devsec!, profileFile.devsec),
    ]);
  }, 3_600_000);

  afterAll(async () => {
    for (const h of Object.values(hosts)) await stopScratchHost(h).catch(() => {});
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  for (const profile of ["cis", "devsec"] as const) {
    it(`${profile}: the first run applies without failure, the second changes nothing in ≤ 2 round trips`, async () => {
      const f = first[profile]!;
      expect(f.code, f.out).toBe(0);
      expect(f.stats.changed).toBeGreaterThan(40);
      const again = second[profile]!;
      expect(again.code, again.out).toBe(0);
      expect(again.stats.changed, again.out).toBe(0);
      expect(again.stats.round_trips).toBeLessThanOrEqual(2);
      console.log(
        `[harden] ${profile}: first run ${f.ms} ms, ${f.stats.changed} changed, ${f.stats.round_trips} round trips; second run ${again.ms} ms, 0 changed, ${again.stats.round_trips} round trips`,
      );
    });

    it(`${profile}: keel's key still logs in as labuser, and sudo still works`, async () => {
      const h = hosts[profile]!;
      const r = await ssh(h, "sudo -n id -u", { user: "labuser", knownHosts: h.knownHosts });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout.trim()).toBe("0");
    });
  }

  it("devsec refuses a password login over SSH; cis-level1-server (which does not ask for it) still takes it", async () => {
    expect(await passwordLogin(hosts.devsec!, "labuser", "Lab-user-pw-2026!")).toMatch(/^refused: All configured authentication methods failed/);
    expect(await passwordLogin(hosts.cis!, "labuser", "Lab-user-pw-2026!")).toBe("accepted");
  });

  it("sshd -T (Match blocks and drop-ins included) shows each profile's values", async () => {
    const t = async (h: ScratchHost) => (await on(h, "sshd -T -C user=labuser,host=198.18.0.1,addr=198.18.0.1")).out;
    const cis = await t(hosts.cis!);
    const dev = await t(hosts.devsec!);
    for (const [k, c, d] of [
      ["permitrootlogin", "no", "no"],
      ["maxauthtries", "4", "2"],
      ["logingracetime", "60", "30"],
      ["loglevel", "INFO", "VERBOSE"],
      ["x11forwarding", "no", "no"],
      ["permitemptypasswords", "no", "no"],
      ["hostbasedauthentication", "no", "no"],
      ["maxstartups", "10:30:60", "10:30:100"],
      [
        "ciphers",
        "chacha20-poly1305@openssh.com,aes256-gcm@openssh.com,aes128-gcm@openssh.com,aes256-ctr,aes192-ctr,aes128-ctr",
        "chacha20-poly1305@openssh.com,aes256-gcm@openssh.com,aes128-gcm@openssh.com,aes256-ctr,aes192-ctr,aes128-ctr",
      ],
    ] as const) {
      expect(cis).toMatch(new RegExp(`^${k} ${c.replace(/[.+]/g, "\\$&")}$`, "m"));
      expect(dev).toMatch(new RegExp(`^${k} ${d.replace(/[.+]/g, "\\$&")}$`, "m"));
    }
    expect(dev).toMatch(/^passwordauthentication no$/m);
    expect(cis).toMatch(/^passwordauthentication yes$/m);
  });

  it("net.* keys are live in the host's namespace (sysctl -n); kernel-wide keys are persisted only", async () => {
    const h = hosts.cis!;
    for (const k of [
      "net.ipv4.conf.all.accept_redirects",
      "net.ipv4.conf.all.send_redirects",
      "net.ipv4.conf.all.accept_source_route",
      "net.ipv6.conf.all.accept_ra",
      "net.ipv4.ip_forward",
    ])
      expect((await on(h, `sysctl -n ${k}`)).out, k).toBe("0");
    for (const k of ["net.ipv4.conf.all.rp_filter", "net.ipv4.conf.all.log_martians", "net.ipv4.tcp_syncookies", "net.ipv4.icmp_echo_ignore_broadcasts"])
      expect((await on(h, `sysctl -n ${k}`)).out, k).toBe("1");
    const persisted = (await on(h, "cat /etc/sysctl.d/99-zz-keel-hardening.conf")).out;
    expect(persisted).toMatch(/^kernel\.randomize_va_space=2$/m);
    expect(persisted).toMatch(/^kernel\.yama\.ptrace_scope=1$/m);
    expect(persisted).toMatch(/^fs\.suid_dumpable=0$/m);
    expect((await on(hosts.devsec!, "cat /etc/sysctl.d/99-zz-keel-hardening.conf")).out).toMatch(/^kernel\.yama\.ptrace_scope=2$/m);
  });

  it("module blacklists are effective for modprobe (kmod's own dry run)", async () => {
    const h = hosts.cis!;
    expect((await on(h, "apt-get install -y -q kmod >/dev/null 2>&1; command -v modprobe")).code).toBe(0);
    for (const m of ["cramfs", "freevxfs", "hfs", "hfsplus", "jffs2", "usb-storage", "dccp", "sctp", "rds", "tipc"]) {
      const r = await on(h, `modprobe -n -v ${m}`);
      expect(r.out, m).toMatch(/install \/bin\/false/);
      expect((await on(h, `modprobe -c | grep -E '^blacklist ${m.replace("-", "_")}$'`)).code, m).toBe(0);
    }
  });

  it("accounts: login.defs ageing and hashing reach a new account (chage -l, the shadow hash), PAM stack enabled", async () => {
    for (const [name, h, max, min, hash] of [
      ["cis", hosts.cis!, "365", "1", /^\$y\$/],
      ["devsec", hosts.devsec!, "60", "7", /^\$6\$/],
    ] as const) {
      await on(h, "useradd -m probeuser && echo 'probeuser:Another-long-Passw0rd!' | chpasswd");
      const chage = (await on(h, "chage -l probeuser")).out;
      expect(chage, name).toMatch(new RegExp(`Maximum number of days between password change\\s*:\\s*${max}`));
      expect(chage, name).toMatch(new RegExp(`Minimum number of days between password change\\s*:\\s*${min}`));
      // login.defs says what useradd/chage use; Debian's passwd and chpasswd hash through PAM, so
      // pam.unix-hashing sets pam_unix's option: a new password is yescrypt (CIS) or SHA512 (dev-sec).
      expect((await on(h, "grep -E '^ENCRYPT_METHOD' /etc/login.defs")).out, name).toMatch(name === "cis" ? /YESCRYPT$/ : /SHA512$/);
      expect((await on(h, "grep -E '^password.*pam_unix\\.so' /etc/pam.d/common-password")).out, name).toMatch(name === "cis" ? / yescrypt$/ : / sha512$/);
      expect((await on(h, "getent shadow probeuser | cut -d: -f2")).out, name).toMatch(hash);
      expect((await on(h, "passwd -S probeuser")).out).toMatch(/^probeuser P /);
      const auth = (await on(h, "cat /etc/pam.d/common-auth /etc/pam.d/common-account /etc/pam.d/common-password")).out;
      expect(auth).toMatch(/pam_faillock\.so preauth/);
      expect(auth).toMatch(/pam_faillock\.so authfail/);
      expect(auth).toMatch(/pam_pwquality\.so/);
      expect(auth).toMatch(/pam_pwhistory\.so remember=24/);
      expect((await on(h, "grep -E '^(deny|unlock_time) = ' /etc/security/faillock.conf")).out).toBe(
        name === "cis" ? "deny = 4\nunlock_time = 900" : "deny = 5\nunlock_time = 600",
      );
      expect((await on(h, "faillock --user labuser")).code).toBe(0);
    }
  });

  it("auditd, AIDE and the firewall: the real packages are installed and configured", async () => {
    const h = hosts.cis!;
    expect((await on(h, "dpkg-query -W -f '${Status}' auditd aide libpam-pwquality")).out).toBe("install ok installedinstall ok installedinstall ok installed");
    expect((await on(h, "grep -c '^CRON_DAILY_RUN=yes$' /etc/default/aide")).out).toBe("1");
    // aide.database: aideinit ran (as _aide, into the folder tmpfiles.d describes) and copied the database.
    expect(
      (await on(h, "stat -c '%U %a' /var/lib/aide; test -s /var/lib/aide/aide.db && echo db; grep -c 'return code 0' /var/log/aide/aideinit.log")).out,
    ).toBe("_aide 700\ndb\n1");
    expect((await on(h, "grep -c '^-w /etc/shadow -p wa -k identity$' /etc/audit/rules.d/50-keel-hardening.rules")).out).toBe("1");
    const nft = (await on(h, "nft list chain inet keel input")).out;
    expect(nft).toMatch(/policy drop;/);
    expect(nft).toMatch(/tcp dport 22/);
  });

  it("live state, not only files: /tmp and /dev/shm RUN nodev,nosuid,noexec; the audit says why the loaded audit rules are not verified", async () => {
    const h = hosts.cis!;
    // The running mounts, read from the host's own mount table (not keel's evidence).
    for (const p of ["/tmp", "/dev/shm"]) {
      const opts = (await on(h, `findmnt -kn -o OPTIONS --mountpoint ${p}`)).out.split(",");
      expect(opts, p).toEqual(expect.arrayContaining(["nodev", "nosuid", "noexec"]));
    }
    const exec = (await on(h, "cp /bin/true /tmp/x && /tmp/x; echo rc=$?; rm -f /tmp/x")).out;
    expect(exec).toContain("Permission denied");
    expect(exec).toMatch(/^rc=126$/m);
    // The second run's remediation report: both facets named as evidence; auditd, whose kernel audit a
    // lab host (another network namespace) cannot reach, is a failure with auditctl's own reason.
    const rep = JSON.parse(readFileSync(join(dir, "cis-second.audit.json"), "utf8")) as AuditReport;
    const res = (id: string) => rep.hosts[0]!.results.find((x) => x.control === id)!;
    for (const [id, p] of [
      ["filesystem.tmp-options", "/tmp"],
      ["filesystem.dev-shm-options", "/dev/shm"],
    ] as const) {
      expect(res(id).status, id).toBe("pass");
      expect(res(id).reason).toContain(`/etc/fstab: line 'tmpfs ${p} tmpfs`);
      expect(res(id).reason).toContain(`(findmnt -kn -o FSTYPE,OPTIONS --mountpoint ${p})`);
    }
    for (const [id, cmd] of [
      ["audit.auditd-enabled", "auditctl -s"],
      ["audit.rules", "auditctl -l"],
    ] as const) {
      expect(res(id).status, id).toBe("fail");
      const ch = res(id)
        .evidence.flatMap((e) => e.changes)
        .find((c) => c.read_from === cmd);
      expect(ch?.observed, id).toMatch(new RegExp(`^unknown: ${cmd} rc \\d+: `));
    }
    // Tampering with the live mount alone (fstab still right) is a drift of that control.
    await on(h, "mount -o remount,exec /tmp");
    const a = await keel([
      "audit",
      profileFile.cis!,
      "-i",
      inventory(h, "labuser"),
      ...LAB_KERNEL,
      "--tags",
      "filesystem.tmp-options",
      "-o",
      `json:${join(dir, "tmp.json")}`,
    ]);
    expect(a.code, a.stdout + a.stderr).toBe(2);
    const t = (JSON.parse(readFileSync(join(dir, "tmp.json"), "utf8")) as AuditReport).hosts[0]!.results.find((x) => x.control === "filesystem.tmp-options")!;
    expect(t.status).toBe("fail");
    expect(t.evidence.flatMap((e) => e.changes)).toEqual([
      expect.objectContaining({ read_from: "findmnt -kn -o FSTYPE,OPTIONS --mountpoint /tmp", field: "options", expected: "nodev,nosuid,noexec included" }),
    ]);
    await on(h, "mount -o remount,noexec /tmp");
  }, 300_000);

  it("tampering with three controls makes keel drift name exactly those three", async () => {
    const h = hosts.cis!;
    await on(h, "chmod 0644 /etc/crontab");
    await on(h, "sysctl -w net.ipv4.conf.all.rp_filter=0");
    await on(h, "sed -i 's/^MaxAuthTries 4$/MaxAuthTries 9/' /etc/ssh/sshd_config.d/00-keel-hardening.conf");
    const json = join(dir, "drift.json");
    const r = await keel(["drift", HARDEN, "-i", inventory(h, "labuser"), "-e", `profile=${join(dir, "cis-lab.yml")}`, ...LAB_KERNEL, "-o", `json:${json}`], {
      timeoutMs: 300_000,
    });
    expect(r.code, r.stdout + r.stderr).toBe(2);
    const rep = JSON.parse(readFileSync(json, "utf8")) as { hosts: { host: string; items: { file: string; line: number }[] }[] };
    const cat = loadCatalog();
    const byPos = new Map<string, string>();
    for (const c of cat.controls.values()) for (const t of c.tasks) byPos.set(`${basename(t.pos.file)}:${t.pos.line}`, c.id);
    const drifted = new Set(rep.hosts.flatMap((x) => x.items.map((i) => byPos.get(`${basename(i.file)}:${i.line}`) ?? `unknown ${i.file}:${i.line}`)));
    // Plus the two running-audit checks that fail on every lab host before any tampering (auditctl
    // cannot reach the kernel's audit from a network namespace; see the live-state test above).
    expect([...drifted].sort()).toEqual(["audit.auditd-enabled", "audit.rules", "cron.crontab", "network.rp-filter", "ssh.max-auth-tries"]);
  }, 300_000);
});

describeLab("hardening never locks keel out", () => {
  let h: ScratchHost;
  const sha = async (f: string) =>
    createHash("sha256")
      .update((await hostExec(h, `cat ${f} 2>/dev/null || true`)).stdout)
      .digest("hex");
  const sshdFiles = async () =>
    Promise.all(["/etc/ssh/sshd_config", "/etc/ssh/sshd_config.d/00-keel-hardening.conf", "/etc/ssh/sshd_config.d/00-keel-lab.conf"].map(sha));

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "keel-harden-lockout-e2e-"));
    h = await startScratchHost();
  }, 120_000);
  afterAll(async () => {
    if (h) await stopScratchHost(h).catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  });

  it("keel connecting as root with PermitRootLogin no requested: blocked with the reason, nothing changed, root still logs in", async () => {
    const before = await sshdFiles();
    const r = await keel(["run", HARDEN, "-i", inventory(h, "root"), "-e", "profile=cis-level1-server", ...LAB_KERNEL, "--tags", "ssh.permit-root-login"], {
      timeoutMs: 300_000,
    });
    expect(r.code, r.stdout + r.stderr).toBe(2);
    expect(r.stdout + r.stderr).toMatch(/blocked: PermitRootLogin no refuses root, the user keel connects as \(root@198\.18\.0\.1\)\. Nothing was changed/);
    expect(await sshdFiles()).toEqual(before);
    expect((await ssh(h, "true", { user: "root", knownHosts: h.knownHosts })).code).toBe(0);
    expect((await on(h, "sshd -T -C user=root,host=198.18.0.1,addr=198.18.0.1 | grep ^permitrootlogin")).out).toBe("permitrootlogin without-password");
  }, 300_000);

  it("an sshd drop-in that sshd -t rejects: files restored, nothing reloaded, the host reachable", async () => {
    const pb = join(dir, "bad-sshd.yml");
    writeFileSync(pb, `- hosts: all\n  become: true\n  tasks:\n    - hardening.sshd_config:\n        settings: { MaxAuthTries: "four" }\n`);
    const before = await sshdFiles();
    const pid = (await on(h, "cat /run/sshd.pid")).out;
    const r = await keel(["run", pb, "-i", inventory(h, "labuser")], { timeoutMs: 300_000 });
    expect(r.code, r.stdout + r.stderr).toBe(2);
    expect(r.stdout + r.stderr).toMatch(/sshd -t rejected the new configuration: .*Restored the previous files; sshd was not reloaded/s);
    expect(await sshdFiles()).toEqual(before);
    expect((await on(h, "cat /run/sshd.pid")).out).toBe(pid);
    expect((await ssh(h, "sudo -n true", { user: "labuser", knownHosts: h.knownHosts })).code).toBe(0);
  }, 300_000);
});
