// The run's options and the types shared by the scheduler (index.ts) and the host runner: kept
// apart so that neither imports the other for its types.
import type { HostStats, TaskRef } from "../core/events.js";
import type { Registry } from "../core/registry.js";
import type { ConnectionFailure } from "../core/errors.js";
import type { connect as realConnect } from "../transport/index.js";

export interface RunOptions {
  registry: Registry;
  /** Check mode: probe and diff only, change nothing. Per-task `check_mode:` still wins. */
  check: boolean;
  /** Diff mode (reporters show before/after); exposed to templates as ansible_diff_mode. */
  diff: boolean;
  /** Host pattern; only hosts that match it and the play's pattern run. */
  limit?: string;
  tags?: string[];
  skipTags?: string[];
  /** Hosts run in parallel (default 50). */
  forks?: number;
  /** -e values: the highest variable precedence. */
  extraVars: Record<string, unknown>;
  /** Override the inventory's connection type for every host. */
  connection?: "local" | "ssh";
  /** --become: the default for plays and tasks that do not say. */
  become?: boolean;
  becomePassword?: string;
  password?: string;
  acceptNewHostKeys?: boolean;
  connectTimeoutMs?: number;
  commandTimeoutMs?: number;
  /** The transport's connect (injectable for tests). */
  connect?: typeof realConnect;
}

export interface RunSummary {
  /** Per host, disjoint counts (see the header of index.ts). */
  stats: Record<string, HostStats>;
  /** Round trips per host over its one connection (facts, probe batches, apply commands). */
  roundTrips: Record<string, number>;
  unreachable: string[];
  failed: string[];
  /** One entry per failed or unreachable host: what failed, where, and why. */
  failures: HostFailure[];
  /** Hosts that never started because the run stopped (see `stopped`). */
  notRun: string[];
  /** Why the run stopped early: "play 'deploy': every host of the batch failed (web1); web2, web3 did not run". */
  stopped?: string;
  durationMs: number;
}

export interface HostFailure {
  host: string;
  task?: TaskRef;
  /** "lab01: task 'Ensure motd' (site.yml:12:7): exit code 1: …" */
  message: string;
  unreachable?: ConnectionFailure;
}

/** Ansible's `groups` (group → host names) and `hostvars` (host → its inventory variables). */
export interface FleetVars {
  groups: Record<string, string[]>;
  hostvars: Record<string, Record<string, unknown>>;
}

/** State shared by the hosts of one play: `meta: end_play` ends it for all of them. */
export interface PlayState {
  ended: boolean;
}

/** How a host's tasks are paced: free (run now) or linear (wait for the other hosts first). */
export type Step = <T>(fn: () => Promise<T>) => Promise<T>;

/** Connection attempts when the handshake times out (other connection failures are not retried). */
export const CONNECT_ATTEMPTS = 2;
