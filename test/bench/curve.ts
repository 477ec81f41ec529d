// `npm run bench`: keel and Ansible side by side on the same hosts with the same playbook
// (test/bench/fixtures/site.yml), plus the plain-ssh2 floor, over a curve of fleet sizes.
//
//   npm run build && npm run bench -- [--sizes 20,50,100,200,500] [--ansible-max 50] [--forks N]
//                                      [--json FILE] [--docs] [--profile DIR] [--keel BIN]
//
//   --sizes        fleet sizes, ascending (default 20,50,100,200,500; `--sizes 20` is a quick run)
//   --ansible-max  Ansible runs only at sizes up to this (default 50; 0: never). It takes minutes per run.
//   --forks N      keel --forks, ansible -f and the floor's concurrency (default: the fleet size)
//   --json FILE    write every figure as JSON
//   --docs         write docs/benchmarks.md (the generated part) and docs/benchmarks.svg
//   --profile DIR  also profile (node --cpu-prof) keel's converged run and drift at one size
//                  (--profile-size, default 200 or the largest below it); not part of the timings
//   --from-json F[,F…]  run nothing: print (and with --docs write) the results of earlier --json
//                  files (several runs' sizes are joined, each size as its run measured it)
//   --keel BIN     measure another build's bin/keel.js (A/B comparisons)
//
// Per size: a fleet of scratch lab hosts (test/bench/fleet.ts; listed in no shared inventory, so
// e2e runs on lab01..labN go on undisturbed), grown as the sizes grow and stopped at the end. keel
// runs first on hosts reset to a never-configured state: first run, second run, check run, drift;
// then the floor (ssh2 connect + one command per host, same concurrency); then Ansible, on hosts
// reset again: first, second, check. Both tools' end states are fingerprinted and compared. Every
// figure comes with the load average when it started and the machine's CPU meanwhile: this
// machine is shared, and the figures say how busy it was. Runs as root (the lab needs it).
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, freemem, loadavg, tmpdir, totalmem } from "node:os";
import { join, resolve } from "node:path";
import { ensureAptBindings, measureTool, purgeAptBindings, restoreSite, setKeelBin, timed, verify, type Ctx, type Phase, type ToolFigures } from "./ansible.js";
import { ROOT } from "./baseline.js";
import { bundle } from "../../engine/cli/bundle.js";
import { summarizeProfile, formatProfileSummary } from "./cpuprofile.js";
import { fleetView, growFleet, newFleet, stopFleet } from "./fleet.js";
import { hostsCpuMs, machineCpuMs } from "./scale.js";
import { writeDocs } from "./docs.js";
import { formatGoals, goals } from "./goals.js";
import { mapLimit } from "../lab/util.js";
import { labPaths } from "../lab/index.js";
import { SITE } from "./ansible.js";
import { sshAlgorithms, ssh2Capabilities } from "../../engine/transport/ssh-algorithms.js";

export type ToolPhases = Omit<ToolFigures, "state">;

export interface FloorFigures {
  ms: number;
  cpuMs: number;
  maxRssKb: number;
  hostsCpuMs: number;
  machineCpuMs: number;
  load: number;
}

export interface SizeFigures {
  hosts: number;
  forks: number;
  keel: ToolPhases;
  floor: FloorFigures;
  ansible?: ToolPhases;
  problems: string[];
}

export interface MachineInfo {
  cores: number;
  cpu: string;
  memGiB: number;
  node: string;
  ssh2Binding: boolean;
  cipher: string;
}

export interface CurveFigures {
  date: string;
  machine: MachineInfo;
  command: string;
  load: { start: number[]; end: number[] };
  sizes: SizeFigures[];
}

interface Args {
  sizes: number[];
  ansibleMax: number;
  forks?: number;
  json?: string;
  docs: boolean;
  profile?: string;
  profileSize?: number;
  fromJson?: string;
  keel?: string;
}

