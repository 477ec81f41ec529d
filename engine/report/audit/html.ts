// One self-contained HTML audit report for an auditor: no external assets. The header carries the
// same identity as the JSON (keel version, profile name and sha256, waivers sha256, times, and the
// signature when rendered from a verified report). Then the fleet's numbers, filters (status,
// severity, text), a controls × hosts matrix with failing controls first by severity (each control
// expands to its rationale, references and per-host evidence), the waivers with their expiry, and
// the hosts. It reads without JavaScript (<details>); the inline script only filters. The model is
// embedded as JSON for tooling.
import { metaLine } from "../meta.js";
import {
  controlsByAttention,
  describeChange,
  describeWaiver,
  scopeNote,
  statusRank,
  type AuditReport,
  type ControlResult,
  type HostAudit,
  type ReportControl,
} from "./model.js";
import { escHtml } from "../htmlesc.js";

export interface HtmlOptions {
  /** Shown in the header when the report was verified against a signature. */
  signature?: { signer: string; key_fingerprint: string; signed_at: string };
}

const esc = escHtml;

const SHORT: Record<string, string> = { pass: "pass", fail: "FAIL", error: "error", unknown: "?", waived: "waived", manual: "manual", not_applicable: "n/a" };

const CSS = `
:root{--pass:#1a7f37;--fail:#cf222e;--err:#8250df;--unk:#9a6700;--waived:#bf8700;--na:#8c959f;--fg:#1f2328;--muted:#656d76;--line:#d0d7de;--bg:#fff}
*{box-sizing:border-box}body{font:14px/1.45 system-ui,-apple-system,Segoe UI,sans-serif;color:var(--fg);background:var(--bg);margin:0;padding:24px 32px}
h1{font-size:20px;margin:0 0 6px}h2{font-size:16px;margin:28px 0 8px}.muted{color:var(--muted)}code,.mono{font:12px ui-monospace,SFMono-Regular,monospace}
.meta{display:grid;grid-template-columns:max-content 1fr;gap:2px 14px;font-size:13px;margin:8px 0}.meta dt{color:var(--muted)}.meta dd{margin:0;word-break:break-all}
.sig{border:1px solid var(--pass);background:#dafbe1;border-radius:6px;padding:6px 10px;margin:8px 0;font-size:13px}.sig.none{border-color:var(--line);background:#f6f8fa}
.cards{display:flex;gap:12px;margin:16px 0;flex-wrap:wrap}.card{border:1px solid var(--line);border-radius:8px;padding:10px 14px;min-width:110px}.card .n{font-size:26px;font-weight:600}
.card.fail .n{color:var(--fail)}.card.pass .n{color:var(--pass)}.card.waived .n{color:var(--waived)}.card.error .n{color:var(--err)}.card.unknown .n{color:var(--unk)}
.filters{display:flex;gap:8px;align-items:center;flex-wrap:wrap;margin:8px 0 12px}.filters button{border:1px solid var(--line);background:#f6f8fa;border-radius:6px;padding:4px 10px;cursor:pointer}
.filters button.on{background:#0969da;color:#fff;border-color:#0969da}.filters input,.filters select{border:1px solid var(--line);border-radius:6px;padding:4px 8px}.filters input{min-width:240px}
.wrap{overflow-x:auto;border:1px solid var(--line);border-radius:8px}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:5px 8px;border-bottom:1px solid var(--line);vertical-align:top}th{font-weight:600;background:#f6f8fa;position:sticky;top:0}
table.matrix td.c{text-align:center;white-space:nowrap;width:1%}table.matrix th.h{writing-mode:vertical-rl;transform:rotate(180deg);white-space:nowrap;font-weight:500;font-size:12px;text-align:left;padding:6px 4px}
.s{display:inline-block;border-radius:10px;padding:0 7px;font-size:11px;font-weight:600;color:#fff;min-width:34px;text-align:center}
.s.pass{background:var(--pass)}.s.fail{background:var(--fail)}.s.error{background:var(--err)}.s.unknown{background:var(--unk)}.s.waived{background:var(--waived)}.s.manual,.s.not_applicable{background:var(--na)}
.sev{display:inline-block;border:1px solid;border-radius:4px;padding:0 5px;font-size:11px;font-weight:600;text-transform:uppercase;margin-right:6px}
.sev.critical{color:#fff;background:#82071e;border-color:#82071e}.sev.high{color:var(--fail)}.sev.medium{color:#bc4c00}.sev.low{color:var(--muted)}.sev.none{color:var(--na)}
details.ctl>summary{cursor:pointer;list-style-position:outside}details.ctl[open]{padding-bottom:6px}.ev{margin:6px 0 0 0;padding-left:10px;border-left:3px solid var(--line)}
.ev .host{font-weight:600}.ev li{margin:2px 0}.refs{font-size:12px;color:var(--muted)}.tag{font-size:11px;font-weight:600;margin-left:4px}.tag.new{color:var(--fail)}.tag.persisting{color:#bc4c00}
pre{background:#f6f8fa;border:1px solid var(--line);border-radius:6px;padding:6px;overflow:auto;font:12px/1.4 ui-monospace,monospace;margin:4px 0;max-height:240px}
tr.expired td{background:#ffebe9}
`;

