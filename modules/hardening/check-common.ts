// Shared by the read-only check modules (hardening.uid0, hardening.empty_passwords,
// hardening.world_writable, hardening.unowned_files): controls that are not a desired state keel
// could converge to. Their diff reports the evidence (offending accounts or paths) as a change, so
// check mode and `keel audit` show a failure with it; their apply never changes anything and fails
// the task with the same evidence (the role marks these tasks ignore_errors, so a finding does not
// stop the rest of the hardening).
import { ModuleError } from "../../engine/core/errors.js";
import type { Change } from "../../engine/core/module.js";
import { findRec, type Rec } from "../../engine/core/record.js";
import { shq } from "../../engine/core/shell.js";
import { snip } from "../../engine/core/snippets.js";

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

// The file system scans (hardening.world_writable, hardening.unowned_files): `find` over the roots,
// each on its own file system (-xdev), the excluded paths pruned, at most `limit` paths read back
// with the exact count.

/** The arguments every scan takes. */
export interface ScanArgs {
  paths?: string[];
  exclude?: string[];
  limit?: number;
}

const ABS_PATH = { type: "string", pattern: "^/[^\\n\\r\\0]*$" };
const DEFAULT_EXCLUDE = ["/proc", "/sys", "/dev", "/run"];

/** The JSON Schema properties of ScanArgs; `limitText` says what the limit counts. */
export function scanSchema(limitText: string): Record<string, unknown> {
  return {
    paths: { type: "array", items: ABS_PATH, default: ["/"], description: "Where to look; each on its own file system only (-xdev)." },
    exclude: { type: "array", items: ABS_PATH, default: [...DEFAULT_EXCLUDE], description: "Paths not searched." },
    limit: { type: "integer", minimum: 1, default: 200, description: limitText },
  };
}

/** The roots, as the resource and explain texts name them. */
export function scanRoots(a: ScanArgs): string {
  return (a.paths ?? ["/"]).join(" ");
}

/**
 * A `@cmd id` record of the paths `find` selects with `test` (find expressions), printed one a
 * line, at most `limit` of them, then `#count N` (the exact count). Writes nothing.
 */
export function scanScript(id: string, a: ScanArgs, test: string): string {
  const prune = (a.exclude ?? DEFAULT_EXCLUDE).map((p) => `-path ${shq(p)} -prune -o`).join(" ");
  const roots = (a.paths ?? ["/"]).map(shq).join(" ");
  const capped = `awk -v lim=${a.limit ?? 200} 'NR <= lim { print } END { print "#count " NR }'`;
  return snip.cmd(id, `find ${roots} -xdev ${prune} ${test} -print 2>/dev/null | ${capped}`);
}

/** Reads what scanScript's record `id` holds: the exact count and the paths read back. */
export function scanResult(recs: Rec[], id: string): { count: number; paths: string[] } {
  const l = lines(findRec(recs, "cmd", id)?.get("out"));
  const last = l.length && l[l.length - 1]!.startsWith("#count ") ? l.pop()! : "#count 0";
  return { count: Number(last.slice(7)), paths: l };
}
