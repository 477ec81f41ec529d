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

export interface TaskResult {
  status: TaskStatus;
  /** The resource the task manages ("file /etc/motd"). */
  resource?: string;
  changes: Change[];
  /** Why nothing changed, when status is ok. */
  reason?: string;
  msg?: string;
  /** Loop item label, for looped tasks (one result per item). */
  item?: string;
  stdout?: string;
  stderr?: string;
  rc?: number;
  /** The task is no_log: values and diffs are already masked. */
  secret: boolean;
  ignored?: boolean;
  durationMs: number;
  /** Handler run. */
  handler?: boolean;
  /** What the transport did on its own during the task (stale temporary files removed). */
  warnings?: string[];
}

export type KeelEvent =
  | { type: "run.start"; playbook: string; check: boolean; hosts: string[]; time: string }
  | { type: "play.start"; play: string; pos: SourcePos; hosts: string[] }
  | { type: "host.start"; host: string }
  | { type: "host.facts"; host: string; facts: Facts }
  | { type: "task.start"; host: string; task: TaskRef }
  | { type: "task.result"; host: string; task: TaskRef; result: TaskResult }
  | { type: "host.unreachable"; host: string; failure: ConnectionFailure; message: string; task?: TaskRef }
  | { type: "host.done"; host: string; stats: HostStats; roundTrips: number; durationMs: number }
  | { type: "run.done"; stats: Record<string, HostStats>; durationMs: number };

export type EventSink = (e: KeelEvent) => void;

export function emptyStats(): HostStats {
  return { ok: 0, changed: 0, failed: 0, skipped: 0, unknown: 0, unreachable: 0, rescued: 0, ignored: 0 };
}
