// Probe batching (DESIGN.md, "Performance model"): the probes of many tasks are joined into one
// shell script, run in one round trip, and split back apart by markers.
//
// Each probe runs in its own subshell with stdin from /dev/null and stderr discarded, so an `exit`
// or a failing command inside one probe cannot affect the others; its exit code is captured after
// it. The markers carry a random nonce so probe output can never be mistaken for a frame.
import { randomBytes } from "node:crypto";
import { InternalError } from "../core/errors.js";

export interface ProbeOutput {
  stdout: string;
  rc: number;
}

/** Build one script that runs every probe in order and frames its output. */
export function joinProbes(scripts: readonly string[], nonce = randomBytes(6).toString("hex")): { script: string; nonce: string } {
  const parts: string[] = [];
  scripts.forEach((s, i) => {
    // The newline printed before the END marker is removed again when splitting, so the probe's
    // stdout comes back byte for byte (with or without its own trailing newline).
    parts.push(`printf '%s\\n' '@@KEEL-${nonce}-BEGIN-${i}@@'`);
    parts.push(`(\n${s}\n) </dev/null 2>/dev/null`);
    parts.push(`printf '\\n@@KEEL-${nonce}-END-${i}-%s@@\\n' "$?"`);
  });
  return { script: parts.join("\n") + "\n", nonce };
}

/**
 * Split the output of a joined script into one result per probe.
 * A probe whose frame is missing or cut short (the batch was killed) is an InternalError:
 * the caller cannot trust any state read from a half-run batch.
 */
export function splitProbes(stdout: string, count: number, nonce: string): ProbeOutput[] {
  const out: ProbeOutput[] = [];
  let at = 0;
  for (let i = 0; i < count; i++) {
    const begin = `@@KEEL-${nonce}-BEGIN-${i}@@\n`;
    const b = stdout.indexOf(begin, at);
    if (b < 0) throw new InternalError(`probe batch output is missing the frame of probe ${i + 1} of ${count}`);
    const start = b + begin.length;
    const endRe = new RegExp(`\\n@@KEEL-${nonce}-END-${i}-(\\d+)@@\\n`, "g");
    endRe.lastIndex = start;
    const m = endRe.exec(stdout);
    if (!m) throw new InternalError(`probe batch output of probe ${i + 1} of ${count} is cut short`);
    const body = stdout.slice(start, m.index);
    out.push({ stdout: body, rc: Number(m[1]) });
    at = m.index + m[0].length;
  }
  return out;
}
