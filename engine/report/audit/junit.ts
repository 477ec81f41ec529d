// JUnit XML (Ant's format, as Jenkins, GitLab and GitHub read it): one <testsuite> per host, one
// <testcase> per control. A failing control is a <failure> carrying the evidence; error and unknown
// (not verified) are an <error>; not_applicable, manual and waived are <skipped> with the reason
// (a waiver names its approver and expiry). Written by hand because <skipped message="…"> matters
// here and the builder package cannot emit it.
import { metaProperties } from "../meta.js";
import { describeChange, describeWaiver, type AuditReport, type ControlResult, type HostAudit, type ReportControl } from "./model.js";

const xml = (s: unknown) =>
  String(s)
    // XML 1.0 cannot carry most control characters, even escaped.
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, "\ufffd")
    .replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;" })[c]!);

export function renderAuditJunit(r: AuditReport): string {
  const ctl = new Map(r.controls.map((c) => [c.id, c]));
  const suites = r.hosts.map((h) => suite(r, h, ctl));
  const t = { tests: 0, failures: 0, errors: 0, skipped: 0 };
  for (const h of r.hosts) {
    const c = tally(h);
    t.tests += c.tests;
    t.failures += c.failures;
    t.errors += c.errors;
    t.skipped += c.skipped;
  }
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n` +
    `<testsuites name="${xml(`keel audit ${r.profile.name}`)}" tests="${t.tests}" failures="${t.failures}" errors="${t.errors}" skipped="${t.skipped}" time="${secs(r.duration_ms)}">\n` +
    suites.join("") +
    `</testsuites>\n`
  );
}

function tally(h: HostAudit): { tests: number; failures: number; errors: number; skipped: number } {
  const c = h.counts;
  return { tests: h.results.length, failures: c.fail, errors: c.error + c.unknown, skipped: c.not_applicable + c.manual + c.waived };
}

function suite(r: AuditReport, h: HostAudit, ctl: Map<string, ReportControl>): string {
  const t = tally(h);
  const props: [string, string][] = [
    ["keel.version", r.keel_version],
    ["profile", r.profile.name],
    ["profile.sha256", r.profile.sha256],
    ["score.with_waivers", String(h.score.with_waivers ?? "")],
    ["score.without_waivers", String(h.score.without_waivers ?? "")],
    ["host.state", h.state],
  ];
  if (h.platform) props.push(["host.platform", `${h.platform.os} ${h.platform.kernel} ${h.platform.arch}`]);
  if (r.waivers) props.push(["waivers.sha256", r.waivers.sha256]);
  props.push(...metaProperties({ baseline: r.baseline }));
  let s = `  <testsuite name="${xml(h.host)}" tests="${t.tests}" failures="${t.failures}" errors="${t.errors}" skipped="${t.skipped}" time="${secs(h.duration_ms)}" timestamp="${antTimestamp(r.started_at)}" hostname="${xml(h.host)}">\n`;
  s += `    <properties>\n${props.map(([k, v]) => `      <property name="${xml(k)}" value="${xml(v)}"/>\n`).join("")}    </properties>\n`;
  for (const res of h.results) s += testcase(h, res, ctl.get(res.control)!);
  if (h.error) s += `    <system-err>${xml(h.error)}</system-err>\n`;
  return s + `  </testsuite>\n`;
}

function testcase(h: HostAudit, res: ControlResult, c: ReportControl): string {
  const name = `${c.id}: ${c.title}`;
  const open = `    <testcase name="${xml(name)}" classname="${xml(`${h.host}.${c.area ?? c.id.split(".")[0]}`)}" time="0">`;
  const evidence = evidenceText(res, c);
  let body = "";
  switch (res.status) {
    case "pass":
      body = "";
      break;
    case "fail":
      body = `<failure message="${xml(res.reason)}" type="${xml(c.severity)}">${xml(evidence)}</failure>`;
      break;
    case "error":
    case "unknown":
      body = `<error message="${xml(res.reason)}" type="${res.status}">${xml(evidence)}</error>`;
      break;
    case "waived":
      body = `<skipped message="${xml(`${describeWaiver(res.waiver!)} (found: ${res.checked})`)}"/>`;
      break;
    case "not_applicable":
      body = `<skipped message="${xml(`not applicable: ${res.reason}`)}"/>`;
      break;
    case "manual":
      body = `<skipped message="${xml(res.reason)}"/>`;
      break;
  }
  const out = res.status === "pass" || res.status === "waived" ? `<system-out>${xml(evidence)}</system-out>` : "";
  return `${open}${body}${out}</testcase>\n`;
}

function evidenceText(res: ControlResult, c: ReportControl): string {
  const lines = [
    `${c.id} [${c.severity}] ${c.title}`,
    `status: ${res.status}${res.status !== res.checked ? ` (found: ${res.checked})` : ""}`,
    `reason: ${res.reason}`,
  ];
  for (const e of res.evidence) {
    lines.push(`task ${e.task} (${e.file}:${e.line}) ${e.resource}${e.item ? ` [${e.item}]` : ""}: ${e.result}${e.note ? ` (${e.note})` : ""}`);
    for (const ch of e.changes) lines.push(`  ${describeChange(ch)}`);
  }
  if (res.waiver) lines.push(describeWaiver(res.waiver));
  const refs = [...c.references.cis.map((x) => `CIS ${x}`), ...c.references.devsec.map((x) => `dev-sec ${x}`), ...c.references.nist.map((x) => `NIST ${x}`)];
  if (refs.length) lines.push(`references: ${refs.join(", ")}`);
  lines.push(`defined at ${c.file}:${c.line}`);
  return lines.join("\n");
}

function secs(ms: number): string {
  return (ms / 1000).toFixed(3);
}

/** Ant's timestamp form (no zone, no fraction), which the strictest parsers (Jenkins) require. */
function antTimestamp(iso: string): string {
  return iso.replace(/\.\d+/, "").replace(/Z$|[+-]\d\d:\d\d$/, "");
}
