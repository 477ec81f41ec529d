// keel audit [PROFILE] -i INV: the hardening report for security teams. It runs the profile's
// controls (the hardening role's tasks) in check mode across the fleet, changes nothing, and reports
// per host × control: pass / fail with evidence, not_applicable, manual, error/unknown, waived.
// Everything is loaded and validated (catalog, profile, waivers, inventory, playbook, signing key,
// outputs) before a host is touched. The exit codes are documented in the help text below.
import { configGathering } from "./ansible-config.js";
import { Command, Option } from "commander";
import { termSafe } from "../../report/termsafe.js";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { basename, dirname, resolve } from "node:path";
import { warnUncheckedHosts } from "./hostkeys.js";
import type { CommandContext } from "../context.js";
import { didYouMean, InputError } from "../../core/errors.js";
import type { KeelEvent } from "../../core/events.js";
import { loadInventory, type Inventory } from "../../inventory/index.js";
import { loadPlaybook } from "../../playbook/index.js";
import { runPlaybook } from "../../run/index.js";
import { registry } from "../../../modules/index.js";
import { Progress } from "../../report/progress.js";
import { defaultCatalogDir, loadCatalog, resolveProfile, type Catalog, type ResolvedProfile } from "../../controls/catalog.js";
import { buildAuditReport } from "../../report/audit/build.js";
import { applyWaivers, loadWaivers, type WaiverFile } from "../../report/audit/waivers.js";
import { auditVerdict } from "../../report/audit/score.js";
import { AuditHistory, DEFAULT_AUDIT_HISTORY, compareAudit } from "../../report/audit/history.js";
import { applicability, assertReadOnly, controlOf, profileControls, taskControls } from "../../report/audit/plan.js";
import { AUDIT_FORMATS, parseAuditOut, renderAudit, type AuditFormat } from "../../report/audit/formats.js";
import type { AuditReport } from "../../report/audit/model.js";
import { loadPrivateKey, signReport, type LoadedKey } from "../../report/sign.js";
import { collect, packagePath } from "./shared.js";
import { addConnectionFlags, addPlaybookFlags, askPasswords, connectionOptions, REPORT_HOST_TIMEOUT_S, type ConnectionFlags } from "./flags.js";
import { reportMeta } from "../../report/meta.js";

export const DEFAULT_PROFILE = "cis-level1-server";

