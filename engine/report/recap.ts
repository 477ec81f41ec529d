// The end-of-run recap, one line per host, in the shape Ansible users know:
//   lab01   : ok=8    changed=2    unreachable=0    failed=0    skipped=1    rescued=0    ignored=0    unknown=0    round_trips=3
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
  const lines = ["RECAP"];
  for (const h of hosts) {
    const s = r.stats[h]!;
    const col = (n: number, name: string, color: string) => {
      const cell = `${name}=${n}`.padEnd(name.length + 6);
      return opts.color && n > 0 ? color + cell + C.reset : cell;
    };
    const bad = s.failed > 0 || s.unreachable > 0;
    const hostColor = bad ? C.red : s.changed > 0 ? C.yellow : s.unknown > 0 ? C.magenta : C.green;
    const name = h.padEnd(width);
    lines.push(
      [
        `${opts.color ? hostColor + name + C.reset : name} :`,
        col(s.ok, "ok", C.green),
        col(s.changed, "changed", C.yellow),
        col(s.unreachable, "unreachable", C.red),
        col(s.failed, "failed", C.red),
        col(s.skipped, "skipped", ""),
        col(s.rescued, "rescued", ""),
        col(s.ignored, "ignored", ""),
        col(s.unknown, "unknown", C.magenta),
        `round_trips=${r.roundTrips[h] ?? 0}`,
      ]
        .join(" ")
        .replace(/\s+$/, ""),
    );
  }
  return lines.join("\n") + "\n";
}
