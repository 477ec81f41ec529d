// Parsing of the expression language: jsep (a small, well-kept expression parser) configured with
// the Jinja-style operators Ansible users write, and the checks that reject, at load time, syntax,
// filters, tests and functions keel does not evaluate. Evaluation is in eval.ts.
//
// Precedence, low -> high (Jinja's order): or < and < not < comparisons (== != < <= > >= in, not in)
// < ~ < + - < * / % < ** < is (tests) and | (filters), left to right < unary - < member access.
import jsep from "jsep";
import { type DictExpression, calleeName, hintFrom, isOp, sliceParts, testName, type Node } from "./ast.js";
import { ExprSyntaxError } from "./errors.js";
import { FILTERS } from "./filters.js";
import { FILTER_KW, UNSUPPORTED_FILTERS } from "./filter-signatures.js";
import { SHUFFLE_NEEDS_SEED } from "./filters-more.js";
import { FUNCTIONS, METHODS } from "./methods.js";
import { TESTS } from "./tests.js";
import { LOOKUP_NAMES } from "./lookup.js";

// ---------------------------------------------------------------------------------------------
// jsep configuration. jsep keeps its operator tables globally; keel is its only user.

for (const op of ["||", "&&", "??", "^", "&", "===", "!==", "<<", ">>", ">>>", "**", "|"]) jsep.removeBinaryOp(op);
for (const op of ["!", "~"]) jsep.removeUnaryOp(op);
jsep.addBinaryOp("or", 1);
jsep.addBinaryOp("and", 2);
for (const op of ["==", "!=", "<", "<=", ">", ">=", "in", "not in"]) jsep.addBinaryOp(op, 6);
jsep.addBinaryOp("~", 8);
jsep.addBinaryOp("+", 9);
jsep.addBinaryOp("-", 9);
for (const op of ["*", "/", "//", "%"]) jsep.addBinaryOp(op, 10);
// Jinja's power: binds tighter than * and, unlike Python, groups to the left (2 ** 3 ** 2 is 64)
jsep.addBinaryOp("**", 11);
// tests and filters chain left to right at one level, as in Jinja: `x is defined | ternary(a, b)`
jsep.addBinaryOp("is", 13);
jsep.addBinaryOp("|", 13);
jsep.addUnaryOp("not");
jsep.addLiteral("True", true);
jsep.addLiteral("False", false);
jsep.addLiteral("None", null);
jsep.addLiteral("none", null);
// Below `or`: Jinja's inline if (`a if c else b`), keyword arguments (`map(attribute='x')`) and
// the `:` of slices (`s[1:3]`) and dict literals (`{'k': v}`). checkSupported allows `=` and `:`
// only where they belong.
jsep.addBinaryOp("if", 0.4);
jsep.addBinaryOp("else", 0.3);
jsep.addBinaryOp("=", 0.2);
jsep.addBinaryOp(":", 0.1);
jsep.hooks.add("gobble-token", function (this: jsep.HookScope, env: { node?: jsep.Expression }) {
  const code = this.code;
  if (code === 40 /* ( */) {
    // Parenthesised groups are marked so that `(not a) == b` is not re-associated as `not (a == b)`.
    const inner = this.gobbleGroup();
    if (!inner) this.throwError("empty parentheses");
    (inner as jsep.Expression & { paren?: boolean }).paren = true;
    env.node = this.gobbleTokenProperty(inner);
  } else if (code === 123 /* { */) {
    this.index++;
    const entries: jsep.Expression[] = [];
    for (;;) {
      this.gobbleSpaces();
      if (this.code === 125 /* } */) break;
      const entry = this.gobbleExpression();
      if (!entry || entry.type !== "BinaryExpression" || (entry as jsep.BinaryExpression).operator !== ":")
        this.throwError("a dict literal holds `key: value` pairs");
      entries.push(entry!);
      this.gobbleSpaces();
      if (this.code === 44 /* , */) this.index++;
      else if (this.code !== 125) this.throwError("expected ',' or '}' in a dict literal");
    }
    this.index++;
    env.node = this.gobbleTokenProperty({ type: "DictExpression", entries } as jsep.Expression);
  } else if (code === 58 /* : */ || (code === 93 /* ] */ && /:\s*$/.test(this.expr.slice(0, this.index)))) {
    // an omitted slice bound: s[:3], s[1:]
    env.node = { type: "Literal", value: null, raw: "", omitted: true } as jsep.Expression;
  }
});

