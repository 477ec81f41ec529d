// The Jinja and Ansible filters keel evaluates (their signatures are in filter-signatures.ts).
import { comment } from "./comment.js";
import { createHash } from "node:crypto";
import jmespath from "jmespath";
import { ExprEvalError, UndefinedVarError } from "./errors.js";
import { shaCrypt, stableSalt, SALT_CHARS } from "./crypt.js";
import { yescryptFilter } from "./yescrypt.js";
import { subelements } from "./lookup.js";
import YAML from "yaml";
import { hintFrom } from "./ast.js";
import { MORE_FILTERS } from "./filters-more.js";
import { FILTER_KW, UNSUPPORTED_FILTERS, type Filter } from "./filter-signatures.js";
import { combine2, flatten, order, pick, sortKey, uniq } from "./collections.js";
import { printf, pyJson, toYaml } from "./format.js";
import { groupRef, pyRegex, pyReplacement } from "./regex.js";
import { callTest } from "./tests.js";
import {
  UNDEF,
  type Val,
  attrOf,
  deepEqual,
  hasOwn,
  isDict,
  needAttr,
  needDict,
  needList,
  needStr,
  num,
  pyRepr,
  pyStr,
  toBool,
  toInt,
  truthy,
  typeName,
} from "./values.js";

/**
 * Jinja's first/last of an empty sequence: an Undefined ("No first item, sequence was empty."), so
 * `… | first | default(None)` gives None, as dev-sec's os_hardening relies on; used bare, it fails.
 */
function emptySequence(which: "first" | "last"): UndefinedVarError {
  const e = new UndefinedVarError(`${which} item of an empty sequence`);
  e.message = `No ${which} item, sequence was empty.`;
  return e;
}

export function hashOf(v: Val, algo: string, f: string): string {
  const a = algo.toLowerCase().replace(/^sha-?/, "sha");
  try {
    return createHash(a).update(needStr(v, f)).digest("hex");
  } catch {
    throw new ExprEvalError(`filter '${f}': unknown hash '${algo}' (md5, sha1, sha256, sha512…)`);
  }
}

