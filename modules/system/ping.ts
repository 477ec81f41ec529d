// system.ping — Ansible's `ping`: proves keel can log in to the host and run a shell there, with
// become when the task has it (the probe runs as the become user, so a wrong sudo password or a
// user sudo refuses fails the task). Read-only: it never changes anything. The result is Ansible's:
// `ping: <data>` (default "pong"); `data: crash` fails the task on purpose, as Ansible's module
// raises "boom" then. The probe prints the user it ran as, shown as the no-op reason.
import { defineModule } from "../../engine/core/module.js";
import { InternalError, ModuleError } from "../../engine/core/errors.js";
import { parseRecords } from "../../engine/core/record.js";
import { cmdOf, snip } from "../../engine/core/snippets.js";

export interface PingArgs {
  data?: string;
}

export interface PingState {
  /** The user the probe ran as (`id -un`): the login user, or the become user. */
  user: string;
}

export default defineModule<PingArgs, PingState>({
  name: "system.ping",
  aliases: ["ping"],
  description:
    "Prove the connection: log in, run a shell command on the host (as the become user when become is set) and return `ping: <data>`, as Ansible's ping. Read-only.",
  args: {
    type: "object",
    additionalProperties: false,
    properties: {
      data: {
        type: "string",
        default: "pong",
        description: "What to return as `ping`. `crash` fails the task on purpose, as Ansible's ping module does (it raises an exception).",
      },
    },
  },
  resource: () => "ping",

  probe() {
    return {
      script: snip.cmd("ping", "id -un"),
      parse(out) {
        const c = cmdOf(parseRecords(out), "ping");
        if (!c) throw new ModuleError("the ping probe printed no result");
        if (c.rc !== 0) throw new ModuleError(`the host could not run 'id -un' (exit code ${c.rc}${c.err.trim() ? `: ${c.err.trim()}` : ""})`);
        return { user: c.out.trim() };
      },
    };
  },
  diff(_st, a) {
    // Ansible's ping raises before it answers, in check mode too.
    if (data(a) === "crash") throw new ModuleError("MODULE FAILURE\nException: boom (ping's data: crash fails on purpose, as Ansible's ping module does)");
    return [];
  },
  explain: (st) => `pong: logged in and ran a shell command as ${st.user}`,
  result: (_st, a) => ({ ping: data(a) }),
  async apply() {
    throw new InternalError("system.ping is read-only: its diff is always empty, so apply never runs");
  },
});

function data(a: PingArgs): string {
  return a.data ?? "pong";
}
