// Templates and conditions: strict Handlebars for values and template files, with Jinja's
// statements ({% if/elif/else/for/set %}, {# #}, {% raw %}, trim_blocks as in Ansible) turned into
// Handlebars blocks; a safe expression evaluator (./expr.ts) for `when`/`changed_when`/
// `failed_when`/`until` and for `{{ … }}` bodies (filters, tests, comparisons, `~`, indexing…);
// variables rendered lazily (as Ansible does) and variable precedence.
import Handlebars from "handlebars";
import { InputError, UndefinedVariableError, type SourcePos } from "../core/errors.js";
import { errorAt, undefinedAt } from "../core/yaml.js";
import type { Expr } from "../core/plan.js";
import { parseExpr, evalNode, truthy, toText, UndefinedVarError, ExprEvalError, ExprSyntaxError } from "./expr.js";

export { FILTER_NAMES, TEST_NAMES, toBool } from "./expr.js";

// ---------------------------------------------------------------------------------------------
// Variable precedence

/**
 * The variable layers of one task on one host. Each is a plain mapping; missing layers are empty.
 *
 * Precedence, low -> high (a later layer replaces a whole top-level variable of an earlier one;
 * mappings are not merged deeply, as with Ansible's default `hash_behaviour = replace`):
 *
 *   1. roleDefaults  — the role's defaults/main.yml
 *   2. inventory     — group vars (all < parent < child) then host vars, already merged by the inventory
 *   3. playVars      — the play's `vars:`
 *   4. varsFiles     — the play's `vars_files:`, in order
 *   5. roleVars      — the role's vars/main.yml, then the role entry's `vars:`/parameters
 *   6. blockVars     — enclosing blocks' `vars:`, outer to inner, merged by the runner
 *   7. taskVars      — the task's `vars:` (and vars given to an include)
 *   8. registered    — `register:` results and `set_fact`
 *   9. extraVars     — `-e` on the command line; always win
 */
export interface VarLayers {
  roleDefaults?: Record<string, unknown>;
  inventory?: Record<string, unknown>;
  playVars?: Record<string, unknown>;
  varsFiles?: Record<string, unknown>;
  roleVars?: Record<string, unknown>;
  blockVars?: Record<string, unknown>;
  taskVars?: Record<string, unknown>;
  registered?: Record<string, unknown>;
  extraVars?: Record<string, unknown>;
}

/** The layer order of VarLayers, low -> high. */
export const VAR_PRECEDENCE: readonly (keyof VarLayers)[] = [
  "roleDefaults",
  "inventory",
  "playVars",
  "varsFiles",
  "roleVars",
  "blockVars",
  "taskVars",
  "registered",
  "extraVars",
];

/**
 * Merge the layers into the variables a task sees (see VarLayers for the precedence).
 *
 * Values are templated when they are used, as in Ansible (`app_dir: "/opt/{{ app_name }}"`, then
 * `{{ app_dir }}/bin`): every entry point here (renderString, renderValue, renderText, evaluate,
 * isTrue) reads variables through lazyVars. Lists and mappings are rendered only when they come
 * from a layer written by people (so through this function), never `registered` results (a
 * command's stdout may hold `{{`), and `hostvars` is left as written (its templates belong to
 * the other hosts).
 */
