// keel audit end to end, on two SCRATCH lab hosts over real SSH (issue 14): a fresh host fails with
// evidence for each failing control → the hardening playbook fixes it (remediation report) and the
// audit passes (exit 0) → tampering one control fails exactly that control on exactly that host →
// a waiver turns it to waived (exit 0), an expired one back to a failure → an unreachable host is
// exit 1, or 2 with --allow-unreachable → a signed report verifies, and fails when edited. Every
// audit is bracketed by fingerprints of the hosts (files, modes, owners, mtimes, live sysctls):
// nothing may change. Scratch hosts, because hardening changes the host; lab01..04 belong to others.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { Ajv } from "ajv";
import addFormatsModule from "ajv-formats";
import AjvDraft04Module from "ajv-draft-04";
import { describeLab, hostExec, keel, lab, ROOT, startScratchHost, startSshd, stopScratchHost, stopSshd, type ScratchHost } from "./lab.js";
import type { AuditReport, ControlResult } from "../../engine/report/audit/model.js";

const tmp = mkdtempSync(join(tmpdir(), "keel-audit-e2e-"));
const HISTORY = join(tmp, "audit.sqlite");
// Lab hosts share the machine's kernel and their /proc/sys is read-only (only net.* is theirs): kernel-wide
// sysctls are persisted only there, and reported "takes effect at next boot" (on a real host they are set live).
const LAB_KERNEL = ["-e", "hardening_sysctl_kernel_live=false"];
// The hardening cycle (fresh → hardened → tampered) runs on a fixed set of controls, so that it
// tests the audit and not the convergence of every control of a growing catalog (the hardening
// role's own tests do that); the whole shipped profile is audited read-only on the fresh hosts.
const CONTROLS = ["kernel.aslr", "kernel.ptrace-scope", "network.ip-forward", "network.tcp-syncookies", "permissions.etc-passwd", "permissions.etc-shadow"];
const PROFILE = join(tmp, "audit-e2e.yml");
writeFileSync(PROFILE, `profile: audit-e2e\ntitle: the controls of keel audit's end-to-end test\nselect: [${CONTROLS.join(", ")}]\n`);
const addFormats = addFormatsModule as unknown as (a: Ajv) => void;
const ajv = new Ajv({ strict: false });
addFormats(ajv);
const validateReport = ajv.compile(JSON.parse(readFileSync(join(ROOT, "schemas/audit-report.schema.json"), "utf8")));
const Ajv04 = AjvDraft04Module as unknown as typeof Ajv;
const ajv04 = new Ajv04({ strict: false });
addFormats(ajv04);
const validateSarif = ajv04.compile(JSON.parse(readFileSync(join(ROOT, "test/fixtures/sarif/sarif-schema-2.1.0.json"), "utf8")));

/** Everything an audit could touch, read on the host itself (not over keel's SSH). */
async function fingerprint(h: ScratchHost): Promise<string> {
  const r = await hostExec(
    h,
    "find /etc /root /tmp /var/tmp /var/lib /usr/local /opt -xdev -printf '%p %y %m %u %g %s %T@\\n' 2>/dev/null | sort | sha256sum; " +
      "find /etc /root /usr/local -xdev -type f -exec sha256sum {} + 2>/dev/null | sort | sha256sum; " +
      "sysctl -a 2>/dev/null | grep -v -e '^net.netfilter.nf_conntrack_count' -e 'stable_secret' | grep '^net\\.' | sort | sha256sum",
  );
  expect(r.stdout.match(/^[0-9a-f]{64}  -$/gm), `fingerprint of ${h.name}: ${r.stderr}`).toHaveLength(3);
  return r.stdout;
}

