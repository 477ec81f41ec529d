// The run's options and the types shared by the scheduler (index.ts) and the host runner: kept
// apart so that neither imports the other for its types.
import type { Registry } from "../core/registry.js";
import type { SharedArgs } from "./shared-args.js";
import type { TaskRef } from "../core/events.js";
import type { HostSpec } from "../core/host.js";
import type { OnceResult } from "./placed.js";
export type { HostFailure, RunSummary } from "../core/events.js";
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
  /** The -v count: debug's `verbosity` threshold compares with it. Default 0. */
  verbosity?: number;
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
  /** host_key_checking of ansible.cfg / ANSIBLE_HOST_KEY_CHECKING (false: keys not checked). */
  hostKeyChecking?: boolean;
  /** [ssh_connection] ssh_args of ansible.cfg / ANSIBLE_SSH_ARGS: its -o options come first, as in Ansible. */
  sshArgs?: string;
  /** -F FILE: the ssh_config to read instead of ~/.ssh/config and /etc/ssh/ssh_config. */
  sshConfigFile?: string;
  connectTimeoutMs?: number;
  commandTimeoutMs?: number;
  /**
   * Deadline for each host's whole run (connect, facts, every task), ms; 0 or unset: none. A host
   * past it is reported unreachable (failure "timeout") and its connection dropped, so a host that
   * accepts TCP and then stalls never stalls the run.
   */
  hostTimeoutMs?: number;
  /** remote_user of ansible.cfg: the login user of hosts whose inventory names none. */
  defaultUser?: string;
  /** remote_port of ansible.cfg: the SSH port of hosts whose inventory names none (beats ssh_config's Port, as Ansible's -o Port does). */
  defaultPort?: number;
  /** private_key_file of ansible.cfg: the key of hosts whose inventory names none. */
  defaultPrivateKeyFile?: string;
  /** timeout of ansible.cfg, ms: below -T and the host's ansible_timeout. */
  defaultConnectTimeoutMs?: number;
  /** -u: log in as this user instead of the inventory's. */
  user?: string;
  /** --private-key: use this key file instead of the inventory's. */
  privateKeyFile?: string;
  /** --become-user: the default become user for plays and tasks that do not say. */
  becomeUser?: string;
  /**
   * Pipelined applies (docs/pipelining.md): a task's apply goes to the host with the next tasks' in one
   * round trip. Default on; KEEL_PIPELINE=0 in the environment turns it off (every apply then runs
   * on its own and every probe is read again after it, as before).
   */
  pipeline?: boolean;
  /**
   * --step: asked before each task (not handlers) is run on a host; false skips the task there.
   * The CLI asks once per task and shares the answer between hosts.
   */
  confirmTask?: (task: TaskRef) => Promise<boolean>;
  /** The transport's connect (injectable for tests). */
  connect?: typeof realConnect;
  /**
   * Facts: "auto" (default) gathers only keel's own facts when nothing the run can template reads
   * another one (engine/facts/needs.ts); "all" always gathers Ansible's whole list.
   */
  facts?: "auto" | "all";
  /** Set by runPlaybook from that analysis: the facts probes gather keel's own facts only. */
  keelFactsOnly?: boolean;
}

/** Ansible's `groups` (group → host names) and `hostvars` (host → its inventory variables). */
export interface FleetVars {
  groups: Record<string, string[]>;
  hostvars: Record<string, Record<string, unknown>>;
  /** An inventory host's spec, for delegate_to (InputError for a name not in the inventory). */
  specOf?: (name: string) => HostSpec;
  /** delegate_facts: facts a task set for another host, given to that host. */
  assignFacts?: (host: string, facts: Record<string, unknown>) => void;
}

/** State shared by the hosts of one play: `meta: end_play` ends it for all of them. */
export interface PlayState {
  ended: boolean;
  /**
   * Ansible's ansible_play_hosts_all (the play's hosts), ansible_play_hosts (those still active
   * when the play started) and ansible_play_batch (the current serial batch), in inventory order.
   */
  hostsAll?: string[];
  hosts?: string[];
  batch?: string[];
  /** run_once tasks of the current batch, by task id: the result of the host that ran it. */
  once?: Map<string, Promise<OnceResult>>;
  /** max_fail_percentage was exceeded in this batch (linear): its hosts take no further task. */
  halted?: boolean;
  /** Task arguments rendered once for every host of the play (shared-args.ts). */
  args?: SharedArgs;
}

/** How a host's tasks are paced: free (run now) or linear (wait for the other hosts first). */
export type Step = <T>(fn: () => Promise<T>) => Promise<T>;

/** Connection attempts when the handshake times out (other connection failures are not retried). */
export const CONNECT_ATTEMPTS = 2;
