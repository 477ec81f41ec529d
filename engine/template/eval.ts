// Evaluation of a parsed expression: an AST walker over plain data. Nothing is ever handed to
// eval/new Function, and property access only reads own properties of plain data (no prototypes).
import type jsep from "jsep";
import { limitHint, limitOf, LIMITS } from "../core/limits.js";
import { UndefinedVarError, ExprEvalError } from "./errors.js";
import { missingField } from "./notrun.js";
import { type DictExpression, calleeName, isOp, sliceParts, testName, type Node } from "./ast.js";
import { Callable } from "./callable.js";
import { callFilter } from "./filters.js";
import { printf } from "./format.js";
import { FUNCTIONS, METHODS } from "./methods.js";
import { runLookup } from "./lookup.js";
import { callTest } from "./tests.js";
import { UNDEF, type Val, compare, contains, deepEqual, hasOwn, num, pyStr, truthy, typeName } from "./values.js";

/** Evaluate a parsed expression against variables. Throws UndefinedVarError / ExprEvalError. */
export function evalNode(n: Node, vars: Record<string, unknown>): Val {
  const v = ev(n, vars);
  return v;
}

/** The dotted path of a member expression, for messages ("item.name", "result['rc']"). */
export function pathOf(n: Node): string {
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
export function evSoft(n: Node, vars: Record<string, unknown>): Val | typeof UNDEF {
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
export function plainPath(n: Node): (string | number)[] | undefined {
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

export function ev(n: Node, vars: Record<string, unknown>): Val {
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
      if (m.computed && isOp(m.property, ":"))
        return slice(
          obj,
          sliceParts(m.property).map((p) => ev(p, vars)),
        );
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

export function member(obj: Val, key: Val, path: () => string): Val {
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
    if (!hasOwn(obj, k)) throw missingField(obj, k, path);
    return (obj as Record<string, unknown>)[k];
  }
  throw new UndefinedVarError(path());
}

/** Python slicing: x[start:stop:step] on a list or a string; omitted bounds are null. */
export function slice(obj: Val, parts: Val[]): Val {
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

export function binary(b: jsep.BinaryExpression, vars: Record<string, unknown>): Val {
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
    // `a if c else b`, also when parenthesised as a whole (`(x if c else y)`, which inlineIf's
    // isOp does not take as a branch)
    case "if":
      return truthy(ev(b.right, vars)) ? ev(b.left, vars) : null;
    case "else": {
      const l = inlineIf(b.left, vars);
      const v = l === NO_BRANCH ? inlineIf(b.right, vars) : l;
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
        // bounded: 'a' * 2000000000 must be an error, not a crash of the process (issue 10 #9)
        const size = l.length * Math.max(0, r);
        const max = limitOf(LIMITS.templateOutput);
        if (size > max)
          throw new ExprEvalError(
            `'*' would build ${size} ${typeof l === "string" ? "characters" : "items"}, more than ${max}; ${limitHint(LIMITS.templateOutput)}`,
          );
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
    case "**": {
      const v = num(l, "**") ** num(r, "**");
      if (!Number.isFinite(v)) throw new ExprEvalError("'**' gives a number too large (or not a number)");
      return v;
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

/** Positional and keyword (`name=value`) arguments of a filter, test, method or function call. */
export interface Args {
  pos: Val[];
  kw: Record<string, Val>;
}

export function callArgs(c: Node, vars: Record<string, unknown>, soft = false): Args {
  const out: Args = { pos: [], kw: {} };
  if (c.type !== "CallExpression") return out;
  // soft: an undefined argument becomes UNDEF instead of failing (a macro's, see Callable.takesUndefined)
  const arg = (n: Node): Val => (soft ? (evSoft(n, vars) as Val) : ev(n, vars));
  for (const a of (c as jsep.CallExpression).arguments) {
    if (isOp(a, "=")) {
      const b = a as jsep.BinaryExpression;
      out.kw[(b.left as jsep.Identifier).name] = arg(b.right);
    } else out.pos.push(arg(a));
  }
  return out;
}

export function applyFilter(b: jsep.BinaryExpression, vars: Record<string, unknown>): Val {
  const name = calleeName(b.right)!;
  if (name === "default" || name === "d") {
    const v = evSoft(b.left, vars);
    // Jinja evaluates an undefined default (`x | default(info.device, true)` with info None) to an
    // Undefined that fails only when used: so the default value is evaluated only when chosen
    const pos = b.right.type === "CallExpression" ? (b.right as jsep.CallExpression).arguments.filter((a) => !isOp(a, "=")) : [];
    const orFalsy = pos[1] !== undefined && ev(pos[1], vars) === true;
    if (v === UNDEF || (orFalsy && !truthy(v))) return pos[0] !== undefined ? ev(pos[0], vars) : "";
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

export function applyTest(b: jsep.BinaryExpression, vars: Record<string, unknown>): boolean {
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
export const NO_BRANCH = Symbol("no branch");

export function inlineIf(n: Node, vars: Record<string, unknown>): Val | typeof NO_BRANCH {
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

export function call(c: jsep.CallExpression, vars: Record<string, unknown>): Val {
  if (c.callee.type === "MemberExpression" && !(c.callee as jsep.MemberExpression).computed) {
    const m = c.callee as jsep.MemberExpression;
    const method = (m.property as jsep.Identifier).name;
    const self = ev(m.object, vars);
    if (self !== null && typeof self === "object" && hasOwn(self, method)) {
      const own = (self as Record<string, unknown>)[method];
      if (own instanceof Callable) {
        const { pos, kw } = callArgs(c, vars, own.takesUndefined);
        return own.fn(pos, kw);
      }
    }
    const f = Object.hasOwn(METHODS, method) ? METHODS[method] : undefined;
    if (!f) throw new ExprEvalError(`unsupported method '${method}()'`);
    const { pos, kw } = callArgs(c, vars);
    return f(self, pos, kw);
  }
  if (c.callee.type !== "Identifier") {
    const target = ev(c.callee, vars);
    if (!(target instanceof Callable)) throw new ExprEvalError(`${pathOf(c.callee)} is not callable`);
    const { pos, kw } = callArgs(c, vars, target.takesUndefined);
    return target.fn(pos, kw);
  }
  const fname = (c.callee as jsep.Identifier).name;
  if (hasOwn(vars, fname)) {
    // a macro, caller(), a recursive loop(…): template names shadow the built-in functions
    const target = vars[fname];
    if (target instanceof Callable) {
      const { pos, kw } = callArgs(c, vars, target.takesUndefined);
      return target.fn(pos, kw);
    }
  }
  if (fname === "lookup" || fname === "query" || fname === "q") {
    const { pos, kw } = callArgs(c, vars);
    return runLookup(fname, pos, kw, vars);
  }
  const fn = Object.hasOwn(FUNCTIONS, fname) ? FUNCTIONS[fname] : undefined;
  if (!fn) {
    if (hasOwn(vars, fname)) throw new ExprEvalError(`'${fname}' is not callable`);
    throw new UndefinedVarError(fname);
  }
  const { pos, kw } = callArgs(c, vars);
  return fn(pos, kw);
}
