// The safe expression language of `when`, `changed_when`, `failed_when`, `until` and of `{{ … }}`
// bodies that plain Handlebars cannot take (filters, comparisons, `~`…).
//
// Parsing is done by jsep (a small, well-kept expression parser) configured with the Jinja-style
// operators Ansible users write; evaluation is our own AST walker below. Nothing is ever handed to
// eval/new Function, and property access only reads own properties of plain data (no prototypes).
//
// Precedence, low -> high (Jinja's order): or < and < not < comparisons (== != < <= > >= in, not in)
// < ~ < + - < * / % < is (tests) < | (filters) < unary - < member access.
import jsep from "jsep";
import { didYouMean } from "../core/errors.js";

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
jsep.addBinaryOp("is", 12);
jsep.addBinaryOp("|", 13);
jsep.addUnaryOp("not");
jsep.addLiteral("True", true);
jsep.addLiteral("False", false);
jsep.addLiteral("None", null);
jsep.addLiteral("none", null);
// Parenthesised groups are marked so that `(not a) == b` is not re-associated as `not (a == b)`.
jsep.hooks.add("gobble-token", function (this: jsep.HookScope, env: { node?: jsep.Expression }) {
  if (this.code !== 40 /* ( */) return;
  const inner = this.gobbleGroup();
  if (!inner) this.throwError("empty parentheses");
  (inner as jsep.Expression & { paren?: boolean }).paren = true;
  env.node = this.gobbleTokenProperty(inner);
});

type Node = jsep.Expression;

/** A syntax error in an expression; the caller turns it into an InputError at the expression. */
export class ExprSyntaxError extends Error {
  constructor(
    message: string,
    readonly index?: number,
  ) {
    super(message);
    this.name = "ExprSyntaxError";
  }
}

/** A variable (or attribute) that does not exist; `name` is the full dotted path. */
export class UndefinedVarError extends Error {
  /**
   * `via` names the variables whose values were being rendered when `varName` was missing,
   * outermost first (`app_dir: "{{ base }}/app"` used as `{{ app_dir }}` gives via ["app_dir"]).
   */
  constructor(
    readonly varName: string,
    readonly via: readonly string[] = [],
  ) {
    super(`undefined variable '${varName}'${via.length ? ` (in the value of '${[...via].reverse().join("', used by '")}')` : ""}`);
    this.name = "UndefinedVarError";
  }
}

/** A type or value problem while evaluating (comparing a string with a number, unknown filter…). */
export class ExprEvalError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ExprEvalError";
  }
}

const cache = new Map<string, Node>();

/**
 * Parse an expression (without surrounding `{{ }}`) into a jsep AST; results are cached.
 * Throws ExprSyntaxError.
 */
