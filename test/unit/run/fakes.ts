// Test doubles for engine/run unit tests.
//
// FakeConnection: NOT a transport. It stands in for one host: every exec runs the command with the
// local /bin/sh inside a per-host scratch folder ($ROOT), so probe batches are parsed by a real
// POSIX shell, and it counts round trips, records commands and can be told to break
// (`dropAt`: the Nth exec throws ConnectionError "lost", like a cut SSH session).
//
// KV / CMD / SET: tiny test modules that keep their state in files under $ROOT.
import { spawn } from "node:child_process";
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync, existsSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname, isAbsolute } from "node:path";
import type { Connection, ExecRequest } from "../../../engine/core/connection.js";
import type { ExecResult } from "../../../engine/core/module.js";
import { defineModule, defineControllerModule } from "../../../engine/core/module.js";
import { ConnectionError } from "../../../engine/core/errors.js";
import { Registry } from "../../../engine/core/registry.js";
import type { HostSpec } from "../../../engine/core/host.js";
import type { Plan, Play, Task, Block, TaskNode, Expr } from "../../../engine/core/plan.js";
import type { Inventory } from "../../../engine/inventory/index.js";
import type { KeelEvent } from "../../../engine/core/events.js";
import { shq } from "../../../engine/core/shell.js";
import { afterEach } from "vitest";
import { runPlaybook, type RunOptions } from "../../../engine/run/index.js";

/** A HostSpec as the inventory gives an ssh host with nothing set: name and address `name`, port 22, no become. */
export function hostSpec(name: string, over: Partial<HostSpec> = {}): HostSpec {
  return { name, address: name, port: 22, connection: "ssh", become: false, becomeUser: "root", becomeMethod: "sudo", vars: {}, groups: [], ...over };
}

export interface ExecRecord {
  command: string;
  become?: { user: string; password?: string };
}

export class FakeConnection implements Connection {
  roundTrips = 0;
  closed = false;
  readonly log: ExecRecord[] = [];
  /** Throw ConnectionError("lost") on this exec number (1-based), and on every exec after it. */
  dropAt?: number;

  constructor(
    readonly host: string,
    readonly root: string,
  ) {}

  async exec(req: ExecRequest): Promise<ExecResult> {
    if (this.closed) throw new ConnectionError(`${this.host}: connection closed`, "lost", this.host);
    const n = this.roundTrips + 1;
    if (this.dropAt !== undefined && n >= this.dropAt) {
      this.closed = true;
      throw new ConnectionError(`${this.host}: connection lost (test: dropped at exec ${n})`, "lost", this.host);
    }
    this.roundTrips = n;
    this.log.push(req.become ? { command: req.command, become: req.become } : { command: req.command });
    return new Promise((resolve, reject) => {
      const child = spawn("/bin/sh", ["-c", req.command], {
        cwd: req.cwd ?? this.root,
        env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ROOT: this.root, ...req.env },
      });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (d) => (stdout += d));
      child.stderr.on("data", (d) => (stderr += d));
      child.on("error", reject);
      child.on("close", (code) => resolve({ stdout, stderr, rc: code ?? 255 }));
      child.stdin.on("error", () => undefined); // a command that exits before reading its stdin (EPIPE)
      if (req.stdin !== undefined) child.stdin.end(req.stdin);
      else child.stdin.end();
    });
  }

  async putFile(path: string, content: Buffer): Promise<{ backup?: string }> {
    this.roundTrips++;
    const p = isAbsolute(path) ? path : join(this.root, path);
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, content);
    return {};
  }

  async reconnect(): Promise<void> {
    this.closed = false;
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  /** Read a KV value straight from the scratch folder (no round trip). */
  kv(key: string): string | undefined {
    const p = join(this.root, "kv", key);
    return existsSync(p) ? readFileSync(p, "utf8") : undefined;
  }

  setKv(key: string, value: string): void {
    mkdirSync(join(this.root, "kv"), { recursive: true });
    writeFileSync(join(this.root, "kv", key), value);
  }
}

/** A lab of fake hosts and the `connect` to give runPlaybook. */
export class FakeLab {
  readonly conns = new Map<string, FakeConnection>();
  readonly dirs = new Map<string, string>();
  /** Hosts whose connect fails (ConnectionError with this failure). */
  readonly refuse = new Map<string, "refused" | "auth" | "hostkey" | "timeout">();
  /** Hosts whose FIRST connect fails with this failure; the next one succeeds. */
  readonly failFirst = new Map<string, "refused" | "timeout">();
  /** dropAt for a host's connection (see FakeConnection). */
  readonly dropAt = new Map<string, number>();
  readonly connects: string[] = [];
  private readonly base = mkdtempSync(join(tmpdir(), "keel-run-test-"));

  constructor(
    readonly hostNames: string[],
    readonly hostVars: Record<string, Record<string, unknown>> = {},
  ) {
    for (const h of hostNames) {
      const d = join(this.base, h);
      mkdirSync(join(d, "kv"), { recursive: true });
      this.dirs.set(h, d);
    }
  }

