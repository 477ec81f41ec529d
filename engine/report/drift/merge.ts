// Combines the JSON reports of several shards (or runs) into one report. Pure.
import type { DriftReport } from "./model.js";
import { summarize, DRIFT_SCHEMA_VERSION } from "./model.js";
import { InputError } from "../../core/errors.js";

/**
 * Shard reports (written with --shard K/N) merge only as a whole set: every shard 1..N of one N.
 * A missing shard would leave its hosts out of a report that looks complete (a CI job that
 * failed before writing its report, a pod still running). Reports without a shard label are runs
 * merged as given.
 */
function checkShards(reports: DriftReport[]): void {
  const labelled = reports.filter((r) => r.shard);
  if (!labelled.length) return;
  const totals = [...new Set(labelled.map((r) => r.shard!.total))];
  if (labelled.length < reports.length || totals.length > 1)
    throw new InputError(
      `cannot merge shards of different splits (${reports.map((r) => (r.shard ? `${r.shard.index}/${r.shard.total}` : "unsharded")).join(", ")})`,
      undefined,
      "merge the reports of one `keel drift --shard K/N` run, every K from 1 to N",
    );
  const total = totals[0]!;
  const seen = new Set(labelled.map((r) => r.shard!.index));
  const missing = Array.from({ length: total }, (_, i) => i + 1).filter((k) => !seen.has(k));
  if (missing.length)
    throw new InputError(
      `shard report${missing.length > 1 ? "s" : ""} ${missing.map((k) => `${k}/${total}`).join(", ")} missing: the merged report would leave ${missing.length > 1 ? "their" : "its"} hosts out`,
      undefined,
      `pass the JSON reports of all ${total} shards (did a shard's job fail before writing its report?)`,
    );
}

export function mergeReports(reports: DriftReport[]): DriftReport {
  if (reports.length === 0) throw new InputError("nothing to merge", undefined, "pass the JSON reports to merge");
  checkShards(reports);
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
