// JUnit XML: one testsuite per host, one testcase per checked task. Drift is a failure whose
// message is the summary; unreachable/failed hosts are an error testcase; unknown tasks are skipped.
import junit from "junit-report-builder";
import type { JUnitReportBuilder } from "junit-report-builder/dist/builder.js";
import type { DriftReport } from "./model.js";
import { metaProperties } from "../meta.js";

export function renderJunit(r: DriftReport): string {
  // The package is CommonJS and exports a builder instance as module.exports.
  const b = (junit as unknown as JUnitReportBuilder).newBuilder().name(`keel drift ${r.playbook}`);
  for (const h of r.hosts) {
    const suite = b
      .testSuite()
      .name(h.host)
      .time(h.duration_ms / 1000)
      .timestamp(antTimestamp(r.generated_at));
    // what produced the report: keel's version and the baseline's commit (JUnit <properties>)
    for (const [k, v] of metaProperties(r)) suite.property(k, v);
    if (h.status === "unreachable" || h.status === "failed") {
      suite
        .testCase()
        .className(h.host)
        .name(h.status === "unreachable" ? "host reachable" : "run")
        .error(h.error ?? h.status, h.status);
    }
    for (const it of h.items) {
      const details = it.changes
        .map(
          (c) =>
            c.diff ??
            (c.before !== undefined || c.after !== undefined ? `${c.field ?? "value"}: ${JSON.stringify(c.before)} -> ${JSON.stringify(c.after)}` : c.summary),
        )
        .join("\n");
      suite.testCase().className(`${h.host}.${it.module}`).name(caseName(it)).failure(it.summary, "drift").standardOutput(details);
    }
    for (const u of h.unknown) suite.testCase().className(`${h.host}.${u.module}`).name(caseName(u)).skipped().standardOutput(u.reason);
    for (const ok of h.ok) suite.testCase().className(`${h.host}.${ok.module}`).name(caseName(ok));
  }
  return b.build();
}

/** "task [resource] (item) @ file:line": parsers show the name, so it carries the location. */
function caseName(t: { task: string; resource: string; item?: string; file: string; line: number }): string {
  return `${t.task} [${t.resource}]${t.item ? ` (${t.item})` : ""} @ ${t.file}:${t.line}`;
}

/** Ant's timestamp form (no zone, no fraction), which the strictest parsers (Jenkins) require. */
function antTimestamp(iso: string): string {
  return iso.replace(/\.\d+/, "").replace(/Z$|[+-]\d\d:\d\d$/, "");
}
