// The import graph of DESIGN.md §2, checked on the source: a module imports only engine/core and
// its own area, so that a module is one file plus fixtures and can be read and tested alone. The
// few engine services a module may use are listed here with their reason; a new edge fails.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const root = resolve(__dirname, "../..");

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    if (statSync(p).isDirectory()) return tsFiles(p);
    return p.endsWith(".ts") && !p.endsWith(".d.ts") ? [p] : [];
  });
}

function relImports(file: string): string[] {
  const src = readFileSync(file, "utf8");
  const out: string[] = [];
  for (const m of src.matchAll(/^\s*(?:import|export)\s[^;]*?from\s+"(\.[^"]+)"/gms)) out.push(relative(root, resolve(dirname(file), m[1]!)));
  for (const m of src.matchAll(/import\(\s*"(\.[^"]+)"\s*\)/g)) out.push(relative(root, resolve(dirname(file), m[1]!)));
  return out;
}

/** Engine services a module may import, each for a reason that belongs to the engine, not to one module. */
const MODULE_MAY_USE: Record<string, string> = {
  "engine/transport/reboot.js": "reboot and wait for a new connection is transport work shared by system.reboot and patches.upgrade",
  "engine/controls/catalog.js": "hardening.profile expands the controls catalog that keel audit also reads",
  "engine/template/index.js":
    "files.template renders as Ansible's template module does: its Jinja options, include search path and template_* variables, which ctx.render does not carry",
  "engine/facts/index.js": "system.setup is the facts probe run as a task; the probe and its Ansible names live in engine/facts",
};

describe("import graph", () => {
  const modules = tsFiles(join(root, "modules")).filter((f) => !f.endsWith("modules/index.ts"));

  it("a module imports only engine/core, its own area, and the listed engine services", () => {
    const bad: string[] = [];
    for (const f of modules) {
      const area = relative(join(root, "modules"), f).split("/")[0];
      for (const imp of relImports(f)) {
        if (imp.startsWith("engine/core/")) continue;
        if (imp.startsWith(`modules/${area}/`)) continue;
        if (imp in MODULE_MAY_USE) continue;
        bad.push(`${relative(root, f)} imports ${imp}`);
      }
    }
    expect(bad).toEqual([]);
  });

  it("engine/core imports no other part of keel except vault decryption in the YAML reader", () => {
    const bad: string[] = [];
    for (const f of tsFiles(join(root, "engine/core"))) {
      for (const imp of relImports(f)) {
        if (imp.startsWith("engine/core/")) continue;
        // vaulted YAML values are decrypted while the node tree is converted (issue 16), so that a
        // ciphertext can never reach a module as plain text
        if (relative(root, f) === "engine/core/yaml.ts" && imp.startsWith("engine/vault/")) continue;
        bad.push(`${relative(root, f)} imports ${imp}`);
      }
    }
    expect(bad).toEqual([]);
  });

  it("the check itself sees imports (a module importing a sibling area would be caught)", () => {
    const f = join(root, "modules/patches/apt.ts");
    expect(relImports(f)).toContain("engine/core/aptlock.js");
  });
});