export function layerVars(l: VarLayers): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of VAR_PRECEDENCE) {
    const layer = l[k];
    if (!layer) continue;
    Object.assign(out, layer);
    if (k === "registered") continue;
    for (const name in layer) {
      const v = layer[name];
      if (v !== null && typeof v === "object" && name !== "hostvars" && name !== "groups" && hasTemplateCached(v)) TEMPLATED.add(v);
    }
  }
  if (l.registered) {
    const unsafe = new Set(Object.keys(l.registered).filter((k) => !(l.extraVars && Object.hasOwn(l.extraVars, k))));
    if (unsafe.size) UNSAFE_KEYS.set(out, unsafe);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Lazy variables and omit

/**
 * Ansible's `omit`: a mapping entry whose value renders to exactly this is removed, so
 * `shell: "{{ item.shell | default(omit) }}"` leaves the argument out (the module's default applies).
 */
export const OMIT = "__omit_place_holder__keel__";

/**
 * Variables every template sees unless the playbook defines them: `omit`, and Ansible's default
 * `ansible_managed` text (the same words, so a file templated by Ansible does not drift under keel).
 */
const BUILTIN_VARS: Record<string, unknown> = { omit: OMIT, ansible_managed: "Ansible managed" };

/** Lists and mappings from the variable layers that hold templates (see layerVars). */
const TEMPLATED = new WeakSet<object>();
/** For a layerVars result: top-level keys whose value is a registered result or a set_fact. */
const UNSAFE_KEYS = new WeakMap<object, Set<string>>();
const HAS_TEMPLATE = new WeakMap<object, boolean>();
const LAZY = new WeakSet<object>();

function hasTemplateCached(v: object): boolean {
  let hit = HAS_TEMPLATE.get(v);
  if (hit === undefined) HAS_TEMPLATE.set(v, (hit = hasTemplate(v)));
  return hit;
}

interface LazyState {
  cache: Map<string, unknown>;
  busy: string[];
  unsafe?: Set<string>;
}

/**
 * A view of `vars` that renders a variable's templates when the variable is read, once per view,
 * and knows `omit`. Reading a variable whose template uses an undefined variable throws
 * UndefinedVarError naming both (`via`); a variable that refers to itself is an ExprEvalError.
 */
function lazyVars(vars: Record<string, unknown>): Record<string, unknown> {
  if (LAZY.has(vars)) return vars;
  const state: LazyState = { cache: new Map(), busy: [] };
  const unsafe = UNSAFE_KEYS.get(vars);
  if (unsafe) state.unsafe = unsafe;
  const proxy: Record<string, unknown> = new Proxy(vars, {
    get(t, k, r) {
      if (typeof k !== "string") return Reflect.get(t, k, r);
      if (!Object.hasOwn(t, k)) return Object.hasOwn(BUILTIN_VARS, k) ? BUILTIN_VARS[k] : Reflect.get(t, k, r);
      const raw = t[k];
      const lazy = typeof raw === "string" ? raw.includes("{{") && !state.unsafe?.has(k) : raw !== null && typeof raw === "object" && TEMPLATED.has(raw) && k !== "hostvars";
      return lazy ? resolveVar(k, raw, proxy, state) : raw;
    },
    has: (t, k) => k in t || (typeof k === "string" && Object.hasOwn(BUILTIN_VARS, k)),
    getOwnPropertyDescriptor(t, k) {
      const d = Reflect.getOwnPropertyDescriptor(t, k);
      if (d || typeof k !== "string" || !Object.hasOwn(BUILTIN_VARS, k)) return d;
      return { value: BUILTIN_VARS[k], writable: true, enumerable: false, configurable: true };
    },
  });
  LAZY.add(proxy);
  return proxy;
}

function resolveVar(name: string, raw: unknown, vars: Record<string, unknown>, state: LazyState): unknown {
  if (state.cache.has(name)) return state.cache.get(name);
  const at = state.busy.indexOf(name);
  if (at !== -1) throw new ExprEvalError(`recursive loop: variable '${name}' refers to itself (${[...state.busy.slice(at), name].join(" -> ")})`);
  state.busy.push(name);
  let v: unknown;
  try {
    v = renderDeep(raw, vars);
  } catch (e) {
    if (e instanceof UndefinedVarError) throw new UndefinedVarError(e.varName, [name, ...e.via]);
    if (e instanceof ExprEvalError && e.message.startsWith("recursive loop")) throw e;
    if (e instanceof ExprEvalError || e instanceof ExprSyntaxError || e instanceof TemplateSyntaxError || e instanceof SyntaxError) {
      throw new ExprEvalError(`in the value of '${name}': ${e.message}`);
    }
    throw e;
  } finally {
    state.busy.pop();
  }
  state.cache.set(name, v);
  return v;
}

/** Render every string in a value, dropping mapping entries that render to OMIT. Throws raw errors. */
function renderDeep(value: unknown, vars: Record<string, unknown>): unknown {
  if (typeof value === "string") return renderStringRaw(value, vars);
  if (Array.isArray(value)) return value.some(hasTemplate) ? value.map((v) => renderDeep(v, vars)) : value;
  if (value !== null && typeof value === "object") {
    if (!hasTemplate(value)) return value;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      const r = renderDeep(v, vars);
      if (r !== OMIT) out[k] = r;
    }
    return out;
  }
  return value;
}

/** renderString without positions: throws UndefinedVarError, ExprEvalError, ExprSyntaxError, TemplateSyntaxError. */
function renderStringRaw(tpl: string, vars: Record<string, unknown>): unknown {
  if (!tpl.includes("{{") && !tpl.includes("{%")) return tpl;
  const body = wholeExpr(tpl);
  if (body !== undefined) return evalNode(parseExpr(body, "raw"), vars);
  try {
    return run(compile(tpl), vars);
  } catch (e) {
    throw e instanceof RenderError ? e.cause : e;
  }
}

// ---------------------------------------------------------------------------------------------
// Expressions

/** Strip one pair of surrounding `{{ }}` (Ansible lets `when:` be written either way). */
export function stripBraces(text: string): string {
  const m = /^\s*\{\{([\s\S]*)\}\}\s*$/.exec(text);
  return m && !m[1]!.includes("{{") && !m[1]!.includes("}}") ? m[1]!.trim() : text.trim();
}

