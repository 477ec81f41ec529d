// The hosts' side of a run: how many programs keel makes a host exec (fork+exec of coreutils and
// the like), how many processes keel's shell creates (every fork, exec or not: subshells, command
// substitutions, pipes; on this lab's VM a fork costs the host about 3 ms of CPU and an exec about
// 1 ms more), and the host's CPU, for the bench playbook on fresh scratch lab hosts. Each phase
// runs under `strace -f -e trace=execve,clone,clone3,fork,vfork` attached to the
// host's sshd (it follows the session, the shell and everything the probes start), then again
// untraced, `--runs` times, for the hosts' CPU (their sshd and everything it reaped, as the bench
// counts it: test/bench/scale.ts hostsCpuMs).
//
//   npx tsc -p . && node dist/test/bench/execs.js [--hosts 2] [--runs 5] [--keel BIN] [--json FILE] [--verbose]
//
// Phases, in order on the same hosts: drift of a never-configured host, the first run, the
// converged run, drift of the converged host (the CPU runs of a phase come before its traced run). "session" counts the execs before keel's shell
// started (sshd re-exec, PAM's motd scripts, the login shell's `exec sh`): the same for any SSH
// tool; "probe" the rest (facts, probes, applies). Needs root, strace and the lab.
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, readlinkSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join, resolve } from "node:path";
import { labPaths } from "../lab/index.js";
import { SITE, timed } from "./ansible.js";
import { ROOT } from "./baseline.js";
import { fleetView, growFleet, newFleet, stopFleet } from "./fleet.js";
import { hostsCpuMs } from "./scale.js";

/** What one traced run made a host exec. */
export interface ExecCount {
  /** Successful execve calls (a PATH search's failed attempts are not counted). */
  total: number;
  /** Before keel's shell (`sh` with no arguments) started. */
  session: number;
  /** keel's shell and everything after it. */
  probe: number;
  /** Program → successful execs in the probe part. */
  byProgram: Record<string, number>;
  /**
   * Processes keel's shell and its children created (fork, vfork, clone without CLONE_THREAD):
   * each costs the host a fork whether or not it execs (subshells, command substitutions, pipes).
   */
  forks: number;
}

/**
 * Counts the successful execve calls of an `strace -f -e trace=execve` log (pure). A call that
 * strace split ("<unfinished ...>" then "<... execve resumed>") counts by its resumed line.
 */
export function countExecs(log: string): ExecCount {
  const out: ExecCount = { total: 0, session: 0, probe: 0, byProgram: {}, forks: 0 };
  const pending = new Map<string, string>(); // pid → program of an unfinished call
  let inShell = false;
  for (const line of log.split("\n")) {
    const m = /^(\d+)\s+(.*)$/.exec(line);
    if (!m) continue;
    const [, pid, rest] = m as unknown as [string, string, string];
    let prog: string | undefined;
    let argv = "";
    let ok = false;
    // a process created: the parent's fork/vfork/clone returning the child's pid (or resuming to it)
    if (/^(?:(?:clone3?|v?fork)\(|<\.\.\. (?:clone3?|v?fork) resumed>)/.test(rest)) {
      if (inShell && / = [1-9]\d*$/.test(rest) && !rest.includes("CLONE_THREAD")) out.forks++;
      continue;
    }
    const call = /^execve\("([^"]*)", \[([^\]]*)\]/.exec(rest);
    if (call) {
      prog = call[1]!;
      argv = call[2]!;
      if (rest.endsWith("<unfinished ...>")) {
        pending.set(pid, `${prog}\0${argv}`);
        continue;
      }
      ok = / = 0$/.test(rest);
    } else if (/^<\.\.\. execve resumed>/.test(rest)) {
      const p = pending.get(pid);
      pending.delete(pid);
      if (p === undefined) continue;
      [prog, argv] = p.split("\0") as [string, string];
      ok = / = 0$/.test(rest);
    } else continue;
    if (!ok || prog === undefined) continue;
    out.total++;
    if (!inShell) {
      out.session++;
      // keel's shell: the login shell runs `exec sh`, which starts sh with no arguments
      if (/^"sh"$/.test(argv.trim())) inShell = true;
      continue;
    }
    out.probe++;
    const name = basename(prog);
    out.byProgram[name] = (out.byProgram[name] ?? 0) + 1;
  }
  return out;
}

