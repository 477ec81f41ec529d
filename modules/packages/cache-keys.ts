// apt's registered cache_updated and cache_update_time, as ansible-core 2.14's apt returns them on
// every result but a removal's (remove() exits without them): whether the task refreshes the index
// (check mode: would refresh) and the index's mtime (PkgState.cacheTime). After a refresh, apply's
// result gives both anew (backends/apt.ts). Pure; used by package-module.ts.
import type { ApplyResult } from "../../engine/core/module.js";
import type { PkgState } from "./backends/types.js";

/** cache_valid_time is set and the index is older (or was never updated): the refresh is a change. */
export function staleCache(st: PkgState, cvt: number | undefined): boolean {
  return cvt !== undefined && (st.cacheAge === undefined || st.cacheAge > cvt);
}

/**
 * The probe's cache keys. `cvt` is cache_valid_time where the backend honours it; `action` is
 * update_cache without names or cache_valid_time (a refresh on every run).
 */
export function cacheKeys(st: PkgState, removing: boolean, cvt: number | undefined, action: boolean): Record<string, unknown> {
  if (st.manager !== "apt" || st.cacheTime === undefined || removing) return {};
  return { cache_updated: staleCache(st, cvt) || action, cache_update_time: st.cacheTime };
}

/** A removal's apply result without the cache keys the backend added. */
export function withoutCacheKeys(out: ApplyResult, removing: boolean): ApplyResult {
  if (removing && out.data) {
    delete out.data.cache_updated;
    delete out.data.cache_update_time;
  }
  return out;
}
