// The patch report as one self-contained HTML page (no scripts, no external assets).
import { ageText, hostFails, type PatchReport } from "./model.js";
import { byAttention, itemLine } from "./render.js";
import { metaLine } from "../meta.js";
import { escHtml } from "../htmlesc.js";

const esc = escHtml;

export function renderPatchHtml(r: PatchReport): string {
  const s = r.summary;
  const rows = byAttention(r)
    .map((h) => {
      const bad = h.status === "unreachable" || h.status === "failed";
      const cls = bad ? "err" : hostFails(h, r.fail_on) ? "fail" : h.reboot_required ? "warn" : "ok";
      const details = [
        ...h.updates.map((u) => `<li class="${u.security ? "sec" : ""}">${esc(itemLine(u))}</li>`),
        ...h.held_updates.map((u) => `<li class="held">held: ${esc(itemLine(u))}</li>`),
        ...h.reboot_reasons.map((x) => `<li>reboot required: ${esc(x)}</li>`),
        ...h.broken_sources.map((x) => `<li class="sec">broken source: ${esc(x)}</li>`),
      ].join("");
      return (
        `<tr class="${cls}"><td>${esc(h.host)}</td><td>${esc(bad ? `${h.status}: ${h.error ?? ""}` : h.status.replace("_", " "))}</td><td>${bad ? "" : h.pending}</td><td>${bad ? "" : h.security}</td>` +
        `<td>${h.oldest_security_age_s !== undefined ? ageText(h.oldest_security_age_s) : ""}</td><td>${h.reboot_required ? "required" : ""}</td><td>${esc(h.held.join(", "))}</td>` +
        `<td>${h.lists_age_s !== undefined ? ageText(h.lists_age_s) : bad ? "" : "never"}</td></tr>` +
        (details ? `<tr class="details"><td colspan="8"><ul>${details}</ul></td></tr>` : "")
      );
    })
    .join("\n");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>keel patch report</title>
<style>
body{font:14px system-ui,sans-serif;margin:2em;color:#222}table{border-collapse:collapse;width:100%}
th,td{border-bottom:1px solid #ddd;padding:4px 8px;text-align:left;vertical-align:top}
tr.fail td:first-child{border-left:4px solid #c62828}tr.err td:first-child{border-left:4px solid #6a1b9a}
tr.warn td:first-child{border-left:4px solid #ef6c00}tr.ok td:first-child{border-left:4px solid #2e7d32}
tr.details td{border-bottom:1px solid #eee;font-size:13px;color:#444}li.sec{color:#c62828}li.held{color:#777}
</style></head><body>
<h1>keel patch report</h1>
<p>Generated ${esc(r.generated_at)} from ${esc(r.inventory.join(", "))}${r.shard ? ` (shard ${r.shard.index}/${r.shard.total})` : ""}. ${esc(metaLine(r))}</p>
<p><strong>${s.security_hosts}</strong> of ${s.hosts} hosts have pending security updates (${s.security_updates} updates), ${s.pending_hosts} have any update (${s.updates}), ${s.reboot_required} need a reboot, ${s.held_updates} updates are held${s.unreachable ? `, ${s.unreachable} unreachable` : ""}${s.failed ? `, ${s.failed} failed` : ""}.${s.oldest_security_age_s !== undefined ? ` Oldest pending security update: ${ageText(s.oldest_security_age_s)}.` : ""}${r.compared_with ? ` Since run #${r.compared_with.run_id}: ${s.new} new, ${s.resolved} resolved.` : ""}</p>
<table><thead><tr><th>host</th><th>status</th><th>pending</th><th>security</th><th>oldest security</th><th>reboot</th><th>held</th><th>lists age</th></tr></thead>
<tbody>
${rows}
</tbody></table></body></html>
`;
}
