// Jinja statements into a tree. Expressions (`{{ … }}` bodies and the expression parts of
// statements) are parsed by keel's safe expression parser (../parse.ts) in Python string mode, as
// Jinja reads string literals in template files; only the statement structure is read here.
import type { Node as Ast } from "../ast.js";
import { parseExpr, type StringMode } from "../parse.js";
import { ExprSyntaxError } from "../errors.js";
import type { Piece, Tok } from "./lexer.js";

export interface Param {
  name: string;
  dflt?: Ast;
}

export type JNode =
  | { t: "text"; text: string }
  | { t: "out"; expr: Ast; src: string; off: number }
  | { t: "if"; branches: { cond?: Ast; src: string; off: number; body: JNode[] }[] }
  | { t: "for"; targets: string[]; iter: Ast; cond?: Ast; recursive: boolean; body: JNode[]; orelse: JNode[]; src: string; off: number }
  | { t: "set"; targets: string[]; attr?: string; expr: Ast; src: string; off: number }
  | { t: "setblock"; target: string; attr?: string; filter?: Ast; body: JNode[]; src: string; off: number }
  | { t: "macro"; name: string; params: Param[]; body: JNode[]; off: number }
  | { t: "call"; expr: Ast; params: Param[]; body: JNode[]; src: string; off: number }
  | { t: "filter"; filter: Ast; body: JNode[]; src: string; off: number }
  | { t: "with"; assigns: { name: string; expr: Ast }[]; body: JNode[]; src: string; off: number }
  | { t: "block"; name: string; body: JNode[]; off: number }
  | { t: "extends"; name: Ast; src: string; off: number }
  | { t: "include"; name: Ast; ignoreMissing: boolean; withContext: boolean; src: string; off: number }
  | { t: "import"; name: Ast; alias: string; withContext: boolean; src: string; off: number }
  | { t: "from"; name: Ast; names: { name: string; alias: string }[]; withContext: boolean; src: string; off: number };

/** A template syntax error at an offset of the normalised source. */
export class JinjaSyntaxError extends Error {
  constructor(
    message: string,
    readonly offset: number,
    readonly hint?: string,
  ) {
    super(message);
  }
}

/** The magic variable a `{% filter %}` or `{% set x | f %}` body is bound to while its filters run. */
export const BODY_VAR = "__keel_jinja_body__";

const ENDS: Record<string, string[]> = {
  if: ["elif", "else", "endif"],
  for: ["else", "endfor"],
  macro: ["endmacro"],
  call: ["endcall"],
  filter: ["endfilter"],
  set: ["endset"],
  with: ["endwith"],
  block: ["endblock"],
};

const UNSUPPORTED: Record<string, string> = {
  do: "'{% do %}' needs the jinja2.ext.do extension, which Ansible does not enable",
  break: "'{% break %}' needs the jinja2.ext.loopcontrols extension, which Ansible does not enable; filter the loop instead: {% for x in xs if cond %}",
  continue: "'{% continue %}' needs the jinja2.ext.loopcontrols extension, which Ansible does not enable; filter the loop instead: {% for x in xs if cond %}",
  autoescape: "'{% autoescape %}' is not supported by keel (templates are never HTML-escaped)",
  trans: "'{% trans %}' needs the i18n extension, which Ansible does not enable",
};

