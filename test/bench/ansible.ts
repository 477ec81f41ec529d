// keel and Ansible on the same hosts with the same playbook (test/bench/fixtures/site.yml, which
// both run unchanged): resetting hosts to the state of one that never saw the playbook, running
// each tool's phases (first run, second run, check run; for keel also `keel drift`) with wall time,
// CPU time, peak RSS and round trips, and fingerprinting the converged state so the two tools' end
// states can be compared host by host. The curve that uses it is test/bench/curve.ts (`npm run bench`).
//
// Fairness: the same forks for both (ansible -f N, keel --forks N); gather_facts on for both (the
// playbook says so); Ansible with host key checking on (the fleet's known_hosts, through
// ansible_ssh_common_args), pipelining on, its default ssh ControlMaster/ControlPersist, and the
// interpreter given in the inventory (no discovery round trip). Every run starts without warm
// connections: each Ansible run gets its own ControlPath directory, whose masters are closed
// afterwards, as keel connects afresh on every run. CPU time is user+sys of the tool's process and
// every child it waited for (GNU time): for Ansible its forked workers and ssh clients.
//
// The host state helpers (reset, fingerprint, Ansible's apt bindings) live in test/bench/site.ts.
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
import { mapLimit, run } from "../lab/util.js";
import { ROOT } from "./baseline.js";
import { hostsCpuMs, machineCpuMs, parseTimeV } from "./scale.js";
import { compareFingerprints, fingerprint, resetSite, type Fingerprint } from "./site.js";

export { compareFingerprints, ensureAptBindings, fingerprint, purgeAptBindings, repack, resetSite, restoreSite, type Fingerprint } from "./site.js";

export const SITE = join(ROOT, "test/bench/fixtures/site.yml");
/** The keel measured: this checkout's bin/keel.js unless setKeelBin says otherwise (A/B runs). */
let KEEL_BIN = join(ROOT, "bin/keel.js");
export function setKeelBin(bin: string): void {
  KEEL_BIN = bin;
}
const ANSIBLE_PLAYBOOK = "/usr/bin/ansible-playbook";
const GNU_TIME = "/usr/bin/time";

// ---------------------------------------------------------------------------------------------
// Running the tools

export interface Timed {
  code: number;
  ms: number;
  stdout: string;
  stderr: string;
  /** ru_maxrss of the largest process (GNU time), kB; NaN when /usr/bin/time is missing. */
  maxRssKb: number;
  /** Peak of the summed RSS of the whole process tree, sampled every 200 ms, kB. */
  treeRssKb: number;
  /** User and system CPU time of the process and the children it waited for (GNU time), ms; NaN without it. */
  userMs: number;
  sysMs: number;
}

/** Sum of VmRSS (kB) of `root` and its descendants. */
function treeRss(root: number): number {
  const kids = new Map<number, number[]>();
  const rss = new Map<number, number>();
  for (const e of readdirSync("/proc")) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = readFileSync(`/proc/${e}/stat`, "utf8");
      const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      const pid = Number(e);
      const ppid = Number(f[1]);
      rss.set(pid, Number(f[21]) * 4); // field 24 (rss, pages); 4 kB pages
      if (!kids.has(ppid)) kids.set(ppid, []);
      kids.get(ppid)!.push(pid);
    } catch {
      /* exited meanwhile */
    }
  }
  let sum = 0;
  const todo = [root];
  while (todo.length) {
    const p = todo.pop()!;
    sum += rss.get(p) ?? 0;
    todo.push(...(kids.get(p) ?? []));
  }
  return sum;
}

