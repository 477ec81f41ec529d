// The audit result model, scoring, exit codes, waivers (with a clock passed in) and history.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { buildAuditReport } from "../../../../engine/report/audit/build.js";
import { auditVerdict } from "../../../../engine/report/audit/score.js";
import { applyWaivers, loadWaivers, parseExpiry } from "../../../../engine/report/audit/waivers.js";
import { compareAudit } from "../../../../engine/report/audit/history.js";
import { renderAuditText } from "../../../../engine/report/audit/text.js";
import { InputError } from "../../../../engine/core/errors.js";
import type { AuditReport, ControlResult } from "../../../../engine/report/audit/model.js";
import { CATALOG_IDS, CONTROLS, NOW, TASKS, input, sampleEvents, sampleReport } from "./fixture.js";

/** The sample run restricted to some hosts (as if the inventory had only those). */
const only = (...hosts: string[]) =>
  sampleEvents()
    .filter((e) => !("host" in e) || hosts.includes(e.host))
    .map((e) => (e.type === "run.start" ? { ...e, hosts } : e));
const result = (r: AuditReport, host: string, control: string): ControlResult =>
  r.hosts.find((h) => h.host === host)!.results.find((x) => x.control === control)!;
const statuses = (r: AuditReport, host: string) => Object.fromEntries(r.hosts.find((h) => h.host === host)!.results.map((x) => [x.control, x.status]));

