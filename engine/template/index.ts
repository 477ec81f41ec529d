// Templates and conditions, the entry points: conditions and `{{ … }}` bodies go to the safe
// expression evaluator (expr.ts and its parts); template text to hbs.ts; variables are seen through
// vars.ts (precedence layers, lazy rendering, omit).
import { readFileSync } from "node:fs";
import { InputError, UndefinedVariableError, type SourcePos } from "../core/errors.js";
import { errorAt, undefinedAt } from "../core/yaml.js";
import type { Expr } from "../core/plan.js";
import { parseExpr, evalNode, truthy, toText, UndefinedVarError, ExprEvalError, ExprSyntaxError } from "./expr.js";
import { type Compiled, OMIT, RenderError, TemplateSyntaxError, compile, hasTemplate, run, wholeExpr } from "./hbs.js";
import { LAZY, lazyVars } from "./vars.js";
import { registerDerived, secretReads } from "../core/secrets.js";
import { JinjaRenderError, JinjaTemplateError, renderJinja, templateSearchPath, templateVars, type RenderFileOptions } from "./jinja/index.js";
import { setTemplateRenderer } from "./lookup.js";

export { OMIT, hasTemplate, literalText } from "./hbs.js";
export { plainCopy, layerVars, markWrittenVars, markWrittenResult, markUnsafe, isWrittenResult, VAR_PRECEDENCE, type VarLayers } from "./vars.js";

export { compileTemplate, templateSearchPath, templateVars, JinjaTemplateError, type RenderFileOptions, type TemplateOptions } from "./jinja/index.js";
export { FILTER_NAMES, TEST_NAMES, toBool } from "./expr.js";
export { withLookupContext, LOOKUP_NAMES } from "./lookup.js";

// lookup('template', …) renders a template file as the template module does
// lookup('template', …) renders as the template module does: with the template_* variables and
// includes from the task's search folders (Ansible's template lookup adds the same variables)
setTemplateRenderer((text, vars, source, name, dirs) =>
  renderText(text, withVars(vars, templateVars(name, source)), source, { searchPath: templateSearchPath(dirs, source) }),
);

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
    throw errorAt(
      expr.pos,
      `conditions are expressions and must not contain '{{ }}': ${expr.text}`,
      'write the variable directly, e.g. `when: pkg == wanted` instead of `when: pkg == "{{ wanted }}"`',
    );
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
    // "not supported" messages carry their own advice (ExprSyntaxError.advised)
    return errorAt(pos, `invalid expression \`${text}\`: ${e.message}${at}`, e.advised ? undefined : hint);
  }
  return e instanceof InputError ? e : errorAt(pos, String((e as Error)?.message ?? e));
}

function evalError(e: unknown, pos: SourcePos, text: string, lineNote = ""): unknown {
  if (e instanceof UndefinedVarError) {
    return undefinedAt(
      pos,
      e.varName,
      `${undefinedText(e)} in \`${text}\`${lineNote}`,
      `define '${rootName(e.varName)}' (play vars, inventory, -e) or guard it: \`${e.varName} is defined\` or \`${e.varName} | default(…)\``,
    );
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
      throw errorAt(
        expr.pos,
        `${msg}; '${text}' gave the text '${again}', which a condition written as "{{ … }}" reads as an expression (as Ansible does)`,
        `write the condition without braces: \`when: ${text} | bool\` for yes/no strings`,
      );
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
  const inValue = (mustache: string, line: number) =>
    multi ? `in '${mustache}' (line ${line} of the value)` : `in '${shown.length > 120 ? shown.slice(0, 117) + "..." : shown}'`;
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
  if (typeof value === "string") {
    const before = secretReads();
    const out = renderString(value, vars, where) as T;
    // a value made from a vaulted variable (`{{ pw | b64encode }}`) is a secret too
    if (secretReads() !== before) registerDerived(out);
    return out;
  }
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
      // keys are templated too, as Ansible does (`set_fact: { "{{ item.key }}": "{{ item.value }}" }`)
      const key = k.includes("{{") ? toText(renderString(k, lv, where)) : k;
      if (r !== OMIT) out[key] = r; // `{{ x | default(omit) }}` leaves the entry out
    }
    return out as T;
  }
  return value;
}

/**
 * Render a template file's text (files.template, lookup('template')). `source` is the file's
 * path, used in errors: an undefined variable is an InputError at source:line:col naming the
 * variable. A `.hbs` file is a Handlebars template (keel's own); every other file is Jinja,
 * rendered as Ansible's template module renders it (jinja/).
 */
export function renderText(tpl: string, vars: Record<string, unknown>, source: string, opts: RenderFileOptions = {}): string {
  if (source.endsWith(".hbs")) return renderHandlebars(tpl, vars, source);
  try {
    return renderJinja(tpl, lazyVars(vars), source, opts);
  } catch (e) {
    throw jinjaError(e, tpl, source);
  }
}

/**
 * The variables `top` over `vars` (top wins: the template module's template_* and ansible_managed),
 * seen lazily like any task variables.
 */
export function withVars(vars: Record<string, unknown>, top: Record<string, unknown>): Record<string, unknown> {
  const lv = lazyVars(vars);
  const own = (k: string | symbol): k is string => typeof k === "string" && Object.hasOwn(top, k);
  const p = new Proxy(lv, {
    get: (t, k, r) => (own(k) ? top[k] : Reflect.get(t, k, r)),
    has: (t, k) => own(k) || Reflect.has(t, k),
    getOwnPropertyDescriptor: (t, k) =>
      own(k) ? { value: top[k], writable: true, enumerable: true, configurable: true } : Reflect.getOwnPropertyDescriptor(t, k),
  });
  LAZY.add(p);
  return p;
}

/** A Jinja error as keel's InputError at the template's file:line:col, with the line shown. */
function jinjaError(e: unknown, tpl: string, source: string): unknown {
  const lineOf = (path: string, line: number): string | undefined => {
    try {
      return (path === source ? tpl : readFileSync(path, "utf8")).split(/\r\n|\r|\n/)[line - 1];
    } catch {
      return undefined;
    }
  };
  if (e instanceof JinjaTemplateError) return new InputError(e.message, { file: e.path, line: e.line, col: e.col }, e.hint, lineOf(e.path, e.line));
  if (e instanceof JinjaRenderError) {
    const lineText = lineOf(e.path, e.line) ?? "";
    let col = e.col;
    if (e.exprText) {
      const idx = lineText.indexOf(e.exprText);
      if (idx !== -1) col = idx + 1;
    }
    const pos: SourcePos = { file: e.path, line: e.line, col };
    if (e.cause instanceof UndefinedVarError) {
      return new UndefinedVariableError(e.cause.varName, `${undefinedText(e.cause)} in template`, pos, hintForUndefined(e.cause.varName), lineText);
    }
    const err = evalError(e.cause, pos, e.exprText);
    if (err instanceof InputError) return new InputError(err.message, pos, err.hint, lineText);
    return err;
  }
  return e;
}

/** A `.hbs` template: Handlebars blocks ({{#if}}, {{#each}}), `{{ x | filter }}` through the expression evaluator. */
function renderHandlebars(tpl: string, vars: Record<string, unknown>, source: string): string {
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
