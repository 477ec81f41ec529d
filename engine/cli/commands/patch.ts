// keel patch report: which hosts have pending (security) updates, since when, which need a
// reboot, what is held, how old the package lists are; fleet totals. Read-only: two round trips
// per host after connecting (facts, then the patch probe). Formats, --out, --shard and history
// as `keel drift`.
import { Command, Option } from "commander";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { warnUncheckedHosts } from "./hostkeys.js";
import type { CommandContext } from "../context.js";
import { InputError } from "../../core/errors.js";
import { loadInventory } from "../../inventory/index.js";
import { parseShard, inShard } from "../../report/drift/shard.js";
import { baselineOf } from "../../report/meta.js";
import { buildPatchReport, comparePatch, patchExitCode, type FailOn, type HostOutcome, type PatchReport } from "../../report/patch/model.js";
import { collectPatchState } from "../../report/patch/collect.js";
import { DEFAULT_PATCH_HISTORY, PatchHistory, patchScope } from "../../report/patch/history.js";
import { renderPatchJunit, renderPatchMarkdown, renderPatchText } from "../../report/patch/render.js";
import { termSafeDeep } from "../../report/termsafe.js";
import { renderPatchHtml } from "../../report/patch/html.js";
import { collect } from "./shared.js";
import { parseOutSpec } from "../../report/outspec.js";
import { addConnectionFlags, askPasswords, connectionOptions, REPORT_HOST_TIMEOUT_S, type ConnectionFlags, type ConnectionSettings } from "./flags.js";
import type { HostSpec } from "../../core/host.js";

const FORMATS = ["text", "json", "junit", "html", "markdown"] as const;
type Format = (typeof FORMATS)[number];

export function renderPatchReport(r: PatchReport, f: Format, details: boolean): string {
  switch (f) {
    // text formats are read on a terminal (and `cat` of a saved file): what hosts sent is escaped
    case "text":
      return renderPatchText(termSafeDeep(r), { details });
    case "json":
      return JSON.stringify(r, null, 2) + "\n";
    case "junit":
      return renderPatchJunit(r);
    case "html":
      return renderPatchHtml(r);
    case "markdown":
      return renderPatchMarkdown(termSafeDeep(r));
  }
}

/** -b, or the inventory's ansible_become: probe as that user (the probe reads, it never writes). */
function becomeFor(spec: HostSpec, c: ConnectionSettings): { user: string; password?: string } | undefined {
  if (!c.run.become && !spec.become) return undefined;
  const user = c.run.becomeUser ?? spec.becomeUser ?? "root";
  const password = c.run.becomePassword ?? spec.becomePassword;
  return password === undefined ? { user } : { user, password };
}

function parseOut(spec: string): { format: Format; file: string } {
  return parseOutSpec(spec, FORMATS, "--out", "junit");
}

interface PatchCliOptions extends ConnectionFlags {
  format: Format;
  out?: string[];
  details?: boolean;
  failOn: FailOn;
  compare?: string;
  history: string | false;
  shard?: string;
  quiet?: boolean;
}

export function registerPatch(program: Command, ctx: CommandContext): void {
  const patch = program
    .command("patch")
    .summary("patch reports (pending and security updates, reboots, holds)")
    .description("Patch management across the fleet. See `keel patch report --help`.");
  const cmd = patch
    .command("report")
    .summary("pending and security updates per host, reboots required, held packages (changes nothing)")
    .description(
      "Probe every host of the inventory (read-only, two round trips per host after connecting) and report its pending updates " +
        "with the number of security ones, the age of the oldest pending security update, whether a reboot is required, the " +
        "packages on hold and the age of the package lists; then fleet totals. Held updates are listed but never count as pending.",
    );
  addConnectionFlags(cmd, { hostTimeout: REPORT_HOST_TIMEOUT_S })
    .addOption(new Option("--format <format>", "format printed on stdout").choices([...FORMATS]).default("text"))
    .option("-o, --out <[format:]file>", "also write a report file; format from the prefix or extension (.json .xml .html .md .txt); repeatable", collect)
    .option("--details", "text format: list every pending update, not only the security ones")
    .addOption(
      new Option("--fail-on <what>", "what makes the exit code 2: pending security updates, or any pending update")
        .choices(["security", "any"])
        .default("security"),
    )
    .option("--compare <run>", "mark updates new / persisting / resolved against a previous run ('last' or a run id)")
    .option("--history <path>", "patch history database", DEFAULT_PATCH_HISTORY)
    .option("--no-history", "do not record this run in the history")
    .option("--shard <K/N>", "report only the K-th of N stable shards of the hosts (for CI matrices)")
    .option("-q, --quiet", "no progress output")
    .addHelpText(
      "after",
      `
Exit codes:
  0  no pending security updates (with --fail-on any: no pending update at all)
  2  pending security updates (with --fail-on any: any pending update) on at least one host
  1  error: invalid input, or a host was unreachable or its probe failed

The age of a pending update is how long the package list offering it has been published (apt: the
Date of its suite's Release file; dnf: the advisory's date as dnf updateinfo info prints it, Issued else Updated): the update has been available
at least that long. The lists' age is the time since the host last refreshed them.

Examples:
  keel patch report -i hosts.yml
  keel patch report -i hosts.yml -o junit:patch.xml -o patch.html --compare last   # nightly CI
  keel patch report -i hosts.yml --fail-on any --format json`,
    )
    .action(async (o: PatchCliOptions) => {
      ctx.exitCode = await report(o, ctx);
    });
}

