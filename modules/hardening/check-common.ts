// Shared by the read-only check modules (hardening.uid0, hardening.empty_passwords,
// hardening.world_writable, hardening.unowned_files): controls that are not a desired state keel
// could converge to. Their diff reports the evidence (offending accounts or paths) as a change, so
// check mode and `keel audit` show a failure with it; their apply never changes anything and fails
// the task with the same evidence (the role marks these tasks ignore_errors, so a finding does not
// stop the rest of the hardening).
import { ModuleError } from "../../engine/core/errors.js";
import type { Change } from "../../engine/core/module.js";

/** At most this many offenders are listed in a summary (all of them stay in `before`). */
export const SHOWN = 10;

export function listed(items: string[]): string {
  return items.length <= SHOWN ? items.join(", ") : `${items.slice(0, SHOWN).join(", ")} and ${items.length - SHOWN} more`;
}

/** One finding: the offenders as evidence (`before`), none wanted (`after`). */
export function finding(summary: string, field: string, offenders: string[]): Change {
  return { summary, field, before: offenders, after: [] };
}

/** apply of a read-only check: changes nothing and fails with the evidence. */
export function reportOnly(module: string, changes: Change[], fix: string): never {
  throw new ModuleError(`${changes.map((c) => c.summary).join("; ")}. ${module} only checks and changes nothing: ${fix}`);
}

/** Lines of a command's output, trimmed, without empty ones. */
export function lines(text: string | undefined): string[] {
  return (text ?? "")
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean);
}

/** A pipeline stage printing the first `limit` lines then `#count N` (the exact count), writing nothing. */
export function capped(limit: number): string {
  return `awk -v lim=${limit} 'NR <= lim { print } END { print "#count " NR }'`;
}

/** Reads what `capped` printed. */
export function uncap(out: string | undefined): { count: number; paths: string[] } {
  const l = lines(out);
  const last = l.length && l[l.length - 1]!.startsWith("#count ") ? l.pop()! : "#count 0";
  return { count: Number(last.slice(7)), paths: l };
}
