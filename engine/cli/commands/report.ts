// keel report: combine and re-render drift JSON reports (e.g. the shards of a CI matrix); render,
// verify and sign-check audit reports (report-audit.ts).
import type { Command } from "commander";
import { Option } from "commander";
import { readFileSync, writeFileSync } from "node:fs";
import type { CommandContext } from "../context.js";
import { InputError } from "../../core/errors.js";
import type { DriftReport } from "../../report/drift/model.js";
import { driftExitCode } from "../../report/drift/model.js";
import { mergeReports } from "../../report/drift/merge.js";
import { renderReport, FORMATS, parseOut, type Format } from "./report-formats.js";
import { collect } from "./shared.js";
import { readDriftReport } from "../../report/drift/file.js";
import { AUDIT_FORMATS } from "../../report/audit/formats.js";
import { isAuditReport, registerReportAudit, renderAuditFile } from "./report-audit.js";

export function registerReport(program: Command, ctx: CommandContext): void {
  const report = program
    .command("report")
    .summary("merge, render or verify drift and audit JSON reports")
    .description("Work with JSON reports written by `keel drift -o json:FILE` and `keel audit -o json:FILE` (verify their signatures, render them).");
  report
    .command("merge")
    .description("Combine drift JSON reports (the shards of a CI matrix) into one and render it. Exit code as `keel drift`.")
    .argument("<files...>", "JSON drift reports")
    .addOption(new Option("--format <format>", "format printed on stdout").choices([...FORMATS]).default("text"))
    .option("-o, --out <[format:]file>", "also write the merged report (repeatable)", collect)
    .option("--allow-unreachable", "unreachable or failed hosts do not change the exit code")
    .action((files: string[], o: { format: Format; out?: string[]; allowUnreachable?: boolean }) => {
      const merged = mergeReports(files.map(readDriftReport));
      emit(merged, o, ctx);
      ctx.exitCode = driftExitCode(merged, Boolean(o.allowUnreachable));
    });
  report
    .command("render")
    .description(
      "Render one drift or audit JSON report in another format. An audit report given with --sig and --key is verified first; nothing is rendered if it does not verify.",
    )
    .argument("<file>", "JSON drift or audit report")
    .addOption(new Option("--format <format>", "format printed on stdout").choices([...new Set<string>([...FORMATS, ...AUDIT_FORMATS])]).default("text"))
    .option("-o, --out <[format:]file>", "also write the report (repeatable)", collect)
    .option("--sig <file>", "audit reports: the detached signature to verify before rendering")
    .option("--key <pub>", "audit reports: the signer's public key")
    .action((file: string, o: { format: Format; out?: string[]; sig?: string; key?: string }) => {
      if (isAuditReport(peek(file))) return renderAuditFile(file, o, ctx);
      if (o.sig || o.key) throw new InputError("--sig and --key verify audit reports; drift reports are not signed");
      if (!(FORMATS as readonly string[]).includes(o.format))
        throw new InputError(`--format ${o.format} is not a drift report format`, undefined, `use one of ${FORMATS.join(", ")}`);
      emit(readDriftReport(file), o, ctx);
    });
  registerReportAudit(report, ctx);
  for (const sub of report.commands) sub.exitOverride();
}

function emit(r: DriftReport, o: { format: Format; out?: string[] }, ctx: CommandContext): void {
  const outs = (o.out ?? []).map(parseOut);
  ctx.io.out(renderReport(r, o.format, { color: ctx.io.color, details: false, width: 0 }));
  for (const { format, file } of outs) writeFileSync(file, renderReport(r, format, { color: false, details: true, width: 0 }));
}

/** The parsed JSON of a file, or undefined when it is not JSON (readDriftReport then says why). */
function peek(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, "utf8"));
  } catch {
    return undefined;
  }
}
