// End to end: system.reboot through the real `keel run` over SSH, on two scratch lab hosts.
//
// Lab hosts share this machine's kernel and cannot really reboot (nothing here may ever run a real
// `reboot`). Each host has /usr/local/sbin/lab-reboot instead (test/lab/host.ts, LAB_REBOOT): it
// returns at once, then drops every SSH connection, makes port 22 refuse, writes a new id to
// /run/lab-boot-id and starts sshd again after --downtime seconds (--halt: never). The playbooks
// pass it as Ansible's `reboot_command`, with `boot_time_command: cat /run/lab-boot-id`.
//
// The first test checks the simulation itself, independently of keel (system ssh client, raw TCP,
// nsenter), so the keel tests below rest on a reboot that really looks like one from outside.
// Everything is checked from outside keel: boot ids and files through nsenter (hostExec), sessions
// through /proc in the host. afterAll stops both scratch hosts (sshd of a halted host is started
// again first, to show the host itself is intact).
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import {
  describeLab,
  hostExec,
  keel,
  lab,
  ROOT,
  ssh,
  startScratchHost,
  startSshd,
  stopScratchHost,
  waitForPort,
  type ProcResult,
  type ScratchHost,
} from "./lab.js";

const FIX = join(ROOT, "test/e2e/fixtures/reboot");
const LAB_REBOOT = "/usr/local/sbin/lab-reboot";
/** Seconds the simulated reboot keeps sshd down (lab-reboot --downtime). */
const DOWNTIME = 3;

interface TaskEvent {
  type: string;
  host: string;
  task: { name: string; module: string };
  result: { status: string; changes: { summary: string; data?: unknown }[]; msg?: string; durationMs: number };
}
interface Report {
  check: boolean;
  events: TaskEvent[];
  summary: { failures: { host: string; task?: string; message: string }[] };
}
interface Run extends ProcResult {
  out: string;
  report: Report;
}

let dir = "";
let inventory = "";
let a: ScratchHost;
let b: ScratchHost;
let n = 0;

async function run(fixture: string, ...extra: string[]): Promise<Run> {
  const json = join(dir, `${++n}-${fixture.replace(/\W+/g, "_")}.json`);
  const r = await keel(["run", join(FIX, fixture), "-i", inventory, "--json", json, ...extra]);
  const out = `${r.stdout}\n${r.stderr}`;
  let report: Report;
  try {
    report = JSON.parse(readFileSync(json, "utf8")) as Report;
  } catch {
    throw new Error(`keel wrote no JSON report (exit ${r.code}):\n${out}`);
  }
  return { ...r, out, report };
}

function result(r: Run, host: string, task: string): TaskEvent["result"] {
  const e = r.report.events.find((x) => x.type === "task.result" && x.host === host && x.task.name === task);
  if (!e) throw new Error(`no result for task '${task}' on ${host}:\n${r.out}`);
  return e.result;
}

const bootId = async (h: ScratchHost) => (await hostExec(h, "cat /run/lab-boot-id")).stdout.trim();
const rebootLog = async (h: ScratchHost) => (await hostExec(h, "cat /var/log/lab-reboot.log 2>/dev/null || true")).stdout;
/** Seconds in "rebooted in 4.3 s (boot id changed)". */
const rebootSeconds = (msg: string | undefined) => Number(/^rebooted in (\d+(?:\.\d+)?) s\b/.exec(msg ?? "")?.[1] ?? NaN);

/** An inventory with both scratch hosts (each keeps its host key; one known_hosts for both). */
function writeInventory(vars: (h: ScratchHost) => Record<string, string>): void {
  const knownHosts = join(dir, "known_hosts");
  writeFileSync(knownHosts, [a, b].map((h) => readFileSync(h.knownHosts, "utf8")).join(""));
  const hostLines = [a, b].flatMap((h) => [
    `    ${h.name}:`,
    `      ansible_host: ${h.address}`,
    ...Object.entries(vars(h)).map(([k, v]) => `      ${k}: ${JSON.stringify(v)}`),
  ]);
  writeFileSync(
    inventory,
    [
      "all:",
      "  vars:",
      "    ansible_user: root",
      `    ansible_ssh_private_key_file: ${lab().privateKey}`,
      `    keel_known_hosts: ${knownHosts}`,
      "  hosts:",
      ...hostLines,
      "",
    ].join("\n"),
  );
}

