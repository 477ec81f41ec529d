// system.command: run one program with arguments, with no shell in between. Ansible twin:
// ansible.builtin.command. A string command is split into words like sh would, but without any
// expansion ($HOME, *, |, > stay literal); each word is then quoted with shq, so shell features
// cannot leak in. Use system.shell for pipes and redirections.
// Failure contract (see exec-common.ts): a non-zero rc is returned, not thrown; the runner decides.
import { defineModule } from "../../engine/core/module.js";
import { InputError } from "../../engine/core/errors.js";
import {
  EXEC_PROPS,
  execFootprint,
  argvToShell,
  execApply,
  execDiff,
  execExplain,
  execProbe,
  execResource,
  splitArgs,
  type ExecArgs,
  type ExecState,
} from "./exec-common.js";

export interface CommandArgs extends ExecArgs {
  argv?: string[];
}

export default defineModule<CommandArgs, ExecState>({
  name: "system.command",
  aliases: ["command"],
  refusedArgs: { executable: "command runs no shell, so it has no shell to change (Ansible ignores it here too); use shell: with executable" },
  description: "Run a program with arguments on the host, without a shell (no pipes, redirections or variable expansion).",
  freeForm: "cmd",
  args: {
    type: "object",
    additionalProperties: false,
    properties: {
      cmd: {
        type: "string",
        minLength: 1,
        description: "The command line, split into words like sh but without expansion. Also the free form: `command: ls -l`.",
      },
      argv: {
        type: "array",
        items: { type: "string" },
        minItems: 1,
        description: "The program and its arguments as a list; no splitting or quoting rules apply. Not with `cmd`.",
      },
      ...EXEC_PROPS,
    },
    // One of cmd / argv (checked with a hint by argvOf when both are missing).
    not: { properties: { cmd: true, argv: true }, required: ["cmd", "argv"] },
  },

  resource: (a) => execResource("command", display(a)),

  footprint: (a) => execFootprint(a),

  probe: (a) => execProbe(a),

  validate(a) {
    argvOf(a); // an unterminated quote or no command at all
  },

  diff(s, a) {
    return execDiff(s, a, display(a));
  },

  explain: (s, a) => execExplain(s, a),

  apply: async (host, a) => execApply(host, a, argvToShell(argvOf(a)), display(a), argvOf(a)),
});

/** The words to run. Throws InputError when neither cmd nor argv is usable. */
export function argvOf(a: CommandArgs): string[] {
  const argv = a.argv ?? (a.cmd !== undefined ? splitArgs(a.cmd) : []);
  if (!argv.length) throw new InputError("system.command needs a command: `cmd`, `argv` or the free form", undefined, "write `command: /usr/bin/true`");
  return argv;
}

function display(a: CommandArgs): string {
  return a.cmd ?? argvToShell(a.argv ?? []);
}
