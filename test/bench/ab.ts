// A/B of two keel builds on ONE fleet: the converged run and the drift check, alternated A, B, A, B…
// so that the load other users put on this shared machine falls on both builds alike.
//
//   npx tsc -p . && node dist/test/bench/ab.js --a OLD/bin/keel.js [--b bin/keel.js] [--hosts 50] [--rounds 2] [--fleet DIR]
//
// --fleet DIR: use the first --hosts hosts of a fleet held by test/bench/hold.ts (its --views),
// instead of starting (and stopping) a fleet of its own.
//
// The fleet is scratch lab hosts (test/bench/fleet.ts), converged once by build B with
// test/bench/fixtures/site.yml, then each round runs, for A then B (B then A in even rounds):
// `keel run site.yml` (already converged: nothing may change) and `keel drift site.yml` (in sync).
// Each figure is the wall time, the keel process's CPU (user + sys, GNU time, children included)
// per host, and the 1-minute load average when it started. The fleet is stopped at the end.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { SITE, timed } from "./ansible.js";
import { fleetView, growFleet, newFleet, stopFleet } from "./fleet.js";

interface Figure {
  build: "A" | "B";
  phase: "converged run" | "drift";
  round: number;
  wallMs: number;
  cpuMsPerHost: number;
  load: number;
}

function parseArgs(argv: string[]): { a: string; b: string; hosts: number; rounds: number; fleet?: string } {
  const get = (k: string) => {
    const i = argv.indexOf(k);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const a = get("--a");
  if (!a) throw new Error("usage: ab.js --a OLD/bin/keel.js [--b bin/keel.js] [--hosts 50] [--rounds 2]");
  const fleet = get("--fleet");
  return {
    a: resolve(a),
    b: resolve(get("--b") ?? "bin/keel.js"),
    hosts: Number(get("--hosts") ?? 50),
    rounds: Number(get("--rounds") ?? 2),
    ...(fleet ? { fleet: resolve(fleet) } : {}),
  };
}

async function main(argv: string[]): Promise<number> {
  const o = parseArgs(argv);
  const work = mkdtempSync(join(tmpdir(), "keel-ab-"));
  const fleet = newFleet(work);
  const log = (l: string) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${l}\n`);
  const figures: Figure[] = [];
  const problems: string[] = [];
  try {
    let v: { inventory: string };
    if (o.fleet) v = JSON.parse(readFileSync(join(o.fleet, `fleet-${o.hosts}.json`), "utf8")) as { inventory: string };
    else {
      log(`starting ${o.hosts} scratch hosts`);
      await growFleet(fleet, o.hosts);
      v = fleetView(fleet, o.hosts);
    }
    // Flags both builds understand (the connect timeout's short form changed meaning in between).
    const common = ["-i", v.inventory, "--connect-timeout", "60"];
    const keel = async (bin: string, args: string[], tag: string) => {
      const load = loadavg()[0]!;
      const r = await timed(process.execPath, [bin, ...args], { env: { ...process.env, NO_COLOR: "1" }, timeFile: join(work, `${tag}.time`) });
      return { ...r, load };
    };
    const first = await keel(o.b, ["run", SITE, ...common, "--forks", String(o.hosts)], "first");
    if (first.code !== 0) throw new Error(`first run (B) exited ${first.code}:\n${first.stdout.slice(-3000)}\n${first.stderr.slice(-3000)}`);
    log(`converged by B in ${(first.ms / 1000).toFixed(1)} s`);
    for (let round = 1; round <= o.rounds; round++) {
      for (const build of round % 2 ? (["A", "B"] as const) : (["B", "A"] as const)) {
        const bin = build === "A" ? o.a : o.b;
        const run = await keel(bin, ["run", SITE, ...common, "--forks", String(o.hosts)], `run-${build}-${round}`);
        if (run.code !== 0 || /changed=[1-9]/.test(run.stdout)) problems.push(`${build} round ${round}: converged run exited ${run.code} or changed something`);
        figures.push({ build, phase: "converged run", round, wallMs: run.ms, cpuMsPerHost: (run.userMs + run.sysMs) / o.hosts, load: run.load });
        const drift = await keel(bin, ["drift", SITE, ...common, "-f", String(o.hosts), "--no-history", "-q"], `drift-${build}-${round}`);
        if (drift.code !== 0) problems.push(`${build} round ${round}: drift exited ${drift.code} (0 = in sync)`);
        figures.push({ build, phase: "drift", round, wallMs: drift.ms, cpuMsPerHost: (drift.userMs + drift.sysMs) / o.hosts, load: drift.load });
        log(`round ${round} ${build}: run ${(run.ms / 1000).toFixed(1)} s, drift ${(drift.ms / 1000).toFixed(1)} s (load ${run.load.toFixed(0)})`);
      }
    }
  } finally {
    await stopFleet(fleet).catch((e: unknown) => log(`stopping the fleet: ${(e as Error).message}`));
    rmSync(work, { recursive: true, force: true });
  }
  const lines = ["| round | build | phase | wall s | keel CPU ms/host | load (1 min) |", "|---|---|---|---|---|---|"];
  for (const f of figures)
    lines.push(`| ${f.round} | ${f.build} | ${f.phase} | ${(f.wallMs / 1000).toFixed(2)} | ${f.cpuMsPerHost.toFixed(1)} | ${f.load.toFixed(1)} |`);
  const mean = (b: string, p: string, k: "wallMs" | "cpuMsPerHost") => {
    const xs = figures.filter((f) => f.build === b && f.phase === p).map((f) => f[k]);
    return xs.reduce((s, x) => s + x, 0) / xs.length;
  };
  lines.push("", "| phase | A wall s | B wall s | A CPU ms/host | B CPU ms/host |", "|---|---|---|---|---|");
  for (const p of ["converged run", "drift"])
    lines.push(
      `| ${p} | ${(mean("A", p, "wallMs") / 1000).toFixed(2)} | ${(mean("B", p, "wallMs") / 1000).toFixed(2)} | ${mean("A", p, "cpuMsPerHost").toFixed(1)} | ${mean("B", p, "cpuMsPerHost").toFixed(1)} |`,
    );
  process.stdout.write(`A = ${o.a}\nB = ${o.b}\n\n${lines.join("\n")}\n${problems.length ? `\nproblems:\n${problems.join("\n")}\n` : ""}`);
  return problems.length ? 2 : 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`ab: ${(e as Error).stack ?? String(e)}\n`);
    process.exit(1);
  },
);
