// The one set of connection and selection flags of every command that connects to hosts (run,
// drift, facts; audit and patch reports adopt it too), with ansible-playbook's short forms. Each
// flag means the same thing everywhere; test/unit/cli/flags.test.ts holds every command to it.
//
//   addConnectionFlags(cmd, { hostTimeout: REPORT_HOST_TIMEOUT_S });   // when declaring a command
//   addPlaybookFlags(cmd);                                             // commands that run a playbook
//   const c = await connectionOptions(flags, io);                      // in its action: parsed, validated
//   runPlaybook(plan, inv, { registry, ...c.run, check: true, diff: true, extraVars: c.extraVars }, sink)
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, statSync } from "node:fs";
import { resolve } from "node:path";
import { Option, type Command } from "commander";
import { InputError } from "../../core/errors.js";
import type { CliIO } from "../io.js";
import type { RunOptions } from "../../run/options.js";
import type { ConnectKey } from "../../run/connect.js";
import { defaultInventoryPath } from "../../inventory/index.js";
import { collect, parseExtraVars } from "./shared.js";
import { promptHidden } from "./prompt.js";
import { addVaultFlags } from "./vault-flags.js";
import { applyAnsibleConfig, configInventory, configPasswords } from "./ansible-config.js";
import { checkSshArgs } from "../../inventory/hostspec.js";

/** Hosts worked on in parallel unless -f says otherwise. */
export const DEFAULT_FORKS = 50;
/** Seconds to wait for a host's SSH connection (handshake and login) unless -T says otherwise. */
export const DEFAULT_CONNECT_TIMEOUT_S = 10;
/**
 * The default per-host deadline of the report commands (drift, facts, audit, patch reports), in
 * seconds: a host that accepts TCP and then stalls is reported unreachable after it, with the
 * reason, instead of stalling a nightly job. `keel run` has none by default (a converge may
 * legitimately take long: package upgrades, reboots).
 */
export const REPORT_HOST_TIMEOUT_S = 120;

/** The flags as commander gives them (every value a string until connectionOptions parses it). */
export interface ConnectionFlags {
  inventory?: string[];
  inventoryFile?: string[];
  limit?: string;
  user?: string;
  privateKey?: string;
  keyFile?: string;
  sshCommonArgs?: string;
  sshExtraArgs?: string;
  becomeMethod?: string;
  becomePasswordFile?: string;
  becomePassFile?: string;
  connectionPasswordFile?: string;
  connPassFile?: string;
  sshConfig?: string;
  connection?: "ssh" | "local";
  become?: boolean;
  becomeUser?: string;
  askPass?: boolean;
  askBecomePass?: boolean;
  forks?: string;
  timeout?: string;
  connectTimeout?: string;
  commandTimeout?: string;
  hostTimeout?: string;
  acceptNewHostKeys?: boolean;
  verbose?: number;
  // playbook flags
  extraVars?: string[];
  tags?: string[];
  skipTags?: string[];
  check?: boolean;
  diff?: boolean;
}

/** The flags, parsed and checked; passwords prompted (without echo) when asked for. */
export interface ConnectionSettings {
  inventory: string[];
  limit?: string;
  verbose: number;
  extraVars: Record<string, unknown>;
  tags: string[];
  skipTags: string[];
  check: boolean;
  diff: boolean;
  /** What engine/run takes (spread into RunOptions): how to connect (ConnectKey) and what to run. */
  run: Pick<RunOptions, ConnectKey | "limit" | "forks" | "become" | "becomeUser" | "hostTimeoutMs" | "tags" | "skipTags">;
  /** Passwords given at the prompts (for masking in logs); see askPasswords. */
  secrets: string[];
}

export interface ConnectionFlagDefaults {
  /** Default of --host-timeout in seconds (0: none). */
  hostTimeout: number;
}

