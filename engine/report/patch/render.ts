// The patch report's human formats: text (terminal), Markdown (CI summaries, tickets) and JUnit
// (a host with pending security updates — any update with --fail-on any — is a failing test case).
import junit from "junit-report-builder";
import type { JUnitReportBuilder } from "junit-report-builder/dist/builder.js";
import { ageText, hostFails, type HostPatch, type PatchItem, type PatchReport } from "./model.js";
import { mdText } from "../mdtext.js";
import { metaLine, metaProperties } from "../meta.js";

const ORDER: Record<HostPatch["status"], number> = { unreachable: 0, failed: 1, pending: 2, up_to_date: 3 };

/** Hosts that need attention first: unreachable, failed, most security updates, then the rest. */
export function byAttention(r: PatchReport): HostPatch[] {
  return [...r.hosts].sort(
    (a, b) => ORDER[a.status] - ORDER[b.status] || b.security - a.security || b.pending - a.pending || a.host.localeCompare(b.host, "en", { numeric: true }),
  );
}

export function itemLine(u: PatchItem): string {
  const what = [u.security ? "security" : "", u.source, u.advisory ?? ""].filter(Boolean).join(", ");
  const age = u.age_s !== undefined ? `, available ${ageText(u.age_s)}` : "";
  const mark = u.compare === "new" ? " [new]" : u.compare === "persisting" && u.since ? ` [since ${u.since.slice(0, 10)}]` : "";
  return `${u.name} ${u.installed} → ${u.candidate} (${what}${age})${mark}`;
}

function hostHead(h: HostPatch): string {
  if (h.status === "unreachable" || h.status === "failed") return `${h.host}: ${h.status}: ${h.error ?? ""}`;
  const parts = [h.pending === 0 ? "up to date" : `${h.pending} pending (${h.security} security)`];
  if (h.oldest_security_age_s !== undefined) parts.push(`oldest security update ${ageText(h.oldest_security_age_s)}`);
  if (h.reboot_required) parts.push("REBOOT REQUIRED");
  if (h.held.length) parts.push(`${h.held.length} held`);
  parts.push(h.lists_age_s !== undefined ? `lists ${ageText(h.lists_age_s)} old` : "lists never updated");
  return `${h.host}: ${parts.join(", ")}`;
}

function totals(r: PatchReport): string {
  const s = r.summary;
  const lines = [
    `${s.hosts} host${s.hosts === 1 ? "" : "s"}: ${s.security_hosts} with security updates, ${s.pending_hosts} with any update, ${s.up_to_date} up to date` +
      `${s.unreachable ? `, ${s.unreachable} unreachable` : ""}${s.failed ? `, ${s.failed} failed` : ""}`,
    `${s.updates} pending update${s.updates === 1 ? "" : "s"} (${s.security_updates} security), ${s.held_updates} held, ${s.reboot_required} host${s.reboot_required === 1 ? "" : "s"} needing a reboot` +
      (s.oldest_security_age_s !== undefined ? `; oldest pending security update ${ageText(s.oldest_security_age_s)}` : ""),
  ];
  if (r.compared_with) lines.push(`compared with run #${r.compared_with.run_id} (${r.compared_with.generated_at}): ${s.new} new, ${s.resolved} resolved`);
  return lines.join("\n");
}

export function renderPatchText(r: PatchReport, o: { details: boolean } = { details: true }): string {
  const out: string[] = [];
  for (const h of byAttention(r)) {
    out.push(hostHead(h));
    if (h.status === "unreachable" || h.status === "failed") continue;
    const list = o.details ? h.updates : h.updates.filter((u) => u.security);
    for (const u of list) out.push(`  ${u.security ? "!" : "-"} ${itemLine(u)}`);
    if (!o.details && h.pending > list.length)
      out.push(`  … and ${h.pending - list.length} other update${h.pending - list.length === 1 ? "" : "s"} (--details lists them)`);
    for (const u of h.held_updates) out.push(`  = held: ${itemLine(u)}`);
    if (h.held.length && h.held_updates.length < h.held.length) out.push(`  = on hold: ${h.held.join(", ")}`);
    for (const u of h.resolved) out.push(`  + resolved: ${u.name} ${u.candidate}`);
    for (const why of h.reboot_reasons) out.push(`  ↻ reboot required: ${why}`);
    for (const s of h.broken_sources) out.push(`  ✗ broken source (no package list): ${s}`);
  }
  out.push("", totals(r), metaLine(r));
  return out.join("\n") + "\n";
}