async function report(o: PatchCliOptions, ctx: CommandContext): Promise<number> {
  const { io } = ctx;
  // Everything is validated before a host is touched.
  const shard = o.shard !== undefined ? parseShard(o.shard) : undefined;
  if (o.shard !== undefined && !shard) throw new InputError(`invalid --shard '${o.shard}'`, undefined, "use K/N with 1 ≤ K ≤ N, e.g. --shard 2/4");
  const outs = (o.out ?? []).map(parseOut);
  const c = connectionOptions(o);
  if (o.compare !== undefined && o.compare !== "last" && !/^\d+$/.test(o.compare))
    throw new InputError(`invalid --compare '${o.compare}'`, undefined, "use 'last' or a run id");
  if (o.compare !== undefined && o.history === false) throw new InputError("--compare needs the history; drop --no-history");
  const inv = await loadInventory(c.inventory);
  const limited = c.limit ? new Set(inv.match(c.limit)) : undefined;
  const names = inv.match("all").filter((h) => (!limited || limited.has(h)) && (!shard || inShard(h, shard)));
  const specs = names.map((n) => inv.host(n)); // validates every host before connecting to any
  warnUncheckedHosts(io, inv, c);
  await askPasswords(o, c, io);

  const t0 = Date.now();
  let done = 0;
  if (!o.quiet) io.err(`probing ${specs.length} host${specs.length === 1 ? "" : "s"} for pending updates (read-only)\n`);
  const outcomes: HostOutcome[] = await collectPatchState(specs, {
    ...c.run,
    forks: c.run.forks ?? 50,
    become: (spec) => becomeFor(spec, c),
    onHost: (h) => {
      done++;
      if (o.quiet) return;
      const what =
        "error" in h
          ? `${h.failure === "probe" ? "failed" : "unreachable"}: ${h.error}`
          : `${h.state.updates.filter((u) => !u.held).length} pending, ${h.state.updates.filter((u) => !u.held && u.security).length} security`;
      io.err(`[${done}/${specs.length}] ${h.host}: ${what} (${(h.durationMs / 1000).toFixed(1)}s, ${h.roundTrips} round trips)\n`);
    },
  });
  let rep = buildPatchReport(outcomes, {
    inventory: c.inventory,
    ...(c.inventory[0] !== undefined ? { baseline: baselineOf(c.inventory[0]) } : {}),
    failOn: o.failOn,
    durationMs: Date.now() - t0,
    ...(shard ? { shard } : {}),
  });

  if (o.history !== false) {
    const store = new PatchHistory(resolve(o.history));
    try {
      if (o.compare !== undefined) {
        const prev = o.compare === "last" ? store.last(patchScope(rep)) : store.run(Number(o.compare));
        if (!prev && o.compare !== "last") throw new InputError(`no patch report run #${o.compare} in ${o.history}`);
        if (!prev) io.err(`note: no earlier patch report for this inventory in ${o.history}; every pending update counts as new\n`);
        rep = prev ? comparePatch(rep, store.itemsOf(prev.id), { run_id: prev.id, generated_at: prev.generated_at }) : comparePatch(rep, []);
      }
      store.record(rep);
    } finally {
      store.close();
    }
  }

  io.out(renderPatchReport(rep, o.format, Boolean(o.details)));
  for (const { format, file } of outs) {
    mkdirSync(dirname(resolve(file)), { recursive: true });
    writeFileSync(file, renderPatchReport(rep, format, true));
    if (!o.quiet) io.err(`wrote ${format} report to ${file}\n`);
  }
  if (o.format !== "text") for (const h of rep.hosts.filter((x) => x.error)) io.err(`${h.status}: ${h.host}: ${h.error}\n`);
  return patchExitCode(rep);
}
