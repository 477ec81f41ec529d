// Arguments rendered once per play for every host (issue 17): a task whose arguments read only
// what is the same on every host of the play is templated and validated by the first host that
// gets there, and the other hosts take a copy.
//
// The proof is static and conservative (templateNames): it lists every name a template may read,
// and gives up (undefined) on anything it cannot see through: a lookup or query, an impure or
// unknown filter, test, function or method, `vars`/`hostvars`, Handlebars blocks, `this`, `@`
// data and `../`, and Jinja statements. Names read through play-level variables are followed
// (`app_dir: "/opt/{{ app_name }}"` reads app_name too). A looped task is never shared (its loop
// variable differs per item and per host).
//
// Then, per host (hostIndependent): none of those names may be defined by the host's own layers,
// the inventory layer (magic variables, host and group vars, facts) or the registered layer
// (register, set_fact, include_vars). Such a name then resolves, on every host, to the same
// play-level value (role defaults, play vars, vars_files, role vars, block vars, task vars, -e),
// which the play never changes, so the rendering is the same on every host. A rendering that fails
// is not shared (each host reports its own error).
import type { Task } from "../core/plan.js";
import type { Play, RoleRef } from "../core/plan.js";
import { roleMagic } from "./vars.js";
import type { Scope } from "./scope.js";
import { captureVault, noteTaint } from "../core/secrets.js";

