// keel drift: check mode across the fleet, a drift report in several formats, a history of runs.
// Exit codes follow Terraform's plan -detailed-exitcode: 0 no drift, 2 drift, 1 error (and, unless
// --allow-unreachable, any unreachable or failed host).
import { configGathering } from "./ansible-config.js";
import { Command, Option } from "commander";
import { termSafe } from "../../report/termsafe.js";
import { writeFileSync, mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { warnUncheckedHosts } from "./hostkeys.js";
import type { CommandContext } from "../context.js";
import { InputError } from "../../core/errors.js";
import { phaseMark } from "../../core/phases.js";
import type { KeelEvent } from "../../core/events.js";
import { loadInventory, type Inventory } from "../../inventory/index.js";
import { loadPlaybook } from "../../playbook/index.js";
import { runPlaybook } from "../../run/index.js";
import { registry } from "../../../modules/index.js";
import { HostLines, Progress } from "../../report/progress.js";
import { baselineOf, reportMeta, type Baseline } from "../../report/meta.js";
import { buildDriftReport, driftExitCode, type DriftReport } from "../../report/drift/model.js";
import { compareWith } from "../../report/drift/compare.js";
import { HistoryStore, DEFAULT_HISTORY, defaultHistoryPath, historyKey } from "../../report/drift/history.js";
import { readDriftReport, previousItems } from "../../report/drift/file.js";
import { parseShard, inShard } from "../../report/drift/shard.js";
import { renderReport, FORMATS, type Format, parseOut } from "./report-formats.js";
import { collect, packagePath } from "./shared.js";
import {
  addConnectionFlags,
  addPlaybookFlags,
  askPasswords,
  connectionOptions,
  DEFAULT_CONNECT_TIMEOUT_S,
  REPORT_HOST_TIMEOUT_S,
  type ConnectionFlags,
  type ConnectionSettings,
} from "./flags.js";

export function registerDrift(program: Command, ctx: CommandContext): void {
  const cmd = program
    .command("drift")
    .summary("check hosts against a playbook in check mode and report drift (changes nothing)")
    .description(
      "Run PLAYBOOK in check mode on every host of the inventory, change nothing, and report each drifted " +
        "resource with its before/after values. Without arguments it checks this machine against the " +
        "shipped baseline (playbooks/baseline.yml, inventories/localhost.yml).",
    )
    .argument("[playbook]", "playbook to check against (default: the shipped playbooks/baseline.yml)");
  addPlaybookFlags(addConnectionFlags(cmd, { hostTimeout: REPORT_HOST_TIMEOUT_S }), {
    checkHelp: "check mode (always on: drift never changes anything)",
    diffHelp: "show unified diffs and before/after values (same as --details)",
  })
    .addOption(new Option("--format <format>", "format printed on stdout").choices([...FORMATS]).default("text"))
    .option("-o, --out <[format:]file>", "also write a report file; format from the prefix or extension (.json .xml .html .md .txt); repeatable", collect)
    .option("--details", "text format: show unified diffs and before/after values")
    .option(
      "--compare <run|file.json>",
      "mark items new / persisting / resolved against a previous run: 'last' or a run id of the history, or a previous JSON report (e.g. last night's CI artifact)",
    )
    .option("--history <path>", `drift history database (default: ${DEFAULT_HISTORY} at the top of the playbook's git repository, else here)`)
    .option("--no-history", "do not record this run in the history")
    .option("--shard <K/N>", "check only the K-th of N stable shards of the hosts (for CI matrices)")
    .option("--allow-unreachable", "unreachable or failed hosts do not make the run fail (exit 2 on drift elsewhere, else 0)")
    .option("-q, --quiet", "no progress output")
    .addHelpText(
      "after",
      `
Exit codes:
  0  no drift: every host is in sync
  2  drift: at least one host differs from the playbook
  1  error: invalid input, or a host was unreachable or failed (with --allow-unreachable these
     hosts are listed but do not change the exit code)

Deadlines: each host gets ${REPORT_HOST_TIMEOUT_S} s in all (--host-timeout) and ${DEFAULT_CONNECT_TIMEOUT_S} s to connect (-T, tried
twice); a host that accepts TCP and then stalls is reported unreachable with the reason, and the
report is still written.

Tasks whose outcome cannot be predicted without running them (command/shell without creates,
removes or changed_when) are reported as "unknown": never drift, never dropped.

Examples:
  keel drift                                         # this machine vs the shipped baseline
  keel drift site.yml -i hosts.yml -o junit:drift.xml -o drift.html
  keel drift site.yml -i hosts.yml --compare last    # new / persisting / resolved since last run
  keel drift site.yml -i hosts.yml --compare last-night.json -o json:tonight.json   # CI: compare with an artifact
  keel drift site.yml -i hosts.yml --shard 2/4 -o json:shard2.json   # one job of a CI matrix`,
    )
    .action(async (playbook: string | undefined, o: DriftCliOptions) => {
      ctx.exitCode = await drift(playbook ?? packagePath("playbooks/baseline.yml"), o, ctx);
    });
}

interface DriftCliOptions extends ConnectionFlags {
  format: Format;
  out?: string[];
  details?: boolean;
  compare?: string;
  /** --history PATH; false: --no-history; undefined: the default place (defaultHistoryPath). */
  history?: string | false;
  shard?: string;
  allowUnreachable?: boolean;
  quiet?: boolean;
}

async function drift(playbookArg: string, o: DriftCliOptions, ctx: CommandContext): Promise<number> {
  const { io } = ctx;
  // Everything is validated before a host is touched.
  const shard = o.shard !== undefined ? parseShard(o.shard) : undefined;
  if (o.shard !== undefined && !shard) throw new InputError(`invalid --shard '${o.shard}'`, undefined, "use K/N with 1 ≤ K ≤ N, e.g. --shard 2/4");
  const outs = (o.out ?? []).map(parseOut);
  const c = connectionOptions(o);
  // --compare: 'last' or a run id of the history, or a previous JSON report (a CI artifact).
  const compareRun = o.compare === "last" || (o.compare !== undefined && /^\d+$/.test(o.compare)) ? o.compare : undefined;
  const compareFile = o.compare !== undefined && compareRun === undefined ? readDriftReport(o.compare) : undefined;
  if (compareRun !== undefined && o.history === false)
    throw new InputError(`--compare ${compareRun} needs the history; drop --no-history (or compare with a JSON report: --compare FILE.json)`);
  const inv0 = await loadInventory(c.inventory);
  const inv = shard ? shardInventory(inv0, shard) : inv0;
  phaseMark("inventory loaded");
  const plan = loadPlaybook(resolve(playbookArg), { registry, gathering: configGathering() });
  phaseMark("playbook loaded");
  warnUncheckedHosts(io, inv, c);
  const playbookName = displayPath(playbookArg);
  // The playbook's git state, read once for the history key and the report.
  const baseline = baselineOf(resolve(playbookArg));
  const scope = historyKey(resolve(playbookArg), c.inventory, c.limit, baseline);
  const historyPath = o.history === false ? undefined : resolve(o.history ?? defaultHistoryPath(baseline.repo));
  const store = historyPath !== undefined ? new HistoryStore(historyPath) : undefined;
  phaseMark("history opened");
  try {
    if (compareRun !== undefined && compareRun !== "last" && !store!.run(Number(compareRun))) {
      throw new InputError(`no drift run #${compareRun} in ${historyPath}`, undefined, "`keel history` lists the recorded runs");
    }
    await askPasswords(o, c, io);
    return await checkAndReport({ plan, inv, c, o, io, shard, outs, playbookArg, playbookName, scope, baseline, store, compareRun, compareFile });
  } finally {
    store?.close();
  }
}

interface DriftJob {
  plan: ReturnType<typeof loadPlaybook>;
  inv: Inventory;
  c: ConnectionSettings;
  o: DriftCliOptions;
  io: CommandContext["io"];
  shard: ReturnType<typeof parseShard>;
  outs: ReturnType<typeof parseOut>[];
  playbookArg: string;
  playbookName: string;
  scope: string;
  baseline: Baseline;
  store: HistoryStore | undefined;
  compareRun: string | undefined;
  compareFile: DriftReport | undefined;
}

async function checkAndReport(j: DriftJob): Promise<number> {
  const { plan, inv, c, o, io, shard, outs, playbookArg, playbookName, scope, store, compareRun, compareFile } = j;

  const events: KeelEvent[] = [];
  // On a TTY: the live progress region. Otherwise one line per finished host on stderr (HostLines).
  // -v: every task result as `keel run` prints it (on stderr; stdout carries the report).
  const progress = o.quiet || !io.isTTY ? undefined : new Progress({ isTTY: true, color: io.color, diff: false, verbose: c.verbose, write: io.err });
  const lines =
    o.quiet || io.isTTY
      ? undefined
      : c.verbose > 0
        ? new Progress({ isTTY: false, color: false, diff: c.verbose > 1, verbose: c.verbose, write: io.err })
        : new HostLines({ write: io.err, playbook: playbookName });
  await runPlaybook(plan, inv, { registry, ...c.run, check: true, diff: true, extraVars: c.extraVars }, (e) => {
    events.push(e);
    progress?.sink(e);
    lines?.sink(e);
  });
  progress?.finish();
  phaseMark("hosts done");
  let report: DriftReport = buildDriftReport(events, {
    playbook: playbookName,
    baseDir: process.cwd(),
    shard,
    meta: reportMeta(resolve(playbookArg), j.baseline),
  });
  phaseMark("report built");

  if (compareFile) {
    report = compareWith(report, previousItems(compareFile), { file: o.compare!, generated_at: compareFile.generated_at });
  } else if (compareRun !== undefined && store) {
    const shardKey = shard ? `${shard.index}/${shard.total}` : null;
    const prev = compareRun === "last" ? store.last(scope, shardKey) : store.run(Number(compareRun));
    if (!prev) io.err(`note: no earlier run of ${playbookName} (same inventory and --limit) in ${store.path}; every drifted item counts as new\n`);
    report = prev ? compareWith(report, store.itemsOf(prev.id), { run_id: prev.id, generated_at: prev.generated_at }) : compareWith(report, []);
  }
  store?.record(report, scope);
  phaseMark("history recorded");

  io.out(renderReport(report, o.format, { color: io.color, details: Boolean(o.details || o.diff), width: io.isTTY ? (process.stdout.columns ?? 0) : 0 }));
  for (const { format, file } of outs) {
    mkdirSync(dirname(resolve(file)), { recursive: true });
    writeFileSync(file, renderReport(report, format, { color: false, details: true, width: 0 }));
    if (!o.quiet) io.err(`wrote ${format} report to ${file}\n`);
  }
  phaseMark("report written");
  const bad = report.hosts.filter((h) => h.status === "unreachable" || h.status === "failed");
  if (bad.length && o.format !== "text") for (const h of bad) io.err(termSafe(`${h.status}: ${h.host}: ${h.error ?? ""}`) + "\n");
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