const JS = `
(function(){
  var st={status:"all",sev:"all",q:""};
  function apply(){
    var rows=document.querySelectorAll("tr.ctl"),n=0;
    rows.forEach(function(r){
      var okS=st.status==="all"||(" "+r.dataset.statuses+" ").indexOf(" "+st.status+" ")>=0;
      var okV=st.sev==="all"||r.dataset.sev===st.sev;
      var okQ=!st.q||r.textContent.toLowerCase().indexOf(st.q)>=0;
      r.hidden=!(okS&&okV&&okQ);if(!r.hidden)n++;
    });
    document.getElementById("shown").textContent=n;
  }
  document.querySelectorAll(".filters button").forEach(function(b){
    b.addEventListener("click",function(){document.querySelectorAll(".filters button").forEach(function(x){x.classList.remove("on")});b.classList.add("on");st.status=b.dataset.status;apply();});
  });
  document.getElementById("sev").addEventListener("change",function(e){st.sev=e.target.value;apply();});
  document.getElementById("q").addEventListener("input",function(e){st.q=e.target.value.trim().toLowerCase();apply();});
  apply();
})();
`;

export function renderAuditHtml(r: AuditReport, o: HtmlOptions = {}): string {
  const s = r.summary;
  const hosts = [...r.hosts].sort((a, b) => hostRank(a) - hostRank(b) || a.host.localeCompare(b.host, "en", { numeric: true }));
  const byHost = new Map(hosts.map((h) => [h.host, new Map(h.results.map((x) => [x.control, x]))]));
  const controls = controlsByAttention(r);
  const title = `keel ${r.mode === "remediation" ? "remediation report" : "audit"}: ${r.profile.name}`;
  const statuses = ["all", "fail", "error", "unknown", "waived", "pass", "manual", "not_applicable"];
  const rows = controls.map((c) => controlRow(c, hosts, byHost)).join("\n");
  const sig = o.signature
    ? `<div class="sig" id="signature">✔ Signature verified: signed by <b>${esc(o.signature.signer)}</b> (key ${esc(o.signature.key_fingerprint)}) at ${esc(o.signature.signed_at)}</div>`
    : `<div class="sig none" id="signature">Not signature-verified: this rendering does not vouch for the report's origin (see <code>keel report verify</code>).</div>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${esc(title)}</title><style>${CSS}</style></head>
<body>
<h1>${esc(title)}</h1>
<dl class="meta" id="identity">
<dt>keel version</dt><dd>${esc(r.keel_version)}${r.baseline ? ` · ${esc(metaLine({ baseline: r.baseline }))}` : ""}</dd>
<dt>profile</dt><dd>${esc(r.profile.name)} · sha256 <code id="profile-sha256">${esc(r.profile.sha256)}</code></dd>
${scopeNote(r) ? `<dt>scope</dt><dd id="scope">${esc(scopeNote(r))}</dd>\n` : ""}<dt>waivers</dt><dd>${r.waivers ? `${esc(r.waivers.file)} · sha256 <code id="waivers-sha256">${esc(r.waivers.sha256)}</code>` : "none"}</dd>
<dt>catalog</dt><dd>${esc(r.catalog.name)} · playbook ${esc(r.playbook)}</dd>
<dt>run</dt><dd>${esc(r.started_at)} → ${esc(r.finished_at)} (${(r.duration_ms / 1000).toFixed(1)} s) · ${r.mode === "remediation" ? "remediation run (hosts were changed)" : "check mode (nothing on the hosts was changed)"} · waivers judged at ${esc(r.evaluated_at)}</dd>
</dl>
${sig}
<div class="cards">
<div class="card score"><div class="n" id="score">${s.score.with_waivers ?? "–"}</div>fleet score<br><span class="muted">${s.score.without_waivers ?? "–"} without waivers${r.fail_under !== undefined ? ` · fail under ${r.fail_under}` : ""}</span></div>
${["fail", "waived", "pass", "error", "unknown", "manual", "not_applicable"].map((k) => `<div class="card ${k}"><div class="n" id="count-${k}">${s.counts[k as keyof typeof s.counts]}</div>${k.replace("_", " ")}</div>`).join("")}
<div class="card"><div class="n" id="count-hosts">${s.hosts}</div>hosts${s.unreachable ? `<br><b style="color:var(--err)">${s.unreachable} unreachable</b>` : ""}</div>
</div>
<h2>Controls × hosts <span class="muted">(<span id="shown">${controls.length}</span> of ${controls.length} controls; failing first, by severity)</span></h2>
<div class="filters">${statuses.map((k) => `<button data-status="${k}"${k === "all" ? ' class="on"' : ""}>${k.replace("_", " ")}</button>`).join("")}
<select id="sev" aria-label="severity"><option value="all">every severity</option>${["critical", "high", "medium", "low", "none"].map((v) => `<option>${v}</option>`).join("")}</select>
<input id="q" type="search" placeholder="filter: control, title, host, evidence…" aria-label="text filter"></div>
<div class="wrap"><table class="matrix" id="matrix"><thead><tr><th>control</th>${hosts.map((h) => `<th class="h" title="${esc(h.host)}">${esc(h.host)}<br><span class="muted">${h.state === "checked" ? (h.score.with_waivers ?? "–") : h.state}</span></th>`).join("")}</tr></thead>
<tbody>
${rows}
</tbody></table></div>
${waiversSection(r)}
<h2>Hosts</h2>
<div class="wrap"><table id="hosts"><thead><tr><th>host</th><th>state</th><th>platform</th><th>score</th><th>without waivers</th><th>fail</th><th>waived</th><th>round trips</th><th>time</th></tr></thead><tbody>
${hosts.map((h) => `<tr><td>${esc(h.host)}</td><td>${esc(h.state)}${h.error ? `<br><span class="muted">${esc(h.error)}</span>` : ""}</td><td>${h.platform ? esc(`${h.platform.os} · ${h.platform.kernel} · ${h.platform.arch}`) : "–"}</td><td>${h.score.with_waivers ?? "–"}</td><td>${h.score.without_waivers ?? "–"}</td><td>${h.counts.fail}</td><td>${h.counts.waived}</td><td>${h.round_trips}</td><td>${(h.duration_ms / 1000).toFixed(1)} s</td></tr>`).join("\n")}
</tbody></table></div>
<script type="application/json" id="keel-audit-report">${JSON.stringify(r).replace(/</g, "\\u003c")}</script>
<script>${JS}</script>
</body></html>
`;
}

