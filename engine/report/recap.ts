// The end-of-run recap, one line per host, in the shape Ansible users know:
//   lab01 : ok=8  changed=2  unreachable=0  failed=0  skipped=1  rescued=0  ignored=0  unknown=0  round_trips=3
import type { HostStats } from "../core/events.js";

export interface RecapInput {
  stats: Record<string, HostStats>;
  roundTrips: Record<string, number>;
}

const C = { red: "\x1b[31m", green: "\x1b[32m", yellow: "\x1b[33m", magenta: "\x1b[35m", reset: "\x1b[0m" };

export function formatRecap(r: RecapInput, opts: { color: boolean }): string {
  const hosts = Object.keys(r.stats).sort();
  if (hosts.length === 0) return "RECAP\n(no hosts matched)\n";
  const width = Math.max(...hosts.map((h) => h.length));
  const cols: [keyof HostStats | "round_trips", string][] = [
    ["ok", C.green],
    ["changed", C.yellow],
    ["unreachable", C.red],
    ["failed", C.red],
    ["skipped", ""],
    ["rescued", ""],
    ["ignored", ""],
    ["unknown", C.magenta],
    ["round_trips", ""],
  ];
  const value = (h: string, k: keyof HostStats | "round_trips") => (k === "round_trips" ? (r.roundTrips[h] ?? 0) : r.stats[h]![k]);
  // numbers padded to the widest of their column, so the columns line up across hosts
  const digits = new Map(cols.map(([k]) => [k, Math.max(...hosts.map((h) => String(value(h, k)).length))]));
  const lines = ["RECAP"];
  for (const h of hosts) {
    const s = r.stats[h]!;
    const bad = s.failed > 0 || s.unreachable > 0;
    const hostColor = bad ? C.red : s.changed > 0 ? C.yellow : s.unknown > 0 ? C.magenta : C.green;
    const name = h.padEnd(width);
    const cells = cols.map(([k, color], i) => {
      const n = value(h, k);
      const cell = `${k}=${String(n).padEnd(i === cols.length - 1 ? 0 : digits.get(k)!)}`;
      return opts.color && n > 0 && color && k !== "round_trips" ? color + cell + C.reset : cell;
    });
    lines.push(`${opts.color ? hostColor + name + C.reset : name} : ${cells.join("  ")}`);
  }
  return lines.join("\n") + "\n";
}
