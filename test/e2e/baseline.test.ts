// End to end: the shipped playbooks/baseline.yml against every lab host over SSH, with keel-hello
// added to baseline_packages so a package really comes from the lab's apt repository. The first
// run changes every host, the second changes nothing (JSON summary and recap), and `keel drift`
// then exits 0 with every host in sync; a tampered host then shows up in drift.
//
// Hosts are first reset to a never-baselined state (and given an apt index: lab hosts start with
// empty apt lists) and put back afterwards, through test/bench/baseline.ts, which also holds the
// 20-host measurement (node dist/test/bench/baseline.js 20).
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { BASELINE, BASELINE_VARS, resetBaseline, restoreBaseline } from "../bench/baseline.js";
import { describeLab, hostExec, HOSTS, INVENTORY, keel, ssh } from "./lab.js";

interface TaskEvent {
  type: string;
  host: string;
  task: { name: string };
  result: { status: string; changes: { summary: string }[] };
}
interface Report {
  events: TaskEvent[];
  summary: { hosts: Record<string, { changed: number; failed: number; ok: number; round_trips: number }>; failed: string[]; unreachable: string[] };
}

let dir = "";
const names = HOSTS.map((h) => h.name);
const limit = () => ["--limit", names.join(",")];

async function baseline(tag: string, ...extra: string[]) {
  const json = join(dir, `${tag}.json`);
  // Pipelined applies on (the default), whatever the environment says: the round trips are asserted.
  const r = await keel(["run", BASELINE, "-i", INVENTORY, "-e", BASELINE_VARS, ...limit(), "--json", json, ...extra], {
    timeoutMs: 300_000,
    env: { KEEL_PIPELINE: "1" },
  });
  let report: Report;
  try {
    report = JSON.parse(readFileSync(json, "utf8")) as Report;
  } catch {
    throw new Error(`keel wrote no JSON report (exit ${r.code}):\n${r.stdout}\n${r.stderr}`);
  }
  return { ...r, report };
}
const changedTasks = (rep: Report, host: string) =>
  rep.events.filter((e) => e.type === "task.result" && e.host === host && e.result.status === "changed").map((e) => e.task.name);

describeLab("the shipped baseline on every lab host", () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "keel-baseline-e2e-"));
    await Promise.all(names.map((h) => resetBaseline(h)));
  }, 600_000);

  afterAll(async () => {
    if (!dir) return;
    await Promise.all(names.map((h) => restoreBaseline(h)));
    rmSync(dir, { recursive: true, force: true });
  });

  it("first run converges every host; keel-hello comes from the lab repository", async () => {
    const r = await baseline("first");
    expect(r.code, r.stdout + r.stderr).toBe(0);
    for (const h of names) {
      expect(r.report.summary.hosts[h], h).toMatchObject({ failed: 0 });
      expect(changedTasks(r.report, h), h).toEqual(
        expect.arrayContaining([
          "Baseline packages are installed",
          "Admin group exists",
          "Admin account",
          "Admin SSH key",
          "Admin may use sudo without a password",
          "Kernel pointers are hidden from unprivileged users",
          "Reverse-path filtering on all interfaces",
          "SYN cookies on",
          "sshd hardening drop-in",
        ]),
      );
      const pkg = r.report.events.find((e) => e.type === "task.result" && e.host === h && e.task.name === "Baseline packages are installed")!;
      expect(pkg.result.changes.map((c) => c.summary)).toEqual(["package keel-hello missing (→ 1.1)"]);
    }
    for (const h of HOSTS) {
      const check = await ssh(
        h,
        "dpkg-query -W -f='${Version} ${db:Status-Abbrev}\\n' keel-hello; keel-hello; id -un keeladmin; cat /proc/sys/net/ipv4/tcp_syncookies; visudo -cf /etc/sudoers.d/50-keel-admin >/dev/null && echo sudoers-ok",
      );
      expect(check.code, check.stderr).toBe(0);
      expect(check.stdout).toBe("1.1 ii \nkeel-hello 1.1\nkeeladmin\n1\nsudoers-ok\n");
    }
    // Facts ride with the shell's start; then the play's probes, and two batches of applies: the
    // first ends where the SSH key task reads the admin account the task before it creates; the
    // three sysctl tasks then share one batch, each planned with what system.sysctl predicts the
    // one before it writes into the file (checked by a guard): docs/pipelining.md.
    for (const h of names) expect(r.report.summary.hosts[h]!.round_trips, `${h} round trips after connecting`).toBeLessThanOrEqual(3);
    console.log(
      `baseline first run on ${names.length} hosts: ${r.ms} ms; round trips ${JSON.stringify(Object.fromEntries(names.map((h) => [h, r.report.summary.hosts[h]!.round_trips])))}`,
    );
  });

  it("second run reports zero changes (JSON summary and recap)", async () => {
    const r = await baseline("second");
    expect(r.code, r.stdout + r.stderr).toBe(0);
    for (const h of names) {
      expect(changedTasks(r.report, h), h).toEqual([]);
      expect(r.report.summary.hosts[h]).toMatchObject({ changed: 0, failed: 0 });
      expect(r.stdout).toMatch(new RegExp(`^${h} : ok=\\d+\\s+changed=0\\s+unreachable=0\\s+failed=0\\b`, "m"));
    }
    const rts = names.map((h) => r.report.summary.hosts[h]!.round_trips);
    // No drift: facts ride with the shell's start, then one round trip for the whole play's probes.
    for (const n of rts) expect(n).toBe(1);
    console.log(
      `baseline second run on ${names.length} hosts: ${r.ms} ms; round trips ${JSON.stringify(Object.fromEntries(names.map((h, i) => [h, rts[i]])))}`,
    );
  });

  it("keel drift afterwards exits 0 with every host in sync; a tampered host then drifts", async () => {
    const out = join(dir, "drift.json");
    const d = await keel(["drift", BASELINE, "-i", INVENTORY, "-e", BASELINE_VARS, ...limit(), "--no-history", "-q", "-o", `json:${out}`], {
      timeoutMs: 300_000,
    });
    expect(d.code, d.stdout + d.stderr).toBe(0);
    const rep = JSON.parse(readFileSync(out, "utf8")) as {
      summary: { hosts: number; in_sync: number; drifted: number };
      hosts: { host: string; status: string; items: unknown[] }[];
    };
    expect(rep.summary).toMatchObject({ hosts: names.length, in_sync: names.length, drifted: 0 });

    const victim = names[names.length - 1]!;
    await hostExec(victim, "sed -i 's/^PASS_MAX_DAYS.*/PASS_MAX_DAYS\\t99999/' /etc/login.defs && sysctl -qw net.ipv4.tcp_syncookies=0");
    const out2 = join(dir, "drift2.json");
    const d2 = await keel(["drift", BASELINE, "-i", INVENTORY, "-e", BASELINE_VARS, ...limit(), "--no-history", "-q", "-o", `json:${out2}`], {
      timeoutMs: 300_000,
    });
    expect(d2.code, d2.stdout + d2.stderr).toBe(2);
    const rep2 = JSON.parse(readFileSync(out2, "utf8")) as { hosts: { host: string; status: string; items: { task: string }[] }[] };
    for (const h of rep2.hosts) {
      if (h.host === victim) {
        expect(h.status).toBe("drifted");
        expect(h.items.map((i) => i.task).sort()).toEqual(["Passwords expire after 365 days", "SYN cookies on"]);
      } else expect(h.status, h.host).toBe("in_sync");
    }
  });
});