describeLab("system.reboot over SSH (simulated reboot on scratch hosts)", () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "keel-e2e-reboot-"));
    inventory = join(dir, "inventory.yml");
    [a, b] = await Promise.all([startScratchHost(), startScratchHost()]);
    writeInventory(() => ({}));
  });
  afterAll(async () => {
    for (const h of [a, b]) {
      if (!h) continue;
      await startSshd(h).catch(() => {});
      await stopScratchHost(h);
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("lab-reboot looks like a reboot from outside: returns at once, drops sessions, port refuses, new boot id, back after the downtime", async () => {
    const before = await bootId(a);
    expect(before).toMatch(/^[0-9a-f-]{36}$/);
    // An open session, as keel's persistent connection would be.
    const session = new Promise<ProcResult>((resolve) => {
      const t0 = Date.now();
      const args = [
        "-i",
        lab().privateKey,
        "-o",
        "BatchMode=yes",
        "-o",
        `UserKnownHostsFile=${a.knownHosts}`,
        "-o",
        "LogLevel=ERROR",
        `root@${a.address}`,
        "echo open; sleep 60",
      ];
      const child = spawn("ssh", args, { stdio: ["ignore", "pipe", "pipe"] });
      let stdout = "";
      child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
      child.on("close", (code) => resolve({ code: code ?? 1, stdout, stderr: "", ms: Date.now() - t0 }));
    });
    await expect.poll(async () => (await hostExec(a, "ps -eo args | grep -c '^sleep 60$' || true")).stdout.trim(), { timeout: 10_000 }).toBe("1");

    const t0 = Date.now();
    const cmd = await ssh(a, `${LAB_REBOOT} --downtime ${DOWNTIME}; echo rc=$?`);
    expect(cmd.stdout).toBe("rc=0\n"); // returned before the connection it came through dropped
    expect(cmd.ms).toBeLessThan(2000);

    await waitForPort(a.address, 22, 5000, false); // refuses while down
    const downAt = Date.now();
    const s = await session; // the open session was cut (ssh exits 255), long before its `sleep 60`
    expect(s.stdout).toBe("open\n");
    expect(s.code).toBe(255);
    expect(Date.now() - t0).toBeLessThan(5000);
    // The new boot id is there while the host is down (as after a real reboot: it is new once it is back).
    await expect.poll(() => bootId(a), { timeout: 2000 }).not.toBe(before);
    expect(
      await waitForPort(a.address, 22, 500).then(
        () => "open",
        () => "closed",
      ),
    ).toBe("closed");

    await waitForPort(a.address, 22, 15_000); // and is back
    const upAt = Date.now();
    expect(upAt - downAt).toBeGreaterThanOrEqual((DOWNTIME - 0.5) * 1000);
    expect((await ssh(a, "cat /run/lab-boot-id")).stdout.trim()).toBe(await bootId(a));
    expect(await rebootLog(a)).toMatch(/going down \(halt=0, downtime 3 s\)\n.* up \(boot id [0-9a-f-]{36}\)\n$/);
  });

  it("reboots both hosts, waits for the new boot id, and the next task runs over a new connection", async () => {
    const before = { [a.name]: await bootId(a), [b.name]: await bootId(b) };
    const downs = async (h: ScratchHost) => (await rebootLog(h)).match(/going down/g)?.length ?? 0;
    const downsBefore = { [a.name]: await downs(a), [b.name]: await downs(b) };
    const t0 = Date.now();
    const r = await run("reboot.yml", "-e", `downtime=${DOWNTIME}`);
    const wall = (Date.now() - t0) / 1000;
    expect(r.code, r.out).toBe(0);
    expect(r.report.check).toBe(false);
    for (const h of [a, b]) {
      const res = result(r, h.name, "reboot");
      expect(res.status).toBe("changed");
      expect(res.changes.map((c) => c.summary)).toEqual(["reboot"]);
      // pre_reboot_delay (at least 1 s) plus the downtime, and no more than the whole run took
      const secs = rebootSeconds(res.msg);
      expect(secs, res.msg).toBeGreaterThanOrEqual(DOWNTIME);
      expect(secs).toBeLessThanOrEqual(wall);
      expect(res.durationMs).toBeGreaterThanOrEqual(DOWNTIME * 1000);

      const now = await bootId(h);
      expect(now).toMatch(/^[0-9a-f-]{36}$/);
      expect(now).not.toBe(before[h.name]);
      expect(await downs(h)).toBe(downsBefore[h.name]! + 1); // went down exactly once

      expect(result(r, h.name, "file after the reboot").status).toBe("changed");
      expect((await hostExec(h, "cat /root/after-reboot.txt")).stdout).toBe("written after the reboot\n");
      // The shells before and after ran under different sshd sessions, and the first one is gone.
      const pids = (await hostExec(h, "cat /root/keel-session-before /root/keel-session-after")).stdout.trim().split("\n");
      expect(pids).toHaveLength(2);
      expect(pids[0]).not.toBe(pids[1]);
      expect((await hostExec(h, `cat /proc/${pids[0]}/comm 2>/dev/null || echo gone`)).stdout.trim()).toBe("gone");
      expect((await hostExec(h, `cat /proc/${pids[1]}/comm 2>/dev/null || echo gone`)).stdout.trim()).toMatch(/^(sshd|gone)$/);
    }
  });

  it("--check reports the reboot without rebooting", async () => {
    const before = { [a.name]: await bootId(a), [b.name]: await bootId(b) };
    const logs = { [a.name]: await rebootLog(a), [b.name]: await rebootLog(b) };
    const r = await run("reboot.yml", "--check");
    expect(r.code, r.out).toBe(0);
    expect(r.report.check).toBe(true);
    for (const h of [a, b]) {
      const res = result(r, h.name, "reboot");
      expect(res.status).toBe("changed"); // would change (not applied: check mode)
      expect(res.changes).toMatchObject([{ summary: "reboot", field: "reboot" }]);
      expect(res.msg).toBeUndefined();
      expect(res.durationMs).toBeLessThan(DOWNTIME * 1000);
      expect(await bootId(h)).toBe(before[h.name]);
      expect(await rebootLog(h)).toBe(logs[h.name]);
    }
  });

  it("a host that never comes back fails after reboot_timeout (exit 2); the other host finishes", async () => {
    // b's downtime is 1 s, so that with pre_reboot_delay (1 s) it is back well within the 5 s.
    writeInventory((h) => ({ reboot_cmd: h === a ? `${LAB_REBOOT} --halt` : `${LAB_REBOOT} --downtime 1` }));
    await hostExec(a, "rm -f /root/after-reboot.txt");
    await hostExec(b, "rm -f /root/after-reboot.txt");
    const before = { [a.name]: await bootId(a), [b.name]: await bootId(b) };
    const r = await run("reboot-halt.yml");
    expect(r.code, r.out).toBe(2);

    const failed = result(r, a.name, "reboot");
    expect(failed.status).toBe("failed");
    // It waited reboot_timeout, not longer.
    expect(failed.durationMs).toBeGreaterThanOrEqual(5000);
    expect(failed.durationMs).toBeLessThan(8000);
    expect(failed.msg).toMatch(new RegExp(`^host ${a.name} did not come back from reboot within 5 s \\(last: connection refused by ${a.name} `));
    expect(r.report.summary.failures).toEqual([
      expect.objectContaining({ host: a.name, task: "reboot", message: expect.stringContaining("did not come back from reboot within 5 s") }),
    ]);
    expect(r.report.events.some((e) => e.host === a.name && e.task?.name === "file after the reboot")).toBe(false);
    expect(r.out).toContain(`did not come back from reboot within 5 s`);
    // a really went down (new boot id, sshd gone) and stays down; nothing ran after the reboot.
    expect(await bootId(a)).not.toBe(before[a.name]);
    await waitForPort(a.address, 22, 2000, false);
    expect((await hostExec(a, "test -e /root/after-reboot.txt && echo yes || echo no")).stdout.trim()).toBe("no");

    const ok = result(r, b.name, "reboot");
    expect(ok.status).toBe("changed");
    expect(rebootSeconds(ok.msg)).toBeGreaterThanOrEqual(1);
    expect(await bootId(b)).not.toBe(before[b.name]);
    expect(result(r, b.name, "file after the reboot").status).toBe("changed");
    expect((await hostExec(b, "cat /root/after-reboot.txt")).stdout).toBe("written after the reboot\n");

    // Restore a: sshd back, and the host answers over SSH as before.
    await startSshd(a);
    expect((await ssh(a, "hostname")).stdout).toBe(`${a.name}\n`);
  });
});
