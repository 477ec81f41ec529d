// Issue 17's goals, checked against one curve's figures (printed by `npm run bench` after the
// table, and written to docs/benchmarks.md): each goal with the figure it was judged on, met or
// not, or "not measured" when the run had no such size (Ansible only up to --ansible-max).
import type { CurveFigures, SizeFigures } from "./curve.js";

export interface Goal {
  goal: string;
  measured: string;
  met: boolean | undefined;
}

const x1 = (v: number) => `${v.toFixed(1)}×`;
const mean = (r: Record<string, number> | undefined) => {
  const v = Object.values(r ?? {});
  return v.length ? v.reduce((a, b) => a + b, 0) / v.length : NaN;
};

export function goals(r: CurveFigures): Goal[] {
  const at = (n: number): SizeFigures | undefined => r.sizes.find((s) => s.hosts === n);
  const out: Goal[] = [];
  const s20 = at(20);
  const an = s20?.ansible;
  if (s20 && an) {
    const first = an.first.ms / s20.keel.first.ms;
    const conv = an.second.ms / s20.keel.second.ms;
    const drift = an.check.ms / s20.keel.drift!.ms;
    out.push({ goal: "first run ≥ 25× faster than Ansible at 20 hosts", measured: x1(first), met: first >= 25 });
    out.push({
      goal: "converged run and drift ≥ 50× faster than Ansible at 20 hosts",
      measured: `${x1(conv)} converged, ${x1(drift)} check÷drift`,
      met: conv >= 50 && drift >= 50,
    });
  } else {
    out.push({
      goal: "first run ≥ 25× / converged and drift ≥ 50× faster than Ansible at 20 hosts",
      measured: "not measured (no 20-host size with Ansible)",
      met: undefined,
    });
  }
  const s200 = at(200);
  if (s200) {
    const ratio = s200.keel.drift!.ms / s200.floor.ms;
    const cpu = s200.keel.second.cpuMs / 200;
    out.push({
      goal: "drift at 200 hosts within 1.3× of the ssh2 floor",
      measured: `${x1(ratio)} (${(s200.keel.drift!.ms / 1000).toFixed(1)} s against ${(s200.floor.ms / 1000).toFixed(1)} s)`,
      met: ratio <= 1.3,
    });
    out.push({
      goal: "≤ 8 ms controller CPU per converged host at 200 hosts",
      measured: `${cpu.toFixed(1)} ms (the floor alone ${(s200.floor.cpuMs / 200).toFixed(1)} ms)`,
      met: cpu <= 8,
    });
  } else {
    out.push({
      goal: "drift within 1.3× of the floor and ≤ 8 ms CPU per converged host at 200 hosts",
      measured: "not measured (no 200-host size)",
      met: undefined,
    });
  }
  const s500 = at(500);
  const rss = s500 ? Math.max(s500.keel.first.maxRssKb, s500.keel.second.maxRssKb, s500.keel.check.maxRssKb, s500.keel.drift!.maxRssKb) / 1024 : undefined;
  out.push({
    goal: "peak RSS at 500 hosts < 600 MB",
    measured: rss === undefined ? "not measured (no 500-host size)" : `${rss.toFixed(0)} MB`,
    met: rss === undefined ? undefined : rss < 600,
  });
  const rtFirst = Math.max(...r.sizes.map((s) => mean(s.keel.first.roundTrips)));
  const rtConv = Math.max(...r.sizes.map((s) => Math.max(mean(s.keel.second.roundTrips), mean(s.keel.drift!.roundTrips))));
  out.push({
    goal: "first run ≤ 5 round trips per host, converged ≤ 2",
    measured: `${rtFirst.toFixed(1)} first, ${rtConv.toFixed(1)} converged/drift (largest mean over the sizes)`,
    met: rtFirst <= 5 && rtConv <= 2,
  });
  return out;
}

export function formatGoals(gs: Goal[]): string {
  return [
    "| goal | measured | |",
    "|---|---|---|",
    ...gs.map((g) => `| ${g.goal} | ${g.measured} | ${g.met === undefined ? "not measured" : g.met ? "met" : "not met"} |`),
  ].join("\n");
}