export const cache = new Map<string, Node>();

/**
 * Parse an expression (without surrounding `{{ }}`) into a jsep AST; results are cached.
 * Throws ExprSyntaxError.
 */
export function parseExpr(text: string, strings: StringMode = "python", jinjaCalls = false): Node {
  const key = `${strings === "raw" ? "\0" : ""}${jinjaCalls ? "\x01" : ""}${text}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const src = preprocess(text, strings);
  if (src.trim() === "") throw new ExprSyntaxError("empty expression");
  let ast: Node;
  try {
    ast = jsep(src);
  } catch (e) {
    const err = e as Error & { index?: number; description?: string };
    throw new ExprSyntaxError(err.description ?? err.message.replace(/ at character \d+$/, ""), err.index);
  }
  if (ast.type === "Compound") {
    throw new ExprSyntaxError("unexpected text after the expression (missing operator, or a stray comma?)");
  }
  ast = reassociateNot(ast);
  allowCalls = jinjaCalls;
  try {
    checkSupported(ast);
  } finally {
    allowCalls = false;
  }
  if (cache.size > 5000) cache.clear();
  cache.set(key, ast);
  return ast;
}

/**
 * How backslashes in string literals read. "python": as in Python and in Ansible's conditions
 * (`'\n'` is a newline, `'\\'` one backslash, and an unknown escape such as `'\d'` keeps its
 * backslash, so regexes work). "raw": as in Ansible's `{{ }}` templates, which keep every
 * backslash as written (`regex_replace('\s+', ' ')`); `\'` still escapes the quote.
 */
export type StringMode = "python" | "raw";

export const PY_ESCAPES = new Set(["n", "t", "r", "\\", "'", '"', "b", "f", "v"]);

/** A string literal (quotes included) rewritten so that jsep's JavaScript unescaping gives the `mode` value. */
export function literal(lit: string, mode: StringMode): string {
  if (!lit.includes("\\")) return lit;
  const q = lit[0]!;
  let out = q;
  for (let i = 1; i < lit.length - 1; i++) {
    const c = lit[i]!;
    if (c !== "\\") {
      out += c;
      continue;
    }
    const next = lit[i + 1] ?? "";
    if (next === q || (mode === "python" && PY_ESCAPES.has(next))) out += c + next;
    else out += mode === "raw" && next === "\\" ? "\\\\\\\\" : "\\\\" + next;
    i++;
  }
  return out + lit.slice(-1);
}

/** Jinja spellings jsep cannot read directly, rewritten outside string literals. */
export function preprocess(text: string, strings: StringMode): string {
  let out = "";
  let chunk = "";
  const flush = () => {
    // `x is not in y` / `x is in y` (Jinja's `in` test) read as the `not in` / `in` operators
    let c = chunk
      .replace(/\bis\s+not\s+in\b/g, "not in")
      .replace(/\bis\s+in\b/g, "in")
      .replace(/\bnot\s+in\b/g, "not in");
    // a test's one argument without parentheses (`x is sameas true`, `n is divisibleby 3`)
    c = c.replace(/\bis(\s+not)?\s+([A-Za-z_]\w*)\s+([A-Za-z_][\w.]*|-?\d+(?:\.\d+)?)(?![\w.([])/g, (m, not: string | undefined, test: string, arg: string) =>
      /^(and|or|if|else|in|not|is)$/.test(arg) || /^(and|or|if|else|in|not|is)$/.test(test) ? m : `is${not ?? ""} ${test}(${arg})`,
    );
    // `item.0` (Jinja attribute-by-index) -> item[0]; numbers like 1.5 are left alone.
    for (let prev = ""; prev !== c;) {
      prev = c;
      c = c.replace(/((?:^|[^\w$.])[A-Za-z_$][\w$]*|\]|\))\.(\d+)(?![\w$])/g, "$1[$2]");
    }
    out += c;
    chunk = "";
  };
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === "'" || ch === '"') {
      flush();
      let j = i + 1;
      while (j < text.length && text[j] !== ch) j += text[j] === "\\" ? 2 : 1;
      out += literal(text.slice(i, j + 1), strings);
      i = j;
    } else {
      chunk += ch;
    }
  }
  flush();
  return out;
}

