// The safe expression language of `when`, `changed_when`, `failed_when`, `until` and of `{{ … }}`
// bodies that plain Handlebars cannot take (filters, comparisons, `~`…).
//
// Parsing is done by jsep (a small, well-kept expression parser) configured with the Jinja-style
// operators Ansible users write; evaluation is our own AST walker below. Nothing is ever handed to
// eval/new Function, and property access only reads own properties of plain data (no prototypes).
//
// Precedence, low -> high (Jinja's order): or < and < not < comparisons (== != < <= > >= in, not in)
// < ~ < + - < * / % < is (tests) < | (filters) < unary - < member access.
import { createHash } from "node:crypto";
import jsep from "jsep";
import YAML from "yaml";
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
      if (!entry || entry.type !== "BinaryExpression" || (entry as jsep.BinaryExpression).operator !== ":") this.throwError("a dict literal holds `key: value` pairs");
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
    case "DictExpression":
      return { ...n, entries: (n as DictExpression).entries.map(reassociateNot) };
    case "SequenceExpression":
      return { ...n, expressions: (n as jsep.Expression & { expressions: Node[] }).expressions.map(reassociateNot) };
    default:
      return n;
  }
}

/** Controller-side Jinja/Ansible functions keel does not have, with what to do instead. */
const UNSUPPORTED_FUNCTIONS: Record<string, string> = {
  lookup: "lookups run plugins on the controller, which keel does not have; pass the value with -e (e.g. -e home=$HOME), or put it in vars / vars_files",
  query: "lookups run plugins on the controller, which keel does not have; pass the value with -e, or put it in vars / vars_files",
  q: "lookups run plugins on the controller, which keel does not have; pass the value with -e, or put it in vars / vars_files",
  now: "keel templates do not read the clock; pass a timestamp with -e",
  undef: "leave the variable out, or give it a value",
};

