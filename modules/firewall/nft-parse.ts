// A parser for the common subset of nft rule syntax, used for `raw:` rules: what it understands
// becomes a canonical Rule (so `tcp dport {443,80} accept` equals nft's `tcp dport { 80, 443 }
// accept`, and the lockout guard can evaluate it); anything else makes the rule opaque, compared by
// its whitespace-normalised text. nft itself validates raw rules on the host (`nft -c`). Pure.
import type { Match, Rule, Val } from "./nft-model.js";

/** Splits on whitespace, keeping "quoted strings" and { set, elements } as single tokens. */
export function tokenize(text: string): string[] | undefined {
  const out: string[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === '"') {
      const end = text.indexOf('"', i + 1);
      if (end < 0) return undefined;
      out.push(text.slice(i, end + 1));
      i = end + 1;
    } else if (c === "{") {
      const end = text.indexOf("}", i);
      if (end < 0) return undefined;
      out.push(text.slice(i, end + 1));
      i = end + 1;
    } else {
      let j = i;
      while (j < text.length && !/\s/.test(text[j]!)) j++;
      out.push(text.slice(i, j));
      i = j;
    }
  }
  return out;
}

function unquote(t: string): string {
  return t.startsWith('"') && t.endsWith('"') ? t.slice(1, -1) : t;
}

function valOf(t: string): Val {
  const s = unquote(t);
  if (/^\d+$/.test(s)) return { k: "num", v: Number(s) };
  const r = /^(\d+)-(\d+)$/.exec(s);
  if (r) return { k: "range", lo: Number(r[1]), hi: Number(r[2]) };
  if (s.startsWith("@")) return { k: "setref", v: s.slice(1) };
  return { k: "str", v: s };
}

function valsOf(t: string): Val[] {
  const body = t.startsWith("{") ? t.slice(1, -1) : t;
  return body
    .split(",")
    .map((x) => x.trim())
    .filter((x) => x !== "")
    .map(valOf);
}

const SELECTORS: Record<string, string[]> = {
  ip: ["saddr", "daddr", "protocol"],
  ip6: ["saddr", "daddr", "nexthdr"],
  tcp: ["sport", "dport", "flags"],
  udp: ["sport", "dport"],
  th: ["sport", "dport"],
  sctp: ["sport", "dport"],
  icmp: ["type", "code"],
  icmpv6: ["type", "code"],
  ct: ["state", "status", "direction"],
  meta: ["l4proto", "nfproto", "iifname", "oifname", "iif", "oif", "mark"],
};

/** Parses one rule; undefined when the text uses anything outside the subset. */
export function parseRuleText(text: string): Rule | undefined {
  const toks = tokenize(text.trim());
  if (!toks || toks.length === 0) return undefined;
  const r: Rule = { matches: [], counter: false, other: [] };
  let i = 0;
  const next = () => toks[i++];
  while (i < toks.length) {
    const t = next()!;
    let left: string | undefined;
    if (["iifname", "oifname", "iif", "oif"].includes(t)) left = t;
    else if (SELECTORS[t] && toks[i] && SELECTORS[t]!.includes(toks[i]!)) {
      const field = next()!;
      left = t === "meta" && ["iifname", "oifname", "iif", "oif"].includes(field) ? field : `${t} ${field}`;
    }
    if (left) {
      let op: Match["op"] = "==";
      if (toks[i] === "!=" || toks[i] === "==") op = next() === "!=" ? "!=" : "==";
      const v = next();
      if (v === undefined) return undefined;
      // `ct state established,related` is nft's own listing of a flag list.
      const vs = left === "ct state" && !v.startsWith("{") ? v.split(",").map(valOf) : valsOf(v);
      r.matches.push({ left, op, vals: vs });
      continue;
    }
    switch (t) {
      case "counter":
        r.counter = true;
        if (toks[i] === "packets") i += 4;
        break;
      case "log": {
        r.log = {};
        while (toks[i] === "prefix" || toks[i] === "level") {
          const k = next()!;
          const v = next();
          if (v === undefined) return undefined;
          if (k === "prefix") r.log.prefix = unquote(v);
          else r.log.level = v;
        }
        break;
      }
      case "accept":
      case "drop":
      case "return":
      case "continue":
        r.verdict = { k: t };
        break;
      case "reject":
        if (toks[i] === "with") {
          i++;
          const parts: string[] = [];
          while (i < toks.length && toks[i] !== "comment") parts.push(next()!);
          r.verdict = { k: "reject", with: parts.join(" ") };
        } else r.verdict = { k: "reject" };
        break;
      case "jump":
      case "goto": {
        const target = next();
        if (!target) return undefined;
        r.verdict = { k: t, target };
        break;
      }
      case "comment": {
        const c = next();
        if (c === undefined) return undefined;
        r.comment = unquote(c);
        break;
      }
      default:
        return undefined;
    }
  }
  return r;
}

/** A raw rule as keel compares it: parsed when possible, else opaque normalised text. */
export function rawRule(text: string): Rule {
  const parsed = parseRuleText(text);
  if (parsed) return parsed;
  const opaque = text.trim().split(/\s+/).join(" ");
  // The verdict word still tells the lockout guard what the rule may do (it evaluates it as "maybe").
  const words = (tokenize(opaque) ?? []).filter((t) => ["accept", "drop", "reject"].includes(t));
  const last = words[words.length - 1] as "accept" | "drop" | "reject" | undefined;
  return { matches: [], counter: false, other: [], opaque, ...(last ? { verdict: { k: last } } : {}) };
}
