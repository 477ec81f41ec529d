// The text drift report: a table grouped by host, colored on a TTY unless NO_COLOR.
import type { DriftReport, HostDrift, DriftItem } from "./model.js";
import { hostsByAttention } from "./model.js";
import stringWidth from "string-width";

export interface TextOptions {
  color: boolean;
  /** Show unified diffs and before/after values. */
  details: boolean;
  /** Terminal width for truncation; 0 = no truncation. */
  width?: number;
}

const C = { red: 31, green: 32, yellow: 33, blue: 34, magenta: 35, cyan: 36, gray: 90, bold: 1 } as const;

export function renderText(r: DriftReport, o: TextOptions): string {
  const paint = (code: keyof typeof C, s: string) => (o.color ? `\x1b[${C[code]}m${s}\x1b[0m` : s);
  const lines: string[] = [];
  const s = r.summary;
  const head = `Drift report for ${r.playbook}${r.shard ? ` (shard ${r.shard.index}/${r.shard.total})` : ""} — ${r.generated_at}`;
  lines.push(paint("bold", head));
  // Hosts that need attention get a section each; hosts in sync with nothing to say share one line.
  const quiet = r.hosts.filter((h) => h.status === "in_sync" && !h.unknown.length && !h.resolved.length && !h.ignored?.length);
  for (const h of hostsByAttention(r).filter((x) => !quiet.includes(x))) {
    lines.push("");
    lines.push(hostLine(h, paint));
    if (h.error) lines.push(`  ${paint(h.status === "unreachable" ? "magenta" : "red", h.error)}`);
    // Two lines per item: what differs, then where it is declared.
    const rows: [string, string, string, string][] = [
      ...h.items.map((it) => [mark(it, paint), it.resource, it.summary, where(it)] as [string, string, string, string]),
      ...h.resolved.map((it) => [paint("green", "✓ resolved"), it.resource, it.summary, where(it)] as [string, string, string, string]),
      ...h.unknown.map((u) => [paint("yellow", "? unknown"), u.resource, u.reason, where(u)] as [string, string, string, string]),
      ...(h.ignored ?? []).map((u) => [paint("yellow", "! failed, ignored"), u.resource, u.msg, where(u)] as [string, string, string, string]),
    ];
    const w0 = Math.max(0, ...rows.map((r) => visible(r[0])));
    const w1 = Math.min(40, Math.max(0, ...rows.map((r) => visible(r[1]))));
    for (const [m, res, summary, at] of rows) {
      // a resource wider than its column gets a line of its own: the summaries stay in one column
      if (visible(res) > w1) {
        lines.push(clip(`  ${pad(m, w0)}  ${res}`, o.width ?? 0));
        lines.push(clip(`  ${" ".repeat(w0)}  ${" ".repeat(w1)}  ${summary}`, o.width ?? 0));
      } else lines.push(clip(`  ${pad(m, w0)}  ${pad(res, w1)}  ${summary}`, o.width ?? 0));
      lines.push(clip(`  ${" ".repeat(w0)}  ${paint("gray", at)}`, o.width ?? 0));
    }
    if (o.details) {
      for (const it of h.items) {
        const detail = details(it);
        if (detail.length) {
          lines.push(`  ${paint("cyan", `── ${it.resource} (${it.task})`)}`);
          for (const d of detail) lines.push(`    ${colorDiffLine(d, paint)}`);
        }
      }
    }
  }
  if (quiet.length) {
    lines.push("");
    lines.push(`${paint("green", "IN SYNC")}  ${quiet.map((h) => h.host).join(", ")}`);
  }
  lines.push("");
  const parts = [
    paint("green", `${s.in_sync} in sync`),
    paint(s.drifted ? "red" : "gray", `${s.drifted} drifted`),
    paint(s.unreachable ? "magenta" : "gray", `${s.unreachable} unreachable`),
    paint(s.failed ? "red" : "gray", `${s.failed} failed`),
  ];
  lines.push(
    `${s.hosts} host${s.hosts === 1 ? "" : "s"}: ${parts.join(", ")} · ${s.items} drifted items, ${s.unknown} unknown${s.ignored ? `, ${s.ignored} failed (ignored)` : ""}${s.resolved ? `, ${s.resolved} resolved` : ""}`,
  );
  return lines.join("\n") + "\n";
}

function hostLine(h: HostDrift, paint: (c: keyof typeof C, s: string) => string): string {
  const badge = {
    in_sync: paint("green", "IN SYNC"),
    drifted: paint("red", "DRIFTED"),
    unreachable: paint("magenta", "UNREACHABLE"),
    failed: paint("red", "FAILED"),
  }[h.status];
  const facts = h.facts ? paint("gray", ` ${h.facts.os}, ${h.facts.kernel}`) : "";
  const meta = paint("gray", ` ${(h.duration_ms / 1000).toFixed(1)}s, ${h.round_trips} round trips, ${h.in_sync} in sync`);
  return `${paint("bold", h.host)}  ${badge}${facts}${meta}`;
}

function mark(it: DriftItem, paint: (c: keyof typeof C, s: string) => string): string {
  if (it.compare === "new") return paint("red", "✗ new");
  if (it.compare === "persisting") return paint("red", `✗ since ${it.since?.slice(0, 10) ?? "?"}`);
  return paint("red", "✗ drift");
}

function details(it: DriftItem): string[] {
  const out: string[] = [];
  for (const c of it.changes) {
    if (c.diff) out.push(...c.diff.split("\n").filter((l) => l !== ""));
    else if (c.before !== undefined || c.after !== undefined) out.push(`${c.field ?? "value"}: ${fmt(c.before)} → ${fmt(c.after)}`);
  }
  return out;
}

function fmt(v: unknown): string {
  if (v === undefined) return "(none)";
  return typeof v === "string" ? v : JSON.stringify(v);
}

function colorDiffLine(l: string, paint: (c: keyof typeof C, s: string) => string): string {
  if (l.startsWith("+++") || l.startsWith("---")) return paint("bold", l);
  if (l.startsWith("+")) return paint("green", l);
  if (l.startsWith("-")) return paint("red", l);
  if (l.startsWith("@@")) return paint("cyan", l);
  return l;
}

/** Columns a string takes on a terminal: wide (CJK) and emoji count 2, combining marks 0, colors nothing. */
const visible = (s: string) => stringWidth(s);

function pad(s: string, w: number): string {
  return s + " ".repeat(Math.max(0, w - visible(s)));
}

/** Cut a line to the terminal width, by display width and whole characters (colored lines are left whole). */
function clip(line: string, width: number): string {
  if (width <= 0 || line.includes("\x1b[") || visible(line) <= width) return line;
  let out = "";
  let w = 0;
  for (const { segment } of new Intl.Segmenter().segment(line)) {
    const sw = visible(segment);
    if (w + sw > width - 1) break;
    out += segment;
    w += sw;
  }
  return out + "…";
}

function where(t: { task: string; file: string; line: number; item?: string }): string {
  return `${t.task}${t.item ? ` (${t.item})` : ""} · ${t.file}:${t.line}`;
}
