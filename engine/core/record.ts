// The one probe-output format (issue 9): every probe prints records, and this is its only reader.
//
// Wire format, one line each:
//   @kind id            starts a record; kind and id match [A-Za-z0-9_.:-]+; the id is optional
//   key=value           a raw value, to the end of the line (it cannot hold a newline)
//   key:b64=BASE64      a base64 value: arbitrary bytes, newlines, NUL…
//   (blank lines are ignored; any other line is an error that names the line)
// Keys match [A-Za-z0-9_.-]+. A key may appear once per record. The snippets that print records
// live in engine/core/snippets.ts.
import { ProbeParseError } from "./errors.js";

/** One record of a probe's output. */
export interface Rec {
  /** From the line "@kind id". */
  kind: string;
  /** The label the probe author chose ("" when absent). */
  id: string;
  /** Values as they appear on the wire (base64 text for `:b64` fields). */
  fields: Record<string, string>;
  /** The value as text: raw, or base64-decoded as UTF-8. */
  get(key: string): string | undefined;
  /** The value as bytes (exact for `:b64` fields). */
  buf(key: string): Buffer | undefined;
  /** The value as an integer; undefined when absent; ProbeParseError when present but not an integer. */
  int(key: string): number | undefined;
  has(key: string): boolean;
}

export const REC_NAME = /^[A-Za-z0-9_.:-]+$/;
export const REC_KEY = /^[A-Za-z0-9_.-]+$/;
/** Base64 with padding: whole groups of 4 (the length test), `=` only as the last one or two. Twice as fast as a group-by-group pattern on file contents. */
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const isBase64 = (v: string) => v.length % 4 === 0 && BASE64.test(v);

class Record_ implements Rec {
  readonly fields: Record<string, string> = Object.create(null);
  readonly b64 = new Set<string>();
  constructor(
    readonly kind: string,
    readonly id: string,
  ) {}

  get(key: string): string | undefined {
    if (!this.has(key)) return undefined;
    const v = this.fields[key]!;
    return this.b64.has(key) ? Buffer.from(v, "base64").toString("utf8") : v;
  }

  buf(key: string): Buffer | undefined {
    if (!this.has(key)) return undefined;
    const v = this.fields[key]!;
    return this.b64.has(key) ? Buffer.from(v, "base64") : Buffer.from(v, "utf8");
  }

  int(key: string): number | undefined {
    const v = this.get(key);
    if (v === undefined) return undefined;
    if (!/^-?[0-9]+$/.test(v)) throw new ProbeParseError(`probe record @${this.kind}${this.id ? ` ${this.id}` : ""}: ${key} is not an integer: ${show(v)}`);
    return Number(v);
  }

  has(key: string): boolean {
    return Object.prototype.hasOwnProperty.call(this.fields, key);
  }
}

/** Parse a probe's stdout into records. ProbeParseError names the first malformed line. */
export function parseRecords(stdout: string): Rec[] {
  const recs: Rec[] = [];
  let cur: Record_ | undefined;
  const lines = stdout.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const n = i + 1;
    if (line === "") continue;
    if (line.startsWith("@")) {
      const sp = line.indexOf(" ");
      const kind = sp < 0 ? line.slice(1) : line.slice(1, sp);
      const id = sp < 0 ? "" : line.slice(sp + 1);
      if (!REC_NAME.test(kind) || (sp >= 0 && !REC_NAME.test(id))) throw bad(n, line, 'a record starts with "@kind" or "@kind id" ([A-Za-z0-9_.:-]+)');
      cur = new Record_(kind, id);
      recs.push(cur);
      continue;
    }
    const eq = line.indexOf("=");
    if (eq < 0) throw bad(n, line, 'expected "@kind id", "key=value" or "key:b64=BASE64"');
    let key = line.slice(0, eq);
    const value = line.slice(eq + 1);
    const isB64 = key.endsWith(":b64");
    if (isB64) key = key.slice(0, -4);
    if (!REC_KEY.test(key)) throw bad(n, line, "a key is [A-Za-z0-9_.-]+, optionally followed by :b64");
    if (!cur) throw bad(n, line, "a field before the first @record");
    if (cur.has(key)) throw bad(n, line, `field ${key} given twice in record @${cur.kind}${cur.id ? ` ${cur.id}` : ""}`);
    if (isB64) {
      if (!isBase64(value)) throw bad(n, line, `field ${key} is not valid base64`);
      cur.b64.add(key);
    }
    cur.fields[key] = value;
  }
  return recs;
}

/** The first record of that kind (and id, when given). */
export function findRec(recs: readonly Rec[], kind: string, id?: string): Rec | undefined {
  return recs.find((r) => r.kind === kind && (id === undefined || r.id === id));
}

/** Every record of that kind, in output order. */
export function allRecs(recs: readonly Rec[], kind: string): Rec[] {
  return recs.filter((r) => r.kind === kind);
}

function bad(n: number, line: string, why: string): ProbeParseError {
  return new ProbeParseError(`probe output line ${n}: ${why}, got ${show(line)}`, n);
}

function show(s: string): string {
  return JSON.stringify(s.length > 80 ? `${s.slice(0, 80)}…` : s);
}

/** The mark around raw values for a nonce (a batch's, the facts stream's): `${mark}{` bytes `${mark}}`. */
export function rawMark(nonce: string): string {
  return `@@KEEL-${nonce}-RAW`;
}

/**
 * A probe output whose `key:b64=` values were printed raw between `${mark}{` and `${mark}}` (a probe
 * batch, the facts probe's stream: engine/run/batch.ts), with each such value turned into its
 * base64 text: the bytes the same script prints when every value has its own base64 process. A raw
 * value that does not end, or an end without its start, is a ProbeParseError.
 */
export function expandRawValues(body: Buffer, mark: string): Buffer {
  const open = Buffer.from(`${mark}{`);
  const close = Buffer.from(`${mark}}`);
  if (!body.includes(open) && !body.includes(close)) return body;
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const o = body.indexOf(open, at);
    const text = body.subarray(at, o < 0 ? body.length : o);
    if (text.includes(close)) throw new ProbeParseError("probe output has the end of a raw value without its start");
    parts.push(text);
    if (o < 0) break;
    const c = body.indexOf(close, o + open.length);
    if (c < 0) throw new ProbeParseError("probe output has a raw value that does not end");
    parts.push(Buffer.from(body.subarray(o + open.length, c).toString("base64"), "latin1"));
    at = c + close.length;
  }
  return Buffer.concat(parts);
}