/** The pid of the sshd listener of a lab host (its parent is the host's tini; its root the host's). */
export function sshdPid(host: string): number {
  for (const e of readdirSync("/proc")) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = readFileSync(`/proc/${e}/stat`, "utf8");
      if (stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")")) !== "sshd") continue;
      const ppid = stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1];
      const pstat = readFileSync(`/proc/${ppid}/stat`, "utf8");
      if (pstat.slice(pstat.indexOf("(") + 1, pstat.lastIndexOf(")")) !== "tini") continue;
      if (basename(dirname(readlinkSync(`/proc/${e}/root`))) === host) return Number(e);
    } catch {
      /* gone meanwhile */
    }
  }
  throw new Error(`no sshd listener found for ${host}`);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits until the sshd listeners have no session left (so a run's CPU is reaped into them), at most 20 s. */
export async function waitIdle(pids: number[]): Promise<void> {
  const busy = (p: number) => {
    try {
      return readFileSync(`/proc/${p}/task/${p}/children`, "utf8").trim() !== "";
    } catch {
      return false;
    }
  };
  for (let i = 0; i < 100 && pids.some(busy); i++) await sleep(200);
}

/** Runs `fn` with strace attached to the pids (following forks), returns one log per pid. */
export async function traced(pids: number[], work: string, fn: () => Promise<void>): Promise<string[]> {
  const files = pids.map((p) => join(work, `trace-${p}`));
  const procs = pids.map((p, i) =>
    spawn("strace", ["-f", "-qq", "-e", "trace=execve,clone,clone3,fork,vfork", "-e", "signal=none", "-o", files[i]!, "-p", String(p)], { stdio: "ignore" }),
  );
  await sleep(1000); // attached
  try {
    await fn();
    await sleep(500); // the sessions' last processes reaped
  } finally {
    await Promise.all(
      procs.map(
        (c) =>
          new Promise<void>((res) => {
            c.on("close", () => res());
            c.kill("SIGINT");
          }),
      ),
    );
  }
  return files.map((f) => readFileSync(f, "utf8"));
}

interface PhaseFigures {
  phase: string;
  /** Per host: the mean of the hosts' traced counts. */
  execsPerHost: { total: number; session: number; probe: number };
  /** Per host: processes keel's shell and its children created (ExecCount.forks). */
  forksPerHost: number;
  byProgramPerHost: Record<string, number>;
  /** The hosts' CPU per host (sshd and all it reaped), mean of the untraced runs, ms. */
  hostsCpuMsPerHost?: number;
  untracedRuns: number;
}

async function main(argv: string[]): Promise<number> {
  const get = (k: string) => {
    const i = argv.indexOf(k);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const n = Number(get("--hosts") ?? 2);
  const runs = Number(get("--runs") ?? 5);
  if (!Number.isInteger(n) || n < 1 || n > 20 || !Number.isInteger(runs) || runs < 0)
    throw new Error("usage: execs.js [--hosts N (1-20)] [--runs N] [--keel BIN] [--json FILE] [--verbose]");
  const bin = resolve(get("--keel") ?? join(ROOT, "bin/keel.js"));
  const verbose = argv.includes("--verbose");
  const work = mkdtempSync(join(tmpdir(), "keel-execs-"));
  const paths = labPaths();
  mkdirSync(paths.leases, { recursive: true });
  const lease = join(paths.leases, String(process.pid));
  writeFileSync(lease, `${new Date().toISOString()} bench/execs\n`);
  const fleet = newFleet(work);
  const results: PhaseFigures[] = [];
  try {
    await growFleet(fleet, n);
    const view = fleetView(fleet, n);
    const only = new Set(view.names);
    const pids = view.names.map(sshdPid);
    const common = ["-i", view.inventory, "-f", String(n)];
    const keel = async (args: string[], expect: number[]) => {
      const r = await timed(process.execPath, [bin, ...args, ...common], { env: { ...process.env, NO_COLOR: "1" }, timeFile: join(work, "keel.time") });
      if (!expect.includes(r.code)) throw new Error(`keel ${args.join(" ")} exited ${r.code}:\n${r.stdout.slice(-2000)}\n${r.stderr.slice(-2000)}`);
    };
    const phase = async (name: string, args: string[], expect: number[], repeat: boolean) => {
      // the hosts' CPU first, without strace (it slows every exec down), only for phases that leave
      // the hosts as they were; then one traced run for the execs
      let cpuPerHost: number | undefined;
      if (repeat && runs > 0) {
        let cpu = 0;
        for (let i = 0; i < runs; i++) {
          await waitIdle(pids);
          const h0 = hostsCpuMs(only);
          await keel(args, expect);
          await waitIdle(pids);
          cpu += hostsCpuMs(only) - h0;
        }
        cpuPerHost = cpu / runs / n;
      }
      await waitIdle(pids);
      const logs = await traced(pids, work, () => keel(args, expect));
      await waitIdle(pids);
      const counts = logs.map(countExecs);
      if (verbose) for (const [i, l] of logs.entries()) writeFileSync(join(process.cwd(), `execs-${name.replace(/ /g, "-")}-${view.names[i]}.strace`), l);
      const mean = (f: (c: ExecCount) => number) => counts.reduce((s, c) => s + f(c), 0) / counts.length;
      const byProgram: Record<string, number> = {};
      for (const c of counts) for (const [k, v] of Object.entries(c.byProgram)) byProgram[k] = (byProgram[k] ?? 0) + v / counts.length;
      const fig: PhaseFigures = {
        phase: name,
        execsPerHost: { total: mean((c) => c.total), session: mean((c) => c.session), probe: mean((c) => c.probe) },
        forksPerHost: mean((c) => c.forks),
        byProgramPerHost: Object.fromEntries(Object.entries(byProgram).sort((a, b) => b[1] - a[1])),
        untracedRuns: cpuPerHost === undefined ? 0 : runs,
      };
      if (cpuPerHost !== undefined) fig.hostsCpuMsPerHost = cpuPerHost;
      results.push(fig);
      const progs = Object.entries(fig.byProgramPerHost)
        .map(([k, v]) => `${k} ${Number(v.toFixed(1))}`)
        .join(", ");
      process.stdout.write(
        `${name}: execs/host ${fig.execsPerHost.total.toFixed(1)} (session ${fig.execsPerHost.session.toFixed(1)}, keel's shell ${fig.execsPerHost.probe.toFixed(1)}); ` +
          `processes keel's shell created/host ${fig.forksPerHost.toFixed(1)}` +
          (fig.hostsCpuMsPerHost !== undefined ? `; hosts' CPU ${fig.hostsCpuMsPerHost.toFixed(1)} ms/host (mean of ${runs} untraced runs)` : "") +
          `\n  ${progs}\n`,
      );
    };
    await phase("fresh drift", ["drift", SITE, "--no-history", "-q"], [2], true);
    await phase("first run", ["run", SITE], [0], false);
    await phase("converged run", ["run", SITE], [0], true);
    await phase("converged drift", ["drift", SITE, "--no-history", "-q"], [0], true);
    const json = get("--json");
    if (json) writeFileSync(json, JSON.stringify({ hosts: n, keel: bin, playbook: SITE, phases: results }, null, 2) + "\n");
    return 0;
  } finally {
    await stopFleet(fleet).catch((e: unknown) => process.stderr.write(`execs: stopping the hosts: ${(e as Error).message}\n`));
    rmSync(lease, { force: true });
    rmSync(work, { recursive: true, force: true });
  }
}

if (process.argv[1] && /execs\.[jt]s$/.test(process.argv[1])) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: unknown) => {
      process.stderr.write(`execs: ${(e as Error).stack ?? String(e)}\n`);
      process.exit(1);
    },
  );
}
