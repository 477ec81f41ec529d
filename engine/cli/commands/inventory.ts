// keel inventory: show an inventory as keel reads it, in ansible-inventory's formats.
import { Option, type Command } from "commander";
import { collect } from "./shared.js";
import { addVaultFlags } from "./vault-flags.js";
import type { CommandContext } from "../context.js";
import { InputError } from "../../core/errors.js";
import { maskVaultedVars } from "../../core/secrets.js";
import { defaultInventoryPath, loadInventory, pythonJson } from "../../inventory/index.js";

export function registerInventory(program: Command, ctx: CommandContext): void {
  const cmd = program.command("inventory");
  addVaultFlags(cmd)
    .description("Show hosts, groups and merged variables of an inventory (same output as ansible-inventory).")
    .option("-i, --inventory <source>", "inventory file, directory, script or host list 'a,b,' (repeatable)", collect)
    .addOption(new Option("--list", "print all groups and hosts with their variables as JSON").conflicts(["graph", "host"]))
    .addOption(new Option("--graph", "print the group tree").conflicts(["host"]))
    .option("--host <name>", "print one host's merged variables as JSON")
    .option("--resolved", "with --host: print the connection settings keel derives (HostSpec)")
    .addHelpText(
      "after",
      `
Without -i, the built-in inventory is used: ${defaultInventoryPath()}
Examples:
  keel inventory -i hosts.ini --list       # same JSON as ansible-inventory -i hosts.ini --list
  keel inventory -i hosts.yml --graph
  keel inventory -i hosts.yml --host web1 --resolved`,
    )
    .action(async (opts: { inventory: string[]; list?: boolean; graph?: boolean; host?: string; resolved?: boolean }) => {
      if (!opts.list && !opts.graph && opts.host === undefined) {
        throw new InputError("keel inventory needs one of --list, --graph or --host NAME", undefined, "e.g. keel inventory -i hosts.yml --list");
      }
      if (opts.resolved && opts.host === undefined) throw new InputError("--resolved goes with --host NAME");
      const sources = opts.inventory?.length ? opts.inventory : [defaultInventoryPath()];
      const inv = await loadInventory(sources);
      if (opts.list) {
        const list = inv.toAnsibleList() as { _meta?: { hostvars?: Record<string, Record<string, unknown>> } };
        const hv = list._meta?.hostvars ?? {};
        for (const h of Object.keys(hv)) hv[h] = maskVaultedVars(hv[h]!);
        ctx.io.out(pythonJson(list) + "\n");
      } else if (opts.graph) ctx.io.out(inv.graph() + "\n");
      else if (opts.resolved) ctx.io.out(JSON.stringify(inv.host(opts.host!), null, 2) + "\n");
      else {
        inv.host(opts.host!); // validates the connection settings
        ctx.io.out(pythonJson(maskVaultedVars(inv.hostVars(opts.host!))) + "\n");
      }
      ctx.exitCode = 0;
    });
}
