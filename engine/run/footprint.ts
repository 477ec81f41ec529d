// Declared resource overlap (docs/pipelining.md): which probes an apply may have
// changed. Names are described with Footprint in engine/core/module.ts.
import type { Footprint, HostModule } from "../core/module.js";
import type { Facts } from "../core/facts.js";

/** What a module without a declaration is taken to read and write: everything. */
export const EVERYTHING: Footprint = { reads: ["*"], writes: ["*"] };

/** The footprint of a prepared task; undeclared (or failing to compute) means everything. */
export function footprintOf(m: HostModule, args: Record<string, unknown>, facts: Facts): { fp: Footprint; declared: boolean } {
  if (!m.footprint) return { fp: EVERYTHING, declared: false };
  try {
    return { fp: m.footprint(args, facts), declared: true };
  } catch {
    return { fp: EVERYTHING, declared: false };
  }
}

function overlapOne(a: string, b: string): boolean {
  if (a === "*" || b === "*" || a === b) return true;
  const fa = a.startsWith("file:");
  const fb = b.startsWith("file:");
  if (fa && fb) return under(a.slice(5), b.slice(5)) || under(b.slice(5), a.slice(5));
  // a folder entry is in a file path's subtree, or it is that path
  if (fa && b.startsWith("dir:")) return under(b.slice(4), a.slice(5));
  if (fb && a.startsWith("dir:")) return under(a.slice(4), b.slice(5));
  return false;
}

/** `p` is `dir` or below it (paths compared textually, trailing slashes ignored). */
function under(p: string, dir: string): boolean {
  const d = dir.replace(/\/+$/, "");
  const q = p.replace(/\/+$/, "");
  return q === d || d === "" || q.startsWith(d + "/");
}

/** Some name written overlaps some name read. */
export function overlaps(writes: readonly string[], reads: readonly string[]): boolean {
  for (const w of writes) for (const r of reads) if (overlapOne(w, r)) return true;
  return false;
}
