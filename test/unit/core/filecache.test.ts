// engine/core/filecache: a file is read and parsed once while it is unchanged, and read again as
// soon as its inode, size or mtime change, or when it was modified too recently to trust its mtime.
import { describe, it, expect, afterEach } from "vitest";
import { mkdtempSync, renameSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readFileCached, readFileBytesCached } from "../../../engine/core/filecache.js";

const dirs: string[] = [];
afterEach(() => {
  while (dirs.length) rmSync(dirs.pop()!, { recursive: true, force: true });
});

function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), "keel-filecache-"));
  dirs.push(d);
  return d;
}

/** Write `text` and date the file `agoS` seconds back. */
function write(path: string, text: string, agoS: number): void {
  writeFileSync(path, text);
  const t = new Date(Date.now() - agoS * 1000);
  utimesSync(path, t, t);
}

function counter() {
  const calls: string[] = [];
  const parse = (b: Buffer) => {
    calls.push(b.toString());
    return { text: b.toString() };
  };
  return { calls, parse };
}

describe("readFileCached", () => {
  it("parses a settled file once, and returns the same value after", () => {
    const f = join(tmp(), "known_hosts");
    write(f, "a b c", 60);
    const { calls, parse } = counter();
    const v1 = readFileCached(f, parse);
    const v2 = readFileCached(f, parse);
    expect(v1).toEqual({ text: "a b c" });
    expect(v2).toBe(v1);
    expect(calls).toEqual(["a b c"]);
  });

  it("reads again when the mtime changes, even at the same size", () => {
    const f = join(tmp(), "k");
    write(f, "one", 60);
    const { calls, parse } = counter();
    readFileCached(f, parse);
    write(f, "two", 30);
    expect(readFileCached(f, parse)).toEqual({ text: "two" });
    expect(calls).toEqual(["one", "two"]);
  });

  it("reads again when the file is replaced (new inode) with the same size and mtime", () => {
    const d = tmp();
    const f = join(d, "k");
    write(f, "one", 60);
    const { parse } = counter();
    readFileCached(f, parse);
    const other = join(d, "k.new");
    writeFileSync(other, "two");
    const t = new Date(Date.now() - 60_000);
    utimesSync(other, t, t);
    utimesSync(f, t, t);
    renameSync(other, f);
    expect(readFileCached(f, parse)).toEqual({ text: "two" });
  });

  it("never keeps a file modified within the last seconds (coarse timestamps)", () => {
    const f = join(tmp(), "k");
    writeFileSync(f, "fresh");
    const { calls, parse } = counter();
    readFileCached(f, parse);
    readFileCached(f, parse);
    expect(calls).toEqual(["fresh", "fresh"]);
  });

  it("throws what reading throws for a missing file", () => {
    expect(() => readFileCached(join(tmp(), "nope"), counter().parse)).toThrow(/ENOENT/);
  });

  it("the raw bytes and a parse of them share one read", () => {
    const f = join(tmp(), "k");
    write(f, "bytes", 60);
    expect(readFileBytesCached(f).toString()).toBe("bytes");
    const { calls, parse } = counter();
    expect(readFileCached(f, parse)).toEqual({ text: "bytes" });
    expect(readFileCached(f, parse)).toEqual({ text: "bytes" });
    expect(calls).toEqual(["bytes"]);
  });
});