  connect = async (spec: HostSpec): Promise<Connection> => {
    this.connects.push(spec.name);
    const f = this.refuse.get(spec.name);
    if (f) throw new ConnectionError(`${spec.name}: connection refused (test)`, f, spec.name);
    const first = this.failFirst.get(spec.name);
    if (first) {
      this.failFirst.delete(spec.name);
      throw new ConnectionError(`${spec.name}: first connect failed (test): ${first}`, first, spec.name);
    }
    const c = new FakeConnection(spec.name, this.dirs.get(spec.name)!);
    c.dropAt = this.dropAt.get(spec.name);
    this.conns.set(spec.name, c);
    return c;
  };

  conn(h: string): FakeConnection {
    return this.conns.get(h)!;
  }

  setKv(h: string, key: string, value: string): void {
    writeFileSync(join(this.dirs.get(h)!, "kv", key), value);
  }

  kv(h: string, key: string): string | undefined {
    const p = join(this.dirs.get(h)!, "kv", key);
    return existsSync(p) ? readFileSync(p, "utf8") : undefined;
  }

  inventory(): Inventory {
    const names = this.hostNames;
    const spec = (name: string): HostSpec => hostSpec(name, { vars: { ...(this.hostVars[name] ?? {}) }, groups: ["all"] });
    return {
      hosts: () => [...names],
      groups: () => ["all"],
      host: spec,
      match: (pattern: string) => {
        if (pattern === "all" || pattern === "*") return [...names];
        const parts = pattern.split(/[,:]/).filter(Boolean);
        return names.filter((n) => parts.some((p) => new RegExp(`^${p.replace(/\*/g, ".*")}$`).test(n)));
      },
      toAnsibleList: () => ({}),
      graph: () => "",
      hostVars: (n: string) => spec(n).vars,
    };
  }

  cleanup(): void {
    rmSync(this.base, { recursive: true, force: true });
  }
}

// ------------------------------------------------------------------ test modules

/** test.kv: a key under $ROOT/kv holds a value. Probe cats it; apply writes it (one round trip). */
export const KV = defineModule<{ key: string; value: string }, { present: boolean; value: string }>({
  name: "test.kv",
  aliases: ["kv"],
  description: "Test double: a key under $ROOT/kv holds a value.",
  args: {
    type: "object",
    additionalProperties: false,
    required: ["key", "value"],
    properties: { key: { type: "string", description: "key" }, value: { type: "string", description: "value" } },
  },
  resource: (a) => `kv ${a.key}`,
  probe: (a) => ({
    script: `if [ -f "$ROOT/kv/${a.key}" ]; then printf 'present\\n'; cat "$ROOT/kv/${a.key}"; else printf 'absent\\n'; fi`,
    parse: (out) => {
      const [head, ...rest] = out.split("\n");
      return { present: head === "present", value: rest.join("\n") };
    },
  }),
  diff: (s, a) =>
    s.present && s.value === a.value
      ? []
      : [
          {
            summary: s.present ? `value ${s.value} → ${a.value}` : `key ${a.key} missing`,
            field: "value",
            before: s.present ? s.value : undefined,
            after: a.value,
            diff: { path: `kv/${a.key}`, before: s.present ? s.value + "\n" : "", after: a.value + "\n" },
          },
        ],
  explain: (_s, a) => `kv ${a.key} already ${a.value}`,
  apply: async (host, a) => {
    await host.run(`mkdir -p "$ROOT/kv" && printf %s ${shq(a.value)} > "$ROOT/kv/${a.key}"`);
  },
});

/** test.cmd: like system.command: unpredictable unless `creates`; apply returns rc/stdout/stderr. */
export const CMD = defineModule<{ cmd: string; creates?: string }, { exists: boolean }>({
  name: "test.cmd",
  aliases: ["cmd"],
  description: "Test double: run a shell command unless $ROOT/creates exists.",
  args: {
    type: "object",
    additionalProperties: false,
    required: ["cmd"],
    properties: { cmd: { type: "string", description: "sh text" }, creates: { type: "string", description: "path under $ROOT" } },
  },
  resource: (a) => `cmd ${a.cmd}`,
  probe: (a) => ({ script: a.creates ? `test -e "$ROOT/${a.creates}" && echo yes || echo no` : "echo no", parse: (out) => ({ exists: out.trim() === "yes" }) }),
  diff: (s, a) => (a.creates && s.exists ? [] : [{ summary: `run ${a.cmd}`, unknown: !a.creates }]),
  explain: (_s, a) => `${a.creates} exists`,
  apply: async (host, a) => host.run(a.cmd, { check: false }),
});

/** test.set: set_fact-like controller module. */
export const SET = defineControllerModule<Record<string, unknown>>({
  name: "test.set",
  aliases: ["set"],
  description: "Test double: set variables.",
  args: { type: "object", additionalProperties: true, properties: {} },
  resource: () => "facts",
  run: (a) => ({ changed: false, setFacts: a }),
});

export const testRegistry = new Registry([CMD, KV, SET]);

