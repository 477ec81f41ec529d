// The audit report model (`keel audit`, `keel run --audit-report`): one result per host × control,
// built purely from a run's events plus the catalog's metadata. Every format renders this model,
// and the JSON form is versioned: schemas/audit-report.schema.json describes schema_version 1.
//
// A result is never better than its evidence: a control whose tasks were all skipped is `unknown`,
// never `pass`; a host that was not reached has no passing control.
import type { SourcePos } from "../../core/errors.js";
import type { Baseline } from "../meta.js";

export const AUDIT_SCHEMA_VERSION = 1;

export type Severity = "none" | "low" | "medium" | "high" | "critical";
export const SEVERITIES: readonly Severity[] = ["critical", "high", "medium", "low", "none"];

/** What the check found. */
export type CheckedStatus = "pass" | "fail" | "not_applicable" | "manual" | "error" | "unknown";
/** What the report shows: the checked status, or `waived` when a valid waiver covers a non-pass. */
export type ControlStatus = CheckedStatus | "waived";
export const STATUSES: readonly ControlStatus[] = ["fail", "error", "unknown", "waived", "pass", "manual", "not_applicable"];

/**
 * What the audit needs to know of a control. A structural subset of the catalog's Control
 * (engine/controls/catalog.ts), so the catalog's objects are passed as they are.
 */
export interface AuditControl {
  id: string;
  area?: string;
  title: string;
  rationale: string;
  severity: Severity;
  /** 0.0–1.0, as InSpec's impact: the control's weight in the score. */
  impact: number;
  references: { cis: string[]; devsec: string[]; nist: string[] };
  type: "automated" | "manual";
  procedure?: string;
  appliesWhen?: { text: string };
  /** Where the control is defined (its id in controls/<area>.yml). */
  pos: SourcePos;
}

/** One observed difference (fail) or observation (pass) of one task of a control. */
export interface EvidenceChange {
  summary: string;
  field?: string;
  /** The value found on the host (the change's `before`). */
  observed?: unknown;
  /** The value the control requires (the change's `after`). */
  expected?: unknown;
  /** Where the observed value was read: "file:line" on the host or the command ("sshd -T"). */
  read_from: string;
  diff?: string;
}

/** What one task of the control found on the host. */
export interface Evidence {
  task: string;
  /** The task's definition, file:line (relative to the working directory when below it). */
  file: string;
  line: number;
  module: string;
  resource: string;
  item?: string;
  result: "ok" | "changed" | "failed" | "skipped" | "unknown";
  /** Why nothing differs (ok), why it was skipped, or the error. */
  note?: string;
  changes: EvidenceChange[];
}

export interface WaiverRef {
  control: string;
  hosts: string;
  justification: string;
  approver: string;
  /** YYYY-MM-DD (valid through that day, UTC) or an ISO timestamp. */
  expires: string;
  /** Where the waiver is written: file:line. */
  defined_at: string;
}

export interface AppliedWaiver extends WaiverRef {
  /** valid: it waives this result; expired: the result counts as a failure; unneeded: nothing to waive. */
  state: "valid" | "expired" | "unneeded";
}

export interface ControlResult {
  control: string;
  /** The status shown and counted (waived when a valid waiver covers a non-pass). */
  status: ControlStatus;
  /** What the check found, waivers aside. */
  checked: CheckedStatus;
  /** One line: the failure, the not-applicable expression, the manual procedure, the error. */
  reason: string;
  evidence: Evidence[];
  waiver?: AppliedWaiver;
  /** History (against the last audit): new / persisting failure, and since when. */
  compare?: "new" | "persisting";
  since?: string;
  /** Remediation reports (keel run --audit-report): the status before the run changed anything. */
  before?: CheckedStatus;
}

export type HostState = "checked" | "unreachable" | "failed";

export interface Score {
  /** 0–100, one decimal; null when nothing on the host carries weight. */
  with_waivers: number | null;
  without_waivers: number | null;
}

export interface HostAudit {
  host: string;
  state: HostState;
  platform?: { os: string; kernel: string; arch: string; hostname: string; ipv4: string };
  error?: string;
  duration_ms: number;
  round_trips: number;
  score: Score;
  counts: Record<ControlStatus, number>;
  results: ControlResult[];
  /** History: controls that failed in the last audit and pass now. */
  resolved: { control: string; since: string }[];
}

export interface ReportControl {
  id: string;
  area?: string;
  title: string;
  rationale: string;
  severity: Severity;
  impact: number;
  type: "automated" | "manual";
  procedure?: string;
  applies_when?: string;
  references: { cis: string[]; devsec: string[]; nist: string[] };
  /** file:line of the control's definition (SARIF locations point here). */
  file: string;
  line: number;
}

