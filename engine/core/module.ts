// The module contract (DESIGN.md, "The module contract"): every module declares, then acts.
//   probe  — a POSIX-sh snippet plus a pure parser of its stdout; it only observes.
//   diff   — pure; [] means converged. Check mode and drift are probe + diff.
//   apply  — acts on the host through `Host`, only when diff was not empty and not in check mode.
import type { Facts } from "./facts.js";

/** A JSON Schema object (draft-07 subset used by ajv). */
export type JSONSchema = Record<string, unknown>;

export interface Probe<S> {
  /** POSIX sh text. Runs with `set -u` off, stdout captured; stderr is discarded. Must not change anything. */
  script: string;
  /** Pure: turns the probe's stdout (and its exit code) into state. */
  parse(stdout: string, rc: number): S;
}

/**
 * One difference between the host and the desired state. `D` is the module's own plan data: diff
 * fills `data`, and apply receives the same typed Change<D>[] (HostModule<A, S, D>).
 */
export interface Change<D = unknown> {
  /** One line, e.g. "mode 0644 → 0600", "package nftables missing". */
  summary: string;
  /** The attribute that differs ("mode", "content", "shell", "state"…). */
  field?: string;
  before?: unknown;
  after?: unknown;
  /** Text content change, rendered as a unified diff by reporters. */
  diff?: { path: string; before: string; after: string };
  /**
   * Where the `before` value was read on the host: "/etc/ssh/sshd_config.d/50-x.conf:12", or the
   * command ("sshd -T"). Audit reports show it as the evidence's source; absent, they show the resource.
   */
  source?: string;
  /**
   * The outcome cannot be predicted without acting (command/shell without creates/removes).
   * Check mode and drift report such a task as "unknown", never as drift.
   */
  unknown?: boolean;
  /**
   * Module-private data apply needs (e.g. the exact command list); not shown to users. Two flags are
   * read by the engine: `action: true` (a restart/reload: never drift) and, with it, `quiet: true`
   * (it never makes the task changed, in check mode too, as Ansible's systemd daemon_reload).
   */
  data?: D;
}

export interface ExecOptions {
  /** Bytes written to the command's stdin. */
  stdin?: string | Buffer;
  /** Run through become (sudo). Defaults to the task's become setting. */
  become?: boolean;
  cwd?: string;
  env?: Record<string, string>;
  timeoutMs?: number;
  /** Throw CommandError when the exit code is not 0. Default true. */
  check?: boolean;
}

export interface ExecResult {
  stdout: string;
  stderr: string;
  rc: number;
}

export interface WriteFileOptions {
  mode?: string;
  owner?: string;
  group?: string;
  /** Keep a timestamped copy of the old file beside it; its path is returned. */
  backup?: boolean;
  /** A command run on the temporary file before it is renamed into place; `%s` is the temp path. */
  validate?: string;
}

/** What `apply` gets: one host, through its persistent connection, with the task's become settings. */
export interface Host {
  readonly name: string;
  readonly facts: Facts;
  /** Run a shell command. Throws CommandError on a non-zero exit unless `check: false`. */
  run(cmd: string, opts?: ExecOptions): Promise<ExecResult>;
  /** Write a file atomically (temp file in the same directory, then rename). */
  writeFile(path: string, content: string | Buffer, opts?: WriteFileOptions): Promise<{ backup?: string }>;
  /** Drop the connection and connect again, retrying until `timeoutMs` (used by system.reboot). */
  reconnect(timeoutMs: number): Promise<void>;
  /** Open a second, NEW connection to the same host and run `true` on it (proof after a firewall/sshd change); throws ConnectionError. */
  probeNewConnection?(timeoutMs: number): Promise<void>;
}

/** What apply may hand back; it is merged into the task's registered result. */
export interface ApplyResult {
  stdout?: string;
  stderr?: string;
  rc?: number;
  msg?: string;
  backup_file?: string;
  /** Extra fields for `register`. */
  data?: Record<string, unknown>;
  /**
   * false: apply acted but, as the Ansible module reports it, changed nothing (uri's request with no
   * dest, whose diff could only be "unknown"); the task is then "ok". Absent: changed.
   */
  changed?: boolean;
  /** The module's own failure with its result still registered (uri's status not in status_code). */
  failed?: string;
}