const USAGE =
  "usage: npm run bench -- [--sizes 20,50,100,200,500] [--ansible-max 50] [--forks N] [--json FILE] [--docs] [--profile DIR [--profile-size N]] [--from-json FILE] [--keel BIN]";

export function parseArgs(argv: string[]): Args {
  const a: Args = { sizes: [20, 50, 100, 200, 500], ansibleMax: 50, docs: false };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i]!;
    if (k === "--help" || k === "-h") throw new Error(USAGE);
    if (k === "--docs") {
      a.docs = true;
      continue;
    }
    const v = argv[++i];
    if (v === undefined) throw new Error(`${k} needs a value; ${USAGE}`);
    const int = (x: string, min: number) => {
      const n = Number(x);
      if (!Number.isInteger(n) || n < min) throw new Error(`${k}: an integer ≥ ${min}, got ${x}; ${USAGE}`);
      return n;
    };
    if (k === "--sizes") a.sizes = v.split(",").map((x) => int(x, 1));
    else if (k === "--ansible-max") a.ansibleMax = int(v, 0);
    else if (k === "--forks") a.forks = int(v, 1);
    else if (k === "--json") a.json = resolve(v);
    else if (k === "--profile") a.profile = resolve(v);
    else if (k === "--keel") a.keel = resolve(v);
    else if (k === "--profile-size") a.profileSize = int(v, 1);
    else if (k === "--from-json") a.fromJson = v;
    else throw new Error(`unknown option ${k}; ${USAGE}`);
  }
  if (a.sizes.some((s, i) => i > 0 && s <= a.sizes[i - 1]!)) throw new Error(`--sizes must be ascending; ${USAGE}`);
  return a;
}

export function machineInfo(): MachineInfo {
  return {
    cores: cpus().length,
    cpu: cpus()[0]?.model ?? "?",
    memGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    ssh2Binding: ssh2Capabilities().binding,
    cipher: sshAlgorithms().cipher[0]!,
  };
}

/** The ssh2 floor as its own process (test/bench/floor.ts), measured as keel is. */
async function measureFloor(c: Ctx, hosts: { name: string; address: string; hostKey: string }[], privateKey: string): Promise<FloorFigures> {
  const input = join(c.out, "floor.json");
  writeFileSync(input, JSON.stringify({ hosts, privateKey, concurrency: c.forks }));
  const load = loadavg()[0]!;
  const h0 = hostsCpuMs();
  const m0 = machineCpuMs();
  const r = await timed(process.execPath, [join(ROOT, "dist/test/bench/floor.js"), input], { timeFile: join(c.out, "floor.time") });
  await new Promise((res) => setTimeout(res, 300));
  if (r.code !== 0) throw new Error(`ssh2 floor exited ${r.code}:\n${r.stdout}\n${r.stderr.slice(-4000)}`);
  return { ms: r.ms, cpuMs: r.userMs + r.sysMs, maxRssKb: r.maxRssKb, hostsCpuMs: hostsCpuMs() - h0, machineCpuMs: machineCpuMs() - m0, load };
}

async function profileKeel(c: Ctx, dir: string, log: (l: string) => void): Promise<void> {
  const bin = join(ROOT, "bin/keel.js");
  for (const [tag, args] of [
    ["second", ["run", SITE, "-i", c.inventory, "--forks", String(c.forks), "-T", "60", "--json", join(c.out, "prof.json")]],
    [
      "drift",
      [
        "drift",
        SITE,
        "-i",
        c.inventory,
        "--forks",
        String(c.forks),
        "-T",
        "60",
        "--host-timeout",
        "600",
        "--no-history",
        "-q",
        "-o",
        `json:${join(c.out, "prof-drift.json")}`,
      ],
    ],
  ] as const) {
    const d = join(dir, `${tag}-${c.names.length}h`);
    rmSync(d, { recursive: true, force: true });
    const r = await timed(process.execPath, ["--cpu-prof", "--cpu-prof-dir", d, bin, ...args], { timeFile: join(c.out, `prof-${tag}.time`) });
    const f = existsSync(d) ? (await import("node:fs")).readdirSync(d).find((x) => x.endsWith(".cpuprofile")) : undefined;
    log(`profile of keel ${tag} at ${c.names.length} hosts (exit ${r.code}, ${(r.ms / 1000).toFixed(2)} s under the profiler): ${f ? join(d, f) : "none"}`);
    if (f) process.stdout.write(formatProfileSummary(summarizeProfile(JSON.parse(readFileSync(join(d, f), "utf8")), ROOT), ROOT) + "\n");
  }
}

