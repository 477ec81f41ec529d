// `keel schema` output: a valid draft-07 schema that accepts real playbooks and rejects bad ones,
// and `keel modules` text built from the same module schemas.
import { describe, it, expect } from "vitest";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { Ajv } from "ajv";
import { playbookSchema } from "../../../engine/playbook/index.js";
import { testRegistry } from "./test-registry.js";
import { registry } from "../../../modules/index.js";
import { listModules, showModule } from "../../../engine/cli/commands/modules.js";
import { modulesMarkdown } from "../../../engine/cli/gen-docs.js";
import { InputError } from "../../../engine/core/errors.js";

const FIX = join(import.meta.dirname, "../../fixtures/playbooks");

function validator(reg = testRegistry) {
  const ajv = new Ajv({ strict: false, allErrors: true });
  return ajv.compile(playbookSchema(reg));
}

describe("playbookSchema", () => {
  it("accepts the fixture playbooks", () => {
    const v = validator();
    for (const f of ["full/site.yml", "ansible/site.yml", "full/other.yml"]) {
      const ok = v(parse(readFileSync(join(FIX, f), "utf8")));
      expect(ok, `${f}: ${JSON.stringify(v.errors?.slice(0, 3))}`).toBe(true);
    }
  });
  it("rejects unknown keywords, unknown module args and missing hosts", () => {
    const v = validator();
    expect(v([{ hosts: "all", tasks: [{ copy: { dest: "/x", content: "y" }, whn: "x" }] }])).toBe(false);
    expect(v([{ hosts: "all", tasks: [{ apt: { nmae: "x" } }] }])).toBe(false);
    expect(v([{ tasks: [] }])).toBe(false);
    expect(v([{ hosts: "all", strategy: "lockstep" }])).toBe(false);
  });
  it("has one property per module key, including ansible.builtin.*", () => {
    const s = playbookSchema(testRegistry) as { definitions: Record<string, { properties?: Record<string, unknown> }> };
    const props = Object.keys(s.definitions.task!.properties!);
    for (const k of ["files.copy", "copy", "ansible.builtin.copy", "apt", "ansible.builtin.apt", "when", "loop", "register"]) expect(props).toContain(k);
  });
  it("compiles with the real registry", () => {
    expect(() => validator(registry)).not.toThrow();
  });
});

describe("keel modules", () => {
  it("lists every module with its aliases", () => {
    const out = listModules(registry, false);
    for (const m of registry.modules) expect(out).toContain(m.name);
    expect(out.split("\n")[0]).toMatch(/^NAME\s+ALIASES\s+DESCRIPTION$/);
  });
  it("shows arguments with type, required, default, choices and description", () => {
    const out = showModule(testRegistry, "ansible.builtin.apt", false);
    expect(out).toContain("packages.package — test module packages.package");
    expect(out).toContain("  name (string | list of string; required)");
    expect(out).toContain("  state (string; one of: present, absent, latest)");
  });
  it("unknown name: did you mean", () => {
    expect(() => showModule(testRegistry, "aptt", false)).toThrow(InputError);
    expect(() => showModule(testRegistry, "aptt", false)).toThrow("unknown module 'aptt', did you mean 'apt'?");
  });
  it("docs/modules.md has a section per module", () => {
    const md = modulesMarkdown(testRegistry);
    for (const m of testRegistry.modules) expect(md).toContain(`\n## ${m.name}\n`);
    expect(md).toContain("| `state` | string |  |  | `present`, `absent`, `latest` |");
  });
});
