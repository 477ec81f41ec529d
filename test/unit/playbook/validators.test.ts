// The module validators `npm run build` compiles ahead of time (engine/playbook/validators.ts) must
// decide exactly as ajv.compile of the same schema: same verdict, same errors (checkArgs turns them
// into messages), for every module of the registry on its fixtures' arguments and on wrong ones;
// and a validator made from another schema is never used.
import { Ajv, type ValidateFunction } from "ajv";
import { existsSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { MODULES } from "../../../modules/index.js";
import { packageRoot } from "../../../engine/core/paths.js";
import { ARGS_AJV_OPTIONS, precompiledValidator, writeValidators } from "../../../engine/playbook/validators.js";

// inside the package, as dist/validators is: the standalone code requires ajv's runtime helpers from node_modules
const dir = join(packageRoot(), "dist", `validators-test-${process.pid}`);
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const fixtures = join(__dirname, "..", "modules");

/** Arguments to try: the fixtures' own, none, an unknown one, and each declared argument given a value of the wrong kind. */
function samples(name: string, props: string[]): unknown[] {
  const out: unknown[] = [{}, { no_such_argument: 1 }, "not a mapping"];
  const fx = join(fixtures, name);
  if (existsSync(fx))
    for (const f of readdirSync(fx).filter((x) => x.endsWith(".yml"))) {
      const args = (parse(readFileSync(join(fx, f), "utf8")) as { args?: unknown } | null)?.args;
      if (args !== undefined) out.push(args);
    }
  for (const p of props) out.push({ [p]: { nested: [1] } }, { [p]: 12345 }, { [p]: "x" }, { [p]: [] });
  return out;
}

function verdict(v: ValidateFunction, args: unknown): { ok: boolean; errors: unknown } {
  const ok = v(structuredClone(args));
  return { ok, errors: structuredClone(v.errors ?? null) };
}

describe("precompiled module validators", () => {
  const written = writeValidators(MODULES, dir);

  it("are written for every module of the registry", () => {
    expect(written).toBe(MODULES.length);
  });

  it.each(MODULES.map((m) => [m.name, m] as const))("%s decides as ajv.compile", (name, m) => {
    const pre = precompiledValidator(m, dir);
    expect(pre).toBeTypeOf("function");
    const compiled = new Ajv(ARGS_AJV_OPTIONS).compile(m.args);
    const props = Object.keys((m.args.properties ?? {}) as object);
    let rejected = 0;
    for (const args of samples(name, props)) {
      const a = verdict(compiled, args);
      expect(verdict(pre!, args), JSON.stringify(args)).toEqual(a);
      if (!a.ok) rejected++;
    }
    expect(rejected).toBeGreaterThan(0);
  });

  it("are not used for a schema they were not made from", () => {
    const m = MODULES[0]!;
    expect(precompiledValidator(m, dir)).toBeTypeOf("function");
    const edited = { name: m.name, args: { ...m.args, required: ["an_argument_added_later"] } };
    expect(precompiledValidator(edited, dir)).toBeUndefined();
    expect(precompiledValidator({ name: "no.such_module", args: m.args }, dir)).toBeUndefined();
  });
});