/** Filters that read only their input and arguments (engine/template/filters.ts; not shuffle, password_hash). */
const PURE_FILTERS = new Set(
  (
    "abs b64decode b64encode basename batch bool capitalize center checksum combine comment count d default dict2items dictsort difference dirname " +
    "first flatten float format from_json from_yaml groupby hash indent int intersect items2dict join json_query last length list lower mandatory " +
    "map max md5 min path_join quote regex_escape regex_findall regex_replace regex_search reject rejectattr replace reverse round select " +
    "selectattr sha1 slice sort split splitext string subelements sum symmetric_difference ternary title to_json to_nice_json to_nice_yaml " +
    "to_yaml trim truncate union unique upper urlencode urlsplit wordcount zip zip_longest human_readable human_to_bytes"
  ).split(" "),
);
/** Tests (engine/template/tests.ts), all pure. */
const PURE_TESTS = new Set(
  (
    "defined undefined none changed change failed failure succeeded success successful skipped skip true false truthy falsy string number " +
    "integer float boolean mapping sequence iterable lower upper even odd divisibleby eq equalto ne lt lessthan le gt greaterthan ge sameas in " +
    "contains subset superset all any match search regex startswith endswith version version_compare"
  ).split(" "),
);
/** Functions and methods (engine/template/methods.ts), all pure. */
const PURE_FUNCTIONS = new Set(["range", "dict"]);
const PURE_METHODS = new Set(
  "startswith endswith lower upper title capitalize strip lstrip rstrip split splitlines replace join format find count index isdigit isalpha isalnum zfill get keys values items".split(
    " ",
  ),
);
/** Words that reach outside the play's variables or differ per call, wherever they appear (even in a string: `map('password_hash')`). */
const ESCAPES = /\b(?:lookup|query|q|vars|hostvars|varnames|now|random|shuffle|password_hash|this)\b|@|\.\.\//;
/** Jinja statements and comments, Handlebars' triple braces: not proven. */
const STATEMENTS = /\{%|\{#|\{\{\{/;
/** Handlebars' own blocks, partials, comments and whitespace control. */
const HBS_TAG = /^\s*(?:[#/^>!&~]|else\b)/;

/**
 * The names the templates in `value` (deeply, mapping keys included) may read, or undefined when
 * that cannot be proven. A value without templates reads nothing (an empty set).
 */
export function templateNames(value: unknown, out = new Set<string>()): Set<string> | undefined {
  if (typeof value === "string") return stringNames(value, out) ? out : undefined;
  if (Array.isArray(value)) {
    for (const v of value) if (!templateNames(v, out)) return undefined;
    return out;
  }
  if (value !== null && typeof value === "object") {
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) if (!stringNames(k, out) || !templateNames(v, out)) return undefined;
    return out;
  }
  return out;
}

function stringNames(s: string, out: Set<string>): boolean {
  if (!s.includes("{{") && !s.includes("{%") && !s.includes("{#")) return true;
  if (STATEMENTS.test(s)) return false;
  let i = 0;
  for (;;) {
    const open = s.indexOf("{{", i);
    if (open < 0) return true;
    const end = bodyEnd(s, open + 2);
    if (end < 0) return false;
    const body = s.slice(open + 2, end);
    if (HBS_TAG.test(body) || ESCAPES.test(body) || !bodyNames(body, out)) return false;
    i = end + 2;
  }
}

/** Where the `}}` closing a body starting at `from` is, skipping string literals and nested braces; -1 when none. */
function bodyEnd(s: string, from: number): number {
  let depth = 0;
  for (let i = from; i < s.length; i++) {
    const c = s[i]!;
    if (c === "'" || c === '"') {
      i = quoteEnd(s, i);
      if (i < 0) return -1;
    } else if (c === "{" || c === "[" || c === "(") depth++;
    else if (c === "]" || c === ")") depth--;
    else if (c === "}") {
      if (depth === 0) return s[i + 1] === "}" ? i : -1;
      depth--;
    }
  }
  return -1;
}

function quoteEnd(s: string, at: number): number {
  for (let i = at + 1; i < s.length; i++) {
    if (s[i] === "\\") i++;
    else if (s[i] === s[at]) return i;
  }
  return -1;
}

const WORD = /[A-Za-z_][A-Za-z0-9_]*/y;

/**
 * The names of one `{{ … }}` body. Every word outside string literals counts as a name (an
 * over-approximation is safe), except an attribute or method after `.`; a word called or used as a
 * filter or test must also be a pure one.
 */
function bodyNames(body: string, out: Set<string>): boolean {
  let prevWord = "";
  let prevWord2 = "";
  let prevChar = "";
  for (let i = 0; i < body.length;) {
    const c = body[i]!;
    if (c === "'" || c === '"') {
      i = quoteEnd(body, i) + 1;
      if (i === 0) return false;
      prevChar = c;
      continue;
    }
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    WORD.lastIndex = i;
    const m = WORD.exec(body);
    if (!m || /[0-9]/.test(prevChar)) {
      if (m) i += m[0].length;
      else i++;
      if (!m) prevChar = c;
      continue;
    }
    const w = m[0];
    i += w.length;
    const next = /\S/.exec(body.slice(i))?.[0] ?? "";
    if (prevChar === ".") {
      if (next === "(" && !PURE_METHODS.has(w)) return false;
    } else {
      out.add(w);
      const isTest = prevWord === "is" || (prevWord === "not" && prevWord2 === "is");
      if (prevChar === "|" && !PURE_FILTERS.has(w)) return false;
      else if (isTest && prevChar !== "|" && w !== "not" && !PURE_TESTS.has(w)) return false;
      else if (next === "(" && prevChar !== "|" && !isTest && !PURE_FUNCTIONS.has(w)) return false;
    }
    prevWord2 = prevWord;
    prevWord = w;
    prevChar = "w";
  }
  return true;
}

/** Play-level variable definitions of a task, highest precedence first (-e, task, block, role vars, vars_files, play vars, role defaults). */
export type PlayDefs = readonly Record<string, unknown>[];

/** The names a task's arguments read, and the play-level value each had when that was worked out. */
export interface Proof {
  names: Set<string>;
  values: Map<string, unknown>;
}

const ABSENT = Symbol("absent");

function defOf(defs: PlayDefs, n: string): unknown {
  const layer = defs.find((d) => Object.hasOwn(d, n));
  return layer ? layer[n] : ABSENT;
}

/**
 * The names a task's arguments read, following play-level variables' own templates; undefined when
 * the task cannot be shared (it loops, or a template is beyond the proof).
 */
export function argsProof(task: Task, defs: PlayDefs): Proof | undefined {
  if (task.loop !== undefined && task.loop !== null) return undefined;
  const names = templateNames(task.args);
  if (!names) return undefined;
  const values = new Map<string, unknown>();
  const todo = [...names];
  while (todo.length) {
    const n = todo.pop()!;
    const v = defOf(defs, n);
    values.set(n, v);
    if (v === ABSENT) continue;
    const more = templateNames(v);
    if (!more) return undefined;
    for (const m of more)
      if (!names.has(m)) {
        names.add(m);
        todo.push(m);
      }
  }
  return { names, values };
}

/**
 * On this host, the task's arguments read what the proof saw: each name has the same play-level
 * value, and the host's own layers (inventory: magic variables, host and group vars, facts;
 * registered: register, set_fact, include_vars) define none of them.
 */
export function sameReads(p: Proof, defs: PlayDefs, inventory: Record<string, unknown>, registered: Record<string, unknown>): boolean {
  for (const n of p.names) if (n in inventory || Object.hasOwn(registered, n) || !Object.is(defOf(defs, n), p.values.get(n))) return false;
  return true;
}

/** Renderings taken from another host / kept for the others, in this process (tests and the bench read them). */
export const sharedArgsStats = { hits: 0, stored: 0 };

/** One play's shared renderings (kept on the PlayState every host of the play holds). */
export class SharedArgs {
  private readonly proofs = new Map<Task, Proof | undefined>();
  private readonly args = new Map<Task, { module: string; args: Record<string, unknown> }>();

  /** The task's proof (worked out once per task, with the first host's play-level values), undefined when it cannot be shared. */
  proofOf(task: Task, defs: PlayDefs): Proof | undefined {
    if (!this.proofs.has(task)) this.proofs.set(task, argsProof(task, defs));
    return this.proofs.get(task);
  }

  /** A copy of the arguments another host rendered and validated for this task and module. */
  get(task: Task, module: string): Record<string, unknown> | undefined {
    const e = this.args.get(task);
    if (!e || e.module !== module) return undefined;
    sharedArgsStats.hits++;
    return structuredClone(e.args);
  }

  /** Keep a copy of rendered and validated arguments for the play's other hosts. */
  set(task: Task, module: string, args: Record<string, unknown>): void {
    this.args.set(task, { module, args: structuredClone(args) });
    sharedArgsStats.stored++;
  }
}

/** What prepare() needs from the host for shared rendering. */
export interface SharedArgsHost {
  cache: SharedArgs;
  /** The task's play-level definitions on this host, highest precedence first. */
  defs(scope: Scope, task: Task): PlayDefs;
  /** The host's inventory layer (magic variables, host and group vars, facts). */
  inventory(): Record<string, unknown>;
}

/**
 * The task's arguments rendered and validated: another host's copy when the proof holds on this
 * host, else rendered here (and kept for the others when the proof holds).
 */
export function sharedRender(
  sh: SharedArgsHost | undefined,
  registered: Record<string, unknown>,
  task: Task,
  scope: Scope,
  module: string,
  render: () => Record<string, unknown>,
): Record<string, unknown> {
  if (!sh) return render();
  const defs = sh.defs(scope, task);
  const proof = sh.cache.proofOf(task, defs);
  if (!proof || !sameReads(proof, defs, sh.inventory(), registered)) return render();
  const hit = sh.cache.get(task, module);
  if (hit) {
    // the first host's rendering read a vaulted variable: this host's copy carries it too
    if (VAULTED.has(task)) noteTaint();
    return hit;
  }
  const cell: { vault?: boolean } = {};
  const args = captureVault(render, cell);
  if (cell.vault) VAULTED.add(task);
  else VAULTED.delete(task);
  sh.cache.set(task, module, args);
  return args;
}

/** Tasks whose shared rendering read a vaulted variable (engine/core/secrets.ts); the cache hands out copies. */
const VAULTED = new WeakSet<Task>();

const NONE: Record<string, unknown> = Object.freeze({});
const MAGIC = new WeakMap<RoleRef, Record<string, unknown>>();

/**
 * The play-level layers of a task's variables, highest precedence first (the order of layerVars,
 * without the host's own layers): built without copying any of them, since it is asked for at
 * every task of every host.
 */
export function playDefs(play: Play | undefined, scope: Scope, task: Task | undefined, extraVars: Record<string, unknown> | undefined): PlayDefs {
  const out = [extraVars ?? NONE, task?.vars ?? NONE, scope.blockVars];
  if (task?.role) {
    let magic = MAGIC.get(task.role);
    if (!magic) MAGIC.set(task.role, (magic = roleMagic(task.role)));
    out.push(task.role.vars, magic);
  }
  out.push(play?.varsFiles ?? NONE, play?.vars ?? NONE, task?.role?.defaults ?? play?.roleDefaults ?? NONE);
  return out;
}

/** Shared rendering is on unless KEEL_SHARED_ARGS=0 (the equivalence test and the A/B bench turn it off). */
export function sharedArgsOn(): boolean {
  return process.env.KEEL_SHARED_ARGS !== "0";
}
