// Benchmark: keel at fleet scale. The shipped baseline (playbooks/baseline.yml) on N lab hosts:
// first run, second run and `keel drift`, each with wall time, peak RSS and CPU time of the keel
// process, and round trips per host (from --json and the drift JSON report).
//
//   npx tsc -p . && node dist/test/bench/scale.js --hosts 200 [--forks 50,200] [--profile DIR] [--json FILE]
//
//   --hosts N        lab hosts lab01..labN (default 50)
//   --forks F[,F…]   one measurement (reset, first, second, drift) per value (default 50)
//   --profile DIR    also run the second run and drift once more under `node --cpu-prof` (profiles
//                    in DIR, summarised on stdout); those runs are not part of the timings
//   --json FILE      write the figures as JSON
//   --keel BIN       measure another build's bin/keel.js (e.g. a worktree without a change: A/B)
//
// "hosts cpu" is the CPU time of the lab hosts' sshd and all they ran (handshakes, shells, sudo,
// probes); "machine cpu" that of the whole machine meanwhile, other users' work included.
//
// Runs as root on a machine that can run the lab; it holds a lease while it runs, and leaves the
// lab as it found it (see test/bench/baseline.ts, whose host reset it uses). Peak RSS and CPU come
// from /usr/bin/time -v when present, else from sampling /proc/PID of the keel process.
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { down, labPaths, liveLeases, readLabState, runningHostIndexes, up, type LabState } from "../lab/index.js";
import { mapLimit } from "../lab/util.js";
import { BASELINE, BASELINE_VARS, ROOT, resetBaseline, restoreBaseline } from "./baseline.js";
import { summarizeProfile, formatProfileSummary } from "./cpuprofile.js";

const TIME = "/usr/bin/time";

export interface ProcFigures {
  code: number;
  /** CPU time the lab hosts' sshd listeners and everything under them used meanwhile, ms. */
  hostsCpuMs?: number;
  /** CPU time of the whole machine meanwhile (keel, hosts, and anything else running), ms. */
  machineCpuMs?: number;
  wallMs: number;
  /** Peak resident set size of the keel process, KiB. */
  maxRssKiB: number;
  /** User + system CPU time of the keel process, ms. */
  cpuMs: number;
  userMs: number;
  sysMs: number;
  stdout: string;
  stderr: string;
}

const TICK_MS = 10; // USER_HZ = 100

/** Busy CPU time of the machine so far (user, nice, system, irq, softirq, steal), ms. */
export function machineCpuMs(): number {
  const f = readFileSync("/proc/stat", "utf8").split("\n")[0]!.trim().split(/\s+/).map(Number);
  return (f[1]! + f[2]! + f[3]! + f[6]! + f[7]! + f[8]!) * TICK_MS;
}

/**
 * CPU time used so far by the lab hosts' sshd listeners and every process they started and reaped
 * (sessions, shells, sudo, probe commands), ms. Sessions still alive are missed until they exit.
 * With `only`, just those hosts' (by name: the host's root folder, /proc/PID/root, is .../NAME/root),
 * so that other people's tests on lab01..labN do not count.
 */
export function hostsCpuMs(only?: ReadonlySet<string>): number {
  let total = 0;
  for (const e of readdirSync("/proc")) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = readFileSync(`/proc/${e}/stat`, "utf8");
      const comm = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
      if (comm !== "sshd") continue;
      const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      const ppid = Number(f[1]);
      const pstat = readFileSync(`/proc/${ppid}/stat`, "utf8");
      if (pstat.slice(pstat.indexOf("(") + 1, pstat.lastIndexOf(")")) !== "tini") continue;
      if (only && !only.has(basename(dirname(readlinkSync(`/proc/${e}/root`))))) continue;
      total += (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) * TICK_MS;
    } catch {
      /* gone meanwhile */
    }
  }
  return total;
}

/** measureKeel, plus the CPU time the lab hosts and the whole machine used meanwhile. */
export async function measureKeelWithHosts(args: string[], nodeFlags: string[] = []): Promise<ProcFigures> {
  const h0 = hostsCpuMs();
  const m0 = machineCpuMs();
  const r = await measureKeel(args, nodeFlags);
  await new Promise((res) => setTimeout(res, 300)); // let the hosts' sessions exit and be reaped
  return { ...r, hostsCpuMs: hostsCpuMs() - h0, machineCpuMs: machineCpuMs() - m0 };
}

