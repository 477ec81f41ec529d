// keel report: combine and re-render drift JSON reports (e.g. the shards of a CI matrix).
import type { Command } from "commander";
import { Option } from "commander";
import { readFileSync, writeFileSync } from "node:fs";
import { Ajv, type ValidateFunction } from "ajv";
import addFormatsModule from "ajv-formats";
import type { CommandContext } from "../context.js";
import { InputError } from "../../core/errors.js";
import type { DriftReport } from "../../report/drift/model.js";
import { driftExitCode } from "../../report/drift/model.js";
import { mergeReports } from "../../report/drift/merge.js";
import { renderReport, FORMATS, parseOut, type Format } from "./report-formats.js";
import { collect, packagePath } from "./shared.js";

export function registerReport(program: Command, ctx: CommandContext): void {
  const report = program.command("report").summary("merge or render drift JSON reports").description("Work with JSON drift reports written by `keel drift --out json:FILE`.");
  report
    .command("merge")
    .description("Combine drift JSON reports (the shards of a CI matrix) into one and render it. Exit code as `keel drift`.")
    .argument("<files...>", "JSON drift reports")
    .addOption(new Option("--format <format>", "format printed on stdout").choices([...FORMATS]).default("text"))
    .option("-o, --out <[format:]file>", "also write the merged report (repeatable)", collect)
    .option("--allow-unreachable", "unreachable or failed hosts do not change the exit code")
    .action((files: string[], o: { format: Format; out?: string[]; allowUnreachable?: boolean }) => {
      const merged = mergeReports(files.map(readReport));
      emit(merged, o, ctx);
      ctx.exitCode = driftExitCode(merged, Boolean(o.allowUnreachable));
    });
  report
    .command("render")
    .description("Render one drift JSON report in another format.")
    .argument("<file>", "JSON drift report")
    .addOption(new Option("--format <format>", "format printed on stdout").choices([...FORMATS]).default("text"))
    .option("-o, --out <[format:]file>", "also write the report (repeatable)", collect)
    .action((file: string, o: { format: Format; out?: string[] }) => emit(readReport(file), o, ctx));
  for (const sub of report.commands) sub.exitOverride();
}

function emit(r: DriftReport, o: { format: Format; out?: string[] }, ctx: CommandContext): void {
  const outs = (o.out ?? []).map(parseOut);
  ctx.io.out(renderReport(r, o.format, { color: ctx.io.color, details: false, width: 0 }));
  for (const { format, file } of outs) writeFileSync(file, renderReport(r, format, { color: false, details: true, width: 0 }));
}

let validator: ValidateFunction | undefined;

function readReport(file: string): DriftReport {
  let v: unknown;
  try {
    v = JSON.parse(readFileSync(file, "utf8"));
  } catch (e) {
    throw new InputError(`cannot read drift report ${file}: ${(e as Error).message}`, undefined, "pass JSON files written by `keel drift -o json:FILE`");
  }
  if (!validator) {
    const schema = JSON.parse(readFileSync(packagePath("schemas/drift-report.schema.json"), "utf8"));
    const ajv = new Ajv({ strict: false, allErrors: false });
    // ajv-formats is CommonJS: its default export is the plugin function.
    (addFormatsModule as unknown as (a: Ajv) => void)(ajv);
    validator = ajv.compile(schema);
  }
  if (!validator(v)) throw new InputError(`${file} is not a keel drift report (schema_version 1): ${JSON.stringify(validator.errors).slice(0, 300)}`, undefined, "pass JSON files written by `keel drift -o json:FILE`");
  return v as DriftReport;
}
