// Module argument validators compiled ahead of time (issue 17). ajv compiles a schema by
// generating and compiling JavaScript, which in a fresh process costs 20-40 ms per module: about
// 0.3 s of CPU at every start for the bench playbook's ten modules, before any host is reached.
// `npm run build` (engine/cli/bundle.ts) writes each module's validator as ajv's standalone code,
// the very function ajv.compile would produce, to dist/validators/NAME.cjs, together with a hash
// of the schema it was made from. At run time the file is used only when the module's schema
// still has that hash; otherwise (no build, a stale build, an edited module) ajv compiles the
// schema as before. Same options, same code: the errors are the same either way.
import { Ajv, type ValidateFunction } from "ajv";
import standaloneModule from "ajv/dist/standalone/index.js";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import type { JSONSchema, ModuleDef } from "../core/module.js";
import { packageRoot } from "../core/paths.js";

/** The options of the ajv instance that validates module arguments (engine/playbook/args.ts). */
export const ARGS_AJV_OPTIONS = { allErrors: true, strict: false, allowUnionTypes: true } as const;

/** Where `npm run build` writes the precompiled validators. */
export function validatorsDir(root = packageRoot()): string {
  return join(root, "dist", "validators");
}

/** The hash a precompiled validator carries: of the schema's JSON text. */
export function schemaHash(schema: JSONSchema): string {
  return createHash("sha256").update(JSON.stringify(schema)).digest("hex");
}

function fileOf(dir: string, name: string): string {
  return join(dir, `${name.replace(/[^A-Za-z0-9._-]/g, "_")}.cjs`);
}

const requireHere = createRequire(import.meta.url);

/** The module's validator compiled at build time, if there is one made from this very schema. */
export function precompiledValidator(m: Pick<ModuleDef, "name" | "args">, dir = validatorsDir()): ValidateFunction | undefined {
  const file = fileOf(dir, m.name);
  if (!existsSync(file)) return undefined;
  let loaded: { default?: unknown; schemaHash?: unknown };
  try {
    loaded = requireHere(file) as typeof loaded;
  } catch {
    return undefined; // unreadable or from another ajv: compile instead
  }
  if (loaded.schemaHash !== schemaHash(m.args) || typeof loaded.default !== "function") return undefined;
  return loaded.default as ValidateFunction;
}

// ajv's standalone entry is CommonJS: its default export is the function.
const standaloneCode = ((standaloneModule as unknown as { default?: unknown }).default ?? standaloneModule) as (ajv: Ajv, v: ValidateFunction) => string;

/** Writes every module's validator to `dir` (emptied first); returns how many. */
export function writeValidators(modules: readonly Pick<ModuleDef, "name" | "args">[], dir = validatorsDir()): number {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const ajv = new Ajv({ ...ARGS_AJV_OPTIONS, code: { source: true } });
  const seen = new Set<string>();
  for (const m of modules) {
    if (seen.has(m.name)) throw new Error(`two modules named ${m.name}`);
    seen.add(m.name);
    const code = standaloneCode(ajv, ajv.compile(m.args));
    writeFileSync(fileOf(dir, m.name), `${code}\nmodule.exports.schemaHash = ${JSON.stringify(schemaHash(m.args))};\n`);
  }
  return seen.size;
}
