// The atomic file write, as one POSIX sh script shared by the ssh and local transports. The new
// content arrives on the script's stdin. Steps: a temporary file inside a private (0700) directory
// `.keel-tmp-XXXXXX` in the target's directory (same filesystem, so the final rename is atomic; and
// while the file's mode is still the old file's or the umask's, which may be wider than the mode it
// is about to get, no other user can reach it to open it and keep the descriptor); the mode and owner of the file being
// replaced are carried over (`cp -p`), then the requested mode/owner/group; the optional validate
// command runs on the temporary file; the optional backup copies the old file to
// `PATH.PID.YYYY-MM-DD@HH:MM:SS~` (Ansible's naming); finally `mv -f` renames it into place. Any
// failure removes the temporary file and leaves the old file untouched.
import { shq } from "../core/shell.js";
import { ModuleError } from "../core/errors.js";

export interface AtomicWriteOptions {
  mode?: string;
  owner?: string;
  group?: string;
  /** Shell text; `%s` is replaced by the temporary file's path, `%%` by `%`. */
  validate?: string;
  backup?: boolean;
}

/** Written on stderr when validation fails, followed by its exit code. */
export const VALIDATE_FAILED_TAG = "keel-validate-failed";
/** Written on stdout with the backup's path. */
export const BACKUP_TAG = "keel-backup";

const MODE = /^[0-7]{3,4}$|^[ugoa]*[-+=][rwxXst]*(,[ugoa]*[-+=][rwxXst]*)*$/;

export function atomicWriteScript(path: string, opts: AtomicWriteOptions = {}): string {
  if (!path.startsWith("/")) throw new ModuleError(`cannot write ${JSON.stringify(path)}: the path must be absolute`);
  if (path.endsWith("/")) throw new ModuleError(`cannot write ${JSON.stringify(path)}: the path names a directory`);
  if (opts.mode !== undefined && !MODE.test(opts.mode)) throw new ModuleError(`invalid mode ${JSON.stringify(opts.mode)} for ${path}`);
  if (opts.validate !== undefined && !opts.validate.includes("%s")) {
    throw new ModuleError(`validate command for ${path} must contain %s (the temporary file): ${opts.validate}`);
  }
  const dir = path.slice(0, path.lastIndexOf("/")) || "/";
  const lines = [
    `__p=${shq(path)}; __d=${shq(dir)}`,
    // also a symlink to a directory: mv would move the new file into it
    `if [ -d "$__p" ]; then echo "keel: $__p is a directory" >&2; exit 1; fi`,
    `__td=$(mktemp -d "$__d/.keel-tmp-XXXXXX") || exit 1`,
    `trap 'rm -rf "$__td"' EXIT; trap 'exit 1' HUP INT TERM PIPE`,
    `__t="$__td/new"`,
    // keep the replaced file's mode and ownership; a new file gets 0666 & ~umask like any created file
    `if [ -f "$__p" ]; then cp -p -- "$__p" "$__t" 2>/dev/null || :; fi`,
    `cat > "$__t" || exit 1`,
  ];
  if (opts.mode !== undefined) lines.push(`chmod ${shq(opts.mode)} "$__t" || exit 1`);
  if (opts.owner !== undefined) lines.push(`chown ${shq(opts.group !== undefined ? `${opts.owner}:${opts.group}` : opts.owner)} "$__t" || exit 1`);
  else if (opts.group !== undefined) lines.push(`chgrp ${shq(opts.group)} "$__t" || exit 1`);
  if (opts.validate !== undefined) {
    const cmd = opts.validate.replace(/%%|%s/g, (m) => (m === "%s" ? `"$__t"` : "%"));
    lines.push(`( ${cmd}\n) </dev/null; __v=$?`);
    lines.push(`if [ "$__v" -ne 0 ]; then printf '\\n%s %d\\n' ${VALIDATE_FAILED_TAG} "$__v" >&2; exit "$__v"; fi`);
  }
  if (opts.backup) {
    lines.push(
      `if [ -e "$__p" ] || [ -L "$__p" ]; then __b="$__p.$$.$(date +%Y-%m-%d@%H:%M:%S)~"; cp -p -- "$__p" "$__b" || exit 1; printf '%s %s\\n' ${BACKUP_TAG} "$__b"; fi`,
    );
  }
  lines.push(`mv -f -- "$__t" "$__p" || exit 1`);
  return lines.join("\n") + "\n";
}

export interface AtomicWriteOutcome {
  backup?: string;
  /** Set when the validate command failed: its exit code; stderr has the tag removed. */
  validateRc?: number;
  stderr: string;
}

/** Reads the script's output. */
export function parseAtomicWriteOutput(stdout: string, stderr: string): AtomicWriteOutcome {
  const b = new RegExp(`^${BACKUP_TAG} (.*)$`, "m").exec(stdout);
  const v = new RegExp(`\\n?${VALIDATE_FAILED_TAG} (\\d+)\\n?$`).exec(stderr);
  return {
    backup: b ? b[1] : undefined,
    validateRc: v ? Number(v[1]) : undefined,
    stderr: v ? stderr.slice(0, v.index) : stderr,
  };
}
