// Property test (issue 10, "keep them closed"): arbitrary strings (newlines, NUL, quotes, $(),
// backticks, leading dashes, lone surrogates i.e. invalid UTF-8 once encoded, long values) through
// module arguments that reach the host. The probe and apply scripts run in a real /bin/sh through
// the FakeConnection of test/unit/run/fakes.ts; its putFile is replaced by the real atomic-write
// script, so file writes go through sh as well. For each value: nothing outside the declared
// resource changes (a `$(touch …)` that ran would show up), and the resource gets exactly the
// value or the task is refused with a clear error (never an internal error). Fixed seed, bounded
// runs; the counts are printed.
import { describe, it, expect } from "vitest";
import fc from "fast-check";
import { readdirSync, readFileSync, statSync, writeFileSync, existsSync, lstatSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { FakeConnection, FakeLab, runnerHarness, task, play } from "../run/fakes.js";
import { registry } from "../../../modules/index.js";
import { atomicWriteScript, parseAtomicWriteOutput } from "../../../engine/transport/atomic.js";
import type { Connection } from "../../../engine/core/connection.js";
import type { HostSpec } from "../../../engine/core/host.js";
import type { RunOptions } from "../../../engine/run/index.js";

const SEED = 20261203;
const RUNS = 40;
const { lab, run } = runnerHarness();

/** FakeConnection whose file writes run the real atomic-write script in sh. */
class ShConnection extends FakeConnection {
  override async putFile(path: string, content: Buffer, opts: Parameters<Connection["putFile"]>[2] = {}): Promise<{ backup?: string }> {
    const r = await this.exec({ command: atomicWriteScript(path, opts), stdin: content });
    if (r.rc !== 0) throw new Error(`write ${path} failed: ${r.stderr}`);
    const o = parseAtomicWriteOutput(r.stdout, r.stderr);
    return o.backup ? { backup: o.backup } : {};
  }
}
function shLab(): FakeLab {
  const l = lab(["h1"]);
  l.connect = async (spec: HostSpec) => new ShConnection(spec.name, l.dirs.get(spec.name)!);
  return l;
}

/** Every file under dir (relative path → content), to compare before and after. */
function snapshot(dir: string, skip: Set<string>): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string, rel: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      const r = rel ? `${rel}/${name}` : name;
      if (skip.has(r)) continue;
      const st = lstatSync(p);
      if (st.isDirectory()) {
        out.set(r + "/", "dir");
        walk(p, r);
      } else out.set(r, st.isSymbolicLink() ? "link" : readFileSync(p).toString("base64"));
    }
  };
  walk(dir, "");
  return out;
}

const PAYLOADS = [
  "$(touch $ROOT/pwned)",
  "`touch $ROOT/pwned`",
  "'; touch $ROOT/pwned; '",
  '"; touch "$ROOT/pwned',
  "-rf",
  "--",
  "\n",
  "\0",
  "\r\n",
  "$HOME",
  "\\",
  "'",
  '"',
  "*",
  "?",
  "~",
  "\u00e9",
  "\ud800",
  "\udfff",
  "😀",
  "%s",
  "\x1b[2K",
];
/** Strings biased toward what breaks shells; templates excluded (they are rendered, by design). */
const hostile = fc
  .oneof(
    {
      weight: 3,
      arbitrary: fc.array(fc.oneof(fc.constantFrom(...PAYLOADS), fc.string({ unit: "binary", maxLength: 8 })), { maxLength: 8 }).map((a) => a.join("")),
    },
    { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 64 }) },
    { weight: 1, arbitrary: fc.string({ minLength: 20_000, maxLength: 70_000 }) },
  )
  .filter((s) => !/\{\{|\{%|\{#/.test(s));

const clearRefusal = (msg: string | undefined) => typeof msg === "string" && msg.length > 0 && !/internal error/i.test(msg);

describe("module arguments with arbitrary strings, in a real sh", () => {
  it("files.copy content: the file holds exactly the bytes, nothing else changes", async () => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(hostile, async (s) => {
        n++;
        const l = shLab();
        const root = l.dirs.get("h1")!;
        writeFileSync(join(root, "sentinel"), "keep\n");
        const before = snapshot(root, new Set(["target"]));
        const r = await run(l, play([task("files.copy", { dest: join(root, "target"), content: s })]), { registry } as Partial<RunOptions>);
        const res = r.results("h1")[0]!.result;
        expect(snapshot(root, new Set(["target"]))).toEqual(before);
        if (res.status === "failed") {
          expect(clearRefusal(res.msg), res.msg).toBe(true);
          expect(existsSync(join(root, "target"))).toBe(false);
        } else expect(readFileSync(join(root, "target")).equals(Buffer.from(s, "utf8"))).toBe(true);
      }),
      { seed: SEED, numRuns: RUNS },
    );
    console.log(`fast-check files.copy content: ${n} runs (seed ${SEED})`);
  }, 120_000);

  it("files.copy dest name: the file is created under that exact name in its folder, or refused", async () => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(
        hostile.filter((s) => s.length < 200),
        async (s) => {
          n++;
          const l = shLab();
          const root = l.dirs.get("h1")!;
          const d = join(root, "d");
          mkdirSync(d, { recursive: true });
          writeFileSync(join(root, "sentinel"), "keep\n");
          const before = snapshot(root, new Set(["d"]));
          const r = await run(l, play([task("files.copy", { dest: `${d}/${s}`, content: "x" })]), { registry } as Partial<RunOptions>);
          const res = r.results("h1")[0]!.result;
          expect(snapshot(root, new Set(["d"]))).toEqual(before);
          if (res.status === "failed") expect(clearRefusal(res.msg), res.msg).toBe(true);
          else {
            // exactly one new entry in d (or a path below it when the name has slashes), holding x
            const names = readdirSync(d, { recursive: true })
              .map(String)
              .filter((p) => statSync(join(d, p)).isFile());
            expect(names.length).toBe(1);
            expect(readFileSync(join(d, names[0]!), "utf8")).toBe("x");
          }
        },
      ),
      { seed: SEED, numRuns: RUNS },
    );
    console.log(`fast-check files.copy dest: ${n} runs (seed ${SEED})`);
  }, 120_000);

  it("files.lineinfile line: the line is in the file after the old lines, or refused", async () => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(
        hostile.filter((s) => s.length < 5000),
        async (s) => {
          n++;
          const l = shLab();
          const root = l.dirs.get("h1")!;
          writeFileSync(join(root, "f"), "first\nlast\n");
          writeFileSync(join(root, "sentinel"), "keep\n");
          const before = snapshot(root, new Set(["f"]));
          const r = await run(l, play([task("files.lineinfile", { path: join(root, "f"), line: s })]), { registry } as Partial<RunOptions>);
          const res = r.results("h1")[0]!.result;
          expect(snapshot(root, new Set(["f"]))).toEqual(before);
          const text = readFileSync(join(root, "f")).toString("utf8");
          if (res.status === "failed") {
            expect(clearRefusal(res.msg), res.msg).toBe(true);
            expect(text).toBe("first\nlast\n");
          } else {
            const want = Buffer.from(s, "utf8").toString("utf8");
            expect(text.split("\n")).toContain(want);
            expect(text.startsWith("first\nlast\n")).toBe(true);
          }
        },
      ),
      { seed: SEED, numRuns: RUNS },
    );
    console.log(`fast-check files.lineinfile line: ${n} runs (seed ${SEED})`);
  }, 120_000);
});