/** Filters Ansible has that keel does not, with what to do instead. */
const UNSUPPORTED_FILTERS: Record<string, string> = {
  password_hash: "hashing with a random salt is not idempotent; hash the password once (mkpasswd -m sha-512) and give the hash",
  json_query: "keel has no JMESPath; use selectattr/map, e.g. users | selectattr('state', '==', 'present') | map(attribute='name')",
  random: "keel renders the same output on every run; choose the value in vars",
  shuffle: "keel renders the same output on every run; choose the order in vars",
  to_uuid: "not supported; put the value in vars",
  realpath: "paths on the controller are not read by templates",
  expanduser: "paths on the controller are not read by templates; write the full path",
  fileglob: "paths on the controller are not read by templates; list the files",
  vault: "not supported in templates; use `keel vault`",
  unvault: "not supported in templates; use `keel vault`",
  ipaddr: "not supported",
  ansible_ipaddr: "not supported",
  ipv4: "not supported",
  ipv6: "not supported",
  from_yaml_all: "not supported; use from_yaml on one document",
  to_datetime: "not supported",
  strftime: "keel templates do not read the clock; pass a timestamp with -e",
  subelements: "loop over the outer list and use item.sublist in an included file's tasks",
  product: "not supported",
  permutations: "not supported",
  combinations: "not supported",
  xmlattr: "not supported",
  urlencode: "not supported",
  urlsplit: "not supported",
};

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
      if (b.operator === "=") throw new ExprSyntaxError("'=' is not a comparison (write '=='); `name=value` is only for keyword arguments, as in map(attribute='name')");
      if (b.operator === ":") throw new ExprSyntaxError("':' belongs in a slice (x[1:3]) or a dict literal ({'key': value})");
      checkSupported(b.left);
      if (b.operator === "|") {
        const name = calleeName(b.right);
        if (!name) throw new ExprSyntaxError("a filter name must follow '|'");
        if (Object.hasOwn(UNSUPPORTED_FILTERS, name)) throw new ExprSyntaxError(`filter '${name}' is not supported by keel: ${UNSUPPORTED_FILTERS[name]}`);
        if (!Object.hasOwn(FILTERS, name)) throw new ExprSyntaxError(`unknown filter '${name}'${hintFrom(name, Object.keys(FILTERS))}`);
        if (b.right.type === "CallExpression") {
          const args = (b.right as jsep.CallExpression).arguments;
          checkArgs(args);
          const allowed = FILTER_KW[name] ?? [];
          for (const a of args) {
            const k = isOp(a, "=") ? ((a as jsep.BinaryExpression).left as jsep.Identifier).name : undefined;
            if (k !== undefined && !allowed.includes(k)) throw new ExprSyntaxError(`filter '${name}' has no argument '${k}'${allowed.length ? ` (it takes ${allowed.join(", ")})` : ""}`);
          }
        }
        return;
      }
      if (b.operator === "is") {
        let t = b.right;
        if (t.type === "UnaryExpression" && (t as jsep.UnaryExpression).operator === "not") t = (t as jsep.UnaryExpression).argument;
        const name = testName(t);
        if (!name) throw new ExprSyntaxError("a test name must follow 'is' (defined, none, changed, failed…)");
        if (CONTROLLER_TESTS.has(name)) throw new ExprSyntaxError(`test '${name}' looks at the controller's files, which keel templates do not read; check the host with a task (stat via command, register, then test the result)`);
        if (!Object.hasOwn(TESTS, name)) throw new ExprSyntaxError(`unknown test '${name}'${hintFrom(name, Object.keys(TESTS))}`);
        if (t.type === "CallExpression") checkArgs((t as jsep.CallExpression).arguments);
        return;
      }
      if (b.operator === "else" && !isOp(b.left, "if") && !isOp(b.left, "else")) throw new ExprSyntaxError("'else' without 'if': write `a if condition else b`");
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
        if (Object.hasOwn(UNSUPPORTED_FUNCTIONS, fn)) throw new ExprSyntaxError(`${fn}() is not supported by keel: ${UNSUPPORTED_FUNCTIONS[fn]}`);
        if (!Object.hasOwn(FUNCTIONS, fn)) throw new ExprSyntaxError(`unknown function '${fn}()'${hintFrom(fn, Object.keys(FUNCTIONS))}`);
      } else {
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
function checkArgs(args: Node[]): void {
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

interface DictExpression extends jsep.Expression {
  type: "DictExpression";
  entries: jsep.BinaryExpression[];
}

function isOp(n: Node, op: string): boolean {
  return n.type === "BinaryExpression" && (n as jsep.BinaryExpression).operator === op && !(n as { paren?: boolean }).paren;
}

/** The parts of `a:b:c` (parsed left-associatively as (a:b):c). */
function sliceParts(n: Node): Node[] {
  return isOp(n, ":") ? [...sliceParts((n as jsep.BinaryExpression).left), (n as jsep.BinaryExpression).right] : [n];
}

/** Tests that look at the controller's file system. */
const CONTROLLER_TESTS = new Set(["file", "directory", "link", "exists", "abs", "mount", "same_file", "is_file", "is_dir", "is_link"]);

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
    case "SequenceExpression": // a tuple: (a, b)
      return (n as jsep.Expression & { expressions: Node[] }).expressions.map((e) => ev(e, vars));
    case "DictExpression": {
      const out: Record<string, unknown> = {};
      for (const e of (n as DictExpression).entries) {
        const k = ev(e.left, vars);
        if (k !== null && typeof k === "object") throw new ExprEvalError(`a dict key must be a string or a number, got ${typeName(k)}`);
        out[pyStr(k)] = ev(e.right, vars);
      }
      return out;
    }
    case "MemberExpression": {
      const m = n as jsep.MemberExpression;
      const obj = ev(m.object, vars);
      if (m.computed && isOp(m.property, ":")) return slice(obj, sliceParts(m.property).map((p) => ev(p, vars)));
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

/** Python slicing: x[start:stop:step] on a list or a string; omitted bounds are null. */
function slice(obj: Val, parts: Val[]): Val {
  if (!Array.isArray(obj) && typeof obj !== "string") throw new ExprEvalError(`cannot slice ${typeName(obj)}`);
  const seq: unknown[] = Array.isArray(obj) ? obj : [...obj];
  const bound = (v: Val, what: string): number | null => {
    if (v === null || v === undefined) return null;
    if (typeof v !== "number" || !Number.isInteger(v)) throw new ExprEvalError(`slice ${what} must be an integer, got ${typeName(v)}`);
    return v;
  };
  const [start, stop, step0] = [bound(parts[0], "start"), bound(parts[1], "stop"), bound(parts[2], "step")];
  const step = step0 ?? 1;
  if (step === 0) throw new ExprEvalError("slice step cannot be zero");
  const len = seq.length;
  const adj = (i: number, lo: number, hi: number) => (i < 0 ? Math.max(i + len, lo) : Math.min(i, hi));
  const out: unknown[] = [];
  if (step > 0) {
    const e = stop === null ? len : adj(stop, 0, len);
    for (let i = start === null ? 0 : adj(start, 0, len); i < e; i += step) out.push(seq[i]);
  } else {
    const e = stop === null ? -1 : adj(stop, -1, len - 1);
    for (let i = start === null ? len - 1 : adj(start, -1, len - 1); i > e; i += step) out.push(seq[i]);
  }
  return typeof obj === "string" ? out.join("") : out;
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
    case "if":
    case "else": {
      const v = inlineIf(b, vars);
      return v === NO_BRANCH ? null : v;
    }
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
      return pyStr(l) + pyStr(r);
    case "+":
      if (typeof l === "string" && typeof r === "string") return l + r;
      if (Array.isArray(l) && Array.isArray(r)) return [...l, ...r];
      return num(l, "+") + num(r, "+");
    case "-":
      return num(l, "-") - num(r, "-");
    case "*":
      if ((typeof l === "string" || Array.isArray(l)) && typeof r === "number" && Number.isInteger(r)) {
        return typeof l === "string" ? l.repeat(Math.max(0, r)) : Array.from({ length: Math.max(0, r) }, () => l).flat();
      }
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
      if (typeof l === "string") return printf(l, r);
      const d = num(r, "%");
      if (d === 0) throw new ExprEvalError("division by zero");
      const x = num(l, "%");
      return ((x % d) + d) % d;
    }
  }
  throw new ExprEvalError(`unsupported operator '${b.operator}'`);
}

/** How a value reads inside text, as in Ansible: None as "", True/False, lists and dicts as Python shows them. */
export function toText(v: Val): string {
  return v === null || v === undefined ? "" : pyStr(v);
}

/** Python's str(): None, True/False, numbers, and repr() of lists and dicts (`['a', 1]`, `{'k': 'v'}`). */
export function pyStr(v: Val): string {
  if (typeof v === "string") return v;
  return pyRepr(v);
}

function pyRepr(v: Val): string {
  if (v === null || v === undefined) return "None";
  if (typeof v === "boolean") return v ? "True" : "False";
  if (typeof v === "number") return Number.isNaN(v) ? "nan" : v === Infinity ? "inf" : v === -Infinity ? "-inf" : String(v);
  if (typeof v === "string") {
    const q = v.includes("'") && !v.includes('"') ? '"' : "'";
    const body = v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/\r/g, "\\r").replace(/\t/g, "\\t");
    return q + (q === "'" ? body.replace(/'/g, "\\'") : body) + q;
  }
  if (Array.isArray(v)) return `[${v.map(pyRepr).join(", ")}]`;
  if (typeof v === "object") return `{${Object.entries(v as object).map(([k, x]) => `${pyRepr(k)}: ${pyRepr(x)}`).join(", ")}}`;
  return String(v);
}

/** Python's json.dumps as Ansible calls it: ", " and ": " separators, non-ASCII escaped. */
function pyJson(v: Val, o: { indent?: number; sortKeys?: boolean; ascii?: boolean }, level = 0): string {
  if (v === null || v === undefined) return "null";
  if (typeof v === "boolean") return v ? "true" : "false";
  if (typeof v === "number") return Number.isNaN(v) ? "NaN" : v === Infinity ? "Infinity" : v === -Infinity ? "-Infinity" : String(v);
  if (typeof v === "string") {
    const s = JSON.stringify(v);
    return o.ascii === false ? s : s.replace(/[\u007f-\uffff]/g, (c) => (c === "\u007f" ? c : `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`));
  }
  const pad = o.indent === undefined ? "" : "\n" + " ".repeat(o.indent * (level + 1));
  const end = o.indent === undefined ? "" : "\n" + " ".repeat(o.indent * level);
  const sep = o.indent === undefined ? ", " : ",";
  if (Array.isArray(v)) return v.length ? `[${v.map((x) => pad + pyJson(x, o, level + 1)).join(sep)}${end}]` : "[]";
  if (typeof v === "object") {
    let entries = Object.entries(v as object);
    if (o.sortKeys) entries = entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return entries.length ? `{${entries.map(([k, x]) => `${pad}${pyJson(k, o)}: ${pyJson(x, o, level + 1)}`).join(sep)}${end}}` : "{}";
  }
  return JSON.stringify(String(v));
}

/**
 * YAML as Ansible writes it with PyYAML: to_yaml (leaf collections in flow style, indent 2) and
 * to_nice_yaml (block style, indent 4); keys sorted; lists under a key not indented; allow_unicode.
 * Long strings are not folded at 80 columns as PyYAML does (same value, different layout).
 */
function toYaml(v: Val, nice: boolean, n: number): string {
  const scalar = (x: Val): string => {
    if (x === null || x === undefined) return "null";
    if (typeof x === "string") {
      if (x.includes("\n") || /[\u0000-\u0008\u000b-\u001f]/.test(x)) return JSON.stringify(x);
      return YAML.stringify(x, { version: "1.1", singleQuote: true, lineWidth: 0 }).replace(/\n$/, "");
    }
    return pyJson(x, { ascii: false });
  };
  const isLeaf = (x: Val) => (Array.isArray(x) ? x : isDict(x) ? Object.values(x) : [0]).every((y) => y === null || typeof y !== "object");
  const entries = (d: Record<string, unknown>) => Object.entries(d).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const flow = (x: Val): string =>
    Array.isArray(x) ? `[${x.map(flow).join(", ")}]` : isDict(x) ? `{${entries(x).map(([k, y]) => `${scalar(k)}: ${flow(y)}`).join(", ")}}` : scalar(x);
  const inline = (x: Val) => x === null || typeof x !== "object" || (Array.isArray(x) ? x.length === 0 : Object.keys(x).length === 0) || (!nice && isLeaf(x));
  // The lines of a block collection at `ind` spaces; lists under a key are not indented (PyYAML's style).
  const emit = (x: Val, ind: number): string[] => {
    const pad = " ".repeat(ind);
    const out: string[] = [];
    if (Array.isArray(x)) {
      for (const item of x) {
        if (inline(item)) out.push(`${pad}- ${flow(item)}`);
        else {
          const inner = emit(item, ind + n);
          out.push(`${pad}-${" ".repeat(n - 1)}${inner[0]!.slice(ind + n)}`, ...inner.slice(1));
        }
      }
    } else {
      for (const [k, y] of entries(x as Record<string, unknown>)) {
        if (inline(y)) out.push(`${pad}${scalar(k)}: ${flow(y)}`);
        else out.push(`${pad}${scalar(k)}:`, ...emit(y, Array.isArray(y) ? ind : ind + n));
      }
    }
    return out;
  };
  if (inline(v)) return typeof v === "object" && v !== null ? flow(v) + "\n" : scalar(v) + "\n...\n";
  return emit(v, 0).join("\n") + "\n";
}

/** Python's `format % args`: %s %r %d %i %f %e %g %x %o %c %% with flags, width and precision; %(name)s with a dict. */
function printf(fmt: string, arg: Val): string {
  const list = Array.isArray(arg) ? arg : [arg];
  let i = 0;
  const out = fmt.replace(/%(\([^)]*\))?([-+ 0#]*)(\d+|\*)?(?:\.(\d+))?([sridfFeEgGxXoc%])/g, (_m, key: string | undefined, flags: string, width: string | undefined, prec: string | undefined, conv: string) => {
    if (conv === "%") return "%";
    let v: Val;
    if (key) {
      if (arg === null || typeof arg !== "object" || Array.isArray(arg)) throw new ExprEvalError("format requires a mapping for %(name)s");
      const k = key.slice(1, -1);
      if (!hasOwn(arg, k)) throw new ExprEvalError(`format: no key '${k}'`);
      v = (arg as Record<string, unknown>)[k];
    } else {
      if (i >= list.length) throw new ExprEvalError("not enough arguments for format string");
      v = list[i++];
    }
    const p = prec === undefined ? undefined : Number(prec);
    let s: string;
    switch (conv) {
      case "s":
        s = pyStr(v);
        if (p !== undefined) s = s.slice(0, p);
        break;
      case "r":
        s = pyRepr(v);
        break;
      case "d":
      case "i":
        s = String(Math.trunc(num(v, "%d")));
        break;
      case "f":
      case "F":
        s = num(v, "%f").toFixed(p ?? 6);
        break;
      case "e":
      case "E": {
        s = num(v, "%e").toExponential(p ?? 6).replace(/e([+-])(\d)$/, "e$10$2");
        if (conv === "E") s = s.toUpperCase();
        break;
      }
      case "g":
      case "G":
        s = String(Number(num(v, "%g").toPrecision(p || 6)));
        break;
      case "x":
      case "X":
        s = Math.trunc(num(v, "%x")).toString(16);
        if (flags.includes("#")) s = "0x" + s;
        if (conv === "X") s = s.toUpperCase();
        break;
      case "o":
        s = Math.trunc(num(v, "%o")).toString(8);
        if (flags.includes("#")) s = "0o" + s;
        break;
      default: // c
        s = typeof v === "number" ? String.fromCodePoint(v) : pyStr(v);
    }
    if ("dfFeEgGxXo".includes(conv) || conv === "i") {
      if (flags.includes("+") && !s.startsWith("-")) s = "+" + s;
      else if (flags.includes(" ") && !s.startsWith("-")) s = " " + s;
    }
    const w = width === undefined ? 0 : width === "*" ? 0 : Number(width);
    if (s.length < w) {
      if (flags.includes("-")) s = s.padEnd(w);
      else if (flags.includes("0") && conv !== "s" && conv !== "r" && conv !== "c") {
        const sign = /^[-+ ]/.test(s) ? s[0]! : "";
        s = sign + s.slice(sign.length).padStart(w - sign.length, "0");
      } else s = s.padStart(w);
    }
    return s;
  });
  if (i < list.length && !isDict(arg)) throw new ExprEvalError("not all arguments converted during string formatting");
  return out;
}

/** Python's str.format with {} / {0} / {name} fields (no format specs beyond plain fields). */
function pyFormat(fmt: string, a: Val[], kw: Record<string, Val>): string {
  let auto = 0;
  return fmt.replace(/\{\{|\}\}|\{([^{}]*)\}/g, (m, field: string | undefined) => {
    if (m === "{{") return "{";
    if (m === "}}") return "}";
    const name = (field ?? "").split(/[!:]/)[0]!;
    let v: Val;
    if (name === "") v = a[auto++];
    else if (/^\d+$/.test(name)) v = a[Number(name)];
    else {
      if (!hasOwn(kw, name)) throw new ExprEvalError(`format(): no argument named '${name}'`);
      v = kw[name];
    }
    if (v === undefined) throw new ExprEvalError("format(): not enough arguments");
    return pyStr(v);
  });
}

/** Positional and keyword (`name=value`) arguments of a filter, test, method or function call. */
interface Args {
  pos: Val[];
  kw: Record<string, Val>;
}

function callArgs(c: Node, vars: Record<string, unknown>): Args {
  const out: Args = { pos: [], kw: {} };
  if (c.type !== "CallExpression") return out;
  for (const a of (c as jsep.CallExpression).arguments) {
    if (isOp(a, "=")) {
      const b = a as jsep.BinaryExpression;
      out.kw[(b.left as jsep.Identifier).name] = ev(b.right, vars);
    } else out.pos.push(ev(a, vars));
  }
  return out;
}

type Filter = (v: Val, a: Val[], kw: Record<string, Val>) => Val;

function needList(v: Val, f: string): unknown[] {
  if (Array.isArray(v)) return v;
  if (typeof v === "string") return [...v];
  if (v !== null && typeof v === "object") return Object.keys(v);
  throw new ExprEvalError(`filter '${f}' needs a list, got ${typeName(v)}`);
}

function needStr(v: Val, f: string): string {
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "boolean") return pyStr(v);
  throw new ExprEvalError(`filter '${f}' needs a string, got ${typeName(v)}`);
}

function needDict(v: Val, f: string): Record<string, unknown> {
  if (v === null || typeof v !== "object" || Array.isArray(v)) throw new ExprEvalError(`filter '${f}' needs a dict, got ${typeName(v)}`);
  return v as Record<string, unknown>;
}

function isDict(v: Val): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

/** Ansible's `| bool`: "yes", "on", "true", "1" (any case) are true. */
export function toBool(v: Val): boolean {
  if (typeof v === "boolean") return v;
  if (typeof v === "number") return v === 1;
  if (typeof v === "string") return ["yes", "on", "true", "1", "y", "t"].includes(v.trim().toLowerCase());
  return false;
}

function toInt(v: Val, dflt: Val = 0, base = 10): Val {
  if (typeof v === "number") return Math.trunc(v);
  if (typeof v === "boolean") return v ? 1 : 0;
  if (typeof v === "string") {
    const t = v.trim().replace(/_/g, "");
    if (base === 10 && /^[-+]?\d+(\.\d*)?([eE][-+]?\d+)?$/.test(t)) return Math.trunc(Number(t));
    if (base !== 10) {
      const body = t.replace(/^([-+]?)0[xob]/i, "$1");
      const n = parseInt(body, base);
      if (!Number.isNaN(n) && /^[-+]?[0-9a-z]+$/i.test(body)) return n;
    }
  }
  return dflt;
}

/** A value's attribute by a dotted path (`a.b`, list indexes as numbers), or UNDEF. */
function attrOf(v: Val, path: Val): Val | typeof UNDEF {
  const keys = typeof path === "number" ? [path] : String(path).split(".");
  let cur: Val = v;
  for (const k of keys) {
    if (Array.isArray(cur)) {
      const i = Number(k);
      if (!Number.isInteger(i) || i >= cur.length || i < -cur.length) return UNDEF;
      cur = cur[i < 0 ? cur.length + i : i];
    } else if (isDict(cur) && hasOwn(cur, String(k))) cur = cur[String(k)];
    else return UNDEF;
  }
  return cur;
}

function needAttr(v: Val, path: Val, f: string): Val {
  const x = attrOf(v, path);
  if (x === UNDEF) throw new ExprEvalError(`filter '${f}': an item has no attribute '${pyStr(path)}' (${pyRepr(v).slice(0, 80)})`);
  return x;
}

/** Jinja's ordering for sort/min/max: numbers by value, strings case-insensitively unless asked. */
function sortKey(v: Val, caseSensitive: boolean): Val {
  return typeof v === "string" && !caseSensitive ? v.toLowerCase() : v;
}

function order(a: Val, b: Val): number {
  if (typeof a === "number" && typeof b === "number") return a - b;
  if (typeof a === "string" && typeof b === "string") return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === "boolean" || typeof b === "boolean") return Number(a) - Number(b);
  if (Array.isArray(a) && Array.isArray(b)) {
    for (let i = 0; i < Math.min(a.length, b.length); i++) {
      const c = order(a[i], b[i]);
      if (c) return c;
    }
    return a.length - b.length;
  }
  throw new ExprEvalError(`cannot order ${typeName(a)} and ${typeName(b)}`);
}