export function timed(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string; timeFile: string }): Promise<Timed> {
  const useTime = existsSync(GNU_TIME);
  const [file, argv] = useTime ? [GNU_TIME, ["-v", "-o", opts.timeFile, cmd, ...args]] : [cmd, args];
  return new Promise((res, rej) => {
    const t0 = performance.now();
    const c = spawn(file, argv, { cwd: opts.cwd ?? ROOT, env: opts.env ?? process.env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    let peak = 0;
    const sample = setInterval(() => {
      if (c.pid) peak = Math.max(peak, treeRss(c.pid));
    }, 200);
    c.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    c.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    c.on("error", (e) => {
      clearInterval(sample);
      rej(e);
    });
    c.on("close", (code) => {
      const ms = Math.round(performance.now() - t0);
      clearInterval(sample);
      let t = { maxRssKiB: NaN, userMs: NaN, sysMs: NaN };
      if (useTime && existsSync(opts.timeFile)) t = parseTimeV(readFileSync(opts.timeFile, "utf8"));
      res({ code: code ?? 1, ms, stdout, stderr, maxRssKb: t.maxRssKiB, treeRssKb: peak, userMs: t.userMs, sysMs: t.sysMs });
    });
  });
}

export interface Phase {
  ms: number;
  /** Changes (or would-be changes in check mode) per host. */
  changed: Record<string, number>;
  maxRssKb: number;
  treeRssKb: number;
  /** User + system CPU time of the tool (with its children), ms. */
  cpuMs: number;
  /** CPU time of the hosts' sshd and everything under them meanwhile, ms. */
  hostsCpuMs: number;
  /** CPU time of the whole machine meanwhile (other users included), ms. */
  machineCpuMs: number;
  /** 1-minute load average when the phase started. */
  load: number;
  /** keel only: round trips per host. */
  roundTrips?: Record<string, number>;
}

export interface ToolFigures {
  tool: "keel" | "ansible";
  first: Phase;
  second: Phase;
  check: Phase;
  drift?: Phase & { inSync: number };
  state: Record<string, Fingerprint>;
}

/**
 * Seconds both tools wait for a host's SSH connection (keel -T, Ansible's timeout; the floor's
 * readyTimeout): the default 10 s is too short when hundreds of handshakes share two loaded cores
 * with the hosts' own sshd.
 */
export const CONNECT_TIMEOUT_S = 60;

export interface Ctx {
  /** An inventory listing exactly these hosts (test/bench/fleet.ts). */
  inventory: string;
  names: string[];
  forks: number;
  out: string;
}

/** Run a tool measured: wall, CPU, RSS, and the CPU the hosts and the machine used meanwhile. */
async function measured(
  cmd: string,
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; cwd?: string; timeFile: string },
): Promise<Timed & { cpuMs: number; hostsCpuMs: number; machineCpuMs: number; load: number }> {
  const load = loadavg()[0]!;
  const h0 = hostsCpuMs();
  const m0 = machineCpuMs();
  const r = await timed(cmd, args, opts);
  await new Promise((res) => setTimeout(res, 300)); // let the hosts' sessions exit and be reaped
  return { ...r, cpuMs: r.userMs + r.sysMs, hostsCpuMs: hostsCpuMs() - h0, machineCpuMs: machineCpuMs() - m0, load };
}

const figures = (r: Awaited<ReturnType<typeof measured>>) => ({
  ms: r.ms,
  maxRssKb: r.maxRssKb,
  treeRssKb: r.treeRssKb,
  cpuMs: r.cpuMs,
  hostsCpuMs: r.hostsCpuMs,
  machineCpuMs: r.machineCpuMs,
  load: r.load,
});

const sum = (r: Record<string, number>) => Object.values(r).reduce((a, b) => a + b, 0);

async function keelPhase(c: Ctx, tag: string, extra: string[]): Promise<Phase> {
  const json = join(c.out, `keel-${tag}.json`);
  const r = await measured(
    process.execPath,
    [KEEL_BIN, "run", SITE, "-i", c.inventory, "--forks", String(c.forks), "-T", String(CONNECT_TIMEOUT_S), "--json", json, ...extra],
    {
      env: { ...process.env, NO_COLOR: "1" },
      timeFile: join(c.out, `keel-${tag}.time`),
    },
  );
  if (r.code !== 0) throw new Error(`keel ${tag} run exited ${r.code}:\n${r.stdout.slice(-4000)}\n${r.stderr.slice(-4000)}`);
  const s = (JSON.parse(readFileSync(json, "utf8")) as { summary: { hosts: Record<string, { changed: number; round_trips: number }> } }).summary;
  const changed: Record<string, number> = {};
  const roundTrips: Record<string, number> = {};
  for (const h of c.names) {
    changed[h] = s.hosts[h]?.changed ?? NaN;
    roundTrips[h] = s.hosts[h]?.round_trips ?? NaN;
  }
  return { ...figures(r), changed, roundTrips };
}

async function keelDrift(c: Ctx): Promise<Phase & { inSync: number }> {
  const json = join(c.out, "keel-drift.json");
  const r = await measured(
    process.execPath,
    [
      KEEL_BIN,
      "drift",
      SITE,
      "-i",
      c.inventory,
      "-f",
      String(c.forks),
      "-T",
      String(CONNECT_TIMEOUT_S),
      "--host-timeout",
      "600",
      "--no-history",
      "-q",
      "-o",
      `json:${json}`,
    ],
    { env: { ...process.env, NO_COLOR: "1" }, timeFile: join(c.out, "keel-drift.time") },
  );
  if (r.code !== 0 && r.code !== 2) throw new Error(`keel drift exited ${r.code}:\n${r.stdout.slice(-4000)}\n${r.stderr.slice(-4000)}`);
  const rep = JSON.parse(readFileSync(json, "utf8")) as { summary: { in_sync: number }; hosts: { host: string; round_trips: number; items?: unknown[] }[] };
  const changed: Record<string, number> = {};
  const roundTrips: Record<string, number> = {};
  for (const h of c.names) {
    const e = rep.hosts.find((x) => x.host === h);
    changed[h] = e ? (e.items?.length ?? 0) : NaN;
    roundTrips[h] = e?.round_trips ?? NaN;
  }
  return { ...figures(r), changed, roundTrips, inSync: rep.summary.in_sync };
}

/** `changed=` per host from Ansible's PLAY RECAP; throws when a host failed or was unreachable. */
export function parseRecap(stdout: string, hosts: string[]): Record<string, number> {
  const at = stdout.lastIndexOf("PLAY RECAP");
  if (at < 0) throw new Error("no PLAY RECAP in ansible-playbook's output");
  const changed: Record<string, number> = {};
  for (const line of stdout.slice(at).split("\n")) {
    const m = /^(\S+)\s+:\s+ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)/.exec(line);
    if (!m) continue;
    if (m[4] !== "0" || m[5] !== "0") throw new Error(`ansible: ${line.trim()}`);
    changed[m[1]!] = Number(m[3]);
  }
  for (const h of hosts) if (!(h in changed)) throw new Error(`ansible: ${h} missing from PLAY RECAP`);
  return changed;
}

