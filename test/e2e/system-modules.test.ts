// End to end: packages.package (apt), services.service (sysv), system.sysctl, system.hostname,
// system.set_fact and system.assert through the real `keel run` over SSH against lab hosts.
// The users.* modules have their own suite (users-modules.test.ts).
//
// Each case drives `node bin/keel.js run fixtures/system/X.yml --limit HOST --json FILE` and checks
// the result independently: over SSH with the system client (dpkg-query, /etc/init.d status,
// /proc/sys, hostname) and from the machine itself (its own /proc/sys and hostname must not move).
// Packages, sysctl and assert use lab03; services and hostname use lab04 (lab01/lab02 belong to the
// users suite). beforeAll/afterAll put both hosts back as they were: packages purged, files removed,
// live values and the host name restored.
import { readFileSync, mkdtempSync, rmSync } from "node:fs";
import { hostname as machineHostname, tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { describeLab, hostExec, initPid, INVENTORY, keel, ROOT, ssh, type ProcResult } from "./lab.js";

const FIX = join(ROOT, "test/e2e/fixtures/system");
const PKG_HOST = "lab03";
const SVC_HOST = "lab04";
const SYSCTL_FILE = "/etc/sysctl.d/60-keel-e2e.conf";
const OTHER_FILE = "/etc/sysctl.d/90-keel-e2e-other.conf";
const EARLY_FILE = "/etc/sysctl.d/10-keel-e2e-early.conf";

interface Change {
  summary: string;
  field?: string;
  before?: unknown;
  after?: unknown;
}
interface TaskEvent {
  type: string;
  host: string;
  task: { name: string; module: string };
  result: { status: string; changes: Change[]; reason?: string; msg?: string; handler?: boolean };
}
interface Report {
  check: boolean;
  events: TaskEvent[];
  summary: {
    hosts: Record<string, { changed: number; failed: number; ok: number; round_trips: number; status: string }>;
    round_trips: Record<string, number>;
    failed: string[];
    failures: { host: string; task?: string; pos?: string; message: string }[];
  };
}
interface Run extends ProcResult {
  out: string;
  report: Report;
}

let dir = "";
let n = 0;

/** keel run FIXTURE -i lab --limit HOST --json FILE [...extra] */
async function run(fixture: string, host: string, ...extra: string[]): Promise<Run> {
  const json = join(dir, `${++n}-${fixture.replace(/\W+/g, "_")}.json`);
  const r = await keel(["run", join(FIX, fixture), "-i", INVENTORY, "--limit", host, "--json", json, ...extra]);
  const out = `${r.stdout}\n${r.stderr}`;
  let report: Report;
  try {
    report = JSON.parse(readFileSync(json, "utf8")) as Report;
  } catch {
    throw new Error(`keel wrote no JSON report (exit ${r.code}):\n${out}`);
  }
  return { ...r, out, report };
}

const results = (r: Run, host: string) => r.report.events.filter((e) => e.type === "task.result" && e.host === host);
const result = (r: Run, host: string, task: string) => {
  const e = results(r, host).find((x) => x.task.name === task);
  if (!e) throw new Error(`no result for task '${task}' on ${host}:\n${r.out}`);
  return e.result;
};
const summaries = (r: Run, host: string, task: string) => result(r, host, task).changes.map((c) => c.summary);
/** The one failure of a run, as the summary words it: "HOST: task 'NAME' (FILE:LINE) failed: MESSAGE". */
function failure(r: Run, host: string, task: string, message: string): void {
  expect(r.report.summary.failures).toHaveLength(1);
  const f = r.report.summary.failures[0]!;
  expect(f).toMatchObject({ host, task });
  expect(f.pos).toMatch(/^\/.*\.yml:\d+:\d+$/);
  expect(f.message).toBe(`${host}: task '${task}' (${f.pos!.replace(/:\d+$/, "")}) failed: ${message}`);
}
const changedCount = (r: Run, host: string) => r.report.summary.hosts[host]!.changed;

/** A command on the host over SSH (independent of keel); throws on a non-zero exit. */
async function on(host: string, cmd: string): Promise<string> {
  const r = await ssh(host, cmd);
  if (r.code !== 0) throw new Error(`ssh ${host} '${cmd}' exited ${r.code}: ${r.stderr}`);
  return r.stdout;
}
/** dpkg's view of a package: "1.0 ii", or "" when dpkg knows nothing of it. */
const dpkg = async (host: string, pkg: string) => (await ssh(host, `dpkg-query -W -f='\${Version} \${db:Status-Abbrev}' ${pkg} 2>/dev/null`)).stdout.trim();
const machineProc = (key: string) => readFileSync(`/proc/sys/${key.replace(/\./g, "/")}`, "utf8").trim();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function cleanPkgHost(): Promise<void> {
  await hostExec(
    PKG_HOST,
    `pkill -f keel-e2e-lock[h]older; dpkg --purge keel-hello keel-tool >/dev/null 2>&1; rm -f ${SYSCTL_FILE} ${OTHER_FILE} ${EARLY_FILE} /tmp/keel-e2e-locked; true`,
    { check: false },
  );
}
async function cleanSvcHost(): Promise<void> {
  await hostExec(SVC_HOST, "dpkg --purge keel-daemon >/dev/null 2>&1; rm -f /etc/keel-daemon.extra /run/keel-daemon.*; true", { check: false });
}

describeLab("system modules over SSH on lab hosts", () => {
  let liveBefore: Record<string, string> = {};

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "keel-system-e2e-"));
    await cleanPkgHost();
    await cleanSvcHost();
    const v = await hostExec(PKG_HOST, "cat /proc/sys/net/ipv4/ip_forward /proc/sys/net/ipv4/conf/all/rp_filter");
    const [fwd, rp] = v.stdout.trim().split("\n");
    liveBefore = { fwd: fwd!, rp: rp! };
  });

  afterAll(async () => {
    if (!dir) return;
    await cleanPkgHost();
    await cleanSvcHost();
    if (liveBefore.fwd !== undefined) {
      await hostExec(PKG_HOST, `sysctl -qw net.ipv4.ip_forward=${liveBefore.fwd} net.ipv4.conf.all.rp_filter=${liveBefore.rp}`, { check: false });
    }
    await hostExec(SVC_HOST, `hostname ${SVC_HOST} && echo ${SVC_HOST} > /etc/hostname`, { check: false });
    rmSync(dir, { recursive: true, force: true });
  });

  // ------------------------------------------------------------------------------------------
  // packages.package (apt backend, the lab's local repository)

  it("packages: installs a pinned version (keel-hello=1.0), then a second run changes nothing", async () => {
    expect(await dpkg(PKG_HOST, "keel-hello")).toBe("");
    const first = await run("pkg-install.yml", PKG_HOST);
    expect(first.code, first.out).toBe(0);
    expect(summaries(first, PKG_HOST, "keel-hello 1.0 is installed")).toEqual(["package keel-hello missing (→ 1.0)"]);
    expect(await dpkg(PKG_HOST, "keel-hello")).toBe("1.0 ii");
    expect(await on(PKG_HOST, "keel-hello")).toBe("keel-hello 1.0\n");

    const second = await run("pkg-install.yml", PKG_HOST);
    expect(second.code, second.out).toBe(0);
    expect(changedCount(second, PKG_HOST)).toBe(0);
    const r = result(second, PKG_HOST, "keel-hello 1.0 is installed");
    expect(r.status).toBe("ok");
    expect(r.reason).toBe("package keel-hello 1.0 installed");
  });

  it("packages: --check before `state: latest` reports exactly 1.0 → 1.1 and changes nothing", async () => {
    const check = await run("pkg-latest.yml", PKG_HOST, "--check", "--diff");
    expect(check.code, check.out).toBe(0);
    expect(check.report.check).toBe(true);
    const changes = result(check, PKG_HOST, "keel-hello is at the newest version").changes;
    expect(changes).toHaveLength(1);
    expect(changes[0]).toMatchObject({ summary: "package keel-hello 1.0 → 1.1 (latest)", before: "1.0", after: "1.1" });
    // The text output shows it too (with --diff, each change as field: before → after).
    expect(check.stdout).toContain("changed  lab03  keel-hello is at the newest version");
    expect(check.stdout).toContain("version: 1.0 → 1.1\n");
    expect(await dpkg(PKG_HOST, "keel-hello")).toBe("1.0 ii");
  });

  it("packages: `state: latest` upgrades to 1.1 from keel-security, then converges", async () => {
    const up = await run("pkg-latest.yml", PKG_HOST);
    expect(up.code, up.out).toBe(0);
    expect(summaries(up, PKG_HOST, "keel-hello is at the newest version")).toEqual(["package keel-hello 1.0 → 1.1 (latest)"]);
    expect(await dpkg(PKG_HOST, "keel-hello")).toBe("1.1 ii");
    expect(await on(PKG_HOST, "keel-hello")).toBe("keel-hello 1.1\n");
    const again = await run("pkg-latest.yml", PKG_HOST);
    expect(changedCount(again, PKG_HOST), again.out).toBe(0);
    expect(result(again, PKG_HOST, "keel-hello is at the newest version").reason).toBe("package keel-hello 1.1 (latest) installed");
  });

  it("packages: absent with purge removes the package and its dpkg record, then converges", async () => {
    const gone = await run("pkg-absent.yml", PKG_HOST);
    expect(gone.code, gone.out).toBe(0);
    expect(summaries(gone, PKG_HOST, "keel-hello is purged")).toEqual(["package keel-hello installed, to purge"]);
    // Purged, not just removed: dpkg keeps no "rc" (config-files) record.
    expect(await dpkg(PKG_HOST, "keel-hello")).toBe("");
    expect((await ssh(PKG_HOST, "test -e /usr/bin/keel-hello")).code).not.toBe(0);
    const again = await run("pkg-absent.yml", PKG_HOST);
    expect(changedCount(again, PKG_HOST), again.out).toBe(0);
    expect(result(again, PKG_HOST, "keel-hello is purged").reason).toBe("package keel-hello absent");
  });

  it("packages: a list is one task and one probe: the converged run costs the same round trips as a single package", async () => {
    const first = await run("pkg-list.yml", PKG_HOST);
    expect(first.code, first.out).toBe(0);
    expect(summaries(first, PKG_HOST, "lab packages are installed")).toEqual(["package keel-hello missing (→ 1.1)", "package keel-tool missing (→ 1.1)"]);
    expect(await dpkg(PKG_HOST, "keel-hello")).toBe("1.1 ii");
    expect(await dpkg(PKG_HOST, "keel-tool")).toBe("1.1 ii");

    // Count dpkg-query calls on the host: a shim ahead of /usr/bin in PATH logs its arguments.
    await hostExec(PKG_HOST, "cat > /usr/local/bin/dpkg-query && chmod 755 /usr/local/bin/dpkg-query && rm -f /tmp/keel-e2e-dpkg-query.log", {
      input: `#!/bin/sh\nprintf '%s\\n' "$*" | tr '\\n' ' ' >> /tmp/keel-e2e-dpkg-query.log\necho >> /tmp/keel-e2e-dpkg-query.log\nexec /usr/bin/dpkg-query "$@"\n`,
    });
    let list: Run;
    let calls: string[];
    try {
      list = await run("pkg-list.yml", PKG_HOST);
      calls = (await hostExec(PKG_HOST, "cat /tmp/keel-e2e-dpkg-query.log 2>/dev/null; true")).stdout
        .split("\n")
        .map((l) => l.trim())
        .filter((l) => l.includes("keel-"));
    } finally {
      await hostExec(PKG_HOST, "rm -f /usr/local/bin/dpkg-query /tmp/keel-e2e-dpkg-query.log");
    }
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatch(/^-W -f=.* keel-hello keel-tool$/);
    expect(list.code, list.out).toBe(0);
    expect(changedCount(list, PKG_HOST)).toBe(0);
    expect(result(list, PKG_HOST, "lab packages are installed").reason).toBe("packages keel-hello 1.1, keel-tool 1.1 installed");
    // A converged one-task run is one round trip for facts + the probe batch; a list must not add
    // one per package.
    const single = await run("pkg-latest.yml", PKG_HOST);
    expect(changedCount(single, PKG_HOST)).toBe(0);
    expect(list.report.summary.round_trips[PKG_HOST]).toBe(single.report.summary.round_trips[PKG_HOST]);
    expect(list.report.summary.round_trips[PKG_HOST]).toBeLessThanOrEqual(2);
    console.log(`packages: converged list run ${list.report.summary.round_trips[PKG_HOST]} round trip(s), ${list.ms} ms`);
  });

  it("packages: a held dpkg lock fails after lock_timeout with an error naming the lock and its holder", async () => {
    await hostExec(PKG_HOST, "dpkg --purge keel-tool >/dev/null");
    // apt locks with fcntl (not flock), so hold the lock the way apt itself would: lockf.
    const holder = await hostExec(
      PKG_HOST,
      `nohup python3 -c 'import fcntl, sys, time
f = open("/var/lib/dpkg/lock-frontend", "w")
fcntl.lockf(f, fcntl.LOCK_EX)
open("/tmp/keel-e2e-locked", "w").close()
time.sleep(120)' keel-e2e-lockholder >/dev/null 2>&1 & echo $!`,
    );
    const holderPid = holder.stdout.trim();
    expect(holderPid).toMatch(/^\d+$/);
    for (let i = 0; i < 50 && (await hostExec(PKG_HOST, "test -e /tmp/keel-e2e-locked", { check: false })).code !== 0; i++) await sleep(100);
    try {
      const r = await run("pkg-lock.yml", PKG_HOST);
      expect(r.code, r.out).toBe(2);
      expect(r.report.summary.failed).toEqual([PKG_HOST]);
      const msg = result(r, PKG_HOST, "keel-tool is installed").msg;
      expect(msg).toBe(
        `dpkg lock /var/lib/dpkg/lock-frontend still held by process ${holderPid} (python3) after waiting 2 s; wait for it to finish or raise lock_timeout`,
      );
      failure(r, PKG_HOST, "keel-tool is installed", msg!);
      expect(r.out).toContain("/var/lib/dpkg/lock-frontend");
      expect(r.ms).toBeGreaterThanOrEqual(2000);
      expect(await dpkg(PKG_HOST, "keel-tool")).toBe("");
    } finally {
      await hostExec(PKG_HOST, "pkill -f keel-e2e-lock[h]older; rm -f /tmp/keel-e2e-locked; true");
    }
    // Once the lock is free the same task installs.
    for (let i = 0; i < 50 && (await hostExec(PKG_HOST, "pgrep -f keel-e2e-lock[h]older", { check: false })).code === 0; i++) await sleep(100);
    const ok = await run("pkg-lock.yml", PKG_HOST);
    expect(ok.code, ok.out).toBe(0);
    expect(await dpkg(PKG_HOST, "keel-tool")).toBe("1.1 ii");
  });

  // ------------------------------------------------------------------------------------------
  // services.service (sysv backend: the lab hosts have no systemd)

  const status = (host: string) => ssh(host, "/etc/init.d/keel-daemon status");
  const daemonPid = async (host: string) => (await on(host, "cat /run/keel-daemon.pid")).trim();
  const lines = async (host: string, file: string) => {
    const r = await ssh(host, `cat ${file} 2>/dev/null`);
    return r.stdout.split("\n").filter(Boolean).length;
  };

  it("services: started + enabled on a stopped, disabled sysv service, then a second run changes nothing", async () => {
    const inst = await run("svc-install.yml", SVC_HOST);
    expect(inst.code, inst.out).toBe(0);
    expect(await dpkg(SVC_HOST, "keel-daemon")).toBe("1.0 ii");
    // The package starts and enables itself on install; undo both behind keel's back.
    await hostExec(SVC_HOST, "service keel-daemon stop >/dev/null && update-rc.d -f keel-daemon remove >/dev/null");
    expect((await status(SVC_HOST)).code).toBe(3);
    expect((await ssh(SVC_HOST, "ls /etc/rc2.d/S*keel-daemon")).code).not.toBe(0);

    const r = await run("svc-started.yml", SVC_HOST);
    expect(r.code, r.out).toBe(0);
    expect(summaries(r, SVC_HOST, "keel-daemon runs and starts at boot")).toEqual([
      "service keel-daemon disabled, to enable",
      "service keel-daemon stopped, to start",
    ]);
    const st = await status(SVC_HOST);
    expect(st.code, st.stdout).toBe(0);
    expect(st.stdout).toBe("keel-daemon is running\n");
    const pid = await daemonPid(SVC_HOST);
    expect(await on(SVC_HOST, `cat /proc/${pid}/cmdline | tr '\\0' ' '`)).toContain("/usr/sbin/keel-daemon");
    const links = await on(SVC_HOST, "ls /etc/rc2.d /etc/rc3.d /etc/rc4.d /etc/rc5.d /etc/rc0.d /etc/rc6.d | grep keel-daemon | sort | uniq -c");
    expect(links).toMatch(/4 S\d\dkeel-daemon/);
    expect(links).toMatch(/2 K\d\dkeel-daemon/);

    const again = await run("svc-started.yml", SVC_HOST);
    expect(again.code, again.out).toBe(0);
    expect(changedCount(again, SVC_HOST)).toBe(0);
    expect(result(again, SVC_HOST, "keel-daemon runs and starts at boot").reason).toMatch(/^service keel-daemon running and enabled/);
    expect(await daemonPid(SVC_HOST)).toBe(pid);
  });

  it("services: stopped stops it (once); restarted always counts as a change and gives a new process", async () => {
    const stop = await run("svc-state.yml", SVC_HOST, "-e", "svc_state=stopped");
    expect(stop.code, stop.out).toBe(0);
    expect(summaries(stop, SVC_HOST, "keel-daemon state")).toEqual(["service keel-daemon running, to stop"]);
    expect((await status(SVC_HOST)).code).toBe(3);
    expect((await ssh(SVC_HOST, "test -e /run/keel-daemon.pid")).code).not.toBe(0);
    const again = await run("svc-state.yml", SVC_HOST, "-e", "svc_state=stopped");
    expect(changedCount(again, SVC_HOST), again.out).toBe(0);

    // restarted on a stopped service: it starts (drift-like change, not an action).
    const fromStopped = await run("svc-state.yml", SVC_HOST, "-e", "svc_state=restarted");
    expect(fromStopped.code, fromStopped.out).toBe(0);
    expect(summaries(fromStopped, SVC_HOST, "keel-daemon state")).toEqual(["service keel-daemon stopped, to start"]);
    expect((await status(SVC_HOST)).code).toBe(0);

    for (let i = 0; i < 2; i++) {
      const pid = await daemonPid(SVC_HOST);
      const starts = await lines(SVC_HOST, "/run/keel-daemon.started");
      const r = await run("svc-state.yml", SVC_HOST, "-e", "svc_state=restarted");
      expect(r.code, r.out).toBe(0);
      expect(result(r, SVC_HOST, "keel-daemon state").status).toBe("changed");
      expect(summaries(r, SVC_HOST, "keel-daemon state")).toEqual(["service keel-daemon restart"]);
      expect(changedCount(r, SVC_HOST)).toBe(1);
      expect((await status(SVC_HOST)).code).toBe(0);
      expect(await daemonPid(SVC_HOST)).not.toBe(pid);
      expect(await lines(SVC_HOST, "/run/keel-daemon.started")).toBe(starts + 1);
    }
  });

  it("services: a reload handler notified by two changed copy tasks runs once, after every task", async () => {
    const reloads = await lines(SVC_HOST, "/run/keel-daemon.reloaded");
    const pid = await daemonPid(SVC_HOST);
    const r = await run("svc-handler.yml", SVC_HOST, "-e", "greeting=e2e-1");
    expect(r.code, r.out).toBe(0);
    const names = results(r, SVC_HOST).map((e) => `${e.task.name}:${e.result.status}`);
    expect(names).toEqual([
      "keel-daemon configuration:changed",
      "keel-daemon extra configuration:changed",
      "a task after the notifying ones:ok",
      "reload keel-daemon:changed",
    ]);
    expect(result(r, SVC_HOST, "reload keel-daemon").handler).toBe(true);
    expect(summaries(r, SVC_HOST, "reload keel-daemon")).toEqual(["service keel-daemon reload"]);
    expect(await on(SVC_HOST, "cat /etc/keel-daemon.conf")).toBe("# keel-daemon configuration\ngreeting=e2e-1\n");
    // The daemon stamps each HUP (perl's deferred signals: within about a second).
    let now = reloads;
    for (let i = 0; i < 50 && now === reloads; i++) {
      await sleep(100);
      now = await lines(SVC_HOST, "/run/keel-daemon.reloaded");
    }
    await sleep(1500); // a second HUP would show up by now
    expect(await lines(SVC_HOST, "/run/keel-daemon.reloaded")).toBe(reloads + 1);
    expect(await daemonPid(SVC_HOST)).toBe(pid); // reloaded, not restarted

    const again = await run("svc-handler.yml", SVC_HOST, "-e", "greeting=e2e-1");
    expect(again.code, again.out).toBe(0);
    expect(changedCount(again, SVC_HOST)).toBe(0);
    expect(results(again, SVC_HOST).some((e) => e.task.name === "reload keel-daemon")).toBe(false);
    await sleep(1500);
    expect(await lines(SVC_HOST, "/run/keel-daemon.reloaded")).toBe(reloads + 1);
  });

  it("services: an unknown service fails the host with a clear error", async () => {
    const r = await run("svc-unknown.yml", SVC_HOST);
    expect(r.code, r.out).toBe(2);
    expect(r.report.summary.failed).toEqual([SVC_HOST]);
    failure(r, SVC_HOST, "a service that does not exist", "service keel-nosuch not found: no /etc/init.d/keel-nosuch");
    expect(r.out).toContain("service keel-nosuch not found: no /etc/init.d/keel-nosuch");
  });

  // ------------------------------------------------------------------------------------------
  // system.sysctl

  it("sysctl: a net.* key is persisted and set live inside the host's network namespace only", async () => {
    const machineBefore = machineProc("net.ipv4.ip_forward");
    const otherHostBefore = (await on(SVC_HOST, "cat /proc/sys/net/ipv4/ip_forward")).trim();
    await hostExec(PKG_HOST, "sysctl -qw net.ipv4.ip_forward=0");
    const r = await run("sysctl-net.yml", PKG_HOST);
    expect(r.code, r.out).toBe(0);
    expect(summaries(r, PKG_HOST, "IPv4 forwarding")).toEqual([`net.ipv4.ip_forward not set in ${SYSCTL_FILE} (→ 1)`, "net.ipv4.ip_forward live 0 → 1"]);
    expect(await on(PKG_HOST, "cat /proc/sys/net/ipv4/ip_forward")).toBe("1\n");
    expect(await on(PKG_HOST, `cat ${SYSCTL_FILE}`)).toBe("net.ipv4.ip_forward=1\n");
    expect(machineProc("net.ipv4.ip_forward")).toBe(machineBefore);
    expect((await on(SVC_HOST, "cat /proc/sys/net/ipv4/ip_forward")).trim()).toBe(otherHostBefore);

    const again = await run("sysctl-net.yml", PKG_HOST);
    expect(changedCount(again, PKG_HOST), again.out).toBe(0);
    expect(result(again, PKG_HOST, "IPv4 forwarding").reason).toBe(`net.ipv4.ip_forward = 1 in ${SYSCTL_FILE} and live`);

    // Live drift alone (file still right) is one change of its own.
    await hostExec(PKG_HOST, "sysctl -qw net.ipv4.ip_forward=0");
    const drift = await run("sysctl-net.yml", PKG_HOST, "--check");
    expect(summaries(drift, PKG_HOST, "IPv4 forwarding")).toEqual(["net.ipv4.ip_forward live 0 → 1"]);
    expect(await on(PKG_HOST, "cat /proc/sys/net/ipv4/ip_forward")).toBe("0\n");
  });

  it("sysctl: a kernel-wide key with reload: false writes the file and leaves the running kernel alone", async () => {
    const machineBefore = machineProc("kernel.kptr_restrict");
    const hostBefore = (await on(PKG_HOST, "cat /proc/sys/kernel/kptr_restrict")).trim();
    expect(hostBefore).toBe(machineBefore); // one kernel: the host sees the machine's value
    const r = await run("sysctl-kernel.yml", PKG_HOST);
    expect(r.code, r.out).toBe(0);
    const changes = result(r, PKG_HOST, "kernel pointers hidden (persisted only)").changes;
    expect(changes.map((c) => c.field)).toEqual(["file"]);
    // A kernel-wide key is reported honestly: the file changes now, the kernel at next boot.
    const pending = hostBefore === "1" ? "" : `; takes effect at next boot (live value ${hostBefore})`;
    expect(changes[0]!.summary).toBe(`kernel.kptr_restrict not set in ${SYSCTL_FILE} (→ 1)${pending}`);
    expect(await on(PKG_HOST, `grep kptr ${SYSCTL_FILE}`)).toBe("kernel.kptr_restrict=1\n");
    expect(await on(PKG_HOST, `grep ip_forward ${SYSCTL_FILE}`)).toBe("net.ipv4.ip_forward=1\n"); // the other key kept
    expect((await on(PKG_HOST, "cat /proc/sys/kernel/kptr_restrict")).trim()).toBe(hostBefore);
    expect(machineProc("kernel.kptr_restrict")).toBe(machineBefore);
    const again = await run("sysctl-kernel.yml", PKG_HOST);
    expect(changedCount(again, PKG_HOST), again.out).toBe(0);
    expect(machineProc("kernel.kptr_restrict")).toBe(machineBefore);
  });

  it("sysctl: a key also set in another file is reported: a later file as a change (and a failure), an earlier one in the reason", async () => {
    await hostExec(PKG_HOST, `printf '# keel e2e\\nnet.ipv4.conf.all.rp_filter = 2\\n' > ${OTHER_FILE}`);
    const check = await run("sysctl-override.yml", PKG_HOST, "--check");
    expect(check.code, check.out).toBe(0);
    const s = summaries(check, PKG_HOST, "reverse-path filtering");
    expect(s).toContain(`net.ipv4.conf.all.rp_filter also set to 2 in ${OTHER_FILE}, which overrides ${SYSCTL_FILE}`);
    expect(s).toContain(`net.ipv4.conf.all.rp_filter not set in ${SYSCTL_FILE} (→ 1)`);
    expect(await on(PKG_HOST, `grep -c rp_filter ${SYSCTL_FILE} || true`)).toBe("0\n");

    const fail = await run("sysctl-override.yml", PKG_HOST);
    expect(fail.code, fail.out).toBe(2);
    failure(
      fail,
      PKG_HOST,
      "reverse-path filtering",
      `net.ipv4.conf.all.rp_filter is also set to 2 in ${OTHER_FILE} (line 2), which is loaded after ${SYSCTL_FILE} and wins at boot; ` +
        `remove it there, or set sysctl_file: ${OTHER_FILE}`,
    );
    // Its own part is done before it fails: file written, live value set.
    expect(await on(PKG_HOST, `grep rp_filter ${SYSCTL_FILE}`)).toBe("net.ipv4.conf.all.rp_filter=1\n");
    expect(await on(PKG_HOST, "cat /proc/sys/net/ipv4/conf/all/rp_filter")).toBe("1\n");

    // The same key in a file loaded earlier loses to ours: converged, and the reason names it.
    await hostExec(PKG_HOST, `rm -f ${OTHER_FILE} && echo 'net.ipv4.conf.all.rp_filter=0' > ${EARLY_FILE}`);
    const ok = await run("sysctl-override.yml", PKG_HOST);
    expect(ok.code, ok.out).toBe(0);
    expect(changedCount(ok, PKG_HOST)).toBe(0);
    // Other files of the shared lab host (the baseline's, when its test ran first) may follow.
    expect(result(ok, PKG_HOST, "reverse-path filtering").reason).toMatch(
      new RegExp(`^net\\.ipv4\\.conf\\.all\\.rp_filter = 1 in ${SYSCTL_FILE} and live; also set in ${EARLY_FILE} \\(0\\)(, |$)`),
    );
  });

  // ------------------------------------------------------------------------------------------
  // system.hostname

  it("hostname: the lab host has its own UTS namespace; set, verify, converge, restore", async () => {
    const pid = await initPid(SVC_HOST);
    expect(pid).toBeDefined();
    const { readlinkSync } = await import("node:fs");
    expect(readlinkSync(`/proc/${pid}/ns/uts`)).not.toBe(readlinkSync("/proc/self/ns/uts"));
    const machineBefore = machineHostname();

    const r = await run("hostname.yml", SVC_HOST, "-e", "new_name=keel-e2e-renamed");
    expect(r.code, r.out).toBe(0);
    expect(summaries(r, SVC_HOST, "host name")).toEqual([`/etc/hostname ${SVC_HOST} → keel-e2e-renamed`, `hostname ${SVC_HOST} → keel-e2e-renamed`]);
    expect(await on(SVC_HOST, "hostname; cat /etc/hostname")).toBe("keel-e2e-renamed\nkeel-e2e-renamed\n");
    expect(machineHostname()).toBe(machineBefore);
    expect(await on(PKG_HOST, "hostname")).toBe(`${PKG_HOST}\n`);
    const again = await run("hostname.yml", SVC_HOST, "-e", "new_name=keel-e2e-renamed");
    expect(changedCount(again, SVC_HOST), again.out).toBe(0);
    expect(result(again, SVC_HOST, "host name").reason).toBe("hostname is keel-e2e-renamed, as in /etc/hostname");

    const back = await run("hostname.yml", SVC_HOST, "-e", `new_name=${SVC_HOST}`);
    expect(back.code, back.out).toBe(0);
    expect(changedCount(back, SVC_HOST)).toBe(1);
    expect(await on(SVC_HOST, "hostname; cat /etc/hostname")).toBe(`${SVC_HOST}\n${SVC_HOST}\n`);
  });

  // ------------------------------------------------------------------------------------------
  // system.set_fact + system.assert

  it("set_fact then assert on it: holds", async () => {
    const r = await run("facts-assert.yml", PKG_HOST, "-e", "want=Linux");
    expect(r.code, r.out).toBe(0);
    expect(result(r, PKG_HOST, "the facts hold")).toMatchObject({ status: "ok", msg: "All assertions passed" });
    expect(result(r, PKG_HOST, "after the assert").status).toBe("ok");
  });

  it("a failing assert fails the host with its message, exit code 2, and stops that host's tasks", async () => {
    const r = await run("facts-assert.yml", PKG_HOST, "-e", "want=Plan9");
    expect(r.code, r.out).toBe(2);
    expect(r.report.summary.failed).toEqual([PKG_HOST]);
    const msg = "kernel is Linux, expected Plan9 (assertion: kernel_name == want)";
    expect(result(r, PKG_HOST, "the facts hold")).toMatchObject({ status: "failed", msg });
    failure(r, PKG_HOST, "the facts hold", msg);
    expect(r.out).toContain(msg);
    expect(results(r, PKG_HOST).some((e) => e.task.name === "after the assert")).toBe(false);
  });
});