export const NOT_BINDS_LOOSER = new Set(["==", "!=", "<", "<=", ">", ">=", "in", "not in", "~", "+", "-", "*", "/", "//", "%", "is", "|"]);

/** jsep binds unary `not` to the next token; Jinja's `not` binds looser than comparisons. */
/** The `namespace.collection.` of a plugin's fully qualified name (ansible.builtin.to_json, community.general.json_query). */
const FQCN = /^[a-z_][a-z0-9_]*\.[a-z_][a-z0-9_]*\.(?=[A-Za-z_]\w*$)/;

/**
 * A filter or test written with its collection (`x | ansible.builtin.to_json`, `v is
 * ansible.builtin.version('2', '>=')`) is the plugin of that short name: jsep reads the dotted
 * name as member access `ansible.builtin.to_json`, turned here into the identifier `to_json`.
 */
function unqualify(n: Node): Node {
  if (n.type === "UnaryExpression" && (n as jsep.UnaryExpression).operator === "not")
    return { ...n, argument: unqualify((n as jsep.UnaryExpression).argument) };
  if (n.type === "CallExpression") {
    const c = n as jsep.CallExpression;
    const callee = unqualify(c.callee);
    return callee === c.callee ? n : { ...c, callee };
  }
  const parts: string[] = [];
  let cur: Node = n;
  while (cur.type === "MemberExpression" && !(cur as jsep.MemberExpression).computed) {
    const m = cur as jsep.MemberExpression;
    if (m.property.type !== "Identifier") return n;
    parts.unshift((m.property as jsep.Identifier).name);
    cur = m.object;
  }
  if (cur.type !== "Identifier" || parts.length !== 2) return n;
  const name = `${(cur as jsep.Identifier).name}.${parts.join(".")}`;
  return FQCN.test(name) ? ({ type: "Identifier", name: parts[1]! } as jsep.Identifier) : n;
}

export function reassociateNot(n: Node): Node {
  switch (n.type) {
    case "BinaryExpression": {
      const b = n as jsep.BinaryExpression;
      const left = reassociateNot(b.left);
      const right = reassociateNot(b.right);
      const l = left as jsep.UnaryExpression & { paren?: boolean };
      if (NOT_BINDS_LOOSER.has(b.operator) && l.type === "UnaryExpression" && l.operator === "not" && !l.paren) {
        return { type: "UnaryExpression", operator: "not", prefix: true, argument: reassociateNot({ ...b, left: l.argument, right }) };
      }
      if (b.operator === "|" || b.operator === "is") return { ...b, left, right: unqualify(right) };
      return { ...b, left, right };
    }
    case "UnaryExpression":
      return { ...n, argument: reassociateNot((n as jsep.UnaryExpression).argument) };
    case "MemberExpression": {
      const m = n as jsep.MemberExpression;
      return { ...m, object: reassociateNot(m.object), property: m.computed ? reassociateNot(m.property) : m.property };
    }
    case "CallExpression": {
      const c = n as jsep.CallExpression;
      const args = c.arguments.map(reassociateNot);
      const fn = c.callee.type === "Identifier" ? (c.callee as jsep.Identifier).name : "";
      const first = args[0] as jsep.Literal | undefined;
      // lookup('ansible.builtin.file', …): the plugin's collection-qualified name
      if ((fn === "lookup" || fn === "query" || fn === "q") && first?.type === "Literal" && typeof first.value === "string" && FQCN.test(first.value)) {
        args[0] = { ...first, value: first.value.replace(FQCN, "") };
      }
      return { ...c, callee: reassociateNot(c.callee), arguments: args };
    }
    case "ArrayExpression":
      return { ...n, elements: (n as jsep.ArrayExpression).elements.map((e) => (e ? reassociateNot(e) : e)) };
    case "ConditionalExpression": {
      const c = n as jsep.ConditionalExpression;
      return { ...c, test: reassociateNot(c.test), consequent: reassociateNot(c.consequent), alternate: reassociateNot(c.alternate) };
    }
    case "DictExpression":
      return { ...n, entries: (n as DictExpression).entries.map(reassociateNot) };
    case "SequenceExpression":
      return { ...n, expressions: (n as jsep.Expression & { expressions: Node[] }).expressions.map(reassociateNot) };
    default:
      return n;
  }
}