describeLab("keel audit on scratch hosts", () => {
  let s1: ScratchHost;
  let s2: ScratchHost;
  let inventory: string;
  let n = 0;

  /** keel audit with the scratch inventory; the JSON report (schema-checked) and the exit code; fingerprints before and after. */
  async function audit(extra: string[] = [], opts: { checkUnchanged?: boolean } = {}) {
    const file = join(tmp, `audit-${++n}.json`);
    const before = await Promise.all([s1, s2].map(fingerprint));
    const profile = extra[0] === "--shipped" ? [] : [PROFILE];
    const args = extra[0] === "--shipped" ? extra.slice(1) : extra;
    const r = await keel(["audit", ...profile, "-i", inventory, ...LAB_KERNEL, "--history", HISTORY, "-o", `json:${file}`, ...args]);
    const after = await Promise.all([s1, s2].map(fingerprint));
    if (opts.checkUnchanged !== false) expect(after, "an audit changed a host").toEqual(before);
    const report = existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as AuditReport) : (undefined as never);
    if (report) expect(validateReport(report), JSON.stringify(validateReport.errors)).toBe(true);
    return { ...r, report, file };
  }
  const res = (r: AuditReport, host: string, control: string): ControlResult =>
    r.hosts.find((h) => h.host === host)!.results.find((x) => x.control === control)!;
  const nonPassing = (r: AuditReport) =>
    r.hosts.flatMap((h) => h.results.filter((x) => !["pass", "not_applicable", "manual"].includes(x.status)).map((x) => `${h.host} ${x.control} ${x.status}`));

  beforeAll(async () => {
    [s1, s2] = [await startScratchHost(), await startScratchHost()];
    const st = lab();
    const known = join(tmp, "known_hosts");
    writeFileSync(known, [s1, s2].map((h) => `${h.name},${h.address} ${h.hostKey}\n`).join(""));
    inventory = join(tmp, "inventory.yml");
    writeFileSync(
      inventory,
      `all:\n  vars:\n    ansible_user: root\n    ansible_ssh_private_key_file: ${st.privateKey}\n    keel_known_hosts: ${known}\n  hosts:\n` +
        [s1, s2].map((h) => `    ${h.name}:\n      ansible_host: ${h.address}\n`).join(""),
    );
  }, 300_000);

  afterAll(async () => {
    for (const h of [s1, s2]) if (h) await stopScratchHost(h);
  });

  it("the shipped profile on a fresh host: failures with evidence for each, 2 round trips, nothing changed", async () => {
    const a = await audit([
      "--shipped",
      "-o",
      `sarif:${tmp}/fresh.sarif`,
      "-o",
      `junit:${tmp}/fresh.xml`,
      "-o",
      `${tmp}/fresh.html`,
      "-o",
      `markdown:${tmp}/fresh.md`,
    ]);
    // 2: failures. A fresh host lacks things (auditd, AIDE…): that is evidence of failure, never an error.
    expect(a.code, a.stdout + a.stderr).toBe(2);
    expect(a.report.summary.counts.error).toBe(0);
    const failing = a.report.hosts.flatMap((h) => h.results.filter((x) => x.status === "fail"));
    expect(failing.length).toBeGreaterThan(0);
    for (const x of failing) {
      const changes = x.evidence.flatMap((e) => e.changes);
      expect(changes.length, `${x.control}: no evidence`).toBeGreaterThan(0);
      for (const ch of changes) {
        expect(ch.read_from, x.control).toBeTruthy();
        expect(ch.observed !== undefined || ch.expected !== undefined || ch.diff !== undefined || ch.summary.length > 0, `${x.control}: ${ch.summary}`).toBe(
          true,
        );
      }
    }
    // Both fresh hosts fail the same controls.
    const ids = (h: string) =>
      a.report.hosts
        .find((x) => x.host === h)!
        .results.filter((x) => x.status === "fail")
        .map((x) => x.control);
    expect(ids(s1.name)).toEqual(ids(s2.name));
    for (const h of a.report.hosts) {
      expect(h.state).toBe("checked");
      expect(h.round_trips, `${h.host} round trips after connecting`).toBeLessThanOrEqual(2);
      expect(h.platform?.os).toContain("Debian");
    }
    expect(a.report).toMatchObject({ mode: "audit", profile: { name: "cis-level1-server" }, keel_version: expect.any(String) });
    const sarif = JSON.parse(readFileSync(`${tmp}/fresh.sarif`, "utf8"));
    expect(validateSarif(sarif), JSON.stringify(validateSarif.errors)).toBe(true);
    expect(sarif.runs[0].results.length).toBe(failing.length);
    const lint = spawnSync("xmllint", ["--noout", "--schema", join(ROOT, "test/fixtures/junit/junit.xsd"), `${tmp}/fresh.xml`], { encoding: "utf8" });
    expect(lint.status, lint.stderr).toBe(0);
    expect(readFileSync(`${tmp}/fresh.md`, "utf8")).toContain("### ❌ keel audit: cis-level1-server");
  }, 300_000);

  it("a profile file on a fresh host: exit 2, its controls only", async () => {
    const a = await audit();
    expect(a.code, a.stdout + a.stderr).toBe(2);
    expect(a.report.controls.map((c) => c.id)).toEqual(CONTROLS);
    expect(a.report.profile).toMatchObject({ name: "audit-e2e", files: [PROFILE] });
  }, 300_000);

  it("after the hardening playbook the audit passes; the run's remediation report shows before and after", async () => {
    const rem = join(tmp, "remediation.json");
    const before = await fingerprint(s1);
    const run = await keel(["run", "playbooks/harden.yml", "-i", inventory, "-e", `profile=${PROFILE}`, ...LAB_KERNEL, "--audit-report", `json:${rem}`]);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    // The fingerprint sees what hardening changed (so an audit that changed anything would show).
    expect(await fingerprint(s1)).not.toEqual(before);
    const r = JSON.parse(readFileSync(rem, "utf8")) as AuditReport;
    expect(validateReport(r), JSON.stringify(validateReport.errors)).toBe(true);
    expect(r.mode).toBe("remediation");
    const fixed = r.hosts.flatMap((h) => h.results.filter((x) => x.before === "fail" && x.status === "pass"));
    expect(fixed.length).toBeGreaterThan(0);
    expect(r.hosts.flatMap((h) => h.results.filter((x) => x.status === "fail" || x.status === "error"))).toEqual([]);

    const a = await audit();
    expect(a.code, a.stdout + a.stderr).toBe(0);
    expect(nonPassing(a.report)).toEqual([]);
    expect(a.report.summary.score.with_waivers).toBe(100);
  }, 300_000);

  it("tampering with one control fails exactly that control on exactly that host", async () => {
    expect((await hostExec(s2, "chmod 0666 /etc/passwd")).code).toBe(0);
    const a = await audit(["--compare", "last"]);
    expect(a.code, a.stdout + a.stderr).toBe(2);
    expect(nonPassing(a.report)).toEqual([`${s2.name} permissions.etc-passwd fail`]);
    const x = res(a.report, s2.name, "permissions.etc-passwd");
    expect(x.compare).toBe("new");
    // Whatever module checks it (files.file: field mode; a permissions check: "0666 root:root"),
    // the evidence holds the mode found and the mode required.
    const ch = x.evidence.flatMap((e) => e.changes).find((c) => String(c.observed).includes("0666"));
    expect(ch, JSON.stringify(x.evidence)).toBeDefined();
    expect(String(ch!.expected)).toContain("0644");
    expect(a.stdout).toContain("permissions.etc-passwd");
  }, 300_000);

  it("a waiver turns it to waived (exit 0); expired, it is a failure again; a bad waiver is an input error", async () => {
    const w = (expires: string, control = "permissions.etc-passwd") => {
      const f = join(tmp, `waivers-${expires}.yml`);
      writeFileSync(
        f,
        `waivers:\n  - control: ${control}\n    hosts: ${s2.name}\n    justification: vendor tool rewrites passwd (VEND-42)\n    approver: alice@example.com\n    expires: ${expires}\n`,
      );
      return f;
    };
    const valid = await audit(["-w", w("2099-12-31")]);
    expect(valid.code, valid.stdout + valid.stderr).toBe(0);
    expect(res(valid.report, s2.name, "permissions.etc-passwd")).toMatchObject({
      status: "waived",
      checked: "fail",
      waiver: { state: "valid", approver: "alice@example.com", expires: "2099-12-31" },
    });
    expect(valid.stdout).toContain("waived by alice@example.com, until 2099-12-31");
    expect(valid.report.waivers?.sha256).toMatch(/^[0-9a-f]{64}$/);

    const expired = await audit(["-w", w("2020-01-31")]);
    expect(expired.code, expired.stdout + expired.stderr).toBe(2);
    expect(res(expired.report, s2.name, "permissions.etc-passwd")).toMatchObject({ status: "fail", waiver: { state: "expired" } });
    expect(expired.stdout).toContain("waiver EXPIRED on 2020-01-31");

    const bad = await keel(["audit", PROFILE, "-i", inventory, "--no-history", "-w", w("2099-01-01", "permissions.etc-paswd")]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/waivers-2099-01-01\.yml:2:14: unknown control 'permissions.etc-paswd' in a waiver, did you mean 'permissions.etc-passwd'\?/);
    expect(bad.stderr).not.toContain("auditing");
  }, 300_000);

  it("a signed report verifies, names its signer, and fails when edited or checked with another key", async () => {
    const key = join(tmp, "audit.key");
    const other = join(tmp, "other.key");
    expect((await keel(["report", "keygen", "--out", key, "--comment", "security@example.com"])).code).toBe(0);
    expect((await keel(["report", "keygen", "--out", other])).code).toBe(0);
    const signedHtml = join(tmp, "signed.html");
    const signedSarif = join(tmp, "signed.sarif");
    const a = await audit(["--sign", key, "--signer", "nightly CI", "-o", signedHtml, "-o", `sarif:${signedSarif}`]);
    expect(a.code).toBe(2);
    const ok = await keel(["report", "verify", a.file, "--sig", `${a.file}.sig`, "--key", `${key}.pub`]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/signed by\s+nightly CI \(key SHA256:/);
    expect(ok.stdout).toContain("profile audit-e2e");
    // Every format is signed: keel verifies the HTML and SARIF files, and so does openssl alone.
    for (const f of [signedHtml, signedSarif]) {
      const v = await keel(["report", "verify", f, "--sig", `${f}.sig`, "--key", `${key}.pub`]);
      expect(v.code, v.stderr).toBe(0);
      expect(v.stdout).toContain("profile audit-e2e");
      const raw = join(tmp, "raw.sig");
      writeFileSync(raw, Buffer.from((JSON.parse(readFileSync(`${f}.sig`, "utf8")) as { report_signature: string }).report_signature, "base64"));
      const os = spawnSync("openssl", ["pkeyutl", "-verify", "-pubin", "-inkey", `${key}.pub.pem`, "-rawin", "-in", f, "-sigfile", raw], { encoding: "utf8" });
      expect(os.status, os.stdout + os.stderr).toBe(0);
    }
    writeFileSync(signedHtml, readFileSync(signedHtml, "utf8").replace("audit-e2e", "audit-e3e"));
    expect((await keel(["report", "verify", signedHtml, "--sig", `${signedHtml}.sig`, "--key", `${key}.pub`])).code).toBe(1);
    const html = join(tmp, "verified.html");
    const render = await keel(["report", "render", a.file, "--sig", `${a.file}.sig`, "--key", `${key}.pub`, "-o", html, "--format", "markdown"]);
    expect(render.code, render.stderr).toBe(0);
    expect(readFileSync(html, "utf8")).toContain("Signature verified: signed by <b>nightly CI</b>");
    expect((await keel(["report", "verify", a.file, "--sig", `${a.file}.sig`, "--key", `${other}.pub`])).code).toBe(1);
    writeFileSync(a.file, readFileSync(a.file, "utf8").replace('"status": "fail"', '"status": "pass"'));
    const edited = await keel(["report", "verify", a.file, "--sig", `${a.file}.sig`, "--key", `${key}.pub`]);
    expect(edited.code).toBe(1);
    expect(edited.stderr).toContain("NOT VERIFIED");
    const refused = await keel(["report", "render", a.file, "--sig", `${a.file}.sig`, "--key", `${key}.pub`, "-o", join(tmp, "x.html")]);
    expect(refused.code).toBe(1);
    expect(existsSync(join(tmp, "x.html"))).toBe(false);
  }, 300_000);

  it("an unreachable host is exit 1, or 2 with --allow-unreachable; a fixed control is resolved", async () => {
    expect((await hostExec(s2, "chmod 0644 /etc/passwd")).code).toBe(0);
    const fixed = await audit(["--compare", "last"]);
    expect(fixed.code).toBe(0);
    expect(fixed.report.hosts.find((h) => h.host === s2.name)!.resolved.map((x) => x.control)).toEqual(["permissions.etc-passwd"]);
    await stopSshd(s1);
    try {
      const down = await audit();
      expect(down.code, down.stdout + down.stderr).toBe(1);
      expect(down.report.hosts.find((h) => h.host === s1.name)).toMatchObject({ state: "unreachable" });
      expect(down.stderr).toContain(`1 host unreachable: ${s1.name}`);
      const allowed = await audit(["--allow-unreachable"]);
      expect(allowed.code).toBe(2);
      expect(allowed.report.hosts.find((h) => h.host === s1.name)!.results.some((x) => x.status === "pass")).toBe(false);
    } finally {
      await startSshd(s1);
    }
  }, 300_000);
});
