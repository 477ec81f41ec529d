// keel drift: check mode across the fleet, a drift report in several formats, a history of runs.
// Exit codes follow Terraform's plan -detailed-exitcode: 0 no drift, 2 drift, 1 error (and, unless
// --allow-unreachable, any unreachable or failed host).
import { Command, Option } from "commander";
import { writeFileSync, mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import type { CommandContext } from "../context.js";
import { InputError } from "../../core/errors.js";
import type { KeelEvent } from "../../core/events.js";
import { loadInventory, defaultInventoryPath, type Inventory } from "../../inventory/index.js";
import { loadPlaybook } from "../../playbook/index.js";
import { runPlaybook } from "../../run/index.js";
import { registry } from "../../../modules/index.js";
import { Progress } from "../../report/progress.js";
import { buildDriftReport, driftExitCode, type DriftReport } from "../../report/drift/model.js";
import { compareWith } from "../../report/drift/compare.js";
import { HistoryStore, DEFAULT_HISTORY } from "../../report/drift/history.js";
import { parseShard, inShard } from "../../report/drift/shard.js";
import { renderReport, FORMATS, type Format, parseOut } from "./report-formats.js";
import { collect, parseExtraVars, packagePath } from "./shared.js";

export function registerDrift(program: Command, ctx: CommandContext): void {
  program
    .command("drift")
    .summary("check hosts against a playbook in check mode and report drift (changes nothing)")
    .description(
      "Run PLAYBOOK in check mode on every host of the inventory, change nothing, and report each drifted " +
        "resource with its before/after values. Without arguments it checks this machine against the " +
        "shipped baseline (playbooks/baseline.yml, inventories/localhost.yml).",
    )
    .argument("[playbook]", "playbook to check against (default: the shipped playbooks/baseline.yml)")
    .option("-i, --inventory <path>", "inventory file, folder or script (repeatable; default inventories/localhost.yml)", collect)
    .option("-l, --limit <pattern>", "only hosts matching this pattern")
    .option("-e, --extra-vars <vars>", "extra variables: key=value, JSON/YAML, or @file (repeatable)", collect)
    .addOption(new Option("--format <format>", "format printed on stdout").choices([...FORMATS]).default("text"))
    .option("-o, --out <[format:]file>", "also write a report file; format from the prefix or extension (.json .xml .html .md .txt); repeatable", collect)
    .option("--details", "text format: show unified diffs and before/after values")
    .option("--compare <run>", "mark items new / persisting / resolved against a previous run ('last' or a run id)")
    .option("--history <path>", "drift history database", DEFAULT_HISTORY)
    .option("--no-history", "do not record this run in the history")
    .option("--shard <K/N>", "check only the K-th of N stable shards of the hosts (for CI matrices)")
    .option("--allow-unreachable", "unreachable or failed hosts do not make the run fail (exit 2 on drift elsewhere, else 0)")
    .option("-f, --forks <n>", "hosts checked in parallel", (v) => Number(v), 50)
    .addOption(new Option("-c, --connection <type>", "override the connection of every host").choices(["ssh", "local"]))
    .option("--become", "run probes through sudo")
    .option("--accept-new-host-keys", "trust and record host keys seen for the first time")
    .option("--connect-timeout <sec>", "SSH connect timeout in seconds", (v) => Number(v), 10)
    .option("--timeout <sec>", "timeout of each command in seconds (0 = none)", (v) => Number(v), 0)
    .option("-q, --quiet", "no progress output")
    .addHelpText(
      "after",
      `
Exit codes:
  0  no drift: every host is in sync
  2  drift: at least one host differs from the playbook
  1  error: invalid input, or a host was unreachable or failed (with --allow-unreachable these
     hosts are listed but do not change the exit code)

Tasks whose outcome cannot be predicted without running them (command/shell without creates,
removes or changed_when) are reported as "unknown": never drift, never dropped.

Examples:
  keel drift                                         # this machine vs the shipped baseline
  keel drift site.yml -i hosts.yml -o junit:drift.xml -o drift.html
  keel drift site.yml -i hosts.yml --compare last    # new / persisting / resolved since last run
  keel drift site.yml -i hosts.yml --shard 2/4 -o json:shard2.json   # one job of a CI matrix`,
    )
    .action(async (playbook: string | undefined, o: DriftCliOptions) => {
      ctx.exitCode = await drift(playbook ?? packagePath("playbooks/baseline.yml"), o, ctx);
    });
}

interface DriftCliOptions {
  inventory?: string[];
  limit?: string;
  extraVars?: string[];
  format: Format;
  out?: string[];
  details?: boolean;
  compare?: string;
  history: string | false;
  shard?: string;
  allowUnreachable?: boolean;
  forks: number;
  connection?: "ssh" | "local";
  become?: boolean;
  acceptNewHostKeys?: boolean;
  connectTimeout: number;
  timeout: number;
  quiet?: boolean;
}

async function drift(playbookArg: string, o: DriftCliOptions, ctx: CommandContext): Promise<number> {
  const { io } = ctx;
  // Everything is validated before a host is touched.
  const shard = o.shard !== undefined ? parseShard(o.shard) : undefined;
  if (o.shard !== undefined && !shard) throw new InputError(`invalid --shard '${o.shard}'`, undefined, "use K/N with 1 ≤ K ≤ N, e.g. --shard 2/4");
  const outs = (o.out ?? []).map(parseOut);
  if (!Number.isInteger(o.forks) || o.forks < 1) throw new InputError(`invalid --forks '${o.forks}'`, undefined, "a whole number ≥ 1");
  if (o.compare !== undefined && o.compare !== "last" && !/^\d+$/.test(o.compare)) throw new InputError(`invalid --compare '${o.compare}'`, undefined, "use 'last' or a run id from `keel history`");
  if (o.compare !== undefined && o.history === false) throw new InputError("--compare needs the history; drop --no-history");
  const extraVars = parseExtraVars(o.extraVars ?? []);
  const sources = o.inventory?.length ? o.inventory : [defaultInventoryPath()];
  const inv0 = await loadInventory(sources);
  const inv = shard ? shardInventory(inv0, shard) : inv0;
  const plan = loadPlaybook(resolve(playbookArg), { registry });
  const playbookName = displayPath(playbookArg);

  const events: KeelEvent[] = [];
  // On a TTY: the live progress region. Otherwise one line per finished host on stderr, so a
  // nightly CI log shows progress without repeating every task the report lists anyway.
  const progress = o.quiet || !io.isTTY ? undefined : new Progress({ isTTY: true, color: io.color, diff: false, write: io.err });
  let total = 0;
  let done = 0;
  const plainProgress = (e: KeelEvent) => {
    if (o.quiet || io.isTTY) return;
    if (e.type === "run.start") {
      total = e.hosts.length;
      io.err(`checking ${total} host${total === 1 ? "" : "s"} against ${playbookName} (check mode, nothing is changed)\n`);
    } else if (e.type === "host.unreachable") io.err(`unreachable  ${e.host}: ${e.message}\n`);
    else if (e.type === "host.done") {
      done++;
      const st = e.stats;
      io.err(`[${done}/${total}] ${e.host}: ${st.unreachable ? "unreachable" : st.failed ? "failed" : st.changed ? `${st.changed} drifted` : "in sync"} (${(e.durationMs / 1000).toFixed(1)}s, ${e.roundTrips} round trips)\n`);
    }
  };
  await runPlaybook(
    plan,
    inv,
    {
      registry,
      check: true,
      diff: true,
      limit: o.limit,
      forks: o.forks,
      extraVars,
      connection: o.connection,
      become: o.become,
      acceptNewHostKeys: o.acceptNewHostKeys,
      connectTimeoutMs: o.connectTimeout * 1000,
      commandTimeoutMs: o.timeout * 1000,
    },
    (e) => {
      events.push(e);
      progress?.sink(e);
      plainProgress(e);
    },
  );
  progress?.finish();
  let report: DriftReport = buildDriftReport(events, { playbook: playbookName, baseDir: process.cwd(), shard });

  if (o.history !== false) {
    const store = new HistoryStore(resolve(o.history));
    try {
      if (o.compare !== undefined) {
        const shardKey = shard ? `${shard.index}/${shard.total}` : null;
        const prev = o.compare === "last" ? store.last(playbookName, shardKey) : store.run(Number(o.compare));
        if (!prev && o.compare !== "last") throw new InputError(`no drift run #${o.compare} in ${o.history}`, undefined, "`keel history` lists the recorded runs");
        if (!prev) io.err(`note: no earlier run of ${playbookName} in ${o.history}; every drifted item counts as new\n`);
        report = prev ? compareWith(report, store.itemsOf(prev.id), { run_id: prev.id, generated_at: prev.generated_at }) : compareWith(report, []);
      }
      store.record(report);
    } finally {
      store.close();
    }
  }

  io.out(renderReport(report, o.format, { color: io.color, details: Boolean(o.details), width: io.isTTY ? process.stdout.columns ?? 0 : 0 }));
  for (const { format, file } of outs) {
    mkdirSync(dirname(resolve(file)), { recursive: true });
    writeFileSync(file, renderReport(report, format, { color: false, details: true, width: 0 }));
    if (!o.quiet) io.err(`wrote ${format} report to ${file}\n`);
  }
  const bad = report.hosts.filter((h) => h.status === "unreachable" || h.status === "failed");
  if (bad.length && o.format !== "text") for (const h of bad) io.err(`${h.status}: ${h.host}: ${h.error ?? ""}\n`);
  return driftExitCode(report, Boolean(o.allowUnreachable));
}

/** The inventory seen through a shard: patterns only ever match the shard's hosts. */
function shardInventory(inv: Inventory, shard: { index: number; total: number }): Inventory {
  return new Proxy(inv, {
    get(target, prop, receiver) {
      if (prop === "match") return (p: string, pos?: Parameters<Inventory["match"]>[1]) => target.match(p, pos).filter((h) => inShard(h, shard));
      if (prop === "hosts") return () => target.hosts().filter((h) => inShard(h, shard));
      const v = Reflect.get(target, prop, receiver);
      return typeof v === "function" ? v.bind(target) : v;
    },
  });
}

function displayPath(p: string): string {
  const abs = resolve(p);
  const cwd = process.cwd();
  return abs.startsWith(cwd + "/") ? abs.slice(cwd.length + 1) : abs;
}
