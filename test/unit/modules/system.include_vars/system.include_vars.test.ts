// system.include_vars is a controller module: table tests of run() over real files.
import { describe, it, expect } from "vitest";
import { mkdtempSync, mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import mod from "../../../../modules/system/include_vars.js";
import { EMPTY_FACTS } from "../../../../engine/core/facts.js";

const role = mkdtempSync(join(tmpdir(), "keel-iv-role-"));
const book = mkdtempSync(join(tmpdir(), "keel-iv-book-"));
mkdirSync(join(role, "vars", "conf.d"), { recursive: true });
writeFileSync(join(role, "vars", "Debian.yml"), "pkg: nginx\nopts: { a: 1 }\n");
writeFileSync(join(role, "vars", "conf.d", "10-a.yml"), "a: 1\n");
writeFileSync(join(role, "vars", "conf.d", "20-b.json"), '{"b": 2, "a": 3}');
writeFileSync(join(role, "vars", "conf.d", "README"), "x");
writeFileSync(join(book, "extra.yml"), "enabled: yes\n");
writeFileSync(join(book, "list.yml"), "- a\n");
const ctx = (vars: Record<string, unknown> = {}) => ({ vars, facts: EMPTY_FACTS, check: false, evaluate: () => undefined, searchDirs: [role, book] });

describe("system.include_vars", () => {
  it("a file under the role's vars/, then the playbook's folder (YAML 1.1 booleans)", () => {
    expect(mod.run({ file: "Debian.yml" }, ctx())).toEqual({ changed: false, setFacts: { pkg: "nginx", opts: { a: 1 } }, setFactsWritten: true });
    expect(mod.run({ file: "extra.yml" }, ctx())).toEqual({ changed: false, setFacts: { enabled: true }, setFactsWritten: true });
    expect(mod.run({ file: join(role, "vars", "Debian.yml"), name: "os" }, ctx())).toEqual({
      changed: false,
      setFacts: { os: { pkg: "nginx", opts: { a: 1 } } },
      setFactsWritten: true,
    });
  });
  it("a folder: its files in name order, later ones win; other extensions fail unless ignored", () => {
    expect(mod.run({ dir: "conf.d" }, ctx())).toMatchObject({ failed: true, msg: /README has an extension/ });
    expect(mod.run({ dir: "conf.d", ignore_unknown_extensions: true }, ctx())).toEqual({ changed: false, setFacts: { a: 3, b: 2 }, setFactsWritten: true });
    expect(mod.run({ dir: "conf.d", files_matching: "^10-" }, ctx())).toEqual({ changed: false, setFacts: { a: 1 }, setFactsWritten: true });
  });
  it("hash_behaviour merge merges into the variables the host already has", () => {
    expect(mod.run({ file: "Debian.yml", hash_behaviour: "merge" }, ctx({ opts: { b: 2 } }))).toMatchObject({ setFacts: { opts: { b: 2, a: 1 } } });
  });
  it("fails clearly", () => {
    expect(mod.run({ file: "RedHat.yml" }, ctx())).toMatchObject({ failed: true, msg: /'RedHat.yml' not found/ });
    expect(mod.run({ file: "list.yml" }, ctx())).toMatchObject({ failed: true, msg: /must hold a mapping/ });
    expect(() => mod.validate!({})).toThrow(/needs file/);
    expect(() => mod.validate!({ file: "a", dir: "b" })).toThrow(/not both/);
  });
});
