// Every audit format against its validator: the JSON report against schemas/audit-report.schema.json,
// JUnit against the JUnit XSD (xmllint), SARIF against the SARIF 2.1.0 schema (vendored from
// oasis-tcs/sarif-spec, see test/fixtures/sarif/SOURCE.md). The HTML report is checked in headless
// Chromium in html.test.ts.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Ajv } from "ajv";
import addFormatsModule from "ajv-formats";
import AjvDraft04Module from "ajv-draft-04";
import { renderAudit } from "../../../../engine/report/audit/formats.js";
import { applyWaivers, loadWaivers } from "../../../../engine/report/audit/waivers.js";
import { compareAudit } from "../../../../engine/report/audit/history.js";
import type { AuditReport } from "../../../../engine/report/audit/model.js";
import { CATALOG_IDS, NOW, sampleReport } from "./fixture.js";

const ROOT = new URL("../../../../", import.meta.url).pathname;
const tmp = mkdtempSync(join(tmpdir(), "keel-audit-formats-"));
const addFormats = addFormatsModule as unknown as (a: Ajv) => void;

function fullReport(): AuditReport {
  const wf = join(tmp, "waivers.yml");
  writeFileSync(
    wf,
    "waivers:\n  - control: ssh.permit-root-login\n    hosts: web1\n    justification: 'break-glass <access> & \"ticket\"'\n    approver: alice\n    expires: 2026-12-31\n  - control: kernel.aslr\n    justification: legacy\n    approver: bob\n    expires: 2026-11-30\n",
  );
  const waivers = loadWaivers(wf, CATALOG_IDS, (p) => (p === "all" ? ["web1", "web2", "web3", "web4", "web5"] : [p]));
  const r = compareAudit(applyWaivers(sampleReport(), waivers, NOW), [{ host: "web2", control: "kernel.aslr", firstSeen: "2026-11-01T00:00:00.000Z" }], {
    run_id: 3,
    generated_at: "2026-12-02T02:00:00.000Z",
  });
  return { ...r, fail_under: 80 };
}

describe("JSON", () => {
  const schema = JSON.parse(readFileSync(join(ROOT, "schemas/audit-report.schema.json"), "utf8"));
  const ajv = new Ajv({ strict: true, allErrors: true });
  addFormats(ajv);
  const validate = ajv.compile(schema);

  it("validates against schemas/audit-report.schema.json", () => {
    for (const r of [sampleReport(), fullReport()]) {
      const json = JSON.parse(renderAudit(r, "json", { color: false, details: true }));
      expect(validate(json), JSON.stringify(validate.errors, null, 1)).toBe(true);
    }
  });

  it("a run that left controls out or overrode parameters says so in every header, and the JSON validates", () => {
    const r: AuditReport = { ...sampleReport(), extra_vars: ["hardening_ssh_max_auth_tries"] };
    r.profile = { ...r.profile, left_out: ["ssh.banner", "accounts.uid0"] };
    const json = JSON.parse(renderAudit(r, "json", { color: false, details: true }));
    expect(validate(json), JSON.stringify(validate.errors, null, 1)).toBe(true);
    expect(json.profile.left_out).toEqual(["ssh.banner", "accounts.uid0"]);
    const note = "2 controls of the profile left out by -t/--skip-tags: ssh.banner, accounts.uid0; parameters overridden with -e: hardening_ssh_max_auth_tries";
    expect(renderAudit(r, "text", { color: false, details: false })).toContain(`scope: ${note}`);
    expect(renderAudit(r, "markdown", { color: false, details: false })).toContain(`**Scope:** ${note}`);
    expect(renderAudit(r, "html", { color: false, details: false })).toContain(`<dd id="scope">${note}</dd>`);
    // The profile as it is: no scope line anywhere.
    expect(renderAudit(sampleReport(), "text", { color: false, details: false })).not.toContain("scope:");
    expect(renderAudit(sampleReport(), "html", { color: false, details: false })).not.toContain('id="scope"');
  });

  it("the schema rejects what is not a report", () => {
    const r = JSON.parse(renderAudit(sampleReport(), "json", { color: false, details: true }));
    expect(validate({ ...r, kind: "keel.drift" })).toBe(false);
    r.hosts[0].results[0].status = "passed";
    expect(validate(r)).toBe(false);
  });
});

