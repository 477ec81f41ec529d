// The end-of-run recap, one line per host, in the shape Ansible users know:
//   lab01 : ok=8  changed=2  unreachable=0  failed=0  skipped=1  rescued=0  ignored=0  unknown=0  round_trips=3
import type { EventSink, HostStats, KeelEvent, RunSummary } from "../core/events.js";
import { termSafeEvent } from "./termsafe.js";
import { changedHosts } from "./json.js";

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

/**
 * The end of a run for people: the recap, then what failed and why, whether the run stopped early,
 * and how long it took. Built from the run.summary event.
 */
export class RecapReporter {
  private summary?: RunSummary;
  private check = false;

  readonly sink: EventSink = (e: KeelEvent) => {
    if (e.type === "run.start") this.check = e.check;
    // failure messages carry host output: made terminal-safe (termsafe.ts)
    if (e.type === "run.summary") this.summary = (termSafeEvent(e) as typeof e).summary;
  };

  /** The text, or "" when the run never got to its summary. */
  text(opts: { color: boolean }): string {
    const s = this.summary;
    if (!s) return "";
    let out = "\n" + formatRecap(s, opts);
    if (s.failures.length) out += "\nFAILED\n" + s.failures.map((x) => `  ${x.message.split("\n").join("\n    ")}\n`).join("");
    if (s.stopped) {
      out += `\nSTOPPED: ${s.stopped}\n`;
      // who is where after an early stop (a rolling patch: patched, failed, never touched)
      const changed = changedHosts(s);
      if (changed.length) out += `  changed: ${changed.join(", ")}\n`;
      if (s.failed.length) out += `  failed: ${s.failed.join(", ")}\n`;
      if (s.notRun.length) out += `  not run: ${s.notRun.join(", ")}\n`;
    }
    out += `\n${Object.keys(s.stats).length} host(s) in ${(s.durationMs / 1000).toFixed(1)}s${this.check ? " (check mode: nothing was changed)" : ""}\n`;
    return out;
  }
}
