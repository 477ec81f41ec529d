// Every module in the registry (modules/index.ts) has what DESIGN.md asks of it, checked here once
// instead of a small test file per module:
//   - a fixture folder test/unit/modules/<name>/; for a host module its cases (one YAML file per
//     case, run by runModuleFixtures) include an already-converged one; a controller module (no
//     probe, so no "converged") has its tests (*.test.ts) there;
//   - its section in the generated reference (docs/modules.md, `npm run docs`).
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { registry } from "../../../modules/index.js";
import type { HostModule } from "../../../engine/core/module.js";
import { runModuleFixtures } from "./harness.js";

const HERE = dirname(fileURLToPath(import.meta.url));
const DOCS = readFileSync(join(HERE, "..", "..", "..", "docs", "modules.md"), "utf8");

/**
 * Modules that landed without their fixture folder. Each entry is a debt with an owner: the test
 * fails as soon as the folder exists, so the entry goes when the fixtures arrive.
 */
const PENDING = new Set<string>([]);

/** Actions that are never "already converged" (system.reboot, files.tempfile): their folder's own test runs the cases. */
const ACTIONS = new Set(["system.reboot", "files.tempfile"]);

describe("module registry", () => {
  it("is sorted by name, one entry per module", () => {
    const names = registry.modules.map((m) => m.name);
    expect(names).toEqual([...names].sort());
    expect(new Set(names).size).toBe(names.length);
  });

  for (const m of registry.modules) {
    const dir = join(HERE, m.name);
    describe(m.name, () => {
      it("has its section in the generated reference (docs/modules.md)", () => {
        expect(DOCS.includes(`\n## ${m.name}\n`), "run `npm run docs`").toBe(true);
      });
      if (PENDING.has(m.name)) {
        it("is still pending its fixture folder (remove it from PENDING once the folder exists)", () => expect(existsSync(dir)).toBe(false));
        return;
      }
      it(`has its fixture folder test/unit/modules/${m.name}/`, () => expect(existsSync(dir)).toBe(true));
      if (!existsSync(dir)) return;
      if (m.kind === "controller" || ACTIONS.has(m.name)) {
        it("has its tests in the folder (a controller module has no probe; an action is never converged)", () => {
          expect(readdirSync(dir).some((f) => f.endsWith(".test.ts"))).toBe(true);
        });
      } else {
        runModuleFixtures(m as HostModule, dir);
      }
    });
  }
});