async function ansiblePhase(c: Ctx, tag: string, extra: string[]): Promise<Phase> {
  // A ControlPath directory of its own, so the run starts without warm masters (ControlPersist
  // would otherwise keep the previous run's connections for 60 s).
  const cp = join(c.out, `cp-${tag}`);
  mkdirSync(cp, { recursive: true });
  const cfg = join(c.out, "ansible.cfg");
  writeFileSync(cfg, "# empty: Ansible's defaults\n");
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ANSIBLE_CONFIG: cfg,
    ANSIBLE_PIPELINING: "1",
    ANSIBLE_SSH_CONTROL_PATH_DIR: cp,
    ANSIBLE_LOCAL_TEMP: join(c.out, "ansible-tmp"),
    ANSIBLE_RETRY_FILES_ENABLED: "0",
    ANSIBLE_NOCOLOR: "1",
    ANSIBLE_TIMEOUT: String(CONNECT_TIMEOUT_S),
  };
  delete env.ANSIBLE_HOST_KEY_CHECKING; // default: on
  delete env.ANSIBLE_SSH_ARGS; // default: -C -o ControlMaster=auto -o ControlPersist=60s
  try {
    const r = await measured(ANSIBLE_PLAYBOOK, ["-i", c.inventory, SITE, "-f", String(c.forks), ...extra], {
      env,
      cwd: c.out,
      timeFile: join(c.out, `ansible-${tag}.time`),
    });
    writeFileSync(join(c.out, `ansible-${tag}.log`), r.stdout + r.stderr);
    if (r.code !== 0) throw new Error(`ansible-playbook ${tag} run exited ${r.code}:\n${r.stdout.slice(-4000)}\n${r.stderr.slice(-4000)}`);
    return { ...figures(r), changed: parseRecap(r.stdout, c.names) };
  } finally {
    // Close the masters ControlPersist left behind (they outlive ansible-playbook).
    for (const s of existsSync(cp) ? readdirSync(cp) : []) {
      await run("ssh", ["-o", `ControlPath=${join(cp, s)}`, "-O", "exit", "keelbench"], { check: false, timeoutMs: 10_000 });
    }
  }
}