export function parseExpr(text: string, strings: StringMode = "python"): Node {
  const key = strings === "raw" ? `\0${text}` : text;
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
  checkSupported(ast);
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

const PY_ESCAPES = new Set(["n", "t", "r", "\\", "'", '"', "b", "f", "v"]);

/** A string literal (quotes included) rewritten so that jsep's JavaScript unescaping gives the `mode` value. */
function literal(lit: string, mode: StringMode): string {
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
function preprocess(text: string, strings: StringMode): string {
  let out = "";
  let chunk = "";
  const flush = () => {
    let c = chunk.replace(/\bnot\s+in\b/g, "not in");
    // `item.0` (Jinja attribute-by-index) -> item[0]; numbers like 1.5 are left alone.
    for (let prev = ""; prev !== c; ) {
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

const NOT_BINDS_LOOSER = new Set(["==", "!=", "<", "<=", ">", ">=", "in", "not in", "~", "+", "-", "*", "/", "//", "%", "is", "|"]);

/** jsep binds unary `not` to the next token; Jinja's `not` binds looser than comparisons. */
function reassociateNot(n: Node): Node {
  switch (n.type) {
    case "BinaryExpression": {
      const b = n as jsep.BinaryExpression;
      const left = reassociateNot(b.left);
      const right = reassociateNot(b.right);
      const l = left as jsep.UnaryExpression & { paren?: boolean };
      if (NOT_BINDS_LOOSER.has(b.operator) && l.type === "UnaryExpression" && l.operator === "not" && !l.paren) {
        return { type: "UnaryExpression", operator: "not", prefix: true, argument: reassociateNot({ ...b, left: l.argument, right }) };
      }
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
      return { ...c, callee: reassociateNot(c.callee), arguments: c.arguments.map(reassociateNot) };
    }
    case "ArrayExpression":
      return { ...n, elements: (n as jsep.ArrayExpression).elements.map((e) => (e ? reassociateNot(e) : e)) };
    case "ConditionalExpression": {
      const c = n as jsep.ConditionalExpression;
      return { ...c, test: reassociateNot(c.test), consequent: reassociateNot(c.consequent), alternate: reassociateNot(c.alternate) };
    }
    default:
      return n;
  }
}

/** Reject syntax jsep accepts but keel does not evaluate, at parse time rather than at run time. */
function checkSupported(n: Node): void {
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
      if (m.computed) checkSupported(m.property);
      return;
    }
    case "BinaryExpression": {
      const b = n as jsep.BinaryExpression;
      checkSupported(b.left);
      if (b.operator === "|") {
        const name = calleeName(b.right);
        if (!name) throw new ExprSyntaxError("a filter name must follow '|'");
        if (!Object.hasOwn(FILTERS, name)) throw new ExprSyntaxError(`unknown filter '${name}'${hintFrom(name, Object.keys(FILTERS))}`);
        if (b.right.type === "CallExpression") (b.right as jsep.CallExpression).arguments.forEach(checkSupported);
        return;
      }
      if (b.operator === "is") {
        let t = b.right;
        if (t.type === "UnaryExpression" && (t as jsep.UnaryExpression).operator === "not") t = (t as jsep.UnaryExpression).argument;
        const name = testName(t);
        if (!name) throw new ExprSyntaxError("a test name must follow 'is' (defined, none, changed, failed…)");
        if (!Object.hasOwn(TESTS, name)) throw new ExprSyntaxError(`unknown test '${name}'${hintFrom(name, Object.keys(TESTS))}`);
        if (t.type === "CallExpression") (t as jsep.CallExpression).arguments.forEach(checkSupported);
        return;
      }
      checkSupported(b.right);
      return;
    }
    case "CallExpression": {
      const c = n as jsep.CallExpression;
      if (c.callee.type === "MemberExpression" && !(c.callee as jsep.MemberExpression).computed) {
        const method = ((c.callee as jsep.MemberExpression).property as jsep.Identifier).name;
        if (!Object.hasOwn(METHODS, method)) throw new ExprSyntaxError(`unsupported method '${method}()'${hintFrom(method, Object.keys(METHODS))}`);
        checkSupported((c.callee as jsep.MemberExpression).object);
      } else if (c.callee.type === "Identifier") {
        const fn = (c.callee as jsep.Identifier).name;
        if (!Object.hasOwn(FUNCTIONS, fn)) throw new ExprSyntaxError(`unknown function '${fn}()'${hintFrom(fn, Object.keys(FUNCTIONS))}`);
      } else {
        throw new ExprSyntaxError("only filters, tests, methods of strings/lists/dicts and range() can be called");
      }
      c.arguments.forEach(checkSupported);
      return;
    }
    default:
      throw new ExprSyntaxError(`unsupported syntax (${n.type})`);
  }
}

function hintFrom(word: string, names: string[]): string {
  const best = didYouMean(word, names);
  return best !== undefined ? `, did you mean '${best}'?` : "";
}

function calleeName(n: Node): string | undefined {
  if (n.type === "Identifier") return (n as jsep.Identifier).name;
  if (n.type === "CallExpression" && (n as jsep.CallExpression).callee.type === "Identifier") {
    return ((n as jsep.CallExpression).callee as jsep.Identifier).name;
  }
  return undefined;
}

function testName(n: Node): string | undefined {
  if (n.type === "Literal" && (n as jsep.Literal).value === null) return "none";
  if (n.type === "Literal" && typeof (n as jsep.Literal).value === "boolean") return String((n as jsep.Literal).raw).toLowerCase();
  return calleeName(n);
}

// ---------------------------------------------------------------------------------------------
// Evaluation

const UNDEF = Symbol("undefined");
type Val = unknown;

/** Evaluate a parsed expression against variables. Throws UndefinedVarError / ExprEvalError. */
export function evalNode(n: Node, vars: Record<string, unknown>): Val {
  const v = ev(n, vars);
  return v;
}

/** Python truthiness: false, None, 0, "", [] and {} are false. */
export function truthy(v: Val): boolean {
  if (v === null || v === undefined || v === false || v === 0 || v === "") return false;
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === "object") return Object.keys(v as object).length > 0;
  if (typeof v === "number" && Number.isNaN(v)) return false;
  return true;
}

function hasOwn(o: unknown, k: string): boolean {
  return o !== null && typeof o === "object" && Object.prototype.hasOwnProperty.call(o, k);
}

/** The dotted path of a member expression, for messages ("item.name", "result['rc']"). */
function pathOf(n: Node): string {
  if (n.type === "Identifier") return (n as jsep.Identifier).name;
  if (n.type === "MemberExpression") {
    const m = n as jsep.MemberExpression;
    if (!m.computed) return `${pathOf(m.object)}.${(m.property as jsep.Identifier).name}`;
    if (m.property.type === "Literal") return `${pathOf(m.object)}[${String((m.property as jsep.Literal).raw)}]`;
    return `${pathOf(m.object)}[…]`;
  }
  return "(expression)";
}

/** Evaluate, turning "undefined" into the UNDEF marker instead of throwing (for defined/default). */
function evSoft(n: Node, vars: Record<string, unknown>): Val | typeof UNDEF {
  // Plain paths (x, x.y, x['y'], x[0]) are resolved without exceptions: `is defined` and
  // `| default` are common in loops and templates, and a thrown error costs a stack trace.
  const path = plainPath(n);
  if (path) {
    let v: unknown = vars;
    try {
      for (const k of path) {
        if (Array.isArray(v) || typeof v === "string") {
          if (typeof k !== "number") return UNDEF;
          const i = k < 0 ? v.length + k : k;
          if (i < 0 || i >= v.length) return UNDEF;
          v = v[i];
        } else if (v !== null && typeof v === "object" && hasOwn(v, String(k))) v = (v as Record<string, unknown>)[String(k)];
        else return UNDEF;
      }
    } catch (e) {
      // a variable whose own template uses an undefined variable is itself undefined
      if (e instanceof UndefinedVarError) return UNDEF;
      throw e;
    }
    return v;
  }
  try {
    return ev(n, vars);
  } catch (e) {
    if (e instanceof UndefinedVarError) return UNDEF;
    throw e;
  }
}

/** The keys of a plain path (a.b['c'][0]), or undefined for anything else. */
function plainPath(n: Node): (string | number)[] | undefined {
  if (n.type === "Identifier") return [(n as jsep.Identifier).name];
  if (n.type !== "MemberExpression") return undefined;
  const m = n as jsep.MemberExpression;
  const base = plainPath(m.object);
  if (!base) return undefined;
  if (!m.computed) return [...base, (m.property as jsep.Identifier).name];
  if (m.property.type === "Literal") {
    const v = (m.property as jsep.Literal).value;
    if (typeof v === "string" || (typeof v === "number" && Number.isInteger(v))) return [...base, v];
  }
  return undefined;
}

function ev(n: Node, vars: Record<string, unknown>): Val {
  switch (n.type) {
    case "Literal":
      return (n as jsep.Literal).value;
    case "Identifier": {
      const name = (n as jsep.Identifier).name;
      if (!hasOwn(vars, name)) throw new UndefinedVarError(name);
      return vars[name];
    }
    case "ArrayExpression":
      return (n as jsep.ArrayExpression).elements.map((e) => ev(e!, vars));
    case "MemberExpression": {
      const m = n as jsep.MemberExpression;
      const obj = ev(m.object, vars);
      const key = m.computed ? ev(m.property, vars) : (m.property as jsep.Identifier).name;
      return member(obj, key, () => pathOf(n));
    }
    case "ConditionalExpression": {
      const c = n as jsep.ConditionalExpression;
      return truthy(ev(c.test, vars)) ? ev(c.consequent, vars) : ev(c.alternate, vars);
    }
    case "UnaryExpression": {
      const u = n as jsep.UnaryExpression;
      const v = ev(u.argument, vars);
      if (u.operator === "not") return !truthy(v);
      if (u.operator === "-") return -num(v, "-");
      if (u.operator === "+") return num(v, "+");
      throw new ExprEvalError(`unsupported operator '${u.operator}'`);
    }
    case "BinaryExpression":
      return binary(n as jsep.BinaryExpression, vars);
    case "CallExpression":
      return call(n as jsep.CallExpression, vars);
    default:
      throw new ExprEvalError(`unsupported syntax (${n.type})`);
  }
}

function member(obj: Val, key: Val, path: () => string): Val {
  if (Array.isArray(obj) || typeof obj === "string") {
    if (typeof key === "number" && Number.isInteger(key)) {
      const i = key < 0 ? obj.length + key : key;
      if (i < 0 || i >= obj.length) throw new UndefinedVarError(path());
      return obj[i];
    }
    throw new UndefinedVarError(path());
  }
  if (obj !== null && typeof obj === "object") {
    const k = String(key);
    if (!hasOwn(obj, k)) throw new UndefinedVarError(path());
    return (obj as Record<string, unknown>)[k];
  }
  throw new UndefinedVarError(path());
}

function num(v: Val, op: string): number {
  if (typeof v === "number") return v;
  if (typeof v === "boolean") return v ? 1 : 0;
  throw new ExprEvalError(`'${op}' needs numbers, got ${typeName(v)} (use '| int' to convert a string)`);
}

export function typeName(v: Val): string {
  if (v === null || v === undefined) return "none";
  if (Array.isArray(v)) return "list";
  if (typeof v === "object") return "dict";
  if (typeof v === "number") return Number.isInteger(v) ? "int" : "float";
  if (typeof v === "boolean") return "bool";
  return typeof v === "string" ? "string" : typeof v;
}

/** Python-like deep equality (1 == 1.0, but "1" != 1). */
export function deepEqual(a: Val, b: Val): boolean {
  if (a === b) return true;
  if (a === null || b === null || a === undefined || b === undefined) return (a ?? null) === (b ?? null);
  if (typeof a === "boolean" || typeof b === "boolean") {
    return (typeof a === "number" || typeof b === "number") && Number(a) === Number(b);
  }
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  if (typeof a === "object" && typeof b === "object" && !Array.isArray(a) && !Array.isArray(b)) {
    const ka = Object.keys(a as object);
    const kb = Object.keys(b as object);
    return ka.length === kb.length && ka.every((k) => hasOwn(b, k) && deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
  }
  return false;
}

function compare(a: Val, b: Val, op: string): boolean {
  let c: number;
  if (typeof a === "number" && typeof b === "number") c = a - b;
  else if (typeof a === "string" && typeof b === "string") c = a < b ? -1 : a > b ? 1 : 0;
  else throw new ExprEvalError(`cannot compare ${typeName(a)} with ${typeName(b)} using '${op}' (convert with '| int' or '| string')`);
  switch (op) {
    case "<":
      return c < 0;
    case "<=":
      return c <= 0;
    case ">":
      return c > 0;
    default:
      return c >= 0;
  }
}

function contains(container: Val, item: Val): boolean {
  if (typeof container === "string") {
    if (typeof item !== "string") throw new ExprEvalError(`'in <string>' needs a string on the left, got ${typeName(item)}`);
    return container.includes(item);
  }
  if (Array.isArray(container)) return container.some((x) => deepEqual(x, item));
  if (container !== null && typeof container === "object") return hasOwn(container, String(item));
  throw new ExprEvalError(`'in' needs a string, list or dict on the right, got ${typeName(container)}`);
}

function binary(b: jsep.BinaryExpression, vars: Record<string, unknown>): Val {
  switch (b.operator) {
    case "and": {
      const l = ev(b.left, vars);
      return truthy(l) ? ev(b.right, vars) : l;
    }
    case "or": {
      const l = ev(b.left, vars);
      return truthy(l) ? l : ev(b.right, vars);
    }
    case "|":
      return applyFilter(b, vars);
    case "is":
      return applyTest(b, vars);
  }
  const l = ev(b.left, vars);
  const r = ev(b.right, vars);
  switch (b.operator) {
    case "==":
      return deepEqual(l, r);
    case "!=":
      return !deepEqual(l, r);
    case "<":
    case "<=":
    case ">":
    case ">=":
      return compare(l, r, b.operator);
    case "in":
      return contains(r, l);
    case "not in":
      return !contains(r, l);
    case "~":
      return toText(l) + toText(r);
    case "+":
      if (typeof l === "string" && typeof r === "string") return l + r;
      if (Array.isArray(l) && Array.isArray(r)) return [...l, ...r];
      return num(l, "+") + num(r, "+");
    case "-":
      return num(l, "-") - num(r, "-");
    case "*":
      return num(l, "*") * num(r, "*");
    case "/": {
      const d = num(r, "/");
      if (d === 0) throw new ExprEvalError("division by zero");
      return num(l, "/") / d;
    }
    case "//": {
      const d = num(r, "//");
      if (d === 0) throw new ExprEvalError("division by zero");
      return Math.floor(num(l, "//") / d);
    }
    case "%": {
      const d = num(r, "%");
      if (d === 0) throw new ExprEvalError("division by zero");
      const x = num(l, "%");
      return ((x % d) + d) % d;
    }
  }
  throw new ExprEvalError(`unsupported operator '${b.operator}'`);
}

/** How a value reads inside text: strings as-is, None as "", lists and dicts as JSON. */
export function toText(v: Val): string {
  if (v === null || v === undefined) return "";
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  return JSON.stringify(v);
}

function args(c: Node, vars: Record<string, unknown>): Val[] {
  return c.type === "CallExpression" ? (c as jsep.CallExpression).arguments.map((a) => ev(a, vars)) : [];
}

type Filter = (v: Val, args: Val[]) => Val;

function needList(v: Val, f: string): unknown[] {
  if (Array.isArray(v)) return v;
  if (typeof v === "string") return [...v];
  if (v !== null && typeof v === "object") return Object.keys(v);
  throw new ExprEvalError(`filter '${f}' needs a list, got ${typeName(v)}`);
}

function needStr(v: Val, f: string): string {
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  throw new ExprEvalError(`filter '${f}' needs a string, got ${typeName(v)}`);
}

/** Ansible's `| bool`: "yes", "on", "true", "1" (any case) are true. */
export function toBool(v: Val): boolean {
  if (typeof v === "boolean") return v;
  if (typeof v === "number") return v === 1;
  if (typeof v === "string") return ["yes", "on", "true", "1", "y"].includes(v.trim().toLowerCase());
  return false;
}

function toInt(v: Val, dflt: Val = 0): Val {
  if (typeof v === "number") return Math.trunc(v);
  if (typeof v === "boolean") return v ? 1 : 0;
  if (typeof v === "string" && /^\s*[-+]?\d+(\.\d*)?\s*$/.test(v)) return Math.trunc(Number(v));
  return dflt;
}

const FILTERS: Record<string, Filter> = {
  bool: (v) => toBool(v),
  length: (v) => needList(v, "length").length,
  count: (v) => needList(v, "count").length,
  int: (v, a) => toInt(v, a[0] ?? 0),
  float: (v, a) => {
    const n = typeof v === "number" ? v : typeof v === "string" ? Number(v) : NaN;
    return Number.isNaN(n) ? (a[0] ?? 0) : n;
  },
  string: (v) => toText(v),
  lower: (v) => needStr(v, "lower").toLowerCase(),
  upper: (v) => needStr(v, "upper").toUpperCase(),
  capitalize: (v) => {
    const s = needStr(v, "capitalize");
    return s.charAt(0).toUpperCase() + s.slice(1).toLowerCase();
  },
  trim: (v) => needStr(v, "trim").trim(),
  replace: (v, a) => needStr(v, "replace").split(needStr(a[0], "replace")).join(needStr(a[1] ?? "", "replace")),
  join: (v, a) => needList(v, "join").map(toText).join(a[0] === undefined ? "" : needStr(a[0], "join")),
  first: (v) => {
    const l = needList(v, "first");
    if (l.length === 0) throw new ExprEvalError("filter 'first' on an empty list");
    return l[0];
  },
  last: (v) => {
    const l = needList(v, "last");
    if (l.length === 0) throw new ExprEvalError("filter 'last' on an empty list");
    return l[l.length - 1];
  },
  list: (v) => [...needList(v, "list")],
  unique: (v) => needList(v, "unique").filter((x, i, l) => l.findIndex((y) => deepEqual(x, y)) === i),
  sort: (v) =>
    [...needList(v, "sort")].sort((a, b) => {
      if (typeof a === "number" && typeof b === "number") return a - b;
      return toText(a) < toText(b) ? -1 : toText(a) > toText(b) ? 1 : 0;
    }),
  reverse: (v) => (typeof v === "string" ? [...v].reverse().join("") : [...needList(v, "reverse")].reverse()),
  min: (v) => Math.min(...needList(v, "min").map((x) => num(x, "min"))),
  max: (v) => Math.max(...needList(v, "max").map((x) => num(x, "max"))),
  sum: (v) => needList(v, "sum").reduce((s: number, x) => s + num(x, "sum"), 0),
  abs: (v) => Math.abs(num(v, "abs")),
  round: (v, a) => {
    const p = 10 ** Number(a[0] ?? 0);
    return Math.round(num(v, "round") * p) / p;
  },
  basename: (v) => needStr(v, "basename").replace(/\/+$/, "").split("/").pop() ?? "",
  dirname: (v) => {
    const s = needStr(v, "dirname");
    const i = s.lastIndexOf("/");
    return i < 0 ? "" : i === 0 ? "/" : s.slice(0, i);
  },
  quote: (v) => {
    const s = toText(v);
    return /^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
  },
  to_json: (v) => JSON.stringify(v),
  to_nice_json: (v) => JSON.stringify(v, null, 4),
  from_json: (v) => {
    try {
      return JSON.parse(needStr(v, "from_json"));
    } catch (e) {
      throw new ExprEvalError(`filter 'from_json': ${(e as Error).message}`);
    }
  },
  dict2items: (v) => {
    if (v === null || typeof v !== "object" || Array.isArray(v)) throw new ExprEvalError(`filter 'dict2items' needs a dict, got ${typeName(v)}`);
    return Object.entries(v).map(([key, value]) => ({ key, value }));
  },
  items2dict: (v) => Object.fromEntries(needList(v, "items2dict").map((e) => [String((e as Record<string, unknown>)?.key), (e as Record<string, unknown>)?.value])),
  regex_search: (v, a) => {
    const m = new RegExp(needStr(a[0], "regex_search")).exec(needStr(v, "regex_search"));
    return m ? m[0] : null;
  },
  regex_replace: (v, a) => needStr(v, "regex_replace").replace(new RegExp(needStr(a[0], "regex_replace"), "g"), needStr(a[1] ?? "", "regex_replace").replace(/\\(\d)/g, "$$$1")),
  // default/d and mandatory are handled in applyFilter because they look at undefined values.
  default: (v) => v,
  d: (v) => v,
  mandatory: (v) => v,
};

function applyFilter(b: jsep.BinaryExpression, vars: Record<string, unknown>): Val {
  const name = calleeName(b.right)!;
  if (name === "default" || name === "d") {
    const v = evSoft(b.left, vars);
    const a = args(b.right, vars);
    const orFalsy = a[1] === true;
    if (v === UNDEF || (orFalsy && !truthy(v))) return a[0] ?? "";
    return v;
  }
  if (name === "mandatory") {
    const v = evSoft(b.left, vars);
    if (v === UNDEF) throw new UndefinedVarError(pathOf(b.left));
    return v;
  }
  const f = Object.hasOwn(FILTERS, name) ? FILTERS[name] : undefined;
  if (!f) throw new ExprEvalError(`unknown filter '${name}'`);
  return f(ev(b.left, vars), args(b.right, vars));
}

type Test = (v: Val, args: Val[]) => boolean;

function resultField(v: Val, test: string): Record<string, unknown> {
  if (v === null || typeof v !== "object" || Array.isArray(v)) {
    throw new ExprEvalError(`test '${test}' needs a registered task result, got ${typeName(v)}`);
  }
  return v as Record<string, unknown>;
}

const TESTS: Record<string, Test> = {
  // defined/undefined are handled in applyTest.
  defined: () => true,
  undefined: () => false,
  none: (v) => v === null || v === undefined,
  changed: (v) => resultField(v, "changed").changed === true,
  change: (v) => resultField(v, "changed").changed === true,
  failed: (v) => resultField(v, "failed").failed === true,
  failure: (v) => resultField(v, "failed").failed === true,
  succeeded: (v) => resultField(v, "succeeded").failed !== true,
  success: (v) => resultField(v, "succeeded").failed !== true,
  successful: (v) => resultField(v, "succeeded").failed !== true,
  skipped: (v) => resultField(v, "skipped").skipped === true,
  skip: (v) => resultField(v, "skipped").skipped === true,
  true: (v) => v === true,
  false: (v) => v === false,
  truthy: (v) => truthy(v),
  falsy: (v) => !truthy(v),
  string: (v) => typeof v === "string",
  number: (v) => typeof v === "number",
  integer: (v) => typeof v === "number" && Number.isInteger(v),
  float: (v) => typeof v === "number" && !Number.isInteger(v),
  boolean: (v) => typeof v === "boolean",
  mapping: (v) => v !== null && typeof v === "object" && !Array.isArray(v),
  sequence: (v) => Array.isArray(v) || typeof v === "string",
  iterable: (v) => Array.isArray(v) || typeof v === "string" || (v !== null && typeof v === "object"),
  even: (v) => num(v, "even") % 2 === 0,
  odd: (v) => Math.abs(num(v, "odd") % 2) === 1,
  divisibleby: (v, a) => num(v, "divisibleby") % num(a[0], "divisibleby") === 0,
  eq: (v, a) => deepEqual(v, a[0]),
  equalto: (v, a) => deepEqual(v, a[0]),
  ne: (v, a) => !deepEqual(v, a[0]),
  in: (v, a) => contains(a[0], v),
  match: (v, a) => new RegExp(`^(?:${needStr(a[0], "match")})`).test(needStr(v, "match")),
  search: (v, a) => new RegExp(needStr(a[0], "search")).test(needStr(v, "search")),
  regex: (v, a) => new RegExp(needStr(a[0], "regex")).test(needStr(v, "regex")),
  startswith: (v, a) => needStr(v, "startswith").startsWith(needStr(a[0], "startswith")),
  endswith: (v, a) => needStr(v, "endswith").endsWith(needStr(a[0], "endswith")),
};

function applyTest(b: jsep.BinaryExpression, vars: Record<string, unknown>): boolean {
  let t = b.right;
  let negate = false;
  if (t.type === "UnaryExpression" && (t as jsep.UnaryExpression).operator === "not") {
    negate = true;
    t = (t as jsep.UnaryExpression).argument;
  }
  const name = testName(t)!;
  let result: boolean;
  if (name === "defined" || name === "undefined") {
    const v = evSoft(b.left, vars);
    result = (v !== UNDEF) === (name === "defined");
  } else {
    const f = Object.hasOwn(TESTS, name) ? TESTS[name] : undefined;
    if (!f) throw new ExprEvalError(`unknown test '${name}'`);
    result = f(ev(b.left, vars), args(t, vars));
  }
  return negate ? !result : result;
}

type Method = (self: Val, args: Val[]) => Val;

function strSelf(v: Val, m: string): string {
  if (typeof v !== "string") throw new ExprEvalError(`method '${m}()' needs a string, got ${typeName(v)}`);
  return v;
}

function dictSelf(v: Val, m: string): Record<string, unknown> {
  if (v === null || typeof v !== "object" || Array.isArray(v)) throw new ExprEvalError(`method '${m}()' needs a dict, got ${typeName(v)}`);
  return v as Record<string, unknown>;
}

/** Python methods Ansible users call on strings and dicts. Only these; nothing else is reachable. */
const METHODS: Record<string, Method> = {
  startswith: (s, a) => strSelf(s, "startswith").startsWith(needStr(a[0], "startswith")),
  endswith: (s, a) => strSelf(s, "endswith").endsWith(needStr(a[0], "endswith")),
  lower: (s) => strSelf(s, "lower").toLowerCase(),
  upper: (s) => strSelf(s, "upper").toUpperCase(),
  strip: (s) => strSelf(s, "strip").trim(),
  split: (s, a) => (a[0] === undefined ? strSelf(s, "split").trim().split(/\s+/) : strSelf(s, "split").split(needStr(a[0], "split"))),
  splitlines: (s) => strSelf(s, "splitlines").split(/\r?\n/).filter((l, i, all) => !(i === all.length - 1 && l === "")),
  replace: (s, a) => strSelf(s, "replace").split(needStr(a[0], "replace")).join(needStr(a[1] ?? "", "replace")),
  get: (d, a) => {
    const o = dictSelf(d, "get");
    const k = String(a[0]);
    return hasOwn(o, k) ? o[k] : (a[1] ?? null);
  },
  keys: (d) => Object.keys(dictSelf(d, "keys")),
  values: (d) => Object.values(dictSelf(d, "values")),
  items: (d) => Object.entries(dictSelf(d, "items")),
};

const FUNCTIONS: Record<string, (a: Val[]) => Val> = {
  range: (a) => {
    const [start, stop, step] = a.length === 1 ? [0, num(a[0], "range"), 1] : [num(a[0], "range"), num(a[1], "range"), a[2] === undefined ? 1 : num(a[2], "range")];
    if (step === 0) throw new ExprEvalError("range() step must not be zero");
    const out: number[] = [];
    for (let i = start; step > 0 ? i < stop : i > stop; i += step) {
      out.push(i);
      if (out.length > 100000) throw new ExprEvalError("range() too large");
    }
    return out;
  },
};

function call(c: jsep.CallExpression, vars: Record<string, unknown>): Val {
  if (c.callee.type === "MemberExpression" && !(c.callee as jsep.MemberExpression).computed) {
    const m = c.callee as jsep.MemberExpression;
    const method = (m.property as jsep.Identifier).name;
    const self = ev(m.object, vars);
    const f = Object.hasOwn(METHODS, method) ? METHODS[method] : undefined;
    if (!f) throw new ExprEvalError(`unsupported method '${method}()'`);
    return f(self, c.arguments.map((a) => ev(a, vars)));
  }
  const fname = (c.callee as jsep.Identifier).name;
  const fn = Object.hasOwn(FUNCTIONS, fname) ? FUNCTIONS[fname] : undefined;
  if (!fn) throw new ExprEvalError("unsupported call");
  return fn(c.arguments.map((a) => ev(a, vars)));
}

/** Names of the supported filters and tests, for documentation and hints. */
export const FILTER_NAMES = Object.keys(FILTERS).sort();
export const TEST_NAMES = Object.keys(TESTS).sort();
