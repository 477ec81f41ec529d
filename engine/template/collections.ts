// List and dict helpers of the filters: ordering as Jinja sorts, unique, combine, flatten.
import { ExprEvalError } from "./errors.js";
import { type Val, deepEqual, hasOwn, isDict, needAttr, needList, typeName } from "./values.js";

/** Jinja's ordering for sort/min/max: numbers by value, strings case-insensitively unless asked. */
export function sortKey(v: Val, caseSensitive: boolean): Val {
  return typeof v === "string" && !caseSensitive ? v.toLowerCase() : v;
}

export function order(a: Val, b: Val): number {
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

export function pick(v: Val, kw: Record<string, Val>, f: string, sign: 1 | -1): Val {
  const l = needList(v, f);
  if (l.length === 0) throw new ExprEvalError(`filter '${f}' on an empty list`);
  const cs = kw.case_sensitive === true;
  const key = (x: Val) => sortKey(kw.attribute === undefined ? x : needAttr(x, kw.attribute, f), cs);
  return l.reduce((best, x) => (order(key(x), key(best)) * sign > 0 ? x : best));
}

export function uniq(l: unknown[], key: (x: Val) => Val = (x) => x): unknown[] {
  const seen: Val[] = [];
  return l.filter((x) => {
    const k = key(x);
    if (seen.some((y) => deepEqual(y, k))) return false;
    seen.push(k);
    return true;
  });
}

/** Merge dicts as Ansible's combine does. */
export function combine2(a: Record<string, unknown>, b: Record<string, unknown>, recursive: boolean, listMerge: string): Record<string, unknown> {
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

export function flatten(l: unknown[], levels: number | undefined, skipNulls: boolean): unknown[] {
  const out: unknown[] = [];
  for (const x of l) {
    if (Array.isArray(x) && (levels === undefined || levels > 0)) out.push(...flatten(x, levels === undefined ? undefined : levels - 1, skipNulls));
    else if (!(skipNulls && (x === null || x === "None"))) out.push(x);
  }
  return out;
}
