// Controller files that every host of a run needs (known_hosts, the private key, copy/template
// sources): read and parsed once per process instead of once per host and task.
//
// An entry is used only while the file's device, inode, size and mtime are what they were when it
// was read. A file modified less than RACY_MS before it was read is not kept (as git treats
// "racily clean" index entries): timestamps are coarse, so a same-size rewrite within that window
// could otherwise look unchanged.
import { readFileSync, statSync } from "node:fs";

const RACY_MS = 2000;
const MAX_ENTRIES = 512;
const MAX_FILE_BYTES = 1 << 20;

interface Entry {
  dev: bigint;
  ino: bigint;
  size: bigint;
  mtimeNs: bigint;
  /** One parsed value per parser (a file may be read raw by one caller and parsed by another). */
  values: Map<unknown, unknown>;
}

const entries = new Map<string, Entry>();

/**
 * `parse(readFileSync(path))`, reused while the file is unchanged. Throws what statSync or
 * readFileSync throw (ENOENT…). `parse` must be pure and should be one function for all calls (a
 * module-level one), and its result must not be mutated by callers.
 */
export function readFileCached<T>(path: string, parse: (data: Buffer) => T): T {
  const st = statSync(path, { bigint: true });
  const e = entries.get(path);
  if (e && e.dev === st.dev && e.ino === st.ino && e.size === st.size && e.mtimeNs === st.mtimeNs) {
    if (e.values.has(parse)) return e.values.get(parse) as T;
    // The bytes are kept under the identity parser; reparse them without touching the disk.
    const raw = e.values.get(RAW);
    if (raw !== undefined) {
      const v = parse(raw as Buffer);
      if (e.values.size >= 8) for (const k of [...e.values.keys()]) if (k !== RAW) e.values.delete(k); // parsers that are fresh closures
      e.values.set(parse, v);
      return v;
    }
  }
  const data = readFileSync(path);
  const value = parse(data);
  const settled = Date.now() - Number(st.mtimeNs / 1_000_000n) > RACY_MS;
  if (settled && data.length === Number(st.size) && data.length <= MAX_FILE_BYTES) {
    if (entries.size >= MAX_ENTRIES) entries.clear();
    const values = new Map<unknown, unknown>([[RAW, data]]);
    values.set(parse, value);
    entries.set(path, { dev: st.dev, ino: st.ino, size: st.size, mtimeNs: st.mtimeNs, values });
  } else entries.delete(path);
  return value;
}

const RAW = (b: Buffer): Buffer => b;

/** The file's bytes, reused while it is unchanged (the Buffer is shared: do not modify it). */
export function readFileBytesCached(path: string): Buffer {
  return readFileCached(path, RAW);
}