/** The keel measured: this checkout's bin/keel.js, or another build's (--keel, for A/B comparisons). */
let KEEL_BIN = join(ROOT, "bin/keel.js");
/** The playbook: that build's own playbooks/baseline.yml (with its templates and files). */
let PLAYBOOK = BASELINE;

/** Run bin/keel.js with `args`, measuring wall time, peak RSS and CPU time. */
export async function measureKeel(args: string[], nodeFlags: string[] = []): Promise<ProcFigures> {
  const keel = [process.execPath, ...nodeFlags, KEEL_BIN, ...args];
  const env = { ...process.env, NO_COLOR: "1" };
  if (existsSync(TIME)) {
    const dir = mkdtempSync(join(tmpdir(), "keel-scale-time-"));
    const out = join(dir, "time.txt");
    try {
      const r = await spawnCollect(TIME, ["-v", "-o", out, ...keel], env);
      const t = parseTimeV(readFileSync(out, "utf8"));
      // time(1) reports its child's exit status itself; keep keel's
      return { ...r, maxRssKiB: t.maxRssKiB, userMs: t.userMs, sysMs: t.sysMs, cpuMs: t.userMs + t.sysMs };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  // Fallback: sample /proc/PID while it runs (VmHWM is the kernel's own peak, utime/stime in ticks).
  let hwm = 0;
  let user = 0;
  let sys = 0;
  const r = await spawnCollect(keel[0]!, keel.slice(1), env, (pid) => {
    try {
      const status = readFileSync(`/proc/${pid}/status`, "utf8");
      hwm = Math.max(hwm, Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0));
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      user = Number(f[11]) * 10; // USER_HZ = 100
      sys = Number(f[12]) * 10;
    } catch {
      /* the process has just exited */
    }
  });
  return { ...r, maxRssKiB: hwm, userMs: user, sysMs: sys, cpuMs: user + sys };
}

function spawnCollect(
  cmd: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  sample?: (pid: number) => void,
): Promise<Omit<ProcFigures, "maxRssKiB" | "cpuMs" | "userMs" | "sysMs">> {
  return new Promise((res, rej) => {
    const t0 = performance.now();
    const c = spawn(cmd, args, { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    c.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    c.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    const timer = sample && c.pid ? setInterval(() => sample(c.pid!), 50) : undefined;
    c.on("error", rej);
    c.on("close", (code) => {
      if (timer) clearInterval(timer);
      res({ code: code ?? 1, wallMs: Math.round(performance.now() - t0), stdout, stderr });
    });
  });
}

/** The figures of GNU time's -v report that this bench uses. */
export function parseTimeV(text: string): { maxRssKiB: number; userMs: number; sysMs: number } {
  const num = (re: RegExp) => Number(re.exec(text)?.[1] ?? NaN);
  return {
    maxRssKiB: num(/Maximum resident set size \(kbytes\):\s*(\d+)/),
    userMs: Math.round(num(/User time \(seconds\):\s*([\d.]+)/) * 1000),
    sysMs: Math.round(num(/System time \(seconds\):\s*([\d.]+)/) * 1000),
  };
}

export interface PhaseFigures extends Omit<ProcFigures, "stdout" | "stderr"> {
  changed: number;
  roundTrips: number[];
}

export interface ScaleFigures {
  hosts: number;
  forks: number;
  first: PhaseFigures;
  second: PhaseFigures;
  drift: PhaseFigures & { inSync: number };
}

interface RunJson {
  summary: { hosts: Record<string, { changed: number; round_trips: number }> };
}

function phase(p: ProcFigures, changed: number, roundTrips: number[]): PhaseFigures {
  const { stdout: _o, stderr: _e, ...rest } = p;
  return { ...rest, changed, roundTrips };
}

/** First run, second run and drift of the baseline against `inventory`, with `--forks forks`. */
export async function measureScale(inventory: string, names: string[], forks: number, out: string, extra: string[]): Promise<ScaleFigures> {
  const runOnce = async (tag: string): Promise<PhaseFigures> => {
    const json = join(out, `${tag}-${forks}.json`);
    const r = await measureKeelWithHosts(["run", PLAYBOOK, "-i", inventory, "-e", BASELINE_VARS, "--forks", String(forks), "--json", json, ...extra]);
    if (r.code !== 0) throw new Error(`baseline ${tag} run (forks ${forks}) exited ${r.code}:\n${r.stdout.slice(-4000)}\n${r.stderr.slice(-4000)}`);
    const s = (JSON.parse(readFileSync(json, "utf8")) as RunJson).summary;
    return phase(
      r,
      names.reduce((n, h) => n + (s.hosts[h]?.changed ?? NaN), 0),
      names.map((h) => s.hosts[h]?.round_trips ?? NaN),
    );
  };
  const first = await runOnce("first");
  const second = await runOnce("second");
  const djson = join(out, `drift-${forks}.json`);
  const d = await measureKeelWithHosts([
    "drift",
    PLAYBOOK,
    "-i",
    inventory,
    "-e",
    BASELINE_VARS,
    "--forks",
    String(forks),
    "--no-history",
    "-q",
    "-o",
    `json:${djson}`,
    ...extra,
  ]);
  if (d.code !== 0 && d.code !== 2) throw new Error(`drift (forks ${forks}) exited ${d.code}:\n${d.stdout.slice(-4000)}\n${d.stderr.slice(-4000)}`);
  const rep = JSON.parse(readFileSync(djson, "utf8")) as { summary: { in_sync: number }; hosts: { host: string; round_trips: number; changed?: number }[] };
  const byHost = new Map(rep.hosts.map((h) => [h.host, h]));
  const drift = phase(
    d,
    names.length - rep.summary.in_sync,
    names.map((h) => byHost.get(h)?.round_trips ?? NaN),
  );
  return { hosts: names.length, forks, first, second, drift: { ...drift, inSync: rep.summary.in_sync } };
}

function mean(xs: number[]): string {
  return (xs.reduce((a, b) => a + b, 0) / xs.length).toFixed(2);
}

export function formatTable(rows: ScaleFigures[]): string {
  const head = [
    "hosts",
    "forks",
    "phase",
    "wall s",
    "cpu s",
    "user s",
    "sys s",
    "peak RSS MB",
    "rt/host (mean, max)",
    "changed",
    "hosts cpu s",
    "machine cpu s",
  ];
  const body: string[][] = [];
  for (const r of rows) {
    for (const [name, p] of [
      ["first", r.first],
      ["second", r.second],
      ["drift", r.drift],
    ] as const) {
      body.push([
        String(r.hosts),
        String(r.forks),
        name,
        (p.wallMs / 1000).toFixed(2),
        (p.cpuMs / 1000).toFixed(2),
        (p.userMs / 1000).toFixed(2),
        (p.sysMs / 1000).toFixed(2),
        (p.maxRssKiB / 1024).toFixed(0),
        `${mean(p.roundTrips)}, ${Math.max(...p.roundTrips)}`,
        name === "drift" ? `${r.hosts - r.drift.inSync} drifted` : String(p.changed),
        p.hostsCpuMs === undefined ? "-" : (p.hostsCpuMs / 1000).toFixed(2),
        p.machineCpuMs === undefined ? "-" : (p.machineCpuMs / 1000).toFixed(2),
      ]);
    }
  }
  const w = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i < 3 ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join("  ");
  return [line(head), ...body.map(line)].join("\n");
}

interface Args {
  keel?: string;
  hosts: number;
  forks: number[];
  profile?: string;
  json?: string;
}

function parseArgs(argv: string[]): Args {
  const a: Args = { hosts: 50, forks: [50] };
  const usage = "usage: node dist/test/bench/scale.js [--hosts N] [--forks F[,F…]] [--profile DIR] [--json FILE] [--keel BIN]";
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i]!;
    const v = argv[i + 1];
    if (v === undefined) throw new Error(`${k} needs a value; ${usage}`);
    i++;
    if (k === "--hosts") a.hosts = Number(v);
    else if (k === "--forks") a.forks = v.split(",").map(Number);
    else if (k === "--profile") a.profile = resolve(v);
    else if (k === "--json") a.json = resolve(v);
    else if (k === "--keel") a.keel = resolve(v);
    else throw new Error(`unknown option ${k}; ${usage}`);
  }
  if (!Number.isInteger(a.hosts) || a.hosts < 1) throw new Error(`--hosts must be a positive integer; ${usage}`);
  if (!a.forks.length || a.forks.some((f) => !Number.isInteger(f) || f < 1)) throw new Error(`--forks must be positive integers; ${usage}`);
  return a;
}

async function main(): Promise<number> {
  const a = parseArgs(process.argv.slice(2));
  if (a.keel) {
    if (!existsSync(a.keel)) throw new Error(`--keel ${a.keel}: no such file`);
    KEEL_BIN = a.keel;
    PLAYBOOK = resolve(dirname(a.keel), "../playbooks/baseline.yml");
  }
  const n = a.hosts;
  const paths = labPaths();
  mkdirSync(paths.leases, { recursive: true });
  const lease = join(paths.leases, String(process.pid));
  writeFileSync(lease, `${new Date().toISOString()} bench/scale\n`);
  const before = await runningHostIndexes();
  const prevOwner = readLabState(paths)?.owner;
  const out = mkdtempSync(join(tmpdir(), "keel-bench-scale-"));
  const log = (l: string) => process.stderr.write(`${l}\n`);
  let names: string[] = [];
  try {
    const t0 = performance.now();
    const st: LabState = await up(n, { exact: false, owner: before.length ? prevOwner : "cli", log: (l) => log(`lab: ${l}`) });
    log(`lab: ${st.hosts.length} host(s) up in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    names = st.hosts.filter((h) => h.index <= n).map((h) => h.name);
    const extra = st.hosts.length > n ? ["--limit", names.join(",")] : [];
    const rows: ScaleFigures[] = [];
    for (const forks of a.forks) {
      const tr = performance.now();
      await mapLimit(names, 8, (h) => resetBaseline(h));
      log(`bench: ${names.length} hosts reset (apt index updated) in ${((performance.now() - tr) / 1000).toFixed(1)} s`);
      const f = await measureScale(st.inventoryYaml, names, forks, out, extra);
      rows.push(f);
      log(formatTable([f]));
      if (f.second.changed !== 0) log(`WARNING: the second run (forks ${forks}) changed ${f.second.changed} thing(s)`);
    }
    process.stdout.write(`baseline at scale (playbooks/baseline.yml, -e '${BASELINE_VARS}', keel ${KEEL_BIN}):\n${formatTable(rows)}\n`);
    if (a.profile) {
      mkdirSync(a.profile, { recursive: true });
      const forks = a.forks[a.forks.length - 1]!;
      for (const [tag, args] of [
        ["second", ["run", PLAYBOOK, "-i", st.inventoryYaml, "-e", BASELINE_VARS, "--forks", String(forks), "--json", join(out, "prof.json"), ...extra]],
        [
          "drift",
          [
            "drift",
            PLAYBOOK,
            "-i",
            st.inventoryYaml,
            "-e",
            BASELINE_VARS,
            "--forks",
            String(forks),
            "--no-history",
            "-q",
            "-o",
            `json:${join(out, "prof-drift.json")}`,
            ...extra,
          ],
        ],
      ] as const) {
        const dir = join(a.profile, `${tag}-${n}h-${forks}f`);
        rmSync(dir, { recursive: true, force: true });
        const r = await measureKeel([...args], ["--cpu-prof", "--cpu-prof-dir", dir]);
        const file = readdirSync(dir).find((f) => f.endsWith(".cpuprofile"));
        process.stdout.write(
          `\nprofile of ${tag} (${n} hosts, forks ${forks}; ${(r.wallMs / 1000).toFixed(2)} s wall under the profiler): ${file ? join(dir, file) : "none written"}\n`,
        );
        if (file) process.stdout.write(formatProfileSummary(summarizeProfile(JSON.parse(readFileSync(join(dir, file), "utf8")), ROOT), ROOT) + "\n");
      }
    }
    if (a.json) writeFileSync(a.json, JSON.stringify({ vars: BASELINE_VARS, rows }, null, 2) + "\n");
    await mapLimit(names, 8, (h) => restoreBaseline(h));
    return rows.every((r) => r.second.changed === 0 && r.drift.code === 0) ? 0 : 2;
  } finally {
    rmSync(out, { recursive: true, force: true });
    rmSync(lease, { force: true });
    // Leave the lab as found: remove the hosts this run added, or the lab when it was down and no
    // test run has started using it meanwhile.
    if (before.length === 0) await down({ onlyIf: () => liveLeases(paths).length === 0 });
    else if (Math.max(...before) < n) await up(Math.max(...before), { exact: true, owner: prevOwner });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().then(
    (code) => process.exit(code),
    (e: unknown) => {
      process.stderr.write(`bench/scale: ${(e as Error).stack ?? String(e)}\n`);
      process.exit(1);
    },
  );
}
