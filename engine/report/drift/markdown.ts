// Markdown drift summary for a CI step summary or a pull-request comment.
import type { DriftReport } from "./model.js";
import { driftByTask } from "./model.js";
import { metaLine } from "../meta.js";
import { mdCode as code, mdFence, mdHtml, mdText as esc } from "../mdtext.js";

// Escaping by context (mdtext.ts): mdText in Markdown (table cells, the quote), mdHtml inside the
// <details><summary> HTML blocks, mdCode for code spans, mdFence around diffs.
export function renderMarkdown(r: DriftReport): string {
  const s = r.summary;
  const icon = s.unreachable || s.failed ? "🔴" : s.drifted ? "🟠" : "🟢";
  const out: string[] = [];
  out.push(`## ${icon} keel drift: ${s.drifted} of ${s.hosts} hosts drifted`);
  out.push("");
  out.push(
    `Playbook ${code(r.playbook)}${r.shard ? ` · shard ${r.shard.index}/${r.shard.total}` : ""} · ${r.generated_at}${metaLine(r) ? ` · ${metaLine(r)}` : ""}`,
  );
  out.push("");
  out.push("| in sync | drifted | unreachable | failed | drifted items | unknown |");
  out.push("|---:|---:|---:|---:|---:|---:|");
  out.push(`| ${s.in_sync} | ${s.drifted} | ${s.unreachable} | ${s.failed} | ${s.items} | ${s.unknown} |`);
  const byTask = driftByTask(r);
  if (byTask.length) {
    out.push("", "### Drift by task", "", "| task | where | hosts |", "|---|---|---:|");
    for (const t of byTask) out.push(`| ${esc(t.task)} | ${code(t.where)} | ${t.hosts} |`);
  }
  const bad = r.hosts.filter((h) => h.status !== "in_sync" || h.unknown.length || h.resolved.length);
  if (bad.length) {
    out.push("", "### Hosts", "");
    for (const h of bad) {
      out.push(
        `<details${h.status === "in_sync" ? "" : " open"}><summary><b>${mdHtml(h.host)}</b> — ${h.status.replace("_", " ")}${h.items.length ? `, ${h.items.length} drifted` : ""}</summary>`,
        "",
      );
      // an error with a code frame (file:line:col, the source line, a caret) keeps its lines
      if (h.error?.includes("\n")) out.push(mdFence(h.error), h.error.trimEnd(), mdFence(h.error), "");
      else if (h.error) out.push(`> ${esc(h.error)}`, "");
      if (h.items.length || h.unknown.length || h.resolved.length) {
        out.push("| | resource | change | task |", "|---|---|---|---|");
        for (const it of h.items)
          out.push(
            `| ${it.compare === "persisting" ? `persisting since ${it.since?.slice(0, 10)}` : it.compare === "new" ? "new" : "drift"} | ${code(it.resource)} | ${esc(it.summary)} | ${esc(it.task)} (${code(`${it.file}:${it.line}`)}) |`,
          );
        for (const it of h.resolved) out.push(`| resolved | ${code(it.resource)} | ${esc(it.summary)} | ${esc(it.task)} |`);
        for (const u of h.unknown) out.push(`| unknown | ${code(u.resource)} | ${esc(u.reason)} | ${esc(u.task)} (${code(`${u.file}:${u.line}`)}) |`);
        out.push("");
      }
      for (const it of h.items)
        for (const c of it.changes)
          if (c.diff && !it.secret) {
            const fence = mdFence(c.diff);
            out.push(`<details><summary>diff ${mdHtml(it.resource)}</summary>`, "", `${fence}diff`, c.diff.trimEnd(), fence, "</details>", "");
          }
      out.push("</details>", "");
    }
  }
  return out.join("\n") + "\n";
}
