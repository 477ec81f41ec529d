// Pure construction of the one-line shell text that runs a command script, with or without become.
// The result reads the command's stdin from its own stdin (framing.ts attaches /dev/null or bytes).
//
// - No become, or the login user already is the target user: `( eval 'SCRIPT' )`. A subshell, so
//   `exit`, `cd` and variables stay inside.
// - become without password: `sudo -n -H -u USER -- sh -c 'JOIN' keel 'PIECE'…` (fails at once if
//   sudo would ask); the script travels as one or more arguments that the inner sh joins and evals.
// - become with password: the password goes on sudo's stdin (`sudo -S -p ''`), never in argv. It is
//   only written when sudo really asks for it: `sudo -n true` first tells whether a password is
//   needed (NOPASSWD rules, cached credentials), and `-k` then makes sudo read exactly one line, so
//   the password can never end up on the command's stdin. printf is a shell builtin, so the
//   password does not appear in any process's argv either. All of it runs in a subshell so no
//   variable holding the script outlives the command.
import { shq } from "../core/shell.js";
import { ModuleError } from "../core/errors.js";

export interface BecomeSpec {
  user: string;
  password?: string;
}

/**
 * Linux caps one argv string at 128 KiB (MAX_ARG_STRLEN) and all of argv and the environment at
 * ARG_MAX (2 MiB usually). Without become the script goes through `eval` (no exec, no limit); under
 * sudo it is passed as arguments of `sh -c`: cut into pieces well under 128 KiB each and joined
 * again by the inner shell (issue 10 #9: a 120 KB command used to crash keel). Beyond this total a
 * command is refused with a clear error.
 */
export const MAX_BECOME_SCRIPT = 1536 * 1024;
/** UTF-16 code units per piece: at most 3 bytes each in UTF-8, so under 96 KiB. */
const PIECE = 32 * 1024;
/** The inner shell's program: join the pieces, forget them, run the script. */
const JOIN = shq(`IFS=; __keel_s="$*"; unset IFS; set --; eval "$__keel_s"`);

export function wrapCommand(script: string, become: BecomeSpec | undefined, loginUser: string): string {
  if (!become || become.user === loginUser) return `( eval ${shq(script)} )`;
  const bytes = Buffer.byteLength(script);
  if (bytes > MAX_BECOME_SCRIPT) {
    throw new ModuleError(
      `a command run with become is ${bytes} bytes; the limit is ${MAX_BECOME_SCRIPT} (sudo receives it as arguments, which the kernel bounds); pass large data as file content or stdin instead`,
    );
  }
  const u = shq(become.user);
  const args = pieces(script).map(shq).join(" ");
  const sh = `sh -c ${JOIN} keel ${args}`;
  if (become.password === undefined) return `sudo -n -H -u ${u} -- ${sh}`;
  return (
    `( if sudo -n -u ${u} true </dev/null >/dev/null 2>&1; then sudo -n -H -u ${u} -- ${sh}; ` +
    `else { printf '%s\\n' ${shq(become.password)}; cat; } | sudo -k -S -p '' -H -u ${u} -- ${sh}; fi )`
  );
}

/** The script cut into pieces of at most PIECE code units, never inside a surrogate pair. */
function pieces(script: string): string[] {
  if (script.length <= PIECE) return [script];
  const out: string[] = [];
  for (let i = 0; i < script.length;) {
    let end = Math.min(i + PIECE, script.length);
    const c = script.charCodeAt(end - 1);
    if (end < script.length && c >= 0xd800 && c <= 0xdbff) end--; // keep a surrogate pair together
    out.push(script.slice(i, end));
    i = end;
  }
  return out;
}
