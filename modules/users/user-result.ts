// ansible.builtin.user's register keys (user.py's main()), built from the account as it is: the
// probed passwd entry (no change, check mode) or the one read after apply. Pure.
// - always name and state; in check mode an account to create or delete gives only `changed`, as
//   Ansible's module exits early;
// - a deleted account: force and remove (the arguments);
// - a created one: system and create_home; an existing one: append and move_home (the arguments);
// - an account present after the task: uid, group (the primary gid), comment, home and shell of its
//   passwd entry, groups (the argument joined with commas) when given, and password masked as
//   Ansible masks it ('NOT_LOGGING_PASSWORD') whenever the task gives one.
import type { PasswdEntry } from "./common.js";

/** The arguments of users.user the result reads. */
export interface UserResultArgs {
  name: string;
  state?: "present" | "absent";
  force?: boolean;
  remove?: boolean;
  append?: boolean;
  move_home?: boolean;
  system?: boolean;
  create_home?: boolean;
  password?: string;
  groups?: string | string[];
}

export const NOT_LOGGING_PASSWORD = "NOT_LOGGING_PASSWORD";

export function userResult(p: PasswdEntry | undefined, a: UserResultArgs, how: { check: boolean; existed: boolean }): Record<string, unknown> {
  const want = a.state ?? "present";
  if (how.check && (want === "absent") === how.existed) return {};
  const out: Record<string, unknown> = { name: a.name, state: want };
  if (want === "absent") return how.existed ? { ...out, force: a.force ?? false, remove: a.remove ?? false } : out;
  if (how.existed) Object.assign(out, { append: a.append ?? false, move_home: a.move_home ?? false });
  else Object.assign(out, { system: a.system ?? false, create_home: a.create_home ?? true });
  if (a.password !== undefined) out.password = NOT_LOGGING_PASSWORD;
  if (p) {
    Object.assign(out, { uid: p.uid, group: p.gid, comment: p.comment, home: p.home, shell: p.shell });
    if (a.groups !== undefined) out.groups = Array.isArray(a.groups) ? a.groups.join(",") : a.groups;
  }
  return out;
}