/**
 * Check an expression's syntax at load time. Throws InputError at `expr.pos`.
 * Templates inside a condition (`x == "{{ y }}"`) are rejected: write the expression directly.
 */
export function checkExpr(expr: Expr): void {
  const text = stripBraces(expr.text);
  if (text.includes("{{") || text.includes("}}")) {
    throw errorAt(expr.pos, `conditions are expressions and must not contain '{{ }}': ${expr.text}`, "write the variable directly, e.g. `when: pkg == wanted` instead of `when: pkg == \"{{ wanted }}\"`");
  }
  try {
    parseExpr(text);
  } catch (e) {
    throw syntaxError(e, expr.pos, text);
  }
}

const CONDITION_HINT = "conditions use Jinja-like syntax: ==, !=, <, and, or, not, in, `is defined`, `| default(x)`, `| bool`, `| length`";
const TEMPLATE_HINT = "templates use Jinja expressions: {{ var }}, {{ var | filter(arg) }}, {{ a if cond else b }}";

function syntaxError(e: unknown, pos: SourcePos, text: string, hint = CONDITION_HINT): InputError {
  if (e instanceof ExprSyntaxError) {
    const at = e.index !== undefined ? ` at character ${e.index + 1}` : "";
    // "not supported" messages carry their own advice
    return errorAt(pos, `invalid expression \`${text}\`: ${e.message}${at}`, / is not supported by keel| looks at the controller/.test(e.message) ? undefined : hint);
  }
  return e instanceof InputError ? e : errorAt(pos, String((e as Error)?.message ?? e));
}

function evalError(e: unknown, pos: SourcePos, text: string, lineNote = ""): unknown {
  if (e instanceof UndefinedVarError) {
    return undefinedAt(pos, e.varName, `${undefinedText(e)} in \`${text}\`${lineNote}`, `define '${rootName(e.varName)}' (play vars, inventory, -e) or guard it: \`${e.varName} is defined\` or \`${e.varName} | default(…)\``);
  }
  if (e instanceof ExprEvalError) return errorAt(pos, `cannot evaluate \`${text}\`${lineNote}: ${e.message}`);
  if (e instanceof ExprSyntaxError) return syntaxError(e, pos, text);
  if (e instanceof SyntaxError) return errorAt(pos, `cannot evaluate \`${text}\`${lineNote}: invalid regular expression: ${e.message}`);
  return e;
}

/** "undefined variable 'x'", and which variables' values used it when it was not written directly. */
function undefinedText(e: UndefinedVarError): string {
  const chain = [...e.via].reverse();
  return `undefined variable '${e.varName}'${chain.length ? ` (in the value of '${chain.join("', used by '")}')` : ""}`;
}