/** Reset the hosts, then the tool's phases; fingerprint the end state when it is to be compared. */
export async function measureTool(c: Ctx, tool: "keel" | "ansible", log: (l: string) => void, opts: { fingerprint: boolean }): Promise<ToolFigures> {
  const t0 = performance.now();
  await mapLimit(c.names, 8, (h) => resetSite(h));
  log(`${tool}: hosts reset in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const phase = tool === "keel" ? (t: string, x: string[]) => keelPhase(c, t, x) : (t: string, x: string[]) => ansiblePhase(c, t, x);
  const first = await phase("first", []);
  log(`${tool}: first run ${(first.ms / 1000).toFixed(2)} s, ${sum(first.changed)} changes`);
  const second = await phase("second", []);
  log(`${tool}: second run ${(second.ms / 1000).toFixed(2)} s, ${sum(second.changed)} changes`);
  const check = await phase("check", ["--check"]);
  log(`${tool}: check run ${(check.ms / 1000).toFixed(2)} s, ${sum(check.changed)} would change`);
  const drift = tool === "keel" ? await keelDrift(c) : undefined;
  if (drift) log(`keel: drift ${(drift.ms / 1000).toFixed(2)} s, ${drift.inSync}/${c.names.length} in sync`);
  const state: Record<string, Fingerprint> = {};
  if (opts.fingerprint) await mapLimit(c.names, 8, async (h) => void (state[h] = await fingerprint(h)));
  return { tool, first, second, check, drift, state };
}

// ---------------------------------------------------------------------------------------------
// Report

export interface Verdict {
  ok: boolean;
  problems: string[];
}

/** Everything the run must show: changes on the first run, none afterwards, the same end state. */
export function verify(names: string[], figs: ToolFigures[]): Verdict {
  const problems: string[] = [];
  for (const f of figs) {
    for (const h of names) {
      if (!(f.first.changed[h]! > 0)) problems.push(`${f.tool}: first run changed nothing on ${h} (hosts not reset?)`);
      if (f.second.changed[h] !== 0) problems.push(`${f.tool}: second run changed ${f.second.changed[h]} thing(s) on ${h}`);
      if (f.check.changed[h] !== 0) problems.push(`${f.tool}: check run reports ${f.check.changed[h]} change(s) on ${h}`);
      if (f.drift && f.drift.changed[h] !== 0) problems.push(`${f.tool}: drift reports ${f.drift.changed[h]} item(s) on ${h}`);
    }
    if (f.drift && f.drift.inSync !== names.length) problems.push(`keel drift: ${f.drift.inSync}/${names.length} hosts in sync`);
  }
  const [a, b] = figs;
  if (a && b) {
    for (const h of names) {
      const d = compareFingerprints(a.state[h]!, b.state[h]!, [a.tool, b.tool]);
      if (d.length) problems.push(`${h}: end states differ:\n  - ${d.join("\n  - ")}`);
    }
  }
  return { ok: problems.length === 0, problems };
}
