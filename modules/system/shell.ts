// system.shell: run a command line through a shell (pipes, redirections, variables, globs).
// Ansible twin: ansible.builtin.shell. The text runs as `/bin/sh -c TEXT` (or `EXECUTABLE -c TEXT`),
// so `exit` or `cd` in it cannot disturb keel's own shell on the host.
// Failure contract (see exec-common.ts): a non-zero rc is returned, not thrown; the runner decides.
import { defineModule } from "../../engine/core/module.js";
import { shJoin } from "../../engine/core/shell.js";
import { EXEC_PROPS, execFootprint, execApply, execDiff, execExplain, execProbe, execResource, type ExecArgs, type ExecState } from "./exec-common.js";

export interface ShellArgs extends ExecArgs {
  cmd: string;
  executable?: string;
}

export default defineModule<ShellArgs, ExecState>({
  name: "system.shell",
  aliases: ["shell"],
  description: "Run a command line through a shell on the host (pipes, redirections, variables and globs work).",
  freeForm: "cmd",
  args: {
    type: "object",
    additionalProperties: false,
    required: ["cmd"],
    properties: {
      cmd: { type: "string", minLength: 1, description: "The shell command line. Also the free form: `shell: ls | wc -l`." },
      executable: { type: "string", minLength: 1, description: "The shell to run it with (`EXECUTABLE -c CMD`). Default /bin/sh." },
      ...EXEC_PROPS,
    },
  },

  resource: (a) => execResource("shell", a.cmd),

  footprint: (a) => execFootprint(a),

  probe: (a) => execProbe(a),

  diff: (s, a) => execDiff(s, a, a.cmd),

  explain: (s, a) => execExplain(s, a),

  apply: async (host, a) => execApply(host, a, shellText(a), a.cmd),
});

/** The sh text that runs `cmd` in its own shell process. */
export function shellText(a: ShellArgs): string {
  return shJoin([a.executable ?? "/bin/sh", "-c", a.cmd]);
}
