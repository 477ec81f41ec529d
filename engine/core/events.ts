// Events are the only output channel of a run. Reporters consume them and know nothing of each other.
import type { Change } from "./module.js";
import type { SourcePos, ConnectionFailure } from "./errors.js";
import type { Facts } from "./facts.js";

export type TaskStatus = "ok" | "changed" | "failed" | "skipped" | "unknown";

export interface TaskRef {
  id: string;
  name: string;
  module: string;
  pos: SourcePos;
  play: string;
  role?: string;
}

export interface HostStats {
  ok: number;
  changed: number;
  failed: number;
  skipped: number;
  unknown: number;
  unreachable: number;
  rescued: number;
  ignored: number;
}

/**
 * How a read-only check says there was nothing on the host to judge (its explanation starts with
 * this: "not applicable: no path matches /etc/crontab, nothing to check"). `keel audit` reports a
 * control whose every task says so as `not_applicable` with that reason, never as a pass.
 */
export const NOT_APPLICABLE = "not applicable: ";

export interface TaskResult {
  status: TaskStatus;
  /** The resource the task manages ("file /etc/motd"). */
  resource?: string;
  changes: Change[];
  /** Why nothing changed, when status is ok. Starts with NOT_APPLICABLE when there was nothing to judge. */
  reason?: string;
  msg?: string;
  /** Loop item label, for looped tasks (one result per item). */
  item?: string;
  stdout?: string;
  stderr?: string;
  rc?: number;
  /** The task is no_log: values and diffs are already masked. */
  secret: boolean;
  /** `msg` is the task's output, shown even without -v (Ansible's debug). */
  show?: boolean;
  ignored?: boolean;
  /** A failure inside a block with `rescue`: the rescue runs, the host does not fail by it (Ansible's rescued). */
  rescued?: boolean;
  durationMs: number;
  /** Handler run. */
  handler?: boolean;
  /** What the transport did on its own during the task (stale temporary files removed). */
  warnings?: string[];
}

export type KeelEvent =
  | { type: "run.start"; playbook: string; check: boolean; hosts: string[]; time: string }
  /** `unmatched`: names of the play's host pattern that match no group or host (ignored, as Ansible does). */
  | { type: "play.start"; play: string; pos: SourcePos; hosts: string[]; unmatched?: string[] }
  | { type: "host.start"; host: string }
  | { type: "host.facts"; host: string; facts: Facts }
  | { type: "task.start"; host: string; task: TaskRef }
  | { type: "task.result"; host: string; task: TaskRef; result: TaskResult }
  | { type: "host.unreachable"; host: string; failure: ConnectionFailure; message: string; task?: TaskRef }
  | { type: "host.done"; host: string; stats: HostStats; roundTrips: number; durationMs: number }
  | { type: "run.summary"; summary: RunSummary }
  | { type: "run.done"; stats: Record<string, HostStats>; durationMs: number };

/** One entry per failed or unreachable host: what failed, where, and why. */
export interface HostFailure {
  host: string;
  task?: TaskRef;
  /** "lab01: task 'Ensure motd' (site.yml:12:7): exit code 1: …" */
  message: string;
  unreachable?: ConnectionFailure;
}

/** The outcome of a whole run, emitted once (run.summary) just before run.done. */
export interface RunSummary {
  /** Per host, disjoint counts (see engine/run/index.ts). */
  stats: Record<string, HostStats>;
  /** Round trips per host over its one connection (facts, probe batches, apply commands). */
  roundTrips: Record<string, number>;
  unreachable: string[];
  failed: string[];
  failures: HostFailure[];
  /** Hosts that never started because the run stopped (see `stopped`). */
  notRun: string[];
  /** Why the run stopped early: "play 'deploy': every host of the batch failed (web1); web2, web3 did not run". */
  stopped?: string;
  durationMs: number;
}

export type EventSink = (e: KeelEvent) => void;

export function emptyStats(): HostStats {
  return { ok: 0, changed: 0, failed: 0, skipped: 0, unknown: 0, unreachable: 0, rescued: 0, ignored: 0 };
}
