// Pure selection rules: which tasks run for --tags/--skip-tags, and how `serial` cuts hosts into batches.

export interface TagFilter {
  tags?: string[];
  skipTags?: string[];
}

/**
 * Ansible's tag rules. `tags` are the task's effective tags (its own plus those of its blocks, role
 * and play). `always` runs unless skipped by name; `never` runs only when asked for by name;
 * the selectors `all`, `tagged` and `untagged` work as in Ansible.
 */
export function tagsSelect(tags: readonly string[], f: TagFilter): boolean {
  const set = new Set(tags);
  const only = f.tags && f.tags.length ? f.tags : undefined;
  const skip = f.skipTags ?? [];
  const matches = (sel: string): boolean => {
    if (sel === "all") return !set.has("never");
    if (sel === "tagged") return set.size > 0 && !set.has("never");
    if (sel === "untagged") return set.size === 0;
    return set.has(sel);
  };
  if (skip.some((s) => (s === "all" || s === "tagged" || s === "untagged" ? matches(s) : set.has(s)))) return false;
  if (!only) return !set.has("never");
  if (set.has("always") && !skip.includes("always")) return true;
  return only.some(matches);
}

/**
 * Cut hosts into `serial` batches: sizes are numbers or percentages ("30%") of all hosts, the last
 * size repeating. A percentage rounds down but is at least one host; 0 means all hosts. No serial: one batch.
 */
export function serialBatches<T>(hosts: readonly T[], serial: readonly (number | string)[] | undefined): T[][] {
  if (!serial || serial.length === 0 || hosts.length === 0) return hosts.length ? [hosts.slice()] : [];
  const sizes = serial
    .map((s) => {
      if (typeof s === "number") return s;
      const m = /^\s*(\d+(?:\.\d+)?)\s*%\s*$/.exec(s);
      if (m) return Math.max(1, Math.floor((Number(m[1]) / 100) * hosts.length));
      return Number(s);
    })
    .map((n) => (Number.isFinite(n) && n > 0 ? Math.floor(n) : hosts.length));
  const out: T[][] = [];
  let i = 0;
  let k = 0;
  while (i < hosts.length) {
    const size = sizes[Math.min(k, sizes.length - 1)]!;
    out.push(hosts.slice(i, i + size));
    i += size;
    k++;
  }
  return out;
}