function hostRank(h: HostAudit): number {
  return h.state === "unreachable" ? 0 : h.state === "failed" ? 1 : h.counts.fail ? 2 : 3;
}

function controlRow(c: ReportControl, hosts: HostAudit[], byHost: Map<string, Map<string, ControlResult>>): string {
  const results = hosts.map((h) => ({ h, x: byHost.get(h.host)!.get(c.id) }));
  const statuses = [...new Set(results.map((r) => r.x?.status).filter(Boolean))].join(" ");
  const cells = results
    .map(({ h, x }) =>
      x
        ? `<td class="c" title="${esc(`${h.host}: ${x.status} — ${x.reason}`)}"><span class="s ${x.status}">${SHORT[x.status]}</span>${x.compare === "new" ? '<span class="tag new">new</span>' : ""}</td>`
        : `<td class="c">–</td>`,
    )
    .join("");
  const interesting = results
    .filter(({ x }) => x)
    .sort((a, b) => statusRank(a.x!.status) - statusRank(b.x!.status))
    .map(({ h, x }) => evidenceItem(h, x!))
    .join("");
  const refs = [...c.references.cis.map((x) => `CIS ${x}`), ...c.references.devsec.map((x) => `dev-sec ${x}`), ...c.references.nist.map((x) => `NIST ${x}`)];
  return `<tr class="ctl" data-id="${esc(c.id)}" data-sev="${c.severity}" data-statuses="${esc(statuses)}"><td><details class="ctl"><summary><span class="sev ${c.severity}">${c.severity}</span><code>${esc(c.id)}</code> ${esc(c.title)}</summary>
<p>${esc(c.rationale)}</p>${c.applies_when ? `<p class="refs">applies when <code>${esc(c.applies_when)}</code></p>` : ""}${c.procedure ? `<pre>${esc(c.procedure)}</pre>` : ""}
<p class="refs">${refs.length ? `references: ${refs.map(esc).join(" · ")} · ` : ""}defined at <code>${esc(c.file)}:${c.line}</code> · impact ${c.impact}</p>
<ul class="ev">${interesting}</ul></details></td>${cells}</tr>`;
}

