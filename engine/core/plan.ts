// The validated, typed Plan that engine/playbook produces and engine/run executes.
// Every node keeps its source position so runtime errors can point at the playbook line.
import type { SourcePos } from "./errors.js";

/** A string expression (when/changed_when/failed_when/until) with where it was written. */
export interface Expr {
  text: string;
  pos: SourcePos;
}

interface NodeCommon {
  /** Stable id within the plan ("p0.t3.b1.t0"), used in events and reports. */
  id: string;
  name?: string;
  pos: SourcePos;
  when: Expr[];
  tags: string[];
  /** Variables set at this level (task `vars:`, block `vars:`). */
  vars: Record<string, unknown>;
  become?: boolean;
  becomeUser?: string;
  ignoreErrors: boolean;
  /** `ignore_errors: "{{ … }}"`: decided per host when the task fails (ignoreErrors is then false). */
  ignoreErrorsExpr?: Expr;
  noLog: boolean;
  /** Task-level `check_mode:` override. */
  checkMode?: boolean;
  /** Set when the node came from a role. */
  role?: RoleRef;
  /** Folders searched for files/ and templates/ (role folder first, then the playbook's). */
  searchDirs: string[];
  /** Where and as whom the node runs (delegate_to, run_once, remote_user, environment, connection); inherited. */
  placement?: Placement;
}

/**
 * The controller-side keywords of a play, block or task, as written (values may be templates,
 * rendered per host when the task runs: engine/run/delegate.ts). Effective values are inherited:
 * a task's placement already holds its blocks', include's and role's.
 */
export interface Placement {
  remoteUser?: string;
  /** `environment:` layers, outermost first (play, block, role, task); each a mapping or a template giving one. Later keys win. */
  environment?: unknown[];
  delegateTo?: string;
  delegateFacts?: boolean;
  runOnce?: boolean;
  connection?: "local" | "ssh";
}

export interface RoleRef {
  name: string;
  dir: string;
  defaults: Record<string, unknown>;
  vars: Record<string, unknown>;
}

export interface Task extends NodeCommon {
  kind: "task";
  /** Canonical module name ("files.copy"), or "meta" for meta tasks. */
  module: string;
  /** The module key as written ("copy", "ansible.builtin.copy"). */
  moduleAs: string;
  /** Arguments as written (may contain {{ templates }}); validated on load, re-validated after templating. */
  args: Record<string, unknown>;
  argsPos: SourcePos;
  /** Positions of each argument, for errors after templating. */
  argPos: Record<string, SourcePos>;
  loop?: unknown;
  loopVar: string;
  loopLabel?: string;
  register?: string;
  notify: string[];
  changedWhen?: Expr[];
  failedWhen?: Expr[];
  until?: Expr;
  retries: number;
  delay: number;
  /** `retries: "{{ n }}"` / `delay: "{{ s }}"`: rendered per host when the task runs (retries/delay hold the defaults). */
  retriesExpr?: Expr;
  delayExpr?: Expr;
  /** Handlers only: extra topics this handler listens to. */
  listen: string[];
}

export interface Block extends NodeCommon {
  kind: "block";
  block: TaskNode[];
  rescue: TaskNode[];
  always: TaskNode[];
  /** Set when the block is a looped include_tasks/include_role: its `block` runs once per item, per host. */
  include?: IncludeLoop;
}

/**
 * A dynamic include (Ansible's include_tasks, and include_tasks/include_role over `loop: "{{ users
 * }}"`): the included file is loaded and validated once, when the playbook loads; each host decides
 * the include's `when` when it gets there (once, or per item of the rendered loop) and runs the
 * included tasks once per included item, with the loop variable in scope.
 */
export interface IncludeLoop {
  /** The include's key as written ("include_tasks", "ansible.builtin.include_role"). */
  as: string;
  /** What it includes as written (the file or role name), for events. */
  what: string;
  /** false: an include_tasks without a loop (its `when` decided once, no loop variable); `loop` is then unused. */
  looped: boolean;
  /** A list, or a template giving one (with_items/with_dict/with_<lookup> already rewritten). */
  loop: unknown;
  /** Where the loop is written (errors rendering it point here). */
  loopPos: SourcePos;
  loopVar: string;
  indexVar?: string;
  /** loop_control.extended: `ansible_loop` (index, first, last, previtem…) for each item. */
  extended: boolean;
  label?: string;
  /** The include's own `when` (and the static ones around it): decided per item, not inherited by the included tasks. */
  when: Expr[];
  /** The include's own tags: they select the include, the included tasks keep their own. */
  tags: string[];
  ignoreErrors: boolean;
}

export type TaskNode = Task | Block;

export interface Play {
  id: string;
  name: string;
  /** Host pattern as written. */
  hosts: string;
  pos: SourcePos;
  /** Play vars (then vars_files, merged over them in order). */
  vars: Record<string, unknown>;
  varsFiles: Record<string, unknown>;
  /** Defaults of the play's roles (roles:), visible to the play's tasks outside roles too. */
  roleDefaults?: Record<string, unknown>;
  become?: boolean;
  becomeUser?: string;
  gatherFacts: boolean;
  /** Ansible's gather_subset (["!all", "min"]…); absent gathers all. */
  gatherSubset?: string[];
  /**
   * Ansible's gather_timeout (seconds), which Ansible hands to setup: on Linux it changes nothing
   * (each mount's statvfs has a fixed 10 s, in Ansible and in keel's probe); kept as written.
   */
  gatherTimeout?: number;
  /** Batch sizes: numbers or percentages ("30%"), the last one repeating. */
  serial?: (number | string)[];
  /** Stop the run when more than this percentage of a batch failed (Ansible's max_fail_percentage). */
  maxFailPercentage?: number | string;
  strategy: "free" | "linear";
  checkMode?: boolean;
  /** The play's remote_user, environment and connection (see Placement). */
  placement?: Placement;
  /** pre_tasks, role tasks, tasks, post_tasks, in order. */
  tasks: TaskNode[];
  handlers: Task[];
  tags: string[];
}

export interface Plan {
  /** Absolute path of the playbook. */
  file: string;
  dir: string;
  plays: Play[];
}