/** Declare the connection and host selection flags on a command. */
export function addConnectionFlags(cmd: Command, d: ConnectionFlagDefaults): Command {
  return addVaultFlags(cmd)
    .option("-i, --inventory <path>", "inventory file, folder, script or host list 'a,b,' (repeatable; default inventories/localhost.yml)", collect)
    .addOption(new Option("--inventory-file <path>", "same as -i/--inventory").argParser(collect).hideHelp())
    .option("-l, --limit <pattern>", "only hosts that also match this pattern ('web*', 'db:&prod', '!lab03')")
    .option("-u, --user <name>", "log in as this user (instead of the inventory's ansible_user)")
    .option("--private-key <file>", "SSH private key file (instead of the inventory's ansible_ssh_private_key_file)")
    .addOption(new Option("--key-file <file>", "same as --private-key").hideHelp())
    .option(
      "--ssh-common-args <args>",
      "ssh options for every host, as ansible-playbook's: -o Name=Value, -J jump, -F file… (the options keel honours, README 'ssh_config and jump hosts')",
    )
    .option("--ssh-extra-args <args>", "more ssh options for every host, after --ssh-common-args (same forms)")
    .option(
      "-F, --ssh-config <file>",
      "ssh_config file to read instead of ~/.ssh/config and /etc/ssh/ssh_config (Host, HostName, User, Port, IdentityFile, ProxyJump, ProxyCommand, …)",
    )
    .addOption(new Option("-c, --connection <type>", "override the inventory's connection").choices(["ssh", "local"]))
    .option("-b, --become", "run tasks through sudo unless a play or task says otherwise")
    .option("--become-user <name>", "user to become (default root) unless a play or task says otherwise")
    .addOption(new Option("--become-method <method>", "how to become another user (keel: sudo only)").choices(["sudo"]))
    .option("-k, --ask-pass", "prompt for the SSH password (not echoed)")
    .option("-K, --ask-become-pass", "prompt for the sudo password (not echoed)")
    .option("--connection-password-file <file>", "read the SSH password from this file (an executable file: its output)")
    .addOption(new Option("--conn-pass-file <file>", "same as --connection-password-file").hideHelp())
    .option("--become-password-file <file>", "read the sudo password from this file (an executable file: its output)")
    .addOption(new Option("--become-pass-file <file>", "same as --become-password-file").hideHelp())
    .option("-f, --forks <n>", `hosts worked on in parallel (default ${DEFAULT_FORKS})`)
    .option(
      "-T, --timeout <sec>",
      `seconds to wait for a host's SSH connection (default ${DEFAULT_CONNECT_TIMEOUT_S}; a timed-out handshake is tried once more)`,
    )
    .addOption(new Option("--connect-timeout <sec>", "same as --timeout").hideHelp())
    .option("--command-timeout <sec>", "seconds a single command may take before the host counts as unreachable (default: none)")
    .option(
      "--host-timeout <sec>",
      "deadline in seconds for each host's whole run (connect, facts, every task); a host past it is reported unreachable, with the reason; 0 = none",
      String(d.hostTimeout),
    )
    .option("--accept-new-host-keys", "trust and record host keys seen for the first time (a changed key is still refused)")
    .option("-v, --verbose", "more output: -v every result, -vv also commands' stdout/stderr (repeatable)", (_v: string, n: number) => n + 1, 0);
}

/** Declare the playbook flags (commands that run a playbook): -e, -t, --skip-tags, -C, -D. */
export function addPlaybookFlags(cmd: Command, o: { checkHelp?: string; diffHelp?: string; extraVarsHelp?: string } = {}): Command {
  return cmd
    .option(
      "-e, --extra-vars <vars>",
      o.extraVarsHelp ?? "variables: key=value ..., a JSON/YAML mapping, or @file.yml (repeatable; highest precedence)",
      collect,
    )
    .option("-t, --tags <tags>", "only tasks with one of these tags (comma separated, repeatable)", collect)
    .option("--skip-tags <tags>", "skip tasks with one of these tags (comma separated, repeatable)", collect)
    .option("-C, --check", o.checkHelp ?? "change nothing; report what would change")
    .option("-D, --diff", o.diffHelp ?? "show before/after of each change (unified diff for files)");
}