export function parseTemplate(pieces: Piece[], src: string, strings: StringMode = "python"): JNode[] {
  let i = 0;
  // Ansible's values double backslashes in string literals inside {{ }} only (escape_backslashes)
  const expr = (text: string, off: number, mode: StringMode = "python"): Ast => {
    try {
      return parseExpr(text, mode, true);
    } catch (e) {
      if (e instanceof ExprSyntaxError)
        throw new JinjaSyntaxError(
          `invalid expression \`${text.trim()}\`: ${e.message}`,
          off,
          "Jinja expressions: {{ var }}, {{ var | filter(arg) }}, {{ a if cond else b }}",
        );
      throw e;
    }
  };
  const slice = (toks: Tok[], a: number, b = toks.length): string => (a >= b ? "" : src.slice(toks[a]!.start, toks[b - 1]!.end));
  /** Index of the first top-level name token `word` at or after `from`, or -1. */
  const find = (toks: Tok[], word: string, from = 0): number => {
    let depth = 0;
    for (let k = from; k < toks.length; k++) {
      const t = toks[k]!;
      if (t.type === "op" && "([{".includes(t.value)) depth++;
      else if (t.type === "op" && ")]}".includes(t.value)) depth--;
      else if (depth === 0 && t.type === "name" && t.value === word) return k;
    }
    return -1;
  };
  /** Split toks[a, b) at top-level commas. */
  const commas = (toks: Tok[], a: number, b: number): [number, number][] => {
    const parts: [number, number][] = [];
    let depth = 0;
    let s = a;
    for (let k = a; k < b; k++) {
      const t = toks[k]!;
      if (t.type !== "op") continue;
      if ("([{".includes(t.value)) depth++;
      else if (")]}".includes(t.value)) depth--;
      else if (depth === 0 && t.value === ",") {
        parts.push([s, k]);
        s = k + 1;
      }
    }
    if (s < b) parts.push([s, b]);
    return parts;
  };
  const nameAt = (toks: Tok[], k: number, off: number, what: string): string => {
    const t = toks[k];
    if (t?.type !== "name") throw new JinjaSyntaxError(`expected ${what}, got ${t ? `'${t.value}'` : "the end of the tag"}`, t?.start ?? off);
    return t.value;
  };
  /** `(a, b=1)` starting at toks[k] === "(": the parameters and the index after ")". */
  const params = (toks: Tok[], k: number, off: number): [Param[], number] => {
    let depth = 0;
    let close = -1;
    for (let j = k; j < toks.length; j++) {
      const v = toks[j]!.type === "op" ? toks[j]!.value : "";
      if ("([{".includes(v) && v) depth++;
      else if (")]}".includes(v) && v && --depth === 0) {
        close = j;
        break;
      }
    }
    if (close === -1) throw new JinjaSyntaxError("unclosed '(' in the parameter list", toks[k]!.start);
    const out: Param[] = [];
    for (const [a, b] of commas(toks, k + 1, close)) {
      const name = nameAt(toks, a, off, "a parameter name");
      const p: Param = { name };
      if (b > a + 1) {
        if (toks[a + 1]!.value !== "=") throw new JinjaSyntaxError(`expected '=' or ',' after parameter '${name}'`, toks[a + 1]!.start);
        p.dflt = expr(slice(toks, a + 2, b), toks[a + 2]?.start ?? off);
      }
      out.push(p);
    }
    return [out, close + 1];
  };
  /** Trailing `with context` / `without context`: [withContext, index of the end]. */
  const context = (toks: Tok[], dflt: boolean): [boolean, number] => {
    const n = toks.length;
    if (n >= 2 && toks[n - 1]!.value === "context" && (toks[n - 2]!.value === "with" || toks[n - 2]!.value === "without"))
      return [toks[n - 2]!.value === "with", n - 2];
    return [dflt, n];
  };

  const parseBody = (closers: string[], opener?: { word: string; off: number }): [JNode[], string, Tok[], number] => {
    const out: JNode[] = [];
    while (i < pieces.length) {
      const p = pieces[i++]!;
      if (p.kind === "data") {
        out.push({ t: "text", text: p.text });
        continue;
      }
      if (p.kind === "var") {
        if (!p.toks.length) throw new JinjaSyntaxError("empty expression '{{ }}'", p.start);
        out.push({ t: "out", expr: expr(p.text, p.inner, strings), src: p.text.trim(), off: p.start });
        continue;
      }
      const toks = p.toks;
      const word = toks[0]?.type === "name" ? toks[0].value : "";
      if (!word) throw new JinjaSyntaxError(toks.length ? `a statement starts with a name, got '${toks[0]!.value}'` : "empty statement '{% %}'", p.start);
      if (closers.includes(word)) return [out, word, toks, p.start];
      const rest = slice(toks, 1);
      const off = p.start;
      switch (word) {
        case "if": {
          const branches: Extract<JNode, { t: "if" }>["branches"] = [];
          let cond: Ast | undefined = expr(rest, toks[1]?.start ?? off);
          let csrc = rest;
          let coff = off;
          for (;;) {
            const [body, end, etoks, eoff] = parseBody(ENDS.if!, { word, off });
            branches.push({ ...(cond ? { cond } : {}), src: csrc, off: coff, body });
            if (end === "endif") break;
            if (end === "elif") {
              csrc = slice(etoks, 1);
              cond = expr(csrc, etoks[1]?.start ?? eoff);
            } else {
              if (!cond) throw new JinjaSyntaxError("a second '{% else %}' in one '{% if %}'", eoff);
              cond = undefined;
              csrc = "else";
            }
            coff = eoff;
          }
          out.push({ t: "if", branches });
          break;
        }
        case "for": {
          const inAt = find(toks, "in", 1);
          if (inAt === -1)
            throw new JinjaSyntaxError(`cannot read '{% ${p.text.trim()} %}'`, off, "write {% for x in list %} or {% for k, v in dict.items() %}");
          // `for (k, v) in …` reads as `for k, v in …`
          const paren = toks[1]?.value === "(" && toks[inAt - 1]?.value === ")";
          const targets = commas(toks, paren ? 2 : 1, paren ? inAt - 1 : inAt).map(([a, b]) => {
            if (b !== a + 1) throw new JinjaSyntaxError("a loop variable is a name (nested tuples are not supported)", toks[a]!.start);
            return nameAt(toks, a, off, "a loop variable");
          });
          if (!targets.length) throw new JinjaSyntaxError("'for' needs a loop variable", off);
          let end = toks.length;
          const recursive = toks[end - 1]!.type === "name" && toks[end - 1]!.value === "recursive";
          if (recursive) end--;
          const ifAt = find(toks.slice(0, end), "if", inAt + 1);
          const iterSrc = slice(toks, inAt + 1, ifAt === -1 ? end : ifAt);
          const iter = expr(
            iterSrc.includes(",") && commas(toks, inAt + 1, ifAt === -1 ? end : ifAt).length > 1 ? `[${iterSrc}]` : iterSrc,
            toks[inAt + 1]?.start ?? off,
          );
          const node: Extract<JNode, { t: "for" }> = { t: "for", targets, iter, recursive, body: [], orelse: [], src: iterSrc, off };
          if (ifAt !== -1) node.cond = expr(slice(toks, ifAt + 1, end), toks[ifAt + 1]?.start ?? off);
          const [body, e] = parseBody(ENDS.for!, { word, off });
          node.body = body;
          if (e === "else") node.orelse = parseBody(["endfor"], { word, off })[0];
          out.push(node);
          break;
        }
        case "set": {
          const eq = toks.findIndex((t, k) => k > 0 && t.type === "op" && t.value === "=");
          if (eq === -1) {
            // block set: {% set x %}…{% endset %} or {% set x | filter %}
            const target = nameAt(toks, 1, off, "a variable name");
            let k = 2;
            let attr: string | undefined;
            if (toks[k]?.value === ".") {
              attr = nameAt(toks, k + 1, off, "an attribute name");
              k += 2;
            }
            const node: Extract<JNode, { t: "setblock" }> = { t: "setblock", target, body: [], src: p.text.trim(), off };
            if (attr) node.attr = attr;
            if (k < toks.length) {
              if (toks[k]!.value !== "|")
                throw new JinjaSyntaxError(
                  `expected '=' or '|' after '{% set ${target}'`,
                  toks[k]!.start,
                  "write {% set x = value %}, or {% set x %}…{% endset %}",
                );
              node.filter = expr(`${BODY_VAR} ${slice(toks, k)}`, toks[k]!.start);
            }
            node.body = parseBody(["endset"], { word, off })[0];
            out.push(node);
            break;
          }
          const value = expr(slice(toks, eq + 1), toks[eq + 1]?.start ?? off);
          if (eq === 4 && toks[2]!.value === ".") {
            out.push({
              t: "set",
              targets: [nameAt(toks, 1, off, "a name")],
              attr: nameAt(toks, 3, off, "an attribute name"),
              expr: value,
              src: slice(toks, eq + 1),
              off,
            });
            break;
          }
          const targets = commas(toks, 1, eq).map(([a, b]) => {
            if (b !== a + 1)
              throw new JinjaSyntaxError("the left side of '{% set %}' is a name, names separated by commas, or namespace.attribute", toks[a]!.start);
            return nameAt(toks, a, off, "a variable name");
          });
          out.push({ t: "set", targets, expr: value, src: slice(toks, eq + 1), off });
          break;
        }
        case "block": {
          // a block renders where it stands, or the block of the same name of a template extending this one
          const name = nameAt(toks, 1, off, "the block's name");
          const body = parseBody(["endblock"], { word, off })[0];
          out.push({ t: "block", name, body, off });
          break;
        }
        case "extends": {
          if (opener) throw new JinjaSyntaxError("'{% extends %}' belongs at the top level of a template", off);
          out.push({ t: "extends", name: expr(rest, toks[1]?.start ?? off), src: rest, off });
          break;
        }
        case "macro": {
          const name = nameAt(toks, 1, off, "the macro's name");
          let ps: Param[] = [];
          if (toks[2]?.value === "(") ps = params(toks, 2, off)[0];
          const body = parseBody(["endmacro"], { word, off })[0];
          out.push({ t: "macro", name, params: ps, body, off });
          break;
        }
        case "call": {
          let ps: Param[] = [];
          let k = 1;
          if (toks[1]?.value === "(") [ps, k] = params(toks, 1, off);
          const csrc = slice(toks, k);
          const body = parseBody(["endcall"], { word, off })[0];
          out.push({ t: "call", expr: expr(csrc, toks[k]?.start ?? off), params: ps, body, src: csrc, off });
          break;
        }
        case "filter": {
          const fsrc = slice(toks, 1);
          const filter = expr(`${BODY_VAR} | ${fsrc}`, toks[1]?.start ?? off);
          const body = parseBody(["endfilter"], { word, off })[0];
          out.push({ t: "filter", filter, body, src: fsrc, off });
          break;
        }
        case "with": {
          const assigns = commas(toks, 1, toks.length).map(([a, b]) => {
            const name = nameAt(toks, a, off, "a variable name");
            if (toks[a + 1]?.value !== "=") throw new JinjaSyntaxError(`expected '=' after '${name}' in '{% with %}'`, toks[a]!.start);
            return { name, expr: expr(slice(toks, a + 2, b), toks[a + 2]?.start ?? off) };
          });
          const body = parseBody(["endwith"], { word, off })[0];
          out.push({ t: "with", assigns, body, src: rest, off });
          break;
        }
        case "include": {
          const ctxEnd = context(toks, true);
          const withContext = ctxEnd[0];
          let end = ctxEnd[1];
          let ignoreMissing = false;
          if (end >= 3 && toks[end - 2]!.value === "ignore" && toks[end - 1]!.value === "missing") {
            ignoreMissing = true;
            end -= 2;
          }
          const nsrc = slice(toks, 1, end);
          out.push({ t: "include", name: expr(nsrc, toks[1]?.start ?? off), ignoreMissing, withContext, src: nsrc, off });
          break;
        }
        case "import": {
          const [withContext, end] = context(toks, false);
          const asAt = find(toks, "as", 1);
          if (asAt === -1 || asAt !== end - 2) throw new JinjaSyntaxError("write {% import 'file.j2' as name %}", off);
          const nsrc = slice(toks, 1, asAt);
          out.push({ t: "import", name: expr(nsrc, toks[1]?.start ?? off), alias: nameAt(toks, asAt + 1, off, "a name"), withContext, src: nsrc, off });
          break;
        }
        case "from": {
          const [withContext, end] = context(toks, false);
          const impAt = find(toks, "import", 1);
          if (impAt === -1) throw new JinjaSyntaxError("write {% from 'file.j2' import name, other as alias %}", off);
          const names = commas(toks, impAt + 1, end).map(([a, b]) => {
            const name = nameAt(toks, a, off, "a name to import");
            if (b === a + 1) return { name, alias: name };
            if (b !== a + 3 || toks[a + 1]!.value !== "as") throw new JinjaSyntaxError(`expected 'as' or ',' after '${name}'`, toks[a + 1]!.start);
            return { name, alias: nameAt(toks, a + 2, off, "an alias") };
          });
          const nsrc = slice(toks, 1, impAt);
          out.push({ t: "from", name: expr(nsrc, toks[1]?.start ?? off), names, withContext, src: nsrc, off });
          break;
        }
        default: {
          if (Object.hasOwn(UNSUPPORTED, word)) throw new JinjaSyntaxError(`'{% ${word} %}' is not supported`, off, UNSUPPORTED[word]);
          const inside = opener ? ` inside '{% ${opener.word} %}', which needs ${closers.map((c) => `'{% ${c} %}'`).join(" or ")}` : "";
          const isEnd = /^(end\w+|elif|else)$/.test(word);
          throw new JinjaSyntaxError(
            isEnd ? `unexpected '{% ${word} %}'${inside}` : `unknown tag '{% ${word} %}'`,
            off,
            isEnd
              ? "every {% if %} closes with {% endif %}, {% for %} with {% endfor %}, {% macro %} with {% endmacro %}…"
              : "Jinja's statements are if/elif/else, for, set, macro, call, filter, with, include, import, from … import, raw",
          );
        }
      }
    }
    if (opener) {
      throw new JinjaSyntaxError(
        `'{% ${opener.word} %}' is not closed: add '{% ${closers[closers.length - 1]} %}'`,
        opener.off,
        "every {% if %} closes with {% endif %}, {% for %} with {% endfor %}, {% macro %} with {% endmacro %}…",
      );
    }
    return [out, "", [], src.length];
  };
  return parseBody([])[0];
}