const strip = (f: ToolFigures): ToolPhases => ({ tool: f.tool, first: f.first, second: f.second, check: f.check, ...(f.drift ? { drift: f.drift } : {}) });

export async function runCurve(a: Args, log: (l: string) => void): Promise<CurveFigures> {
  if (a.keel) setKeelBin(a.keel);
  else {
    // keel as installed runs the bundle (npm run build); a later plain tsc would leave it stale.
    const size = await bundle(ROOT);
    log(`bundled dist/keel.mjs (${(size / 2 ** 20).toFixed(1)} MiB): bin/keel.js runs it`);
  }
  const work = mkdtempSync(join(tmpdir(), "keel-bench-"));
  const fleet = newFleet(work);
  // A lease, as an e2e run holds one: a finishing test run does not tear the lab (and with it this
  // fleet) down while the benchmark runs.
  const paths = labPaths();
  mkdirSync(paths.leases, { recursive: true });
  const lease = join(paths.leases, String(process.pid));
  writeFileSync(lease, `${new Date().toISOString()} bench/curve\n`);
  // Interrupted (Ctrl-C, a time limit): stop the scratch hosts rather than leave them running.
  // A fleet still growing is waited for first: hosts started meanwhile are not in fleet.hosts yet
  // (session 7: a SIGTERM while the 500-host size grew left 200 hosts running).
  let growing: Promise<void> = Promise.resolve();
  const interrupted = (sig: NodeJS.Signals) => {
    log(`${sig}: stopping the fleet`);
    growing
      .catch(() => undefined)
      .then(() => stopFleet(fleet))
      .catch((e: unknown) => log(`stopping the fleet: ${(e as Error).message}`))
      .finally(() => {
        rmSync(lease, { force: true });
        process.exit(130);
      });
  };
  process.once("SIGINT", interrupted);
  process.once("SIGTERM", interrupted);
  const result: CurveFigures = {
    date: new Date().toISOString(),
    machine: machineInfo(),
    command: `npm run bench -- ${process.argv.slice(2).join(" ")}`.trim(),
    load: { start: loadavg(), end: [] },
    sizes: [],
  };
  try {
    for (const n of a.sizes) {
      const t0 = performance.now();
      growing = growFleet(fleet, n);
      await growing;
      const view = fleetView(fleet, n);
      log(
        `${n} hosts: fleet ready in ${((performance.now() - t0) / 1000).toFixed(1)} s (load ${loadavg()[0]!.toFixed(2)}, ${Math.round(freemem() / 2 ** 20)} MiB free)`,
      );
      const out = join(work, `size-${n}`);
      mkdirSync(out, { recursive: true });
      const c: Ctx = { inventory: view.inventory, names: view.names, forks: a.forks ?? n, out };
      const withAnsible = n <= a.ansibleMax;
      const keel = await measureTool(c, "keel", (l) => log(`${n} hosts: ${l}`), { fingerprint: withAnsible });
      const floor = await measureFloor(c, view.hosts, view.privateKey);
      log(`${n} hosts: ssh2 floor ${(floor.ms / 1000).toFixed(2)} s, cpu ${(floor.cpuMs / 1000).toFixed(2)} s`);
      const profileAt = a.profileSize ?? Math.max(...a.sizes.filter((x) => x <= 200), a.sizes[0]!);
      if (a.profile && n === profileAt) await profileKeel(c, a.profile, log);
      let ansible: ToolFigures | undefined;
      let aptInstalled: string[] = [];
      if (withAnsible) {
        aptInstalled = await ensureAptBindings(view.names, out);
        ansible = await measureTool(c, "ansible", (l) => log(`${n} hosts: ${l}`), { fingerprint: true });
      }
      const problems = verify(view.names, ansible ? [keel, ansible] : [keel]).problems;
      for (const p of problems) log(`${n} hosts: PROBLEM ${p}`);
      result.sizes.push({ hosts: n, forks: c.forks, keel: strip(keel), floor, ...(ansible ? { ansible: strip(ansible) } : {}), problems });
      // Leave the hosts clean for the next size (a larger fleet reuses them).
      await mapLimit(view.names, 8, async (h) => {
        await restoreSite(h);
        if (aptInstalled.includes(h)) await purgeAptBindings(h);
      });
      if (a.json) writeFileSync(a.json, JSON.stringify(result, null, 2) + "\n");
    }
  } finally {
    await stopFleet(fleet).catch((e: unknown) => log(`stopping the fleet: ${(e as Error).message}`));
    rmSync(work, { recursive: true, force: true });
    rmSync(lease, { force: true });
  }
  result.load.end = loadavg();
  if (a.json) writeFileSync(a.json, JSON.stringify(result, null, 2) + "\n");
  return result;
}