describe("JUnit", () => {
  const xsd = join(ROOT, "test/fixtures/junit/junit.xsd");
  const lint = (xml: string) => {
    const f = join(tmp, `junit-${Math.random()}.xml`);
    writeFileSync(f, xml);
    return spawnSync("xmllint", ["--noout", "--schema", xsd, f], { encoding: "utf8" });
  };

  it("validates against the JUnit XSD: a suite per host, a case per control", () => {
    const xml = renderAudit(fullReport(), "junit", { color: false, details: true });
    const run = lint(xml);
    expect(run.status, run.stderr).toBe(0);
    expect(xml.match(/<testsuite /g)).toHaveLength(5);
    expect(xml.match(/<testcase /g)).toHaveLength(30);
    // The failure carries the evidence; n/a and manual are skipped with the reason; waived names its waiver.
    expect(xml).toMatch(
      /<testcase name="kernel.aslr: title of kernel.aslr" classname="web1.kernel" time="0"><failure message="waiver expired on 2026-11-30[^"]*" type="medium">[^<]*observed &quot;0&quot;, expected &quot;2&quot; \(read from sysctl kernel.randomize_va_space\)/,
    );
    expect(xml).toContain('<skipped message="not applicable: applies_when `not (facts.container | default(false))` is false"/>');
    expect(xml).toContain('<skipped message="manual check: Check that the perimeter firewall drops inbound traffic by default."/>');
    expect(xml).toContain('<skipped message="waived by alice, until 2026-12-31: break-glass &lt;access&gt; &amp; &quot;ticket&quot; (found: fail)"/>');
    expect(xml).toContain('<testsuite name="web3" tests="6" failures="0" errors="5" skipped="1"');
  });

  it("the validator catches a broken document", () => {
    expect(lint(renderAudit(sampleReport(), "junit", { color: false, details: true }).replace('tests="6"', 'tests="six"')).status).not.toBe(0);
  });
});

describe("SARIF 2.1.0", () => {
  const schema = JSON.parse(readFileSync(join(ROOT, "test/fixtures/sarif/sarif-schema-2.1.0.json"), "utf8"));
  const Ajv04 = AjvDraft04Module as unknown as typeof Ajv;
  const ajv = new Ajv04({ strict: false, allErrors: true, validateFormats: true });
  addFormats(ajv);
  const validate = ajv.compile(schema);

  it("validates against the SARIF 2.1.0 JSON schema", () => {
    for (const r of [sampleReport(), fullReport()]) {
      const sarif = JSON.parse(renderAudit(r, "sarif", { color: false, details: true }));
      expect(validate(sarif), JSON.stringify(validate.errors, null, 1)).toBe(true);
    }
  });

  it("rules per control with help, references and security-severity; results at the control's definition per host", () => {
    const sarif = JSON.parse(renderAudit(fullReport(), "sarif", { color: false, details: true }));
    const run = sarif.runs[0];
    expect(run.tool.driver.rules.map((x: { id: string }) => x.id)).toEqual([
      "ssh.permit-root-login",
      "ssh.max-auth-tries",
      "kernel.aslr",
      "fs.tmp-noexec",
      "accounts.one-uid0",
      "firewall.default-deny",
    ]);
    const rule = run.tool.driver.rules[0];
    expect(rule).toMatchObject({
      shortDescription: { text: "title of ssh.permit-root-login" },
      defaultConfiguration: { level: "error" },
      properties: { "security-severity": "7.0" },
    });
    expect(rule.help.markdown).toContain("CIS Debian Linux 12 Benchmark 5.1.4");
    expect(run.tool.driver.rules[4].properties["security-severity"]).toBe("10.0");
    // web1: root login waived (suppressed), aslr failing under an expired waiver.
    const results = run.results as {
      ruleId: string;
      level: string;
      locations: { physicalLocation: { artifactLocation: { uri: string }; region: { startLine: number } }; logicalLocations: { name: string }[] }[];
      suppressions?: unknown[];
      message: { text: string };
    }[];
    expect(results).toHaveLength(2);
    const aslr = results.find((x) => x.ruleId === "kernel.aslr")!;
    expect(aslr.level).toBe("warning");
    expect(aslr.locations[0]!.physicalLocation).toEqual({
      artifactLocation: { uri: "roles/hardening/controls/kernel.yml", uriBaseId: "%SRCROOT%" },
      region: { startLine: 8 },
    });
    expect(aslr.locations[0]!.logicalLocations[0]!.name).toBe("web1");
    expect(aslr.message.text).toContain('observed "0", expected "2"');
    expect(results.find((x) => x.ruleId === "ssh.permit-root-login")!.suppressions).toEqual([
      { kind: "external", status: "accepted", justification: expect.stringContaining("waived by alice until 2026-12-31") },
    ]);
    // Errors and unreachable hosts are notifications, not findings.
    const notes = run.invocations[0].toolExecutionNotifications as { message: { text: string } }[];
    expect(notes.map((n) => n.message.text).join("\n")).toContain("web3: host unreachable");
    expect(run.invocations[0].executionSuccessful).toBe(false);
  });

  it("the validator catches a broken log", () => {
    const sarif = JSON.parse(renderAudit(fullReport(), "sarif", { color: false, details: true }));
    sarif.runs[0].results[0].level = "fatal";
    expect(validate(sarif)).toBe(false);
  });
});

