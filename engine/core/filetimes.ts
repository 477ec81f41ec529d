// files.file's modification_time and access_time, with Ansible's semantics:
//   "preserve" leaves the time alone; "now" sets it to the current time (so the task reports a
//   change on every run, as Ansible does); anything else is a time in *_time_format (strftime
//   directives, default "%Y%m%d%H%M.%S"), read in the HOST's local time zone as Python's
//   time.mktime reads it on the host: the probe turns it into seconds with `date -d`.
//   Omitted: "now" for state=touch, "preserve" for every other state (Ansible's defaults).
// A time is converged when the file's time equals it exactly (st_mtime with its nanoseconds).
import { InputError } from "./errors.js";
import { findRec, type Rec } from "./record.js";
import { shq } from "./shell.js";
import { snip } from "./snippets.js";
import type { Change, JSONSchema } from "./module.js";

export interface TimeArgs {
  state?: string;
  modification_time?: string;
  modification_time_format?: string;
  access_time?: string;
  access_time_format?: string;
}

export const DEFAULT_TIME_FORMAT = "%Y%m%d%H%M.%S";

export const TIME_SCHEMAS: Record<keyof Omit<TimeArgs, "state">, JSONSchema> = {
  modification_time: {
    type: "string",
    minLength: 1,
    description:
      "The file's modification time: preserve (leave it), now (set it to the current time: a change on every run, as Ansible), or a time in modification_time_format, in the host's time zone. Default: now for state=touch, preserve otherwise.",
  },
  modification_time_format: {
    type: "string",
    minLength: 1,
    default: DEFAULT_TIME_FORMAT,
    description: 'The format of modification_time (strftime directives %Y %y %m %d %H %M %S). Default "%Y%m%d%H%M.%S".',
  },
  access_time: {
    type: "string",
    minLength: 1,
    description: "The file's access time: preserve, now, or a time in access_time_format. Default: now for state=touch, preserve otherwise.",
  },
  access_time_format: {
    type: "string",
    minLength: 1,
    default: DEFAULT_TIME_FORMAT,
    description: 'The format of access_time (strftime directives %Y %y %m %d %H %M %S). Default "%Y%m%d%H%M.%S".',
  },
};

/** One wanted time: leave it, the current time, or a local wall-clock time ("2026-12-03 10:00:00"). */
export type TimeSpec = { kind: "preserve" } | { kind: "now" } | { kind: "at"; local: string; text: string };

const DIRECTIVES: Record<string, { re: string; key: "Y" | "y" | "m" | "d" | "H" | "M" | "S" }> = {
  Y: { re: "(\\d{4})", key: "Y" },
  y: { re: "(\\d{2})", key: "y" },
  m: { re: "(\\d{1,2})", key: "m" },
  d: { re: "(\\d{1,2})", key: "d" },
  H: { re: "(\\d{1,2})", key: "H" },
  M: { re: "(\\d{1,2})", key: "M" },
  S: { re: "(\\d{1,2})", key: "S" },
};

/** Python's time.strptime for the numeric directives: the wall-clock time as "YYYY-MM-DD HH:MM:SS". */
export function strptimeLocal(value: string, format: string, arg: string): string {
  const keys: string[] = [];
  let re = "";
  for (let i = 0; i < format.length; i++) {
    const c = format[i]!;
    if (c !== "%") {
      re += /\s/.test(c) ? "\\s+" : c.replace(/[.*+?^${}()|[\]\\/-]/g, "\\$&");
      continue;
    }
    const d = format[++i];
    if (d === "%") re += "%";
    else if (d !== undefined && DIRECTIVES[d]) {
      re += DIRECTIVES[d].re;
      keys.push(DIRECTIVES[d].key);
    } else throw new InputError(`${arg}_format: directive %${d ?? ""} is not supported by keel`, undefined, "use %Y %y %m %d %H %M %S and literal characters");
  }
  const m = new RegExp(`^${re}$`).exec(value.trim());
  const fail = () =>
    new InputError(`Error while obtaining timestamp for time ${value} using format ${format}`, undefined, `write ${arg} as ${format}, or now, or preserve`);
  if (!m) throw fail();
  const v: Record<string, number> = { Y: 1900, m: 1, d: 1, H: 0, M: 0, S: 0 };
  keys.forEach((k, i) => {
    const n = Number(m[i + 1]);
    // Python: %y 69–99 is 1969–1999, 00–68 is 2000–2068
    if (k === "y") v.Y = n < 69 ? 2000 + n : 1900 + n;
    else v[k] = n;
  });
  const days = new Date(Date.UTC(v.Y!, v.m!, 0)).getUTCDate();
  if (v.m! < 1 || v.m! > 12 || v.d! < 1 || v.d! > days || v.H! > 23 || v.M! > 59 || v.S! > 61) throw fail();
  const p = (n: number, w = 2) => String(n).padStart(w, "0");
  return `${p(v.Y!, 4)}-${p(v.m!)}-${p(v.d!)} ${p(v.H!)}:${p(v.M!)}:${p(Math.min(v.S!, 59))}`;
}