function rootName(path: string): string {
  return /^[^.[]+/.exec(path)?.[0] ?? path;
}

/**
 * Evaluate an expression (when/changed_when/failed_when/until/loop…) and return its value.
 * An undefined variable is an InputError naming it and the expression's file:line, except under
 * `is defined`/`is undefined`/`| default(…)`/`| d(…)`.
 */
export function evaluate(expr: Expr, vars: Record<string, unknown>): unknown {
  const text = stripBraces(expr.text);
  let ast;
  try {
    ast = parseExpr(text);
  } catch (e) {
    throw syntaxError(e, expr.pos, text);
  }
  const lv = lazyVars(vars);
  let v: unknown;
  try {
    v = evalNode(ast, lv);
  } catch (e) {
    throw evalError(e, expr.pos, text);
  }
  // Ansible templates a condition written as "{{ x }}" first, then reads the text it gives as the
  // condition: `when: "{{ flag }}"` with flag "false" is false.
  if (text !== expr.text.trim() && typeof v === "string" && v.trim() !== "") {
    const again = `${v.trim()}`;
    try {
      return evalNode(parseExpr(again), lv);
    } catch (e) {
      const inner = evalError(e, expr.pos, again);
      const msg = inner instanceof Error ? inner.message : String(inner);
      throw errorAt(expr.pos, `${msg}; '${text}' gave the text '${again}', which a condition written as "{{ … }}" reads as an expression (as Ansible does)`, `write the condition without braces: \`when: ${text} | bool\` for yes/no strings`);
    }
  }
  if (text !== expr.text.trim() && v === "") return false;
  return v;
}

/**
 * Evaluate a condition and apply Python truthiness (false, None, 0, "", [], {} are false).
 * Strings "false"/"no" are NOT false here (as in Jinja); write `| bool` to convert them.
 */
export function isTrue(expr: Expr, vars: Record<string, unknown>): boolean {
  return truthy(evaluate(expr, vars));
}

// ---------------------------------------------------------------------------------------------
// Handlebars

const hb = Handlebars.create();
const HB_HELPERS = new Set(["if", "unless", "each", "with", "lookup", "log", "else", "keel_set"]);
const SIMPLE_PATH = /^[A-Za-z_$][\w$]*(\.[A-Za-z_$][\w$]*)*$/;

interface Compiled {
  fn: HandlebarsTemplateDelegate;
  /**
   * `{{ … }}` bodies and Jinja statements' expressions handed to the expression evaluator, with
   * their 1-based line in the template; `for` also names its loop variables and filter condition.
   */
  exprs: { text: string; line: number; vars?: string[]; cond?: string }[];
  /** The rewritten source, for locating Handlebars' strict errors. */
  source: string;
}

const compiled = new Map<string, Compiled>();

/**
 * Does Handlebars itself take this mustache body? Block/partial syntax, `this`/`@index`/`../x` and
 * helper calls. Variables, even simple paths, go to the expression evaluator: it renders lazy
 * variables and its errors name the expression and its line.
 */
function handlebarsNative(body: string): boolean {
  if (body === "") return true;
  if ("#/^!>&@.".includes(body[0]!)) return true;
  if (/^(this|else)\b/.test(body)) return true;
  const first = /^([A-Za-z_$][\w$-]*)\s/.exec(body)?.[1];
  return first !== undefined && HB_HELPERS.has(first);
}

class TemplateSyntaxError extends Error {
  constructor(
    message: string,
    readonly line: number,
    readonly col: number,
  ) {
    super(message);
  }
}

/** Jinja's `{% raw %}…{% endraw %}`: the text inside is not a template. */
const RAW_BLOCK = /\{%-?\s*raw\s*-?%\}([\s\S]*?)\{%-?\s*endraw\s*-?%\}/g;

/**
 * A template that renders to `text` exactly: `{{`, `{%` and `{#` inside it are written as
 * expressions. For Ansible's `!unsafe` values and `{% raw %}` blocks.
 */
export function literalText(text: string): string {
  return text.replace(/\{([{%#])/g, (_m, c: string) => `{{ '{' ~ '${c}' }}`);
}

/** The next `{{`, `{%` or `{#` at or after `from` (a `\\{{` is Handlebars' escape and not a tag). */
function nextTag(tpl: string, from: number): number {
  for (let j = tpl.indexOf("{", from); j !== -1; j = tpl.indexOf("{", j + 1)) {
    const c = tpl[j + 1];
    if (c === "{" || ((c === "%" || c === "#") && tpl[j - 1] !== "\\")) return j;
  }
  return -1;
}

const FOR_STATEMENT = /^for\s+([A-Za-z_]\w*(?:\s*,\s*[A-Za-z_]\w*)*)\s+in\s+([\s\S]+?)(?:\s+if\s+([\s\S]+))?$/;
const SET_STATEMENT = /^set\s+([A-Za-z_]\w*)\s*=\s*([\s\S]+)$/;

/**
 * A Jinja statement as Handlebars: if/elif/else/endif, for/else/endfor (with `loop.index`…,
 * `for k, v in d.items()` and `for x in xs if cond`), and `set x = expr`. Others are an error.
 */
function statement(stmt: string, line: number, lt: string, rt: string, pad: string, exprs: Compiled["exprs"], blocks: { kind: string; line: number }[]): string {
  const word = /^\w+/.exec(stmt)?.[0] ?? stmt;
  const rest = stmt.slice(word.length).trim();
  const tag = (body: string) => `{{${lt}${body}${pad}${rt}}}`;
  const top = blocks[blocks.length - 1];
  const need = (kind: string) => {
    if (top?.kind !== kind) throw new TemplateSyntaxError(top ? `'{% ${word} %}' inside '{% ${top.kind} %}' (line ${top.line}): close that first with '{% end${top.kind} %}'` : `'{% ${word} %}' without '{% ${kind} %}'`, line, 1);
  };
  switch (word) {
    case "if":
      blocks.push({ kind: "if", line });
      exprs.push({ text: rest, line });
      return tag(`#keel_if ${exprs.length - 1}`);
    case "elif":
      need("if");
      exprs.push({ text: rest, line });
      return tag(`else keel_if ${exprs.length - 1}`);
    case "else":
      if (top?.kind !== "if" && top?.kind !== "for") throw new TemplateSyntaxError("'{% else %}' without '{% if %}' or '{% for %}'", line, 1);
      return tag("else");
    case "endif":
      need("if");
      blocks.pop();
      return tag("/keel_if");
    case "for": {
      const m = FOR_STATEMENT.exec(stmt);
      if (!m) throw new TemplateSyntaxError(`cannot read '{% ${stmt} %}': write '{% for x in list %}' or '{% for k, v in d.items() %}'`, line, 1);
      blocks.push({ kind: "for", line });
      const e: Compiled["exprs"][number] = { text: m[2]!, line, vars: m[1]!.split(",").map((v) => v.trim()) };
      if (m[3] !== undefined) e.cond = m[3];
      exprs.push(e);
      return tag(`#keel_for ${exprs.length - 1}`);
    }
    case "endfor":
      need("for");
      blocks.pop();
      return tag("/keel_for");
    case "set": {
      const m = SET_STATEMENT.exec(stmt);
      if (!m) throw new TemplateSyntaxError(`cannot read '{% ${stmt} %}': write '{% set name = expression %}' (block sets are not supported)`, line, 1);
      exprs.push({ text: m[2]!, line, vars: [m[1]!] });
      return tag(`keel_set ${exprs.length - 1}`);
    }
    default:
      throw new TemplateSyntaxError(`'{% ${word} %}' is not supported; keel templates have if/elif/else, for (with loop.index…) and set`, line, 1);
  }
}

/** Rewrite `{{ expr }}` bodies Handlebars cannot read into `{{keel_expr N}}`, keeping line numbers. */
function compile(tpl: string): Compiled {
  const hit = compiled.get(tpl);
  if (hit) return hit;
  const exprs: Compiled["exprs"] = [];
  let out = "";
  let i = 0;
  const lineAt = (off: number) => {
    let n = 1;
    for (let k = tpl.indexOf("\n"); k !== -1 && k < off; k = tpl.indexOf("\n", k + 1)) n++;
    return n;
  };
  const src = tpl;
  tpl = tpl.replace(RAW_BLOCK, (_m, body: string) => literalText(body));
  if (tpl !== src) {
    const c = compile(tpl);
    compiled.set(src, c);
    return c;
  }
  const blocks: { kind: string; line: number }[] = [];
  let statements = false;
  while (i < tpl.length) {
    const j = nextTag(tpl, i);
    if (j === -1) {
      out += tpl.slice(i);
      break;
    }
    if (tpl[j + 1] !== "{") {
      // a Jinja statement {% … %} or comment {# … #}, with Ansible's trim_blocks: the newline after it goes
      const close = tpl[j + 1] === "%" ? "%}" : "#}";
      const k = tpl.indexOf(close, j + 2);
      const line = lineAt(j);
      if (k === -1) throw new TemplateSyntaxError(`'${tpl.slice(j, j + 2)}' is not closed with '${close}'`, line, j - tpl.lastIndexOf("\n", j - 1));
      let inner = tpl.slice(j + 2, k);
      const lt = inner.startsWith("-") ? "~" : "";
      const rt = inner.endsWith("-") && inner.length > 1 ? "~" : "";
      inner = inner.slice(lt ? 1 : 0, rt ? -1 : undefined);
      const pad = "\n".repeat((inner.match(/\n/g) ?? []).length);
      out += tpl.slice(i, j);
      if (close === "%}") {
        statements = true;
        out += statement(inner.trim(), line, lt, rt, pad, exprs, blocks);
      } else if (lt || rt) out += `{{${lt}!${pad}${rt}}}`;
      i = k + 2;
      if (tpl[i] === "\n") i++;
      else if (tpl.startsWith("\r\n", i)) i += 2;
      continue;
    }
    let end: number;
    if (j > 0 && tpl[j - 1] === "\\") end = j + 2;
    else if (tpl.startsWith("{{!--", j)) end = tpl.indexOf("--}}", j) + 4;
    else if (tpl.startsWith("{{{", j)) end = tpl.indexOf("}}}", j) + 3;
    else {
      const k = closeOf(tpl, j + 2);
      if (k === -1) {
        out += tpl.slice(i);
        break;
      }
      let inner = tpl.slice(j + 2, k);
      const lt = inner.startsWith("~");
      const rt = inner.endsWith("~") && inner.length > 1;
      inner = inner.slice(lt ? 1 : 0, rt ? -1 : undefined);
      const body = inner.trim();
      out += tpl.slice(i, j);
      if (handlebarsNative(body)) out += tpl.slice(j, k + 2);
      else {
        const pad = "\n".repeat((inner.match(/\n/g) ?? []).length);
        out += `{{${lt ? "~" : ""}keel_expr ${exprs.length}${pad}${rt ? "~" : ""}}}`;
        exprs.push({ text: body, line: lineAt(j) });
      }
      i = k + 2;
      continue;
    }
    if (end < j + 2) end = tpl.length; // unterminated: let Handlebars report it
    out += tpl.slice(i, end);
    i = end;
  }
  const open = blocks.pop();
  if (open) throw new TemplateSyntaxError(`'{% ${open.kind} %}' is not closed: add '{% end${open.kind} %}'`, open.line, 1);
  for (const e of exprs) {
    for (const text of e.cond === undefined ? [e.text] : [e.text, e.cond]) {
      try {
        parseExpr(text, "raw");
      } catch (err) {
        throw new TemplateSyntaxError(`invalid expression \`${text}\`: ${(err as Error).message}`, e.line, 1);
      }
    }
  }
  try {
    hb.parse(out);
  } catch (e) {
    const err = e as Error & { lineNumber?: number; column?: number };
    const parse = /^Parse error on line (\d+):[\s\S]*?\n(Expecting[^\n]*)/.exec(err.message);
    if (parse) throw new TemplateSyntaxError(`template syntax error: ${parse[2]}`, Number(parse[1]), 1);
    throw new TemplateSyntaxError(`template syntax error: ${err.message.split("\n")[0]}`, err.lineNumber ?? 1, (err.column ?? 0) + 1);
  }
  // Jinja's trim_blocks is applied above; Handlebars must not also strip "standalone" lines
  const fn = hb.compile(out, { noEscape: true, strict: true, ignoreStandalone: statements });
  const c: Compiled = { fn, exprs, source: out };
  if (compiled.size > 2000) compiled.clear();
  compiled.set(tpl, c);
  return c;
}

/** An error while rendering, located in the template text (1-based line and col). */
class RenderError extends Error {
  constructor(
    override readonly cause: unknown,
    readonly line: number,
    readonly col: number,
    readonly exprText: string,
  ) {
    super(String((cause as Error)?.message ?? cause));
  }
}

function run(c: Compiled, vars: Record<string, unknown>): string {
  // `{% set %}` variables of this rendering, seen before the template's variables
  const locals: Record<string, unknown> = {};
  const scopeOf = (self: unknown, options: Handlebars.HelperOptions): Record<string, unknown> => {
    const root = (options.data as { root?: Record<string, unknown> } | undefined)?.root ?? vars;
    const base = Object.keys(locals).length ? overlay(root, locals) : root;
    return self && self !== root && typeof self === "object" && !Array.isArray(self) ? overlay(base, self as Record<string, unknown>) : base;
  };
  const evalAt = (idx: number, scope: Record<string, unknown>, text = c.exprs[idx]!.text): unknown => {
    const e = c.exprs[idx]!;
    try {
      return evalNode(parseExpr(text, "raw"), scope);
    } catch (err) {
      throw new RenderError(err, e.line, 1, text);
    }
  };
  const helpers = {
    keel_expr(this: unknown, idx: number, options: Handlebars.HelperOptions) {
      return toText(evalAt(idx, scopeOf(this, options)));
    },
    keel_if(this: unknown, idx: number, options: Handlebars.HelperOptions) {
      return truthy(evalAt(idx, scopeOf(this, options))) ? options.fn(this) : options.inverse(this);
    },
    keel_set(this: unknown, idx: number, options: Handlebars.HelperOptions) {
      locals[c.exprs[idx]!.vars![0]!] = evalAt(idx, scopeOf(this, options));
      return "";
    },
    keel_for(this: unknown, idx: number, options: Handlebars.HelperOptions) {
      const e = c.exprs[idx]!;
      const scope = scopeOf(this, options);
      const seq = evalAt(idx, scope);
      let items: unknown[];
      if (Array.isArray(seq)) items = seq;
      else if (typeof seq === "string") items = [...seq];
      else if (seq !== null && typeof seq === "object") items = Object.keys(seq);
      else throw new RenderError(new ExprEvalError(`'for' needs a list or a dict, got ${seq === null ? "none" : typeof seq}`), e.line, 1, e.text);
      const parent = this && this !== (options.data as { root?: unknown })?.root && typeof this === "object" && !Array.isArray(this) ? (this as Record<string, unknown>) : {};
      const bind = (item: unknown): Record<string, unknown> => {
        if (e.vars!.length === 1) return { [e.vars![0]!]: item };
        if (!Array.isArray(item) || item.length !== e.vars!.length) throw new RenderError(new ExprEvalError(`cannot unpack ${JSON.stringify(item)} into ${e.vars!.join(", ")}`), e.line, 1, e.text);
        return Object.fromEntries(e.vars!.map((v, k) => [v, item[k]]));
      };
      if (e.cond !== undefined) items = items.filter((item) => truthy(evalAt(idx, overlay(scope, bind(item)), e.cond)));
      if (items.length === 0) return options.inverse(this);
      let out = "";
      items.forEach((item, k) => {
        const loop = { index: k + 1, index0: k, revindex: items.length - k, revindex0: items.length - k - 1, first: k === 0, last: k === items.length - 1, length: items.length, previtem: k > 0 ? items[k - 1] : null, nextitem: k < items.length - 1 ? items[k + 1] : null };
        out += options.fn({ ...parent, ...bind(item), loop });
      });
      return out;
    },
  };
  try {
    return c.fn(vars, { helpers });
  } catch (e) {
    if (e instanceof RenderError) throw e;
    if (e instanceof UndefinedVarError || e instanceof ExprEvalError) {
      // a block's parameter ({{#each users}}) whose variable holds a template that failed
      const name = e instanceof UndefinedVarError ? (e.via[0] ?? e.varName) : /'([^']+)'/.exec(e.message)?.[1];
      const lines = c.source.split("\n");
      const at = name === undefined ? -1 : lines.findIndex((l) => new RegExp(`\\{\\{[#^~]?[^}]*\\b${name.replace(/[$.]/g, "\\$&")}\\b`).test(l));
      throw new RenderError(e, at + 1 || 1, 1, name ?? "");
    }
    const err = e as Error & { lineNumber?: number; column?: number };
    if (/ not defined in /.test(err.message) && err.lineNumber) {
      // Handlebars names only the last segment; read the whole path from the source.
      const line = c.source.split("\n")[err.lineNumber - 1] ?? "";
      const path = /^[@\w$./-]+/.exec(line.slice(err.column ?? 0))?.[0] ?? /^"([^"]*)"/.exec(err.message)?.[1] ?? "?";
      throw new RenderError(new UndefinedVarError(path), err.lineNumber, (err.column ?? 0) + 1, path);
    }
    throw e;
  }
}

/** Variables of `top` (an `{{#each}}` item), falling back to `base`, without reading `base` whole. */
function overlay(base: Record<string, unknown>, top: Record<string, unknown>): Record<string, unknown> {
  const own = (o: object, k: string | symbol) => Object.prototype.hasOwnProperty.call(o, k);
  return new Proxy(Object.create(null) as Record<string, unknown>, {
    get: (_t, k) => (own(top, k) ? top[k as string] : base[k as string]),
    has: (_t, k) => own(top, k) || own(base, k),
    getOwnPropertyDescriptor: (_t, k) => (own(top, k) || own(base, k) ? { value: undefined, writable: true, enumerable: true, configurable: true } : undefined),
  });
}

/** Matches a string that is exactly one `{{ expr }}`. */
const WHOLE = /^\{\{(?!\{)([\s\S]*?)\}\}$/;

/** The expression of a string that is exactly one `{{ expr }}` the evaluator should take whole. */
function wholeExpr(tpl: string): string | undefined {
  if (!WHOLE.test(tpl) || closeOf(tpl, 2) !== tpl.length - 2) return undefined;
  const body = tpl.slice(2, -2).replace(/^~|~$/g, "").trim();
  return !handlebarsNative(body) || SIMPLE_PATH.test(body) ? body : undefined;
}

/**
 * Where the `}}` that closes the mustache opened just before `from` is. In an expression, braces,
 * brackets and quotes are skipped (`{{ d | combine({'a': {'b': 1}}) }}`); Handlebars blocks and
 * comments end at the first `}}`.
 */
function closeOf(tpl: string, from: number): number {
  const first = tpl.indexOf("}}", from);
  if (first === -1 || /^[~\s]*[#/^!>&@]/.test(tpl.slice(from, from + 8))) return first;
  let depth = 0;
  for (let i = from; i < tpl.length; i++) {
    const c = tpl[i]!;
    if (c === "'" || c === '"') {
      let j = i + 1;
      while (j < tpl.length && tpl[j] !== c && tpl[j] !== "\n") j += tpl[j] === "\\" ? 2 : 1;
      if (tpl[j] !== c) return first; // an unclosed quote: not an expression we can read
      i = j;
    } else if (c === "(" || c === "[" || c === "{") depth++;
    else if (depth > 0 && (c === ")" || c === "]" || c === "}")) depth--;
    else if (c === "}" && tpl[i + 1] === "}") return i;
  }
  return first;
}

function hintForUndefined(path: string): string {
  return `define '${rootName(path)}' (play vars, inventory, -e), or give a fallback: {{ ${path} | default('…') }}`;
}

/**
 * Render a string value from a playbook with strict Handlebars (noEscape). A string that is exactly
 * one `{{ expr }}` returns the expression's native value (list, number, bool…), as Ansible does.
 * Strings without `{{` come back unchanged. An undefined variable is an InputError at `where`
 * naming the variable (and the line within a multi-line value).
 */
export function renderString(tpl: string, vars: Record<string, unknown>, where: SourcePos): unknown {
  if (!tpl.includes("{{") && !tpl.includes("{%")) return tpl;
  vars = lazyVars(vars);
  const body = wholeExpr(tpl);
  if (body !== undefined) {
    let ast;
    try {
      ast = parseExpr(body, "raw");
    } catch (e) {
      throw syntaxError(e, where, body, TEMPLATE_HINT);
    }
    try {
      return evalNode(ast, vars);
    } catch (e) {
      if (e instanceof UndefinedVarError) throw undefinedAt(where, e.varName, `${undefinedText(e)} in '${tpl}'`, hintForUndefined(e.varName));
      throw evalError(e, where, body);
    }
  }
  const shown = tpl.trimEnd();
  const multi = shown.includes("\n");
  const inValue = (mustache: string, line: number) => (multi ? `in '${mustache}' (line ${line} of the value)` : `in '${shown.length > 120 ? shown.slice(0, 117) + "..." : shown}'`);
  let c: Compiled;
  try {
    c = compile(tpl);
  } catch (e) {
    if (e instanceof TemplateSyntaxError) throw errorAt(where, `${e.message}${multi ? ` (line ${e.line} of the value)` : ""}`);
    throw e;
  }
  try {
    return run(c, vars);
  } catch (e) {
    if (e instanceof RenderError) {
      if (e.cause instanceof UndefinedVarError) {
        throw undefinedAt(where, e.cause.varName, `${undefinedText(e.cause)} ${inValue(`{{ ${e.exprText} }}`, e.line)}`, hintForUndefined(e.cause.varName));
      }
      throw evalError(e.cause, where, e.exprText, multi ? ` (line ${e.line} of the value)` : "");
    }
    throw e;
  }
}

/**
 * Check the syntax of a string's `{{ … }}` templates when the playbook loads: expressions, filter,
 * test and function names and their keyword arguments, Handlebars blocks, no `{% %}`. Throws
 * InputError at `where`. Variables are not looked up (they exist only per host).
 */
export function checkTemplate(tpl: string, where: SourcePos): void {
  if (!tpl.includes("{{") && !tpl.includes("{%")) return;
  const body = wholeExpr(tpl);
  if (body !== undefined) {
    try {
      parseExpr(body, "raw");
    } catch (e) {
      throw syntaxError(e, where, body, TEMPLATE_HINT);
    }
    return;
  }
  try {
    compile(tpl);
  } catch (e) {
    if (e instanceof TemplateSyntaxError) throw errorAt(where, `${e.message}${tpl.trimEnd().includes("\n") ? ` (line ${e.line} of the value)` : ""}`);
    throw e;
  }
}

/**
 * Render every string inside a value (arrays and mappings deeply; keys are left as written).
 * Returns a new value; the input is not modified.
 */
export function renderValue<T>(value: T, vars: Record<string, unknown>, where: SourcePos): T {
  if (typeof value === "string") return renderString(value, vars, where) as T;
  if (Array.isArray(value)) {
    if (!value.some(hasTemplate)) return value;
    const lv = lazyVars(vars);
    return value.map((v) => renderValue(v, lv, where)) as T;
  }
  if (value !== null && typeof value === "object") {
    if (!hasTemplate(value)) return value;
    const lv = lazyVars(vars);
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      const r = renderValue(v, lv, where);
      if (r !== OMIT) out[k] = r; // `{{ x | default(omit) }}` leaves the entry out
    }
    return out as T;
  }
  return value;
}

/** True when a value (deeply) contains a `{{ … }}` template. */
export function hasTemplate(v: unknown): boolean {
  if (typeof v === "string") return v.includes("{{");
  if (Array.isArray(v)) return v.some(hasTemplate);
  if (v !== null && typeof v === "object") return Object.values(v).some(hasTemplate);
  return false;
}

/**
 * Render a template file's text (files.template, `src:` templates). `source` is the file's path,
 * used in errors: an undefined variable is an InputError at source:line:col naming the variable.
 * Handlebars blocks ({{#if}}, {{#each}}, {{#with}}) work; `{{ x | filter }}` goes through the
 * expression evaluator.
 */
export function renderText(tpl: string, vars: Record<string, unknown>, source: string): string {
  const lines = tpl.split(/\r?\n/);
  const at = (line: number, col: number): SourcePos => ({ file: source, line, col });
  let c: Compiled;
  try {
    c = compile(tpl);
  } catch (e) {
    if (e instanceof TemplateSyntaxError) throw new InputError(e.message, at(e.line, e.col), undefined, lines[e.line - 1]);
    throw e;
  }
  try {
    return run(c, lazyVars(vars));
  } catch (e) {
    if (e instanceof RenderError) {
      const lineText = lines[e.line - 1] ?? "";
      let col = e.col;
      if (e.cause instanceof UndefinedVarError || e.exprText) {
        const idx = lineText.indexOf(e.exprText);
        if (idx !== -1) col = idx + 1;
      }
      const pos = at(e.line, col);
      if (e.cause instanceof UndefinedVarError) {
        throw new UndefinedVariableError(e.cause.varName, `${undefinedText(e.cause)} in template`, pos, hintForUndefined(e.cause.varName), lineText);
      }
      const err = evalError(e.cause, pos, e.exprText);
      if (err instanceof InputError) throw new InputError(err.message, pos, err.hint, lineText);
      throw err;
    }
    throw e;
  }
}