function pick(v: Val, kw: Record<string, Val>, f: string, sign: 1 | -1): Val {
  const l = needList(v, f);
  if (l.length === 0) throw new ExprEvalError(`filter '${f}' on an empty list`);
  const cs = kw.case_sensitive === true;
  const key = (x: Val) => sortKey(kw.attribute === undefined ? x : needAttr(x, kw.attribute, f), cs);
  return l.reduce((best, x) => (order(key(x), key(best)) * sign > 0 ? x : best));
}

function uniq(l: unknown[], key: (x: Val) => Val = (x) => x): unknown[] {
  const seen: Val[] = [];
  return l.filter((x) => {
    const k = key(x);
    if (seen.some((y) => deepEqual(y, k))) return false;
    seen.push(k);
    return true;
  });
}

/** Python regex syntax -> a JS RegExp: leading (?i)/(?m)/(?s) flags, (?P<name>…), (?P=name), \A, \Z. */
function pyRegex(pattern: Val, f: string, flags: { ignorecase?: Val; multiline?: Val } = {}, global = false): RegExp {
  let src = needStr(pattern, f);
  let fl = global ? "g" : "";
  const lead = /^\(\?([aiLmsux]+)\)/.exec(src);
  if (lead) {
    if (lead[1]!.includes("x")) throw new ExprEvalError(`filter '${f}': verbose regexes ((?x)) are not supported`);
    for (const c of lead[1]!) if ("ims".includes(c) && !fl.includes(c)) fl += c;
    src = src.slice(lead[0].length);
  }
  if (flags.ignorecase === true && !fl.includes("i")) fl += "i";
  if (flags.multiline === true && !fl.includes("m")) fl += "m";
  src = src.replace(/\(\?P</g, "(?<").replace(/\(\?P=(\w+)\)/g, "\\k<$1>").replace(/\\A/g, "^").replace(/\\Z/g, "$");
  try {
    return new RegExp(src, fl);
  } catch (e) {
    throw new ExprEvalError(`filter '${f}': invalid regular expression '${needStr(pattern, f)}': ${(e as Error).message.replace(/^Invalid regular expression: /, "")}`);
  }
}

/** Python's re.sub replacement (\1, \g<1>, \g<name>) -> a JS replacement string. */
function pyReplacement(r: string): string {
  return r.replace(/\$/g, "$$$$").replace(/\\(?:g<(\w+)>|(\d{1,2})|(\\))/g, (_m, g: string | undefined, d: string | undefined, bs: string | undefined) => {
    if (bs) return "\\";
    const ref = g ?? d!;
    return /^\d+$/.test(ref) ? `$${ref}` : `$<${ref}>`;
  });
}

function groupRef(m: RegExpExecArray, ref: Val, f: string): Val {
  const r = needStr(ref, f);
  const g = /^\\(?:g<(\w+)>|(\d+))$/.exec(r);
  if (!g) throw new ExprEvalError(`filter '${f}': a group is written '\\1' or '\\g<name>', got '${r}'`);
  const key = g[1] ?? g[2]!;
  return /^\d+$/.test(key) ? (m[Number(key)] ?? null) : (m.groups?.[key] ?? null);
}

/** Merge dicts as Ansible's combine does. */
function combine2(a: Record<string, unknown>, b: Record<string, unknown>, recursive: boolean, listMerge: string): Record<string, unknown> {
  const out: Record<string, unknown> = { ...a };
  for (const [k, bv] of Object.entries(b)) {
    const av = out[k];
    if (recursive && isDict(av) && isDict(bv)) out[k] = combine2(av, bv, recursive, listMerge);
    else if (Array.isArray(av) && Array.isArray(bv) && hasOwn(out, k)) {
      switch (listMerge) {
        case "keep":
          break;
        case "append":
          out[k] = [...av, ...bv];
          break;
        case "prepend":
          out[k] = [...bv, ...av];
          break;
        case "append_rp":
          out[k] = [...av.filter((x) => !bv.some((y) => deepEqual(x, y))), ...bv];
          break;
        case "prepend_rp":
          out[k] = [...bv, ...av.filter((x) => !bv.some((y) => deepEqual(x, y)))];
          break;
        default:
          out[k] = bv;
      }
    } else out[k] = bv;
  }
  return out;
}

function flatten(l: unknown[], levels: number | undefined, skipNulls: boolean): unknown[] {
  const out: unknown[] = [];
  for (const x of l) {
    if (Array.isArray(x) && (levels === undefined || levels > 0)) out.push(...flatten(x, levels === undefined ? undefined : levels - 1, skipNulls));
    else if (!(skipNulls && (x === null || x === "None"))) out.push(x);
  }
  return out;
}

function looseVersion(v: Val): (number | string)[] {
  return pyStr(v)
    .split(/(\d+|[a-z]+|\.)/i)
    .filter((x) => x && x !== ".")
    .map((x) => (/^\d+$/.test(x) ? Number(x) : x));
}

function versionCompare(a: Val, b: Val, op: Val): boolean {
  const x = looseVersion(a);
  const y = looseVersion(b);
  let c = 0;
  for (let i = 0; i < Math.max(x.length, y.length) && c === 0; i++) {
    const p = x[i];
    const q = y[i];
    if (p === undefined) c = -1;
    else if (q === undefined) c = 1;
    else if (typeof p === typeof q) c = p < q ? -1 : p > q ? 1 : 0;
    else c = typeof p === "number" ? 1 : -1;
  }
  switch (op ?? "eq") {
    case "<":
    case "lt":
      return c < 0;
    case "<=":
    case "le":
      return c <= 0;
    case ">":
    case "gt":
      return c > 0;
    case ">=":
    case "ge":
      return c >= 0;
    case "==":
    case "=":
    case "eq":
      return c === 0;
    case "!=":
    case "<>":
    case "ne":
      return c !== 0;
  }
  throw new ExprEvalError(`test 'version': unknown operator '${pyStr(op)}' (use <, <=, >, >=, ==, !=)`);
}

function hashOf(v: Val, algo: string, f: string): string {
  const a = algo.toLowerCase().replace(/^sha-?/, "sha");
  try {
    return createHash(a).update(needStr(v, f)).digest("hex");
  } catch {
    throw new ExprEvalError(`filter '${f}': unknown hash '${algo}' (md5, sha1, sha256, sha512…)`);
  }
}

/** Jinja's indent filter. */
function indent(s: string, width: Val, first: boolean, blank: boolean): string {
  const ind = typeof width === "string" ? width : " ".repeat(Number(width));
  const lines = (s + "\n").split(/\r\n|\n|\r/);
  lines.pop();
  let rv: string;
  if (blank) rv = lines.join("\n" + ind);
  else {
    rv = lines.shift() ?? "";
    if (lines.length) rv += "\n" + lines.map((l) => (l ? ind + l : l)).join("\n");
  }
  return first ? ind + rv : rv;
}

/** Keyword arguments each filter takes (others are an error). */
const FILTER_KW: Record<string, string[]> = {
  int: ["default", "base"],
  float: ["default"],
  round: ["precision", "method"],
  sort: ["reverse", "case_sensitive", "attribute"],
  unique: ["case_sensitive", "attribute"],
  min: ["case_sensitive", "attribute"],
  max: ["case_sensitive", "attribute"],
  sum: ["attribute", "start"],
  map: ["attribute", "default"],
  combine: ["recursive", "list_merge"],
  flatten: ["levels", "skip_nulls"],
  dict2items: ["key_name", "value_name"],
  items2dict: ["key_name", "value_name"],
  to_json: ["indent", "sort_keys", "ensure_ascii"],
  to_nice_json: ["indent", "sort_keys", "ensure_ascii"],
  to_yaml: ["indent"],
  to_nice_yaml: ["indent"],
  regex_replace: ["ignorecase", "multiline", "count"],
  regex_search: ["ignorecase", "multiline"],
  regex_findall: ["ignorecase", "multiline"],
  indent: ["width", "first", "blank"],
  truncate: ["length", "killwords", "end", "leeway"],
  join: ["attribute"],
  split: [],
  ternary: [],
  zip_longest: ["fillvalue"],
  groupby: ["default", "case_sensitive"],
  dictsort: ["case_sensitive", "by", "reverse"],
  batch: [],
  hash: [],
  default: [],
  d: [],
  mandatory: [],
};

const FILTERS: Record<string, Filter> = {
  bool: (v) => toBool(v),
  length: (v) => needList(v, "length").length,
  count: (v) => needList(v, "count").length,
  int: (v, a, kw) => toInt(v, a[0] ?? kw.default ?? 0, Number(a[1] ?? kw.base ?? 10)),
  float: (v, a, kw) => {
    const n = typeof v === "number" ? v : typeof v === "string" && v.trim() !== "" ? Number(v) : NaN;
    return Number.isNaN(n) ? (a[0] ?? kw.default ?? 0) : n;
  },
  string: (v) => pyStr(v),
  type_debug: (v) => (v === null ? "NoneType" : typeof v === "string" ? "str" : typeof v === "boolean" ? "bool" : typeName(v)),
  lower: (v) => needStr(v, "lower").toLowerCase(),
  upper: (v) => needStr(v, "upper").toUpperCase(),
  capitalize: (v) => {
    const s = needStr(v, "capitalize");
    return s.charAt(0).toUpperCase() + s.slice(1).toLowerCase();
  },
  title: (v) => needStr(v, "title").replace(/[A-Za-z0-9]+/g, (w) => w.charAt(0).toUpperCase() + w.slice(1).toLowerCase()),
  trim: (v) => needStr(v, "trim").trim(),
  replace: (v, a) => {
    const s = needStr(v, "replace");
    const from = needStr(a[0], "replace");
    const to = needStr(a[1] ?? "", "replace");
    const count = a[2] === undefined ? -1 : num(a[2], "replace");
    if (count < 0) return s.split(from).join(to);
    const parts = s.split(from);
    return parts.slice(0, count + 1).join(to) + (parts.length > count + 1 ? from + parts.slice(count + 1).join(from) : "");
  },
  split: (v, a) => {
    const s = needStr(v, "split");
    const max = a[1] === undefined ? -1 : num(a[1], "split");
    if (a[0] === undefined || a[0] === null) {
      // Python's split(None, max): runs of whitespace; the rest after `max` splits is kept as written
      const out: string[] = [];
      let rest = s.trimStart();
      while (rest !== "" && (max < 0 || out.length < max)) {
        const m = /\s+/.exec(rest);
        if (!m) break;
        out.push(rest.slice(0, m.index));
        rest = rest.slice(m.index + m[0].length);
      }
      if (max < 0 || out.length < max) rest = rest.trimEnd();
      if (rest !== "") out.push(rest);
      return out;
    }
    const sep = needStr(a[0], "split");
    if (sep === "") throw new ExprEvalError("filter 'split': empty separator");
    const parts = s.split(sep);
    return max < 0 || parts.length <= max + 1 ? parts : [...parts.slice(0, max), parts.slice(max).join(sep)];
  },
  join: (v, a, kw) => {
    const l = needList(v, "join");
    return (kw.attribute === undefined ? l : l.map((x) => needAttr(x, kw.attribute, "join"))).map(pyStr).join(a[0] === undefined ? "" : needStr(a[0], "join"));
  },
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
  unique: (v, _a, kw) => {
    const cs = kw.case_sensitive === true;
    return uniq(needList(v, "unique"), (x) => sortKey(kw.attribute === undefined ? x : needAttr(x, kw.attribute, "unique"), cs));
  },
  sort: (v, a, kw) => {
    const reverse = (a[0] ?? kw.reverse) === true;
    const cs = (a[1] ?? kw.case_sensitive) === true;
    const attr = a[2] ?? kw.attribute;
    const key = (x: Val) => sortKey(attr === undefined || attr === null ? x : needAttr(x, attr, "sort"), cs);
    const sorted = [...needList(v, "sort")].sort((x, y) => order(key(x), key(y)));
    return reverse ? sorted.reverse() : sorted;
  },
  reverse: (v) => (typeof v === "string" ? [...v].reverse().join("") : [...needList(v, "reverse")].reverse()),
  min: (v, _a, kw) => pick(v, kw, "min", -1),
  max: (v, _a, kw) => pick(v, kw, "max", 1),
  sum: (v, a, kw) => {
    const l = needList(v, "sum");
    const start = a[1] ?? kw.start ?? 0;
    const attr = a[0] ?? kw.attribute;
    const items = attr === undefined ? l : l.map((x) => needAttr(x, attr, "sum"));
    if (Array.isArray(start)) return items.reduce((s: unknown[], x) => [...s, ...(Array.isArray(x) ? x : [x])], start);
    return items.reduce((s: number, x) => s + num(x, "sum"), num(start, "sum"));
  },
  abs: (v) => Math.abs(num(v, "abs")),
  round: (v, a, kw) => {
    const p = Number(a[0] ?? kw.precision ?? 0);
    const method = a[1] ?? kw.method ?? "common";
    const f = 10 ** p;
    const x = num(v, "round") * f;
    if (method === "ceil") return Math.ceil(x) / f;
    if (method === "floor") return Math.floor(x) / f;
    // Python's round(): halves go to the even neighbour (2.5 -> 2, 3.25 -> 3.2)
    const r = Math.round(x);
    return (Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r) / f;
  },
  basename: (v) => {
    const s = needStr(v, "basename");
    return s.slice(s.lastIndexOf("/") + 1);
  },
  dirname: (v) => {
    const s = needStr(v, "dirname");
    const i = s.lastIndexOf("/");
    if (i < 0) return "";
    const head = s.slice(0, i + 1);
    return /^\/+$/.test(head) ? head : head.replace(/\/+$/, "");
  },
  splitext: (v) => {
    const s = needStr(v, "splitext");
    const base = s.slice(s.lastIndexOf("/") + 1);
    const dot = base.lastIndexOf(".");
    if (dot <= 0 || /^\.+$/.test(base.slice(0, dot + 1))) return [s, ""];
    const cut = s.length - (base.length - dot);
    return [s.slice(0, cut), s.slice(cut)];
  },
  path_join: (v) => {
    const parts = (Array.isArray(v) ? v : [v]).map((p) => needStr(p, "path_join"));
    let out = "";
    for (const p of parts) out = p.startsWith("/") || out === "" ? p : out.endsWith("/") ? out + p : `${out}/${p}`;
    return out;
  },
  quote: (v) => {
    const s = pyStr(v ?? "");
    if (s === "") return "''";
    return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'"'"'`)}'`;
  },
  regex_escape: (v) => needStr(v, "regex_escape").replace(/[.^$*+?()[\]{}|\\]/g, "\\$&"),
  b64encode: (v) => Buffer.from(needStr(v, "b64encode"), "utf8").toString("base64"),
  b64decode: (v) => {
    const s = needStr(v, "b64decode").trim();
    if (!/^[A-Za-z0-9+/\s]*={0,2}$/.test(s)) throw new ExprEvalError("filter 'b64decode': not base64");
    return Buffer.from(s, "base64").toString("utf8");
  },
  md5: (v) => hashOf(v, "md5", "md5"),
  sha1: (v) => hashOf(v, "sha1", "sha1"),
  checksum: (v) => hashOf(v, "sha1", "checksum"),
  hash: (v, a) => hashOf(v, needStr(a[0] ?? "sha1", "hash"), "hash"),
  to_json: (v, _a, kw) => pyJson(v, { indent: kw.indent === undefined ? undefined : num(kw.indent, "to_json"), sortKeys: kw.sort_keys === true, ascii: kw.ensure_ascii !== false }),
  to_nice_json: (v, a, kw) => pyJson(v, { indent: num(a[0] ?? kw.indent ?? 4, "to_nice_json"), sortKeys: kw.sort_keys !== false, ascii: kw.ensure_ascii !== false }),
  from_json: (v) => {
    try {
      return JSON.parse(needStr(v, "from_json"));
    } catch (e) {
      throw new ExprEvalError(`filter 'from_json': ${(e as Error).message}`);
    }
  },
  to_yaml: (v, _a, kw) => toYaml(v, false, Number(kw.indent ?? 2)),
  to_nice_yaml: (v, a, kw) => toYaml(v, true, Number(a[0] ?? kw.indent ?? 4)),
  from_yaml: (v) => {
    try {
      return YAML.parse(needStr(v, "from_yaml"));
    } catch (e) {
      throw new ExprEvalError(`filter 'from_yaml': ${(e as Error).message.split("\n")[0]}`);
    }
  },
  dict2items: (v, _a, kw) => {
    const k = String(kw.key_name ?? "key");
    const val = String(kw.value_name ?? "value");
    return Object.entries(needDict(v, "dict2items")).map(([key, value]) => ({ [k]: key, [val]: value }));
  },
  items2dict: (v, _a, kw) => {
    const k = String(kw.key_name ?? "key");
    const val = String(kw.value_name ?? "value");
    return Object.fromEntries(
      needList(v, "items2dict").map((e) => {
        if (!isDict(e) || !hasOwn(e, k) || !hasOwn(e, val)) throw new ExprEvalError(`filter 'items2dict': each item needs '${k}' and '${val}', got ${pyRepr(e).slice(0, 80)}`);
        return [pyStr(e[k]), e[val]];
      }),
    );
  },
  dictsort: (v, a, kw) => {
    const byValue = (a[1] ?? kw.by) === "value";
    const cs = (a[0] ?? kw.case_sensitive) === true;
    const out = Object.entries(needDict(v, "dictsort")).sort((x, y) => order(sortKey(byValue ? x[1] : x[0], cs), sortKey(byValue ? y[1] : y[0], cs)));
    return (a[2] ?? kw.reverse) === true ? out.reverse() : out;
  },
  combine: (v, a, kw) => {
    const dicts = [v, ...a].flatMap((d) => (Array.isArray(d) ? d : [d])).map((d) => needDict(d, "combine"));
    const lm = String(kw.list_merge ?? "replace");
    if (!["replace", "keep", "append", "prepend", "append_rp", "prepend_rp"].includes(lm)) throw new ExprEvalError(`filter 'combine': list_merge is one of replace, keep, append, prepend, append_rp, prepend_rp; got '${lm}'`);
    return dicts.reduce((acc, d) => combine2(acc, d, kw.recursive === true, lm), {});
  },
  ternary: (v, a) => {
    if (a.length < 2) throw new ExprEvalError("filter 'ternary' needs two values: ternary(if_true, if_false)");
    return v === null && a.length > 2 ? a[2] : truthy(v) ? a[0] : a[1];
  },
  flatten: (v, a, kw) => {
    const lv = a[0] ?? kw.levels;
    return flatten(needList(v, "flatten"), lv === undefined || lv === null ? undefined : num(lv, "flatten"), (a[1] ?? kw.skip_nulls) !== false);
  },
  union: (v, a) => uniq([...needList(v, "union"), ...needList(a[0], "union")]),
  intersect: (v, a) => {
    const b = needList(a[0], "intersect");
    return uniq(needList(v, "intersect").filter((x) => b.some((y) => deepEqual(x, y))));
  },
  difference: (v, a) => {
    const b = needList(a[0], "difference");
    return uniq(needList(v, "difference").filter((x) => !b.some((y) => deepEqual(x, y))));
  },
  symmetric_difference: (v, a) => {
    const l = needList(v, "symmetric_difference");
    const b = needList(a[0], "symmetric_difference");
    return uniq([...l.filter((x) => !b.some((y) => deepEqual(x, y))), ...b.filter((x) => !l.some((y) => deepEqual(x, y)))]);
  },
  zip: (v, a) => {
    const lists = [needList(v, "zip"), ...a.map((x) => needList(x, "zip"))];
    const n = Math.min(...lists.map((l) => l.length));
    return Array.from({ length: n }, (_x, i) => lists.map((l) => l[i]));
  },
  zip_longest: (v, a, kw) => {
    const lists = [needList(v, "zip_longest"), ...a.map((x) => needList(x, "zip_longest"))];
    const n = Math.max(...lists.map((l) => l.length));
    return Array.from({ length: n }, (_x, i) => lists.map((l) => (i < l.length ? l[i] : (kw.fillvalue ?? null))));
  },
  batch: (v, a) => {
    const l = needList(v, "batch");
    const n = num(a[0], "batch");
    if (n < 1) throw new ExprEvalError("filter 'batch' needs a size of at least 1");
    const out: unknown[][] = [];
    for (let i = 0; i < l.length; i += n) out.push(l.slice(i, i + n));
    if (a.length > 1 && out.length && out[out.length - 1]!.length < n) out[out.length - 1]!.push(...Array(n - out[out.length - 1]!.length).fill(a[1]));
    return out;
  },
  groupby: (v, a, kw) => {
    const attr = a[0];
    const groups = new Map<string, { key: Val; items: unknown[] }>();
    for (const x of needList(v, "groupby")) {
      let k = attrOf(x, attr);
      if (k === UNDEF) {
        if (!hasOwn(kw, "default")) throw new ExprEvalError(`filter 'groupby': an item has no attribute '${pyStr(attr)}'`);
        k = kw.default;
      }
      const id = JSON.stringify(k);
      const g = groups.get(id) ?? { key: k, items: [] };
      g.items.push(x);
      groups.set(id, g);
    }
    return [...groups.values()].sort((x, y) => order(sortKey(x.key, kw.case_sensitive === true), sortKey(y.key, kw.case_sensitive === true))).map((g) => [g.key, g.items]);
  },
  map: (v, a, kw) => {
    const l = needList(v, "map");
    if (kw.attribute !== undefined) return l.map((x) => (hasOwn(kw, "default") ? ((y) => (y === UNDEF ? kw.default : y))(attrOf(x, kw.attribute)) : needAttr(x, kw.attribute, "map")));
    if (a.length === 0) throw new ExprEvalError("filter 'map' needs a filter name, map('upper'), or an attribute, map(attribute='name')");
    const name = needStr(a[0], "map");
    const rest = { ...kw };
    return l.map((x) => callFilter(name, x, a.slice(1), rest));
  },
  select: (v, a) => needList(v, "select").filter((x) => (a.length ? callTest(needStr(a[0], "select"), x, a.slice(1)) : truthy(x))),
  reject: (v, a) => needList(v, "reject").filter((x) => !(a.length ? callTest(needStr(a[0], "reject"), x, a.slice(1)) : truthy(x))),
  selectattr: (v, a) => needList(v, "selectattr").filter((x) => attrTest(x, a, "selectattr")),
  rejectattr: (v, a) => needList(v, "rejectattr").filter((x) => !attrTest(x, a, "rejectattr")),
  regex_search: (v, a, kw) => {
    const m = pyRegex(a[0], "regex_search", kw).exec(needStr(v, "regex_search"));
    if (!m) return null;
    return a.length > 1 ? a.slice(1).map((g) => groupRef(m, g, "regex_search")) : m[0];
  },
  regex_findall: (v, a, kw) => {
    const re = pyRegex(a[0], "regex_findall", kw, true);
    return [...needStr(v, "regex_findall").matchAll(re)].map((m) => (m.length === 1 ? m[0] : m.length === 2 ? (m[1] ?? "") : m.slice(1).map((g) => g ?? "")));
  },
  regex_replace: (v, a, kw) => {
    const s = needStr(v, "regex_replace");
    const re = pyRegex(a[0], "regex_replace", kw, true);
    const rep = pyReplacement(needStr(a[1] ?? "", "regex_replace"));
    const count = Number(a[2] ?? kw.count ?? 0);
    if (!count) return s.replace(re, rep);
    let n = 0;
    return s.replace(re, (...m) => (n++ < count ? m[0].replace(new RegExp(re.source, re.flags.replace("g", "")), rep) : m[0]));
  },
  indent: (v, a, kw) => indent(needStr(v, "indent"), a[0] ?? kw.width ?? 4, (a[1] ?? kw.first) === true, (a[2] ?? kw.blank) === true),
  truncate: (v, a, kw) => {
    const s = needStr(v, "truncate");
    const length = num(a[0] ?? kw.length ?? 255, "truncate");
    const killwords = (a[1] ?? kw.killwords) === true;
    const end = needStr(a[2] ?? kw.end ?? "...", "truncate");
    const leeway = num(a[3] ?? kw.leeway ?? 5, "truncate");
    if (s.length <= length + leeway) return s;
    if (killwords) return s.slice(0, length - end.length) + end;
    const cut = s.slice(0, length - end.length);
    const sp = cut.lastIndexOf(" ");
    return (sp === -1 ? cut : cut.slice(0, sp)) + end;
  },
  wordcount: (v) => (needStr(v, "wordcount").match(/\w+/g) ?? []).length,
  center: (v, a) => {
    const s = needStr(v, "center");
    const w = num(a[0] ?? 80, "center");
    if (s.length >= w) return s;
    const left = Math.floor((w - s.length) / 2) + ((w - s.length) % 2 && w % 2 ? 1 : 0);
    return " ".repeat(left) + s + " ".repeat(w - s.length - left);
  },
  format: (v, a) => printf(needStr(v, "format"), a),
  // groups['web'] | map('extract', hostvars, 'ansible_host'): container[item], then further keys
  extract: (v, a) => {
    const keys = a[1] === undefined ? [] : Array.isArray(a[1]) ? a[1] : [a[1]];
    let cur = attrOf(a[0], typeof v === "number" ? v : pyStr(v));
    for (const k of keys) if (cur !== UNDEF) cur = attrOf(cur, typeof k === "number" ? k : pyStr(k));
    if (cur === UNDEF) throw new ExprEvalError(`filter 'extract': no ${[v, ...keys].map((k) => `[${pyRepr(k)}]`).join("")} in the container`);
    return cur;
  },
  comment: (v) =>
    "#\n" +
    needStr(v, "comment")
      .split("\n")
      .map((l) => (l ? `# ${l}` : "#"))
      .join("\n") +
    "\n#",
  mandatory: (v) => v,
  // default/d and mandatory are handled in applyFilter because they look at undefined values.
  default: (v) => v,
  d: (v) => v,
};

/** Apply a filter by name (map('upper'), map('regex_replace', …)). */
function callFilter(name: string, v: Val, a: Val[], kw: Record<string, Val>): Val {
  if (Object.hasOwn(UNSUPPORTED_FILTERS, name)) throw new ExprEvalError(`filter '${name}' is not supported by keel: ${UNSUPPORTED_FILTERS[name]}`);
  const f = Object.hasOwn(FILTERS, name) ? FILTERS[name]! : undefined;
  if (!f) throw new ExprEvalError(`unknown filter '${name}'${hintFrom(name, Object.keys(FILTERS))}`);
  const allowed = FILTER_KW[name] ?? [];
  for (const k of Object.keys(kw)) if (!allowed.includes(k)) throw new ExprEvalError(`filter '${name}' has no argument '${k}'${allowed.length ? ` (it takes ${allowed.join(", ")})` : ""}`);
  return f(v, a, kw);
}

/** Run a test by name on a value that may be UNDEF (select('defined'), selectattr('x', 'defined')). */
function callTest(name: string, v: Val | typeof UNDEF, a: Val[], kw: Record<string, Val> = {}): boolean {
  if (name === "defined") return v !== UNDEF;
  if (name === "undefined") return v === UNDEF;
  if (v === UNDEF) throw new ExprEvalError(`test '${name}' on an undefined value`);
  const t = Object.hasOwn(TESTS, name) ? TESTS[name]! : undefined;
  if (!t) throw new ExprEvalError(`unknown test '${name}'${hintFrom(name, Object.keys(TESTS))}`);
  return t(v, a, kw);
}

function attrTest(x: Val, a: Val[], f: string): boolean {
  if (a.length === 0) throw new ExprEvalError(`filter '${f}' needs an attribute name`);
  const v = attrOf(x, a[0]);
  if (a.length === 1) {
    if (v === UNDEF) throw new ExprEvalError(`filter '${f}': an item has no attribute '${pyStr(a[0])}'; test it first: ${f}('${pyStr(a[0])}', 'defined')`);
    return truthy(v);
  }
  return callTest(needStr(a[1], f), v, a.slice(2));
}

function applyFilter(b: jsep.BinaryExpression, vars: Record<string, unknown>): Val {
  const name = calleeName(b.right)!;
  if (name === "default" || name === "d") {
    const v = evSoft(b.left, vars);
    const { pos } = callArgs(b.right, vars);
    const orFalsy = pos[1] === true;
    if (v === UNDEF || (orFalsy && !truthy(v))) return pos[0] ?? "";
    return v;
  }
  if (name === "mandatory") {
    const v = evSoft(b.left, vars);
    if (v === UNDEF) {
      const { pos } = callArgs(b.right, vars);
      if (pos[0] !== undefined) throw new ExprEvalError(pyStr(pos[0]));
      throw new UndefinedVarError(pathOf(b.left));
    }
    return v;
  }
  const { pos, kw } = callArgs(b.right, vars);
  return callFilter(name, ev(b.left, vars), pos, kw);
}

type Test = (v: Val, args: Val[], kw: Record<string, Val>) => boolean;

function resultField(v: Val, test: string): Record<string, unknown> {
  if (v === null || typeof v !== "object" || Array.isArray(v)) {
    throw new ExprEvalError(`test '${test}' needs a registered task result, got ${typeName(v)}`);
  }
  return v as Record<string, unknown>;
}

const TESTS: Record<string, Test> = {
  // defined/undefined are handled in applyTest and callTest.
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
  mapping: (v) => isDict(v),
  sequence: (v) => Array.isArray(v) || typeof v === "string" || isDict(v),
  iterable: (v) => Array.isArray(v) || typeof v === "string" || isDict(v),
  lower: (v) => typeof v === "string" && v === v.toLowerCase(),
  upper: (v) => typeof v === "string" && v === v.toUpperCase(),
  even: (v) => num(v, "even") % 2 === 0,
  odd: (v) => Math.abs(num(v, "odd") % 2) === 1,
  divisibleby: (v, a) => num(v, "divisibleby") % num(a[0], "divisibleby") === 0,
  eq: (v, a) => deepEqual(v, a[0]),
  equalto: (v, a) => deepEqual(v, a[0]),
  "==": (v, a) => deepEqual(v, a[0]),
  ne: (v, a) => !deepEqual(v, a[0]),
  "!=": (v, a) => !deepEqual(v, a[0]),
  lt: (v, a) => compare(v, a[0], "<"),
  lessthan: (v, a) => compare(v, a[0], "<"),
  "<": (v, a) => compare(v, a[0], "<"),
  le: (v, a) => compare(v, a[0], "<="),
  "<=": (v, a) => compare(v, a[0], "<="),
  gt: (v, a) => compare(v, a[0], ">"),
  greaterthan: (v, a) => compare(v, a[0], ">"),
  ">": (v, a) => compare(v, a[0], ">"),
  ge: (v, a) => compare(v, a[0], ">="),
  ">=": (v, a) => compare(v, a[0], ">="),
  sameas: (v, a) => v === a[0],
  in: (v, a) => contains(a[0], v),
  contains: (v, a) => contains(v, a[0]),
  subset: (v, a) => needList(v, "subset").every((x) => needList(a[0], "subset").some((y) => deepEqual(x, y))),
  superset: (v, a) => needList(a[0], "superset").every((x) => needList(v, "superset").some((y) => deepEqual(x, y))),
  all: (v) => needList(v, "all").every(truthy),
  any: (v) => needList(v, "any").some(truthy),
  match: (v, a, kw) => pyRegex(`^(?:${needStr(a[0], "match")})`, "match", kw).test(needStr(v, "match")),
  search: (v, a, kw) => pyRegex(a[0], "search", kw).test(needStr(v, "search")),
  regex: (v, a, kw) => (kw.match_type === "match" ? pyRegex(`^(?:${needStr(a[0], "regex")})`, "regex", kw) : pyRegex(a[0], "regex", kw)).test(needStr(v, "regex")),
  startswith: (v, a) => needStr(v, "startswith").startsWith(needStr(a[0], "startswith")),
  endswith: (v, a) => needStr(v, "endswith").endsWith(needStr(a[0], "endswith")),
  version: (v, a, kw) => versionCompare(v, a[0], a[1] ?? kw.operator),
  version_compare: (v, a, kw) => versionCompare(v, a[0], a[1] ?? kw.operator),
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
    const { pos, kw } = callArgs(t, vars);
    result = callTest(name, ev(b.left, vars), pos, kw);
  }
  return negate ? !result : result;
}