export function registerAudit(program: Command, ctx: CommandContext): void {
  const cmd = program
    .command("audit")
    .summary("check hardening controls across the fleet: evidence, severity, waivers, SARIF, signed reports (changes nothing)")
    .description(
      "Run the controls of a hardening PROFILE (a shipped profile or a profile file; default cis-level1-server) in check mode " +
        "on every host, change nothing, and report each control per host with its evidence: pass, fail (observed, expected, " +
        "where it was read), not_applicable (the applies_when that is false), manual (the procedure), error/unknown (why), " +
        "or waived (by whom, until when). A control that was not verified is never shown as a pass.",
    )
    .argument("[profile]", `a shipped profile (${DEFAULT_PROFILE}, devsec) or a profile file that extends one`);
  addPlaybookFlags(addConnectionFlags(cmd, { hostTimeout: REPORT_HOST_TIMEOUT_S }), {
    checkHelp: "check mode (always on: an audit never changes anything)",
    diffHelp: "text format: list every control with its evidence (same as --details)",
  })
    .option("-w, --waivers <file>", "waivers YAML: control, hosts, justification, approver, expires")
    .addOption(new Option("--format <format>", "format printed on stdout").choices([...AUDIT_FORMATS]).default("text"))
    .option(
      "-o, --out <[format:]file>",
      "also write a report: json, junit, sarif, html, markdown, text (prefix or .json .xml .sarif .html .md .txt); repeatable",
      collect,
    )
    .option("--details", "text format: list passing and not-applicable controls too")
    .option("--fail-under <score>", "exit 2 when the fleet score (with waivers, 0-100) is below this")
    .option("--sign <key>", "write a detached Ed25519 signature FILE.sig beside each report file (-o FORMAT:FILE, every format); PEM or OpenSSH private key")
    .option("--signer <name>", "name recorded as the signer (default: the key's comment, else its fingerprint)")
    .option("--compare <run>", "mark failures new / persisting / resolved against an earlier audit ('last' or a run id)")
    .option("--history <path>", "audit history database", DEFAULT_AUDIT_HISTORY)
    .option("--no-history", "do not record this audit in the history")
    .option("--catalog <dir>", "controls catalog folder (default: keel's roles/hardening)")
    .option("--playbook <file>", "playbook that applies the catalog's role (default: keel's playbooks/harden.yml)")
    .option("--list", "list the profile's controls (id, severity, title) and exit; touches no host")
    .option("--allow-unreachable", "unreachable hosts and controls in error make the audit fail (exit 2) instead of erroring (exit 1)")
    .option("-q, --quiet", "no progress output")
    .addHelpText(
      "after",
      `
Exit codes:
  0  every control passes, is validly waived, is manual, or does not apply
  2  not compliant: a control fails (an expired waiver counts as a failure), a result is unknown,
     or the fleet score is under --fail-under
  1  keel could not judge: invalid input, a host unreachable or stopped, a control in error
     (with --allow-unreachable these count as not compliant: exit 2, never 0)

Why 0/1/2 and not InSpec's 100/101: InSpec exits 101 when controls were merely skipped, so
\`inspec exec … || alert\` fires on a skip, and every wrapper has to learn two private codes. keel
follows diff, grep and terraform plan -detailed-exitcode: 0 clean, 2 findings, 1 trouble; not
applicable and manual controls never change the code, so \`keel audit … || alert\` fires exactly
when something needs a person.

Examples:
  keel audit -i hosts.yml                                   # CIS Level 1 Server, text report
  keel audit devsec -i hosts.yml -o sarif:audit.sarif -o junit:audit.xml -o audit.html
  keel audit -i hosts.yml -w waivers.yml --fail-under 90 --compare last
  keel audit -i hosts.yml -o json:audit.json -o audit.html --sign ci-audit.key   # audit.json.sig, audit.html.sig
  keel report verify audit.json --sig audit.json.sig --key ci-audit.pub`,
    )
    .action(async (profile: string | undefined, o: AuditCliOptions) => {
      ctx.exitCode = await audit(profile ?? DEFAULT_PROFILE, o, ctx);
    });
}

interface AuditCliOptions extends ConnectionFlags {
  waivers?: string;
  format: AuditFormat;
  out?: string[];
  details?: boolean;
  failUnder?: string;
  sign?: string;
  signer?: string;
  compare?: string;
  history: string | false;
  catalog?: string;
  playbook?: string;
  list?: boolean;
  allowUnreachable?: boolean;
  quiet?: boolean;
}

/** What `keel audit` and `keel run --audit-report` share: the catalog, the profile, the waivers. */
export interface AuditSetup {
  catalog: Catalog;
  profile: ResolvedProfile;
  /** The value given to the playbook as `profile` (a shipped name or an absolute file path). */
  profileRef: string;
  /** The profile's controls that -t/--skip-tags left out of this run. */
  leftOut?: string[];
}

export function setupAudit(profileArg: string, catalogDir: string | undefined): AuditSetup {
  const catalog = loadCatalog(catalogDir ? resolve(catalogDir) : defaultCatalogDir());
  const pathLike = profileArg.includes("/") || /\.ya?ml$/.test(profileArg);
  const profileRef = pathLike ? resolve(profileArg) : profileArg;
  return { catalog, profile: resolveProfile(catalog, profileRef), profileRef };
}

