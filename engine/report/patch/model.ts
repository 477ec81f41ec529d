// The patch report model (`keel patch report`): per host, the pending updates (held ones apart),
// how many are security updates, the oldest pending security update's age, whether a reboot is
// required, the package lists' age; fleet totals. Built purely from what the probes found.
// Versioned: schemas/patch-report.schema.json describes schema_version 1.
import type { ConnectionFailure } from "../../core/errors.js";
import { keelVersion } from "../../core/paths.js";
import type { Baseline } from "../meta.js";
import type { PatchState, PendingUpdate } from "../../../modules/patches/types.js";

export const PATCH_SCHEMA_VERSION = 1;

export type PatchHostStatus = "up_to_date" | "pending" | "unreachable" | "failed";
export type PatchCompareMark = "new" | "persisting" | "resolved";
export type FailOn = "security" | "any";

export interface PatchItem {
  /** Stable identity across runs: host|package|candidate. */
  key: string;
  name: string;
  installed: string;
  candidate: string;
  security: boolean;
  source: string;
  advisory?: string;
  /** ISO date of the list that offers it (apt: its suite's Release Date; dnf: the advisory's issue date). */
  published?: string;
  /** Seconds since `published`, on the host's clock. */
  age_s?: number;
  /** With --compare: new / persisting (since when) / resolved. */
  compare?: PatchCompareMark;
  since?: string;
}

export interface HostPatch {
  host: string;
  status: PatchHostStatus;
  manager?: "apt" | "dnf";
  duration_ms: number;
  round_trips: number;
  os?: string;
  error?: string;
  failure?: ConnectionFailure | "probe";
  /** Pending updates that can be applied (held ones are in `held_updates`). */
  updates: PatchItem[];
  /** Pending updates of packages on hold: never applied, never counted as pending. */
  held_updates: PatchItem[];
  pending: number;
  security: number;
  /** Age in seconds of the oldest pending security update (from its list's date); absent when unknown or none. */
  oldest_security_age_s?: number;
  /** Every package on hold. */
  held: string[];
  reboot_required: boolean;
  reboot_reasons: string[];
  reboot_packages: string[];
  kernel?: { running: string; newest?: string };
  /** Seconds since the package lists were refreshed; absent when never (or unknown). */
  lists_age_s?: number;
  /** Sources without a package list on disk (Release missing, fetch failed). */
  broken_sources: string[];
  /** With --compare: updates pending last time and gone now. */
  resolved: PatchItem[];
}

export interface PatchSummary {
  hosts: number;
  up_to_date: number;
  /** Hosts with pending updates (of any kind, held ones excluded). */
  pending_hosts: number;
  /** Hosts with pending security updates. */
  security_hosts: number;
  unreachable: number;
  failed: number;
  updates: number;
  security_updates: number;
  held_updates: number;
  reboot_required: number;
  /** Oldest pending security update across the fleet, in seconds. */
  oldest_security_age_s?: number;
  /** With --compare: updates that were not pending in the earlier run. */
  new: number;
  resolved: number;
}

export interface PatchReport {
  schema_version: number;
  kind: "keel.patch";
  /** The keel that produced the report. */
  keel_version: string;
  /**
   * The git state of the repository holding the (first) inventory source: a patch report checks a
   * fleet, not a playbook, so the inventory is the baseline an auditor needs to pin down.
   */
  baseline?: Baseline;
  generated_at: string;
  /** The inventory sources, as given. */
  inventory: string[];
  shard?: { index: number; total: number };
  duration_ms: number;
  fail_on: FailOn;
  compared_with?: { run_id: number; generated_at: string };
  summary: PatchSummary;
  hosts: HostPatch[];
}

/** What collecting one host gave: its probe's state, or why there is none. */
export type HostOutcome =
  | { host: string; state: PatchState; os?: string; durationMs: number; roundTrips: number }
  | { host: string; error: string; failure: ConnectionFailure | "probe"; durationMs: number; roundTrips: number };

function item(host: string, u: PendingUpdate, now: number): PatchItem {
  const it: PatchItem = {
    key: `${host}|${u.name}|${u.candidate}`,
    name: u.name,
    installed: u.installed,
    candidate: u.candidate,
    security: u.security,
    source: u.source,
  };
  if (u.advisory) it.advisory = u.advisory;
  if (u.published !== undefined) {
    it.published = new Date(u.published * 1000).toISOString();
    it.age_s = Math.max(0, now - u.published);
  }
  return it;
}

