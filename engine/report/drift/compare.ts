// Marks each drifted item as new, persisting (since when) or resolved against an earlier run. Pure.
import type { DriftReport, DriftItem } from "./model.js";
import { summarize } from "./model.js";

export interface PreviousItem {
  item: DriftItem;
  host: string;
  /** When this item was first seen drifting (carried over run to run while it persists). */
  firstSeen: string;
}

/** With no earlier run (`previousRun` absent) every drifted item is new. */
export function compareWith(
  current: DriftReport,
  previous: PreviousItem[],
  previousRun?: { run_id?: number; file?: string; generated_at: string },
): DriftReport {
  const prev = new Map(previous.map((p) => [p.item.key, p]));
  const seen = new Set<string>();
  const hosts = current.hosts.map((h) => {
    const items = h.items.map((it) => {
      const p = prev.get(it.key);
      seen.add(it.key);
      return p ? { ...it, compare: "persisting" as const, since: p.firstSeen } : { ...it, compare: "new" as const, since: current.generated_at };
    });
    // Only a host that was actually checked this time can have resolved items.
    const checked = h.status === "in_sync" || h.status === "drifted";
    const resolved = checked
      ? previous
          .filter((p) => p.host === h.host && !h.items.some((it) => it.key === p.item.key))
          .map((p) => ({ ...p.item, compare: "resolved" as const, since: p.firstSeen }))
      : [];
    return { ...h, items, resolved };
  });
  return { ...current, ...(previousRun ? { compared_with: previousRun } : {}), hosts, summary: summarize(hosts) };
}

/** first_seen for each item of a report being recorded, given the previous run's items. */
export function firstSeen(current: DriftReport, previous: PreviousItem[]): Map<string, string> {
  const prev = new Map(previous.map((p) => [p.item.key, p.firstSeen]));
  const out = new Map<string, string>();
  for (const h of current.hosts) for (const it of h.items) out.set(it.key, prev.get(it.key) ?? current.generated_at);
  return out;
}
