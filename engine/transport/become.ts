// Pure construction of the one-line shell text that runs a command script, with or without become.
// The result reads the command's stdin from its own stdin (framing.ts attaches /dev/null or bytes).
//
// - No become, or the login user already is the target user: `( eval 'SCRIPT' )`. A subshell, so
//   `exit`, `cd` and variables stay inside.
// - become without password: `sudo -n -H -u USER -- sh -c 'SCRIPT'` (fails at once if sudo would ask).
// - become with password: the password goes on sudo's stdin (`sudo -S -p ''`), never in argv. It is
//   only written when sudo really asks for it: `sudo -n true` first tells whether a password is
//   needed (NOPASSWD rules, cached credentials), and `-k` then makes sudo read exactly one line, so
//   the password can never end up on the command's stdin. printf is a shell builtin, so the
//   password does not appear in any process's argv either. All of it runs in a subshell so no
//   variable holding the script outlives the command.
import { shq } from "../core/shell.js";
import { InternalError } from "../core/errors.js";

export interface BecomeSpec {
  user: string;
  password?: string;
}

/**
 * Linux caps one argv string at 128 KiB (MAX_ARG_STRLEN). Without become the script goes through
 * `eval` (no exec, no limit); under sudo it is an argument of `sh -c`.
 */
export const MAX_BECOME_SCRIPT = 120 * 1024;

export function wrapCommand(script: string, become: BecomeSpec | undefined, loginUser: string): string {
  if (!become || become.user === loginUser) return `( eval ${shq(script)} )`;
  if (Buffer.byteLength(script) > MAX_BECOME_SCRIPT) {
    throw new InternalError(
      `a command run with become is ${Buffer.byteLength(script)} bytes; the limit is ${MAX_BECOME_SCRIPT} (it is passed to sudo as an argument)`,
    );
  }
  const u = shq(become.user);
  if (become.password === undefined) return `sudo -n -H -u ${u} -- sh -c ${shq(script)}`;
  return (
    `( __keel_s=${shq(script)}; ` +
    `if sudo -n -u ${u} true </dev/null >/dev/null 2>&1; then sudo -n -H -u ${u} -- sh -c "$__keel_s"; ` +
    `else { printf '%s\\n' ${shq(become.password)}; cat; } | sudo -k -S -p '' -H -u ${u} -- sh -c "$__keel_s"; fi )`
  );
}
