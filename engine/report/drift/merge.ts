// Combines the JSON reports of several shards (or runs) into one report. Pure.
import type { DriftReport } from "./model.js";
import { summarize, DRIFT_SCHEMA_VERSION } from "./model.js";

export function mergeReports(reports: DriftReport[]): DriftReport {
  if (reports.length === 0) throw new Error("nothing to merge");
  const byHost = new Map<string, DriftReport["hosts"][number]>();
  for (const r of reports) for (const h of r.hosts) byHost.set(h.host, h); // a later report wins for a host seen twice
  const hosts = [...byHost.values()].sort((a, b) => a.host.localeCompare(b.host, "en", { numeric: true }));
  const playbooks = [...new Set(reports.map((r) => r.playbook))];
  const times = reports.map((r) => r.generated_at).sort();
  // What produced the shards, when they all agree on it (one keel, one baseline commit): the merged
  // report then says what one unsharded run would have said. Shards that disagree say nothing.
  const same = <T>(xs: T[]): T | undefined => (xs.every((x) => JSON.stringify(x) === JSON.stringify(xs[0])) ? xs[0] : undefined);
  const keelVersion = same(reports.map((r) => r.keel_version));
  const baseline = same(reports.map((r) => r.baseline));
  return {
    schema_version: DRIFT_SCHEMA_VERSION,
    kind: "keel.drift",
    generated_at: times[times.length - 1]!,
    ...(keelVersion !== undefined ? { keel_version: keelVersion } : {}),
    ...(baseline !== undefined ? { baseline } : {}),
    playbook: playbooks.join(", "),
    duration_ms: Math.max(...reports.map((r) => r.duration_ms)),
    summary: summarize(hosts),
    hosts,
  };
}
