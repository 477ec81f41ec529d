// A small catalog and the events of a check-mode run of it, shaped as engine/run emits them, for
// the audit tests. Five hosts: web1 fails two controls, web2 passes everything, web3 is
// unreachable, web4 stops on a failed task, web5 has every task of a control skipped.
import type { KeelEvent, TaskRef, TaskResult } from "../../../../engine/core/events.js";
import { EMPTY_FACTS, type Facts } from "../../../../engine/core/facts.js";
import type { AuditControl } from "../../../../engine/report/audit/model.js";
import { buildAuditReport, type BuildInput } from "../../../../engine/report/audit/build.js";

const CAT = "/repo/roles/hardening";
const ctl = (id: string, severity: AuditControl["severity"], impact: number, line: number, extra: Partial<AuditControl> = {}): AuditControl => ({
  id,
  area: id.split(".")[0],
  title: `title of ${id}`,
  rationale: `why ${id} matters`,
  severity,
  impact,
  references: { cis: [`5.1.${line}`], devsec: [`os-${line}`], nist: ["CM-6"] },
  type: "automated",
  pos: { file: `${CAT}/controls/${id.split(".")[0]}.yml`, line, col: 3 },
  ...extra,
});

export const CONTROLS: AuditControl[] = [
  ctl("ssh.permit-root-login", "high", 0.7, 4),
  ctl("ssh.max-auth-tries", "medium", 0.5, 20),
  ctl("kernel.aslr", "medium", 0.5, 8),
  ctl("fs.tmp-noexec", "low", 0.3, 12, { appliesWhen: { text: "not (facts.container | default(false))" } }),
  ctl("accounts.one-uid0", "critical", 1, 30),
  ctl("firewall.default-deny", "high", 0.7, 40, {
    type: "manual",
    procedure: "Check that the perimeter firewall drops inbound traffic by default.\nRecord the rule set.",
  }),
];

export const CATALOG_IDS = [...CONTROLS.map((c) => c.id), "ssh.banner"];

let n = 0;
const task = (control: string, name: string, module: string, line: number): TaskRef & { control: string } => ({
  id: `p0.t${n++}`,
  name,
  module,
  pos: { file: `${CAT}/tasks/${control.split(".")[0]}.yml`, line, col: 3 },
  play: "harden",
  role: "hardening",
  control,
});

export const TASKS = {
  profile: { ...task("", "select the profile's controls", "hardening.profile", 1), control: "" },
  rootLogin: task("ssh.permit-root-login", "sshd PermitRootLogin", "hardening.sshd_option", 10),
  authTries: task("ssh.max-auth-tries", "sshd MaxAuthTries", "hardening.sshd_option", 20),
  aslr: task("kernel.aslr", "ASLR enabled", "system.sysctl", 5),
  tmp: task("fs.tmp-noexec", "/tmp mounted noexec", "hardening.mount_options", 7),
  uid0: task("accounts.one-uid0", "only root has UID 0", "hardening.check_uid0", 3),
};

export const controlOf = (t: TaskRef): string | undefined =>
  (t as TaskRef & { control?: string }).control || Object.values(TASKS).find((x) => x.id === t.id)?.control || undefined;

const res = (r: Partial<TaskResult>): TaskResult => ({ status: "ok", changes: [], secret: false, durationMs: 3, ...r });
const facts = (h: string, extra: Partial<Facts> = {}): Facts => ({
  ...EMPTY_FACTS,
  os_pretty: "Debian GNU/Linux 12 (bookworm)",
  kernel: "6.1.0",
  arch: "x86_64",
  hostname: h,
  ipv4: "198.18.0.2",
  ...extra,
});
const done = (host: string, rt = 2): KeelEvent => ({
  type: "host.done",
  host,
  stats: { ok: 0, changed: 0, failed: 0, skipped: 0, unknown: 0, unreachable: 0, rescued: 0, ignored: 0 },
  roundTrips: rt,
  durationMs: 300,
});

