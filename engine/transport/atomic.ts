// The atomic file write, as one POSIX sh script shared by the ssh and local transports. The new
// content arrives on the script's stdin. Steps: a temporary file inside a private (0700) directory
// `.keel-tmp-PID.XXXXXX` in the target's directory (same filesystem, so the final rename is atomic;
// and while the file's mode is still the old file's or the umask's, which may be wider than the
// mode it is about to get, no other user can reach it to open it and keep the descriptor); the
// mode and owner of the file being replaced are carried over (`cp -p`), then the requested
// mode/owner/group; the optional validate command runs on the temporary file; the optional backup
// copies the old file to `PATH.PID.YYYY-MM-DD@HH:MM:SS~` (Ansible's naming); finally the file is
// renamed ONTO the path itself (`mv -T`: rename(2) semantics, never "into" a directory the path
// may have become). Any failure removes the temporary directory and leaves the old file untouched.
//
// Races with other users of the directory (issue 10 #3): the destination's type is recorded before
// the write; if it became a directory or a symbolic link meanwhile, nothing is installed and the
// write fails. `mv -T` makes the rename safe even if the swap happens after that last check: it
// replaces the link itself and never follows it. Where `mv` has no -T (some BusyBox builds), the
// check right before a plain `mv` is what remains; the script says which in its error.
//
// Stale temporary directories (issue 10 #10): a write that was killed hard (SIGKILL, a cut link
// that killed its shell) leaves its `.keel-tmp-PID.XXXXXX` behind. Each write removes, in the same
// directory, keel temporary directories whose writing process (the PID in the name) no longer
// exists, and reports each one on stdout. Directories in the older `.keel-tmp-XXXXXX` form (no
// PID) are removed once they are over an hour old. A directory of a write still in progress (its
// process is alive, even stopped) is never touched.
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
/** Written on stdout with the path of each stale temporary directory removed. */
export const STALE_TAG = "keel-stale-removed";

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
    `if [ -L "$__p" ]; then __was=link; else __was=other; fi`,
    // stale temporary directories of earlier, killed writes (see the header)
    `for __s in "$__d"/.keel-tmp-*; do`,
    `  [ -d "$__s" ] && [ ! -L "$__s" ] || continue`,
    `  __n=\${__s##*/.keel-tmp-}`,
    `  case "$__n" in`,
    `    *[!0-9]*.??????|.??????) continue ;;`,
    // a process we cannot see is taken as alive: without procfs only root can tell (kill -0); a
    // zombie (state Z: killed, not yet reaped by its parent) is dead, it writes nothing any more
    `    *.??????) __pid=\${__n%%.*}; if [ -d /proc/self ]; then [ -d "/proc/$__pid" ] && [ "$(sed -n 's/.*) \\(.\\).*/\\1/p' "/proc/$__pid/stat" 2>/dev/null)" != Z ] && continue; elif [ "$(id -u)" = 0 ]; then kill -0 "$__pid" 2>/dev/null && continue; else continue; fi ;;`,
    `    ??????) [ -n "$(find "$__s" -prune -mmin +60 2>/dev/null)" ] || continue ;;`,
    `    *) continue ;;`,
    `  esac`,
    `  rm -rf -- "$__s" 2>/dev/null && printf '%s %s\\n' ${STALE_TAG} "$__s"`,
    `done`,
    `__td=$(mktemp -d "$__d/.keel-tmp-$$.XXXXXX") || exit 1`,
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
  lines.push(
    // the destination must not have become a directory or a symlink while the file was written
    `if [ -d "$__p" ]; then echo "keel: $__p became a directory during the write; nothing was installed" >&2; exit 1; fi`,
    `if [ -L "$__p" ] && [ "$__was" != link ]; then echo "keel: $__p became a symbolic link during the write; nothing was installed" >&2; exit 1; fi`,
    // rename(2) onto the path itself: mv -T never moves into a directory nor follows a symlink
    `if mv --help 2>&1 | grep -q -- '-T'; then mv -T -f -- "$__t" "$__p" || exit 1; else mv -f -- "$__t" "$__p" || exit 1; fi`,
  );
  return lines.join("\n") + "\n";
}

export interface AtomicWriteOutcome {
  backup?: string;
  /** Stale temporary directories of earlier killed writes that this write removed. */
  staleRemoved: string[];
  /** Set when the validate command failed: its exit code; stderr has the tag removed. */
  validateRc?: number;
  stderr: string;
}

/** Reads the script's output. */
export function parseAtomicWriteOutput(stdout: string, stderr: string): AtomicWriteOutcome {
  const b = new RegExp(`^${BACKUP_TAG} (.*)$`, "m").exec(stdout);
  const v = new RegExp(`\\n?${VALIDATE_FAILED_TAG} (\\d+)\\n?$`).exec(stderr);
  const stale = [...stdout.matchAll(new RegExp(`^${STALE_TAG} (.*)$`, "gm"))].map((m) => m[1]!);
  return {
    backup: b ? b[1] : undefined,
    staleRemoved: stale,
    validateRc: v ? Number(v[1]) : undefined,
    stderr: v ? stderr.slice(0, v.index) : stderr,
  };
}
