// More of Ansible's and Jinja's filters, apart from filters.ts to keep each file short. Each one
// follows its Python original (named above it) so that the output is the same text or value.
import { ExprEvalError } from "./errors.js";
import { type Val, isDict, needList, needStr, pyStr } from "./values.js";
import type { Filter } from "./filter-signatures.js";
import { pyShuffle } from "./pyrandom.js";

/** itertools.combinations / permutations order. */
function combos(pool: Val[], r: number, ordered: boolean): Val[][] {
  const out: Val[][] = [];
  const pick = (start: number, used: boolean[], cur: Val[]) => {
    if (out.length > 100000) throw new ExprEvalError("too many combinations (more than 100000)");
    if (cur.length === r) {
      out.push([...cur]);
      return;
    }
    for (let i = ordered ? 0 : start; i < pool.length; i++) {
      if (used[i]) continue;
      used[i] = true;
      cur.push(pool[i]);
      pick(i + 1, used, cur);
      cur.pop();
      used[i] = false;
    }
  };
  if (r <= pool.length) pick(0, [], []);
  return out;
}

// ansible.module_utils.common.text.formatters.SIZE_RANGES, largest first
const SIZES: [string, number][] = [
  ["Y", 2 ** 80],
  ["Z", 2 ** 70],
  ["E", 2 ** 60],
  ["P", 2 ** 50],
  ["T", 2 ** 40],
  ["G", 2 ** 30],
  ["M", 2 ** 20],
  ["K", 2 ** 10],
  ["B", 1],
];

