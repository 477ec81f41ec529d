// The drift report model: built purely from the run's events (check mode), rendered by every format.
// Versioned: schemas/drift-report.schema.json describes schema_version 1.
import type { KeelEvent, TaskRef } from "../../core/events.js";
import type { Change } from "../../core/module.js";
import type { ConnectionFailure } from "../../core/errors.js";
import { relative, isAbsolute } from "node:path";
import { unifiedDiff } from "../diff.js";
import type { Baseline, ReportMeta } from "../meta.js";

export const DRIFT_SCHEMA_VERSION = 1;

export type HostStatus = "in_sync" | "drifted" | "unreachable" | "failed";
export type CompareMark = "new" | "persisting" | "resolved";

export interface DriftChange {
  summary: string;
  field?: string;
  before?: unknown;
  after?: unknown;
  /** Unified diff of file content. */
  diff?: string;
}

/** Where a task is and what it manages; on its own, a task checked and found in sync. */
export interface OkItem {
  task: string;
  file: string;
  line: number;
  module: string;
  resource: string;
  item?: string;
}

export interface DriftItem extends OkItem {
  /** Stable identity across runs: host, task file:line, resource and loop item. */
  key: string;
  /** One line for the whole item ("mode 0644 → 0600; owner root → deploy"). */
  summary: string;
  changes: DriftChange[];
  /** no_log task: before/after/diff are masked. */
  secret: boolean;
  /** With --compare: new / persisting (since when) / resolved. */
  compare?: CompareMark;
  since?: string;
}

export interface UnknownItem extends OkItem {
  reason: string;
}

/** A task that failed under ignore_errors, or inside a block whose rescue ran: neither in sync nor drift (Ansible's --check shows it failed, ...ignoring or rescued). */
export interface IgnoredItem extends OkItem {
  msg: string;
}

export interface HostDrift {
  host: string;
  status: HostStatus;
  duration_ms: number;
  round_trips: number;
  facts?: { os: string; kernel: string; arch: string; hostname: string; ipv4: string };
  /** The host firewall in charge and its effective inbound policy (the `firewall` fact), for security review. */
  firewall?: HostFirewall;
  /** For unreachable/failed hosts: what happened. */
  error?: string;
  failure?: ConnectionFailure | "task";
  /** With failure "task": the task that failed, where it is (CI annotations point at it). */
  failed_at?: { task: string; file: string; line: number };
  /** Number of tasks checked and found in sync (the length of `ok`). */
  in_sync: number;
  ok: OkItem[];
  items: DriftItem[];
  unknown: UnknownItem[];
  /** Tasks that failed under ignore_errors (absent in reports made before keel counted them apart). */
  ignored?: IgnoredItem[];
  /** With --compare: items drifted last time and in sync now. */
  resolved: DriftItem[];
}

export interface HostFirewall {
  backend: string;
  /** What happens to a new inbound connection no rule names; absent when the ruleset could not be read. */
  inbound_default?: "accept" | "drop" | "reject";
  /** TCP/UDP ports that accept NEW connections, and from where ("any", CIDRs, @sets). */
  open_ports?: { proto: string; port: string; from: string[]; on?: string }[];
  /** Why the ruleset could not be read (not root, no nft). */
  error?: string;
}

/** The drift report's view of the `firewall` fact (engine/facts/firewall.ts). */
function hostFirewall(f: unknown): HostFirewall | undefined {
  if (!f || typeof f !== "object") return undefined;
  const fw = f as { backend?: string; inbound?: { default: HostFirewall["inbound_default"]; open: HostFirewall["open_ports"] }; inbound_error?: string };
  if (!fw.backend) return undefined;
  return {
    backend: fw.backend,
    ...(fw.inbound ? { inbound_default: fw.inbound.default, open_ports: fw.inbound.open } : {}),
    ...(fw.inbound_error ? { error: fw.inbound_error } : {}),
  };
}

export interface DriftReport {
  schema_version: number;
  kind: "keel.drift";
  generated_at: string;
  /** The keel that made the report (absent in reports of keel before 0.1.0's nightly work). */
  keel_version?: string;
  /** The baseline checked: the playbook's git repository, HEAD and whether the tree was dirty. */
  baseline?: Baseline;
  playbook: string;
  shard?: { index: number; total: number };
  duration_ms: number;
  /** Run this report was compared with (--compare). */
  compared_with?: { run_id?: number; file?: string; generated_at: string };
  summary: DriftSummary;
  hosts: HostDrift[];
}

