// keel's entry point: parses arguments, dispatches to a command, turns errors into messages and exit codes.
// This folder is the only place that prints or exits.
import { Command, CommanderError } from "commander";
import { termSafe } from "../report/termsafe.js";
import { processIO, redactingIO, type CliIO } from "./io.js";
import { KeelError, InputError, InternalError } from "../core/errors.js";
import { keelVersion } from "../core/paths.js";
import { phaseMark, phasesEnabled, phaseSummary } from "../core/phases.js";
import { writeSync } from "node:fs";
import type { CommandContext } from "./context.js";
import { registerRun } from "./commands/run.js";
import { registerDrift } from "./commands/drift.js";
import { registerInventory } from "./commands/inventory.js";
import { registerModules } from "./commands/modules.js";
import { registerSchema } from "./commands/schema.js";
import { registerFacts } from "./commands/facts.js";
import { registerHistory } from "./commands/history.js";
import { registerReport } from "./commands/report.js";
import { registerAudit } from "./commands/audit.js";
import { registerPatch } from "./commands/patch.js";
import { registerVault } from "./commands/vault.js";
import { registerConfig } from "./commands/config.js";
import { setupVault, vaultDefaults } from "./commands/vault-flags.js";
import { ignoredWorldWritableConfig, worldWritableWarning } from "../config/ansiblecfg.js";

const COMMANDS = [
  registerRun,
  registerDrift,
  registerAudit,
  registerPatch,
  registerInventory,
  registerFacts,
  registerModules,
  registerSchema,
  registerHistory,
  registerReport,
  registerVault,
  registerConfig,
];

/** The `keel` program with every command registered (main parses with it; tests inspect it). */
export function buildProgram(ctx: CommandContext): Command {
  const io = ctx.io;
  const program = new Command("keel")
    .description("Agentless configuration engine: run YAML playbooks over SSH, check drift, audit hardening.")
    .version(keelVersion(), "-V, --version")
    .showHelpAfterError("(run with --help for usage)")
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .exitOverride();
  program.addHelpText(
    "after",
    `
Exit codes: 0 ok, 1 invalid input or error; run: 2 a host failed, 4 a host was unreachable (as ansible-playbook);
drift/audit: 2 drift found or a control failed (README, "Exit codes").
Examples:
  keel drift playbooks/baseline.yml -i inventories/localhost.yml   # check this machine, change nothing
  keel run site.yml -i hosts.yml --check --diff                   # preview changes
  keel run site.yml -i hosts.yml --limit 'web*' -e env=prod        # converge`,
  );
  for (const register of COMMANDS) register(program, ctx);
  // Ansible warns on every command when it skips ./ansible.cfg in a world-writable folder; keel does
  // too on the commands that read ansible.cfg (those with vault flags, and keel config), once.
  program.hook("preAction", (_p, action) => {
    if (action.name() !== "config" && !action.options.some((o) => o.long === "--vault-id")) return;
    const folder = ignoredWorldWritableConfig(process.env);
    if (folder !== undefined) io.err(worldWritableWarning(folder) + "\n");
  });
  // Vault passwords are read before the action of every command that loads inventories or
  // playbooks (they declare the vault flags), so loaders can decrypt. `keel vault` reads its own.
  program.hook("preAction", async (_p, action) => {
    if (action.parent?.name() === "vault" || !action.options.some((o) => o.long === "--vault-id")) return;
    await setupVault(action.opts(), io, vaultDefaults());
  });
  for (const sub of program.commands) sub.exitOverride().configureOutput({ writeOut: io.out, writeErr: io.err });
  return program;
}

export async function main(argv: string[], rawIo: CliIO = processIO()): Promise<number> {
  if (phasesEnabled()) {
    // KEEL_PROFILE_PHASES=1: where the wall time went (engine/core/phases.ts), on stderr at exit.
    phaseMark("modules loaded");
    process.once("exit", () => {
      phaseMark("process exit");
      writeSync(2, phaseSummary());
    });
  }
  const io = redactingIO(rawIo);
  const ctx: CommandContext = { io, exitCode: 0 };
  const program = buildProgram(ctx);
  try {
    await program.parseAsync(argv, { from: "user" });
    phaseMark("command done");
    return ctx.exitCode;
  } catch (e) {
    return reportError(e, io);
  }
}

/** Turns any thrown value into a message and an exit code. */
export function reportError(e: unknown, io: CliIO): number {
  if (e instanceof CommanderError) {
    // help and version exit 0; usage errors were already printed by commander
    return e.exitCode === 0 || e.code === "commander.helpDisplayed" || e.code === "commander.version" ? 0 : 1;
  }
  if (e instanceof InputError) {
    io.err(`error: ${termSafe(e.format(process.cwd()))}\n`);
    return 1;
  }
  if (e instanceof InternalError) {
    io.err(`internal error (a bug in keel, please report it): ${termSafe(e.message)}\n${termSafe(e.stack ?? "")}\n`);
    return 1;
  }
  if (e instanceof KeelError) {
    io.err(`error: ${termSafe(e.message)}\n`);
    return 1;
  }
  const err = e instanceof Error ? e : new Error(String(e));
  io.err(`internal error (a bug in keel, please report it): ${termSafe(err.message)}\n${termSafe(err.stack ?? "")}\n`);
  return 1;
}