function spec(value: string | undefined, format: string | undefined, state: string | undefined, arg: string): TimeSpec {
  const v = value ?? (state === "touch" ? "now" : "preserve");
  if (v === "preserve") return { kind: "preserve" };
  if (v === "now") return { kind: "now" };
  return { kind: "at", local: strptimeLocal(v, format ?? DEFAULT_TIME_FORMAT, arg), text: v };
}

/** The wanted modification and access times (throws InputError on a time that does not parse). */
export function timeSpecs(a: TimeArgs): { mtime: TimeSpec; atime: TimeSpec } {
  return {
    mtime: spec(a.modification_time, a.modification_time_format, a.state, "modification_time"),
    atime: spec(a.access_time, a.access_time_format, a.state, "access_time"),
  };
}

export function wantsTimes(a: TimeArgs): boolean {
  const t = timeSpecs(a);
  return t.mtime.kind !== "preserve" || t.atime.kind !== "preserve";
}

/** Probe lines: an @times record of the path in $_kp (followed): its times, and the wanted ones in seconds. */
export function timesScript(a: TimeArgs): string {
  const t = timeSpecs(a);
  const lines = [snip.begin("times"), `if [ -e "$_kp" ]; then stat -L -c 'atime=%.9X${"\n"}mtime=%.9Y' -- "$_kp" 2>/dev/null; fi`];
  for (const [k, s] of [
    ["want_mtime", t.mtime],
    ["want_atime", t.atime],
  ] as const)
    if (s.kind === "at") lines.push(snip.field(k, `"$(date -d ${shq(s.local)} +%s 2>/dev/null)"`));
  return lines.join("\n");
}

export interface TimesState {
  atime?: string;
  mtime?: string;
  wantMtime?: number;
  wantAtime?: number;
}

export function parseTimes(recs: readonly Rec[]): TimesState | undefined {
  const r = findRec([...recs], "times");
  if (!r) return undefined;
  const out: TimesState = {};
  for (const k of ["atime", "mtime"] as const) {
    const v = r.get(k);
    if (v !== undefined && v !== "") out[k] = v;
  }
  const wm = r.int("want_mtime");
  if (wm !== undefined) out.wantMtime = wm;
  const wa = r.int("want_atime");
  if (wa !== undefined) out.wantAtime = wa;
  return out;
}

/** Set the times: "now", or seconds since the epoch; absent: leave it. */
export interface TimesOp {
  op: "times";
  mtime?: "now" | number;
  atime?: "now" | number;
}

/** What to set, given the file's times (undefined for a path to be created); undefined when both match. */
export function timesPlan(
  a: TimeArgs,
  st: TimesState | undefined,
  created: boolean,
): { op: TimesOp; summary: string; before: string; after: string } | undefined {
  const t = timeSpecs(a);
  const op: TimesOp = { op: "times" };
  const said: string[] = [];
  const before: string[] = [];
  const after: string[] = [];
  for (const [key, name, s, cur, want] of [
    ["mtime", "modification time", t.mtime, st?.mtime, st?.wantMtime],
    ["atime", "access time", t.atime, st?.atime, st?.wantAtime],
  ] as const) {
    if (s.kind === "preserve") continue;
    if (s.kind === "now") {
      // creating the path sets it to now already
      if (created) continue;
      op[key] = "now";
      said.push(`${name} ${fmt(cur)} → now`);
      before.push(`${key} ${cur ?? "?"}`);
      after.push(`${key} now`);
      continue;
    }
    if (want === undefined)
      throw new InputError(`the host could not read ${s.text} as a time (date -d '${s.local}')`, undefined, "check the time and its format");
    if (!created && cur !== undefined && Number(cur) === want) continue;
    op[key] = want;
    said.push(`${name} ${fmt(cur)} → ${s.text}`);
    before.push(`${key} ${cur ?? "?"}`);
    after.push(`${key} ${want}`);
  }
  if (op.mtime === undefined && op.atime === undefined) return undefined;
  return { op, summary: said.join(", "), before: before.join(", "), after: after.join(", ") };
}

function fmt(cur: string | undefined): string {
  if (cur === undefined) return "(new)";
  const d = new Date(Number(cur) * 1000);
  return Number.isNaN(d.getTime()) ? cur : `${d.toISOString().replace(/\.\d+Z$/, "Z")}`;
}

/** The touch commands of a times op (touch -c never creates; -d @N is seconds since the epoch). */
export function timesCommands(path: string, p: TimesOp): string[] {
  const arg = (v: "now" | number) => (v === "now" ? "" : ` -d @${v}`);
  const q = shq(path);
  if (p.mtime !== undefined && p.atime !== undefined && p.mtime === p.atime) return [`touch -c${arg(p.mtime)} -- ${q}`];
  const out: string[] = [];
  if (p.mtime !== undefined) out.push(`touch -c -m${arg(p.mtime)} -- ${q}`);
  if (p.atime !== undefined) out.push(`touch -c -a${arg(p.atime)} -- ${q}`);
  return out;
}

/** The change of an existing path whose times differ from the task's (none with preserve). */
export function timeChanges(st: TimesState | undefined, a: TimeArgs): Change<TimesOp>[] {
  if (!wantsTimes(a)) return [];
  const p = timesPlan(a, st, false);
  return p ? [{ summary: p.summary, field: "times", before: p.before, after: p.after, data: p.op }] : [];
}
