// Probe batching (DESIGN.md, "Performance model"): the probes of many tasks are joined into one
// shell script, run in one round trip, and split back apart by markers.
//
// Each probe runs in its own subshell with stdin from /dev/null and stderr discarded, so an `exit`
// or a failing command inside one probe cannot affect the others; its exit code is captured after
// it. The markers carry a random nonce so probe output can never be mistaken for a frame.
//
// One base64 for the whole batch: the batch's output goes through ONE `base64` process, and inside
// it the probes print their `key:b64=` values as raw bytes between two marks ($_keel_rm, set here;
// engine/core/snippets.ts prints them so), which the controller turns back into base64 text. Each
// probe's output therefore comes back byte for byte as the same script prints it alone (where
// every value goes through its own base64 process: each exec costs the host about a millisecond).
// The raw mark holds the batch's random nonce, so a value's bytes cannot end it early.
import { randomBytes } from "node:crypto";
import { InternalError } from "../core/errors.js";
import { prefetchPrelude } from "../core/prefetch.js";
import { expandRawValues, rawMark } from "../core/record.js";

export interface ProbeOutput {
  stdout: string;
  rc: number;
}

/** Build one script that runs every probe in order and frames its output. */
export function joinProbes(scripts: readonly string[], nonce = randomBytes(6).toString("hex")): { script: string; nonce: string } {
  // the reads the probes' hints ask for, once for all of them (engine/core/prefetch.ts)
  const parts: string[] = ["{", `_keel_rm='${rawMark(nonce)}'`, ...prefetchPrelude(scripts, `@@KEEL-${nonce}-P`)];
  scripts.forEach((s, i) => {
    // The newline printed before the END marker is removed again when splitting, so the probe's
    // stdout comes back byte for byte (with or without its own trailing newline).
    parts.push(`printf '%s\\n' '@@KEEL-${nonce}-BEGIN-${i}@@'`);
    parts.push(`(\n${s}\n) </dev/null 2>/dev/null`);
    parts.push(`printf '\\n@@KEEL-${nonce}-END-${i}-%s@@\\n' "$?"`);
  });
  // base64 wraps its lines (GNU and busybox alike); the reader ignores the line breaks
  parts.push("} | base64");
  return { script: parts.join("\n") + "\n", nonce };
}

const B64_TEXT = /^[A-Za-z0-9+/]*={0,2}$/;

/** The batch's bytes from base64's lines (strict: anything else is not a batch's output). */
function decodeBatch(stdout: string): Buffer {
  const text = stdout.replace(/\n/g, "");
  if (text.length % 4 !== 0 || !B64_TEXT.test(text)) throw new InternalError("probe batch output is cut short or is not base64");
  return Buffer.from(text, "base64");
}

/**
 * Split the output of a joined script into one result per probe.
 * A probe whose frame is missing or cut short (the batch was killed) is an InternalError:
 * the caller cannot trust any state read from a half-run batch.
 */
export function splitProbes(stdout: string, count: number, nonce: string): ProbeOutput[] {
  // latin1: one character per byte, so the frames are found in the bytes and sliced back out whole
  const all = decodeBatch(stdout).toString("latin1");
  const mark = rawMark(nonce);
  const out: ProbeOutput[] = [];
  let at = 0;
  for (let i = 0; i < count; i++) {
    const begin = `@@KEEL-${nonce}-BEGIN-${i}@@\n`;
    const b = all.indexOf(begin, at);
    if (b < 0) throw new InternalError(`probe batch output is missing the frame of probe ${i + 1} of ${count}`);
    const start = b + begin.length;
    const endRe = new RegExp(`\\n@@KEEL-${nonce}-END-${i}-(\\d+)@@\\n`, "g");
    endRe.lastIndex = start;
    const m = endRe.exec(all);
    if (!m) throw new InternalError(`probe batch output of probe ${i + 1} of ${count} is cut short`);
    out.push({ stdout: expandRawValues(Buffer.from(all.slice(start, m.index), "latin1"), mark).toString("utf8"), rc: Number(m[1]) });
    at = m.index + m[0].length;
  }
  return out;
}