const tmp = mkdtempSync(join(tmpdir(), "keel-audit-unit-"));
let nf = 0;
function waiverFile(text: string): string {
  const f = join(tmp, `waivers-${++nf}.yml`);
  writeFileSync(f, text);
  return f;
}
const glob = (pattern: string) => {
  const re = new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, "\\$&")
      .replace(/\*/g, ".*")
      .replace(/\?/g, ".")}$`,
  );
  return ["web1", "web2", "web3", "web4", "web5"].filter((h) => pattern === "all" || re.test(h));
};

describe("result model", () => {
  const r = sampleReport();

  it("judges every host × control of the profile", () => {
    expect(r.hosts.map((h) => h.host)).toEqual(["web1", "web2", "web3", "web4", "web5"]);
    for (const h of r.hosts) expect(h.results.map((x) => x.control)).toEqual(CONTROLS.map((c) => c.id));
    expect(statuses(r, "web1")).toEqual({
      "ssh.permit-root-login": "fail",
      "ssh.max-auth-tries": "pass",
      "kernel.aslr": "fail",
      "fs.tmp-noexec": "pass",
      "accounts.one-uid0": "pass",
      "firewall.default-deny": "manual",
    });
    expect(
      Object.values(statuses(r, "web2"))
        .filter((s) => s !== "manual")
        .every((s) => s === "pass"),
    ).toBe(true);
  });

  it("a failure carries observed, expected and where it was read", () => {
    const x = result(r, "web1", "ssh.permit-root-login");
    expect(x.reason).toBe("PermitRootLogin yes → no");
    expect(x.evidence).toHaveLength(1);
    expect(x.evidence[0]).toMatchObject({ task: "sshd PermitRootLogin", file: "roles/hardening/tasks/ssh.yml", line: 10, result: "changed" });
    expect(x.evidence[0]!.changes[0]).toEqual({
      summary: "PermitRootLogin yes → no",
      field: "PermitRootLogin",
      observed: "yes",
      expected: "no",
      read_from: "/etc/ssh/sshd_config.d/50-cloud.conf:3",
    });
    // Without a source from the module, the resource says what was read.
    expect(result(r, "web1", "kernel.aslr").evidence[0]!.changes[0]!.read_from).toBe("sysctl kernel.randomize_va_space");
    // A pass has evidence too: what was found.
    expect(result(r, "web1", "ssh.max-auth-tries")).toMatchObject({ status: "pass", reason: "MaxAuthTries is 4" });
  });

  it("a skip is never a pass; an unreachable host passes nothing", () => {
    expect(result(r, "web5", "accounts.one-uid0")).toMatchObject({ status: "unknown", reason: expect.stringContaining("every task was skipped") });
    expect(result(r, "web5", "fs.tmp-noexec")).toMatchObject({
      status: "not_applicable",
      reason: "applies_when `not (facts.container | default(false))` is false",
    });
    const web3 = r.hosts.find((h) => h.host === "web3")!;
    expect(web3.state).toBe("unreachable");
    expect(web3.results.filter((x) => x.status === "pass")).toEqual([]);
    expect(result(r, "web3", "kernel.aslr")).toMatchObject({ status: "unknown", reason: expect.stringContaining("host unreachable") });
    expect(web3.score).toEqual({ with_waivers: null, without_waivers: null });
  });

  it("a failed task is an error, and what the stopped host never reached is not checked", () => {
    const web4 = r.hosts.find((h) => h.host === "web4")!;
    expect(web4.state).toBe("failed");
    expect(result(r, "web4", "ssh.max-auth-tries")).toMatchObject({ status: "error", reason: expect.stringContaining("sshd -T: command not found") });
    expect(result(r, "web4", "kernel.aslr")).toMatchObject({
      status: "error",
      reason: expect.stringContaining("not checked: the host stopped at sshd MaxAuthTries"),
    });
    expect(result(r, "web4", "ssh.permit-root-login").status).toBe("pass");
  });

  it("a carried failure after a difference of the same control is a failure on that evidence; otherwise an error", () => {
    // audit.auditd-enabled on a fresh host: the package task finds auditd missing, the service task
    // (ignore_errors in check mode) cannot find the service. Without the difference before it, or
    // without ignore_errors, the same failure stays an error.
    const pkg = { ...TASKS.aslr, id: "p0.pkg", name: "auditd installed", module: "packages.package" };
    const svc = { ...TASKS.aslr, id: "p0.svc", name: "auditd enabled at boot", module: "services.service", pos: { ...TASKS.aslr.pos, line: 9 } };
    const run = (first: "changed" | "ok", ignored: boolean) => {
      const ev = only("web2").filter((e) => !(e.type === "task.result" && e.task.id === TASKS.aslr.id));
      const at = ev.findIndex((e) => e.type === "host.done");
      ev.splice(
        at,
        0,
        {
          type: "task.result",
          host: "web2",
          task: pkg,
          result: {
            status: first,
            resource: "package auditd",
            changes: first === "changed" ? [{ summary: "package auditd missing", field: "state", before: "absent", after: "present" }] : [],
            secret: false,
            durationMs: 1,
          },
        },
        {
          type: "task.result",
          host: "web2",
          task: svc,
          result: {
            status: "failed",
            resource: "service auditd",
            msg: "service auditd not found: no /etc/init.d/auditd",
            changes: [],
            secret: false,
            durationMs: 1,
            ...(ignored ? { ignored: true } : {}),
          },
        },
      );
      return result(buildAuditReport(ev, input()), "web2", "kernel.aslr");
    };
    const carried = run("changed", true);
    expect(carried).toMatchObject({
      status: "fail",
      reason: expect.stringContaining("package auditd missing; auditd enabled at boot cannot be checked until that is fixed (service auditd not found"),
    });
    expect(carried.evidence.flatMap((e) => e.changes)[0]).toMatchObject({ observed: "absent", expected: "present" });
    expect(run("ok", true).status).toBe("error");
    expect(run("changed", false).status).toBe("error");
  });

  it("a check that found nothing to judge (no file matches) is not applicable, never a pass", () => {
    const ev = only("web2").map((e) =>
      e.type === "task.result" && e.task.id === TASKS.aslr.id
        ? { ...e, result: { ...e.result, reason: "not applicable: no path matches /etc/crontab, nothing to check" } }
        : e,
    );
    expect(result(buildAuditReport(ev, input()), "web2", "kernel.aslr")).toMatchObject({
      status: "not_applicable",
      reason: "no path matches /etc/crontab, nothing to check",
    });
  });

  it("manual controls carry their procedure; applicability that cannot be evaluated is an error", () => {
    expect(result(r, "web2", "firewall.default-deny")).toMatchObject({
      status: "manual",
      reason: "manual check: Check that the perimeter firewall drops inbound traffic by default.",
    });
    const bad = buildAuditReport(
      sampleEvents(),
      input({
        applicability: (_h, _f, c) => {
          if (c.id === "kernel.aslr") throw new Error("undefined variable 'nope'");
          return { applies: true, reason: "" };
        },
      }),
    );
    expect(result(bad, "web2", "kernel.aslr")).toMatchObject({ status: "error", reason: expect.stringContaining("undefined variable 'nope'") });
  });

  it("counts and identity", () => {
    expect(r.summary).toMatchObject({ hosts: 5, checked: 3, unreachable: 1, failed_hosts: 1, controls: 6 });
    expect(r.summary.counts).toEqual({ pass: 12, fail: 2, not_applicable: 1, manual: 5, error: 4, unknown: 6, waived: 0 });
    expect(r).toMatchObject({
      schema_version: 1,
      kind: "keel.audit",
      mode: "audit",
      keel_version: "0.1.0",
      started_at: "2026-12-03T02:00:00.000Z",
      finished_at: "2026-12-03T02:00:02.500Z",
      waivers: null,
    });
    expect(r.controls[0]).toMatchObject({ id: "ssh.permit-root-login", file: "roles/hardening/controls/ssh.yml", line: 4 });
  });
});

describe("scoring", () => {
  const r = sampleReport();
  it("weights by impact; n/a and manual are not scored; unreachable hosts have no score", () => {
    // web1: pass 0.5 + 0.3 + 1.0 = 1.8 of 0.7 + 0.5 + 0.5 + 0.3 + 1.0 = 3.0 → 60
    expect(r.hosts.find((h) => h.host === "web1")!.score).toEqual({ with_waivers: 60, without_waivers: 60 });
    expect(r.hosts.find((h) => h.host === "web2")!.score).toEqual({ with_waivers: 100, without_waivers: 100 });
    // web5: tmp not applicable (0.3 out), uid0 unknown: 1.7 of 2.7 → 63.0
    expect(r.hosts.find((h) => h.host === "web5")!.score.with_waivers).toBe(63);
    // fleet over web1, web2, web4 (0.7 of 3.0), web5: (1.8 + 3.0 + 0.7 + 1.7) / (3 + 3 + 3 + 2.7) = 7.2 / 11.7
    expect(r.summary.score.with_waivers).toBe(61.5);
  });

  it("exit codes: 1 on errors or unreachable, 2 with --allow-unreachable, 2 on failure, 0 when clean", () => {
    expect(auditVerdict(r, { allowUnreachable: false }).code).toBe(1);
    const v = auditVerdict(r, { allowUnreachable: true });
    expect(v.code).toBe(2);
    expect(v.reasons.join("\n")).toContain("1 host unreachable: web3");
    const clean = buildAuditReport(only("web2"), input());
    expect(clean.summary.counts).toMatchObject({ pass: 5, manual: 1, fail: 0 });
    expect(auditVerdict(clean, { allowUnreachable: false })).toEqual({ code: 0, reasons: [] });
    expect(auditVerdict(clean, { allowUnreachable: false, failUnder: 100 }).code).toBe(0);
    const web1 = buildAuditReport(only("web1"), input());
    expect(auditVerdict(web1, { allowUnreachable: false }).code).toBe(2);
    expect(auditVerdict(web1, { allowUnreachable: false, failUnder: 50 }).reasons).not.toContain("under");
    expect(auditVerdict(web1, { allowUnreachable: false, failUnder: 61 }).reasons.at(-1)).toBe("fleet score 60 is under --fail-under 61");
  });
});

describe("waivers", () => {
  const WAIVERS = `waivers:
  - control: ssh.permit-root-login
    hosts: "web1"
    justification: break-glass access, SEC-1234
    approver: alice@example.com
    expires: 2026-12-31
  - control: kernel.aslr
    hosts: "web*"
    justification: legacy binary needs fixed addresses
    approver: bob@example.com
    expires: 2026-12-02
  - control: accounts.one-uid0
    justification: toor account for recovery
    approver: carol
    expires: 2027-06-30T12:00:00Z