// ---------------------------------------------------------------------------------------------
// The table

const s2 = (ms: number) => (ms / 1000).toFixed(2);
const x1 = (a: number, b: number) => `${(a / b).toFixed(1)}×`;
const perHost = (p: { cpuMs: number }, n: number) => (p.cpuMs / n).toFixed(1);
const mean = (r: Record<string, number> | undefined) => {
  const v = Object.values(r ?? {});
  return v.length ? (v.reduce((x, y) => x + y, 0) / v.length).toFixed(1) : "-";
};
const peakMb = (ps: (Phase | undefined)[]) => (Math.max(...ps.filter((p): p is Phase => !!p).map((p) => p.maxRssKb)) / 1024).toFixed(0);

/** One markdown table of the whole curve. */
export function formatCurve(r: CurveFigures): string {
  const head = [
    "hosts",
    "keel first s",
    "keel converged s",
    "keel check s",
    "keel drift s",
    "ssh2 floor s",
    "drift ÷ floor",
    "keel CPU ms/host (first, converged, drift)",
    "floor CPU ms/host",
    "keel peak RSS MB",
    "keel round trips/host (first, converged, drift)",
    "Ansible first / converged / check s",
    "Ansible ÷ keel: first, converged, check÷drift",
    "Ansible CPU ms/host (first, converged, check)",
    "hosts' CPU ms/host in drift (keel; floor)",
    "load (1 min) at start",
  ];
  const rows = r.sizes.map((s) => {
    const k = s.keel;
    const an = s.ansible;
    return [
      String(s.hosts),
      s2(k.first.ms),
      s2(k.second.ms),
      s2(k.check.ms),
      s2(k.drift!.ms),
      s2(s.floor.ms),
      x1(k.drift!.ms, s.floor.ms),
      `${perHost(k.first, s.hosts)}, ${perHost(k.second, s.hosts)}, ${perHost(k.drift!, s.hosts)}`,
      perHost(s.floor, s.hosts),
      peakMb([k.first, k.second, k.check, k.drift]),
      `${mean(k.first.roundTrips)}, ${mean(k.second.roundTrips)}, ${mean(k.drift!.roundTrips)}`,
      an ? `${s2(an.first.ms)} / ${s2(an.second.ms)} / ${s2(an.check.ms)}` : "-",
      an ? `${x1(an.first.ms, k.first.ms)}, ${x1(an.second.ms, k.second.ms)}, ${x1(an.check.ms, k.drift!.ms)}` : "-",
      an ? `${perHost(an.first, s.hosts)}, ${perHost(an.second, s.hosts)}, ${perHost(an.check, s.hosts)}` : "-",
      `${(k.drift!.hostsCpuMs / s.hosts).toFixed(1)}; ${(s.floor.hostsCpuMs / s.hosts).toFixed(1)}`,
      k.first.load.toFixed(2),
    ];
  });
  return [`| ${head.join(" | ")} |`, `|${head.map(() => "---").join("|")}|`, ...rows.map((c) => `| ${c.join(" | ")} |`)].join("\n");
}

