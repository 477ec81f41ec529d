// keel run PLAYBOOK -i INV: converge hosts. Everything is loaded and validated (inventory, playbook,
// extra vars, host patterns) before any host is touched; then engine/run does the work and the
// reporters in engine/report turn its events into progress, a recap, JSON and a run log.
import { writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { warnUncheckedHosts } from "./hostkeys.js";
import type { Command } from "commander";
import type { CommandContext } from "../context.js";
import { InputError } from "../../core/errors.js";
import { phaseMark } from "../../core/phases.js";
import type { EventSink } from "../../core/events.js";
import { registry } from "../../../modules/index.js";
import { loadInventory } from "../../inventory/index.js";
import { loadPlaybook } from "../../playbook/index.js";
import { runPlaybook, type RunOptions, type RunSummary } from "../../run/index.js";
import type { Play } from "../../core/plan.js";
import { listText, startAtTask } from "./run-list.js";
import { checkStepPossible, stepper } from "./run-step.js";
import { Progress } from "../../report/progress.js";
import { RecapReporter } from "../../report/recap.js";
import { JsonReporter } from "../../report/json.js";
import { reportMeta } from "../../report/meta.js";
import { createRunLog } from "../../report/runlog.js";
import { collect } from "./shared.js";
import { configGathering, configInventory } from "./ansible-config.js";
import { addConnectionFlags, addPlaybookFlags, askPasswords, connectionOptions, type ConnectionFlags } from "./flags.js";
import type { KeelEvent } from "../../core/events.js";
import { DEFAULT_PROFILE, auditReportOf, setupAudit } from "./audit.js";
import { parseAuditOut, renderAudit } from "../../report/audit/formats.js";

interface RunFlags extends ConnectionFlags {
  listHosts?: boolean;
  listTasks?: boolean;
  listTags?: boolean;
  syntaxCheck?: boolean;
  startAtTask?: string;
  step?: boolean;
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
    .option(
      "--audit-report <[format:]file>",
      "hardening runs: also write the audit report shape with each control's status before and after (json, html, sarif, junit, markdown, text; repeatable)",
      collect,
    )
    .option("--json <file>", "write the events and the summary as JSON (schemas/run-report.schema.json); '-' for stdout")
    .option("--log <file>", "write a run log of every event (secrets masked)")
    .option("--list-hosts", "list the hosts of each play (after --limit) and exit; nothing is touched")
    .option("--list-tasks", "list the tasks of each play (after --tags/--skip-tags) and exit")
    .option("--list-tags", "list the tags of each play's tasks and exit")
    .option("--syntax-check", "load and validate the playbook (every error at once) and exit")
    .option("--start-at-task <name>", "start at the first task with this name (or glob; role tasks also as 'role : name'); the plays before it run nothing")
    .option("--step", "ask before each task: (N)o/(y)es/(c)ontinue (needs a terminal)")
    .addHelpText(
      "after",
      `
Exit codes (as ansible-playbook's):
  0  every host converged (or, with --check, nothing failed)
  1  invalid input (playbook, inventory, options); no host was touched
  2  at least one host failed (the other hosts still ran)
  4  at least one host was unreachable (this wins over 2, as in ansible-playbook)

Examples:
  keel run site.yml -i hosts.yml                       # converge every host of the playbook
  keel run site.yml -i hosts.yml --check --diff        # preview: change nothing, show diffs
  keel run site.yml -i hosts.yml --limit 'web*' -e env=prod -e @vars/prod.yml
  keel run site.yml -i hosts.yml --tags motd --become --ask-become-pass
  keel run site.yml -c local                           # this machine (no -i: -c local is required)
  keel run site.yml -i hosts.yml --list-tasks --tags motd
  keel run site.yml -i hosts.yml --start-at-task 'Install nginx'
  keel run site.yml -i hosts.yml --json report.json --log run.log`,
    )
    .action(async (playbook: string, flags: RunFlags) => {
      ctx.exitCode = await runCommand(playbook, flags, ctx);
    });
}

async function runCommand(playbook: string, f: RunFlags, ctx: CommandContext): Promise<number> {
  const io = ctx.io;
  const listing = Boolean(f.listHosts || f.listTasks || f.listTags);
  if (f.syntaxCheck || listing) return inspectOnly(playbook, f, io);
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
  phaseMark("inventory loaded");
  let plan = loadPlaybook(resolve(playbook), { registry, gathering: configGathering() });
  phaseMark("playbook loaded");
  if (f.startAtTask !== undefined) plan = startAtTask(plan, f.startAtTask);
  if (f.step) checkStepPossible(Boolean(process.stdin.isTTY));
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
  const secrets = [...c.secrets, ...inv.hosts().flatMap((h: string) => [inv.host(h).password, inv.host(h).becomePassword])].filter(
    (s): s is string => typeof s === "string" && s.length > 0,
  );
  const log = f.log ? await createRunLog(resolve(f.log), { secrets }) : undefined;
  const sinks: EventSink[] = [progress.sink, recap.sink];
  if (json) sinks.push(json.sink);
  if (log) sinks.push(log.sink);
  const events: KeelEvent[] = [];
  if (auditSetup) sinks.push((e) => events.push(e));
  const sink: EventSink = (e) => sinks.forEach((s) => s(e));

  const opts: RunOptions = { registry, ...c.run, check: c.check, diff: c.diff, extraVars: c.extraVars, verbosity: c.verbose };
  if (f.step) opts.confirmTask = stepper(io);
  let summary;
  try {
    summary = await runPlaybook(plan, inv, opts, sink);
  } finally {
    progress.finish();
  }
  phaseMark("hosts done");

  // 3. Recap, JSON, log.
  humanWrite(recap.text({ color: io.color && !jsonToStdout }));
  if (auditSetup) {
    const report = auditReportOf(events, auditSetup, {
      mode: c.check ? "audit" : "remediation",
      inv,
      plan,
      playbook: resolve(playbook),
      extraVars: c.extraVars,
      now: new Date(),
    });
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
  phaseMark("report written");
  return runExitCode(summary);
}

/** ansible-playbook's exit codes: 4 when a host was unreachable, else 2 when one failed (or never ran), else 0. */
export function runExitCode(s: Pick<RunSummary, "failed" | "unreachable" | "notRun">): number {
  if (s.unreachable.length) return 4;
  return s.failed.length || s.notRun.length ? 2 : 0;
}

/** --syntax-check and --list-*: load (and list) without asking for passwords or touching a host. */
async function inspectOnly(playbook: string, f: RunFlags, io: CommandContext["io"]): Promise<number> {
  const c = connectionOptions(f);
  const plan = loadPlaybook(resolve(playbook), { registry, gathering: configGathering() });
  if (f.syntaxCheck && !(f.listHosts || f.listTasks || f.listTags)) {
    io.out(`\nplaybook: ${playbook}\n`);
    return 0;
  }
  const inv = f.listHosts ? await loadInventory(c.inventory) : undefined;
  const limit = c.limit && inv ? new Set(inv.match(c.limit)) : undefined;
  if (limit && limit.size === 0)
    throw new InputError(`--limit '${c.limit}' matches no host of the inventory`, undefined, "run `keel inventory` to list the hosts and groups");
  const hostsOf = (p: Play) => (inv ? inv.match(p.hosts, p.pos, []).filter((h) => !limit || limit.has(h)) : []);
  io.out(
    listText(
      plan,
      playbook,
      { hosts: Boolean(f.listHosts), tasks: Boolean(f.listTasks), tags: Boolean(f.listTags) },
      { tags: c.tags, skipTags: c.skipTags },
      hostsOf,
    ),
  );
  return 0;
}
