// The bad-input corpus (test/corpus/): every folder there is one invalid input and the exact message keel must give
// (file:line:col, text, the source line with a caret, and the hint), in expected.txt. Paths in the
// message are relative to the case folder; the repo's roles/ folder is written <keel>.
//
// A case is a site.yml (plus whatever files it needs) and optionally case.yml:
//   stage: load | render | when | template   # default load: loadPlaybook must fail
//   vars: { … }                              # variables for render/when/template
//   template: templates/x.j2                 # the file renderText reads (stage template)
//   requires: [files.copy]                   # modules that must be registered, else the case is skipped
// Stages after load mirror what the runner does: render each argument at its own position, then
// validateArgs; evaluate each `when`; render a template file.
import { describe, it, expect } from "vitest";
import { readdirSync, readFileSync, existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { registry } from "../../../modules/index.js";
import { runCase, type CaseSpec } from "../../corpus/run-case.js";

const DIR = join(import.meta.dirname, "../../corpus");

const cases = readdirSync(DIR)
  .filter((d) => statSync(join(DIR, d)).isDirectory())
  .sort();

describe("bad-input corpus", () => {
  it("has at least 30 cases, each with an expected message", () => {
    expect(cases.length).toBeGreaterThanOrEqual(30);
    for (const c of cases) expect(existsSync(join(DIR, c, "expected.txt")), `${c}/expected.txt`).toBe(true);
  });

  for (const c of cases) {
    const dir = join(DIR, c);
    const spec: CaseSpec = existsSync(join(dir, "case.yml")) ? (parse(readFileSync(join(dir, "case.yml"), "utf8")) ?? {}) : {};
    const missing = (spec.requires ?? []).filter((m) => !registry.has(m));
    it.skipIf(missing.length > 0)(c, () => {
      const want = readFileSync(join(dir, "expected.txt"), "utf8");
      expect(runCase(dir)).toBe(want);
    });
  }
});
