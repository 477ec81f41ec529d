// keel audit with every SHIPPED profile on a fresh scratch host, then on a stripped one (packages
// removed, files and folders a minimal install may lack deleted): a missing file, package or
// command is evidence of a failure (or not applicable), never an `error`, so the audit exits 2 —
// never 1 — and every failing control carries evidence (issue 14). Read-only: nothing changes.
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { describeLab, hostExec, keel, startScratchHost, stopScratchHost, type ScratchHost } from "./lab.js";
import type { AuditReport, ControlResult } from "../../engine/report/audit/model.js";

const tmp = mkdtempSync(join(tmpdir(), "keel-audit-fresh-"));
const PROFILES = ["cis-level1-server", "devsec"];

// What a minimal Debian host may lack: nftables removed through dpkg (so nft is gone and dpkg
// says so), auditd/AIDE never installed, no cron, no sudo, no backups of the account files, no
// pwquality/faillock configuration, no banners, no profile.d, no apt lists.
const STRIP =
  "dpkg --purge --force-depends nftables >/dev/null 2>&1; " +
  "rm -rf /etc/cron.d /etc/cron.daily /etc/cron.hourly /etc/cron.weekly /etc/cron.monthly /etc/crontab /etc/sudoers.d " +
  "/etc/passwd- /etc/group- /etc/shadow- /etc/gshadow- /etc/security/pwquality.conf /etc/security/faillock.conf " +
  "/etc/issue /etc/issue.net /etc/motd /etc/profile.d /etc/fstab /etc/modprobe.d /etc/sysctl.d /etc/default/useradd /var/lib/apt/lists; " +
  "command -v nft || echo stripped";

describeLab("keel audit: fresh and stripped hosts give failures with evidence, never errors", () => {
  let h: ScratchHost;

  beforeAll(async () => {
    h = await startScratchHost();
  }, 300_000);
  afterAll(async () => {
    if (h) await stopScratchHost(h);
  });

  async function audit(profile: string, tag: string): Promise<{ code: number; out: string; report: AuditReport }> {
    const file = join(tmp, `${tag}-${profile}.json`);
    const r = await keel(["audit", profile, "-i", h.inventory, "--no-history", "-o", `json:${file}`]);
    return { code: r.code, out: r.stdout + r.stderr, report: JSON.parse(readFileSync(file, "utf8")) as AuditReport };
  }
  const results = (r: AuditReport): ControlResult[] => r.hosts[0]!.results;
  const byId = (r: AuditReport, id: string): ControlResult => results(r).find((x) => x.control === id)!;

  function expectNoErrors(a: { code: number; out: string; report: AuditReport }, profile: string): void {
    const bad = results(a.report)
      .filter((x) => x.status === "error" || x.status === "unknown")
      .map((x) => `${x.control} ${x.status}: ${x.reason}`);
    expect(bad, `${profile}: controls in error or unknown`).toEqual([]);
    expect(a.report.hosts[0]!.state, a.out).toBe("checked");
    expect(a.code, a.out).toBe(2);
    expect(a.report.hosts[0]!.round_trips, "round trips after connecting").toBeLessThanOrEqual(2);
    for (const x of results(a.report).filter((r) => r.status === "fail")) {
      const changes = x.evidence.flatMap((e) => e.changes);
      expect(changes.length, `${profile} ${x.control}: a failure without evidence`).toBeGreaterThan(0);
      for (const c of changes) expect(c.read_from, `${x.control}: where it was read`).toBeTruthy();
    }
  }

  it("a fresh host: exit 2 with each shipped profile, no control in error", async () => {
    for (const p of PROFILES) {
      const a = await audit(p, "fresh");
      expectNoErrors(a, p);
      // auditd is not installed on a fresh host: its service cannot be enabled, and the evidence says why.
      const en = byId(a.report, "audit.auditd-enabled");
      expect(en.status, en.reason).toBe("fail");
      const pkg = en.evidence.flatMap((e) => e.changes).find((c) => c.summary.includes("auditd"));
      expect(pkg, JSON.stringify(en.evidence)).toMatchObject({ observed: "absent", expected: "present" });
    }
  }, 300_000);

  it("a stripped host (no nftables, no cron, no sudo, missing files): still exit 2, no control in error", async () => {
    expect((await hostExec(h, STRIP)).stdout).toContain("stripped");
    for (const p of PROFILES) {
      const a = await audit(p, "stripped");
      expectNoErrors(a, p);
      const fw = byId(a.report, "firewall.default-deny");
      expect(fw.status, fw.reason).toBe("fail");
      expect(
        fw.evidence.flatMap((e) => e.changes).find((c) => c.summary.includes("nftables")),
        JSON.stringify(fw.evidence),
      ).toMatchObject({ observed: "absent", expected: "present" });
      // No /etc/crontab, no backups of the account files: nothing to judge, which is not a pass.
      for (const id of ["cron.crontab", "permissions.etc-shadow-backup"])
        expect(byId(a.report, id), id).toMatchObject({ status: "not_applicable", reason: expect.stringContaining("no path matches") });
      for (const id of ["login.tmout", "banner.issue", "sudo.use-pty"]) {
        const x = byId(a.report, id);
        if (x) expect(x.status, `${p} ${id}: ${x.reason}`).toBe("fail");
      }
    }
  }, 300_000);
});
