// One table of the settings keywords that plays, tasks, blocks, includes and role entries share
// and that their children inherit. The play's switch and the task/block/include/role handlers all
// go through `applySetting`, so a keyword behaves the same wherever it is written.
import { isScalar, type YamlFile, type Node } from "../core/yaml.js";
import { hasTemplate } from "../template/index.js";
import type { Expr, Placement } from "../core/plan.js";
import { placementSetting } from "./placement.js";
import { exprList, tagList, varsMap, boolValue, becomeUserValue, becomeMethod, uniq } from "./readers.js";

/** The settings tasks, blocks and include/role entries share, and that their children inherit. */
export interface Settings {
  when: Expr[];
  tags: string[];
  vars: Record<string, unknown>;
  become?: boolean;
  becomeUser?: string;
  ignoreErrors?: boolean;
  ignoreErrorsExpr?: Expr;
  noLog?: boolean;
  checkMode?: boolean;
  placement?: Placement;
  /** A block's `notify:`, given to the tasks inside that have none. */
  notify?: string[];
}

/** Where a keyword is written. */
export type Where = "play" | "task" | "block" | "include" | "role";

interface SettingKeyword {
  in: readonly Where[];
  set(n: Settings, y: YamlFile, v: Node, k: string): void;
}

const EVERYWHERE: readonly Where[] = ["play", "task", "block", "include", "role"];
const NOT_ROLE: readonly Where[] = ["play", "task", "block", "include"];
const BELOW_PLAY: readonly Where[] = ["task", "block", "include"];

export const SETTINGS: Readonly<Record<string, SettingKeyword>> = {
  when: { in: ["task", "block", "include", "role"], set: (n, y, v, k) => void n.when.push(...exprList(y, v, k)) },
  tags: { in: EVERYWHERE, set: (n, y, v) => void (n.tags = uniq([...n.tags, ...tagList(y, v)])) },
  // a role entry's vars: rank differently (below the role's vars/main.yml); roles.ts reads them
  vars: { in: NOT_ROLE, set: (n, y, v) => void (n.vars = { ...n.vars, ...varsMap(y, v, "vars") }) },
  become: { in: EVERYWHERE, set: (n, y, v, k) => void (n.become = boolValue(y, v, k)) },
  become_user: { in: EVERYWHERE, set: (n, y, v) => void (n.becomeUser = becomeUserValue(y, v)) },
  become_method: { in: NOT_ROLE, set: (_n, y, v) => becomeMethod(y, v) },
  ignore_errors: {
    in: BELOW_PLAY,
    set: (n, y, v, k) => {
      // a template (`"{{ ansible_check_mode }}"`) is decided per host, as Ansible renders it
      const text = isScalar(v) && typeof v.value === "string" && hasTemplate(v.value) ? v.value : undefined;
      if (text === undefined) {
        n.ignoreErrors = boolValue(y, v, k);
        delete n.ignoreErrorsExpr;
      } else {
        n.ignoreErrors = false;
        n.ignoreErrorsExpr = exprList(y, v, k)[0];
      }
    },
  },
  // A templated no_log (`"{{ mysql_hide_passwords }}"`, common in real roles) hides the output:
  // keel decides masking at load, and when it cannot know, it fails safe towards hiding secrets.
  no_log: {
    in: BELOW_PLAY,
    set: (n, y, v, k) => void (n.noLog = isScalar(v) && typeof v.value === "string" && hasTemplate(v.value) ? true : boolValue(y, v, k)),
  },
  check_mode: { in: NOT_ROLE, set: (n, y, v, k) => void (n.checkMode = boolValue(y, v, k)) },
  // controller-side keywords (placement.ts); a new object each time, so a parent's is never changed
  remote_user: { in: EVERYWHERE, set: (n, y, v, k) => void (n.placement = placementSetting(n.placement, y, v, k)) },
  environment: { in: EVERYWHERE, set: (n, y, v, k) => void (n.placement = placementSetting(n.placement, y, v, k)) },
  connection: { in: NOT_ROLE, set: (n, y, v, k) => void (n.placement = placementSetting(n.placement, y, v, k)) },
  delegate_to: { in: BELOW_PLAY, set: (n, y, v, k) => void (n.placement = placementSetting(n.placement, y, v, k)) },
  delegate_facts: { in: BELOW_PLAY, set: (n, y, v, k) => void (n.placement = placementSetting(n.placement, y, v, k)) },
  run_once: { in: ["play", "task", "block", "include", "role"], set: (n, y, v, k) => void (n.placement = placementSetting(n.placement, y, v, k)) },
};

/** Sets a settings keyword allowed `where` and returns true, or returns false for any other key. */
export function applySetting(n: Settings, y: YamlFile, k: string, v: Node, where: Where): boolean {
  const s = Object.hasOwn(SETTINGS, k) ? SETTINGS[k]! : undefined;
  if (!s || !s.in.includes(where)) return false;
  s.set(n, y, v, k);
  return true;
}

/** Fresh settings (nothing set), or a copy of `from` whose lists and vars can be extended. */
export function settingsFrom(from?: Settings): Settings {
  return from ? { ...from, when: [...from.when], tags: [...from.tags], vars: { ...from.vars } } : { when: [], tags: [], vars: {} };
}