/** Python's round(): half to even. */
function pyRound(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/** formatters.bytes_to_human. */
function bytesToHuman(size: number, isbits: boolean, unit: string | undefined): string {
  const base = isbits ? "bits" : "Bytes";
  let suffix = "";
  let limit = 1;
  for ([suffix, limit] of SIZES) if ((unit === undefined && size >= limit) || (unit !== undefined && unit.toUpperCase() === suffix[0])) break;
  suffix = limit !== 1 ? suffix + base[0] : base;
  return `${(size / limit).toFixed(2)} ${suffix}`;
}

/** formatters.human_to_bytes. */
function humanToBytes(value: Val, defaultUnit: string | undefined, isbits: boolean): number {
  const text = pyStr(value);
  const m = /^\s*(\d*\.?\d*)\s*([A-Za-z]+)?/.exec(text)!;
  const num = Number(m[1]);
  if (m[1] === "" || m[1] === "." || Number.isNaN(num)) throw new ExprEvalError(`human_to_bytes() can't interpret following string: ${text}`);
  const unit = m[2] ?? defaultUnit;
  if (unit === undefined) return pyRound(num);
  const key = unit[0]!.toUpperCase();
  const limit = SIZES.find(([s]) => s === key)?.[1];
  if (limit === undefined)
    throw new ExprEvalError(`human_to_bytes() failed to convert ${text} (unit = ${unit}). The suffix must be one of ${SIZES.map(([s]) => s).join(", ")}`);
  const [cls, clsName] = isbits ? ["b", "bit"] : ["B", "byte"];
  if (unit.length > 1 && !unit.toLowerCase().includes(clsName) && unit[1] !== cls) {
    const expect = key === "B" ? `expect ${cls} or ${clsName}` : `expect ${key}${cls} or ${key}`;
    throw new ExprEvalError(`human_to_bytes() failed to convert ${text}. Value is not a valid string (${expect})`);
  }
  return pyRound(num * limit);
}

/** urllib.parse.urlsplit, as the dict Ansible's urlsplit filter makes of it (keys sorted, as dir() lists them). */
function urlsplit(url: string): Record<string, Val> {
  const m = /^(?:([A-Za-z][A-Za-z0-9+.-]*):)?(?:\/\/([^/?#]*))?([^?#]*)(?:\?([^#]*))?(?:#(.*))?$/s.exec(url)!;
  const netloc = m[2] ?? "";
  const at = netloc.lastIndexOf("@");
  const userinfo = at >= 0 ? netloc.slice(0, at) : undefined;
  const hostport = at >= 0 ? netloc.slice(at + 1) : netloc;
  const colon = userinfo?.indexOf(":") ?? -1;
  const hp = /^(\[[^\]]*\]|[^:]*)(?::(.*))?$/.exec(hostport)!;
  const host = hp[1]!.replace(/^\[|\]$/g, "").toLowerCase();
  const portText = hp[2];
  let port: number | null = null;
  if (portText !== undefined && portText !== "") {
    if (!/^\d+$/.test(portText) || Number(portText) > 65535) throw new ExprEvalError(`urlsplit: port could not be cast to integer value as '${portText}'`);
    port = Number(portText);
  }
  return {
    fragment: m[5] ?? "",
    hostname: host === "" ? null : host,
    netloc,
    password: userinfo !== undefined && colon >= 0 ? userinfo.slice(colon + 1) : null,
    path: m[3] ?? "",
    port,
    query: m[4] ?? "",
    scheme: (m[1] ?? "").toLowerCase(),
    username: userinfo === undefined ? null : colon >= 0 ? userinfo.slice(0, colon) : userinfo,
  };
}

/** Jinja's url_quote: UTF-8 bytes, letters, digits and `_.-~` kept (and `/` outside query strings). */
function urlQuote(v: Val, forQs: boolean): string {
  const s = typeof v === "string" ? v : pyStr(v);
  let out = "";
  for (const b of Buffer.from(s, "utf8")) {
    const c = String.fromCharCode(b);
    out += /[A-Za-z0-9_.~-]/.test(c) || (!forQs && c === "/") ? c : `%${b.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return forQs ? out.replace(/%20/g, "+") : out;
}

export const MORE_FILTER_KW: Record<string, string[]> = {
  permutations: ["r"],
  combinations: ["r"],
  slice: ["slices", "fill_with"],
  human_readable: ["isbits", "unit"],
  human_to_bytes: ["default_unit", "isbits"],
  urlsplit: ["query"],
  urlencode: [],
  shuffle: ["seed"],
};

/** Ansible's shuffle without a seed is random on every run: what keel says instead. */
export const SHUFFLE_NEEDS_SEED =
  "without a seed its order changes on every run; pass seed= (Ansible's order for a seed is reproduced) or choose the order in vars";

export const MORE_FILTERS: Record<string, Filter> = {
  // ansible's randomize_list: random.Random(seed).shuffle(list(value)) when the seed is truthy
  shuffle: (v, a, kw) => {
    const seed = a[0] ?? kw.seed;
    if (seed === undefined || seed === null || seed === "" || seed === 0 || seed === false) throw new ExprEvalError(`filter 'shuffle' ${SHUFFLE_NEEDS_SEED}`);
    if (!(typeof seed === "string" || typeof seed === "boolean" || (typeof seed === "number" && Number.isInteger(seed))))
      throw new ExprEvalError(`filter 'shuffle': keel takes a string or integer seed, got ${pyStr(seed)}`);
    const list = typeof v === "string" ? [...v] : isDict(v) ? Object.keys(v) : needList(v, "shuffle");
    return pyShuffle(list, typeof seed === "boolean" ? 1 : seed) as Val;
  },
  // ansible's mathstuff: itertools.permutations(values, r) / combinations(values, r), as lists
  permutations: (v, a, kw) => {
    const pool = needList(v, "permutations");
    const r = a[0] ?? kw.r ?? null;
    return combos(pool, r === null ? pool.length : Number(r), true);
  },
  combinations: (v, a, kw) => combos(needList(v, "combinations"), Number(a[0] ?? kw.r), false),
  // jinja2.filters.do_slice
  slice: (v, a, kw) => {
    const seq = typeof v === "string" ? [...v] : needList(v, "slice");
    const slices = Number(a[0] ?? kw.slices);
    if (!Number.isInteger(slices) || slices < 1) throw new ExprEvalError("filter 'slice': the number of slices is a positive integer");
    const fill = a.length > 1 ? a[1] : kw.fill_with;
    const per = Math.floor(seq.length / slices);
    const extra = seq.length % slices;
    const out: Val[][] = [];
    let offset = 0;
    for (let n = 0; n < slices; n++) {
      const start = offset + n * per;
      if (n < extra) offset += 1;
      const part = seq.slice(start, offset + (n + 1) * per);
      if (fill !== undefined && fill !== null && n >= extra) part.push(fill);
      out.push(part);
    }
    return out;
  },
  human_readable: (v, a, kw) => {
    if (typeof v !== "number") throw new ExprEvalError(`human_readable() can't interpret following string: ${pyStr(v)}`);
    const unit = a[1] ?? kw.unit;
    return bytesToHuman(v, (a[0] ?? kw.isbits) === true, unit === undefined || unit === null ? undefined : needStr(unit, "human_readable"));
  },
  human_to_bytes: (v, a, kw) => {
    const unit = a[0] ?? kw.default_unit;
    return humanToBytes(v, unit === undefined || unit === null ? undefined : needStr(unit, "human_to_bytes"), (a[1] ?? kw.isbits) === true);
  },
  urlsplit: (v, a, kw) => {
    const parts = urlsplit(needStr(v, "urlsplit"));
    const q = a[0] ?? kw.query ?? "";
    if (q === "") return parts;
    const key = needStr(q, "urlsplit");
    if (!Object.hasOwn(parts, key)) throw new ExprEvalError(`urlsplit: unknown URL component: ${key}`);
    return parts[key] as Val;
  },
  // jinja2.filters.do_urlencode
  urlencode: (v) => {
    if (typeof v === "string") return urlQuote(v, false);
    const pairs: [Val, Val][] = isDict(v)
      ? (Object.entries(v) as [Val, Val][])
      : (needList(v, "urlencode") as Val[]).map((p) => needList(p, "urlencode") as [Val, Val]);
    return pairs.map(([k, x]) => `${urlQuote(k, true)}=${urlQuote(x, true)}`).join("&");
  },
};
