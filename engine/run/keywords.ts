// Keyword values written as templates, rendered as Ansible renders them: `serial: "{{ batch }}"`
// once per play with the play's variables and -e (before any host of the play starts: batches are
// cut before hosts run), `become_user: "{{ app_user }}"` per host and task with the task's variables.
import { InputError } from "../core/errors.js";
import type { Play } from "../core/plan.js";
import { hasTemplate, layerVars, renderValue } from "../template/index.js";

/**
 * The play's serial with its templates rendered. A template may give a number, a percentage or a
 * list of them (`serial: "{{ batches }}"` with `batches: [1, "50%"]`). Invalid input otherwise.
 */
export function playSerial(play: Play, extraVars: Record<string, unknown>): (number | string)[] | undefined {
  if (!play.serial || !play.serial.some(hasTemplate)) return play.serial;
  const vars = layerVars({ roleDefaults: play.roleDefaults ?? {}, playVars: play.vars, varsFiles: play.varsFiles, extraVars });
  const out: (number | string)[] = [];
  for (const s of play.serial) {
    const v = typeof s === "string" && hasTemplate(s) ? renderValue(s, vars, play.pos) : s;
    for (const x of Array.isArray(v) ? v : [v]) out.push(serialEntry(x, s, play));
  }
  return out;
}

function serialEntry(x: unknown, written: unknown, play: Play): number | string {
  if (typeof x === "number" && Number.isInteger(x) && x >= 0) return x;
  if (typeof x === "string") {
    const t = x.trim();
    if (/^\d+$/.test(t)) return Number(t);
    const pct = /^(\d+(?:\.\d+)?)%$/.exec(t);
    if (pct && Number(pct[1]) > 0 && Number(pct[1]) <= 100) return t;
  }
  throw new InputError(
    `play '${play.name}': serial '${String(written)}' gave ${JSON.stringify(x)}, not a number or a percentage`,
    play.pos,
    'the variable must hold a number, a percentage like "30%", or a list of them',
  );
}

/**
 * The play's max_fail_percentage with its template rendered (`"{{ patch_max_fail }}"`): a number
 * or "25%" from 0 to 100. Invalid input otherwise, before any host of the run starts.
 */
export function playMaxFail(play: Play, extraVars: Record<string, unknown>): number | undefined {
  const m = play.maxFailPercentage;
  if (m === undefined || typeof m === "number") return m;
  const vars = layerVars({ roleDefaults: play.roleDefaults ?? {}, playVars: play.vars, varsFiles: play.varsFiles, extraVars });
  const v = hasTemplate(m) ? renderValue(m, vars, play.pos) : m;
  const num = typeof v === "number" ? v : typeof v === "string" && /^\d+(?:\.\d+)?%?$/.test(v.trim()) ? Number(v.trim().replace(/%$/, "")) : NaN;
  if (!Number.isFinite(num) || num < 0 || num > 100) {
    throw new InputError(
      `play '${play.name}': max_fail_percentage '${m}' gave ${JSON.stringify(v)}, not a percentage from 0 to 100`,
      play.pos,
      'the variable must hold a number from 0 to 100 or a percentage like "25%"',
    );
  }
  return num;
}

/** become_user as written, rendered with the task's variables when it is a template. */
export function renderBecomeUser(user: string, vars: Record<string, unknown>, play: Play | undefined): string {
  if (!hasTemplate(user)) return user;
  const v = renderValue(user, vars, play?.pos ?? { file: "", line: 0, col: 0 });
  if (typeof v !== "string" && typeof v !== "number") throw new InputError(`become_user '${user}' gave ${JSON.stringify(v)}, not a user name`);
  const s = String(v).trim();
  if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]*\$?$/.test(s))
    throw new InputError(`become_user '${user}' gave '${s}', which is not a user name`, undefined, "the variable must hold a login name such as postgres");
  return s;
}

/**
 * A become with its templated user rendered: with `vars` (the item's) when given; else with the
 * task's (probe prefetching), where a template that cannot be rendered yet gives a user that
 * matches no real become, so its probe is simply not prefetched.
 */
export function renderedBecome<B extends { user: string } | undefined>(
  b: B,
  vars: Record<string, unknown> | undefined,
  taskVars: () => Record<string, unknown>,
  play: Play | undefined,
): B {
  if (!b || !b.user.includes("{{")) return b;
  if (vars) return { ...b, user: renderBecomeUser(b.user, vars, play) };
  try {
    return { ...b, user: renderBecomeUser(b.user, taskVars(), play) };
  } catch {
    return { ...b, user: "{{unrendered}}" };
  }
}
