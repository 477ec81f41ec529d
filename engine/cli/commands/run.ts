// keel run PLAYBOOK -i INV: converge hosts. Everything is loaded and validated (inventory, playbook,
// extra vars, host patterns) before any host is touched; then engine/run does the work and the
// reporters in engine/report turn its events into progress, a recap, JSON and a run log.
import { writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { warnUncheckedHosts } from "./hostkeys.js";
import type { Command } from "commander";
import type { CommandContext } from "../context.js";
import { InputError } from "../../core/errors.js";
import type { EventSink } from "../../core/events.js";
import { registry } from "../../../modules/index.js";
import { loadInventory } from "../../inventory/index.js";
import { loadPlaybook } from "../../playbook/index.js";
import { runPlaybook, type RunOptions } from "../../run/index.js";
import { Progress } from "../../report/progress.js";
import { RecapReporter } from "../../report/recap.js";
import { JsonReporter } from "../../report/json.js";
import { reportMeta } from "../../report/meta.js";
import { createRunLog } from "../../report/runlog.js";
import { collect } from "./shared.js";
import { configInventory } from "./ansible-config.js";
import { addConnectionFlags, addPlaybookFlags, askPasswords, connectionOptions, type ConnectionFlags } from "./flags.js";
import type { KeelEvent } from "../../core/events.js";
import { DEFAULT_PROFILE, auditReportOf, setupAudit } from "./audit.js";
import { parseAuditOut, renderAudit } from "../../report/audit/formats.js";

interface RunFlags extends ConnectionFlags {
  json?: string;
  auditReport?: string[];
  log?: string;
}

export function registerRun(program: Command, ctx: CommandContext): void {
  const cmd = program
    .command("run")
    .description("Converge the hosts of an inventory to the state a playbook describes.")
    .argument("<playbook>", "the playbook (YAML)");
  addPlaybookFlags(addConnectionFlags(cmd, { hostTimeout: 0 }))
    .option("--audit-report <[format:]file>", "hardening runs: also write the audit report shape with each control's status before and after (json, html, sarif, junit, markdown, text; repeatable)", collect)
    .option("--json <file>", "write the events and the summary as JSON (schemas/run-report.schema.json); '-' for stdout")
    .option("--log <file>", "write a run log of every event (secrets masked)")
    .addHelpText(
      "after",
      `
Exit codes:
  0  every host converged (or, with --check, nothing failed)
  1  invalid input (playbook, inventory, options); no host was touched
  2  at least one host failed or was unreachable (the other hosts still ran)

Examples:
  keel run site.yml -i hosts.yml                       # converge every host of the playbook
  keel run site.yml -i hosts.yml --check --diff        # preview: change nothing, show diffs
  keel run site.yml -i hosts.yml --limit 'web*' -e env=prod -e @vars/prod.yml
  keel run site.yml -i hosts.yml --tags motd --become --ask-become-pass
  keel run site.yml -c local                           # this machine (no -i: -c local is required)
  keel run site.yml -i hosts.yml --json report.json --log run.log`,
    )
    .action(async (playbook: string, flags: RunFlags) => {
      ctx.exitCode = await runCommand(playbook, flags, ctx);
    });
}

async function runCommand(playbook: string, f: RunFlags, ctx: CommandContext): Promise<number> {
  const io = ctx.io;
  // 1. Validate everything before touching any host.
  // A run changes hosts: which ones must be said, never defaulted to this machine (issue 10 #8;
  // Ansible refuses too: "provided hosts list is empty, only localhost is available").
  if (!f.inventory?.length && !configInventory() && f.connection !== "local") {
    throw new InputError(
      "keel run needs an inventory: give -i INVENTORY, or -c local to converge this machine",
      undefined,
      "keel drift and keel audit, which change nothing, still default to this machine",
    );
  }
  const c = connectionOptions(f);
  const inv = await loadInventory(c.inventory);
  const plan = loadPlaybook(resolve(playbook), { registry });
  warnUncheckedHosts(io, inv, c);
  if (c.limit && inv.match(c.limit).length === 0) {
    throw new InputError(`--limit '${c.limit}' matches no host of the inventory`, undefined, "run `keel inventory` to list the hosts and groups");
  }
  // --audit-report: the catalog and profile are resolved now, so a typo fails before any host.
  const auditOuts = (f.auditReport ?? []).map(parseAuditOut);
  const auditSetup = auditOuts.length ? setupAudit(String(c.extraVars.profile ?? c.extraVars.hardening_profile ?? DEFAULT_PROFILE), undefined) : undefined;
  // Passwords: prompted without echo, never logged.
  await askPasswords(f, c, io);

  // 2. Reporters. With `--json -` stdout carries only the JSON; human output goes to stderr.
  const jsonToStdout = f.json === "-";
  const humanWrite = jsonToStdout ? io.err : io.out;
  const progress = new Progress({
    isTTY: io.isTTY && !jsonToStdout,
    color: io.color && !jsonToStdout,
    diff: c.diff,
    verbose: c.verbose,
    write: humanWrite,
    columns: process.stdout.columns,
  });
  const recap = new RecapReporter();
  const json = f.json ? new JsonReporter(reportMeta(resolve(playbook))) : undefined;
  const secrets = [...c.secrets, ...inv.hosts().flatMap((h: string) => [inv.host(h).password, inv.host(h).becomePassword])].filter((s): s is string => typeof s === "string" && s.length > 0);
  const log = f.log ? await createRunLog(resolve(f.log), { secrets }) : undefined;
  const sinks: EventSink[] = [progress.sink, recap.sink];
  if (json) sinks.push(json.sink);
  if (log) sinks.push(log.sink);
  const events: KeelEvent[] = [];
  if (auditSetup) sinks.push((e) => events.push(e));
  const sink: EventSink = (e) => sinks.forEach((s) => s(e));

  const opts: RunOptions = { registry, ...c.run, check: c.check, diff: c.diff, extraVars: c.extraVars };
  let summary;
  try {
    summary = await runPlaybook(plan, inv, opts, sink);
  } finally {
    progress.finish();
  }

  // 3. Recap, JSON, log.
  humanWrite(recap.text({ color: io.color && !jsonToStdout }));
  if (auditSetup) {
    const report = auditReportOf(events, auditSetup, { mode: c.check ? "audit" : "remediation", inv, plan, playbook: resolve(playbook), extraVars: c.extraVars, now: new Date() });
    for (const { format, file } of auditOuts) writeFileSync(resolve(file), renderAudit(report, format, { color: false, details: true }));
  }
  if (json) {
    const text = JSON.stringify(json.report(), null, 2) + "\n";
    if (jsonToStdout) io.out(text);
    else writeFileSync(resolve(f.json!), text);
  }
  if (log) {
    log.info("run.summary", { failed: summary.failed, unreachable: summary.unreachable, roundTrips: summary.roundTrips });
    await log.close();
  }
  return summary.failed.length || summary.unreachable.length || summary.notRun.length ? 2 : 0;
}