describe("Markdown and text", () => {
  it("markdown: verdict, host table, failing controls with evidence, waivers with expiry", () => {
    const md = renderAudit(fullReport(), "markdown", { color: false, details: false });
    expect(md).toContain("### ❌ keel audit: cis-level1-server");
    expect(md).toContain("| web1 | checked | 83.3 | 3 | 1 | 1 | 0 | 0 |");
    expect(md).toMatch(
      /\| ❌ \| medium \| `kernel.aslr` title of kernel.aslr \(new\) \| web1 \| value: observed "0", expected "2" \(read from sysctl kernel.randomize_va_space\) \|/,
    );
    expect(md).toContain("| `ssh.permit-root-login` | web1 | valid | alice | 2026-12-31 |");
    expect(md).toContain("| `kernel.aslr` | web1 | **expired** | bob | 2026-11-30 |");
  });

  it("markdown: hosts failing a control the same way share one row", () => {
    const r = sampleReport();
    const web1 = r.hosts.find((h) => h.host === "web1")!;
    const web2 = r.hosts.find((h) => h.host === "web2")!;
    web2.results = web2.results.map((x) => (x.control === "kernel.aslr" ? structuredClone(web1.results.find((y) => y.control === "kernel.aslr")!) : x));
    const md = renderAudit(r, "markdown", { color: false, details: false });
    expect(md).toContain('| ❌ | medium | `kernel.aslr` title of kernel.aslr | web1, web2 | value: observed "0", expected "2"');
    expect(md.match(/\| ❌ \| medium \| `kernel.aslr`/g)).toHaveLength(1);
  });

  it("text: failures with evidence, waivers, the fleet score and history", () => {
    const t = renderAudit(fullReport(), "text", { color: false, details: false });
    expect(t).toContain("FAIL    kernel.aslr [medium] title of kernel.aslr [new]");
    expect(t).toContain('value: observed "0", expected "2" (read from sysctl kernel.randomize_va_space)  [ASLR enabled @ roles/hardening/tasks/kernel.yml:5]');
    expect(t).toContain("waiver EXPIRED on 2026-11-30");
    expect(t).toContain("RESOLVED kernel.aslr (failing since 2026-11-01T00:00:00.000Z)");
    expect(t).toMatch(/fleet score: [\d.]+ with waivers, [\d.]+ without \(--fail-under 80\)/);
    expect(t).toContain("since audit #3");
  });
});
