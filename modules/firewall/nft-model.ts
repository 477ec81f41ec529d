// The canonical form of nftables rules that every side is turned into before comparing: the
// structured arguments (nft-render.ts), the live ruleset read as JSON (nft-json.ts) and `raw:`
// rules (nft-parse.ts). One renderer (ruleText) prints all of them in nft syntax, so two rules are
// the same when their canonical texts are equal. Canonicalisation removes what nft itself
// normalises: service and protocol names (numbers), set order, one-element sets, host bits of a
// prefix, /32, the implied `meta l4proto tcp` before `tcp dport`, counters' values, `ct state`'s
// "in" operator and the default reject type. Pure.
import { addrSortKey, normAddr } from "./addr.js";

export type Val =
  { k: "str"; v: string } | { k: "num"; v: number } | { k: "addr"; v: string } | { k: "range"; lo: number; hi: number } | { k: "setref"; v: string };

/** One match: `left op vals` (several vals: an anonymous set). */
export interface Match {
  /** "iifname", "ip saddr", "tcp dport", "ct state", "meta l4proto", "icmp type"… */
  left: string;
  op: "==" | "!=";
  vals: Val[];
}

export type Verdict = { k: "accept" | "drop" | "return" | "continue" } | { k: "reject"; with?: string } | { k: "jump" | "goto"; target: string };

export interface Rule {
  matches: Match[];
  counter: boolean;
  log?: { prefix?: string; level?: string };
  /** Statements keel does not model, in nft syntax ("limit rate 10/second"); never evaluated. */
  other: string[];
  verdict?: Verdict;
  comment?: string;
  /** A `raw:` rule that could not be parsed into matches: compared by its normalised text. */
  opaque?: string;
  /** The text a `raw:` rule was written as: what keel loads for it, verbatim. */
  raw?: string;
}

export interface Chain {
  name: string;
  type?: string;
  hook?: string;
  priority?: number;
  policy?: "accept" | "drop";
  rules: Rule[];
}

export interface NftSet {
  name: string;
  type: string;
  flags: string[];
  elements: string[];
}

export interface Table {
  family: string;
  name: string;
  sets: NftSet[];
  chains: Chain[];
}

export const SERVICES: Record<string, number> = {
  ftp: 21,
  ssh: 22,
  telnet: 23,
  smtp: 25,
  domain: 53,
  dns: 53,
  http: 80,
  pop3: 110,
  ntp: 123,
  imap: 143,
  snmp: 161,
  ldap: 389,
  https: 443,
  smtps: 465,
  submission: 587,
  imaps: 993,
  pop3s: 995,
  mysql: 3306,
  postgresql: 5432,
  redis: 6379,
};

/** Protocol numbers, as nft's JSON gives them for `meta l4proto`, and the names nft accepts. */
const PROTO_NAMES: Record<number, string> = { 1: "icmp", 6: "tcp", 17: "udp", 58: "icmpv6", 132: "sctp", 136: "udplite" };
const PROTO_NUMBERS: Record<string, number> = { icmp: 1, tcp: 6, udp: 17, icmpv6: 58, "ipv6-icmp": 58, sctp: 132, udplite: 136 };

/** Interface names print quoted; everything else bare. */
const QUOTED = new Set(["iifname", "oifname"]);

export function isPortLeft(left: string): boolean {
  return /\b[sd]port$/.test(left);
}

function isAddrLeft(left: string): boolean {
  return /^(ip|ip6) [sd]addr$/.test(left);
}

function canonVal(left: string, v: Val): Val {
  if (v.k === "str" && isPortLeft(left)) {
    if (/^\d+$/.test(v.v)) return { k: "num", v: Number(v.v) };
    const r = /^(\d+)-(\d+)$/.exec(v.v);
    if (r) return Number(r[1]) === Number(r[2]) ? { k: "num", v: Number(r[1]) } : { k: "range", lo: Number(r[1]), hi: Number(r[2]) };
    if (SERVICES[v.v] !== undefined) return { k: "num", v: SERVICES[v.v]! };
  }
  if (left === "meta l4proto") {
    if (v.k === "num" && PROTO_NAMES[v.v]) return { k: "str", v: PROTO_NAMES[v.v]! };
    if (v.k === "str" && PROTO_NUMBERS[v.v] !== undefined) return { k: "str", v: PROTO_NAMES[PROTO_NUMBERS[v.v]!]! };
  }
  if ((v.k === "str" || v.k === "addr") && isAddrLeft(left) && !v.v.startsWith("@")) return { k: "addr", v: normAddr(v.v) };
  if (v.k === "str" && v.v.startsWith("@")) return { k: "setref", v: v.v.slice(1) };
  if (v.k === "range" && v.lo === v.hi) return { k: "num", v: v.lo };
  return v;
}

function valKey(v: Val): string {
  switch (v.k) {
    case "num":
      return `1${String(v.v).padStart(10, "0")}`;
    case "range":
      return `1${String(v.lo).padStart(10, "0")}-${v.hi}`;
    case "addr":
      return `2${addrSortKey(v.v)}`;
    default:
      return `3${v.v}`;
  }
}

