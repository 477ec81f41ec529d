// Template text (values and template files): strict Handlebars, with Jinja's statements
// ({% if/elif/else/for/set %}, {# #}, {% raw %}, trim_blocks as in Ansible) turned into Handlebars
// blocks and `{{ … }}` bodies handed to the expression evaluator.
import Handlebars from "handlebars";
import { limitHint, limitOf, LIMITS } from "../core/limits.js";
import { parseExpr, evalNode, truthy, toText, UndefinedVarError, ExprEvalError } from "./expr.js";
import { compileTemplate, JinjaRenderError, JinjaTemplateError, renderJinja } from "./jinja/index.js";
import type { JNode } from "./jinja/parser.js";
import { position } from "./jinja/render.js";
import { closeOf, handlebarsNative, literalText, nextTag, RAW_BLOCK, SIMPLE_PATH, statement, TemplateSyntaxError } from "./hbs-syntax.js";

export { literalText, TemplateSyntaxError } from "./hbs-syntax.js";

export const hb = Handlebars.create();

export interface Compiled {
  fn: HandlebarsTemplateDelegate;
  /** A value with Jinja statements and no Handlebars blocks: rendered by the Jinja engine (jinja/). */
  jinja?: true;
  /**
   * `{{ … }}` bodies and Jinja statements' expressions handed to the expression evaluator, with
   * their 1-based line in the template; `for` also names its loop variables and filter condition.
   */
  exprs: { text: string; line: number; vars?: string[]; cond?: string }[];
  /** The rewritten source, for locating Handlebars' strict errors. */
  source: string;
}

export const compiled = new Map<string, Compiled>();