function evidenceItem(h: HostAudit, x: ControlResult): string {
  const ev = x.evidence
    .map((e) => {
      const lines = e.changes.map((ch) => `<li class="mono">${esc(describeChange(ch))}${ch.diff ? `<pre>${esc(ch.diff)}</pre>` : ""}</li>`).join("");
      return `<li>task <code>${esc(e.task)}</code> <span class="muted">(${esc(e.file)}:${e.line})</span> ${esc(e.resource)}${e.item ? ` [${esc(e.item)}]` : ""}: <b>${esc(e.result)}</b>${e.note ? ` — ${esc(e.note)}` : ""}${lines ? `<ul>${lines}</ul>` : ""}</li>`;
    })
    .join("");
  const waiver = x.waiver
    ? `<div${x.waiver.state === "expired" ? ' style="color:var(--fail);font-weight:600"' : ""}>${esc(x.waiver.state === "unneeded" ? `waiver ${x.waiver.defined_at} not needed` : describeWaiver(x.waiver))}</div>`
    : "";
  const before = x.before && x.before !== x.checked ? ` <span class="muted">(before: ${esc(x.before)})</span>` : "";
  const found = x.status !== x.checked ? ` <span class="muted">(found: ${esc(x.checked)})</span>` : "";
  return `<li><span class="host">${esc(h.host)}</span> <span class="s ${x.status}">${SHORT[x.status]}</span>${found}${before}${x.compare ? ` <span class="tag ${x.compare}">${x.compare}${x.since ? ` since ${esc(x.since)}` : ""}</span>` : ""} ${esc(x.reason)}${waiver}${ev ? `<ul>${ev}</ul>` : ""}</li>`;
}

function waiversSection(r: AuditReport): string {
  if (!r.waivers) return "";
  const now = Date.parse(r.evaluated_at);
  const uses = new Map<string, string[]>();
  for (const h of r.hosts)
    for (const x of h.results) if (x.waiver) uses.set(x.waiver.defined_at, [...(uses.get(x.waiver.defined_at) ?? []), `${h.host} (${x.waiver.state})`]);
  const rows = r.waivers.entries.map((w) => {
    const expired = expiredAt(w.expires) <= now;
    return `<tr${expired ? ' class="expired"' : ""}><td><code>${esc(w.control)}</code></td><td>${esc(w.hosts)}</td><td>${esc(w.approver)}</td><td>${esc(w.expires)}${expired ? " <b>(expired)</b>" : ""}</td><td>${esc(w.justification)}</td><td>${esc((uses.get(w.defined_at) ?? []).join(", ") || "–")}</td><td class="muted">${esc(w.defined_at)}</td></tr>`;
  });
  return `<h2>Waivers</h2><div class="wrap"><table id="waivers"><thead><tr><th>control</th><th>hosts</th><th>approver</th><th>expires</th><th>justification</th><th>applied to</th><th>where</th></tr></thead><tbody>${rows.join("\n")}</tbody></table></div>`;
}

function expiredAt(expires: string): number {
  return /^\d{4}-\d{2}-\d{2}$/.test(expires) ? Date.parse(`${expires}T00:00:00Z`) + 86_400_000 : Date.parse(expires);
}