/** Controller-side Jinja/Ansible functions keel does not have, with what to do instead. */
export const UNSUPPORTED_FUNCTIONS: Record<string, string> = {
  now: "keel templates do not read the clock; pass a timestamp with -e",
  undef: "leave the variable out, or give it a value",
};

/**
 * In a template file, names can be macros (`{{ m(1) }}`), and `loop.cycle(…)`, `caller()` or an
 * imported macro (`forms.input(…)`) are calls the checker cannot know: they are checked when called.
 */
let allowCalls = false;

/** Reject syntax jsep accepts but keel does not evaluate, at parse time rather than at run time. */
export function checkSupported(n: Node): void {
  switch (n.type) {
    case "Literal":
    case "Identifier":
      return;
    case "ThisExpression":
      throw new ExprSyntaxError("'this' is not supported in expressions");
    case "ArrayExpression":
      for (const e of (n as jsep.ArrayExpression).elements) {
        if (!e) throw new ExprSyntaxError("empty element in list literal");
        checkSupported(e);
      }
      return;
    case "SequenceExpression":
      (n as jsep.Expression & { expressions: Node[] }).expressions.forEach(checkSupported);
      return;
    case "DictExpression":
      for (const e of (n as DictExpression).entries) {
        checkSupported(e.left);
        checkSupported(e.right);
      }
      return;
    case "UnaryExpression":
      return checkSupported((n as jsep.UnaryExpression).argument);
    case "ConditionalExpression": {
      const c = n as jsep.ConditionalExpression;
      checkSupported(c.test);
      checkSupported(c.consequent);
      checkSupported(c.alternate);
      return;
    }
    case "MemberExpression": {
      const m = n as jsep.MemberExpression;
      checkSupported(m.object);
      if (m.computed) {
        if (isOp(m.property, ":")) {
          const parts = sliceParts(m.property);
          if (parts.length > 3) throw new ExprSyntaxError("a slice has at most three parts: x[start:stop:step]");
          parts.forEach(checkSupported);
        } else checkSupported(m.property);
      }
      return;
    }
    case "BinaryExpression": {
      const b = n as jsep.BinaryExpression;
      if (b.operator === "=")
        throw new ExprSyntaxError("'=' is not a comparison (write '=='); `name=value` is only for keyword arguments, as in map(attribute='name')");
      if (b.operator === ":") throw new ExprSyntaxError("':' belongs in a slice (x[1:3]) or a dict literal ({'key': value})");
      checkSupported(b.left);
      if (b.operator === "|") {
        const name = calleeName(b.right);
        if (!name) throw new ExprSyntaxError("a filter name must follow '|'");
        if (Object.hasOwn(UNSUPPORTED_FILTERS, name))
          throw new ExprSyntaxError(`filter '${name}' is not supported by keel: ${UNSUPPORTED_FILTERS[name]}`, undefined, true);
        if (!Object.hasOwn(FILTERS, name)) throw new ExprSyntaxError(`unknown filter '${name}'${hintFrom(name, Object.keys(FILTERS))}`);
        // shuffle is reproducible only with a seed (Ansible's randomize_list)
        if (name === "shuffle" && (b.right.type !== "CallExpression" || (b.right as jsep.CallExpression).arguments.length === 0))
          throw new ExprSyntaxError(`filter 'shuffle' ${SHUFFLE_NEEDS_SEED}`);
        if (b.right.type === "CallExpression") {
          const args = (b.right as jsep.CallExpression).arguments;
          checkArgs(args);
          const allowed = FILTER_KW[name] ?? [];
          for (const a of args) {
            const k = isOp(a, "=") ? ((a as jsep.BinaryExpression).left as jsep.Identifier).name : undefined;
            if (k !== undefined && !allowed.includes(k))
              throw new ExprSyntaxError(`filter '${name}' has no argument '${k}'${allowed.length ? ` (it takes ${allowed.join(", ")})` : ""}`);
          }
        }
        return;
      }
      if (b.operator === "is") {
        let t = b.right;
        if (t.type === "UnaryExpression" && (t as jsep.UnaryExpression).operator === "not") t = (t as jsep.UnaryExpression).argument;
        const name = testName(t);
        if (!name) throw new ExprSyntaxError("a test name must follow 'is' (defined, none, changed, failed…)");
        if (CONTROLLER_TESTS.has(name))
          throw new ExprSyntaxError(
            `test '${name}' looks at the controller's files, which keel templates do not read; check the host with a task (stat via command, register, then test the result)`,
            undefined,
            true,
          );
        if (!Object.hasOwn(TESTS, name)) throw new ExprSyntaxError(`unknown test '${name}'${hintFrom(name, Object.keys(TESTS))}`);
        if (t.type === "CallExpression") checkArgs((t as jsep.CallExpression).arguments);
        return;
      }
      if (b.operator === "else" && !isOp(b.left, "if") && !isOp(b.left, "else"))
        throw new ExprSyntaxError("'else' without 'if': write `a if condition else b`");
      checkSupported(b.right);
      return;
    }
    case "CallExpression": {
      const c = n as jsep.CallExpression;
      if (c.callee.type === "MemberExpression" && !(c.callee as jsep.MemberExpression).computed) {
        const method = ((c.callee as jsep.MemberExpression).property as jsep.Identifier).name;
        if (!Object.hasOwn(METHODS, method) && !allowCalls)
          throw new ExprSyntaxError(`unsupported method '${method}()'${hintFrom(method, Object.keys(METHODS))}`);
        checkSupported((c.callee as jsep.MemberExpression).object);
      } else if (c.callee.type === "Identifier") {
        const fn = (c.callee as jsep.Identifier).name;
        if (Object.hasOwn(UNSUPPORTED_FUNCTIONS, fn))
          throw new ExprSyntaxError(`${fn}() is not supported by keel: ${UNSUPPORTED_FUNCTIONS[fn]}`, undefined, true);
        if (fn === "lookup" || fn === "query" || fn === "q") {
          const first = c.arguments[0];
          if (!first || first.type !== "Literal" || typeof (first as jsep.Literal).value !== "string")
            throw new ExprSyntaxError(`${fn}() takes the lookup's name first, as a string: ${fn}('file', 'motd')`);
          const plugin = (first as jsep.Literal).value as string;
          if (!LOOKUP_NAMES.includes(plugin))
            throw new ExprSyntaxError(`unknown lookup '${plugin}'${hintFrom(plugin, LOOKUP_NAMES)} (keel has ${LOOKUP_NAMES.join(", ")})`);
        } else if (!Object.hasOwn(FUNCTIONS, fn) && !allowCalls) throw new ExprSyntaxError(`unknown function '${fn}()'${hintFrom(fn, Object.keys(FUNCTIONS))}`);
      } else if (!allowCalls) {
        throw new ExprSyntaxError("only filters, tests, methods of strings/lists/dicts and range() can be called");
      }
      checkArgs(c.arguments);
      return;
    }
    default:
      throw new ExprSyntaxError(`unsupported syntax (${n.type})`);
  }
}

/** Call arguments: positional ones, then `name=value` keyword ones. */
export function checkArgs(args: Node[]): void {
  let kw = false;
  for (const a of args) {
    if (isOp(a, "=")) {
      const b = a as jsep.BinaryExpression;
      if (b.left.type !== "Identifier") throw new ExprSyntaxError("a keyword argument is `name=value`");
      kw = true;
      checkSupported(b.right);
    } else {
      if (kw) throw new ExprSyntaxError("positional argument after a keyword argument");
      checkSupported(a);
    }
  }
}

/** Tests that look at the controller's file system. */
export const CONTROLLER_TESTS = new Set(["file", "directory", "link", "exists", "abs", "mount", "same_file", "is_file", "is_dir", "is_link"]);
