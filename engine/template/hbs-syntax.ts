// The text side of template compilation (hbs.ts): finding tags and the `}}` that closes an
// expression, telling Handlebars' own mustaches from expressions, and turning a Jinja statement
// ({% if/elif/else/for/set %}, {% raw %}) into a Handlebars block. Pure string work; errors are
// TemplateSyntaxError with the template's line and column.
import type { Compiled } from "./hbs.js";

export const HB_HELPERS = new Set(["if", "unless", "each", "with", "lookup", "log", "else", "keel_set"]);
export const SIMPLE_PATH = /^[A-Za-z_$][\w$]*(\.[A-Za-z_$][\w$]*)*$/;

/**
 * Does Handlebars itself take this mustache body? Block/partial syntax, `this`/`@index`/`../x` and
 * helper calls. Variables, even simple paths, go to the expression evaluator: it renders lazy
 * variables and its errors name the expression and its line.
 */
export function handlebarsNative(body: string): boolean {
  if (body === "") return true;
  if ("#/^!>&@.".includes(body[0]!)) return true;
  if (/^(this|else)\b/.test(body)) return true;
  const first = /^([A-Za-z_$][\w$-]*)\s/.exec(body)?.[1];
  return first !== undefined && HB_HELPERS.has(first);
}

export class TemplateSyntaxError extends Error {
  constructor(
    message: string,
    readonly line: number,
    readonly col: number,
  ) {
    super(message);
  }
}

/** Jinja's `{% raw %}…{% endraw %}`: the text inside is not a template. */
export const RAW_BLOCK = /\{%-?\s*raw\s*-?%\}([\s\S]*?)\{%-?\s*endraw\s*-?%\}/g;

/**
 * A template that renders to `text` exactly: `{{`, `{%` and `{#` inside it are written as
 * expressions. For Ansible's `!unsafe` values and `{% raw %}` blocks.
 */
export function literalText(text: string): string {
  return text.replace(/\{([{%#])/g, (_m, c: string) => `{{ '{' ~ '${c}' }}`);
}

/** The next `{{`, `{%` or `{#` at or after `from` (a `\\{{` is Handlebars' escape and not a tag). */
export function nextTag(tpl: string, from: number): number {
  for (let j = tpl.indexOf("{", from); j !== -1; j = tpl.indexOf("{", j + 1)) {
    const c = tpl[j + 1];
    if (c === "{" || ((c === "%" || c === "#") && tpl[j - 1] !== "\\")) return j;
  }
  return -1;
}

export const FOR_STATEMENT = /^for\s+([A-Za-z_]\w*(?:\s*,\s*[A-Za-z_]\w*)*)\s+in\s+([\s\S]+?)(?:\s+if\s+([\s\S]+))?$/;
export const SET_STATEMENT = /^set\s+([A-Za-z_]\w*)\s*=\s*([\s\S]+)$/;

/**
 * A Jinja statement as Handlebars: if/elif/else/endif, for/else/endfor (with `loop.index`…,
 * `for k, v in d.items()` and `for x in xs if cond`), and `set x = expr`. Others are an error.
 */
export function statement(
  stmt: string,
  line: number,
  lt: string,
  rt: string,
  pad: string,
  exprs: Compiled["exprs"],
  blocks: { kind: string; line: number }[],
): string {
  const word = /^\w+/.exec(stmt)?.[0] ?? stmt;
  const rest = stmt.slice(word.length).trim();
  const tag = (body: string) => `{{${lt}${body}${pad}${rt}}}`;
  const top = blocks[blocks.length - 1];
  const need = (kind: string) => {
    if (top?.kind !== kind)
      throw new TemplateSyntaxError(
        top
          ? `'{% ${word} %}' inside '{% ${top.kind} %}' (line ${top.line}): close that first with '{% end${top.kind} %}'`
          : `'{% ${word} %}' without '{% ${kind} %}'`,
        line,
        1,
      );
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

/**
 * Where the `}}` that closes the mustache opened just before `from` is. In an expression, braces,
 * brackets and quotes are skipped (`{{ d | combine({'a': {'b': 1}}) }}`); Handlebars blocks and
 * comments end at the first `}}`.
 */
export function closeOf(tpl: string, from: number): number {
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
