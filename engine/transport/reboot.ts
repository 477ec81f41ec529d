// Rebooting a host and waiting for it, shared by system.reboot and patches.upgrade (reboot:
// if_required). Modules never import each other; both call this.
//
// The boot id (boot_time_command, by default the kernel's) is read before the reboot; the host is
// back when a reconnect shows a different one, so reconnecting before the host went down cannot
// fool it. Then test_command must succeed.
import type { ApplyResult, Host } from "../core/module.js";
import { ConnectionError, ModuleError } from "../core/errors.js";
import { shq } from "../core/shell.js";

export const BOOT_ID_COMMAND = "cat /proc/sys/kernel/random/boot_id";
export const REBOOT_COMMAND = "reboot";
export const REBOOT_MSG = "Reboot initiated by keel";

/** Ansible's reboot arguments, as system.reboot and patches.upgrade accept them. */
export interface RebootOptions {
  reboot_timeout?: number;
  msg?: string;
  pre_reboot_delay?: number;
  post_reboot_delay?: number;
  test_command?: string;
  reboot_command?: string;
  boot_time_command?: string;
  connect_timeout?: number;
  search_paths?: string | string[];
}

/** Ansible's default search_paths (its reboot action plugin). */
export const DEFAULT_SEARCH_PATHS = ["/sbin", "/bin", "/usr/sbin", "/usr/bin", "/usr/local/sbin"];

/** Their JSON Schema properties (descriptions shown in the module reference). */
export const REBOOT_ARG_SCHEMA = {
  reboot_timeout: { description: "Seconds to wait for the host to come back and pass test_command.", type: "integer", minimum: 1, default: 600 },
  msg: { description: "Message logged (syslog, tag keel) and broadcast to logged-in users before the reboot.", type: "string", default: REBOOT_MSG },
  pre_reboot_delay: {
    description: "Seconds to wait before rebooting (at least 1, so the command returns before the connection drops).",
    type: "integer",
    minimum: 0,
    default: 0,
  },
  post_reboot_delay: { description: "Seconds to wait after the host is back, before test_command.", type: "integer", minimum: 0, default: 0 },
  test_command: { description: "A command that must succeed on the rebooted host.", type: "string", default: "whoami" },
  reboot_command: {
    description:
      "Command (with its arguments) that reboots the host. It runs detached, after pre_reboot_delay, msg's logger and wall, so the connection may drop while it runs.",
    type: "string",
    minLength: 1,
    default: REBOOT_COMMAND,
  },
  boot_time_command: {
    description:
      "Command that prints a string unique to the current boot (read before the reboot and after each reconnect; the host is back when it differs). Must print something before the reboot, or keel does not reboot.",
    type: "string",
    minLength: 1,
    default: BOOT_ID_COMMAND,
  },
  connect_timeout: {
    description:
      "Seconds one connection attempt may take while waiting for the host to come back (Ansible's connection_timeout for those attempts); keel retries until reboot_timeout. Unset: the connection's own timeout.",
    type: "integer",
    minimum: 1,
  },
  search_paths: {
    description:
      "Folders searched, in order, for the first word of reboot_command when it is not an absolute path (as Ansible's find does; the first folder holding it wins, and the task fails when none does). " +
      `Ansible's default is ${JSON.stringify(DEFAULT_SEARCH_PATHS)}; unset, keel runs the command from the host's PATH.`,
    type: ["string", "array"],
    pattern: "^[^\\r\\n]*$",
    items: { type: "string", minLength: 1, pattern: "^[^\\r\\n]*$" },
  },
} as const;

/** search_paths as a list (Ansible's check_type_list: a string with commas splits on them). */
export function searchPaths(o: RebootOptions): string[] | undefined {
  if (o.search_paths === undefined) return undefined;
  return typeof o.search_paths === "string" ? o.search_paths.split(",") : o.search_paths;
}

/** The shell text that prints the first `dir/bin` that exists among the folders, or nothing. */
export function findInPathsScript(bin: string, dirs: readonly string[]): string {
  return `for _kd in ${dirs.map(shq).join(" ")}; do if [ -e "$_kd"/${shq(bin)} ] || [ -L "$_kd"/${shq(bin)} ]; then printf '%s\\n' "$_kd"/${shq(bin)}; break; fi; done`;
}

export function bootTimeCommand(o: RebootOptions): string {
  return o.boot_time_command ?? BOOT_ID_COMMAND;
}

