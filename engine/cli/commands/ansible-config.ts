// Settings from Ansible's environment variables that map onto keel's run options (CLI flags, set
// before, win). ansible.cfg itself: see engine/config.
import { InputError } from "../../core/errors.js";
import { checkSshArgs } from "../../inventory/hostspec.js";
import type { RunOptions } from "../../run/options.js";

const TRUE = new Set(["y", "yes", "on", "1", "true", "t"]);
const FALSE = new Set(["n", "no", "off", "0", "false", "f"]);

function envBool(name: string, env: NodeJS.ProcessEnv): boolean | undefined {
  const v = env[name];
  if (v === undefined || v === "") return undefined;
  const l = v.trim().toLowerCase();
  if (TRUE.has(l)) return true;
  if (FALSE.has(l)) return false;
  throw new InputError(`${name}='${v}' is not a boolean`, undefined, "use True or False");
}

export function applyAnsibleConfig(run: Pick<RunOptions, "hostKeyChecking" | "sshArgs">, env: NodeJS.ProcessEnv = process.env): void {
  const hkc = envBool("ANSIBLE_HOST_KEY_CHECKING", env);
  if (hkc !== undefined) run.hostKeyChecking = hkc;
  if (env.ANSIBLE_SSH_ARGS) {
    checkSshArgs(env.ANSIBLE_SSH_ARGS, (message, hint) => {
      throw new InputError(`ANSIBLE_SSH_ARGS ${message}`, undefined, hint);
    });
    run.sshArgs = env.ANSIBLE_SSH_ARGS;
  }
}
