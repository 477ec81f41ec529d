// SARIF 2.1.0 for code scanning (GitHub and others). Each control of the profile is a rule (title,
// rationale as help, references, severity as level and `security-severity`); each failing
// host × control is a result located at the control's definition (controls/<area>.yml:line) with the
// host as a logical location, and a fingerprint per host so results of different hosts stay apart.
// A validly waived failure is a result with an accepted external suppression (the waiver's
// approver, justification and expiry), so the scanner hides it without losing it. Controls in error
// or unknown, and unreachable hosts, are tool execution notifications: not findings, not passes.
import { createHash } from "node:crypto";
import { isAbsolute } from "node:path";
import { pathToFileURL } from "node:url";
import { describeChange, type AuditReport, type ControlResult, type HostAudit, type ReportControl, type Severity } from "./model.js";

const LEVEL: Record<Severity, "error" | "warning" | "note" | "none"> = { critical: "error", high: "error", medium: "warning", low: "note", none: "none" };

export function renderAuditSarif(r: AuditReport): string {
  const index = new Map(r.controls.map((c, i) => [c.id, i]));
  const rules = r.controls.map(rule);
  const results: unknown[] = [];
  const notes: unknown[] = [];
  for (const h of r.hosts) {
    if (h.state === "unreachable") notes.push(notification("error", `${h.host}: host unreachable: ${h.error ?? ""}`, h.host));
    else if (h.state === "failed") notes.push(notification("error", `${h.host}: the run stopped: ${h.error ?? ""}`, h.host));
    for (const res of h.results) {
      const c = r.controls[index.get(res.control)!]!;
      if (res.status === "fail" || res.status === "waived") results.push(result(h, res, c, index.get(c.id)!));
      else if ((res.status === "error" || res.status === "unknown") && h.state === "checked")
        notes.push(
          notification(res.status === "error" ? "error" : "warning", `${h.host}: ${c.id}: ${res.status}: ${res.reason}`, h.host, c.id, index.get(c.id)!),
        );
    }
  }
  const log = {
    $schema: "https://json.schemastore.org/sarif-2.1.0.json",
    version: "2.1.0",
    runs: [
      {
        tool: {
          driver: {
            name: "keel",
            fullName: "keel audit (hardening controls)",
            version: r.keel_version,
            semanticVersion: r.keel_version,
            rules,
          },
        },
        automationDetails: { id: `keel-audit/${r.profile.name}/` },
        invocations: [
          {
            executionSuccessful: r.summary.unreachable === 0 && r.summary.failed_hosts === 0 && r.summary.counts.error === 0,
            startTimeUtc: r.started_at,
            endTimeUtc: r.finished_at,
            toolExecutionNotifications: notes,
          },
        ],
        columnKind: "unicodeCodePoints",
        results,
        properties: {
          profile: r.profile.name,
          profileSha256: r.profile.sha256,
          ...(r.waivers ? { waiversSha256: r.waivers.sha256 } : {}),
          ...(r.baseline ? { baseline: r.baseline } : {}),
          mode: r.mode,
          score: r.summary.score,
          hosts: r.hosts.map((h) => ({ host: h.host, state: h.state, score: h.score, ...(h.platform ? { platform: h.platform } : {}) })),
        },
      },
    ],
  };
  return JSON.stringify(log, null, 2) + "\n";
}

function rule(c: ReportControl) {
  const refs = references(c);
  const md = [
    `**${c.title}** (${c.severity}, impact ${c.impact})`,
    "",
    c.rationale,
    ...(c.applies_when ? ["", `Applies when: \`${c.applies_when}\``] : []),
    ...(c.procedure ? ["", "Procedure:", "", c.procedure] : []),
    ...(refs.length ? ["", "References:", "", ...refs.map((x) => `- ${x}`)] : []),
    "",
    `Fix: \`keel run playbooks/harden.yml --tags ${c.id}\`.`,
  ];
  return {
    id: c.id,
    name: c.id.replace(/(^|[.\-_])([a-z0-9])/g, (_m, _p, ch: string) => ch.toUpperCase()),
    shortDescription: { text: c.title },
    fullDescription: { text: c.rationale || c.title },
    help: { text: [c.rationale, ...(refs.length ? [`References: ${refs.join("; ")}`] : [])].join("\n"), markdown: md.join("\n") },
    defaultConfiguration: { level: LEVEL[c.severity] },
    properties: {
      "security-severity": (Math.round(c.impact * 100) / 10).toFixed(1),
      tags: ["security", "hardening", ...(c.area ? [c.area] : []), ...c.references.cis.map((x) => `CIS-${x}`), ...c.references.nist.map((x) => `NIST-${x}`)],
      precision: "very-high",
      "problem.severity": c.severity === "critical" || c.severity === "high" ? "error" : c.severity === "medium" ? "warning" : "recommendation",
      severity: c.severity,
      references: c.references,
    },
  };
}

function result(h: HostAudit, res: ControlResult, c: ReportControl, ruleIndex: number) {
  const evidence = res.evidence.flatMap((e) => e.changes.map((ch) => `${describeChange(ch)} [task ${e.task} @ ${e.file}:${e.line}]`));
  const text = `${h.host}: ${c.title}: ${res.checked === "fail" ? res.reason : `${res.checked}: ${res.reason}`}${evidence.length ? ` — ${evidence.join("; ")}` : ""}`;
  return {
    ruleId: c.id,
    ruleIndex,
    level: LEVEL[c.severity] === "none" ? "note" : LEVEL[c.severity],
    kind: "fail",
    message: { text },
    locations: [
      {
        physicalLocation: { artifactLocation: artifact(c.file), region: { startLine: c.line } },
        logicalLocations: [{ name: h.host, fullyQualifiedName: h.host, kind: "resource" }],
      },
    ],
    partialFingerprints: { "keelAuditHostControl/v1": createHash("sha256").update(`${h.host}\n${c.id}`).digest("hex") },
    ...(res.status === "waived" && res.waiver
      ? {
          suppressions: [
            {
              kind: "external",
              status: "accepted",
              justification: `waived by ${res.waiver.approver} until ${res.waiver.expires}: ${res.waiver.justification} (${res.waiver.defined_at})`,
            },
          ],
        }
      : {}),
    properties: {
      host: h.host,
      status: res.status,
      checked: res.checked,
      evidence: res.evidence,
      ...(res.waiver ? { waiver: res.waiver } : {}),
      ...(res.compare ? { compare: res.compare, since: res.since } : {}),
    },
  };
}

function notification(level: "error" | "warning", text: string, host: string, ruleId?: string, ruleIndex?: number) {
  return {
    level,
    message: { text },
    locations: [{ logicalLocations: [{ name: host, fullyQualifiedName: host, kind: "resource" }] }],
    ...(ruleId !== undefined ? { associatedRule: { id: ruleId, index: ruleIndex } } : {}),
  };
}

function artifact(file: string): { uri: string; uriBaseId?: string } {
  return isAbsolute(file) ? { uri: pathToFileURL(file).href } : { uri: file.split("/").map(encodeURIComponent).join("/"), uriBaseId: "%SRCROOT%" };
}

function references(c: ReportControl): string[] {
  return [
    ...c.references.cis.map((x) => `CIS Debian Linux 12 Benchmark ${x}`),
    ...c.references.devsec.map((x) => `dev-sec baseline ${x}`),
    ...c.references.nist.map((x) => `NIST SP 800-53 ${x}`),
  ];
}