/** `a if c else b`, chained: NO_BRANCH when no condition held and there is no final else. */
const NO_BRANCH = Symbol("no branch");

function inlineIf(n: Node, vars: Record<string, unknown>): Val | typeof NO_BRANCH {
  if (isOp(n, "if")) {
    const b = n as jsep.BinaryExpression;
    return truthy(ev(b.right, vars)) ? ev(b.left, vars) : NO_BRANCH;
  }
  if (isOp(n, "else")) {
    const b = n as jsep.BinaryExpression;
    const l = inlineIf(b.left, vars);
    return l === NO_BRANCH ? inlineIf(b.right, vars) : l;
  }
  return ev(n, vars);
}

type Method = (self: Val, args: Val[], kw: Record<string, Val>) => Val;

function strSelf(v: Val, m: string): string {
  if (typeof v !== "string") throw new ExprEvalError(`method '${m}()' needs a string, got ${typeName(v)}`);
  return v;
}

function dictSelf(v: Val, m: string): Record<string, unknown> {
  if (v === null || typeof v !== "object" || Array.isArray(v)) throw new ExprEvalError(`method '${m}()' needs a dict, got ${typeName(v)}`);
  return v as Record<string, unknown>;
}

function stripChars(s: string, chars: Val, left: boolean, right: boolean, m: string): string {
  if (chars === undefined || chars === null) return left && right ? s.trim() : left ? s.trimStart() : s.trimEnd();
  const set = needStr(chars, m);
  let i = 0;
  let j = s.length;
  if (left) while (i < j && set.includes(s[i]!)) i++;
  if (right) while (j > i && set.includes(s[j - 1]!)) j--;
  return s.slice(i, j);
}

