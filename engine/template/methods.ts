// Python methods Ansible users call on strings, lists and dicts, and the global functions.
import { ExprEvalError } from "./errors.js";
import { FILTERS } from "./filters.js";
import { pyFormat } from "./format.js";
import { type Val, deepEqual, hasOwn, needDict, needList, needStr, num, pyRepr, pyStr, typeName } from "./values.js";

export type Method = (self: Val, args: Val[], kw: Record<string, Val>) => Val;

export function strSelf(v: Val, m: string): string {
  if (typeof v !== "string") throw new ExprEvalError(`method '${m}()' needs a string, got ${typeName(v)}`);
  return v;
}

export function dictSelf(v: Val, m: string): Record<string, unknown> {
  if (v === null || typeof v !== "object" || Array.isArray(v)) throw new ExprEvalError(`method '${m}()' needs a dict, got ${typeName(v)}`);
  return v as Record<string, unknown>;
}

export function stripChars(s: string, chars: Val, left: boolean, right: boolean, m: string): string {
  if (chars === undefined || chars === null) return left && right ? s.trim() : left ? s.trimStart() : s.trimEnd();
  const set = needStr(chars, m);
  let i = 0;
  let j = s.length;
  if (left) while (i < j && set.includes(s[i]!)) i++;
  if (right) while (j > i && set.includes(s[j - 1]!)) j--;
  return s.slice(i, j);
}

/** Python methods Ansible users call on strings, lists and dicts. Only these; nothing else is reachable. */
export const METHODS: Record<string, Method> = {
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
  splitlines: (s) =>
    strSelf(s, "splitlines")
      .split(/\r?\n/)
      .filter((l, i, all) => !(i === all.length - 1 && l === "")),
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

export const FUNCTIONS: Record<string, (a: Val[], kw: Record<string, Val>) => Val> = {
  range: (a) => {
    const [start, stop, step] =
      a.length === 1 ? [0, num(a[0], "range"), 1] : [num(a[0], "range"), num(a[1], "range"), a[2] === undefined ? 1 : num(a[2], "range")];
    if (step === 0) throw new ExprEvalError("range() step must not be zero");
    const out: number[] = [];
    for (let i = start; step > 0 ? i < stop : i > stop; i += step) {
      out.push(i);
      if (out.length > 100000) throw new ExprEvalError("range() too large");
    }
    return out;
  },
  dict: (a, kw) => ({
    ...(a[0] === undefined
      ? {}
      : Array.isArray(a[0])
        ? Object.fromEntries(
            (a[0] as unknown[]).map((p) => {
              // a (key, value) pair: the key is a dict key (text), the value stays what it is
              const [k, v] = needList(p, "dict");
              return [pyStr(k), v];
            }),
          )
        : needDict(a[0], "dict")),
    ...kw,
  }),
};
