// Property test (issue 10, "keep them closed"): arbitrary YAML documents (anchors, aliases, merge
// keys, deep nesting, billion-laughs chains, random damage) through YamlFile, the playbook loader
// and the inventory loader. Every document either loads or fails with an InputError: never another
// exception (stack overflow, heap exhaustion, "internal error"). Time and memory stay bounded
// because every expansion is bounded (engine/core/limits.ts); the bounds are lowered here so that
// a case costs milliseconds, and the test's timeout is the backstop. Fixed seed, bounded runs; the
// counts are printed.
import { describe, it, expect, afterAll } from "vitest";
import fc from "fast-check";
import { mkdtempSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { YamlFile } from "../../../engine/core/yaml.js";
import { InputError } from "../../../engine/core/errors.js";
import { loadPlaybook } from "../../../engine/playbook/index.js";
import { loadInventory } from "../../../engine/inventory/index.js";
import { registry } from "../../../modules/index.js";
import { resetLoadCharge } from "../../../engine/core/limits.js";

const SEED = 20261203;
const RUNS = 150;
const dir = mkdtempSync(join(tmpdir(), "keel-prop-yaml-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
process.env.KEEL_MAX_YAML_ALIAS_NODES = "20000";

// A YAML text built from a random tree: every collection may get an anchor, every value may be
// an alias to an earlier anchor, mappings may merge earlier anchors, styles are block or flow.
type Tree =
  | { k: "scalar"; v: string }
  | { k: "seq"; items: Tree[]; flow: boolean }
  | { k: "map"; entries: [string, Tree][]; flow: boolean; merge: number[] }
  | { k: "alias"; n: number }
  | { k: "deep"; depth: number; open: string };

const scalar = fc.oneof(
  fc.constantFrom("1", "yes", "null", "~", "'q'", '"d"', "0755", "1:30", "x y", "-", "{{ v }}", "!vault |", ">-", "|", "*a0", "&x", "<<", "? k"),
  fc.string({ maxLength: 6 }),
);
const key = fc.oneof(
  fc.constantFrom("hosts", "tasks", "vars", "name", "copy", "all", "children", "<<", "k", "dest", "content"),
  fc.stringMatching(/^[a-z_]{1,6}$/),
);
const tree: fc.Arbitrary<Tree> = fc.letrec<{ t: Tree }>((tie) => ({
  t: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    scalar.map((v): Tree => ({ k: "scalar", v })),
    fc.array(tie("t"), { maxLength: 4 }).chain((items) => fc.boolean().map((flow): Tree => ({ k: "seq", items, flow }))),
    fc
      .tuple(fc.array(fc.tuple(key, tie("t")), { maxLength: 4 }), fc.boolean(), fc.array(fc.nat(9), { maxLength: 2 }))
      .map(([entries, flow, merge]): Tree => ({ k: "map", entries, flow, merge })),
    fc.nat(9).map((n): Tree => ({ k: "alias", n })),
    fc.tuple(fc.integer({ min: 100, max: 3000 }), fc.constantFrom("[", "{", "- ", "k:")).map(([depth, open]): Tree => ({ k: "deep", depth, open })),
  ),
})).t;

function render(t: Tree, indent: number, anchors: { n: number }, flowCtx = false): string {
  const pad = " ".repeat(indent);
  // deterministic (the seed must reproduce a case): every other collection, up to ten anchors
  const anchor = () => (anchors.n < 10 && (anchors.n++ & 1) === 0 ? `&a${anchors.n - 1} ` : "");
  switch (t.k) {
    case "scalar":
      return t.v;
    case "alias":
      return `*a${t.n}`;
    case "deep":
      if (t.open === "[") return "[".repeat(t.depth) + "]".repeat(t.depth);
      if (t.open === "{") return "{a: ".repeat(t.depth) + "1" + "}".repeat(t.depth);
      if (flowCtx) return "x";
      if (t.open === "- ") return "\n" + Array.from({ length: Math.min(t.depth, 400) }, (_, i) => " ".repeat(indent + i * 2) + "-").join("\n") + " x";
      return "\n" + Array.from({ length: Math.min(t.depth, 400) }, (_, i) => " ".repeat(indent + i) + "k:").join("\n") + " x";
    case "seq": {
      const a = anchor();
      if (t.flow || flowCtx || t.items.length === 0) return `${a}[${t.items.map((i) => render(i, 0, anchors, true)).join(", ")}]`;
      return `${a}\n` + t.items.map((i) => `${pad}- ${render(i, indent + 2, anchors)}`).join("\n");
    }
    case "map": {
      const a = anchor();
      const merges = t.merge.map((n) => ["<<", `*a${n}`] as [string, string]);
      if (t.flow || flowCtx || (t.entries.length === 0 && merges.length === 0)) {
        return `${a}{${[...merges.map(([k, v]) => `${k}: ${v}`), ...t.entries.map(([k, v]) => `${k}: ${render(v, 0, anchors, true)}`)].join(", ")}}`;
      }
      return (
        `${a}\n` + [...merges.map(([k, v]) => `${pad}${k}: ${v}`), ...t.entries.map(([k, v]) => `${pad}${k}: ${render(v, indent + 2, anchors)}`)].join("\n")
      );
    }
  }
}

/** Billion laughs of random width and depth. */
const laughs = fc.tuple(fc.integer({ min: 2, max: 12 }), fc.integer({ min: 2, max: 12 })).map(([w, d]) => {
  let t = `l0: &l0 [${Array(w).fill("x").join(", ")}]\n`;
  for (let i = 1; i <= d; i++)
    t += `l${i}: &l${i} [${Array(w)
      .fill(`*l${i - 1}`)
      .join(", ")}]\n`;
  return t;
});

/** Random damage: a few characters inserted, removed or replaced. */
const damaged = (text: fc.Arbitrary<string>) =>
  fc
    .tuple(
      text,
      fc.array(
        fc.tuple(fc.nat(), fc.constantFrom("", ":", "- ", "[", "]", "{", "}", "&", "*", "\n", "\t", "'", '"', "!", "|", "#", "\uFEFF", "%YAML 1.1\n---\n")),
        { maxLength: 3 },
      ),
    )
    .map(([t, edits]) => {
      let s = t;
      for (const [at, ins] of edits) {
        const i = s.length ? at % s.length : 0;
        s = s.slice(0, i) + ins + s.slice(i + (ins === "" ? 1 : 0));
      }
      return s;
    });

const doc = fc.oneof(
  { weight: 4, arbitrary: damaged(tree.map((t) => render(t, 0, { n: 0 }).replace(/^\n/, ""))) },
  { weight: 1, arbitrary: laughs },
  { weight: 1, arbitrary: damaged(laughs) },
  {
    weight: 2,
    arbitrary: damaged(tree.map((t) => `- hosts: all\n  vars:\n    v: ${render(t, 6, { n: 0 })}\n  tasks:\n    - copy: { dest: /tmp/x, content: y }\n`)),
  },
  {
    weight: 2,
    arbitrary: damaged(tree.map((t) => `all:\n  hosts:\n    h1:\n      v: ${render(t, 8, { n: 0 })}\n  children:\n    g: ${render(t, 6, { n: 0 })}\n`)),
  },
);

/** Only InputError may come out; anything else (RangeError, TypeError, InternalError…) is a bug. */
async function onlyInputErrors(f: () => unknown): Promise<"ok" | "input"> {
  try {
    await f();
    return "ok";
  } catch (e) {
    if (e instanceof InputError) return "input";
    throw e;
  }
}

describe("arbitrary YAML through the loaders", () => {
  it("YamlFile, the playbook loader and the inventory loader: load or InputError", async () => {
    let n = 0;
    const seen = { ok: 0, input: 0 };
    await fc.assert(
      fc.asyncProperty(doc, async (text) => {
        n++;
        resetLoadCharge();
        const f = join(dir, `d${n}.yml`);
        writeFileSync(f, text);
        for (const load of [() => YamlFile.parse(text, "doc.yml"), () => loadPlaybook(f, { registry }), () => loadInventory([f])]) {
          seen[await onlyInputErrors(load)]++;
        }
      }),
      { seed: SEED, numRuns: RUNS },
    );
    console.log(`fast-check YAML loaders: ${n} documents × 3 loaders (seed ${SEED}): ${seen.ok} loaded, ${seen.input} input errors`);
    expect(seen.ok).toBeGreaterThan(0);
    expect(seen.input).toBeGreaterThan(0);
  }, 300_000);
});