/** Python methods Ansible users call on strings, lists and dicts. Only these; nothing else is reachable. */
const METHODS: Record<string, Method> = {
  startswith: (s, a) => strSelf(s, "startswith").startsWith(needStr(a[0], "startswith")),
  endswith: (s, a) => strSelf(s, "endswith").endsWith(needStr(a[0], "endswith")),
  lower: (s) => strSelf(s, "lower").toLowerCase(),
  upper: (s) => strSelf(s, "upper").toUpperCase(),
  title: (s) => FILTERS.title!(strSelf(s, "title"), [], {}),
  capitalize: (s) => FILTERS.capitalize!(strSelf(s, "capitalize"), [], {}),
  strip: (s, a) => stripChars(strSelf(s, "strip"), a[0], true, true, "strip"),
  lstrip: (s, a) => stripChars(strSelf(s, "lstrip"), a[0], true, false, "lstrip"),
  rstrip: (s, a) => stripChars(strSelf(s, "rstrip"), a[0], false, true, "rstrip"),
  split: (s, a) => FILTERS.split!(strSelf(s, "split"), a, {}),
  splitlines: (s) => strSelf(s, "splitlines").split(/\r?\n/).filter((l, i, all) => !(i === all.length - 1 && l === "")),
  replace: (s, a) => FILTERS.replace!(strSelf(s, "replace"), a, {}),
  join: (s, a) => needList(a[0], "join").map(pyStr).join(strSelf(s, "join")),
  format: (s, a, kw) => pyFormat(strSelf(s, "format"), a, kw),
  find: (s, a) => strSelf(s, "find").indexOf(needStr(a[0], "find")),
  count: (s, a) => {
    if (Array.isArray(s)) return s.filter((x) => deepEqual(x, a[0])).length;
    const str = strSelf(s, "count");
    const sub = needStr(a[0], "count");
    return sub === "" ? str.length + 1 : str.split(sub).length - 1;
  },
  index: (s, a) => {
    const i = Array.isArray(s) ? s.findIndex((x) => deepEqual(x, a[0])) : strSelf(s, "index").indexOf(needStr(a[0], "index"));
    if (i < 0) throw new ExprEvalError(`index(): ${pyRepr(a[0])} is not in the ${Array.isArray(s) ? "list" : "string"}`);
    return i;
  },
  isdigit: (s) => /^\d+$/.test(strSelf(s, "isdigit")),
  isalpha: (s) => /^[A-Za-z]+$/.test(strSelf(s, "isalpha")),
  isalnum: (s) => /^[A-Za-z0-9]+$/.test(strSelf(s, "isalnum")),
  zfill: (s, a) => {
    const str = strSelf(s, "zfill");
    const sign = /^[-+]/.test(str) ? str[0]! : "";
    return sign + str.slice(sign.length).padStart(num(a[0], "zfill") - sign.length, "0");
  },
  get: (d, a) => {
    const o = dictSelf(d, "get");
    const k = pyStr(a[0]);
    return hasOwn(o, k) ? o[k] : (a[1] ?? null);
  },
  keys: (d) => Object.keys(dictSelf(d, "keys")),
  values: (d) => Object.values(dictSelf(d, "values")),
  items: (d) => Object.entries(dictSelf(d, "items")),
};

