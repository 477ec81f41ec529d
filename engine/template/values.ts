// Python semantics of values as Jinja/Ansible see them: truthiness, equality, ordering,
// str()/repr(), and the argument coercions shared by filters, tests and methods.
import { ExprEvalError } from "./errors.js";
import { missingField, notRunPath } from "./notrun.js";

export const UNDEF = Symbol("undefined");
export type Val = unknown;

/** Python truthiness: false, None, 0, "", [] and {} are false. */
export function truthy(v: Val): boolean {
  if (v === null || v === undefined || v === false || v === 0 || v === "") return false;
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === "object") return Object.keys(v as object).length > 0;
  if (typeof v === "number" && Number.isNaN(v)) return false;
  return true;
}

export function hasOwn(o: unknown, k: string): boolean {
  return o !== null && typeof o === "object" && Object.prototype.hasOwnProperty.call(o, k);
}

export function num(v: Val, op: string): number {
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

export function compare(a: Val, b: Val, op: string): boolean {
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

export function contains(container: Val, item: Val): boolean {
  if (typeof container === "string") {
    if (typeof item !== "string") throw new ExprEvalError(`'in <string>' needs a string on the left, got ${typeName(item)}`);
    return container.includes(item);
  }
  if (Array.isArray(container)) return container.some((x) => deepEqual(x, item));
  if (container !== null && typeof container === "object") return hasOwn(container, String(item));
  throw new ExprEvalError(`'in' needs a string, list or dict on the right, got ${typeName(container)}`);
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

export function pyRepr(v: Val): string {
  if (v === null || v === undefined) return "None";
  if (typeof v === "boolean") return v ? "True" : "False";
  if (typeof v === "number") return Number.isNaN(v) ? "nan" : v === Infinity ? "inf" : v === -Infinity ? "-inf" : String(v);
  if (typeof v === "string") {
    const q = v.includes("'") && !v.includes('"') ? '"' : "'";
    const body = v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/\r/g, "\\r").replace(/\t/g, "\\t");
    return q + (q === "'" ? body.replace(/'/g, "\\'") : body) + q;
  }
  if (Array.isArray(v)) return `[${v.map(pyRepr).join(", ")}]`;
  if (typeof v === "object")
    return `{${Object.entries(v as object)
      .map(([k, x]) => `${pyRepr(k)}: ${pyRepr(x)}`)
      .join(", ")}}`;
  return String(v);
}

export function needList(v: Val, f: string): unknown[] {
  if (Array.isArray(v)) return v;
  if (typeof v === "string") return [...v];
  if (v !== null && typeof v === "object") return Object.keys(v);
  throw new ExprEvalError(`filter '${f}' needs a list, got ${typeName(v)}`);
}

export function needStr(v: Val, f: string): string {
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "boolean") return pyStr(v);
  throw new ExprEvalError(`filter '${f}' needs a string, got ${typeName(v)}`);
}

export function needDict(v: Val, f: string): Record<string, unknown> {
  if (v === null || typeof v !== "object" || Array.isArray(v)) throw new ExprEvalError(`filter '${f}' needs a dict, got ${typeName(v)}`);
  return v as Record<string, unknown>;
}

export function isDict(v: Val): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

/** Ansible's `| bool`: "yes", "on", "true", "1" (any case) are true. */
export function toBool(v: Val): boolean {
  if (typeof v === "boolean") return v;
  if (typeof v === "number") return v === 1;
  if (typeof v === "string") return ["yes", "on", "true", "1", "y", "t"].includes(v.trim().toLowerCase());
  return false;
}

export function toInt(v: Val, dflt: Val = 0, base = 10): Val {
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
export function attrOf(v: Val, path: Val): Val | typeof UNDEF {
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

export function needAttr(v: Val, path: Val, f: string): Val {
  const x = attrOf(v, path);
  if (x === UNDEF && notRunPath(v) !== undefined) throw missingField(v, pyStr(path), () => pyStr(path));
  if (x === UNDEF) throw new ExprEvalError(`filter '${f}': an item has no attribute '${pyStr(path)}' (${pyRepr(v).slice(0, 80)})`);
  return x;
}
