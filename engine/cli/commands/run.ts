// keel run PLAYBOOK -i INV: converge hosts. Everything is loaded and validated (inventory, playbook,
// extra vars, host patterns) before any host is touched; then engine/run does the work and the
// reporters in engine/report turn its events into progress, a recap, JSON and a run log.
import { writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { Option, type Command } from "commander";
import type { CommandContext } from "../context.js";
import { InputError } from "../../core/errors.js";
import type { EventSink } from "../../core/events.js";
import { registry } from "../../../modules/index.js";
import { collect, parseExtraVars } from "./shared.js";
import { loadInventory, defaultInventoryPath } from "../../inventory/index.js";
import { loadPlaybook } from "../../playbook/index.js";
import { runPlaybook, type RunOptions } from "../../run/index.js";
import { Progress } from "../../report/progress.js";
import { formatRecap } from "../../report/recap.js";
import { JsonReporter } from "../../report/json.js";
import { createRunLog } from "../../report/runlog.js";
import type { KeelEvent } from "../../core/events.js";
import { DEFAULT_PROFILE, auditReportOf, setupAudit } from "./audit.js";
import { parseAuditOut, renderAudit } from "../../report/audit/formats.js";

const KEEL_VERSION = "0.1.0";

interface RunFlags {
  inventory?: string[];
  check?: boolean;
  diff?: boolean;
  limit?: string;
  tags?: string[];
  skipTags?: string[];
  extraVars?: string[];
  forks?: string;
  become?: boolean;
  askBecomePass?: boolean;
  askPass?: boolean;
  connection?: string;
  acceptNewHostKeys?: boolean;
  connectTimeout?: string;
  timeout?: string;
  json?: string;
  auditReport?: string[];
  log?: string;
}


export function registerRun(program: Command, ctx: CommandContext): void {
  program
    .command("run")
    .description("Converge the hosts of an inventory to the state a playbook describes.")
    .argument("<playbook>", "the playbook (YAML)")
    .option("-i, --inventory <path>", "inventory file, folder or script (repeatable; default inventories/localhost.yml)", collect)
    .option("-C, --check", "change nothing; report what would change")
    .option("-D, --diff", "show before/after of each change (unified diff for files)")
    .option("-l, --limit <pattern>", "only hosts that also match this pattern ('web*', 'db:&prod', '!lab03')")
    .option("-t, --tags <tags>", "only tasks with one of these tags (comma separated, repeatable)", collect)
    .option("--skip-tags <tags>", "skip tasks with one of these tags (comma separated, repeatable)", collect)
    .option("-e, --extra-vars <vars>", "variables: key=value ..., a JSON/YAML mapping, or @file.yml (repeatable; highest precedence)", collect)
    .option("-f, --forks <n>", "hosts worked on in parallel (default 50)")
    .option("-b, --become", "run tasks through sudo unless a play or task says otherwise")
    .option("-K, --ask-become-pass", "prompt for the sudo password (not echoed)")
    .option("-k, --ask-pass", "prompt for the SSH password (not echoed)")
    .addOption(new Option("-c, --connection <type>", "override the inventory's connection").choices(["local", "ssh"]))
    .option("--accept-new-host-keys", "trust and record host keys seen for the first time (a changed key is still refused)")
    .option("--connect-timeout <sec>", "seconds to wait for a connection")
    .option("-T, --timeout <sec>", "seconds a single command may take before the host counts as unreachable")
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
  keel run site.yml -c local                           # this machine (inventories/localhost.yml)
  keel run site.yml -i hosts.yml --json report.json --log run.log`,
    )
    .action(async (playbook: string, flags: RunFlags) => {
      ctx.exitCode = await runCommand(playbook, flags, ctx);
    });
}

async function runCommand(playbook: string, f: RunFlags, ctx: CommandContext): Promise<number> {
  const io = ctx.io;
  // 1. Validate everything before touching any host.
  const forks = positiveInt(f.forks ?? "50", "--forks");
  const connectTimeoutMs = f.connectTimeout !== undefined ? seconds(f.connectTimeout, "--connect-timeout") : undefined;
  const commandTimeoutMs = f.timeout !== undefined ? seconds(f.timeout, "--timeout") : undefined;
  const extraVars = parseExtraVars(f.extraVars ?? []);
  const inv = await loadInventory(f.inventory?.length ? f.inventory : [defaultInventoryPath()]);
  const plan = loadPlaybook(resolve(playbook), { registry });
  if (f.limit && inv.match(f.limit).length === 0) {
    throw new InputError(`--limit '${f.limit}' matches no host of the inventory`, undefined, "run `keel inventory` to list the hosts and groups");
  }
  const splitTags = (xs: string[] = []) => xs.flatMap((x) => x.split(",")).map((x) => x.trim()).filter(Boolean);

  // 2. Passwords: prompted without echo, never logged.
  const password = f.askPass ? await promptHidden(io, "SSH password: ") : undefined;
  const becomePassword = f.askBecomePass ? await promptHidden(io, "BECOME password: ") : undefined;

  // 3. Reporters. With `--json -` stdout carries only the JSON; human output goes to stderr.
  const jsonToStdout = f.json === "-";
  const humanWrite = jsonToStdout ? io.err : io.out;
  const progress = new Progress({
    isTTY: io.isTTY && !jsonToStdout,
    color: io.color && !jsonToStdout,
    diff: Boolean(f.diff),
    write: humanWrite,
    columns: process.stdout.columns,
  });
  const json = f.json ? new JsonReporter(KEEL_VERSION) : undefined;
  const secrets = [password, becomePassword, ...inv.hosts().flatMap((h: string) => [inv.host(h).password, inv.host(h).becomePassword])].filter((s): s is string => typeof s === "string" && s.length > 0);
  const log = f.log ? await createRunLog(resolve(f.log), { secrets }) : undefined;
  // --audit-report: the catalog and profile are resolved now, so a typo fails before any host.
  const auditOuts = (f.auditReport ?? []).map(parseAuditOut);
  const auditSetup = auditOuts.length ? setupAudit(String(extraVars.profile ?? extraVars.hardening_profile ?? DEFAULT_PROFILE), undefined) : undefined;
  const events: KeelEvent[] = [];
  const sinks: EventSink[] = [progress.sink];
  if (auditSetup) sinks.push((e) => events.push(e));
  if (json) sinks.push(json.sink);
  if (log) sinks.push(log.sink);
  const sink: EventSink = (e) => sinks.forEach((s) => s(e));

  const opts: RunOptions = {
    registry,
    check: Boolean(f.check),
    diff: Boolean(f.diff),
    limit: f.limit,
    tags: splitTags(f.tags),
    skipTags: splitTags(f.skipTags),
    forks,
    extraVars,
    connection: f.connection as RunOptions["connection"],
    become: f.become ? true : undefined,
    becomePassword,
    password,
    acceptNewHostKeys: Boolean(f.acceptNewHostKeys),
    connectTimeoutMs,
    commandTimeoutMs,
  };
  let summary;
  try {
    summary = await runPlaybook(plan, inv, opts, sink);
  } finally {
    progress.finish();
  }

  // 4. Recap, failures, JSON, log.
  humanWrite("\n" + formatRecap(summary, { color: io.color && !jsonToStdout }));
  if (summary.failures.length) {
    humanWrite("\nFAILED\n" + summary.failures.map((x) => `  ${x.message.split("\n").join("\n    ")}\n`).join(""));
  }
  if (summary.stopped) {
    humanWrite(`\nSTOPPED: ${summary.stopped}\n`);
    if (summary.notRun.length) humanWrite(`  not run: ${summary.notRun.join(", ")}\n`);
  }
  humanWrite(`\n${Object.keys(summary.stats).length} host(s) in ${(summary.durationMs / 1000).toFixed(1)}s${opts.check ? " (check mode: nothing was changed)" : ""}\n`);
  if (auditSetup) {
    const report = auditReportOf(events, auditSetup, { mode: opts.check ? "audit" : "remediation", inv, plan, playbook, extraVars, now: new Date(), version: KEEL_VERSION });
    for (const { format, file } of auditOuts) writeFileSync(resolve(file), renderAudit(report, format, { color: false, details: true }));
  }
  if (json) {
    const text = JSON.stringify(json.report(summary), null, 2) + "\n";
    if (jsonToStdout) io.out(text);
    else writeFileSync(resolve(f.json!), text);
  }
  if (log) {
    log.info("run.summary", { failed: summary.failed, unreachable: summary.unreachable, roundTrips: summary.roundTrips });
    await log.close();
  }
  return summary.failed.length || summary.unreachable.length || summary.notRun.length ? 2 : 0;
}

// ------------------------------------------------------------------ option parsing

function positiveInt(v: string, flag: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InputError(`${flag} must be a positive whole number, got '${v}'`, undefined, `for example ${flag} 10`);
  return n;
}

function seconds(v: string, flag: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new InputError(`${flag} must be a number of seconds greater than 0, got '${v}'`, undefined, `for example ${flag} 30`);
  return Math.round(n * 1000);
}

/** Read a password from the terminal without echo (or one line from stdin when it is not a TTY). */
function promptHidden(io: CommandContext["io"], prompt: string): Promise<string> {
  const stdin = process.stdin;
  return new Promise((resolvePw, reject) => {
    let buf = "";
    const tty = Boolean(stdin.isTTY);
    const done = (err?: Error) => {
      stdin.removeListener("data", onData);
      stdin.removeListener("end", onEnd);
      if (tty) stdin.setRawMode(false);
      stdin.pause();
      io.err("\n");
      if (err) reject(err);
      else resolvePw(buf);
    };
    const onData = (chunk: Buffer) => {
      const text = chunk.toString("utf8");
      let at = 0;
      for (const ch of text) {
        at += ch.length;
        if (ch === "\r" || ch === "\n") {
          // What follows the line (the next prompt's answer, when both are piped) goes back to stdin.
          const rest = text.slice(ch === "\r" && text[at] === "\n" ? at + 1 : at);
          done();
          if (rest) stdin.unshift(Buffer.from(rest, "utf8"));
          return;
        }
        if (ch === "\u0003") return done(new InputError("password prompt interrupted"));
        if (ch === "\u0004") return done();
        if (ch === "\u007f" || ch === "\b") buf = buf.slice(0, -1);
        else buf += ch;
      }
    };
    const onEnd = () => done();
    // Echo off before the prompt shows, so nothing typed at it is echoed.
    if (tty) stdin.setRawMode(true);
    io.err(prompt);
    // stdin already at its end (an earlier prompt read the last line): "end" will not come again.
    if (stdin.readableEnded) return done();
    stdin.resume();
    stdin.on("data", onData);
    stdin.once("end", onEnd);
  });
}
