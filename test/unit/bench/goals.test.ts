// test/bench/goals.ts: issue 17's goals judged on a curve's figures (met, not met, not measured).
import { describe, expect, it } from "vitest";
import { formatGoals, goals } from "../../bench/goals.js";
import type { CurveFigures, SizeFigures } from "../../bench/curve.js";

const phase = (ms: number, cpuMs: number, rssMb: number, rt: number, n: number) => ({
  ms,
  cpuMs,
  changed: {},
  maxRssKb: rssMb * 1024,
  treeRssKb: 0,
  hostsCpuMs: 0,
  machineCpuMs: 0,
  load: 1,
  roundTrips: Object.fromEntries(Array.from({ length: n }, (_, i) => [`h${i}`, rt])),
});
const size = (n: number, keelMs: number, floorMs: number, cpuPerHost: number, ansibleMs?: number): SizeFigures => ({
  hosts: n,
  forks: n,
  keel: {
    tool: "keel",
    first: phase(keelMs * 2, cpuPerHost * n, 150 + n / 2, 5, n),
    second: phase(keelMs, cpuPerHost * n, 150 + n / 2, 1, n),
    check: phase(keelMs, cpuPerHost * n, 150 + n / 2, 1, n),
    drift: { ...phase(keelMs, cpuPerHost * n, 150 + n / 2, 1, n), inSync: n },
  },
  floor: { ms: floorMs, cpuMs: 7 * n, maxRssKb: 0, hostsCpuMs: 0, machineCpuMs: 0, load: 1 },
  ...(ansibleMs
    ? { ansible: { tool: "ansible" as const, first: phase(ansibleMs, 0, 0, 0, 0), second: phase(ansibleMs, 0, 0, 0, 0), check: phase(ansibleMs, 0, 0, 0, 0) } }
    : {}),
  problems: [],
});
const curve = (sizes: SizeFigures[]): CurveFigures => ({
  date: "",
  machine: { cores: 2, cpu: "", memGiB: 8, node: "", ssh2Binding: true, cipher: "" },
  command: "",
  load: { start: [1, 1, 1], end: [] },
  sizes,
});

describe("issue 17's goals", () => {
  it("judges each goal on its size and says which were not measured", () => {
    const g = goals(curve([size(20, 1000, 500, 50, 40_000), size(200, 2000, 1600, 7.5)]));
    expect(g.map((x) => x.met)).toEqual([false, false, true, true, undefined, true]);
    expect(g[0]!.measured).toBe("20.0×");
    expect(g[1]!.measured).toBe("40.0× converged, 40.0× check÷drift");
    expect(g[2]!.measured).toMatch(/^1\.3× \(2\.0 s against 1\.6 s\)/);
    expect(formatGoals(g)).toMatch(/\| peak RSS at 500 hosts < 600 MB \| not measured \(no 500-host size\) \| not measured \|/);
  });

  it("RSS at 500 and round trips", () => {
    const g = goals(curve([size(500, 1000, 100, 20)]));
    expect(g.find((x) => x.goal.startsWith("peak RSS"))).toMatchObject({ measured: "400 MB", met: true });
    expect(g.find((x) => x.goal.startsWith("first run ≤ 5"))?.met).toBe(true);
    expect(g.find((x) => x.goal.includes("Ansible"))?.met).toBeUndefined();
  });
});