export function hostPatch(o: HostOutcome): HostPatch {
  const base = {
    host: o.host,
    duration_ms: o.durationMs,
    round_trips: o.roundTrips,
    updates: [],
    held_updates: [],
    pending: 0,
    security: 0,
    held: [],
    reboot_required: false,
    reboot_reasons: [],
    reboot_packages: [],
    broken_sources: [],
    resolved: [],
  };
  if ("error" in o) return { ...base, status: o.failure === "probe" ? "failed" : "unreachable", error: o.error, failure: o.failure };
  const st = o.state;
  const updates = st.updates.filter((u) => !u.held).map((u) => item(o.host, u, st.now));
  const held = st.updates.filter((u) => u.held).map((u) => item(o.host, u, st.now));
  const secAges = updates.filter((u) => u.security && u.age_s !== undefined).map((u) => u.age_s!);
  const h: HostPatch = {
    ...base,
    status: updates.length > 0 ? "pending" : "up_to_date",
    manager: st.manager,
    updates,
    held_updates: held,
    pending: updates.length,
    security: updates.filter((u) => u.security).length,
    held: st.held,
    reboot_required: st.reboot.required,
    reboot_reasons: st.reboot.reasons,
    reboot_packages: st.reboot.packages,
    kernel: st.kernel,
    broken_sources: st.brokenSources,
  };
  if (o.os) h.os = o.os;
  if (secAges.length) h.oldest_security_age_s = Math.max(...secAges);
  if (st.listsAge !== undefined) h.lists_age_s = st.listsAge;
  return h;
}

export function summarizePatch(hosts: HostPatch[]): PatchSummary {
  const ages = hosts.flatMap((h) => (h.oldest_security_age_s !== undefined ? [h.oldest_security_age_s] : []));
  const s: PatchSummary = {
    hosts: hosts.length,
    up_to_date: hosts.filter((h) => h.status === "up_to_date").length,
    pending_hosts: hosts.filter((h) => h.status === "pending").length,
    security_hosts: hosts.filter((h) => h.security > 0).length,
    unreachable: hosts.filter((h) => h.status === "unreachable").length,
    failed: hosts.filter((h) => h.status === "failed").length,
    updates: hosts.reduce((n, h) => n + h.pending, 0),
    security_updates: hosts.reduce((n, h) => n + h.security, 0),
    held_updates: hosts.reduce((n, h) => n + h.held_updates.length, 0),
    reboot_required: hosts.filter((h) => h.reboot_required).length,
    new: hosts.reduce((n, h) => n + h.updates.filter((u) => u.compare === "new").length, 0),
    resolved: hosts.reduce((n, h) => n + h.resolved.length, 0),
  };
  if (ages.length) s.oldest_security_age_s = Math.max(...ages);
  return s;
}

export interface PatchMeta {
  inventory: string[];
  failOn: FailOn;
  generatedAt?: string;
  durationMs: number;
  shard?: { index: number; total: number };
  /** baselineOf the first inventory source, read by the command (this module stays pure). */
  baseline?: Baseline;
}

export function buildPatchReport(outcomes: HostOutcome[], meta: PatchMeta): PatchReport {
  const hosts = outcomes.map(hostPatch).sort((a, b) => a.host.localeCompare(b.host, "en", { numeric: true }));
  return {
    schema_version: PATCH_SCHEMA_VERSION,
    kind: "keel.patch",
    keel_version: keelVersion(),
    ...(meta.baseline ? { baseline: meta.baseline } : {}),
    generated_at: meta.generatedAt ?? new Date().toISOString(),
    inventory: meta.inventory,
    ...(meta.shard ? { shard: meta.shard } : {}),
    duration_ms: meta.durationMs,
    fail_on: meta.failOn,
    summary: summarizePatch(hosts),
    hosts,
  };
}

/** 1: a host unreachable or failed; 2: pending security updates (any update with fail_on any); 0 otherwise. Held updates never count. */
export function patchExitCode(r: PatchReport): number {
  if (r.summary.unreachable > 0 || r.summary.failed > 0) return 1;
  const bad = r.fail_on === "any" ? r.summary.updates : r.summary.security_updates;
  return bad > 0 ? 2 : 0;
}

/** Whether a host fails the report's bar (a JUnit failure, a red row). */
export function hostFails(h: HostPatch, failOn: FailOn): boolean {
  return failOn === "any" ? h.pending > 0 : h.security > 0;
}

/** Marks each pending update new or persisting (since when) against an earlier run; adds resolved ones. Pure. */
export function comparePatch(
  current: PatchReport,
  previous: { host: string; firstSeen: string; item: PatchItem }[],
  previousRun?: { run_id: number; generated_at: string },
): PatchReport {
  const prev = new Map(previous.map((p) => [p.item.key, p]));
  const hosts = current.hosts.map((h) => {
    const updates = h.updates.map((u) => {
      const p = prev.get(u.key);
      return p ? { ...u, compare: "persisting" as const, since: p.firstSeen } : { ...u, compare: "new" as const, since: current.generated_at };
    });
    const probed = h.status === "pending" || h.status === "up_to_date";
    const resolved = probed
      ? previous
          .filter((p) => p.host === h.host && !h.updates.some((u) => u.key === p.item.key))
          .map((p) => ({ ...p.item, compare: "resolved" as const, since: p.firstSeen }))
      : [];
    return { ...h, updates, resolved };
  });
  return { ...current, ...(previousRun ? { compared_with: previousRun } : {}), hosts, summary: summarizePatch(hosts) };
}

/** 42 → "42 s", 5400 → "90 min", 200000 → "2 d 7 h". */
export { ageText } from "../../core/age.js";
