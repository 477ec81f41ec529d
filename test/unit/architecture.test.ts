// The rules of DESIGN.md and issue 9 that keep the code in shape, checked on the source so that a
// regression fails here:
//   - the import graph: a module imports only engine/core and its own area (never another module),
//     so that a module is one file plus fixtures and can be read and tested alone; the few engine
//     services a module may use are listed with their reason; engine/core imports nothing else;
//   - one probe record format: every fixture's probe output is read by engine/core/record.ts, and
//     the old dialects' markers do not come back;
//   - no source file over 500 lines;
//   - the registry: every module file is registered once, under the name its path gives, in
//     sorted order, imports included.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { basename, dirname, join, relative, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { parseRecords } from "../../engine/core/record.js";
import { registry } from "../../modules/index.js";

const root = resolve(__dirname, "../..");

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    if (statSync(p).isDirectory()) return tsFiles(p);
    return p.endsWith(".ts") && !p.endsWith(".d.ts") ? [p] : [];
  });
}

function relImports(file: string): string[] {
  return importsOf(readFileSync(file, "utf8"), dirname(file));
}

/** The relative imports of a source (`import … from`, `export … from`, side-effect `import "…"`, `import("…")`), as paths from the root. */
function importsOf(src: string, dir: string): string[] {
  const out: string[] = [];
  for (const m of src.matchAll(/^\s*import\s+"(\.[^"]+)"/gm)) out.push(relative(root, resolve(dir, m[1]!)));
  for (const m of src.matchAll(/^\s*(?:import|export)\s[^;]*?from\s+"(\.[^"]+)"/gms)) out.push(relative(root, resolve(dir, m[1]!)));
  for (const m of src.matchAll(/import\(\s*"(\.[^"]+)"\s*\)/g)) out.push(relative(root, resolve(dir, m[1]!)));
  return out;
}

/** Engine services a module may import, each for a reason that belongs to the engine, not to one module. */
const MODULE_MAY_USE: Record<string, string> = {
  "engine/transport/reboot.js": "reboot and wait for a new connection is transport work shared by system.reboot and patches.upgrade",
  "engine/controls/catalog.js": "hardening.profile expands the controls catalog that keel audit also reads",
  "engine/template/index.js":
    "files.template renders as Ansible's template module does: its Jinja options, include search path and template_* variables, which ctx.render does not carry",
  "engine/transport/atomic.js":
    "files.copy remote_src writes a host-side source through the same atomic-write script (pure script text and its parser) that uploads use",
  "engine/facts/index.js": "system.setup is the facts probe run as a task; the probe and its Ansible names live in engine/facts",
  "engine/template/lookup-url.js":
    "users.authorized_key fetches a key given as a URL on the controller with the same HTTP client, redirects, certificate checks and errors as lookup('url')",
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

  it("a module never imports another module, even of its own area (shared code goes to a helper file or engine/core)", async () => {
    const moduleFiles = new Set((await moduleFileList()).map((m) => m.file));
    const bad: string[] = [];
    for (const f of modules) {
      for (const imp of relImports(f)) {
        const target = imp.replace(/\.js$/, ".ts");
        if (moduleFiles.has(target) && target !== relative(root, f)) bad.push(`${relative(root, f)} imports the module ${target}`);
      }
    }
    expect(bad).toEqual([]);
  });

  it("the check itself sees imports (a module importing a sibling area would be caught)", () => {
    const f = join(root, "modules/patches/apt.ts");
    expect(relImports(f)).toContain("engine/core/aptlock.js");
    const dir = join(root, "modules/files");
    expect(importsOf('import "../users/common.js";\n', dir)).toEqual(["modules/users/common.js"]);
    expect(importsOf('import copy from "./copy.js";\nexport { x } from "./y.js";\nawait import("./z.js");\n', dir).sort()).toEqual([
      "modules/files/copy.js",
      "modules/files/y.js",
      "modules/files/z.js",
    ]);
  });
});

/** Every file of modules/<area>/ whose default export is a module (host or controller), with that module. */
async function moduleFileList(): Promise<{ file: string; name: string; def: unknown }[]> {
  const out: { file: string; name: string; def: unknown }[] = [];
  for (const f of tsFiles(join(root, "modules"))) {
    if (f.endsWith("modules/index.ts")) continue;
    const def = ((await import(pathToFileURL(f).href)) as { default?: { name?: unknown; kind?: unknown } }).default;
    if (def && typeof def.name === "string" && (def.kind === "host" || def.kind === "controller")) out.push({ file: relative(root, f), name: def.name, def });
  }
  return out;
}

describe("module registry (modules/index.ts)", () => {
  it("holds every module file once, under the name its path gives (modules/area/noun.ts is area.noun)", async () => {
    const files = await moduleFileList();
    expect(files.length).toBeGreaterThan(40);
    for (const { file, name, def } of files) {
      const [, area, noun] = file.split("/");
      expect(name, file).toBe(`${area}.${basename(noun!, ".ts")}`);
      expect(registry.modules.filter((m) => m === def).length, `${file} is registered once`).toBe(1);
    }
    expect(registry.modules.length).toBe(files.length);
  });

  it("lists its imports and its entries in name order", () => {
    const src = readFileSync(join(root, "modules/index.ts"), "utf8");
    const imports = [...src.matchAll(/^import \w+ from "\.\/([^"]+)\.js";$/gm)].map((m) => m[1]!.replace("/", "."));
    expect(imports.length).toBe(registry.modules.length);
    expect(imports).toEqual([...imports].sort());
    const names = registry.modules.map((m) => m.name);
    expect(names).toEqual([...names].sort());
  });
});