export function valText(left: string, v: Val): string {
  switch (v.k) {
    case "num":
      return String(v.v);
    case "range":
      return `${v.lo}-${v.hi}`;
    case "setref":
      return `@${v.v}`;
    case "addr":
      return v.v;
    default:
      return QUOTED.has(left) ? JSON.stringify(v.v) : v.v;
  }
}

/** The protocol a payload match implies ("tcp dport" → tcp), which nft leaves out of listings. */
function impliedProto(left: string): string | undefined {
  const p = left.split(" ")[0]!;
  return ["tcp", "udp", "icmp", "icmpv6", "sctp", "udplite"].includes(p) && left.includes(" ") ? p : undefined;
}

/** Canonical rule: values normalised, sets sorted, implied dependencies dropped. */
export function canonRule(r: Rule): Rule {
  const matches = r.matches.map((m) => {
    const vals = m.vals.map((v) => canonVal(m.left, v));
    const seen = new Map(vals.map((v) => [valKey(v), v]));
    return { left: m.left, op: m.op, vals: [...seen.keys()].sort().map((k) => seen.get(k)!) };
  });
  const implied = new Set(matches.map((m) => impliedProto(m.left)).filter((p): p is string => !!p));
  const families = new Set<string>(
    matches.map((m) =>
      m.left.startsWith("ip6 ") || m.left.startsWith("icmpv6 ") ? "ipv6" : m.left.startsWith("ip ") || m.left.startsWith("icmp ") ? "ipv4" : "",
    ),
  );
  const kept = matches.filter((m) => {
    if (m.left === "meta l4proto" && m.op === "==" && m.vals.length === 1 && m.vals[0]!.k === "str" && implied.has(m.vals[0]!.v)) return false;
    if (m.left === "meta nfproto" && m.op === "==" && m.vals.length === 1 && m.vals[0]!.k === "str" && families.has(m.vals[0]!.v)) return false;
    return true;
  });
  let verdict = r.verdict;
  if (verdict?.k === "reject" && verdict.with && /^icmp(x|v6)? (type )?port-unreachable$/.test(verdict.with)) verdict = { k: "reject" };
  const out: Rule = { matches: kept, counter: r.counter, other: r.other };
  if (r.log)
    out.log = { ...(r.log.prefix !== undefined ? { prefix: r.log.prefix } : {}), ...(r.log.level && r.log.level !== "warn" ? { level: r.log.level } : {}) };
  if (verdict) out.verdict = verdict;
  if (r.comment !== undefined) out.comment = r.comment;
  if (r.opaque !== undefined) out.opaque = r.opaque;
  return out;
}

export function matchText(m: Match): string {
  const vals = m.vals.map((v) => valText(m.left, v));
  const rhs = vals.length === 1 ? vals[0]! : `{ ${vals.join(", ")} }`;
  return `${m.left} ${m.op === "!=" ? "!= " : ""}${rhs}`;
}

export function verdictText(v: Verdict): string {
  if (v.k === "reject") return v.with ? `reject with ${v.with}` : "reject";
  if (v.k === "jump" || v.k === "goto") return `${v.k} ${v.target}`;
  return v.k;
}

/** The rule in nft syntax, as keel writes it and shows it in diffs. */
export function ruleText(r: Rule): string {
  if (r.opaque !== undefined) return r.opaque;
  const parts = r.matches.map(matchText);
  if (r.counter) parts.push("counter");
  if (r.log)
    parts.push(
      ["log", ...(r.log.prefix !== undefined ? [`prefix ${JSON.stringify(r.log.prefix)}`] : []), ...(r.log.level ? [`level ${r.log.level}`] : [])].join(" "),
    );
  parts.push(...r.other);
  if (r.verdict) parts.push(verdictText(r.verdict));
  if (r.comment !== undefined) parts.push(`comment ${JSON.stringify(r.comment)}`);
  return parts.join(" ");
}

/** Identity for comparison: canonical text with the matches in a fixed order (their order does not change what a rule does). */
export function ruleKey(r: Rule): string {
  const c = canonRule(r);
  if (c.opaque !== undefined) return `raw:${c.opaque}`;
  return ruleText({ ...c, matches: [...c.matches].sort((a, b) => (matchText(a) < matchText(b) ? -1 : matchText(a) > matchText(b) ? 1 : 0)) });
}

export const PRIORITY_NAMES: Record<string, number> = { raw: -300, mangle: -150, dstnat: -100, filter: 0, security: 50, srcnat: 100 };

export function priorityText(p: number): string {
  if (p === 0) return "filter";
  return p > 0 && p < 50 ? `filter + ${p}` : p < 0 && p > -100 ? `filter - ${-p}` : String(p);
}

/** Set elements sorted as nft stores them, normalised. */
export function canonElements(type: string, elems: string[]): string[] {
  const left = type === "ipv4_addr" ? "ip saddr" : type === "ipv6_addr" ? "ip6 saddr" : type === "inet_service" ? "tcp dport" : "x";
  const vals = elems.map((e) => canonVal(left, { k: "str", v: e }));
  const seen = new Map(vals.map((v) => [valKey(v), valText(left, v)]));
  return [...seen.keys()].sort().map((k) => seen.get(k)!);
}