/** Jinja's indent filter. */
export function indent(s: string, width: Val, first: boolean, blank: boolean): string {
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

export const FILTERS: Record<string, Filter> = {
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
    if (l.length === 0) throw emptySequence("first");
    return l[0];
  },
  last: (v) => {
    const l = needList(v, "last");
    if (l.length === 0) throw emptySequence("last");
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
  to_json: (v, _a, kw) =>
    pyJson(v, { indent: kw.indent === undefined ? undefined : num(kw.indent, "to_json"), sortKeys: kw.sort_keys === true, ascii: kw.ensure_ascii !== false }),
  to_nice_json: (v, a, kw) =>
    pyJson(v, { indent: num(a[0] ?? kw.indent ?? 4, "to_nice_json"), sortKeys: kw.sort_keys !== false, ascii: kw.ensure_ascii !== false }),
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
        if (!isDict(e) || !hasOwn(e, k) || !hasOwn(e, val))
          throw new ExprEvalError(`filter 'items2dict': each item needs '${k}' and '${val}', got ${pyRepr(e).slice(0, 80)}`);
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
    if (!["replace", "keep", "append", "prepend", "append_rp", "prepend_rp"].includes(lm))
      throw new ExprEvalError(`filter 'combine': list_merge is one of replace, keep, append, prepend, append_rp, prepend_rp; got '${lm}'`);
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
    return [...groups.values()]
      .sort((x, y) => order(sortKey(x.key, kw.case_sensitive === true), sortKey(y.key, kw.case_sensitive === true)))
      .map((g) => [g.key, g.items]);
  },
  map: (v, a, kw) => {
    const l = needList(v, "map");
    if (kw.attribute !== undefined)
      return l.map((x) => (hasOwn(kw, "default") ? ((y) => (y === UNDEF ? kw.default : y))(attrOf(x, kw.attribute)) : needAttr(x, kw.attribute, "map")));
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
  comment: (v, a, kw) => comment(needStr(v, "comment"), a[0], kw),
  mandatory: (v) => v,
  subelements: (v, a, kw) => subelements(v, a[0], toBool(kw.skip_missing ?? (isDict(a[1]) ? a[1].skip_missing : a[1]) ?? false)),
  product: (v, a) => [v, ...a].map((l) => needList(l, "product")).reduce<unknown[][]>((acc, l) => acc.flatMap((p) => l.map((x) => [...p, x])), [[]]),
  json_query: (v, a) => {
    const q = needStr(a[0], "json_query");
    try {
      return jmespath.search(v, q) ?? null;
    } catch (e) {
      throw new ExprEvalError(`filter 'json_query': ${(e as Error).message} in '${q}'`);
    }
  },
  // Ansible's password_hash: sha512_crypt / sha256_crypt as crypt(3) computes them, and yescrypt
  // as libxcrypt's crypt(3) does (yescrypt.ts). Without a salt Ansible picks a random one (a new
  // hash every run); keel derives it from the password (and `seed`), so the same password gives the
  // same hash and the task stays converged.
  password_hash: (v, a, kw) => {
    const type = pyStr(a[0] ?? kw.hashtype ?? "sha512").replace(/_crypt$/, "");
    if (type !== "sha512" && type !== "sha256" && type !== "yescrypt") {
      throw new ExprEvalError(`filter 'password_hash': keel computes sha512, sha256 and yescrypt hashes, not '${type}'`);
    }
    const pw = needStr(v, "password_hash");
    const given = a[1] ?? kw.salt;
    const seed = kw.seed === undefined ? "" : pyStr(kw.seed);
    const rounds = a[2] ?? kw.rounds;
    const r = rounds === undefined || rounds === null ? undefined : num(rounds, "password_hash");
    if (type === "yescrypt") return yescryptFilter(pw, given === undefined || given === null ? undefined : pyStr(given), seed, r);
    const salt = given === undefined || given === null ? stableSalt(pw, seed) : pyStr(given);
    if (!SALT_CHARS.test(salt)) throw new ExprEvalError(`filter 'password_hash': the salt may hold only ./0-9A-Za-z, got '${salt}'`);
    return shaCrypt(type, pw, salt, r);
  },
  // default/d and mandatory are handled in applyFilter because they look at undefined values.
  default: (v) => v,
  d: (v) => v,
  ...MORE_FILTERS,
};

/** Apply a filter by name (map('upper'), map('regex_replace', …)). */
export function callFilter(name: string, v: Val, a: Val[], kw: Record<string, Val>): Val {
  if (Object.hasOwn(UNSUPPORTED_FILTERS, name)) throw new ExprEvalError(`filter '${name}' is not supported by keel: ${UNSUPPORTED_FILTERS[name]}`);
  const f = Object.hasOwn(FILTERS, name) ? FILTERS[name]! : undefined;
  if (!f) throw new ExprEvalError(`unknown filter '${name}'${hintFrom(name, Object.keys(FILTERS))}`);
  const allowed = FILTER_KW[name] ?? [];
  for (const k of Object.keys(kw))
    if (!allowed.includes(k)) throw new ExprEvalError(`filter '${name}' has no argument '${k}'${allowed.length ? ` (it takes ${allowed.join(", ")})` : ""}`);
  return f(v, a, kw);
}

export function attrTest(x: Val, a: Val[], f: string): boolean {
  if (a.length === 0) throw new ExprEvalError(`filter '${f}' needs an attribute name`);
  const v = attrOf(x, a[0]);
  if (a.length === 1) {
    if (v === UNDEF) throw new ExprEvalError(`filter '${f}': an item has no attribute '${pyStr(a[0])}'; test it first: ${f}('${pyStr(a[0])}', 'defined')`);
    return truthy(v);
  }
  return callTest(needStr(a[1], f), v, a.slice(2));
}