describe("one probe record format (engine/core/record.ts)", () => {
  it("every module fixture's probe output is records: no module speaks its own dialect", () => {
    const base = join(root, "test/unit/modules");
    const bad: string[] = [];
    let cases = 0;
    for (const m of registry.modules) {
      const dir = join(base, m.name);
      if (!existsSync(dir)) continue;
      for (const f of readdirSync(dir).filter((n) => /\.ya?ml$/.test(n))) {
        const stdout = (parseYaml(readFileSync(join(dir, f), "utf8")) as { probe?: { stdout?: unknown } } | null)?.probe?.stdout;
        if (typeof stdout !== "string") continue;
        cases++;
        try {
          parseRecords(stdout);
        } catch (e) {
          bad.push(`${m.name}/${f}: ${(e as Error).message}`);
        }
      }
    }
    expect(cases).toBeGreaterThan(300);
    expect(bad).toEqual([]);
  });

  it("the old dialects' section markers and readers do not come back in modules or the facts probe", () => {
    // `@@section` (packages), `== section` (facts), `tag:value` (parseTagged): issue 9 replaced them all
    const markers = [/["'`]@@\$?\{?\w/, /["'`]== \$?\{?\w/, /\bparseTagged\b/, /split\(\/\^@@\/m?\)/];
    const bad: string[] = [];
    for (const f of [...tsFiles(join(root, "modules")), ...tsFiles(join(root, "engine/facts"))]) {
      readFileSync(f, "utf8")
        .split("\n")
        .forEach((line, i) => {
          if (markers.some((re) => re.test(line))) bad.push(`${relative(root, f)}:${i + 1}: ${line.trim()}`);
        });
    }
    expect(bad).toEqual([]);
  });

  it("the marker check sees a dialect (it would have caught hardening.pam_profile's '@@' read-back)", () => {
    const markers = [/["'`]@@\$?\{?\w/];
    expect(markers.some((re) => re.test('await host.run(TYPES.map((t) => `echo "@@${t}"; cat /etc/pam.d/common-${t}`))'))).toBe(true);
  });
});

describe("one mode normaliser (engine/core/snippets.ts normMode)", () => {
  // A mode is formatted as "0644" in one place, so that every module, fixture and report agrees on it.
  const INLINE = /\.toString\(8\)\.padStart\(/;

  it("no module or facts file formats an octal mode itself", () => {
    const bad: string[] = [];
    for (const f of [...tsFiles(join(root, "modules")), ...tsFiles(join(root, "engine/facts"))])
      readFileSync(f, "utf8")
        .split("\n")
        .forEach((line, i) => {
          if (INLINE.test(line)) bad.push(`${relative(root, f)}:${i + 1}: ${line.trim()}`);
        });
    expect(bad).toEqual([]);
  });

  it("the check sees an inline mode formatter", () => {
    expect(INLINE.test('mode: (raw & 0o7777).toString(8).padStart(4, "0"),')).toBe(true);
  });
});

describe("typed changes (Change<D>)", () => {
  // apply receives the plan diff made (Change<D>.data, typed per module): it never decides what to do
  // from a change's display field name, nor casts the plan data, so the compiler ties diff to apply.
  const RULES: [RegExp, string][] = [
    [/\.field\s*[!=]==?\s*["'`]/, "compares a change's field name"],
    [/switch\s*\(\s*[\w.]*\.field\s*\)/, "switches on a change's field name"],
    [/\.data\s+as\s/, "casts a change's data"],
    [/\.data!?\s*as\s/, "casts a change's data"],
  ];
  const offences = (src: string, file: string): string[] =>
    src.split("\n").flatMap((line, i) => RULES.filter(([re]) => re.test(line)).map(([, what]) => `${file}:${i + 1}: ${what}: ${line.trim()}`));

  it("no module decides apply by a change's field name or casts its data", () => {
    const bad = tsFiles(join(root, "modules")).flatMap((f) => offences(readFileSync(f, "utf8"), relative(root, f)));
    expect(bad).toEqual([]);
  });

  it("the check sees the untyped forms it forbids", () => {
    expect(offences('const extract = changes.some((c) => c.field === "extract");', "x")).toHaveLength(1);
    expect(offences("switch (c.field) {", "x")).toHaveLength(1);
    expect(offences("const op = c.data as PkgOp;", "x").length).toBeGreaterThan(0);
    expect(offences('const extract = changes.some((c) => c.data?.op === "extract");', "x")).toEqual([]);
  });
});

describe("file size", () => {
  it("no source file (engine/, modules/, bin/) is over 500 lines", () => {
    const over = [...tsFiles(join(root, "engine")), ...tsFiles(join(root, "modules")), ...readdirSync(join(root, "bin")).map((n) => join(root, "bin", n))]
      .map((f) => ({ f: relative(root, f), n: readFileSync(f, "utf8").split("\n").length - 1 }))
      .filter((x) => x.n > 500)
      .map((x) => `${x.f}: ${x.n} lines`);
    expect(over).toEqual([]);
  });

  // Test sources (test/: unit and e2e tests, their fixtures' generators, the lab, benchmarks) keep the
  // same limit, with no exception.
  it("no test source file (test/) is over 500 lines", () => {
    const over = tsFiles(join(root, "test"))
      .map((f) => ({ f: relative(root, f), n: readFileSync(f, "utf8").split("\n").length - 1 }))
      .filter((x) => x.n > 500)
      .map((x) => `${x.f}: ${x.n} lines`);
    expect(over).toEqual([]);
  });
});