/** Host and package data in Markdown: no HTML, no Markdown syntax, one line (mdtext.ts). */
const md = mdText;

export function renderPatchMarkdown(r: PatchReport): string {
  const out = [
    `# keel patch report`,
    "",
    `Generated ${r.generated_at} by keel ${r.keel_version} from ${r.inventory.map(md).join(", ")}${r.shard ? `, shard ${r.shard.index}/${r.shard.total}` : ""}.`,
    ...(r.baseline ? ["", md(metaLine({ baseline: r.baseline }))] : []),
    "",
    totals(r)
      .split("\n")
      .map((l) => `- ${md(l)}`)
      .join("\n"),
    "",
  ];
  out.push("| host | status | pending | security | oldest security | reboot | held | lists age |", "|---|---|---:|---:|---|---|---|---|");
  for (const h of byAttention(r)) {
    const bad = h.status === "unreachable" || h.status === "failed";
    out.push(
      `| ${md(h.host)} | ${bad ? `${h.status}: ${md(h.error ?? "")}` : h.status.replace("_", " ")} | ${bad ? "" : h.pending} | ${bad ? "" : h.security} | ${h.oldest_security_age_s !== undefined ? ageText(h.oldest_security_age_s) : ""} | ${h.reboot_required ? "**required**" : ""} | ${md(h.held.join(", "))} | ${h.lists_age_s !== undefined ? ageText(h.lists_age_s) : bad ? "" : "never"} |`,
    );
  }
  const withUpdates = byAttention(r).filter((h) => h.updates.length || h.held_updates.length || h.broken_sources.length);
  for (const h of withUpdates) {
    out.push("", `## ${md(h.host)}`, "");
    for (const u of h.updates) out.push(`- ${u.security ? "**security** " : ""}${md(itemLine(u))}`);
    for (const u of h.held_updates) out.push(`- held: ${md(itemLine(u))}`);
    for (const s of h.broken_sources) out.push(`- broken source: ${md(s)}`);
    for (const why of h.reboot_reasons) out.push(`- reboot required: ${md(why)}`);
  }
  return out.join("\n") + "\n";
}

export function renderPatchJunit(r: PatchReport): string {
  const b = (junit as unknown as JUnitReportBuilder).newBuilder().name("keel patch report");
  for (const h of r.hosts) {
    const suite = b
      .testSuite()
      .name(h.host)
      .time(h.duration_ms / 1000)
      .timestamp(r.generated_at.replace(/\.\d+/, "").replace(/Z$/, ""));
    for (const [k, v] of metaProperties(r)) suite.property(k, v);
    const tc = suite
      .testCase()
      .className(h.host)
      .name(r.fail_on === "any" ? "no pending updates" : "no pending security updates");
    if (h.status === "unreachable" || h.status === "failed") tc.error(h.error ?? h.status, h.status);
    else if (hostFails(h, r.fail_on)) {
      const list = r.fail_on === "any" ? h.updates : h.updates.filter((u) => u.security);
      tc.failure(`${list.length} pending ${r.fail_on === "any" ? "" : "security "}update${list.length === 1 ? "" : "s"}`, "patch").standardOutput(
        list.map(itemLine).join("\n"),
      );
    }
    if (h.status === "pending" || h.status === "up_to_date") {
      const rb = suite.testCase().className(h.host).name("no reboot required");
      if (h.reboot_required) rb.failure(h.reboot_reasons.join("; "), "reboot");
    }
  }
  return b.build();
}
