// Builds the audit model from a run's events: one result per host × control. Pure.
//
// Audit mode (check mode): a control whose tasks are all in sync passes; a task with a diff fails
// it, with the diff's before (observed) and after (expected) as evidence; a failed task is an error;
// a task whose outcome cannot be predicted makes it unknown; a control whose tasks were all skipped,
// or that never ran because its host stopped, is unknown/error, never pass. Manual controls are
// `manual` (their procedure), controls whose applies_when is false on the host `not_applicable`.
//
// Remediation mode (`keel run --audit-report`): the same shape from a run that applied the
// controls; `before` is the status found before the run and `checked` the status it left.
import { isAbsolute, relative } from "node:path";
import { NOT_APPLICABLE, type KeelEvent, type TaskRef, type TaskResult } from "../../core/events.js";
import type { Change } from "../../core/module.js";
import type { Facts } from "../../core/facts.js";
import { unifiedDiff } from "../diff.js";
import type { Baseline } from "../meta.js";
import {
  AUDIT_SCHEMA_VERSION,
  zeroCounts,
  type AuditControl,
  type AuditReport,
  type CheckedStatus,
  type ControlResult,
  type Evidence,
  type EvidenceChange,
  type HostAudit,
  type ReportControl,
} from "./model.js";
import { finalize } from "./score.js";
import { locateTextChange } from "./locate.js";

export interface BuildInput {
  mode: "audit" | "remediation";
  keelVersion: string;
  baseline?: Baseline;
  playbook: string;
  catalog: { name: string; dir: string };
  profile: { name: string; sha256: string; files: string[]; left_out?: string[] };
  /** The profile's selected controls, in catalog order. */
  controls: AuditControl[];
  /** The control a task belongs to (its control-id tag), or undefined for setup tasks. */
  controlOf(task: TaskRef): string | undefined;
  /**
   * Whether a control applies to a host, given the host's facts (its applies_when over the host's
   * variables). May throw: the control is then an error on that host, with the message.
   */
  applicability(host: string, facts: Facts, control: AuditControl): { applies: boolean; reason: string };
  /** Paths in the report are relative to this folder when below it. */
  baseDir: string;
  /** The clock: when the report was evaluated (waivers are judged against it). */
  now: Date;
}

const SECRET = "(secret)";

/** Evidence of task failures carried by ignore_errors (the role sets it in check mode only). */
const IGNORED = new WeakSet<Evidence>();

interface HostAcc {
  audit: HostAudit;
  facts?: Facts;
  evidence: Map<string, Evidence[]>;
  unreachable?: string;
  stoppedAt?: string;
}

