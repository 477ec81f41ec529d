// Event streams of check-mode runs, shaped exactly like engine/run emits them, for drift tests.
import type { KeelEvent, TaskRef, TaskResult } from "../../../../engine/core/events.js";
import { EMPTY_FACTS } from "../../../../engine/core/facts.js";

export const task = (line: number, name: string, module: string): TaskRef => ({
  id: `p0.t${line}`,
  name,
  module,
  pos: { file: "/repo/playbooks/baseline.yml", line, col: 7 },
  play: "baseline",
});

const res = (r: Partial<TaskResult>): TaskResult => ({ status: "ok", changes: [], secret: false, durationMs: 3, ...r });

/** web1 drifted (mode + content + secret), web2 in sync, web3 unreachable, web4 a failed task. */
export function sampleEvents(): KeelEvent[] {
  const motd = task(10, "Message of the day", "files.copy");
  const sshd = task(20, "sshd config", "files.template");
  const pw = task(30, "deploy password", "users.user");
  const cmd = task(40, "rebuild index", "system.command");
  const pkg = task(50, "nftables installed", "packages.package");
  const svc = task(60, "restart sshd", "services.service");
  const e: KeelEvent[] = [
    { type: "run.start", playbook: "playbooks/baseline.yml", check: true, hosts: ["web1", "web2", "web3", "web4"], time: "2026-11-26T02:00:00.000Z" },
  ];
  for (const h of ["web1", "web2", "web4"])
    e.push({
      type: "host.facts",
      host: h,
      facts: { ...EMPTY_FACTS, os_pretty: "Debian GNU/Linux 12 (bookworm)", kernel: "6.1.0", arch: "x86_64", hostname: h, ipv4: "198.18.0.2" },
    });
  e.push(
    {
      type: "task.result",
      host: "web1",
      task: motd,
      result: res({
        status: "changed",
        resource: "file /etc/motd",
        changes: [
          { summary: "mode 0644 → 0600", field: "mode", before: "0644", after: "0600" },
          { summary: "content differs", field: "content", diff: { path: "/etc/motd", before: "hello\nold\n", after: "hello\nnew\n" } },
        ],
      }),
    },
    { type: "task.result", host: "web1", task: sshd, result: res({ status: "ok", resource: "file /etc/ssh/sshd_config", reason: "content matches" }) },
    {
      type: "task.result",
      host: "web1",
      task: pw,
      result: res({
        status: "changed",
        resource: "user deploy",
        secret: true,
        changes: [{ summary: "password hash differs", field: "password", before: "$6$a", after: "$6$b" }],
      }),
    },
    {
      type: "task.result",
      host: "web1",
      task: cmd,
      result: res({ status: "unknown", resource: "command: make index", changes: [{ summary: "run: make index", unknown: true }] }),
    },
    {
      type: "task.result",
      host: "web1",
      task: svc,
      result: res({ status: "changed", resource: "service ssh", changes: [{ summary: "service ssh restart", data: { action: true } }] }),
    },
    {
      type: "host.done",
      host: "web1",
      stats: { ok: 2, changed: 2, failed: 0, skipped: 0, unknown: 1, unreachable: 0, rescued: 0, ignored: 0 },
      roundTrips: 2,
      durationMs: 410,
    },
    { type: "task.result", host: "web2", task: motd, result: res({ status: "ok", resource: "file /etc/motd" }) },
    { type: "task.result", host: "web2", task: pkg, result: res({ status: "ok", resource: "package nftables" }) },
    {
      type: "host.done",
      host: "web2",
      stats: { ok: 2, changed: 0, failed: 0, skipped: 0, unknown: 0, unreachable: 0, rescued: 0, ignored: 0 },
      roundTrips: 2,
      durationMs: 300,
    },
    { type: "host.unreachable", host: "web3", failure: "refused", message: "web3 (198.18.0.13:22): connection refused" },
    {
      type: "host.done",
      host: "web3",
      stats: { ok: 0, changed: 0, failed: 0, skipped: 0, unknown: 0, unreachable: 1, rescued: 0, ignored: 0 },
      roundTrips: 0,
      durationMs: 20,
    },
    { type: "task.result", host: "web4", task: pkg, result: res({ status: "failed", resource: "package nftables", msg: "dpkg-query: command not found" }) },
    {
      type: "host.done",
      host: "web4",
      stats: { ok: 0, changed: 0, failed: 1, skipped: 0, unknown: 0, unreachable: 0, rescued: 0, ignored: 0 },
      roundTrips: 2,
      durationMs: 100,
    },
    { type: "run.done", stats: {}, durationMs: 1234 },
  );
  return e;
}