/** Controller-side context for `prepare`: the task's playbook/role folders, for `src` and templates. */
export interface PrepareContext {
  /** Folders searched in order for `files/` and `templates/` (role folder, then playbook folder). */
  searchDirs: string[];
  /** Render a Handlebars template with the task's variables (strict). `source` names it in errors. */
  render(template: string, source: string): string;
  /**
   * Read a controller file found in the search dirs' `sub` folder ("files" or "templates"). An
   * ansible-vault file comes back decrypted (its plaintext a secret) unless `decrypt` is false.
   */
  readLocal(sub: "files" | "templates", rel: string, opts?: { decrypt?: boolean }): Buffer;
  /**
   * The controller path readLocal would read, found the same way, and it may be a folder (copy's
   * recursive src). Throws the same not-found error. Absent in contexts that only read files.
   */
  findLocal?(sub: "files" | "templates", rel: string): string;
  vars: Record<string, unknown>;
  check: boolean;
}

/** What every module declares before it acts: names, description, argument schema, resource. */
// The registry holds modules of every argument, state and plan type; `any` is the default that lets
// one array hold them, while each module file instantiates the generics with its own types.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export interface ModuleMeta<A = any> {
  /** area.noun, matching modules/area/noun.ts */
  name: string;
  /** Ansible short names and other accepted names (`copy`, `ansible.builtin.copy` is derived). */
  aliases?: string[];
  description: string;
  /** JSON Schema of the arguments, additionalProperties false, every property described. */
  args: JSONSchema;
  /** The argument that a `key=value` free-form string's bare words go to (command/shell: "cmd"). */
  freeForm?: string;
  /**
   * Ansible's other spellings of an argument (`createhome` → `create_home`): the loader folds each
   * into its canonical name before validation, so the module only ever sees the canonical one.
   */
  argAliases?: Record<string, string>;
  /**
   * Ansible arguments of this module that keel does not implement, each with the reason and what to
   * do instead. Such an argument is not in the schema: the load stops, naming it with this reason
   * (never dropped). test/unit/modules/ansible-argspec.test.ts checks every Ansible argument is in
   * the schema or here.
   */
  refusedArgs?: Record<string, string>;
  /** The resource the task manages, for reports: "file /etc/motd", "package nginx". */
  resource(args: A): string;
  /**
   * Rules the JSON Schema cannot express: rules spanning arguments ("link needs src"), name syntax,
   * and no newline/NUL in a value that becomes one line of a file. Throws InputError (no position:
   * the caller adds the task's). Pure. Called by the loader when the arguments are known at load,
   * otherwise once per host after rendering, before the probe.
   */
  validate?(args: A): void;
  /**
   * Names of the variables the task sets besides its `register` (set_fact's arguments, the facts a
   * *_facts module returns). The runner's probe batching must not read them ahead of the task.
   */
  produces?(args: A): string[];
}

/**
 * What a task of a module reads (its probe) and writes (its apply) on the host, as resource names:
 *   "file:/abs/path"  the path and everything below it;
 *   "dir:/abs/path"   that folder entry alone (exists, type), not what is in it: the parents a probe
 *                     checks, the parents an apply may create (mkdir -p); see folderEntries;
 *   "accounts"        the user and group databases (passwd, group, shadow, gshadow);
 *   "sysctl"          live kernel parameters;
 *   "*"               anything (a package install, a command).
 * Two names overlap when either is "*", when they are equal, when both are files and one path
 * is the other or lies below it, or when a folder entry lies in (or is) a file path. The rule is in
 * engine/run/footprint.ts.
 */
/** A file an apply installs (Host.writeFile), as a recording saw it. */
export interface FileWrite {
  path: string;
  content: Buffer;
}

export interface Footprint {
  reads: string[];
  writes: string[];
  /**
   * The apply may do anything to the host, down to cutting keel's own connection (a command that
   * reboots or takes the link down): it may START a batch, carrying the later tasks behind guards,
   * but never joins one after another task's apply, whose results a lost connection would take
   * with it (a sequential run would have reported them before the command ran).
   */
  firstOnly?: boolean;
}