/** Peak RSS slope over the sizes (least squares), MB per host, and the intercept. */
export function rssSlope(r: CurveFigures): { mbPerHost: number; interceptMb: number } | undefined {
  const pts = r.sizes.map((s) => [s.hosts, Number(peakMb([s.keel.first, s.keel.second, s.keel.check, s.keel.drift]))] as const);
  if (pts.length < 2) return undefined;
  const n = pts.length;
  const mx = pts.reduce((a, p) => a + p[0], 0) / n;
  const my = pts.reduce((a, p) => a + p[1], 0) / n;
  const b = pts.reduce((a, p) => a + (p[0] - mx) * (p[1] - my), 0) / pts.reduce((a, p) => a + (p[0] - mx) ** 2, 0);
  return { mbPerHost: b, interceptMb: my - b * mx };
}

/** Earlier runs' figures (--json files), joined: sizes sorted, a size measured twice taken from the later file. */
export function fromJson(files: string): CurveFigures {
  const runs = files.split(",").map((f) => JSON.parse(readFileSync(resolve(f), "utf8")) as CurveFigures);
  const bySize = new Map<number, SizeFigures>();
  for (const r of runs) for (const s of r.sizes) bySize.set(s.hosts, s);
  const first = runs[0]!;
  return {
    ...first,
    command: runs.map((r) => r.command).join(" and "),
    load: { start: first.load.start, end: runs[runs.length - 1]!.load.end },
    sizes: [...bySize.values()].sort((a, b) => a.hosts - b.hosts),
  };
}

export async function main(argv: string[]): Promise<number> {
  const a = parseArgs(argv);
  const log = (l: string) => process.stderr.write(`bench: ${l}\n`);
  const r = a.fromJson ? fromJson(a.fromJson) : await runCurve(a, log);
  const slope = rssSlope(r);
  process.stdout.write(
    [
      `keel vs Ansible vs the ssh2 floor: test/bench/fixtures/site.yml on scratch lab hosts; ${r.machine.cores} cores (${r.machine.cpu}), node ${r.machine.node}, ssh2 native binding ${r.machine.ssh2Binding ? "built" : "missing"} (cipher ${r.machine.cipher})`,
      `load average at start ${r.load.start.map((x) => x.toFixed(2)).join(" ")}, at end ${r.load.end.map((x) => x.toFixed(2)).join(" ") || "(not recorded)"}`,
      "",
      formatCurve(r),
      "",
      slope ? `keel peak RSS ≈ ${slope.interceptMb.toFixed(0)} MB + ${slope.mbPerHost.toFixed(3)} MB/host (least squares over the sizes)` : "",
      "",
      "Issue 17's goals on this run:",
      "",
      formatGoals(goals(r)),
    ].join("\n") + "\n",
  );
  if (a.docs)
    await writeDocs(r, join(ROOT, "docs/benchmarks.md"), join(ROOT, "docs/benchmarks.svg"), { table: formatCurve(r), slope, goals: formatGoals(goals(r)) });
  const bad = r.sizes.flatMap((s) => s.problems);
  if (bad.length) process.stdout.write(`VERIFICATION FAILED:\n${bad.map((p) => `  ${p}`).join("\n")}\n`);
  return bad.length ? 2 : 0;
}