/** Builds the report of a run (audit or remediation) with waivers applied, judged at `now`. */
export function auditReportOf(
  events: KeelEvent[],
  s: AuditSetup,
  o: {
    mode: "audit" | "remediation";
    inv: Inventory;
    plan: Parameters<typeof taskControls>[0];
    playbook: string;
    extraVars: Record<string, unknown>;
    waivers?: WaiverFile;
    now: Date;
  },
): AuditReport {
  const cwd = process.cwd();
  const meta = reportMeta(o.playbook);
  const report = buildAuditReport(events, {
    mode: o.mode,
    keelVersion: meta.keel_version,
    baseline: meta.baseline,
    playbook: shown(o.playbook),
    catalog: { name: s.catalog.name, dir: shown(s.catalog.dir) },
    profile: {
      name: s.profile.name,
      sha256: s.profile.sha256,
      files: s.profile.chain.map((c) => shown(c.file)),
      ...(s.leftOut?.length ? { left_out: s.leftOut } : {}),
    },
    controls: profileControls(s.catalog, s.profile.controls),
    controlOf: controlOf(taskControls(o.plan, s.catalog)),
    // As the hardening.profile task sees them: the profile's parameters under the inventory's.
    applicability: applicability((h) => ({ ...s.profile.params, ...o.inv.hostVars(h) }), o.extraVars),
    baseDir: cwd,
    now: o.now,
  });
  const extra = Object.keys(o.extraVars).filter((k) => k !== "profile");
  const withExtra = extra.length ? { ...report, extra_vars: extra.sort() } : report;
  return o.waivers ? applyWaivers(withExtra, o.waivers, o.now) : withExtra;
}