/** Reads the boot id now (one round trip); "" when the command printed nothing. */
export async function readBootId(host: Host, o: RebootOptions): Promise<string> {
  const r = await host.run(`(\n${bootTimeCommand(o)}\n) 2>/dev/null || true`, { check: false });
  return r.stdout.trim();
}

/**
 * Reboots the host and waits until it is back with a new boot id and test_command passes.
 * `before` is the boot id read before (readBootId or a probe). Returns what register shows.
 */
export async function rebootAndWait(host: Host, o: RebootOptions, before: string): Promise<ApplyResult> {
  const timeout = o.reboot_timeout ?? 600;
  const timeoutMs = timeout * 1000;
  const msg = o.msg ?? REBOOT_MSG;
  const delay = Math.max(1, o.pre_reboot_delay ?? 0);
  const bootTime = bootTimeCommand(o);
  // Without a boot id from before, "back" cannot be told from "never went down": do not reboot.
  if (before === "")
    throw new ModuleError(`boot_time_command \`${bootTime}\` printed nothing on ${host.name}, so keel could not tell when the host is back; not rebooting`);
  const start = Date.now();
  let command = o.reboot_command ?? REBOOT_COMMAND;
  const dirs = searchPaths(o);
  const bin = command.split(" ", 1)[0]!;
  if (dirs && !bin.startsWith("/")) {
    // Ansible's get_shutdown_command: the command's first word, found in search_paths, runs by its full path.
    const found = (await host.run(findInPathsScript(bin, dirs), { check: false })).stdout.split("\n")[0]!.trim();
    if (found === "") throw new ModuleError(`Unable to find command "${bin}" in search paths: ${JSON.stringify(dirs)}`);
    command = found + command.slice(bin.length);
  }
  // Detached, so this command returns before the reboot cuts the connection.
  const inner = `sleep ${delay}; logger -t keel ${shq(msg)} 2>/dev/null; wall ${shq(msg)} 2>/dev/null; ${command}`;
  await host.run(`nohup sh -c ${shq(inner)} >/dev/null 2>&1 </dev/null &`);
  const deadline = start + timeoutMs;
  const left = () => deadline - Date.now();
  let last = "it never answered";
  // Reconnect until the boot id differs (the first reconnect may reach the host before it goes down).
  let after = "";
  for (;;) {
    if (left() <= 0) throw new ModuleError(`host ${host.name} did not come back from reboot within ${timeout} s (last: ${last})`);
    try {
      // connect_timeout bounds each attempt; the loop goes on until reboot_timeout.
      await host.reconnect(o.connect_timeout !== undefined ? Math.min(o.connect_timeout * 1000, left()) : left());
      const r = await host.run(bootTime, { check: false });
      const id = r.stdout.trim();
      if (r.rc === 0 && id !== "" && id !== before) {
        after = id;
        break;
      }
      last =
        r.rc !== 0
          ? `boot_time_command exited ${r.rc}`
          : id === ""
            ? "boot_time_command printed nothing"
            : "it answered with the boot id from before the reboot";
    } catch (e) {
      // A changed host key never becomes right by waiting (and must not be trusted): unreachable.
      if (!(e instanceof ConnectionError) || e.failure === "hostkey") throw e;
      // The reconnect's own "did not come back within N s: WHY" would repeat ours: keep WHY.
      last = e.message.replace(/^.* did not come back within \d+ s: /, "");
    }
    await sleep(Math.min(1000, Math.max(0, left())));
  }
  if (o.post_reboot_delay) await sleep(o.post_reboot_delay * 1000);
  const test = o.test_command ?? "whoami";
  for (;;) {
    const r = await host.run(test, { check: false });
    if (r.rc === 0) break;
    if (left() <= 0)
      throw new ModuleError(`host ${host.name} is back, but test_command \`${test}\` still fails (exit ${r.rc}): ${r.stderr.trim() || r.stdout.trim()}`);
    await sleep(Math.min(1000, Math.max(0, left())));
  }
  const ms = Date.now() - start;
  // `elapsed` in whole seconds, as Ansible registers it; the message is more precise.
  return {
    msg: `rebooted in ${(ms / 1000).toFixed(1)} s (boot id changed)`,
    data: { rebooted: true, elapsed: Math.round(ms / 1000), boot_id_before: before, boot_id_after: after },
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
