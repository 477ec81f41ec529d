// system.reboot: reboot the host, wait for it to come back, and check it works. Arguments follow
// Ansible's reboot module.
//
// Rebooting is an action, not a state: diff always returns the one change "reboot", marked
// `data.action: true` so drift does not count it; check mode never calls apply. The probe reads
// the boot id (boot_time_command, by default the kernel's), and apply waits until a reconnect
// shows a different one, so it cannot be fooled by reconnecting before the host has gone down.
import { defineModule } from "../../engine/core/module.js";
import { ConnectionError, ModuleError } from "../../engine/core/errors.js";
import { shq } from "../../engine/core/shell.js";

export interface RebootArgs {
  reboot_timeout?: number;
  msg?: string;
  pre_reboot_delay?: number;
  post_reboot_delay?: number;
  test_command?: string;
  reboot_command?: string;
  boot_time_command?: string;
}

export interface RebootState {
  bootId: string;
}

const BOOT_ID = "cat /proc/sys/kernel/random/boot_id";
const REBOOT = "reboot";

export default defineModule<RebootArgs, RebootState>({
  name: "system.reboot",
  aliases: ["reboot"],
  description: "Reboot the host, wait until it answers over SSH again (with a new boot id), then run a test command.",
  args: {
    type: "object",
    additionalProperties: false,
    properties: {
      reboot_timeout: { description: "Seconds to wait for the host to come back and pass test_command.", type: "integer", minimum: 1, default: 600 },
      msg: { description: "Message logged (syslog, tag keel) and broadcast to logged-in users before the reboot.", type: "string", default: "Reboot initiated by keel" },
      pre_reboot_delay: { description: "Seconds to wait before rebooting (at least 1, so the command returns before the connection drops).", type: "integer", minimum: 0, default: 0 },
      post_reboot_delay: { description: "Seconds to wait after the host is back, before test_command.", type: "integer", minimum: 0, default: 0 },
      test_command: { description: "A command that must succeed on the rebooted host.", type: "string", default: "whoami" },
      reboot_command: {
        description: "Command (with its arguments) that reboots the host. It runs detached, after pre_reboot_delay, msg's logger and wall, so the connection may drop while it runs.",
        type: "string",
        minLength: 1,
        default: REBOOT,
      },
      boot_time_command: {
        description: "Command that prints a string unique to the current boot (read before the reboot and after each reconnect; the host is back when it differs). Must print something before the reboot, or keel does not reboot.",
        type: "string",
        minLength: 1,
        default: BOOT_ID,
      },
    },
  },

  resource() {
    return "reboot";
  },

  probe(args) {
    // A subshell, so redirections and `||` cover the whole command, whatever it is.
    return { script: `(\n${bootTimeCommand(args)}\n) 2>/dev/null || true`, parse: (stdout) => ({ bootId: stdout.trim() }) };
  },

  diff() {
    return [{ summary: "reboot", field: "reboot", data: { action: true } }];
  },

  async apply(host, args, _changes, st) {
    const timeout = args.reboot_timeout ?? 600;
    const timeoutMs = timeout * 1000;
    const msg = args.msg ?? "Reboot initiated by keel";
    const delay = Math.max(1, args.pre_reboot_delay ?? 0);
    const bootTime = bootTimeCommand(args);
    const before = st?.bootId ?? "";
    // Without a boot id from before, "back" cannot be told from "never went down": do not reboot.
    if (before === "") throw new ModuleError(`boot_time_command \`${bootTime}\` printed nothing on ${host.name}, so keel could not tell when the host is back; not rebooting`);
    const start = Date.now();
    // Detached, so this command returns before the reboot cuts the connection.
    const inner = `sleep ${delay}; logger -t keel ${shq(msg)} 2>/dev/null; wall ${shq(msg)} 2>/dev/null; ${args.reboot_command ?? REBOOT}`;
    await host.run(`nohup sh -c ${shq(inner)} >/dev/null 2>&1 </dev/null &`);
    const deadline = start + timeoutMs;
    const left = () => deadline - Date.now();
    let last = "it never answered";
    // Reconnect until the boot id differs (the first reconnect may reach the host before it goes down).
    let after = "";
    for (;;) {
      if (left() <= 0) throw new ModuleError(`host ${host.name} did not come back from reboot within ${timeout} s (last: ${last})`);
      try {
        await host.reconnect(left());
        const r = await host.run(bootTime, { check: false });
        const id = r.stdout.trim();
        if (r.rc === 0 && id !== "" && id !== before) {
          after = id;
          break;
        }
        last = r.rc !== 0 ? `boot_time_command exited ${r.rc}` : id === "" ? "boot_time_command printed nothing" : "it answered with the boot id from before the reboot";
      } catch (e) {
        // A changed host key never becomes right by waiting (and must not be trusted): unreachable.
        if (!(e instanceof ConnectionError) || e.failure === "hostkey") throw e;
        // The reconnect's own "did not come back within N s: WHY" would repeat ours: keep WHY.
        last = e.message.replace(/^.* did not come back within \d+ s: /, "");
      }
      await sleep(Math.min(1000, Math.max(0, left())));
    }
    if (args.post_reboot_delay) await sleep(args.post_reboot_delay * 1000);
    const test = args.test_command ?? "whoami";
    for (;;) {
      const r = await host.run(test, { check: false });
      if (r.rc === 0) break;
      if (left() <= 0) throw new ModuleError(`host ${host.name} is back, but test_command \`${test}\` still fails (exit ${r.rc}): ${r.stderr.trim() || r.stdout.trim()}`);
      await sleep(Math.min(1000, Math.max(0, left())));
    }
    const ms = Date.now() - start;
    // `elapsed` in whole seconds, as Ansible registers it; the message is more precise.
    return { msg: `rebooted in ${(ms / 1000).toFixed(1)} s (boot id changed)`, data: { rebooted: true, elapsed: Math.round(ms / 1000), boot_id_before: before, boot_id_after: after } };
  },
});

function bootTimeCommand(args: RebootArgs): string {
  return args.boot_time_command ?? BOOT_ID;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