async function audit(profileArg: string, o: AuditCliOptions, ctx: CommandContext): Promise<number> {
  const { io } = ctx;
  // 1. Everything is validated before a host is touched.
  const outs = (o.out ?? []).map(parseAuditOut);
  const c = connectionOptions(o);
  const failUnder = o.failUnder === undefined ? undefined : Number(o.failUnder);
  if (failUnder !== undefined && !(Number.isFinite(failUnder) && failUnder >= 0 && failUnder <= 100))
    throw new InputError(`invalid --fail-under '${o.failUnder}'`, undefined, "a score from 0 to 100, e.g. --fail-under 90");
  if (o.compare !== undefined && o.compare !== "last" && !/^\d+$/.test(o.compare))
    throw new InputError(`invalid --compare '${o.compare}'`, undefined, "use 'last' or a run id");
  if (o.compare !== undefined && o.history === false) throw new InputError("--compare needs the history; drop --no-history");
  let key: LoadedKey | undefined;
  if (o.sign !== undefined) {
    if (!outs.length)
      throw new InputError(
        "--sign signs the report files: add -o FORMAT:FILE",
        undefined,
        "e.g. keel audit -i hosts.yml -o json:audit.json -o audit.html --sign audit.key",
      );
    key = loadPrivateKey(readText(o.sign, "signing key"), o.sign);
  }
  const setup = setupAudit(profileArg, o.catalog);
  if (o.list) {
    for (const id of setup.profile.controls) {
      const c = setup.catalog.controls.get(id)!;
      io.out(`${id.padEnd(34)} ${c.severity.padEnd(8)} ${c.type === "manual" ? "manual    " : "automated "} ${c.title}\n`);
    }
    io.out(`${setup.profile.controls.length} controls in profile ${setup.profile.name} (sha256 ${setup.profile.sha256})\n`);
    return 0;
  }
  const extraVars = { ...c.extraVars, profile: setup.profileRef };
  const inv = await loadInventory(c.inventory);
  if (c.limit && inv.match(c.limit).length === 0)
    throw new InputError(`--limit '${c.limit}' matches no host of the inventory`, undefined, "run `keel inventory` to list the hosts and groups");
  warnUncheckedHosts(io, inv, c);
  const waivers = o.waivers ? loadWaivers(o.waivers, setup.catalog.ids, (p, pos) => inv.match(p, pos)) : undefined;
  const playbookFile = resolve(o.playbook ?? packagePath("playbooks/harden.yml"));
  const plan = loadPlaybook(playbookFile, { registry, gathering: configGathering() });
  assertReadOnly(plan);
  // -t / --skip-tags select controls by id: the report covers exactly the controls that ran.
  for (const t of [...c.tags, ...c.skipTags]) {
    if (t === "always" || setup.catalog.controls.has(t)) continue;
    const sug = didYouMean(t, setup.catalog.ids);
    throw new InputError(
      `-t/--skip-tags '${t}' is not a control id of the catalog${sug ? `, did you mean '${sug}'?` : ""}`,
      undefined,
      "`keel audit --list` lists the profile's controls",
    );
  }
  const kept = setup.profile.controls.filter((id) => (!c.tags.length || c.tags.includes(id)) && !c.skipTags.includes(id));
  // The report names the profile's controls left out, so its checksum and score are not read as the whole profile's.
  setup.leftOut = setup.profile.controls.filter((id) => !kept.includes(id));
  setup.profile = { ...setup.profile, controls: kept };
  await askPasswords(o, c, io);

  // 2. The run: check mode, every probe batched; progress on stderr.
  const events: KeelEvent[] = [];
  const progress = o.quiet || !io.isTTY ? undefined : new Progress({ isTTY: true, color: io.color, diff: false, write: io.err });
  let total = 0;
  let done = 0;
  await runPlaybook(plan, inv, { registry, ...c.run, check: true, diff: true, extraVars, facts: "all" }, (e) => {
    events.push(e);
    progress?.sink(e);
    if (o.quiet || io.isTTY) return;
    if (e.type === "run.start") {
      total = e.hosts.length;
      io.err(
        `auditing ${total} host${total === 1 ? "" : "s"} against profile ${setup.profile.name} (${setup.profile.controls.length} controls, check mode: nothing is changed)\n`,
      );
    } else if (e.type === "host.unreachable") io.err(termSafe(`unreachable  ${e.host}: ${e.message}`) + "\n");
    else if (e.type === "host.done") io.err(`[${++done}/${total}] ${e.host} (${(e.durationMs / 1000).toFixed(1)}s, ${e.roundTrips} round trips)\n`);
  });
  progress?.finish();

  // 3. The report: waivers judged now, history, outputs, signatures, verdict.
  const now = new Date();
  let report = auditReportOf(events, setup, { mode: "audit", inv, plan, playbook: playbookFile, extraVars, waivers, now });
  if (failUnder !== undefined) report = { ...report, fail_under: failUnder };
  if (o.history !== false) report = withHistory(report, resolve(o.history), o.compare, io.err);
  io.out(renderAudit(report, o.format, { color: io.color, details: Boolean(o.details || c.diff) }));
  for (const { format, file } of outs) {
    mkdirSync(dirname(resolve(file)), { recursive: true });
    const text = renderAudit(report, format, { color: false, details: true });
    writeFileSync(file, text);
    if (!o.quiet) io.err(`wrote ${format} report to ${file}\n`);
    if (key) {
      const meta = { kind: "keel.audit", format, profile: report.profile.name, started_at: report.started_at };
      const sig = signReport(Buffer.from(text), basename(file), key, { signer: o.signer, now, meta });
      writeFileSync(`${file}.sig`, JSON.stringify(sig, null, 2) + "\n");
      if (!o.quiet) io.err(`signed ${file} as ${sig.signer} (key ${sig.key_fingerprint}): ${file}.sig\n`);
    }
  }
  const verdict = auditVerdict(report, { allowUnreachable: Boolean(o.allowUnreachable), failUnder });
  for (const r of verdict.reasons) io.err(termSafe(`audit ${verdict.code === 1 ? "error" : "failed"}: ${r}`) + "\n");
  return verdict.code;
}

function withHistory(report: AuditReport, path: string, compare: string | undefined, err: (s: string) => void): AuditReport {
  const store = new AuditHistory(path);
  try {
    let out = report;
    if (compare !== undefined) {
      const prev = compare === "last" ? store.last(report.profile.name) : store.run(Number(compare));
      if (!prev && compare !== "last") throw new InputError(`no audit #${compare} in ${path}`, undefined, "run without --compare to start the history");
      if (!prev) err(`note: no earlier audit of profile ${report.profile.name} in ${path}; every failure counts as new\n`);
      out = prev ? compareAudit(report, store.failuresOf(prev.id), { run_id: prev.id, generated_at: prev.generated_at }) : compareAudit(report, []);
    }
    store.record(out);
    return out;
  } finally {
    store.close();
  }
}

export function readText(file: string, what: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch (e) {
    throw new InputError(`cannot read ${what} ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
}

function shown(p: string): string {
  const cwd = process.cwd();
  return p.startsWith(cwd + "/") ? p.slice(cwd.length + 1) : p;
}
