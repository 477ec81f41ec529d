// Where and as whom a task runs: Ansible's delegate_to (with delegate_facts), remote_user,
// environment and connection keywords, rendered per host (issue 15 #3).
//
// - The host's tasks run over its main connection: the inventory's settings, with the play's
//   remote_user and connection (a play with `connection: local` runs on this machine while
//   inventory_hostname stays the host's). A task whose remote_user or connection differs, or that
//   is delegated, runs over another connection of the same pool, opened once and kept until the host
//   is done.
// - Precedence as Ansible's: the login user is -u, then the host's ansible_user, then the
//   remote_user keyword (task over block over play), then ansible.cfg's remote_user. The host's own
//   ansible_connection beats the connection keyword, which beats -c.
// - delegate_to: the delegated host's connection variables (address, port, user, key) from the
//   inventory; a name not in the inventory is refused, except `localhost`/`127.0.0.1`, the implicit
//   local connection as in Ansible (a task skipped by its `when` is skipped, not refused: Ansible
//   decides `when` first). A delegate_to rendered to `omit` is no delegation, as in Ansible. Variables stay the current host's (inventory_hostname too);
//   modules choose their backend from the delegated host's facts, gathered once per connection.
// - environment: the layers (play, blocks, role, task) rendered and merged, later keys winning,
//   values as strings; given to every command of the task (probe and apply). The values never
//   appear in events (only the names are in nothing either): a vaulted value stays secret.
import type { Connection, ExecRequest } from "../core/connection.js";
import type { Facts } from "../core/facts.js";
import type { HostSpec } from "../core/host.js";
import type { Placement, Play, Task } from "../core/plan.js";
import { InputError } from "../core/errors.js";
import { OMIT, hasTemplate, renderValue } from "../template/index.js";
import { connectHost } from "./connect.js";
import type { StartupRequest } from "../transport/session.js";
import type { RunOptions } from "./options.js";

/** The task's effective placement in its play: the task's keywords over the play's; environment layers play first. */
export function placementOf(play: Play | undefined, task: Task | undefined): Placement {
  const p = play?.placement ?? {};
  const t = task?.placement ?? {};
  const env = [...(p.environment ?? []), ...(t.environment ?? [])];
  const out: Placement = { ...p, ...t };
  if (env.length) out.environment = env;
  else delete out.environment;
  return out;
}

/** A connection target: which host, as whom, how; `key` identifies the connection in the pool. */
export interface Target {
  spec: HostSpec;
  /** connection type forced by a keyword (else the run's -c / the inventory's) */
  connection?: "local" | "ssh";
  key: string;
  delegated: boolean;
}

const CONNECTION_VAR_NAMES = ["connection", "ansible_connection"];

function render(text: string, vars: Record<string, unknown>, task: Task | undefined, what: string): string {
  if (!hasTemplate(text)) return text;
  const v = renderValue(text, vars, task?.pos ?? { file: "", line: 0, col: 0 });
  if (typeof v !== "string" && typeof v !== "number") throw new InputError(`${what} '${text}' gave ${JSON.stringify(v)}, not a name`, task?.pos);
  return String(v).trim();
}

function withoutDelegate(p: Placement): Placement {
  const { delegateTo: _omitted, ...rest } = p;
  return rest;
}

/**
 * Where the task (or, without a task, the play's main connection) runs for this host.
 * `specOf` gives an inventory host's spec (throws InputError for an unknown name).
 */
export function targetOf(
  self: HostSpec,
  p: Placement,
  vars: Record<string, unknown>,
  task: Task | undefined,
  specOf: ((name: string) => HostSpec) | undefined,
  opts: Pick<RunOptions, "user" | "defaultUser" | "connection">,
): Target {
  let spec = self;
  let delegated = false;
  if (p.delegateTo !== undefined) {
    const name = render(p.delegateTo, vars, task, "delegate_to");
    // `delegate_to: "{{ x | default(omit) }}"`: omitted, the keyword takes its default (no
    // delegation), as Ansible's post_validate sets an omitted field back to its default
    if (name === OMIT) return targetOf(self, withoutDelegate(p), vars, task, specOf, opts);
    if (!name) throw new InputError(`delegate_to '${p.delegateTo}' gave an empty host name`, task?.pos);
    if (name !== self.name) {
      if (!specOf) throw new InputError(`delegate_to '${name}': the run has no inventory to find it in`, task?.pos);
      spec = specOf(name);
      delegated = true;
    }
  }
  const remoteUser = p.remoteUser !== undefined ? render(p.remoteUser, vars, task, "remote_user") : undefined;
  const user = opts.user ?? spec.user ?? remoteUser ?? opts.defaultUser;
  const explicitConn = CONNECTION_VAR_NAMES.some((k) => spec.vars[k] !== undefined && spec.vars[k] !== null);
  const connection = p.connection !== undefined && !explicitConn ? p.connection : undefined;
  const effective = connection ?? opts.connection ?? spec.connection;
  const s: HostSpec = user === undefined ? spec : { ...spec, user };
  const key = effective === "local" ? `local:${s.name}` : `ssh:${user ?? ""}@${s.address}:${s.port}:${s.name}`;
  const t: Target = { spec: s, key, delegated };
  if (connection) t.connection = connection;
  return t;
}