/** Parse and check the flags (before anything is loaded or any host is touched). */
export function connectionOptions(f: ConnectionFlags): ConnectionSettings {
  const forks = f.forks === undefined ? DEFAULT_FORKS : positiveInt(f.forks, "--forks");
  if (f.timeout !== undefined && f.connectTimeout !== undefined)
    throw new InputError("give --timeout or --connect-timeout, not both", undefined, "--connect-timeout is another name of -T/--timeout");
  const connect = f.timeout ?? f.connectTimeout;
  const connectTimeoutMs = connect === undefined ? undefined : seconds(connect, f.timeout !== undefined ? "--timeout" : "--connect-timeout", false);
  const commandTimeoutMs = f.commandTimeout === undefined ? undefined : seconds(f.commandTimeout, "--command-timeout", true);
  const hostTimeoutMs = f.hostTimeout === undefined ? undefined : seconds(f.hostTimeout, "--host-timeout", true);
  const extraVars = parseExtraVars(f.extraVars ?? []);
  const tags = splitTags(f.tags);
  const skipTags = splitTags(f.skipTags);
  const run: ConnectionSettings["run"] = { forks, tags, skipTags, acceptNewHostKeys: Boolean(f.acceptNewHostKeys) };
  const set = <K extends keyof ConnectionSettings["run"]>(k: K, v: ConnectionSettings["run"][K] | undefined) => {
    if (v !== undefined) run[k] = v;
  };
  set("limit", f.limit);
  set("connection", f.connection);
  applyAnsibleConfig(run, f);
  set("user", f.user);
  set("privateKeyFile", oneOf(f.privateKey, "--private-key", f.keyFile, "--key-file"));
  // --ssh-common-args and --ssh-extra-args: checked now, applied to every host after ansible.cfg's
  // ssh_args (OpenSSH, and so keel, takes the first value of each option)
  const cliSsh: string[] = [];
  for (const [flag, v] of [
    ["--ssh-common-args", f.sshCommonArgs],
    ["--ssh-extra-args", f.sshExtraArgs],
  ] as const) {
    if (v === undefined || v.trim() === "") continue;
    checkSshArgs(
      v,
      (message, hint) => {
        throw new InputError(`${flag} ${message}`, undefined, hint);
      },
      flag,
    );
    cliSsh.push(v);
  }
  if (cliSsh.length) run.sshArgs = [run.sshArgs, ...cliSsh].filter(Boolean).join(" ");
  if (f.sshConfig !== undefined) {
    if (!existsSync(f.sshConfig)) throw new InputError(`-F ${f.sshConfig}: no such file`, undefined, "give the path of an ssh_config file");
    run.sshConfigFile = resolve(f.sshConfig);
  }
  set("become", f.become ? true : undefined);
  set("becomeUser", f.becomeUser);
  set("connectTimeoutMs", connectTimeoutMs);
  set("commandTimeoutMs", commandTimeoutMs);
  set("hostTimeoutMs", hostTimeoutMs);
  const given = [...(f.inventory ?? []), ...(f.inventoryFile ?? [])];
  const out: ConnectionSettings = {
    inventory: given.length ? given : (configInventory() ?? [defaultInventoryPath()]),
    verbose: f.verbose ?? 0,
    extraVars,
    tags,
    skipTags,
    check: Boolean(f.check),
    diff: Boolean(f.diff),
    run,
    secrets: [],
  };
  if (f.limit !== undefined) out.limit = f.limit;
  return out;
}

/**
 * -k / -K: prompt for the passwords (without echo) into the settings. Call it once the inventory
 * and playbook are loaded, so invalid input is reported before anyone is asked for a password.
 */