export interface AuditReport {
  schema_version: number;
  kind: "keel.audit";
  /** audit: check mode, nothing changed; remediation: a `keel run` that applied the controls. */
  mode: "audit" | "remediation";
  keel_version: string;
  /** The playbook's git state (repository, commit, dirty), as every keel report carries it. */
  baseline?: Baseline;
  started_at: string;
  finished_at: string;
  duration_ms: number;
  playbook: string;
  catalog: { name: string; dir: string };
  /** left_out: the profile's controls that -t/--skip-tags kept out of this run (not checked, not scored). */
  profile: { name: string; sha256: string; files: string[]; left_out?: string[] };
  waivers: { file: string; sha256: string; entries: WaiverRef[] } | null;
  /** The clock the waivers were judged with (ISO). */
  evaluated_at: string;
  /** Names (never values) of the -e variables that overrode the profile's parameters. */
  extra_vars?: string[];
  fail_under?: number;
  compared_with?: { run_id: number; generated_at: string };
  summary: AuditSummary;
  controls: ReportControl[];
  hosts: HostAudit[];
}

export interface AuditSummary {
  hosts: number;
  checked: number;
  unreachable: number;
  failed_hosts: number;
  controls: number;
  counts: Record<ControlStatus, number>;
  expired_waivers: number;
  score: Score;
  /** History totals (with a comparison). */
  new_failures: number;
  persisting_failures: number;
  resolved_failures: number;
}

export function zeroCounts(): Record<ControlStatus, number> {
  return { pass: 0, fail: 0, not_applicable: 0, manual: 0, error: 0, unknown: 0, waived: 0 };
}

const SEV_ORDER: Record<Severity, number> = { critical: 0, high: 1, medium: 2, low: 3, none: 4 };
const STATUS_ORDER: Record<ControlStatus, number> = { fail: 0, error: 1, unknown: 2, waived: 3, pass: 4, manual: 5, not_applicable: 6 };

/** The worst status of a control across hosts (fail first). */
export function worstStatus(r: AuditReport, id: string): ControlStatus | undefined {
  let worst: ControlStatus | undefined;
  for (const h of r.hosts)
    for (const res of h.results) if (res.control === id && (worst === undefined || STATUS_ORDER[res.status] < STATUS_ORDER[worst])) worst = res.status;
  return worst;
}

/** Controls for overviews: failing first, then by severity, then catalog order. */
export function controlsByAttention(r: AuditReport): ReportControl[] {
  const idx = new Map(r.controls.map((c, i) => [c.id, i]));
  const w = (c: ReportControl) => STATUS_ORDER[worstStatus(r, c.id) ?? "not_applicable"];
  return [...r.controls].sort((a, b) => w(a) - w(b) || SEV_ORDER[a.severity] - SEV_ORDER[b.severity] || idx.get(a.id)! - idx.get(b.id)!);
}

export function severityRank(s: Severity): number {
  return SEV_ORDER[s];
}

export function statusRank(s: ControlStatus): number {
  return STATUS_ORDER[s];
}

/** "observed 'yes', expected 'no' (read from sshd -T)" for one evidence change. */
export function describeChange(c: EvidenceChange): string {
  if (c.observed === undefined && c.expected === undefined) return `${c.summary} (read from ${c.read_from})`;
  return `${c.field ? `${c.field}: ` : ""}observed ${show(c.observed)}, expected ${show(c.expected)} (read from ${c.read_from})`;
}

export function show(v: unknown): string {
  if (v === undefined) return "(absent)";
  if (v === null) return "null";
  if (typeof v === "string") return JSON.stringify(v);
  return JSON.stringify(v);
}

/** "waived by alice, until 2027-01-31: justification". */
export function describeWaiver(w: AppliedWaiver): string {
  if (w.state === "expired") return `waiver EXPIRED on ${w.expires} (approved by ${w.approver}, ${w.defined_at})`;
  return `waived by ${w.approver}, until ${w.expires}: ${w.justification}`;
}

/**
 * What an auditor must know beyond the profile's checksum to trust a score: the profile's controls
 * this run left out (-t/--skip-tags) and the -e variables that overrode its parameters. Empty when
 * the run audited the profile as it is. One line, shared by the text, HTML and Markdown headers.
 */
export function scopeNote(r: Pick<AuditReport, "profile" | "extra_vars">): string {
  const parts: string[] = [];
  const left = r.profile.left_out ?? [];
  if (left.length) parts.push(`${left.length} control${left.length === 1 ? "" : "s"} of the profile left out by -t/--skip-tags: ${left.join(", ")}`);
  if (r.extra_vars?.length) parts.push(`parameters overridden with -e: ${r.extra_vars.join(", ")}`);
  return parts.join("; ");
}
