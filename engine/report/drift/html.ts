// One self-contained HTML drift report: no external assets. A fleet overview (counts, drift by task
// and by host), filters (status and text), and expandable per-item diffs. It renders without
// JavaScript; the inline script only adds filtering. The model is embedded as JSON for tooling.
import type { DriftReport, HostDrift, DriftItem } from "./model.js";
import { driftByTask, hostsByAttention } from "./model.js";
import { metaLine } from "../meta.js";
import { escHtml } from "../htmlesc.js";

const esc = escHtml;

const CSS = `
:root{--ok:#1a7f37;--drift:#cf222e;--unr:#8250df;--unk:#9a6700;--fg:#1f2328;--muted:#656d76;--bg:#fff;--line:#d0d7de}
*{box-sizing:border-box}body{font:14px/1.45 system-ui,-apple-system,Segoe UI,sans-serif;color:var(--fg);background:var(--bg);margin:0;padding:24px 32px}
h1{font-size:20px;margin:0 0 4px}h2{font-size:16px;margin:28px 0 8px}.muted{color:var(--muted)}
.cards{display:flex;gap:12px;margin:16px 0;flex-wrap:wrap}.card{border:1px solid var(--line);border-radius:8px;padding:12px 16px;min-width:130px}
.card .n{font-size:28px;font-weight:600}.card.in_sync .n{color:var(--ok)}.card.drifted .n{color:var(--drift)}.card.unreachable .n{color:var(--unr)}.card.failed .n{color:var(--drift)}.card.unknown .n{color:var(--unk)}
table{border-collapse:collapse;width:100%;margin:6px 0}th,td{text-align:left;padding:5px 8px;border-bottom:1px solid var(--line);vertical-align:top}th{font-weight:600;background:#f6f8fa}
.bar{display:inline-block;height:10px;background:var(--drift);border-radius:2px;vertical-align:middle;margin-right:6px}
.badge{display:inline-block;border-radius:10px;padding:0 8px;font-size:12px;font-weight:600;color:#fff}
.badge.in_sync{background:var(--ok)}.badge.drifted{background:var(--drift)}.badge.unreachable{background:var(--unr)}.badge.failed{background:var(--drift)}
.host{border:1px solid var(--line);border-radius:8px;margin:10px 0;padding:8px 12px}.host>summary{cursor:pointer;font-weight:600}
.filters{display:flex;gap:8px;align-items:center;flex-wrap:wrap;margin:8px 0}.filters button{border:1px solid var(--line);background:#f6f8fa;border-radius:6px;padding:4px 10px;cursor:pointer}
.filters button.on{background:#0969da;color:#fff;border-color:#0969da}.filters input{border:1px solid var(--line);border-radius:6px;padding:4px 8px;min-width:240px}
pre.diff{background:#f6f8fa;border:1px solid var(--line);border-radius:6px;padding:8px;overflow:auto;font:12px/1.4 ui-monospace,monospace;margin:4px 0}
.add{color:#116329}.del{color:#82071e}.hunk{color:#0550ae}code{font:12px ui-monospace,monospace}
.tag{font-size:12px;font-weight:600}.tag.new{color:var(--drift)}.tag.persisting{color:#bc4c00}.tag.resolved{color:var(--ok)}.tag.unknown{color:var(--unk)}
`;

const JS = `
(function(){
  var state={status:"all",q:""};
  function apply(){
    var hosts=document.querySelectorAll("details.host");var shown=0;
    hosts.forEach(function(h){
      var okS=state.status==="all"||h.dataset.status===state.status;
      var okQ=!state.q||h.textContent.toLowerCase().indexOf(state.q)>=0;
      h.hidden=!(okS&&okQ);if(!h.hidden)shown++;
    });
    document.getElementById("shown").textContent=shown;
  }
  document.querySelectorAll(".filters button").forEach(function(b){
    b.addEventListener("click",function(){
      document.querySelectorAll(".filters button").forEach(function(x){x.classList.remove("on")});
      b.classList.add("on");state.status=b.dataset.status;apply();
    });
  });
  document.getElementById("q").addEventListener("input",function(e){state.q=e.target.value.toLowerCase();apply()});
  apply();
})();
`;