const allOk = (host: string): KeelEvent[] => [
  { type: "task.result", host, task: TASKS.profile, result: res({ resource: "hardening profile cis" }) },
  { type: "task.result", host, task: TASKS.rootLogin, result: res({ resource: "sshd option PermitRootLogin", reason: "PermitRootLogin is no (sshd -T)" }) },
  { type: "task.result", host, task: TASKS.authTries, result: res({ resource: "sshd option MaxAuthTries", reason: "MaxAuthTries is 4" }) },
  { type: "task.result", host, task: TASKS.aslr, result: res({ resource: "sysctl kernel.randomize_va_space", reason: "kernel.randomize_va_space is 2" }) },
  { type: "task.result", host, task: TASKS.tmp, result: res({ resource: "mount /tmp", reason: "/tmp has noexec" }) },
  { type: "task.result", host, task: TASKS.uid0, result: res({ resource: "accounts with UID 0", reason: "only root has UID 0" }) },
];

export function sampleEvents(): KeelEvent[] {
  const e: KeelEvent[] = [
    { type: "run.start", playbook: "playbooks/harden.yml", check: true, hosts: ["web1", "web2", "web3", "web4", "web5"], time: "2026-12-03T02:00:00.000Z" },
  ];
  for (const h of ["web1", "web2", "web4", "web5"]) e.push({ type: "host.facts", host: h, facts: facts(h, h === "web5" ? { container: true } : {}) });
  const web1 = allOk("web1");
  web1[1] = {
    type: "task.result",
    host: "web1",
    task: TASKS.rootLogin,
    result: res({
      status: "changed",
      resource: "sshd option PermitRootLogin",
      changes: [
        { summary: "PermitRootLogin yes → no", field: "PermitRootLogin", before: "yes", after: "no", source: "/etc/ssh/sshd_config.d/50-cloud.conf:3" },
      ],
    }),
  };
  web1[3] = {
    type: "task.result",
    host: "web1",
    task: TASKS.aslr,
    result: res({
      status: "changed",
      resource: "sysctl kernel.randomize_va_space",
      changes: [{ summary: "kernel.randomize_va_space 0 → 2", field: "value", before: "0", after: "2" }],
    }),
  };
  e.push(...web1, done("web1"));
  e.push(...allOk("web2"), done("web2"));
  e.push({ type: "host.unreachable", host: "web3", failure: "refused", message: "web3 (198.18.0.13:22): connection refused" }, done("web3", 0));
  const web4 = allOk("web4").slice(0, 3);
  web4[2] = {
    type: "task.result",
    host: "web4",
    task: TASKS.authTries,
    result: res({ status: "failed", resource: "sshd option MaxAuthTries", msg: "sshd -T: command not found" }),
  };
  e.push(...web4, done("web4"));
  const web5 = allOk("web5");
  web5[4] = {
    type: "task.result",
    host: "web5",
    task: TASKS.tmp,
    result: res({ status: "skipped", resource: "mount /tmp", msg: "conditional result was False" }),
  };
  web5[5] = {
    type: "task.result",
    host: "web5",
    task: TASKS.uid0,
    result: res({ status: "skipped", resource: "accounts with UID 0", msg: "conditional result was False" }),
  };
  e.push(...web5, done("web5"));
  e.push({ type: "run.done", stats: {}, durationMs: 2500 });
  return e;
}

export const NOW = new Date("2026-12-03T02:00:03.000Z");

export function input(over: Partial<BuildInput> = {}): BuildInput {
  return {
    mode: "audit",
    keelVersion: "0.1.0",
    playbook: "playbooks/harden.yml",
    catalog: { name: "keel-hardening", dir: "roles/hardening" },
    profile: { name: "cis-level1-server", sha256: "a".repeat(64), files: ["roles/hardening/profiles/cis-level1-server.yml"] },
    controls: CONTROLS,
    controlOf,
    applicability: (_h, f, c) =>
      c.appliesWhen && f.container === true ? { applies: false, reason: `applies_when \`${c.appliesWhen.text}\` is false` } : { applies: true, reason: "" },
    baseDir: "/repo",
    now: NOW,
    ...over,
  };
}

export const sampleReport = () => buildAuditReport(sampleEvents(), input());