export function buildAuditReport(events: KeelEvent[], input: BuildInput): AuditReport {
  const hosts = new Map<string, HostAcc>();
  const wanted = new Set(input.controls.map((c) => c.id));
  const get = (h: string): HostAcc => {
    let acc = hosts.get(h);
    if (!acc) {
      acc = {
        audit: {
          host: h,
          state: "checked",
          duration_ms: 0,
          round_trips: 0,
          score: { with_waivers: null, without_waivers: null },
          counts: zeroCounts(),
          results: [],
          resolved: [],
        },
        evidence: new Map(),
      };
      hosts.set(h, acc);
    }
    return acc;
  };
  let started = input.now.toISOString();
  let duration = 0;
  const finished = new Set<string>();
  for (const e of events) {
    switch (e.type) {
      case "run.start":
        started = e.time;
        for (const h of e.hosts) get(h);
        break;
      case "host.facts": {
        const acc = get(e.host);
        acc.facts = e.facts;
        acc.audit.platform = {
          os: e.facts.os_pretty || `${e.facts.os_id} ${e.facts.os_version}`.trim(),
          kernel: e.facts.kernel,
          arch: e.facts.arch,
          hostname: e.facts.hostname,
          ipv4: e.facts.ipv4,
        };
        break;
      }
      case "host.unreachable": {
        const acc = get(e.host);
        acc.unreachable = e.message;
        acc.audit.state = "unreachable";
        acc.audit.error = e.message;
        break;
      }
      case "task.result": {
        if (e.result.handler) break;
        const acc = get(e.host);
        const id = input.controlOf(e.task);
        if (e.result.status === "failed" && !e.result.ignored && acc.audit.state === "checked") {
          // The runner stops a host at its first failed task: what comes after is not checked.
          acc.stoppedAt = `${e.task.name} (${rel(input.baseDir, e.task.pos.file)}:${e.task.pos.line}): ${e.result.msg ?? "failed"}`;
          acc.audit.state = "failed";
          acc.audit.error = acc.stoppedAt;
        }
        if (!id || !wanted.has(id)) break;
        const list = acc.evidence.get(id) ?? [];
        const ev = toEvidence(e.task, e.result, input.baseDir);
        if (e.result.status === "failed" && e.result.ignored) IGNORED.add(ev);
        list.push(ev);
        acc.evidence.set(id, list);
        break;
      }
      case "host.done": {
        const acc = get(e.host);
        finished.add(e.host);
        acc.audit.duration_ms = e.durationMs;
        acc.audit.round_trips = e.roundTrips;
        break;
      }
      case "run.done":
        duration = e.durationMs;
        break;
      default:
        break;
    }
  }
  // A host that never finished (the run stopped before it started) was not checked.
  for (const acc of hosts.values())
    if (!finished.has(acc.audit.host) && acc.audit.state === "checked") {
      acc.audit.state = "failed";
      acc.audit.error = acc.stoppedAt = "did not run: the run stopped before this host";
    }
  const list = [...hosts.values()].sort((a, b) => a.audit.host.localeCompare(b.audit.host, "en", { numeric: true }));
  for (const acc of list) acc.audit.results = input.controls.map((c) => judge(acc, c, input));
  const end = new Date(Date.parse(started) + duration);
  const report: AuditReport = {
    schema_version: AUDIT_SCHEMA_VERSION,
    kind: "keel.audit",
    mode: input.mode,
    keel_version: input.keelVersion,
    ...(input.baseline ? { baseline: input.baseline } : {}),
    started_at: started,
    finished_at: Number.isNaN(end.getTime()) ? input.now.toISOString() : end.toISOString(),
    duration_ms: duration,
    playbook: input.playbook,
    catalog: input.catalog,
    profile: input.profile,
    waivers: null,
    evaluated_at: input.now.toISOString(),
    summary: undefined as never,
    controls: input.controls.map((c) => reportControl(c, input.baseDir)),
    hosts: list.map((a) => a.audit),
  };
  return finalize(report);
}

/** The checked status of one control on one host, with its reason and evidence. */
function judge(acc: HostAcc, c: AuditControl, input: BuildInput): ControlResult {
  const evidence = acc.evidence.get(c.id) ?? [];
  const r = (checked: CheckedStatus, reason: string, before?: CheckedStatus): ControlResult => ({
    control: c.id,
    status: checked,
    checked,
    reason,
    evidence,
    ...(input.mode === "remediation" && before ? { before } : {}),
  });
  if (c.type === "manual") return r("manual", `manual check: ${firstLine(c.procedure ?? "see the control's procedure")}`);
  if (acc.unreachable !== undefined) return r("unknown", `not checked: host unreachable (${acc.unreachable})`);
  if (acc.facts) {
    try {
      const a = input.applicability(acc.audit.host, acc.facts, c);
      if (!a.applies) return r("not_applicable", a.reason);
    } catch (e) {
      return r("error", `applies_when \`${c.appliesWhen?.text ?? ""}\` could not be evaluated: ${(e as Error).message}`);
    }
  }
  const failed = evidence.filter((ev) => ev.result === "failed");
  const changed = evidence.filter((ev) => ev.result === "changed");
  const unknown = evidence.filter((ev) => ev.result === "unknown");
  const ok = evidence.filter((ev) => ev.result === "ok");
  const findings = (evs: Evidence[]) => evs.flatMap((ev) => ev.changes.map((ch) => ch.summary)).join("; ");
  if (input.mode === "remediation") {
    const unfixed = failed.filter((ev) => ev.changes.length);
    if (unfixed.length) return r("fail", `not fixed: ${findings(unfixed)}${unfixed[0]!.note ? ` (${unfixed[0]!.note})` : ""}`, "fail");
    if (failed.length) return r("error", `${failed[0]!.task}: ${failed[0]!.note ?? "failed"}`, changed.length ? "fail" : "unknown");
    if (changed.length) return r("pass", `fixed: ${findings(changed)}`, "fail");
  } else {
    // A task can fail in check mode only because an earlier task of the same control found
    // something missing that it would install (no auditd package, so no auditd service to probe).
    // When every failure is carried (ignore_errors) and comes after such a difference, the control
    // fails on that difference and says what could not be checked yet; any other failure is an error.
    const firstChange = evidence.findIndex((ev) => ev.result === "changed");
    const explained = firstChange >= 0 && failed.every((f) => IGNORED.has(f) && evidence.indexOf(f) > firstChange);
    if (failed.length && !explained) return r("error", `${failed[0]!.task} (${failed[0]!.file}:${failed[0]!.line}): ${failed[0]!.note ?? "failed"}`);
    if (changed.length) {
      const after = failed.map((f) => `${f.task} cannot be checked until that is fixed (${f.note ?? "failed"})`);
      return r("fail", [findings(changed), ...after].join("; "));
    }
  }
  if (unknown.length) return r("unknown", `cannot be decided without acting: ${unknown.map((u) => u.note ?? u.task).join("; ")}`, "unknown");
  // Nothing to judge on this host (no file matches the control's paths): not a pass.
  if (ok.length && ok.length === evidence.length && ok.every((o) => o.note?.startsWith(NOT_APPLICABLE))) {
    return r("not_applicable", ok.map((o) => o.note!.slice(NOT_APPLICABLE.length)).join("; "), "not_applicable");
  }
  if (ok.length) return r("pass", ok.map((o) => o.note ?? `${o.resource} in sync`).join("; "), "pass");
  if (acc.stoppedAt) return r("error", `not checked: the host stopped at ${acc.stoppedAt}`);
  const skipped = evidence.filter((ev) => ev.result === "skipped");
  if (skipped.length) return r("unknown", `not checked: every task was skipped (${skipped.map((s) => s.note ?? s.task).join("; ")})`);
  return r("unknown", "not checked: no task of this control ran (is it tagged with the control id and selected?)");
}