const FUNCTIONS: Record<string, (a: Val[], kw: Record<string, Val>) => Val> = {
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
  dict: (a, kw) => ({ ...(a[0] === undefined ? {} : Array.isArray(a[0]) ? Object.fromEntries((a[0] as unknown[]).map((p) => needList(p, "dict").map(pyStr))) : needDict(a[0], "dict")), ...kw }),
};

function call(c: jsep.CallExpression, vars: Record<string, unknown>): Val {
  if (c.callee.type === "MemberExpression" && !(c.callee as jsep.MemberExpression).computed) {
    const m = c.callee as jsep.MemberExpression;
    const method = (m.property as jsep.Identifier).name;
    const self = ev(m.object, vars);
    const f = Object.hasOwn(METHODS, method) ? METHODS[method] : undefined;
    if (!f) throw new ExprEvalError(`unsupported method '${method}()'`);
    const { pos, kw } = callArgs(c, vars);
    return f(self, pos, kw);
  }
  const fname = (c.callee as jsep.Identifier).name;
  const fn = Object.hasOwn(FUNCTIONS, fname) ? FUNCTIONS[fname] : undefined;
  if (!fn) throw new ExprEvalError("unsupported call");
  const { pos, kw } = callArgs(c, vars);
  return fn(pos, kw);
}

/** Names of the supported filters and tests, for documentation and hints. */
export const FILTER_NAMES = Object.keys(FILTERS).sort();
export const TEST_NAMES = Object.keys(TESTS)
  .filter((t) => /^\w+$/.test(t))
  .sort();