/** "dir:" names of every folder above an absolute path ("/a/b/c" → dir:/a/b, dir:/a, dir:/). */
export function folderEntries(path: string): string[] {
  const out: string[] = [];
  let p = path.replace(/\/+$/, "");
  while (p.includes("/")) {
    p = p.slice(0, p.lastIndexOf("/"));
    out.push(`dir:${p || "/"}`);
    if (!p) break;
  }
  return out;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export interface HostModule<A = any, S = any, D = any> extends ModuleMeta<A> {
  kind?: "host";
  /**
   * Declaring a footprint lets the runner pipeline this module's applies (send them with the next
   * tasks' in one round trip) and keep the probes of later tasks that it cannot change. It also
   * promises that apply is deterministic: given the same args, changes and state, and the same
   * results from the host, it makes the same calls in the same order (no clock, no randomness).
   * Without it, an apply runs on its own and every later probe is read again after it.
   */
  footprint?(args: A, facts: Facts): Footprint;
  /**
   * Pipelined applies: what this probe would print now, given what it printed before and the files
   * that applies since then installed (in order), assuming nothing else changed; undefined when it
   * cannot tell. Only a guess: the batch re-runs the probe at that point and goes on only when
   * the host prints exactly this (docs/pipelining.md), so a wrong guess costs a round trip, never
   * a wrong plan. Pure. (system.sysctl: three keys in one file no longer cost a round trip each.)
   */
  predict?(stdout: string, args: A, facts: Facts, writes: readonly FileWrite[]): string | undefined;
  /** Controller-side preparation after templating: read `src`, render templates… Pure of hosts. */
  prepare?(args: A, ctx: PrepareContext): A;
  probe(args: A, facts: Facts): Probe<S>;
  diff(state: S, args: A, facts: Facts): Change<D>[];
  /** Why nothing needs to change: "user deploy exists with uid 1001". */
  explain?(state: S, args: A): string;
  apply(host: Host, args: A, changes: Change<D>[], state: S): Promise<ApplyResult | void>;
  /**
   * Fields a module adds to its registered result from the probed state, in every mode (check mode
   * and drift included): the return values Ansible documents for read-only modules (`stat`,
   * `files`, `ansible_facts`…). Pure. An `ansible_facts` mapping sets host facts as Ansible does:
   * each key becomes a variable, and `ansible_facts.<key without ansible_>` too; such a module must
   * declare those names in `produces` (the pipeline batches past modules that produce nothing).
   */
  result?(state: S, args: A, facts: Facts, mode?: ResultMode): Record<string, unknown>;
}

/** How the task runs, for result(): Ansible's modules return fewer keys in check mode (only `changed` when a user or group would be created). */
export interface ResultMode {
  check: boolean;
}

export interface ControllerResult {
  changed?: boolean;
  failed?: boolean;
  msg?: string;
  /** Variables to set on the host (set_fact). */
  setFacts?: Record<string, unknown>;
  /** The task did nothing on this host, with this reason (debug under its verbosity threshold). */
  skipped?: string;
  /** Show `msg` with the result even without -v, as Ansible's debug (_ansible_verbose_always). */
  show?: boolean;
  /**
   * setFacts are variables as written in a file (include_vars), not computed values: templated
   * when read, as play and role variables are.
   */
  setFactsWritten?: boolean;
}

/** What a controller module's run() gets. */
export interface ControllerContext {
  vars: Record<string, unknown>;
  facts: Facts;
  check: boolean;
  /** The run's -v count (0 or absent without -v), as Ansible's display verbosity. */
  verbosity?: number;
  evaluate(expr: string): unknown;
  /** Folders the task's files are found in (its role's folder, then the playbook's), as for `src`. */
  searchDirs?: string[];
}

/** A module that runs on the controller only (set_fact, assert). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export interface ControllerModule<A = any> extends ModuleMeta<A> {
  kind: "controller";
  /** May wait (system.pause): the runner awaits it. */
  run(args: A, ctx: ControllerContext): ControllerResult | Promise<ControllerResult>;
}

export type ModuleDef = HostModule | ControllerModule;

export function defineModule<A, S, D = unknown>(m: HostModule<A, S, D>): HostModule<A, S, D> {
  return { kind: "host", ...m };
}

export function defineControllerModule<A>(m: Omit<ControllerModule<A>, "kind">): ControllerModule<A> {
  return { kind: "controller", ...m };
}