function toEvidence(t: TaskRef, res: TaskResult, baseDir: string): Evidence {
  const real = realChanges(res);
  const result: Evidence["result"] =
    res.status === "failed"
      ? "failed"
      : res.status === "skipped"
        ? "skipped"
        : res.status === "unknown" || (res.changes.some((c) => c.unknown) && real.length === 0)
          ? "unknown"
          : real.length
            ? "changed"
            : "ok";
  const resource = res.resource ?? t.module;
  const note =
    res.status === "failed" ? (res.msg ?? "failed") : result === "unknown" ? (res.msg ?? res.changes.find((c) => c.unknown)?.summary) : (res.reason ?? res.msg);
  return {
    task: t.name,
    file: rel(baseDir, t.pos.file),
    line: t.pos.line,
    module: t.module,
    resource,
    ...(res.item !== undefined ? { item: res.item } : {}),
    result,
    ...(note ? { note } : {}),
    changes: real.map((c) => toEvidenceChange(c, resource, res.secret)),
  };
}

/** Changes that are differences in state: not restarts (actions) and not unpredictable commands. */
function realChanges(res: TaskResult): Change[] {
  return res.changes.filter((c) => !c.unknown && !(typeof c.data === "object" && c.data !== null && (c.data as { action?: unknown }).action === true));
}

export function toEvidenceChange(c: Change, resource: string, secret: boolean): EvidenceChange {
  // A content change without its own source is located in the text itself: the host file's line
  // and the lines found and required there (issue 14: observed, expected, file:line).
  const loc = c.source === undefined && c.diff ? locateTextChange(c.diff) : undefined;
  const out: EvidenceChange = { summary: c.summary, read_from: c.source ?? loc?.where ?? c.diff?.path ?? resource };
  if (c.field !== undefined) out.field = c.field;
  // A required value with nothing before it (a key not set, a path missing) was observed absent.
  const observed = c.before !== undefined || c.after !== undefined ? (c.before ?? "absent") : loc?.observed;
  const expected = c.before !== undefined || c.after !== undefined ? c.after : loc?.expected;
  if (observed !== undefined) out.observed = secret ? SECRET : observed;
  if (expected !== undefined) out.expected = secret ? SECRET : expected;
  if (c.diff) out.diff = secret ? SECRET : unifiedDiff(c.diff.path, c.diff.before, c.diff.after);
  return out;
}

function reportControl(c: AuditControl, baseDir: string): ReportControl {
  return {
    id: c.id,
    ...(c.area ? { area: c.area } : {}),
    title: c.title,
    rationale: c.rationale,
    severity: c.severity,
    impact: c.impact,
    type: c.type,
    ...(c.procedure ? { procedure: c.procedure } : {}),
    ...(c.appliesWhen ? { applies_when: c.appliesWhen.text } : {}),
    references: { cis: [...c.references.cis], devsec: [...c.references.devsec], nist: [...c.references.nist] },
    file: rel(baseDir, c.pos.file),
    line: c.pos.line,
  };
}

function rel(base: string, file: string): string {
  if (!isAbsolute(file)) return file;
  const r = relative(base, file);
  return r.startsWith("..") ? file : r;
}

function firstLine(s: string): string {
  return s.trim().split("\n")[0] ?? "";
}
