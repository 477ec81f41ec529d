// Values that become one line of a line-oriented file (sudoers, authorized_keys, sysctl.conf,
// /etc/passwd…) must stay one line: a newline in a sudoers `user` would add a rule of its own
// (issue 10 #2). Modules call refuseLineBreaks from `validate`, so the refusal happens at load when
// the value is known, or per host before anything is written. lineDelta lets a change summary name
// every line that changes, not only the last one.
import { ArgError } from "./errors.js";

const BREAK = /[\n\r\0]/;

/**
 * ArgError when `value` (a string, or each string of a list) holds "\n", "\r" or NUL. `file` names
 * what the value is written into, for the message ("the sudoers rule").
 */
export function refuseLineBreaks(arg: string, value: unknown, file: string): void {
  const list = Array.isArray(value) ? value : [value];
  list.forEach((v, i) => {
    if (typeof v !== "string") return;
    const m = BREAK.exec(v);
    if (!m) return;
    const what = m[0] === "\n" ? "a newline" : m[0] === "\r" ? "a carriage return" : "a NUL byte";
    const label = Array.isArray(value) ? `${arg}[${i}]` : arg;
    throw new ArgError(
      arg,
      `argument '${label}' contains ${what}: it becomes one line of ${file}, and a line break there would add a line of its own`,
      `write the value on one line: ${JSON.stringify(v)}`,
    );
  });
}

/**
 * refuseLineBreaks for every string of every argument, inside lists and mappings too (mapping keys
 * included), as the database modules check their arguments at load. The hint quotes the refused
 * value, so an argument named in `secret` has its characters starred first, line breaks kept.
 */
export function refuseLineBreaksDeep(args: object, file: string, secret: ReadonlySet<string> = new Set()): void {
  const walk = (arg: string, v: unknown): void => {
    if (Array.isArray(v)) for (const x of v) walk(arg, x);
    else if (v && typeof v === "object")
      for (const [k, x] of Object.entries(v)) {
        refuseLineBreaks(arg, k, file);
        walk(arg, x);
      }
    else refuseLineBreaks(arg, typeof v === "string" && secret.has(arg) ? v.replace(/[^\0\r\n]/g, "*") : v, file);
  };
  for (const [k, v] of Object.entries(args)) walk(k, v);
}

/** Each object argument whose named keys must be single lines. */
export function refuseLineBreaksIn(args: object, keys: readonly string[], file: string): void {
  for (const k of keys) refuseLineBreaks(k, (args as Record<string, unknown>)[k], file);
}

/**
 * Every line removed and added between two texts (a multiset difference, in order), for a change
 * summary: '- "old rule", + "new rule"'. Lines are quoted so that control characters show.
 */
export function lineDelta(before: string, after: string): string {
  const split = (t: string) => (t === "" ? [] : t.replace(/\n$/, "").split("\n"));
  const b = split(before);
  const a = split(after);
  const left = new Map<string, number>();
  for (const l of a) left.set(l, (left.get(l) ?? 0) + 1);
  const removed: string[] = [];
  for (const l of b) {
    const n = left.get(l) ?? 0;
    if (n > 0) left.set(l, n - 1);
    else removed.push(l);
  }
  const keep = new Map<string, number>();
  for (const l of b) keep.set(l, (keep.get(l) ?? 0) + 1);
  const added: string[] = [];
  for (const l of a) {
    const n = keep.get(l) ?? 0;
    if (n > 0) keep.set(l, n - 1);
    else added.push(l);
  }
  return [...removed.map((l) => `- ${JSON.stringify(l)}`), ...added.map((l) => `+ ${JSON.stringify(l)}`)].join(", ");
}
