// A batch of requests in one round trip (Connection.execBatch): the pure text of the script and
// the splitting of its output. The run layer's pipelined applies (engine/run/applies.ts) use it.
//
// The batch itself runs without become, through the persistent shell like any command; each step
// is `inner`, the same one-line text `exec` would run for its request (become wrapping included),
// with its stdin from its own base64 here-doc as in framing.ts. Every step is framed on stdout AND
// stderr by markers holding a random nonce, so a step's output cannot fake a frame. After a step
// whose condition does not hold, the batch exits: the steps after it never run, and print nothing.
//
// A probe guard writes the probe's output to a file in a private temporary directory, prints it,
// and compares its SHA-256 (with ":rc" appended) with the expected digest. Without the directory
// (mktemp failed) the batch stops before the guard; without sha256sum the digest never matches, so
// the batch stops after it (its output is still the probe's real output).
import { createHash } from "node:crypto";
import { InternalError } from "../core/errors.js";
import type { ExecResult } from "../core/module.js";
import { base64Lines } from "./framing.js";

export interface ScriptStep {
  /** One line of shell (newlines only inside quotes) that reads its stdin from its own stdin. */
  inner: string;
  stdin?: Buffer;
  goOn: "rc0" | "always" | { sha256: string };
}

/** The digest a guard compares: sha256 of the probe's stdout bytes, ":" and its exit code. */
export function guardDigest(stdout: string | Buffer, rc: number): string {
  return createHash("sha256").update(stdout).update(`:${rc}`).digest("hex");
}

const begin = (nonce: string, i: number) => `@@KEEL-${nonce}-STEP-${i}@@`;
const endOut = (nonce: string, i: number) => `@@KEEL-${nonce}-STEP-END-${i}-`;
const endErr = (nonce: string, i: number) => `@@KEEL-${nonce}-STEP-END-${i}@@`;

export function batchScript(steps: readonly ScriptStep[], nonce: string): string {
  const guards = steps.some((s) => typeof s.goOn === "object");
  const out: string[] = [];
  if (guards) out.push(`_kt=$(mktemp -d 2>/dev/null) || _kt=`, `trap 'rm -rf "$_kt"' EXIT`);
  steps.forEach((s, i) => {
    const b = begin(nonce, i);
    if (typeof s.goOn === "object") {
      out.push(`[ -n "$_kt" ] || exit 0`);
      out.push(`printf '%s\\n' '${b}'; printf '%s\\n' '${b}' >&2`);
      out.push(`{ ${s.inner}; } </dev/null 2>/dev/null >"$_kt/o"; _kr=$?; cat "$_kt/o"`);
    } else {
      out.push(`printf '%s\\n' '${b}'; printf '%s\\n' '${b}' >&2`);
      if (s.stdin === undefined) out.push(`{ ${s.inner}; } </dev/null`);
      else {
        const delim = `__KEEL_${nonce}_S${i}_IN`;
        out.push(`{ base64 -d <<'${delim}' | { ${s.inner}; }\n${base64Lines(s.stdin)}${delim}\n}`);
      }
      out.push(`_kr=$?`);
    }
    out.push(`printf '\\n%s%s@@\\n' '${endOut(nonce, i)}' "$_kr"; printf '\\n%s\\n' '${endErr(nonce, i)}' >&2`);
    if (s.goOn === "rc0") out.push(`[ "$_kr" -eq 0 ] || exit 0`);
    else if (typeof s.goOn === "object") {
      out.push(`_kh=$( { cat "$_kt/o"; printf ':%s' "$_kr"; } 2>/dev/null | sha256sum 2>/dev/null | cut -c1-64 )`);
      out.push(`[ "$_kh" = '${s.goOn.sha256}' ] || exit 0`);
    }
  });
  out.push("exit 0");
  return out.join("\n") + "\n";
}

/**
 * The results of the steps that ran, in order. A step whose frame begins but does not end (the
 * batch was killed half-way) is an InternalError: nothing read from a half-run batch is trusted.
 */
export function splitBatch(stdout: Buffer, stderr: Buffer, count: number, nonce: string): ExecResult[] {
  const res: ExecResult[] = [];
  let at = 0;
  let atErr = 0;
  for (let i = 0; i < count; i++) {
    const b = Buffer.from(begin(nonce, i) + "\n");
    const s = stdout.indexOf(b, at);
    if (s < 0) break;
    const start = s + b.length;
    const eo = Buffer.from("\n" + endOut(nonce, i));
    const e = stdout.indexOf(eo, start);
    if (e < 0) throw new InternalError(`batch output of step ${i + 1} of ${count} is cut short`);
    const tail = stdout.subarray(e + eo.length, e + eo.length + 16).toString("latin1");
    const m = /^(\d+)@@\n/.exec(tail);
    if (!m) throw new InternalError(`malformed end marker of batch step ${i + 1}`);
    at = e + eo.length + m[0].length;
    const se = stderr.indexOf(b, atErr);
    const ee = se < 0 ? -1 : stderr.indexOf(Buffer.from(`\n${endErr(nonce, i)}\n`), se + b.length);
    if (ee < 0) throw new InternalError(`batch error output of step ${i + 1} of ${count} is cut short`);
    res.push({ stdout: stdout.subarray(start, e).toString("utf8"), stderr: stderr.subarray(se + b.length, ee).toString("utf8"), rc: Number(m[1]) });
    atErr = ee + endErr(nonce, i).length + 2;
  }
  return res;
}
