// keel report verify / keygen, and rendering of audit JSON reports (keel report render). A report
// is rendered from its exact bytes: with --sig and --key it is verified first, and nothing is
// rendered when verification fails; the HTML header then names the signer.
import type { Command } from "commander";
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { Ajv, type ValidateFunction } from "ajv";
import addFormatsModule from "ajv-formats";
import type { CommandContext } from "../context.js";
import { InputError } from "../../core/errors.js";
import type { AuditReport } from "../../report/audit/model.js";
import { AUDIT_FORMATS, parseAuditOut, renderAudit, type AuditFormat } from "../../report/audit/formats.js";
import { keygen, loadPublicKey, verifyReport, type SignatureFile } from "../../report/sign.js";
import { readText } from "./audit.js";
import { packagePath } from "./shared.js";

export function registerReportAudit(report: Command, ctx: CommandContext): void {
  report
    .command("verify")
    .description("Check a report against its detached Ed25519 signature (keel audit --sign) and print who signed what and when. Exit 0 when valid, 1 when not.")
    .argument("<report>", "the report file exactly as written (e.g. audit.json)")
    .requiredOption("--sig <file>", "the signature file (REPORT.sig)")
    .requiredOption("--key <pub>", "the signer's public key: the .pub of `keel report keygen`, an OpenSSH ssh-ed25519 line, or a PEM public key")
    .action((file: string, o: { sig: string; key: string }) => {
      const v = verify(file, o.sig, o.key);
      if (!v.ok) {
        ctx.io.err(`NOT VERIFIED: ${file}: ${v.reason}\n`);
        ctx.exitCode = 1;
        return;
      }
      const s = v.sig;
      ctx.io.out(
        `verified: ${file}\n` +
          `  signed by   ${s.signer} (key ${s.key_fingerprint})\n` +
          `  signed at   ${s.signed_at}\n` +
          `  report      ${s.subject.kind ?? "file"}${s.subject.format ? ` (${s.subject.format})` : ""}${s.subject.profile ? `, profile ${s.subject.profile}` : ""}${s.subject.started_at ? `, run started ${s.subject.started_at}` : ""}\n` +
          `  sha256      ${s.subject.sha256} (${s.subject.size} bytes)\n`,
      );
    });
  report
    .command("keygen")
    .description(
      "Create an Ed25519 key pair for signing reports: KEY (private, PEM, mode 0600), KEY.pub (OpenSSH public line) and KEY.pub.pem (PEM, for openssl).",
    )
    .requiredOption("--out <key>", "path of the private key; the public key is written to KEY.pub")
    .option("--comment <text>", "comment in the public key (who signs)")
    .action((o: { out: string; comment?: string }) => {
      const k = keygen(o.comment);
      mkdirSync(dirname(resolve(o.out)), { recursive: true });
      writeFileSync(o.out, k.privatePem, { mode: 0o600, flag: "wx" });
      chmodSync(o.out, 0o600);
      writeFileSync(`${o.out}.pub`, k.publicLine);
      writeFileSync(`${o.out}.pub.pem`, k.publicPem);
      ctx.io.out(`wrote ${o.out} (private, keep it secret), ${o.out}.pub and ${o.out}.pub.pem (public, OpenSSH and PEM for openssl): ${k.fingerprint}\n`);
    });
}

function verify(file: string, sigFile: string, keyFile: string): ReturnType<typeof verifyReport> {
  const bytes = readBytes(file);
  const pub = loadPublicKey(readText(keyFile, "public key"), keyFile);
  return verifyReport(bytes, readText(sigFile, "signature"), pub);
}

function readBytes(file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (e) {
    throw new InputError(`cannot read report ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
}

/** True when the JSON text is an audit report (kind keel.audit). */
export function isAuditReport(v: unknown): boolean {
  return typeof v === "object" && v !== null && (v as { kind?: unknown }).kind === "keel.audit";
}

let validator: ValidateFunction | undefined;

/** Renders an audit JSON report (verified first when a signature and key are given). */
export function renderAuditFile(file: string, o: { format: string; out?: string[]; sig?: string; key?: string }, ctx: CommandContext): void {
  if (!(AUDIT_FORMATS as readonly string[]).includes(o.format))
    throw new InputError(`--format ${o.format} is not an audit report format`, undefined, `use one of ${AUDIT_FORMATS.join(", ")}`);
  const outs = (o.out ?? []).map(parseAuditOut);
  if ((o.sig === undefined) !== (o.key === undefined))
    throw new InputError(
      "verifying needs both --sig and --key",
      undefined,
      "keel report render audit.json --sig audit.json.sig --key signer.pub -o audit.html",
    );
  let signature: SignatureFile | undefined;
  if (o.sig && o.key) {
    const v = verify(file, o.sig, o.key);
    if (!v.ok) throw new InputError(`${file} is NOT VERIFIED: ${v.reason}`, undefined, "nothing was rendered; render only reports whose signature checks");
    signature = v.sig;
  }
  const r = JSON.parse(readBytes(file).toString("utf8")) as AuditReport;
  if (!validator) {
    const ajv = new Ajv({ strict: false });
    (addFormatsModule as unknown as (a: Ajv) => void)(ajv);
    validator = ajv.compile(JSON.parse(readFileSync(packagePath("schemas/audit-report.schema.json"), "utf8")));
  }
  if (!validator(r))
    throw new InputError(
      `${file} is not a keel audit report (schema_version 1): ${JSON.stringify(validator.errors).slice(0, 300)}`,
      undefined,
      "pass JSON written by `keel audit -o json:FILE`",
    );
  if (!signature) ctx.io.err(`note: ${file} is rendered without signature verification (add --sig and --key)\n`);
  const html = signature ? { signature: { signer: signature.signer, key_fingerprint: signature.key_fingerprint, signed_at: signature.signed_at } } : {};
  ctx.io.out(renderAudit(r, o.format as AuditFormat, { color: ctx.io.color, details: false, html }));
  for (const { format, file: out } of outs) {
    mkdirSync(dirname(resolve(out)), { recursive: true });
    writeFileSync(out, renderAudit(r, format, { color: false, details: true, html }));
  }
}
