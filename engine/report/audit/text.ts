// The terminal form of an audit: per host its score and every result that is not a plain pass
// (failures with their evidence first, by severity), then the fleet summary. `details` lists
// passes and not-applicable results too.
import { metaLine } from "../meta.js";
import { describeChange, describeWaiver, scopeNote, severityRank, statusRank, type AuditReport, type ControlResult, type ReportControl } from "./model.js";

const C = { red: "\x1b[31m", green: "\x1b[32m", yellow: "\x1b[33m", magenta: "\x1b[35m", dim: "\x1b[2m", bold: "\x1b[1m", reset: "\x1b[0m" };
const COLOR: Record<string, string> = {
  pass: C.green,
  fail: C.red,
  error: C.magenta,
  unknown: C.yellow,
  waived: C.yellow,
  manual: C.dim,
  not_applicable: C.dim,
};
const LABEL: Record<string, string> = {
  pass: "PASS",
  fail: "FAIL",
  error: "ERROR",
  unknown: "UNKNOWN",
  waived: "WAIVED",
  manual: "MANUAL",
  not_applicable: "N/A",
};

export function renderAuditText(r: AuditReport, o: { color: boolean; details: boolean }): string {
  const paint = (c: string, s: string) => (o.color ? `${c}${s}${C.reset}` : s);
  const ctl = new Map(r.controls.map((c) => [c.id, c]));
  const out: string[] = [];
  const title = r.mode === "remediation" ? "keel remediation report" : "keel audit";
  out.push(
    paint(
      C.bold,
      `${title}: profile ${r.profile.name} (sha256 ${r.profile.sha256.slice(0, 12)}), ${r.controls.length} control${r.controls.length === 1 ? "" : "s"}, ${r.hosts.length} host${r.hosts.length === 1 ? "" : "s"}`,
    ),
  );
  const scope = scopeNote(r);
  if (scope) out.push(paint(C.bold, `scope: ${scope}`));
  out.push(
    `keel ${r.keel_version}${r.baseline ? ` · ${metaLine({ baseline: r.baseline })}` : ""} · ${r.started_at} → ${r.finished_at}${r.waivers ? ` · waivers ${r.waivers.file} (sha256 ${r.waivers.sha256.slice(0, 12)})` : ""}`,
  );
  for (const h of r.hosts) {
    out.push("");
    const sc =
      h.score.with_waivers === null
        ? "no score"
        : `score ${h.score.with_waivers}${h.score.without_waivers !== h.score.with_waivers ? ` (${h.score.without_waivers} without waivers)` : ""}`;
    const head = h.state === "unreachable" ? paint(C.magenta, "UNREACHABLE") : h.state === "failed" ? paint(C.magenta, "STOPPED") : sc;
    out.push(paint(C.bold, `${h.host}`) + `  ${head}  ${countLine(h.counts)}${h.platform ? paint(C.dim, `  ${h.platform.os}`) : ""}`);
    if (h.error) out.push(`  ${paint(C.magenta, h.error)}`);
    const shown = h.results
      .filter((x) => o.details || (x.status !== "pass" && x.status !== "not_applicable") || x.waiver)
      .sort((a, b) => statusRank(a.status) - statusRank(b.status) || severityRank(ctl.get(a.control)!.severity) - severityRank(ctl.get(b.control)!.severity));
    if (h.state === "unreachable" && !o.details) continue;
    for (const x of shown) out.push(...resultLines(x, ctl.get(x.control)!, paint, o.details));
    for (const res of h.resolved) out.push(`  ${paint(C.green, "RESOLVED")} ${res.control} (failing since ${res.since})`);
  }
  out.push("");
  const s = r.summary;
  out.push(
    paint(C.bold, "summary: ") +
      `${s.hosts} host${s.hosts === 1 ? "" : "s"} (${s.checked} checked${s.unreachable ? `, ${s.unreachable} unreachable` : ""}${s.failed_hosts ? `, ${s.failed_hosts} stopped` : ""}) · ${countLine(s.counts)}`,
  );
  const score = s.score.with_waivers === null ? "no score" : `${s.score.with_waivers} with waivers, ${s.score.without_waivers} without`;
  out.push(
    `fleet score: ${score}${r.fail_under !== undefined ? ` (--fail-under ${r.fail_under})` : ""}${s.expired_waivers ? paint(C.red, ` · ${s.expired_waivers} expired waiver${s.expired_waivers === 1 ? "" : "s"}`) : ""}`,
  );
  if (r.compared_with)
    out.push(
      `since audit #${r.compared_with.run_id} (${r.compared_with.generated_at}): ${s.new_failures} new, ${s.persisting_failures} persisting, ${s.resolved_failures} resolved failures`,
    );
  return out.join("\n") + "\n";
}

function resultLines(x: ControlResult, c: ReportControl, paint: (c: string, s: string) => string, details: boolean): string[] {
  const tag = x.compare ? ` [${x.compare}${x.compare === "persisting" && x.since ? ` since ${x.since}` : ""}]` : "";
  const before = x.before && x.before !== x.checked ? ` (before: ${x.before})` : "";
  const lines = [`  ${paint(COLOR[x.status]!, LABEL[x.status]!.padEnd(7))} ${c.id} [${c.severity}] ${c.title}${before}${tag}`];
  if (x.status === "waived") lines.push(`          ${describeWaiver(x.waiver!)}; found: ${x.checked}: ${x.reason}`);
  else if (x.status === "fail" || x.status === "error" || x.status === "unknown" || details || x.before === "fail") {
    const ev = x.evidence.flatMap((e) => e.changes.map((ch) => `${describeChange(ch)}  [${e.task} @ ${e.file}:${e.line}]`));
    if (x.status === "fail" && ev.length) lines.push(...ev.map((l) => `          ${l}`));
    else lines.push(`          ${x.reason}`);
    if (x.waiver && x.waiver.state === "expired") lines.push(`          ${paint(C.red, describeWaiver(x.waiver))}`);
  } else if (x.status === "manual" || x.status === "not_applicable") lines.push(`          ${x.reason}`);
  if (x.waiver?.state === "unneeded") lines.push(`          (waiver ${x.waiver.defined_at} is not needed: the control is ${x.checked})`);
  return lines;
}

function countLine(c: Record<string, number>): string {
  return (
    ["pass", "fail", "waived", "error", "unknown", "manual", "not_applicable"]
      .filter((k) => c[k])
      .map((k) => `${c[k]} ${k.replace("_", " ")}`)
      .join(", ") || "no controls"
  );
}
