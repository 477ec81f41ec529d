// system.reboot: reboot the host, wait for it to come back, and check it works. Arguments follow
// Ansible's reboot module.
//
// Rebooting is an action, not a state: diff always returns the one change "reboot", marked
// `data.action: true` so drift does not count it; check mode never calls apply. The probe reads
// the boot id (boot_time_command, by default the kernel's), and apply waits until a reconnect
// shows a different one, so it cannot be fooled by reconnecting before the host has gone down.
import { defineModule } from "../../engine/core/module.js";
import { parseRecords } from "../../engine/core/record.js";
import { outOf, snip } from "../../engine/core/snippets.js";
import { REBOOT_ARG_SCHEMA, bootTimeCommand, rebootAndWait, type RebootOptions } from "../../engine/transport/reboot.js";

export type RebootArgs = RebootOptions;

export interface RebootState {
  bootId: string;
}

export default defineModule<RebootArgs, RebootState>({
  name: "system.reboot",
  aliases: ["reboot"],
  description: "Reboot the host, wait until it answers over SSH again (with a new boot id), then run a test command.",
  args: {
    type: "object",
    additionalProperties: false,
    properties: { ...REBOOT_ARG_SCHEMA },
  },

  resource() {
    return "reboot";
  },

  probe(args) {
    // A subshell, so the record's redirections cover the whole command, whatever it is; its stdout
    // (nothing when it fails) is the boot id.
    return {
      script: snip.out("boot", `(\n${bootTimeCommand(args)}\n)`),
      parse: (stdout) => ({ bootId: (outOf(parseRecords(stdout), "boot") ?? "").trim() }),
    };
  },

  diff() {
    return [{ summary: "reboot", field: "reboot", data: { action: true } }];
  },

  async apply(host, args, _changes, st) {
    return rebootAndWait(host, args, st?.bootId ?? "");
  },
});
