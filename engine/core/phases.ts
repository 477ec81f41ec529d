// Where a run's wall time goes, per phase and per host: a diagnostic for performance work, off
// unless KEEL_PROFILE_PHASES=1 (then every mark is one array push; otherwise one boolean test).
// Marks are taken at fixed points (modules loaded, playbook and inventory loaded, each host's TCP
// connect, key exchange, authentication, shell channel, each round trip, done…); the CLI prints
// phaseSummary() to stderr at exit. Times are milliseconds since the process started
// (performance.timeOrigin), so Node's own start-up is included.
import { performance } from "node:perf_hooks";

interface Mark {
  name: string;
  host?: string;
  t: number;
}

const marks: Mark[] = [];
let enabled = process.env.KEEL_PROFILE_PHASES === "1";

export function phasesEnabled(): boolean {
  return enabled;
}

/** For tests: switch recording on or off and forget earlier marks. */
export function setPhases(on: boolean): void {
  enabled = on;
  marks.length = 0;
}

/** Records that `name` happened now (for `host`, or for the whole run). */
export function phaseMark(name: string, host?: string): void {
  if (!enabled) return;
  marks.push(host === undefined ? { name, t: performance.now() } : { name, host, t: performance.now() });
}

const ms = (x: number) => x.toFixed(0).padStart(6);

function stats(xs: number[]): { min: number; med: number; max: number } {
  const s = [...xs].sort((a, b) => a - b);
  const med = s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
  return { min: s[0]!, med, max: s[s.length - 1]! };
}

/**
 * The report: the run's own marks in time order; per host phase (the interval from one host mark
 * to the next, named "a → b"; a name repeated on a host, as each round trip's, is numbered) the
 * min, median and max over hosts, with the time of day (since process start) at which hosts reach
 * each mark; and the critical path: the run's marks up to the first connect, the last host to
 * finish, mark by mark, then the run's marks after it.
 */
export function phaseSummary(): string {
  if (!marks.length) return "";
  const global = marks.filter((m) => m.host === undefined);
  const byHost = new Map<string, Mark[]>();
  for (const m of marks) if (m.host !== undefined) byHost.set(m.host, [...(byHost.get(m.host) ?? []), m]);
  // Number repeated names per host ("round trip sent" → "round trip sent #2").
  for (const list of byHost.values()) {
    const seen = new Map<string, number>();
    for (const m of list) {
      const n = (seen.get(m.name) ?? 0) + 1;
      seen.set(m.name, n);
      if (n > 1) m.name = `${m.name} #${n}`;
    }
  }
  const out: string[] = [`phase profile (ms since process start; ${byHost.size} hosts)`, "run:"];
  for (const m of global) out.push(`  ${ms(m.t)}  ${m.name}`);
  if (byHost.size) {
    const intervals = new Map<string, number[]>();
    const at = new Map<string, number[]>();
    const order: string[] = [];
    for (const list of byHost.values()) {
      list.forEach((m, i) => {
        if (!at.has(m.name)) order.push(m.name);
        at.set(m.name, [...(at.get(m.name) ?? []), m.t]);
        if (i === 0) return;
        const k = `${list[i - 1]!.name} → ${m.name}`;
        intervals.set(k, [...(intervals.get(k) ?? []), m.t - list[i - 1]!.t]);
      });
    }
    out.push("per host: reached at (min / median / max over hosts)");
    for (const name of order) {
      const s = stats(at.get(name)!);
      out.push(`  ${ms(s.min)} ${ms(s.med)} ${ms(s.max)}  ${name}${at.get(name)!.length < byHost.size ? ` (${at.get(name)!.length} hosts)` : ""}`);
    }
    out.push("per host: phase duration (min / median / max over hosts)");
    for (const [k, xs] of intervals) {
      const s = stats(xs);
      out.push(`  ${ms(s.min)} ${ms(s.med)} ${ms(s.max)}  ${k}${xs.length < byHost.size ? ` (${xs.length} hosts)` : ""}`);
    }
    const last = [...byHost.entries()].sort((a, b) => a[1][a[1].length - 1]!.t - b[1][b[1].length - 1]!.t).pop()!;
    const first = last[1][0]!.t;
    const end = last[1][last[1].length - 1]!.t;
    out.push(`critical path (the last host to finish: ${last[0]})`);
    let prev = 0;
    const step = (t: number, name: string) => {
      out.push(`  ${ms(t)}  +${(t - prev).toFixed(0).padStart(5)}  ${name}`);
      prev = t;
    };
    for (const m of global) if (m.t <= first) step(m.t, m.name);
    for (const m of last[1]) step(m.t, `${last[0]}: ${m.name}`);
    for (const m of global) if (m.t > end) step(m.t, m.name);
  }
  return out.join("\n") + "\n";
}
