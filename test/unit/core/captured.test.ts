// test/fixtures/captured holds outputs of real tools (its README says where and how each was taken).
// Every file is raw tool output (JSON here) or keel's one record format, nothing in an old probe
// dialect; the README lists every file; and a module fixture case that quotes a capture as its
// source carries the same probe output, so the two cannot drift apart.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { parseRecords } from "../../../engine/core/record.js";

const root = resolve(__dirname, "../../..");
const dir = join(root, "test/fixtures/captured");
const files = readdirSync(dir).filter((f) => f !== "README.md");
const readme = readFileSync(join(dir, "README.md"), "utf8");

function ymlFiles(d: string): string[] {
  return readdirSync(d).flatMap((n) => {
    const p = join(d, n);
    if (statSync(p).isDirectory()) return ymlFiles(p);
    return p.endsWith(".yml") ? [p] : [];
  });
}

describe("captured tool outputs", () => {
  it("every file is raw JSON or parses as records (no old probe dialect)", () => {
    for (const f of files) {
      const text = readFileSync(join(dir, f), "utf8");
      if (f.endsWith(".json")) expect(() => JSON.parse(text) as unknown, f).not.toThrow();
      else expect(parseRecords(text).length, f).toBeGreaterThan(0);
    }
  });

  it("the README documents every file", () => {
    for (const f of files) expect(readme, f).toContain(`| \`${f}\` |`);
  });

  it("fixture cases quoting a capture as their probe output carry it unchanged", () => {
    const checked: string[] = [];
    for (const y of ymlFiles(join(root, "test/unit/modules"))) {
      const text = readFileSync(y, "utf8");
      const cited = [...new Set([...text.matchAll(/captured\/([\w-]+\.txt)/g)].map((m) => m[1]!))].filter((f) => files.includes(f));
      if (!cited.length) continue;
      const c = parse(text) as { description?: string; probe?: { stdout?: string } };
      // A case that says which part it wrote by hand over a captured layout is derived, not a copy.
      if (/hand-written/.test(c.description ?? "")) continue;
      const captures = cited.map((f) => readFileSync(join(dir, f), "utf8"));
      expect(captures, relative(root, y)).toContain(c.probe?.stdout);
      checked.push(y);
    }
    expect(checked.length).toBeGreaterThan(20);
  });
});