export function renderHtml(r: DriftReport): string {
  const s = r.summary;
  const byTask = driftByTask(r);
  const maxT = Math.max(1, ...byTask.map((t) => t.hosts));
  const drifted = r.hosts.filter((h) => h.items.length).sort((a, b) => b.items.length - a.items.length);
  const maxH = Math.max(1, ...drifted.map((h) => h.items.length));
  const card = (cls: string, n: number, label: string) =>
    `<div class="card ${cls}" data-count="${cls}"><div class="n">${n}</div><div class="muted">${label}</div></div>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>keel drift — ${esc(r.playbook)}</title><style>${CSS}</style></head>
<body>
<h1>keel drift report</h1>
<div class="muted">playbook <code>${esc(r.playbook)}</code>${r.shard ? ` · shard ${r.shard.index}/${r.shard.total}` : ""} · generated ${esc(r.generated_at)} · ${(r.duration_ms / 1000).toFixed(1)} s${metaLine(r) ? ` · ${esc(metaLine(r))}` : ""}${r.compared_with ? ` · compared with ${r.compared_with.file !== undefined ? esc(r.compared_with.file) : `run #${r.compared_with.run_id}`} (${esc(r.compared_with.generated_at)})` : ""}</div>
<section class="cards" id="overview">
${card("hosts", s.hosts, "hosts")}${card("in_sync", s.in_sync, "in sync")}${card("drifted", s.drifted, "drifted")}${card("unreachable", s.unreachable, "unreachable")}${card("failed", s.failed, "failed")}${card("items", s.items, "drifted items")}${card("unknown", s.unknown, "unknown")}
</section>
<h2>Drift by task</h2>
${byTask.length ? `<table id="by-task"><tr><th>task</th><th>where</th><th>hosts</th></tr>${byTask.map((t) => `<tr><td>${esc(t.task)}</td><td><code>${esc(t.where)}</code></td><td><span class="bar" style="width:${Math.round((120 * t.hosts) / maxT)}px"></span>${t.hosts}</td></tr>`).join("")}</table>` : `<p class="muted">No drift.</p>`}
<h2>Drift by host</h2>
${drifted.length ? `<table id="by-host"><tr><th>host</th><th>drifted items</th></tr>${drifted.map((h) => `<tr><td>${esc(h.host)}</td><td><span class="bar" style="width:${Math.round((120 * h.items.length) / maxH)}px"></span>${h.items.length}</td></tr>`).join("")}</table>` : `<p class="muted">No drift.</p>`}
<h2>Hosts</h2>
<div class="filters"><button class="on" data-status="all">all</button><button data-status="drifted">drifted</button><button data-status="unreachable">unreachable</button><button data-status="failed">failed</button><button data-status="in_sync">in sync</button>
<input id="q" type="search" placeholder="filter by host, task, resource…"><span class="muted"><span id="shown">${r.hosts.length}</span> shown</span></div>
${hostsByAttention(r).map(hostSection).join("\n")}
<script type="application/json" id="keel-drift-data">${JSON.stringify(r).replace(/</g, "\\u003c")}</script>
<script>${JS}</script>
</body></html>
`;
}

function hostSection(h: HostDrift): string {
  const open = h.status !== "in_sync" ? " open" : "";
  const rows = [
    ...h.items.map((it) => itemRow(it)),
    ...h.resolved.map(
      (it) =>
        `<tr><td><span class="tag resolved">resolved</span></td><td><code>${esc(it.resource)}</code></td><td>${esc(it.summary)}</td><td>${esc(it.task)}</td></tr>`,
    ),
    ...h.unknown.map(
      (u) =>
        `<tr><td><span class="tag unknown">unknown</span></td><td><code>${esc(u.resource)}</code></td><td>${esc(u.reason)}</td><td>${esc(u.task)} <code class="muted">${esc(u.file)}:${u.line}</code></td></tr>`,
    ),
  ];
  return `<details class="host" data-status="${h.status}" data-host="${esc(h.host)}"${open}>
<summary>${esc(h.host)} <span class="badge ${h.status}">${h.status.replace("_", " ")}</span> <span class="muted">${h.items.length} drifted · ${h.in_sync} in sync · ${h.unknown.length} unknown · ${h.round_trips} round trips · ${(h.duration_ms / 1000).toFixed(1)} s${h.facts ? ` · ${esc(h.facts.os)}` : ""}</span></summary>
${h.error ? `<p class="muted">${esc(h.error)}</p>` : ""}
${rows.length ? `<table><tr><th></th><th>resource</th><th>change</th><th>task</th></tr>${rows.join("")}</table>` : ""}
</details>`;
}

function itemRow(it: DriftItem): string {
  const tag =
    it.compare === "persisting"
      ? `<span class="tag persisting">since ${esc(it.since?.slice(0, 10) ?? "")}</span>`
      : it.compare === "new"
        ? `<span class="tag new">new</span>`
        : `<span class="tag new">drift</span>`;
  const detail = it.changes
    .map((c) => {
      if (c.diff) return `<pre class="diff">${c.diff.split("\n").map(diffLine).join("\n")}</pre>`;
      if (c.before !== undefined || c.after !== undefined)
        return `<div><code>${esc(c.field ?? "value")}</code>: <code>${esc(show(c.before))}</code> → <code>${esc(show(c.after))}</code></div>`;
      return "";
    })
    .join("");
  const change = detail ? `<details class="item"><summary>${esc(it.summary)}</summary>${detail}</details>` : esc(it.summary);
  return `<tr class="item" data-key="${esc(it.key)}"><td>${tag}</td><td><code>${esc(it.resource)}</code></td><td>${change}</td><td>${esc(it.task)} <code class="muted">${esc(it.file)}:${it.line}</code></td></tr>`;
}

const show = (v: unknown) => (v === undefined ? "(none)" : typeof v === "string" ? v : JSON.stringify(v));

function diffLine(l: string): string {
  const e = esc(l);
  if (l.startsWith("+++") || l.startsWith("---")) return `<b>${e}</b>`;
  if (l.startsWith("+")) return `<span class="add">${e}</span>`;
  if (l.startsWith("-")) return `<span class="del">${e}</span>`;
  if (l.startsWith("@@")) return `<span class="hunk">${e}</span>`;
  return e;
}