/** The task's environment: every layer rendered (a template must give a mapping), merged, values as strings. */
export function environmentOf(p: Placement, vars: Record<string, unknown>, task: Task | undefined): Record<string, string> | undefined {
  if (!p.environment?.length) return undefined;
  const out: Record<string, string> = {};
  for (const layer of p.environment) {
    const v = renderValue(layer, vars, task?.pos ?? { file: "", line: 0, col: 0 });
    if (v === null || v === undefined || v === "") continue;
    if (typeof v !== "object" || Array.isArray(v))
      throw new InputError(
        `environment: '${String(layer)}' gave ${Array.isArray(v) ? "a list" : typeof v}, not a mapping of variable names to values`,
        task?.pos,
        "environment: takes a mapping (or a variable holding one)",
      );
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) throw new InputError(`environment: '${k}' is not a valid variable name`, task?.pos);
      out[k] = x === null || x === undefined ? "" : typeof x === "boolean" ? (x ? "True" : "False") : typeof x === "object" ? JSON.stringify(x) : String(x);
    }
  }
  return out;
}

/** The same connection with `env` given to every command (the command's own env wins). Closing it closes nothing. */
export function withEnv(conn: Connection, env: Record<string, string>): Connection {
  return {
    get host() {
      return conn.host;
    },
    get roundTrips() {
      return conn.roundTrips;
    },
    exec: (req: ExecRequest) => conn.exec({ ...req, env: { ...env, ...req.env } }),
    putFile: (path, content, opts) => conn.putFile(path, content, opts),
    takeNotices: () => conn.takeNotices?.() ?? [],
    reconnect: (ms) => conn.reconnect(ms),
    ...(conn.probeNewConnection ? { probeNewConnection: (ms: number) => conn.probeNewConnection!(ms) } : {}),
    close: async () => undefined,
  };
}

/** The connections of one host's run, by Target key: opened once, closed when the host is done. */
export class ConnectionPool {
  private readonly conns = new Map<string, Promise<Connection>>();
  private readonly facts = new Map<string, Promise<Facts>>();
  private readonly rts = new Map<string, Connection>();

  constructor(private readonly opts: RunOptions & { connect: NonNullable<RunOptions["connect"]> }) {}

  /** The open connection for a target (connecting the first time, with `startup` in the shell's first exchange). */
  get(t: Target, startup?: StartupRequest): Promise<Connection> {
    let c = this.conns.get(t.key);
    if (!c) {
      const o = t.connection ? { ...this.opts, connection: t.connection } : this.opts;
      c = connectHost(t.spec, o, startup).then((conn) => {
        this.rts.set(t.key, conn);
        return conn;
      });
      // a failed connect is not kept: the next task may try again
      c.catch(() => this.conns.delete(t.key));
      this.conns.set(t.key, c);
    }
    return c;
  }

  /** Facts of a target's host, gathered once per connection. */
  factsOf(t: Target, gather: (c: Connection) => Promise<Facts>): Promise<Facts> {
    let f = this.facts.get(t.key);
    if (!f) {
      f = this.get(t).then(gather);
      f.catch(() => this.facts.delete(t.key));
      this.facts.set(t.key, f);
    }
    return f;
  }

  /** Forget a connection that broke (it is closed by whoever saw it break). */
  drop(key: string): void {
    this.conns.delete(key);
    this.facts.delete(key);
    this.rts.delete(key);
  }

  /** Round trips over every connection but `except` (the main one, counted by the runner). */
  otherRoundTrips(except: Connection | undefined): number {
    let n = 0;
    for (const c of this.rts.values()) if (c !== except) n += c.roundTrips;
    return n;
  }

  /** Close every connection except `keep`. */
  async closeAll(keep?: Connection): Promise<void> {
    const all = [...this.rts.values()].filter((c) => c !== keep);
    this.conns.clear();
    this.facts.clear();
    this.rts.clear();
    await Promise.all(all.map((c) => c.close().catch(() => undefined)));
  }
}