/** Handlebars' own block syntax: `{{#if}}`, `{{/each}}`, `{{^x}}`, `{{> partial}}`, `{{else}}`. */
const HANDLEBARS_BLOCK = /\{\{~?\s*(?:[#/^>]|else\b)/;

/**
 * Does a value read as Jinja: statements or comments (`{% %}`, `{# #}`) and no Handlebars block?
 * Those render with the Jinja engine, as Ansible renders them (trim_blocks, final newlines).
 */
export function isJinjaValue(tpl: string): boolean {
  return (tpl.includes("{%") || tpl.includes("{#")) && !HANDLEBARS_BLOCK.test(tpl);
}

/** The first include/import/from statement in a tree. */
function findInclude(nodes: JNode[]): { t: string; off: number } | undefined {
  for (const n of nodes) {
    if (n.t === "include" || n.t === "import" || n.t === "from" || n.t === "extends") return n;
    const kids = n.t === "if" ? n.branches.flatMap((b) => b.body) : n.t === "for" ? [...n.body, ...n.orelse] : "body" in n ? n.body : [];
    const hit = findInclude(kids);
    if (hit) return hit;
  }
  return undefined;
}

/** Rewrite `{{ expr }}` bodies Handlebars cannot read into `{{keel_expr N}}`, keeping line numbers. */
export function compile(tpl: string): Compiled {
  const hit = compiled.get(tpl);
  if (hit) return hit;
  if (isJinjaValue(tpl)) {
    try {
      // values read string literals raw, as Ansible's templating of values does (escape_backslashes)
      const { c } = compileTemplate(tpl, "", {}, "raw");
      const inc = findInclude(c.nodes);
      if (inc) {
        const { line, col } = position(c, inc.off);
        throw new TemplateSyntaxError(`'{% ${inc.t} %}' is not supported in a value (keel does not know which folder it would read)`, line, col);
      }
    } catch (e) {
      if (e instanceof JinjaTemplateError) throw new TemplateSyntaxError(e.message, e.line, e.col);
      throw e;
    }
    return { fn: (() => "") as unknown as HandlebarsTemplateDelegate, jinja: true, exprs: [], source: tpl };
  }
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
export class RenderError extends Error {
  constructor(
    override readonly cause: unknown,
    readonly line: number,
    readonly col: number,
    readonly exprText: string,
  ) {
    super(String((cause as Error)?.message ?? cause));
  }
}

export function run(c: Compiled, vars: Record<string, unknown>): string {
  if (c.jinja) {
    try {
      return renderJinja(c.source, vars, "", {}, "raw");
    } catch (e) {
      if (e instanceof JinjaRenderError) throw new RenderError(e.cause, e.line, e.col, e.exprText);
      if (e instanceof JinjaTemplateError) throw new TemplateSyntaxError(e.message, e.line, e.col);
      throw e;
    }
  }
  // bounds on one rendering (issue 10 #9): nested loops multiply, so iterations and output are counted
  const maxIterations = limitOf(LIMITS.templateIterations);
  const maxOutput = limitOf(LIMITS.templateOutput);
  let iterations = 0;
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
      const parent =
        this && this !== (options.data as { root?: unknown })?.root && typeof this === "object" && !Array.isArray(this)
          ? (this as Record<string, unknown>)
          : {};
      const bind = (item: unknown): Record<string, unknown> => {
        if (e.vars!.length === 1) return { [e.vars![0]!]: item };
        if (!Array.isArray(item) || item.length !== e.vars!.length)
          throw new RenderError(new ExprEvalError(`cannot unpack ${JSON.stringify(item)} into ${e.vars!.join(", ")}`), e.line, 1, e.text);
        return Object.fromEntries(e.vars!.map((v, k) => [v, item[k]]));
      };
      if (e.cond !== undefined) items = items.filter((item) => truthy(evalAt(idx, overlay(scope, bind(item)), e.cond)));
      if (items.length === 0) return options.inverse(this);
      let out = "";
      items.forEach((item, k) => {
        const loop = {
          index: k + 1,
          index0: k,
          revindex: items.length - k,
          revindex0: items.length - k - 1,
          first: k === 0,
          last: k === items.length - 1,
          length: items.length,
          previtem: k > 0 ? items[k - 1] : null,
          nextitem: k < items.length - 1 ? items[k + 1] : null,
        };
        iterations++;
        if (iterations > maxIterations)
          throw new RenderError(
            new ExprEvalError(`loops ran more than ${maxIterations} iterations; ${limitHint(LIMITS.templateIterations)}`),
            e.line,
            1,
            e.text,
          );
        out += options.fn({ ...parent, ...bind(item), loop });
        if (out.length > maxOutput)
          throw new RenderError(new ExprEvalError(`the loop's output exceeds ${maxOutput} characters; ${limitHint(LIMITS.templateOutput)}`), e.line, 1, e.text);
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
export function overlay(base: Record<string, unknown>, top: Record<string, unknown>): Record<string, unknown> {
  const own = (o: object, k: string | symbol) => Object.prototype.hasOwnProperty.call(o, k);
  return new Proxy(Object.create(null) as Record<string, unknown>, {
    get: (_t, k) => (own(top, k) ? top[k as string] : base[k as string]),
    has: (_t, k) => own(top, k) || own(base, k),
    getOwnPropertyDescriptor: (_t, k) => (own(top, k) || own(base, k) ? { value: undefined, writable: true, enumerable: true, configurable: true } : undefined),
  });
}

/**
 * Ansible's `omit`: a mapping entry whose value renders to exactly this is removed, so
 * `shell: "{{ item.shell | default(omit) }}"` leaves the argument out (the module's default applies).
 */
export const OMIT = "__omit_place_holder__keel__";

/** Matches a string that is exactly one `{{ expr }}`. */
export const WHOLE = /^\{\{(?!\{)([\s\S]*?)\}\}$/;

/** The expression of a string that is exactly one `{{ expr }}` the evaluator should take whole. */
export function wholeExpr(tpl: string): string | undefined {
  if (!WHOLE.test(tpl) || closeOf(tpl, 2) !== tpl.length - 2) return undefined;
  const body = tpl.slice(2, -2).replace(/^~|~$/g, "").trim();
  return !handlebarsNative(body) || SIMPLE_PATH.test(body) ? body : undefined;
}

/** True when a value (deeply) contains a `{{ … }}` template. */
export function hasTemplate(v: unknown): boolean {
  if (typeof v === "string") return v.includes("{{");
  if (Array.isArray(v)) return v.some(hasTemplate);
  if (v !== null && typeof v === "object") return Object.entries(v).some(([k, x]) => k.includes("{{") || hasTemplate(x));
  return false;
}

/** Render every string in a value, dropping mapping entries that render to OMIT. Throws raw errors. */
export function renderDeep(value: unknown, vars: Record<string, unknown>): unknown {
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
export function renderStringRaw(tpl: string, vars: Record<string, unknown>): unknown {
  if (!tpl.includes("{{") && !tpl.includes("{%")) return tpl;
  const body = wholeExpr(tpl);
  if (body !== undefined) return evalNode(parseExpr(body, "raw"), vars);
  try {
    return run(compile(tpl), vars);
  } catch (e) {
    throw e instanceof RenderError ? e.cause : e;
  }
}