export interface DriftSummary {
  hosts: number;
  in_sync: number;
  drifted: number;
  unreachable: number;
  failed: number;
  items: number;
  unknown: number;
  /** Tasks failed under ignore_errors, over all hosts. */
  ignored?: number;
  resolved: number;
}

export interface BuildMeta {
  playbook: string;
  /** reportMeta(playbook): keel's version and the baseline's commit. */
  meta?: ReportMeta;
  /** Task file paths are shown relative to this folder (usually the working directory). */
  baseDir?: string;
  generatedAt?: string;
  shard?: { index: number; total: number };
}

/** Masked value shown for no_log tasks. */
export const SECRET = "(secret)";

/** A change that is an action (restart, reboot), not a difference in state: never drift. */
function isAction(c: Change): boolean {
  return typeof c.data === "object" && c.data !== null && (c.data as { action?: unknown }).action === true;
}

/**
 * Stable identity of a drifted item across runs: host, the task's file:line, resource, loop item.
 * `file` is the task's file as the report should compare it: relative to the baseline's repository
 * (see keyFile), so a CI runner checking out to another folder each night still matches.
 */
export function itemKey(host: string, t: TaskRef, resource: string, item?: string, file: string = t.pos.file): string {
  return [host, `${file}:${t.pos.line}`, resource, item ?? ""].join("|");
}

/** The task file for item keys: relative to the baseline's repository root when inside it, else as the run gave it. */
function keyFile(file: string, repo: string | undefined): string {
  if (!repo || !isAbsolute(file)) return file;
  const r = relative(repo, file);
  return r.startsWith("..") || isAbsolute(r) ? file : r;
}

/** Builds the report from a check-mode run's events. Pure. */
export function buildDriftReport(events: KeelEvent[], meta: BuildMeta): DriftReport {
  const hosts = new Map<string, HostDrift>();
  const get = (h: string): HostDrift => {
    let hd = hosts.get(h);
    if (!hd) {
      hd = { host: h, status: "in_sync", duration_ms: 0, round_trips: 0, in_sync: 0, ok: [], items: [], unknown: [], ignored: [], resolved: [] };
      hosts.set(h, hd);
    }
    return hd;
  };
  let duration = 0;
  let generated = meta.generatedAt ?? new Date().toISOString();
  for (const e of events) {
    switch (e.type) {
      case "run.start":
        for (const h of e.hosts) get(h);
        if (!meta.generatedAt) generated = e.time;
        break;
      case "host.facts":
        get(e.host).facts = {
          os: e.facts.os_pretty || `${e.facts.os_id} ${e.facts.os_version}`.trim(),
          kernel: e.facts.kernel,
          arch: e.facts.arch,
          hostname: e.facts.hostname,
          ipv4: e.facts.ipv4,
        };
        if (hostFirewall(e.facts.firewall)) get(e.host).firewall = hostFirewall(e.facts.firewall);
        break;
      case "host.unreachable": {
        const hd = get(e.host);
        hd.status = "unreachable";
        hd.failure = e.failure;
        hd.error = e.message;
        break;
      }
      case "task.result": {
        const hd = get(e.host);
        const r = e.result;
        const t = e.task;
        const base = {
          task: t.name,
          file: meta.baseDir ? relPath(meta.baseDir, t.pos.file) : t.pos.file,
          line: t.pos.line,
          module: t.module,
          resource: r.resource ?? t.module,
          ...(r.item !== undefined ? { item: r.item } : {}),
        };
        if (r.handler) break;
        if (r.status === "failed" && !r.ignored && !r.rescued) {
          if (hd.status !== "unreachable") {
            hd.status = "failed";
            hd.failure = "task";
            hd.failed_at = { task: t.name, file: base.file, line: t.pos.line };
            // a message that starts at a place in the task's file names its own place: say it once
            const msg = r.msg ?? "failed";
            hd.error = msg.startsWith(`${t.pos.file}:`) ? `${t.name}: ${msg}` : `${t.name} (${t.pos.file}:${t.pos.line}): ${msg}`;
          }
          break;
        }
        // failed but ignored (or rescued: its block's rescue ran, as under Ansible's --check, which
        // counts the host rescued, not failed): its own status, so a broken check never passes for "in sync"
        if (r.status === "failed") {
          (hd.ignored ??= []).push({ ...base, msg: r.secret ? SECRET : (r.msg ?? "failed") });
          break;
        }
        const unknown = r.changes.filter((c) => c.unknown);
        const real = r.changes.filter((c) => !c.unknown && !isAction(c));
        if (r.status === "unknown" || (unknown.length > 0 && real.length === 0)) {
          hd.unknown.push({ ...base, reason: r.msg ?? unknown[0]?.summary ?? "cannot be predicted without running it" });
        } else if (r.status === "changed" && real.length > 0) {
          hd.items.push({
            key: itemKey(e.host, t, base.resource, r.item, keyFile(t.pos.file, meta.meta?.baseline.repo)),
            ...base,
            summary: real.map((c) => c.summary).join("; "),
            changes: real.map((c) => toDriftChange(c, r.secret)),
            secret: r.secret,
          });
        } else if (r.status !== "skipped") {
          hd.in_sync++;
          hd.ok.push(base);
        }
        break;
      }
      case "host.done": {
        const hd = get(e.host);
        hd.duration_ms = e.durationMs;
        hd.round_trips = e.roundTrips;
        break;
      }
      case "run.done":
        duration = e.durationMs;
        break;
      default:
        break;
    }
  }
  for (const hd of hosts.values()) {
    if (hd.status === "in_sync" && hd.items.length > 0) hd.status = "drifted";
  }
  const list = [...hosts.values()].sort((a, b) => a.host.localeCompare(b.host, "en", { numeric: true }));
  return {
    schema_version: DRIFT_SCHEMA_VERSION,
    kind: "keel.drift",
    generated_at: generated,
    ...(meta.meta ? { keel_version: meta.meta.keel_version, baseline: meta.meta.baseline } : {}),
    playbook: meta.playbook,
    ...(meta.shard ? { shard: meta.shard } : {}),
    duration_ms: duration,
    summary: summarize(list),
    hosts: list,
  };
}