export async function askPasswords(f: ConnectionFlags, c: ConnectionSettings, io: CliIO): Promise<void> {
  const connFile = oneOf(f.connectionPasswordFile, "--connection-password-file", f.connPassFile, "--conn-pass-file");
  const becomeFile = oneOf(f.becomePasswordFile, "--become-password-file", f.becomePassFile, "--become-pass-file");
  if (f.askPass && connFile) throw new InputError("give -k/--ask-pass or --connection-password-file, not both");
  if (f.askBecomePass && becomeFile) throw new InputError("give -K/--ask-become-pass or --become-password-file, not both");
  if (connFile) c.run.password = passwordFromFile(connFile, "--connection-password-file");
  if (becomeFile) c.run.becomePassword = passwordFromFile(becomeFile, "--become-password-file");
  if (f.askPass) c.run.password = await promptHidden(io, "SSH password: ");
  if (f.askBecomePass) c.run.becomePassword = await promptHidden(io, "BECOME password: ");
  // ansible.cfg / ANSIBLE_*, where no flag said how to get that password: the file, else the prompt
  const cfg = configPasswords();
  if (!f.askPass && !connFile) {
    if (cfg.connectionPasswordFile) c.run.password = passwordFromFile(cfg.connectionPasswordFile, "connection_password_file");
    else if (cfg.askPass) c.run.password = await promptHidden(io, "SSH password: ");
  }
  if (!f.askBecomePass && !becomeFile) {
    if (cfg.becomePasswordFile) c.run.becomePassword = passwordFromFile(cfg.becomePasswordFile, "become_password_file");
    else if (cfg.askBecomePass) c.run.becomePassword = await promptHidden(io, "BECOME password: ");
  }
  c.secrets = [c.run.password, c.run.becomePassword].filter((s): s is string => typeof s === "string" && s.length > 0);
}

/** A flag and its other name (--key-file for --private-key…): either, not both. */
function oneOf(a: string | undefined, aFlag: string, b: string | undefined, bFlag: string): string | undefined {
  if (a !== undefined && b !== undefined) throw new InputError(`give ${aFlag} or ${bFlag}, not both`, undefined, `${bFlag} is another name of ${aFlag}`);
  return a ?? b;
}

/**
 * A password from a file, as ansible-playbook reads --become-password-file: the file's content
 * without its trailing newline, or, for an executable file, what it prints.
 */
function passwordFromFile(file: string, flag: string): string {
  let mode: number;
  try {
    mode = statSync(file).mode;
  } catch {
    throw new InputError(`${flag} ${file}: no such file`, undefined, "give the path of a file holding the password");
  }
  let text: string;
  try {
    const executable = (mode & 0o111) !== 0;
    text = executable
      ? execFileSync(resolve(file), [], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"], timeout: 60_000 })
      : readFileSync(file, "utf8");
  } catch (e) {
    throw new InputError(`${flag} ${file}: ${(e as Error).message.split("\n")[0]}`, undefined, "the file must be readable (or, when executable, exit 0)");
  }
  return text.replace(/\r?\n$/, "");
}

function splitTags(xs: string[] = []): string[] {
  return xs
    .flatMap((x) => x.split(","))
    .map((x) => x.trim())
    .filter(Boolean);
}

function positiveInt(v: string, flag: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InputError(`${flag} must be a positive whole number, got '${v}'`, undefined, `for example ${flag} 10`);
  return n;
}

/** Seconds → ms. `zeroIsNone`: 0 is allowed and means no limit (returned as 0). */
function seconds(v: string, flag: string, zeroIsNone: boolean): number {
  const n = Number(v);
  if (v.trim() === "" || !Number.isFinite(n) || n < 0 || (n === 0 && !zeroIsNone)) {
    throw new InputError(
      `${flag} must be a number of seconds ${zeroIsNone ? "(0 for none)" : "greater than 0"}, got '${v}'`,
      undefined,
      `for example ${flag} 30`,
    );
  }
  return Math.round(n * 1000);
}
