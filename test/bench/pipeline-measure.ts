// Measure the baseline's first and second run (round trips per host, wall time) on a fresh scratch host.
//   npx tsc -p . && KEEL_LAB_DIR=/work/main/.lab node dist/test/bench/pipeline-measure.js [extra env: KEEL_PIPELINE=0]
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startScratchHost, stopScratchHost } from "../lab/index.js";
import { BASELINE, BASELINE_VARS, resetBaseline, runKeel } from "./baseline.js";

async function main(): Promise<void> {
  const h = await startScratchHost();
  const out = mkdtempSync(join(tmpdir(), "keel-pipe-measure-"));
  try {
    await resetBaseline(h.name);
    for (const tag of ["first", "second"]) {
      const json = join(out, `${tag}.json`);
      const r = await runKeel(["run", BASELINE, "-i", h.inventory, "-e", BASELINE_VARS, "--json", json]);
      const rep = JSON.parse(readFileSync(json, "utf8")) as { summary: { hosts: Record<string, { changed: number; round_trips: number }> } };
      const s = rep.summary.hosts[h.name]!;
      process.stdout.write(`${tag}: exit ${r.code}, ${r.ms} ms, changed ${s.changed}, round trips ${s.round_trips}\n`);
      if (r.code !== 0) process.stdout.write(r.stdout + r.stderr);
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
    await stopScratchHost(h);
  }
}
main().catch((e) => {
  process.stderr.write(String((e as Error).stack ?? e) + "\n");
  process.exitCode = 1;
});
