// Benchmark: the shipped baseline's first and second run on fresh scratch hosts, pipelined (default)
// and sequential (KEEL_PIPELINE=0, every apply on its own as before pipelining): round trips per
// host and wall time. Two twin scratch hosts, one per mode; each mode is run `rounds` times on a
// host reset to a never-baselined state, and the median wall time is printed.
//
//   npx tsc -p . && KEEL_LAB_DIR=/work/main/.lab node dist/test/bench/pipeline-measure.js [rounds]
//
// Runs as root on a machine that can run the lab (scratch hosts are private to this run).
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startScratchHost, stopScratchHost, type ScratchHost } from "../lab/index.js";
import { BASELINE, BASELINE_VARS, resetBaseline, ROOT } from "./baseline.js";
import { spawn } from "node:child_process";

interface Figures {
  ms: number;
  roundTrips: number;
  changed: number;
}

function keel(args: string[], pipeline: boolean): Promise<{ code: number; ms: number; out: string }> {
  return new Promise((res, rej) => {
    const t0 = performance.now();
    const c = spawn(process.execPath, [join(ROOT, "bin/keel.js"), ...args], {
      env: { ...process.env, NO_COLOR: "1", KEEL_PIPELINE: pipeline ? "1" : "0" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    c.stdout.on("data", (d) => (out += d));
    c.stderr.on("data", (d) => (out += d));
    c.on("error", rej);
    c.on("close", (code) => res({ code: code ?? 1, ms: Math.round(performance.now() - t0), out }));
  });
}

async function once(h: ScratchHost, dir: string, tag: string, pipeline: boolean): Promise<Figures> {
  const json = join(dir, `${h.name}-${tag}.json`);
  const r = await keel(["run", BASELINE, "-i", h.inventory, "-e", BASELINE_VARS, "--json", json], pipeline);
  if (r.code !== 0) throw new Error(`baseline ${tag} on ${h.name} exited ${r.code}:\n${r.out}`);
  const s = (JSON.parse(readFileSync(json, "utf8")) as { summary: { hosts: Record<string, { changed: number; round_trips: number }> } }).summary.hosts[h.name]!;
  return { ms: r.ms, roundTrips: s.round_trips, changed: s.changed };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const rounds = Number(process.argv[2] ?? 3);
  const dir = mkdtempSync(join(tmpdir(), "keel-pipe-measure-"));
  const hosts = await Promise.all([startScratchHost(), startScratchHost()]);
  try {
    const rows: string[] = [];
    for (const [i, pipeline] of [true, false].entries()) {
      const h = hosts[i]!;
      const first: Figures[] = [];
      const second: Figures[] = [];
      for (let r = 0; r < rounds; r++) {
        await resetBaseline(h.name);
        first.push(await once(h, dir, `first-${r}`, pipeline));
        second.push(await once(h, dir, `second-${r}`, pipeline));
      }
      const mode = pipeline ? "pipelined " : "sequential";
      rows.push(
        `${mode}: first run ${median(first.map((f) => f.ms))} ms, ${first[0]!.changed} changes, ${first[0]!.roundTrips} round trips; second run ${median(second.map((f) => f.ms))} ms, ${second[0]!.changed} changes, ${second[0]!.roundTrips} round trips`,
      );
    }
    process.stdout.write(`baseline on a fresh scratch host (median of ${rounds}):\n${rows.map((r) => `  ${r}`).join("\n")}\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    for (const h of hosts) await stopScratchHost(h);
  }
}

main().catch((e) => {
  process.stderr.write(String((e as Error).stack ?? e) + "\n");
  process.exitCode = 1;
});
