// Where a text change was read, for audit evidence: a module that reports a file's content change
// (lineinfile, blockinfile, copy, template, the sshd and modprobe drop-ins…) gives the whole
// before/after text; the auditor needs the line on the host (file:line) and the lines found and
// required there, not "file /etc/login.defs". Pure.

/** At most this many lines of a changed region are quoted as the observed/expected value. */
const MAX_LINES = 5;

export interface Located {
  /** "path:line" of the first differing line on the host, or the path when lines are only added. */
  where: string;
  /** The host's lines in the changed region ("absent" when the required lines are missing). */
  observed: string;
  /** The required lines in that region ("absent" when lines must be removed). */
  expected: string;
}

function lines(text: string): string[] {
  if (text === "") return [];
  const l = text.split("\n");
  if (l[l.length - 1] === "") l.pop();
  return l;
}

function quote(region: string[]): string {
  if (!region.length) return "absent";
  const shown = region.slice(0, MAX_LINES).join("\n");
  return region.length > MAX_LINES ? `${shown}\n… (${region.length - MAX_LINES} more lines)` : shown;
}

/**
 * The changed region of a text diff: the lines between the common prefix and the common suffix.
 * Undefined when the texts have the same lines (a change of mode or owner only, or of the final
 * newline), so the caller keeps the path alone.
 */
export function locateTextChange(d: { path: string; before: string; after: string }): Located | undefined {
  const b = lines(d.before);
  const a = lines(d.after);
  let start = 0;
  while (start < b.length && start < a.length && b[start] === a[start]) start++;
  let endB = b.length;
  let endA = a.length;
  while (endB > start && endA > start && b[endB - 1] === a[endA - 1]) {
    endB--;
    endA--;
  }
  if (start === endB && start === endA) return undefined;
  const before = b.slice(start, endB);
  return {
    where: before.length ? `${d.path}:${start + 1}` : d.path,
    observed: quote(before),
    expected: quote(a.slice(start, endA)),
  };
}