// ------------------------------------------------------------------ plan builders

let seq = 0;
const pos = (line = 1) => ({ file: "/play/site.yml", line, col: 7 });
const expr = (text: string): Expr => ({ text, pos: pos() });

export interface TaskOpts {
  name?: string;
  when?: string[];
  tags?: string[];
  vars?: Record<string, unknown>;
  register?: string;
  notify?: string[];
  loop?: unknown;
  loopVar?: string;
  changedWhen?: string[];
  failedWhen?: string[];
  until?: string;
  retries?: number;
  delay?: number;
  ignoreErrors?: boolean;
  noLog?: boolean;
  checkMode?: boolean;
  become?: boolean;
  becomeUser?: string;
  listen?: string[];
}

export function task(module: string, args: Record<string, unknown>, o: TaskOpts = {}): Task {
  const line = ++seq;
  const t: Task = {
    kind: "task",
    id: `t${line}`,
    name: o.name ?? `${module} ${line}`,
    pos: pos(line),
    when: (o.when ?? []).map(expr),
    tags: o.tags ?? [],
    vars: o.vars ?? {},
    ignoreErrors: o.ignoreErrors ?? false,
    noLog: o.noLog ?? false,
    searchDirs: ["/play"],
    module: testRegistry.get(module)?.name ?? module,
    moduleAs: module,
    args,
    argsPos: pos(line),
    argPos: {},
    loopVar: o.loopVar ?? "item",
    notify: o.notify ?? [],
    retries: o.retries ?? 3,
    delay: o.delay ?? 0,
    listen: o.listen ?? [],
  };
  if (o.become !== undefined) t.become = o.become;
  if (o.becomeUser !== undefined) t.becomeUser = o.becomeUser;
  if (o.checkMode !== undefined) t.checkMode = o.checkMode;
  if (o.loop !== undefined) t.loop = o.loop;
  if (o.register) t.register = o.register;
  if (o.changedWhen) t.changedWhen = o.changedWhen.map(expr);
  if (o.failedWhen) t.failedWhen = o.failedWhen.map(expr);
  if (o.until) t.until = expr(o.until);
  return t;
}

export function block(
  b: TaskNode[],
  o: {
    rescue?: TaskNode[];
    always?: TaskNode[];
    when?: string[];
    tags?: string[];
    vars?: Record<string, unknown>;
    ignoreErrors?: boolean;
    noLog?: boolean;
  } = {},
): Block {
  const line = ++seq;
  return {
    kind: "block",
    id: `b${line}`,
    pos: pos(line),
    when: (o.when ?? []).map(expr),
    tags: o.tags ?? [],
    vars: o.vars ?? {},
    ignoreErrors: o.ignoreErrors ?? false,
    noLog: o.noLog ?? false,
    searchDirs: ["/play"],
    block: b,
    rescue: o.rescue ?? [],
    always: o.always ?? [],
  };
}

export function play(tasks: TaskNode[], o: Partial<Play> = {}): Play {
  return {
    id: "p0",
    name: "test play",
    hosts: "all",
    pos: pos(1),
    vars: {},
    varsFiles: {},
    gatherFacts: false,
    strategy: "free",
    tasks,
    handlers: [],
    tags: [],
    ...o,
  };
}

export function plan(...plays: Play[]): Plan {
  return { file: "/play/site.yml", dir: "/play", plays };
}

/** Collects events. */
export function recorder(): { events: KeelEvent[]; sink: (e: KeelEvent) => void; results: (host?: string) => Extract<KeelEvent, { type: "task.result" }>[] } {
  const events: KeelEvent[] = [];
  return {
    events,
    sink: (e) => void events.push(e),
    results: (host) => events.filter((e): e is Extract<KeelEvent, { type: "task.result" }> => e.type === "task.result" && (!host || e.host === host)),
  };
}

/**
 * The helpers every runner test file uses: `lab()` makes FakeLab hosts (cleaned up after each
 * test), `opts()` the RunOptions that connect to them, `run()` a play through runPlaybook with a
 * recorder. Call once at the top of a test file.
 */
export function runnerHarness() {
  const labs: FakeLab[] = [];
  afterEach(() => {
    while (labs.length) labs.pop()!.cleanup();
  });
  const lab = (hosts = ["h1"], vars: Record<string, Record<string, unknown>> = {}): FakeLab => {
    const l = new FakeLab(hosts, vars);
    labs.push(l);
    return l;
  };
  const opts = (l: FakeLab, o: Partial<RunOptions> = {}): RunOptions => ({
    registry: testRegistry,
    check: false,
    diff: false,
    forks: 50,
    extraVars: {},
    connect: l.connect as RunOptions["connect"],
    ...o,
  });
  const run = async (l: FakeLab, p: Play | Play[], o: Partial<RunOptions> = {}) => {
    const rec = recorder();
    const summary = await runPlaybook(plan(...(Array.isArray(p) ? p : [p])), l.inventory(), opts(l, o), rec.sink);
    return { summary, ...rec };
  };
  return { lab, opts, run };
}
