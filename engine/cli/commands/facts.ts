// keel facts: connect to hosts and print the facts keel gathers (one probe each) as JSON.
import type { Command } from "commander";
import { collect } from "./shared.js";
import pLimit from "p-limit";
import type { CommandContext } from "../context.js";
import { ConnectionError, InputError, KeelError } from "../../core/errors.js";
import type { Facts } from "../../core/facts.js";
import { defaultInventoryPath, loadInventory } from "../../inventory/index.js";
import { connect } from "../../transport/index.js";
import { ansibleFactVars, gatherFacts } from "../../facts/index.js";

interface FactsOpts {
  inventory: string[];
  acceptNewHostKeys?: boolean;
  connectTimeout: string;
  ansible?: boolean;
}

export function registerFacts(program: Command, ctx: CommandContext): void {
  program
    .command("facts")
    .description("Gather and print the facts of a host (or of every host a pattern matches) as JSON.")
    .argument("<host>", "inventory host name, or a pattern (web*, group, a:b): then the JSON is keyed by host")
    .option("-i, --inventory <source>", "inventory file, directory, script or host list 'a,b,' (repeatable)", collect)
    .option("--accept-new-host-keys", "trust and record host keys seen for the first time (a changed key is always refused)")
    .option("--connect-timeout <seconds>", "give up connecting after this many seconds", "10")
    .option("--ansible", "print the variables playbooks see: facts, ansible_facts and ansible_* names")
    .addHelpText(
      "after",
      `
Without -i, the built-in inventory is used: ${defaultInventoryPath()}
Exit codes: 0 ok, 1 invalid input, 2 a host was unreachable.
Examples:
  keel facts localhost
  keel facts web1 -i hosts.yml --accept-new-host-keys
  keel facts 'lab*' -i lab.yml --ansible`,
    )
    .action(async (pattern: string, opts: FactsOpts) => {
      const timeout = Number(opts.connectTimeout);
      if (!Number.isFinite(timeout) || timeout <= 0) {
        throw new InputError(`--connect-timeout must be a positive number of seconds, not ${JSON.stringify(opts.connectTimeout)}`, undefined, "e.g. --connect-timeout 5");
      }
      const inv = await loadInventory(opts.inventory?.length ? opts.inventory : [defaultInventoryPath()]);
      const names = inv.hosts().includes(pattern) ? [pattern] : inv.match(pattern);
      if (names.length === 0) throw new InputError(`no host matches ${JSON.stringify(pattern)}`, undefined, `hosts in this inventory: ${inv.hosts().slice(0, 10).join(", ")}`);
      const specs = names.map((n) => inv.host(n)); // validates every host before connecting to any

      const limit = pLimit(50);
      const results = await Promise.all(
        specs.map((spec) =>
          limit(async (): Promise<{ name: string; facts?: Facts; error?: KeelError }> => {
            try {
              const conn = await connect(spec, { acceptNewHostKeys: opts.acceptNewHostKeys, connectTimeoutMs: Math.round(timeout * 1000) });
              try {
                return { name: spec.name, facts: await gatherFacts(conn) };
              } finally {
                await conn.close();
              }
            } catch (e) {
              if (e instanceof KeelError) return { name: spec.name, error: e };
              throw e;
            }
          }),
        ),
      );

      const show = (f: Facts) => (opts.ansible ? ansibleFactVars(f) : f);
      const ok = results.filter((r) => r.facts);
      if (names.length === 1 && pattern === names[0]) {
        if (ok.length === 1) ctx.io.out(JSON.stringify(show(ok[0]!.facts!), null, 2) + "\n");
      } else {
        ctx.io.out(JSON.stringify(Object.fromEntries(ok.map((r) => [r.name, show(r.facts!)])), null, 2) + "\n");
      }
      for (const r of results) {
        if (r.error) ctx.io.err(`${r.name}: ${r.error instanceof ConnectionError ? "unreachable" : "failed"}: ${r.error.message}\n`);
      }
      ctx.exitCode = ok.length === results.length ? 0 : 2;
    });
}

