// `nft -j list ruleset` (libnftables JSON, schema version 1) → keel's canonical tables (nft-model.ts).
// Handles, counters' values and the metainfo object are dropped; expressions keel does not model are
// kept as nft-like text in `other` (shown in diffs, never evaluated). Pure.
import { ProbeParseError } from "../../engine/core/errors.js";
import type { Chain, Match, NftSet, Rule, Table, Val, Verdict } from "./nft-model.js";

// nft -j output is untyped JSON walked by shape checks in this file; nothing typed escapes it
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type J = any;

function leftName(l: J): string | undefined {
  if (l && typeof l === "object") {
    if (l.meta) return ["iifname", "oifname", "iif", "oif"].includes(l.meta.key) ? l.meta.key : `meta ${l.meta.key}`;
    if (l.payload && l.payload.protocol) return `${l.payload.protocol} ${l.payload.field}`;
    if (l.ct) return `ct ${l.ct.key}`;
  }
  return undefined;
}

function val(r: J): Val | undefined {
  if (typeof r === "number") return { k: "num", v: r };
  if (typeof r === "string") return r.startsWith("@") ? { k: "setref", v: r.slice(1) } : { k: "str", v: r };
  if (r && typeof r === "object") {
    if (r.prefix) return { k: "addr", v: `${r.prefix.addr}/${r.prefix.len}` };
    if (Array.isArray(r.range) && typeof r.range[0] === "number") return { k: "range", lo: r.range[0], hi: r.range[1] };
    if (Array.isArray(r.range)) return { k: "str", v: `${r.range[0]}-${r.range[1]}` };
  }
  return undefined;
}

function vals(r: J): Val[] | undefined {
  const list = Array.isArray(r) ? r : r && typeof r === "object" && Array.isArray(r.set) ? r.set : [r];
  const out = list.map(val);
  return out.every((v: Val | undefined) => v !== undefined) ? (out as Val[]) : undefined;
}

/** A fallback nft-like rendering of an expression keel does not model. */
function exprText(e: J): string {
  const [k, v] = Object.entries(e)[0] ?? ["?", null];
  if (k === "limit" && v && typeof v === "object")
    return `limit rate ${(v as J).inv ? "over " : ""}${(v as J).rate}/${(v as J).per}${(v as J).burst && (v as J).burst !== 5 ? ` burst ${(v as J).burst} packets` : ""}`;
  if (k === "xt" && v && typeof v === "object") return `xt ${(v as J).type ?? ""} ${(v as J).name ?? ""}`.trim();
  if (v === null) return k;
  return `${k} ${JSON.stringify(v)}`;
}

/** One JSON rule → canonical-ready Rule (not yet canonRule'd). */
export function ruleFromJson(rule: J): Rule {
  const out: Rule = { matches: [], counter: false, other: [] };
  for (const e of (rule.expr ?? []) as J[]) {
    if (e.match) {
      const left = leftName(e.match.left);
      const vs = vals(e.match.right);
      const op = e.match.op === "!=" ? "!=" : e.match.op === "==" || e.match.op === "in" ? "==" : undefined;
      if (left && vs && op) {
        out.matches.push({ left, op, vals: vs } as Match);
        continue;
      }
      out.other.push(`match ${JSON.stringify(e.match)}`);
    } else if ("counter" in e) out.counter = true;
    else if (e.log) out.log = { ...(e.log.prefix !== undefined ? { prefix: e.log.prefix } : {}), ...(e.log.level ? { level: e.log.level } : {}) };
    else if ("accept" in e) out.verdict = { k: "accept" };
    else if ("drop" in e) out.verdict = { k: "drop" };
    else if ("return" in e) out.verdict = { k: "return" };
    else if ("continue" in e) out.verdict = { k: "continue" };
    else if ("reject" in e) out.verdict = rejectVerdict(e.reject);
    else if (e.jump) out.verdict = { k: "jump", target: e.jump.target };
    else if (e.goto) out.verdict = { k: "goto", target: e.goto.target };
    else out.other.push(exprText(e));
  }
  if (typeof rule.comment === "string") out.comment = rule.comment;
  return out;
}

function rejectVerdict(r: J): Verdict {
  if (!r) return { k: "reject" };
  if (r.type === "tcp reset") return { k: "reject", with: "tcp reset" };
  return { k: "reject", with: `${r.type ?? "icmpx"} ${r.expr ?? "port-unreachable"}` };
}

export interface LiveRuleset {
  tables: Table[];
  /** nft's version (metainfo), when given. */
  version?: string;
}

/** Parses `nft -j list ruleset`. Throws ProbeParseError when the text is not nft's JSON. */
export function parseNftJson(text: string): LiveRuleset {
  let doc: J;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new ProbeParseError(`nft -j list ruleset did not print JSON: ${(e as Error).message}`);
  }
  if (!doc || !Array.isArray(doc.nftables)) throw new ProbeParseError('nft -j list ruleset: no "nftables" array in its output');
  const tables = new Map<string, Table>();
  const tkey = (family: string, name: string) => `${family} ${name}`;
  const table = (family: string, name: string): Table => {
    let t = tables.get(tkey(family, name));
    if (!t) {
      t = { family, name, sets: [], chains: [] };
      tables.set(tkey(family, name), t);
    }
    return t;
  };
  let version: string | undefined;
  for (const o of doc.nftables as J[]) {
    if (o.metainfo) version = o.metainfo.version;
    else if (o.table) table(o.table.family, o.table.name);
    else if (o.chain) {
      const c: Chain = { name: o.chain.name, rules: [] };
      if (o.chain.hook) {
        c.type = o.chain.type;
        c.hook = o.chain.hook;
        c.priority = typeof o.chain.prio === "number" ? o.chain.prio : 0;
        c.policy = o.chain.policy === "drop" ? "drop" : "accept";
      }
      table(o.chain.family, o.chain.table).chains.push(c);
    } else if (o.set) {
      const s: NftSet = {
        name: o.set.name,
        type: Array.isArray(o.set.type) ? o.set.type.join(" . ") : String(o.set.type),
        flags: Array.isArray(o.set.flags) ? [...o.set.flags].sort() : [],
        elements: (Array.isArray(o.set.elem) ? o.set.elem : []).map((e: J) => {
          const v = val(e && typeof e === "object" && e.elem ? e.elem.val : e);
          return v ? (v.k === "num" ? String(v.v) : v.k === "range" ? `${v.lo}-${v.hi}` : v.v) : JSON.stringify(e);
        }),
      };
      table(o.set.family, o.set.table).sets.push(s);
    } else if (o.rule) {
      const t = table(o.rule.family, o.rule.table);
      let c = t.chains.find((x) => x.name === o.rule.chain);
      if (!c) {
        c = { name: o.rule.chain, rules: [] };
        t.chains.push(c);
      }
      c.rules.push(ruleFromJson(o.rule));
    }
  }
  return { tables: [...tables.values()], ...(version ? { version } : {}) };
}
