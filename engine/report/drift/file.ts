// Reading a drift JSON report back (keel report merge/render, keel drift --compare FILE.json):
// parsed and validated against schemas/drift-report.schema.json, so a wrong or truncated file is
// an input error naming the file and the first problem, never a half-understood comparison.
import { readFileSync } from "node:fs";
import { Ajv, type ValidateFunction } from "ajv";
import addFormatsModule from "ajv-formats";
import { InputError } from "../../core/errors.js";
import { packagePath } from "../../core/paths.js";
import type { DriftReport } from "./model.js";
import type { PreviousItem } from "./compare.js";

let validator: ValidateFunction | undefined;

const HINT = "pass a JSON report written by `keel drift -o json:FILE` (or --format json)";

export function readDriftReport(file: string): DriftReport {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new InputError(
      `cannot read drift report ${file}: ${(e as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (e as Error).message}`,
      undefined,
      HINT,
    );
  }
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new InputError(`${file} is not JSON: ${(e as Error).message}`, undefined, HINT);
  }
  if (!validator) {
    const schema = JSON.parse(readFileSync(packagePath("schemas/drift-report.schema.json"), "utf8"));
    const ajv = new Ajv({ strict: false, allErrors: false });
    // ajv-formats is CommonJS: its default export is the plugin function.
    (addFormatsModule as unknown as (a: Ajv) => void)(ajv);
    validator = ajv.compile(schema);
  }
  if (!validator(v)) {
    const e = validator.errors?.[0];
    const where = e
      ? `${e.instancePath || "/"} ${e.message ?? "is invalid"}${e.params && "additionalProperty" in e.params ? ` ('${String(e.params.additionalProperty)}')` : ""}`
      : "invalid";
    throw new InputError(`${file} is not a keel drift report (schema_version 1): ${where}`, undefined, HINT);
  }
  return v as DriftReport;
}

/**
 * The drifted items of an earlier report, as the history keeps them: each with the time it was
 * first seen (its `since` when that report was itself compared, else the report's time).
 */
export function previousItems(r: DriftReport): PreviousItem[] {
  const out: PreviousItem[] = [];
  for (const h of r.hosts)
    for (const it of h.items) {
      const { compare: _c, since, ...item } = it;
      out.push({ host: h.host, firstSeen: since ?? r.generated_at, item });
    }
  return out;
}