`;
  const load = (text: string) => loadWaivers(waiverFile(text), CATALOG_IDS, glob);

  it("a valid waiver turns a failure into waived, still shown and still checked", () => {
    const wf = load(WAIVERS);
    expect(wf.sha256).toMatch(/^[0-9a-f]{64}$/);
    const r = applyWaivers(sampleReport(), wf, NOW);
    const x = result(r, "web1", "ssh.permit-root-login");
    expect(x).toMatchObject({
      status: "waived",
      checked: "fail",
      reason: "PermitRootLogin yes → no",
      waiver: { state: "valid", approver: "alice@example.com", expires: "2026-12-31" },
    });
    expect(x.evidence[0]!.changes[0]!.observed).toBe("yes");
    expect(renderAuditText(r, { color: false, details: false })).toContain(
      "waived by alice@example.com, until 2026-12-31: break-glass access, SEC-1234; found: fail",
    );
    // With waivers web1 scores the waived 0.7 as passing; without, it does not.
    expect(r.hosts.find((h) => h.host === "web1")!.score).toEqual({ with_waivers: 83.3, without_waivers: 60 });
  });

  it("an expired waiver is a failure that names it; a waiver over a pass is unneeded", () => {
    const r = applyWaivers(sampleReport(), load(WAIVERS), NOW);
    const x = result(r, "web1", "kernel.aslr");
    expect(x.status).toBe("fail");
    expect(x.waiver).toMatchObject({ state: "expired", approver: "bob@example.com" });
    expect(x.reason).toMatch(/^waiver expired on 2026-12-02 \(approved by bob@example.com, .*waivers-\d+\.yml:7\): kernel.aslr|^waiver expired on 2026-12-02/);
    // web4 never reached kernel.aslr: an error stays an error under an expired waiver.
    expect(result(r, "web4", "kernel.aslr")).toMatchObject({ status: "error", waiver: { state: "expired" } });
    expect(r.summary.expired_waivers).toBe(2);
    expect(result(r, "web2", "kernel.aslr").waiver?.state).toBe("unneeded");
    expect(result(r, "web2", "kernel.aslr").status).toBe("pass");
    // The unknown uid0 result on web5 is waived (valid until 2027-06-30 12:00 UTC).
    expect(result(r, "web5", "accounts.one-uid0")).toMatchObject({ status: "waived", checked: "unknown" });
    // Unreachable hosts are never waived.
    expect(result(r, "web3", "accounts.one-uid0").status).toBe("unknown");
  });

  it("expiry is judged against the clock passed in: valid through the expiry day (UTC)", () => {
    const wf = load(WAIVERS);
    const at = (iso: string) => result(applyWaivers(sampleReport(), wf, new Date(iso)), "web1", "ssh.permit-root-login");
    expect(at("2026-12-31T23:59:59.999Z").status).toBe("waived");
    expect(at("2027-01-01T00:00:00.000Z")).toMatchObject({ status: "fail", waiver: { state: "expired" } });
    expect(parseExpiry("2027-02-30")).toBeUndefined();
    expect(parseExpiry("2027-06-30T12:00:00Z")?.toISOString()).toBe("2027-06-30T12:00:00.000Z");
    // With the only failure on web1 waived and the fleet otherwise clean, the audit passes.
    const web12 = buildAuditReport(only("web1", "web2"), input({ controls: CONTROLS.filter((c) => c.id !== "kernel.aslr") }));
    expect(auditVerdict(applyWaivers(web12, wf, NOW), { allowUnreachable: false }).code).toBe(0);
    expect(auditVerdict(applyWaivers(web12, wf, new Date("2027-01-01T00:00:00Z")), { allowUnreachable: false }).code).toBe(2);
  });

  it("bad waivers are input errors at file:line:col, before any host", () => {
    const err = (text: string): InputError => {
      try {
        load(text);
      } catch (e) {
        return e as InputError;
      }
      throw new Error("no error");
    };
    const unknown = err("waivers:\n  - control: ssh.permit-rot-login\n    justification: x\n    approver: y\n    expires: 2027-01-01\n");
    expect(unknown).toBeInstanceOf(InputError);
    expect(unknown.pos).toMatchObject({ line: 2, col: 14 });
    expect(unknown.format()).toContain("unknown control 'ssh.permit-rot-login' in a waiver, did you mean 'ssh.permit-root-login'?");
    // Without a near name, the hint names a flag `keel audit` really has (it said --list-controls).
    const far = err("waivers:\n  - control: zz.nothing-like-it\n    justification: x\n    approver: y\n    expires: 2027-01-01\n").format();
    expect(far).toContain("keel audit PROFILE --list");
    expect(far).not.toContain("--list-controls");
    expect(err("waivers:\n  - control: ssh.banner\n    justification: x\n    approver: y\n    expires: 2027-13-01\n").format()).toMatch(
      /:5:14: waiver expiry '2027-13-01' is not a date/,
    );
    expect(err("waivers:\n  - control: ssh.banner\n    justification: x\n    expires: 2027-01-01\n").format()).toMatch(/:2:5: waiver without 'approver'/);
    expect(err("waivers:\n  - control: ssh.banner\n    justfication: x\n").format()).toContain("did you mean 'justification'?");
    expect(err("- control: ssh.banner\n").message).toContain("`waivers:`");
  });
});

describe("history", () => {
  it("marks failures new or persisting and lists resolved ones", () => {
    const r = compareAudit(
      sampleReport(),
      [
        { host: "web1", control: "ssh.permit-root-login", firstSeen: "2026-11-01T02:00:00.000Z" },
        { host: "web2", control: "kernel.aslr", firstSeen: "2026-11-20T02:00:00.000Z" },
        { host: "web3", control: "kernel.aslr", firstSeen: "2026-11-20T02:00:00.000Z" },
      ],
      { run_id: 7, generated_at: "2026-12-02T02:00:00.000Z" },
    );
    expect(result(r, "web1", "ssh.permit-root-login")).toMatchObject({ compare: "persisting", since: "2026-11-01T02:00:00.000Z" });
    expect(result(r, "web1", "kernel.aslr")).toMatchObject({ compare: "new", since: r.started_at });
    expect(r.hosts.find((h) => h.host === "web2")!.resolved).toEqual([{ control: "kernel.aslr", since: "2026-11-20T02:00:00.000Z" }]);
    // web3 was not reached: nothing of it is resolved.
    expect(r.hosts.find((h) => h.host === "web3")!.resolved).toEqual([]);
    expect(r.summary).toMatchObject({ new_failures: 1, persisting_failures: 1, resolved_failures: 1 });
    expect(r.compared_with).toEqual({ run_id: 7, generated_at: "2026-12-02T02:00:00.000Z" });
  });
});

describe("remediation mode", () => {
  it("a changed task in a real run is a control fixed: before fail, now pass, with what changed", () => {
    const events = only("web1");
    const r = buildAuditReport(events, input({ mode: "remediation" }));
    expect(result(r, "web1", "ssh.permit-root-login")).toMatchObject({ status: "pass", before: "fail", reason: "fixed: PermitRootLogin yes → no" });
    expect(result(r, "web1", "ssh.max-auth-tries")).toMatchObject({ status: "pass", before: "pass" });
    expect(r.mode).toBe("remediation");
    expect(TASKS.rootLogin.control).toBe("ssh.permit-root-login");
  });
});
