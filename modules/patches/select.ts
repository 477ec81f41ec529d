// The pure decisions of patches.upgrade: which pending updates a task takes (scope, only,
// exclude, holds), and the changes check mode, --diff and apply share. Nothing here touches a host.
import type { Change } from "../../engine/core/module.js";
import { ageText } from "../../engine/core/age.js";
import { fnmatch } from "../../engine/core/fnmatch.js";
import type { PatchState, PendingUpdate } from "./types.js";

export interface SelectArgs {
  scope?: "all" | "security";
  only?: string[];
  exclude?: string[];
  update_cache?: boolean;
  cache_valid_time?: number;
  reboot?: "never" | "if_required";
}

/** What apply gets in each Change's data. */
export type UpgradeOp = { op: "update_cache"; action?: true } | { op: "upgrade"; update: PendingUpdate } | { op: "reboot"; action: true };

/** A change of patches.upgrade: its data is always an UpgradeOp. */
export type UpgradeChange = Change<UpgradeOp>;

export interface Selection {
  /** Updates the task takes, in name order. */
  take: PendingUpdate[];
  /** Updates the task would take but the package is on hold: never upgraded, reported. */
  held: PendingUpdate[];
}

/**
 * only/exclude: fnmatch patterns (`*`, `?`, `[abc]`, `[!abc]`), as Ansible's apt takes package
 * globs, against the whole name. `libc6:amd64` is matched by `libc6*` and by `libc6`.
 */
function matchesAny(name: string, globs: string[]): boolean {
  const bare = name.replace(/:[^:]*$/, "");
  return globs.some((g) => fnmatch(name, g) || fnmatch(bare, g));
}

export function selectUpdates(st: PatchState, args: SelectArgs): Selection {
  const scope = args.scope ?? "security";
  const take: PendingUpdate[] = [];
  const held: PendingUpdate[] = [];
  for (const u of st.updates) {
    if (scope === "security" && !u.security) continue;
    if (args.only?.length && !matchesAny(u.name, args.only)) continue;
    if (args.exclude?.length && matchesAny(u.name, args.exclude)) continue;
    (u.held ? held : take).push(u);
  }
  return { take, held };
}

function origin(u: PendingUpdate): string {
  return [u.security ? "security" : "", u.source, u.advisory ?? ""].filter(Boolean).join(", ");
}

/** "keel-hello 1.0 → 1.1 (security, keel-security)" */
export function updateLine(u: PendingUpdate): string {
  const what = origin(u);
  return `${u.name} ${u.installed} → ${u.candidate}${what ? ` (${what})` : ""}`;
}

/** "keel-hello (security, keel-security)" */
export function updateLabel(u: PendingUpdate): string {
  const what = origin(u);
  return what ? `${u.name} (${what})` : u.name;
}

/**
 * The changes of one patches.upgrade task: a stale cache (cache_valid_time passed) or an
 * unconditional refresh (update_cache alone, an action as in Ansible's apt), one change per update
 * taken (before/after versions), and a pending reboot when `reboot: if_required` and the host
 * already needs one (an action: never drift).
 */
export function upgradeChanges(st: PatchState, args: SelectArgs): UpgradeChange[] {
  const out: UpgradeChange[] = [];
  // As Ansible's apt: `update_cache or cache_valid_time` refreshes lists older than cache_valid_time;
  // 0 (Ansible's default) is no window: alone it refreshes nothing, with update_cache it always does.
  const cvt = args.cache_valid_time ? args.cache_valid_time : undefined;
  const age = st.cacheAge;
  if (cvt !== undefined) {
    if (age === undefined || age > cvt) {
      out.push({
        summary:
          age === undefined
            ? `${st.manager} package lists never updated`
            : `${st.manager} package lists updated ${ageText(age)} ago, older than cache_valid_time ${cvt} s`,
        field: "package lists",
        before: age === undefined ? "never updated" : `updated ${ageText(age)} ago`,
        after: "updated now",
        data: { op: "update_cache" },
      });
    }
  } else if (args.update_cache === true) {
    out.push({ summary: `${st.manager} package lists update`, field: "package lists", data: { op: "update_cache", action: true } });
  }
  for (const u of selectUpdates(st, args).take) {
    // The field names the package and where the update comes from, so --diff shows the whole
    // list: "keel-hello (security, keel-security): 1.0 → 1.1".
    out.push({ summary: `upgrade ${updateLine(u)}`, field: updateLabel(u), before: u.installed, after: u.candidate, data: { op: "upgrade", update: u } });
  }
  if (args.reboot === "if_required" && st.reboot.required) {
    out.push({ summary: `reboot required: ${st.reboot.reasons.join("; ")}`, field: "reboot", data: { op: "reboot", action: true } });
  }
  return out;
}

/** Why nothing needs to change, held packages named. */
export function explainUpgrade(st: PatchState, args: SelectArgs): string {
  const scope = args.scope ?? "security";
  const sel = selectUpdates(st, args);
  const others = st.updates.filter((u) => !u.held && !sel.take.includes(u)).length;
  const parts = [`no ${scope === "security" ? "security " : ""}updates to apply`];
  if (sel.held.length) parts.push(`held: ${sel.held.map(updateLine).join(", ")}`);
  if (others) parts.push(`${others} other update${others === 1 ? "" : "s"} outside the task's scope`);
  if (st.listsAge !== undefined) parts.push(`package lists updated ${ageText(st.listsAge)} ago`);
  else parts.push("package lists never updated");
  return parts.join("; ");
}
