// system.reboot: reboot the host, wait for it to come back, and check it works. Arguments follow
// Ansible's reboot module.
//
// Rebooting is an action, not a state: diff always returns the one change "reboot", marked
// `data.action: true` so drift does not count it; check mode never calls apply. The probe reads
// the kernel's boot id, and apply waits until a reconnect shows a different one, so it cannot be
// fooled by reconnecting before the host has gone down.
import { defineModule } from "../../engine/core/module.js";
import { ConnectionError, ModuleError } from "../../engine/core/errors.js";
import { shq } from "../../engine/core/shell.js";

export interface RebootArgs {
  reboot_timeout?: number;
  msg?: string;
  pre_reboot_delay?: number;
  post_reboot_delay?: number;
  test_command?: string;
}

export interface RebootState {
  bootId: string;
}

const BOOT_ID = "cat /proc/sys/kernel/random/boot_id";

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
    },
  },

  resource() {
    return "reboot";
  },

  probe() {
    return { script: `${BOOT_ID} 2>/dev/null || true`, parse: (stdout) => ({ bootId: stdout.trim() }) };
  },

  diff() {
    return [{ summary: "reboot", field: "reboot", data: { action: true } }];
  },

  async apply(host, args, _changes, st) {
    const timeoutMs = (args.reboot_timeout ?? 600) * 1000;
    const msg = args.msg ?? "Reboot initiated by keel";
    const delay = Math.max(1, args.pre_reboot_delay ?? 0);
    const start = Date.now();
    // Detached, so this command returns before the reboot cuts the connection.
    const inner = `sleep ${delay}; logger -t keel ${shq(msg)} 2>/dev/null; wall ${shq(msg)} 2>/dev/null; reboot`;
    await host.run(`nohup sh -c ${shq(inner)} >/dev/null 2>&1 </dev/null &`);
    const deadline = start + timeoutMs;
    const left = () => deadline - Date.now();
    const before = st?.bootId ?? "";
    // Reconnect until the boot id differs (the first reconnect may reach the host before it goes down).
    for (;;) {
      if (left() <= 0) throw new ModuleError(`host ${host.name} did not come back from reboot within ${args.reboot_timeout ?? 600} s`);
      try {
        await host.reconnect(left());
        const id = (await host.run(BOOT_ID, { check: false })).stdout.trim();
        if (id !== "" && id !== before) break;
      } catch (e) {
        if (!(e instanceof ConnectionError)) throw e;
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
    const elapsed = Math.round((Date.now() - start) / 1000);
    return { msg: `rebooted in ${elapsed} s`, data: { rebooted: true, elapsed } };
  },
});

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
