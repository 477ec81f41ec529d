// Markdown for CI step summaries ($GITHUB_STEP_SUMMARY, GitLab notes): the verdict, a table of
// hosts with their scores, the failing controls with their evidence (by severity), waivers with
// their expiry. Short by design: the HTML report is the auditor's full view.
import { metaLine } from "../meta.js";
import { mdText } from "../mdtext.js";
import { controlsByAttention, describeChange, scopeNote, type AuditReport, type ControlResult, type ReportControl } from "./model.js";

const ICON: Record<string, string> = { pass: "✅", fail: "❌", error: "⛔", unknown: "❔", waived: "🟡", manual: "📝", not_applicable: "➖" };

/** Playbook and host data in a table cell: no HTML, no Markdown syntax, one line (mdtext.ts). */
const cell = mdText;

export function renderAuditMarkdown(r: AuditReport): string {
  const s = r.summary;
  const out: string[] = [];
  const bad = s.counts.fail + s.counts.error + s.counts.unknown + s.unreachable;
  out.push(`### ${bad ? "❌" : "✅"} keel ${r.mode === "remediation" ? "remediation" : "audit"}: ${r.profile.name}`);
  out.push("");
  out.push(
    `**${s.counts.fail}** failing, **${s.counts.waived}** waived, **${s.counts.pass}** passing, ${s.counts.error} error, ${s.counts.unknown} unknown, ${s.counts.manual} manual, ${s.counts.not_applicable} not applicable — ` +
      `${s.hosts} host${s.hosts === 1 ? "" : "s"}${s.unreachable ? ` (**${s.unreachable} unreachable**)` : ""}, fleet score **${s.score.with_waivers ?? "–"}** (${s.score.without_waivers ?? "–"} without waivers)` +
      (r.fail_under !== undefined ? `, fail under ${r.fail_under}` : ""),
  );
  out.push("");
  out.push(
    `<sub>keel ${r.keel_version}${r.baseline ? ` · ${metaLine({ baseline: r.baseline })}` : ""} · profile sha256 \`${r.profile.sha256.slice(0, 16)}…\`${r.waivers ? ` · waivers sha256 \`${r.waivers.sha256.slice(0, 16)}…\`` : ""} · ${r.started_at}</sub>`,
  );
  if (scopeNote(r)) out.push("", `**Scope:** ${cell(scopeNote(r))}`);
  out.push("");
  out.push("| host | state | score | pass | fail | waived | error | unknown |");
  out.push("|---|---|---:|---:|---:|---:|---:|---:|");
  for (const h of r.hosts) {
    const c = h.counts;
    out.push(`| ${cell(h.host)} | ${h.state} | ${h.score.with_waivers ?? "–"} | ${c.pass} | ${c.fail} | ${c.waived} | ${c.error} | ${c.unknown} |`);
  }
  // One row per control and finding: hosts with the same evidence share a row (a fleet of 50
  // hosts failing one control the same way is one line, not fifty).
  const rows = new Map<string, { c: ReportControl; x: ControlResult; hosts: string[]; text: string }>();
  for (const c of controlsByAttention(r))
    for (const h of r.hosts)
      for (const x of h.results) {
        if (x.control !== c.id || !(x.status === "fail" || x.status === "error" || (x.status === "unknown" && h.state === "checked"))) continue;
        const ev = x.evidence.flatMap((e) => e.changes.map(describeChange));
        const text = ev.length ? ev.join("; ") : x.reason;
        const key = `${c.id}\n${x.status}\n${x.compare ?? ""}\n${text}`;
        const row = rows.get(key) ?? { c, x, hosts: [], text };
        row.hosts.push(h.host);
        rows.set(key, row);
      }
  if (rows.size) {
    out.push("");
    out.push("#### Failing controls");
    out.push("");
    out.push("| | severity | control | hosts | evidence |");
    out.push("|---|---|---|---|---|");
    const list = [...rows.values()];
    for (const { c, x, hosts, text } of list.slice(0, 200)) {
      const tag = x.compare ? ` (${x.compare})` : "";
      const shownHosts = hosts.length > 8 ? `${hosts.slice(0, 8).join(", ")} and ${hosts.length - 8} more` : hosts.join(", ");
      out.push(`| ${ICON[x.status]} | ${c.severity} | \`${c.id}\` ${cell(c.title)}${tag} | ${cell(shownHosts)} | ${cell(text)} |`);
    }
    if (list.length > 200) out.push(`\n…and ${list.length - 200} more (see the HTML or JSON report).`);
  }
  const waived = r.hosts.flatMap((h) => h.results.filter((x) => x.waiver && x.waiver.state !== "unneeded").map((x) => ({ h, x })));
  if (waived.length) {
    out.push("");
    out.push("#### Waivers");
    out.push("");
    out.push("| control | host | state | approver | expires | justification |");
    out.push("|---|---|---|---|---|---|");
    for (const { h, x } of waived)
      out.push(
        `| \`${x.control}\` | ${cell(h.host)} | ${x.waiver!.state === "expired" ? "**expired**" : "valid"} | ${cell(x.waiver!.approver)} | ${x.waiver!.expires} | ${cell(x.waiver!.justification)} |`,
      );
  }
  if (r.compared_with) {
    out.push("");
    out.push(`Since audit #${r.compared_with.run_id}: ${s.new_failures} new, ${s.persisting_failures} persisting, ${s.resolved_failures} resolved failures.`);
  }
  return out.join("\n") + "\n";
}
