// Text that a host sent (command output, messages, file contents in diffs, probe values) must not
// drive the terminal it is printed on: an escape sequence in a command's stderr could erase lines,
// print a forged "ok" line, set the window title or worse (issue 10 #12). Every terminal reporter
// passes events through termSafeEvent before formatting them; keel's own colours are added after.
// Newlines and tabs are kept; CR of a CRLF line end is dropped; every other C0 control, DEL, the
// C1 controls (U+0080–U+009F, which some terminals obey as ESC sequences), and the bidi overrides
// that can reorder what is shown become visible escapes such as `\x1b` or `\u202e`.
import type { KeelEvent } from "../core/events.js";

const UNSAFE = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

export function termSafe(s: string): string {
  if (!UNSAFE.test(s)) return s;
  UNSAFE.lastIndex = 0;
  return s.replace(/\r\n/g, "\n").replace(UNSAFE, (c) => {
    const n = c.charCodeAt(0);
    return n <= 0xff ? `\\x${n.toString(16).padStart(2, "0")}` : `\\u${n.toString(16).padStart(4, "0")}`;
  });
}

/** A copy of any value with every string (and object key) made terminal-safe. */
export function termSafeDeep<T>(v: T): T {
  if (typeof v === "string") return termSafe(v) as T;
  if (Array.isArray(v)) return v.map(termSafeDeep) as T;
  if (v !== null && typeof v === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[termSafe(k)] = termSafeDeep(x);
    return out as T;
  }
  return v;
}

/** The event as a terminal reporter may print it. Facts are not printed by reporters: left alone. */
export function termSafeEvent(e: KeelEvent): KeelEvent {
  if (e.type === "host.facts") return e;
  return termSafeDeep(e);
}
