// `--json FILE`: the whole event stream plus the final summary, as one document that follows
// schemas/run-report.schema.json (schema_version 1). Bump RUN_REPORT_SCHEMA_VERSION on any
// incompatible change and describe it in the schema.
import type { EventSink, KeelEvent, HostStats, RunSummary } from "../core/events.js";
import type { Change } from "../core/module.js";
import { InternalError } from "../core/errors.js";
import type { Baseline, ReportMeta } from "./meta.js";

export const RUN_REPORT_SCHEMA_VERSION = 1;

export interface RunReportSummary {
  hosts: Record<string, HostStats & { round_trips: number; status: "ok" | "failed" | "unreachable" }>;
  round_trips: Record<string, number>;
  failed: string[];
  unreachable: string[];
  /** Hosts that changed and did not fail (a rolling patch: the hosts patched). */
  changed: string[];
  failures: { host: string; task?: string; pos?: string; message: string }[];
  duration_ms: number;
  /** Hosts that never started because the run stopped early. */
  not_run?: string[];
  /** Why the run stopped early. */
  stopped?: string;
}

export interface RunReport {
  schema_version: 1;
  keel_version: string;
  /** The playbook's git repository state (reportMeta). */
  baseline: Baseline;
  playbook: string;
  check: boolean;
  started: string;
  events: unknown[];
  summary: RunReportSummary;
}

/** Collects events, and the run.summary event; `report()` builds the document. */
export class JsonReporter {
  private readonly events: unknown[] = [];
  private playbook = "";
  private check = false;
  private started = new Date().toISOString();
  private summary?: RunSummary;

  constructor(private readonly meta: ReportMeta) {}

  readonly sink: EventSink = (e: KeelEvent) => {
    if (e.type === "run.start") {
      this.playbook = e.playbook;
      this.check = e.check;
      this.started = e.time;
    }
    // the summary is the document's `summary`, not one more event
    if (e.type === "run.summary") this.summary = e.summary;
    else this.events.push(toJson(e));
  };

  report(): RunReport {
    const s = this.summary;
    if (!s) throw new InternalError("JSON report asked for before the run's run.summary event");
    const hosts: RunReportSummary["hosts"] = {};
    for (const [h, st] of Object.entries(s.stats)) {
      hosts[h] = { ...st, round_trips: s.roundTrips[h] ?? 0, status: s.unreachable.includes(h) ? "unreachable" : s.failed.includes(h) ? "failed" : "ok" };
    }
    return {
      schema_version: RUN_REPORT_SCHEMA_VERSION,
      keel_version: this.meta.keel_version,
      baseline: this.meta.baseline,
      playbook: this.playbook,
      check: this.check,
      started: this.started,
      events: this.events,
      summary: {
        hosts,
        round_trips: { ...s.roundTrips },
        failed: [...s.failed],
        unreachable: [...s.unreachable],
        changed: changedHosts(s),
        failures: s.failures.map((f) => {
          const o: RunReportSummary["failures"][number] = { host: f.host, message: f.message };
          if (f.task) {
            o.task = f.task.name;
            o.pos = `${f.task.pos.file}:${f.task.pos.line}:${f.task.pos.col}`;
          }
          return o;
        }),
        duration_ms: s.durationMs,
        ...(s.notRun?.length ? { not_run: [...s.notRun] } : {}),
        ...(s.stopped ? { stopped: s.stopped } : {}),
      },
    };
  }
}

/** Hosts with changes that neither failed nor became unreachable, in the summary's host order. */
export function changedHosts(s: RunSummary): string[] {
  return Object.entries(s.stats)
    .filter(([h, st]) => st.changed > 0 && !s.failed.includes(h) && !s.unreachable.includes(h))
    .map(([h]) => h);
}

/** An event as plain JSON: module-private change data is dropped, values made JSON-safe. */
function toJson(e: KeelEvent): unknown {
  if (e.type === "task.result") {
    const changes = e.result.changes.map((c: Change) => {
      const { data: _data, ...rest } = c;
      return rest;
    });
    return jsonSafe({ ...e, result: { ...e.result, changes } });
  }
  return jsonSafe(e);
}

function jsonSafe(v: unknown): unknown {
  return JSON.parse(
    JSON.stringify(v, (_k, x) => {
      if (typeof x === "bigint") return x.toString();
      if (x && typeof x === "object" && (x as { type?: unknown }).type === "Buffer" && Array.isArray((x as { data?: unknown }).data)) return "(binary)";
      return x;
    }),
  );
}
