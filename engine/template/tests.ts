// The Jinja and Ansible tests (`x is defined`, `r is changed`, `v is version('2', '>=')`…).
import { ExprEvalError } from "./errors.js";
import { hintFrom } from "./ast.js";
import { pyRegex } from "./regex.js";
import { UNDEF, type Val, compare, contains, deepEqual, isDict, needList, needStr, num, pyStr, truthy, typeName } from "./values.js";

export function looseVersion(v: Val): (number | string)[] {
  return pyStr(v)
    .split(/(\d+|[a-z]+|\.)/i)
    .filter((x) => x && x !== ".")
    .map((x) => (/^\d+$/.test(x) ? Number(x) : x));
}

export function versionCompare(a: Val, b: Val, op: Val): boolean {
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

/** Run a test by name on a value that may be UNDEF (select('defined'), selectattr('x', 'defined')). */
export function callTest(name: string, v: Val | typeof UNDEF, a: Val[], kw: Record<string, Val> = {}): boolean {
  if (name === "defined") return v !== UNDEF;
  if (name === "undefined") return v === UNDEF;
  if (v === UNDEF) throw new ExprEvalError(`test '${name}' on an undefined value`);
  const t = Object.hasOwn(TESTS, name) ? TESTS[name]! : undefined;
  if (!t) throw new ExprEvalError(`unknown test '${name}'${hintFrom(name, Object.keys(TESTS))}`);
  return t(v, a, kw);
}

export type Test = (v: Val, args: Val[], kw: Record<string, Val>) => boolean;

export function resultField(v: Val, test: string): Record<string, unknown> {
  if (v === null || typeof v !== "object" || Array.isArray(v)) {
    throw new ExprEvalError(`test '${test}' needs a registered task result, got ${typeName(v)}`);
  }
  return v as Record<string, unknown>;
}

export const TESTS: Record<string, Test> = {
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
  regex: (v, a, kw) =>
    (kw.match_type === "match" ? pyRegex(`^(?:${needStr(a[0], "regex")})`, "regex", kw) : pyRegex(a[0], "regex", kw)).test(needStr(v, "regex")),
  startswith: (v, a) => needStr(v, "startswith").startsWith(needStr(a[0], "startswith")),
  endswith: (v, a) => needStr(v, "endswith").endsWith(needStr(a[0], "endswith")),
  version: (v, a, kw) => versionCompare(v, a[0], a[1] ?? kw.operator),
  version_compare: (v, a, kw) => versionCompare(v, a[0], a[1] ?? kw.operator),
};
