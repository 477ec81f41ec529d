// Scores, counts and the exit code of an audit. Pure.
//
// Score: 100 × (weight of passing controls) / (weight of scored controls), one decimal, where a
// control's weight is its impact (InSpec's 0.0–1.0). Scored: pass, fail, error, unknown and waived.
// Not scored: not_applicable and manual (nothing automated was judged), and unreachable hosts (no
// score at all: they are counted by the exit code, not hidden in an average). "With waivers" counts
// a validly waived control as passing; "without waivers" counts what the check found. An expired
// waiver counts as a failure in both.
import { zeroCounts, type AuditReport, type ControlResult, type ControlStatus, type HostAudit, type Score } from "./model.js";

type Weights = Map<string, number>;

function scoreOf(results: ControlResult[], weights: Weights): Score {
  let total = 0;
  let withW = 0;
  let without = 0;
  for (const r of results) {
    if (r.status === "not_applicable" || r.status === "manual") continue;
    const w = weights.get(r.control) ?? 0;
    total += w;
    if (r.status === "pass" || r.status === "waived") withW += w;
    if (r.status === "pass" || (r.status === "waived" && r.checked === "pass")) without += w;
  }
  const pct = (x: number) => (total > 0 ? Math.round((1000 * x) / total) / 10 : null);
  return { with_waivers: pct(withW), without_waivers: pct(without) };
}

function countsOf(results: ControlResult[]): Record<ControlStatus, number> {
  const c = zeroCounts();
  for (const r of results) c[r.status]++;
  return c;
}

/** Recomputes every count, score and the summary from the results (after waivers or history). */
export function finalize(r: AuditReport): AuditReport {
  const weights: Weights = new Map(r.controls.map((c) => [c.id, c.impact]));
  const hosts: HostAudit[] = r.hosts.map((h) => ({
    ...h,
    counts: countsOf(h.results),
    score: h.state === "unreachable" ? { with_waivers: null, without_waivers: null } : scoreOf(h.results, weights),
  }));
  const scored = hosts.filter((h) => h.state !== "unreachable").flatMap((h) => h.results);
  const all = hosts.flatMap((h) => h.results);
  return {
    ...r,
    hosts,
    summary: {
      hosts: hosts.length,
      checked: hosts.filter((h) => h.state === "checked").length,
      unreachable: hosts.filter((h) => h.state === "unreachable").length,
      failed_hosts: hosts.filter((h) => h.state === "failed").length,
      controls: r.controls.length,
      counts: countsOf(all),
      expired_waivers: all.filter((x) => x.waiver?.state === "expired").length,
      score: scoreOf(scored, weights),
      new_failures: all.filter((x) => x.compare === "new").length,
      persisting_failures: all.filter((x) => x.compare === "persisting").length,
      resolved_failures: hosts.reduce((n, h) => n + h.resolved.length, 0),
    },
  };
}

export interface ExitPolicy {
  allowUnreachable: boolean;
  /** Fail (exit 2) when the fleet score with waivers is below this. */
  failUnder?: number;
}

export interface Verdict {
  code: 0 | 1 | 2;
  /** Why, in one line per reason, most important first. */
  reasons: string[];
}

/**
 * The exit code: 1 when keel could not judge (a control in error, a host unreachable or stopped),
 * unless --allow-unreachable, which turns those into "not compliant" (2) instead: an unverified host
 * is never a pass. Otherwise 2 when a control fails (an expired waiver included), is unknown, or the
 * fleet score is under --fail-under; 0 when every control passes, is validly waived, is manual or
 * does not apply.
 */
export function auditVerdict(r: AuditReport, p: ExitPolicy): Verdict {
  const s = r.summary;
  const reasons: string[] = [];
  const errors = s.counts.error;
  const unjudged = s.unreachable + s.failed_hosts;
  if (s.unreachable)
    reasons.push(
      `${s.unreachable} host${s.unreachable === 1 ? "" : "s"} unreachable: ${r.hosts
        .filter((h) => h.state === "unreachable")
        .map((h) => h.host)
        .join(", ")}`,
    );
  if (s.failed_hosts)
    reasons.push(
      `${s.failed_hosts} host${s.failed_hosts === 1 ? "" : "s"} stopped on an error: ${r.hosts
        .filter((h) => h.state === "failed")
        .map((h) => h.host)
        .join(", ")}`,
    );
  if (errors) reasons.push(`${errors} control result${errors === 1 ? "" : "s"} in error`);
  if (s.counts.fail)
    reasons.push(
      `${s.counts.fail} failing control result${s.counts.fail === 1 ? "" : "s"}${s.expired_waivers ? ` (${s.expired_waivers} under an expired waiver)` : ""}`,
    );
  if (s.counts.unknown) reasons.push(`${s.counts.unknown} control result${s.counts.unknown === 1 ? "" : "s"} unknown (not verified)`);
  const under = p.failUnder !== undefined && s.score.with_waivers !== null && s.score.with_waivers < p.failUnder;
  if (under) reasons.push(`fleet score ${s.score.with_waivers} is under --fail-under ${p.failUnder}`);
  if ((errors || unjudged) && !p.allowUnreachable) return { code: 1, reasons };
  if (errors || unjudged || s.counts.fail || s.counts.unknown || under) return { code: 2, reasons };
  return { code: 0, reasons: [] };
}