function toDriftChange(c: Change, secret: boolean): DriftChange {
  const out: DriftChange = { summary: c.summary };
  if (c.field !== undefined) out.field = c.field;
  if (secret) {
    if (c.before !== undefined) out.before = SECRET;
    if (c.after !== undefined) out.after = SECRET;
    if (c.diff) out.diff = SECRET;
    return out;
  }
  if (c.before !== undefined) out.before = c.before;
  if (c.after !== undefined) out.after = c.after;
  if (c.diff) out.diff = unifiedDiff(c.diff.path, c.diff.before, c.diff.after);
  return out;
}

export function summarize(hosts: HostDrift[]): DriftSummary {
  const count = (s: HostStatus) => hosts.filter((h) => h.status === s).length;
  return {
    hosts: hosts.length,
    in_sync: count("in_sync"),
    drifted: count("drifted"),
    unreachable: count("unreachable"),
    failed: count("failed"),
    items: hosts.reduce((n, h) => n + h.items.length, 0),
    unknown: hosts.reduce((n, h) => n + h.unknown.length, 0),
    ignored: hosts.reduce((n, h) => n + (h.ignored?.length ?? 0), 0),
    resolved: hosts.reduce((n, h) => n + h.resolved.length, 0),
  };
}

/**
 * Exit code of `keel drift`: 1 when a host is unreachable or failed (unless allowUnreachable),
 * 2 when anything drifted, else 0.
 */
export function driftExitCode(r: DriftReport, allowUnreachable: boolean): number {
  if (!allowUnreachable && (r.summary.unreachable > 0 || r.summary.failed > 0)) return 1;
  return r.summary.drifted > 0 ? 2 : 0;
}

/** Drift counted by task (file:line + name) across hosts, most common first, for overviews. */
export function driftByTask(r: DriftReport): { task: string; where: string; hosts: number }[] {
  const m = new Map<string, { task: string; where: string; hosts: Set<string> }>();
  for (const h of r.hosts)
    for (const it of h.items) {
      const where = `${it.file}:${it.line}`;
      const e = m.get(where) ?? { task: it.task, where, hosts: new Set<string>() };
      e.hosts.add(h.host);
      m.set(where, e);
    }
  return [...m.values()]
    .map((e) => ({ task: e.task, where: e.where, hosts: e.hosts.size }))
    .sort((a, b) => b.hosts - a.hosts || a.where.localeCompare(b.where));
}

function relPath(base: string, file: string): string {
  if (!isAbsolute(file)) return file;
  const r = relative(base, file);
  return r.startsWith("..") ? file : r;
}

const STATUS_ORDER: Record<HostStatus, number> = { unreachable: 0, failed: 1, drifted: 2, in_sync: 3 };

/** Hosts that need attention first (unreachable, failed, drifted), then in sync; by name within. */
export function hostsByAttention(r: DriftReport): HostDrift[] {
  return [...r.hosts].sort((a, b) => STATUS_ORDER[a.status] - STATUS_ORDER[b.status] || a.host.localeCompare(b.host, "en", { numeric: true }));
}
