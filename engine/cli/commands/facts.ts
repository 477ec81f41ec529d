// keel facts: connect to hosts and print the facts keel gathers (one probe each) as JSON. It
// connects as every other command does (the shared flags, connectHost with its retry, the per-host
// deadline), so what `keel facts` reaches, `keel run` reaches.
import { warnUncheckedHosts } from "./hostkeys.js";
import { termSafe } from "../../report/termsafe.js";
import type { Command } from "commander";
import pLimit from "p-limit";
import type { CommandContext } from "../context.js";
import { ConnectionError, InputError, KeelError } from "../../core/errors.js";
import type { Facts } from "../../core/facts.js";
import type { HostSpec } from "../../core/host.js";
import { defaultInventoryPath, loadInventory } from "../../inventory/index.js";
import { connectHost } from "../../run/index.js";
import { Deadline } from "../../run/deadline.js";
import { ansibleFactVars, factsOptions, gatherFacts } from "../../facts/index.js";
import { addConnectionFlags, askPasswords, connectionOptions, REPORT_HOST_TIMEOUT_S, type ConnectionFlags, type ConnectionSettings } from "./flags.js";

interface FactsOpts extends ConnectionFlags {
  ansible?: boolean;
}

export function registerFacts(program: Command, ctx: CommandContext): void {
  const cmd = program
    .command("facts")
    .description("Gather and print the facts of hosts as JSON: one host, every host a pattern matches, or (without an argument) every host of the inventory.")
    .argument("[host]", "inventory host name, or a pattern (web*, group, a:b): then the JSON is keyed by host; default: all hosts");
  addConnectionFlags(cmd, { hostTimeout: REPORT_HOST_TIMEOUT_S })
    .option("--ansible", "print the variables playbooks see: facts, ansible_facts and ansible_* names")
    .addHelpText(
      "after",
      `
Without -i, the built-in inventory is used: ${defaultInventoryPath()}
With -b, facts are gathered through sudo (as --become-user, default root).
Exit codes: 0 ok, 1 invalid input, 2 a host was unreachable or failed.
Examples:
  keel facts localhost
  keel facts -i hosts.yml                      # every host, keyed by host
  keel facts web1 -i hosts.yml --accept-new-host-keys
  keel facts 'lab*' -i lab.yml --ansible`,
    )
    .action(async (pattern: string | undefined, opts: FactsOpts) => {
      const c = connectionOptions(opts);
      const inv = await loadInventory(c.inventory);
      const selected = pattern === undefined ? inv.match("all") : inv.hosts().includes(pattern) ? [pattern] : inv.match(pattern);
      const names = c.limit ? selected.filter((h) => new Set(inv.match(c.limit!)).has(h)) : selected;
      warnUncheckedHosts(ctx.io, inv, c);
      if (names.length === 0)
        throw new InputError(
          `no host matches ${JSON.stringify(pattern ?? "all")}${c.limit ? ` and --limit '${c.limit}'` : ""}`,
          undefined,
          `hosts in this inventory: ${inv.hosts().slice(0, 10).join(", ")}`,
        );
      const specs = names.map((n) => inv.host(n)); // validates every host before connecting to any
      await askPasswords(opts, c, ctx.io);

      const limit = pLimit(c.run.forks ?? 50);
      const results = await Promise.all(
        specs.map((spec) =>
          limit(async () => {
            const t0 = Date.now();
            const r = await factsOf(spec, c);
            // -v: one line per host on stderr as it finishes (stdout stays pure JSON)
            if (c.verbose > 0 && r.facts) ctx.io.err(`${r.name}: facts gathered in ${((Date.now() - t0) / 1000).toFixed(1)}s\n`);
            return r;
          }),
        ),
      );

      const show = (f: Facts) => (opts.ansible ? ansibleFactVars(f) : f);
      const ok = results.filter((r) => r.facts);
      if (pattern !== undefined && names.length === 1 && pattern === names[0]) {
        if (ok.length === 1) ctx.io.out(JSON.stringify(show(ok[0]!.facts!), null, 2) + "\n");
      } else {
        ctx.io.out(JSON.stringify(Object.fromEntries(ok.map((r) => [r.name, show(r.facts!)])), null, 2) + "\n");
      }
      for (const r of results) {
        if (r.error) ctx.io.err(termSafe(`${r.name}: ${r.error instanceof ConnectionError ? "unreachable" : "failed"}: ${r.error.message}`) + "\n");
      }
      ctx.exitCode = ok.length === results.length ? 0 : 2;
    });
}

/** One host's facts, within the per-host deadline; a KeelError is the host's result, not the command's. */
async function factsOf(spec: HostSpec, c: ConnectionSettings): Promise<{ name: string; facts?: Facts; error?: KeelError }> {
  const deadline = new Deadline(spec.name, c.run.hostTimeoutMs);
  deadline.arm();
  let conn: Awaited<ReturnType<typeof connectHost>> | undefined;
  try {
    return await deadline.race(async () => {
      conn = await connectHost(spec, c.run);
      // connected after the deadline: nobody waits for this host any more (the finally closed nothing)
      if (deadline.passed) void conn.close().catch(() => undefined);
      return { name: spec.name, facts: await gatherFacts(conn, becomeOf(spec, c), factsOptions({}, spec.vars)) };
    });
  } catch (e) {
    if (e instanceof KeelError) return { name: spec.name, error: e };
    throw e;
  } finally {
    deadline.clear();
    void conn?.close().catch(() => undefined);
  }
}

/** -b: gather as --become-user (default: the inventory's become user, else root). */
function becomeOf(spec: HostSpec, c: ConnectionSettings): { user: string; password?: string } | undefined {
  if (!c.run.become) return undefined;
  const user = c.run.becomeUser ?? spec.becomeUser ?? "root";
  const password = c.run.becomePassword ?? spec.becomePassword;
  return password === undefined ? { user } : { user, password };
}
