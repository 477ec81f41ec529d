// What a ruleset does to one packet: walks every base chain on a hook (all tables of the packet's
// family, by priority, as the kernel does), following jumps and gotos, and says which rule decides.
// Used by the lockout guard (keel's own SSH connection, established and new) and for the open ports
// of the drift report. A match keel cannot decide (an unknown interface, `limit`, an opaque raw
// rule) is "maybe": a maybe-accept does not count as accepted and a maybe-drop counts as dropped,
// so the guard errs on the side of refusing. Pure.
import { contains, parsePrefix } from "./addr.js";
import { canonRule, ruleText, type Chain, type Match, type Rule, type Table, type Val } from "./nft-model.js";

export interface Flow {
  family: 4 | 6;
  saddr: string;
  daddr?: string;
  proto: "tcp" | "udp";
  sport?: number;
  dport: number;
  ct: "new" | "established";
  /** Input interface; undefined when unknown (interface matches are then "maybe"). */
  iif?: string;
}

export interface Decider {
  table: string;
  chain: string;
  /** The rule in nft syntax, or "policy drop" of the chain. */
  rule: string;
  /** The decision rests on a match keel could not evaluate. */
  uncertain: boolean;
}

export interface FlowVerdict {
  verdict: "accept" | "drop" | "reject";
  by?: Decider;
}

type Tri = "yes" | "no" | "maybe";

function valMatches(v: Val, m: Match, flow: Flow, table: Table): Tri {
  const left = m.left;
  if (v.k === "setref") {
    const set = table.sets.find((s) => s.name === v.v);
    if (!set) return "maybe";
    const elems: Val[] = set.elements.map((e) => {
      const r = /^(\d+)-(\d+)$/.exec(e);
      return r
        ? { k: "range", lo: Number(r[1]), hi: Number(r[2]) }
        : /^\d+$/.test(e)
          ? { k: "num", v: Number(e) }
          : left.includes("addr")
            ? { k: "addr", v: e }
            : { k: "str", v: e };
    });
    return combineAny(elems.map((e) => valMatches(e, m, flow, table)));
  }
  if (/^(ip|ip6) [sd]addr$/.test(left)) {
    const addr = left.endsWith("saddr") ? flow.saddr : flow.daddr;
    if (!addr) return "maybe";
    const net = parsePrefix(v.k === "addr" || v.k === "str" ? v.v : "");
    const a = parsePrefix(addr);
    if (!net || !a) return "maybe";
    return contains(net, a) ? "yes" : "no";
  }
  if (/[sd]port$/.test(left)) {
    const port = left.endsWith("dport") ? flow.dport : flow.sport;
    if (port === undefined) return "maybe";
    if (v.k === "num") return v.v === port ? "yes" : "no";
    if (v.k === "range") return port >= v.lo && port <= v.hi ? "yes" : "no";
    return "maybe";
  }
  if (left === "iifname" || left === "iif") {
    if (flow.iif === undefined) return v.k === "str" && v.v === "lo" && !isLoopback(flow) ? "no" : "maybe";
    return v.k === "str" && v.v === flow.iif ? "yes" : v.k === "str" && v.v.endsWith("*") && flow.iif.startsWith(v.v.slice(0, -1)) ? "yes" : "no";
  }
  if (left === "meta l4proto") return v.k === "str" ? (v.v === flow.proto ? "yes" : "no") : "maybe";
  if (left === "meta nfproto") return v.k === "str" ? (v.v === (flow.family === 4 ? "ipv4" : "ipv6") ? "yes" : "no") : "maybe";
  if (left === "ct state") return v.k === "str" ? (v.v === flow.ct ? "yes" : "no") : "maybe";
  return "maybe";
}

function isLoopback(flow: Flow): boolean {
  return flow.saddr.startsWith("127.") || flow.saddr === "::1";
}

function combineAny(xs: Tri[]): Tri {
  return xs.includes("yes") ? "yes" : xs.includes("maybe") ? "maybe" : "no";
}

/** The protocol a match's left side needs; a packet of another protocol or family never matches. */
function needs(left: string): { family?: 4 | 6; proto?: string | "ports" | "icmp" } {
  const head = left.split(" ")[0]!;
  if (head === "ip" || head === "icmp") return { family: 4, ...(head === "icmp" ? { proto: "icmp" } : {}) };
  if (head === "ip6" || head === "icmpv6") return { family: 6, ...(head === "icmpv6" ? { proto: "icmp" } : {}) };
  if (["tcp", "udp", "sctp", "udplite"].includes(head) && left.includes(" ")) return { proto: head };
  if (head === "th") return { proto: "ports" };
  return {};
}

function matchMatches(m: Match, flow: Flow, table: Table): Tri {
  const n = needs(m.left);
  if (n.family && n.family !== flow.family) return "no";
  if (n.proto === "icmp") return "no";
  if (n.proto && n.proto !== "ports" && n.proto !== flow.proto) return "no";
  const r = combineAny(m.vals.map((v) => valMatches(v, m, flow, table)));
  if (m.op === "==") return r;
  return r === "yes" ? "no" : r === "no" ? "yes" : "maybe";
}

export function ruleMatches(rule: Rule, flow: Flow, table: Table): Tri {
  if (rule.opaque !== undefined) return "maybe";
  let out: Tri = rule.other.length ? "maybe" : "yes";
  for (const m of rule.matches) {
    const r = matchMatches(m, flow, table);
    if (r === "no") return "no";
    if (r === "maybe") out = "maybe";
  }
  return out;
}

type ChainResult = { verdict: "accept" | "drop" | "reject"; by: Decider } | { verdict: "return" | "continue" };

function runChain(table: Table, chain: Chain, flow: Flow, certain: boolean, depth: number): ChainResult {
  if (depth > 16)
    return { verdict: "drop", by: { table: `${table.family} ${table.name}`, chain: chain.name, rule: "jumps nested too deep to evaluate", uncertain: true } };
  for (const raw of chain.rules) {
    const rule = canonRule(raw);
    const m = ruleMatches(rule, flow, table);
    if (m === "no" || !rule.verdict) continue;
    const sure = certain && m === "yes";
    const by = { table: `${table.family} ${table.name}`, chain: chain.name, rule: raw.raw ?? ruleText(rule), uncertain: !sure };
    switch (rule.verdict.k) {
      case "accept":
        if (sure) return { verdict: "accept", by };
        break;
      case "drop":
      case "reject":
        return { verdict: rule.verdict.k, by };
      case "return":
        if (sure) return { verdict: "return" };
        break;
      case "continue":
        break;
      case "jump":
      case "goto": {
        const target = table.chains.find((c) => c.name === (rule.verdict as { target: string }).target);
        if (!target) break;
        const r = runChain(table, target, flow, sure, depth + 1);
        if (r.verdict === "accept" || r.verdict === "drop" || r.verdict === "reject") return r;
        if (rule.verdict.k === "goto" && sure) return { verdict: "return" };
        break;
      }
    }
  }
  return { verdict: "continue" };
}

/** Every base chain on `hook` that sees packets of the flow's family, in the order the kernel runs them. */
export function baseChains(tables: Table[], hook: string, family: 4 | 6): { table: Table; chain: Chain }[] {
  const fams = family === 4 ? ["inet", "ip"] : ["inet", "ip6"];
  return tables
    .filter((t) => fams.includes(t.family))
    .flatMap((t) => t.chains.filter((c) => c.hook === hook && (c.type ?? "filter") === "filter").map((c) => ({ table: t, chain: c })))
    .sort((a, b) => (a.chain.priority ?? 0) - (b.chain.priority ?? 0));
}

/** The verdict of the whole hook for a flow: accepted only if every base chain accepts it. */
export function evaluate(tables: Table[], flow: Flow, hook = "input"): FlowVerdict {
  let last: Decider | undefined;
  for (const { table, chain } of baseChains(tables, hook, flow.family)) {
    const r = runChain(table, chain, flow, true, 0);
    if (r.verdict === "drop" || r.verdict === "reject") return { verdict: r.verdict, by: r.by };
    if (r.verdict === "accept") {
      last = r.by;
      continue;
    }
    const by = { table: `${table.family} ${table.name}`, chain: chain.name, rule: `policy ${chain.policy ?? "accept"}`, uncertain: false };
    if (chain.policy === "drop") return { verdict: "drop", by };
    last = by;
  }
  return last ? { verdict: "accept", by: last } : { verdict: "accept" };
}

export interface OpenPort {
  proto: "tcp" | "udp";
  /** "22", "8000-8080"; "1-65535" when a rule accepts every port (`ip saddr 10.0.0.0/8 accept`). */
  port: string;
  /** Sources allowed: "any", CIDRs or @set names. */
  from: string[];
  /** Only on this input interface (`iifname "eth1" … accept`); absent: on every interface. */
  on?: string;
}

export interface InboundPolicy {
  /** What happens to a new connection to a port no rule names. */
  default: "accept" | "drop" | "reject";
  open: OpenPort[];
}

const ALL_PORTS = "1-65535";

/**
 * The effective inbound policy: which TCP/UDP ports accept NEW connections, from where and on which
 * interface. Candidates come from every rule with a destination port, and from every accept rule
 * without one (it opens all ports to its sources or interface); each candidate is then decided by
 * evaluating a NEW connection through every base chain, so a port accepted in one table and dropped
 * in another is not open.
 */
export function inboundPolicy(tables: Table[]): InboundPolicy {
  const cand = new Map<string, { proto: "tcp" | "udp"; port: string; lo: number; probe: number; on?: string; from: Set<string> }>();
  /** An address inside each named set, to send a probe flow from ("@adm" → "10.9.0.0"). */
  const setAddr = new Map<string, string>();
  const named = new Set<number>();
  for (const fam of [4, 6] as const)
    for (const { table, chain } of baseChains(tables, "input", fam))
      for (const c of [chain, ...table.chains.filter((x) => !x.hook)])
        for (const raw of c.rules) {
          const r = canonRule(raw);
          const protoMatch = r.matches.find((m) => m.left === "meta l4proto");
          const portM = r.matches.find((m) => /^(tcp|udp|th) dport$/.test(m.left) && m.op === "==");
          const ifM = r.matches.find((m) => (m.left === "iifname" || m.left === "iif") && m.op === "==");
          const ifaces = ifM ? ifM.vals.flatMap((v) => (v.k === "str" && v.v !== "lo" ? [v.v] : [])) : [undefined];
          if (!ifaces.length) continue; // loopback only
          if (!portM && (r.verdict?.k !== "accept" || r.opaque !== undefined)) continue;
          const head = portM ? portM.left.split(" ")[0]! : "th";
          const l4 = (protoMatch?.vals ?? []).map((v) => (v.k === "str" ? v.v : "")).filter((p) => p === "tcp" || p === "udp");
          const protos = head !== "th" ? [head] : protoMatch ? l4 : portM ? [] : ["tcp", "udp"];
          for (const s of table.sets) if (s.elements[0] && parsePrefix(s.elements[0])) setAddr.set(`@${s.name}`, s.elements[0].split("/")[0]!);
          const srcs = r.matches
            .filter((m) => /^(ip|ip6) saddr$/.test(m.left) && m.op === "==")
            .flatMap((m) => m.vals.map((v) => (v.k === "setref" ? `@${v.v}` : v.k === "addr" || v.k === "str" ? v.v : "")));
          const vals = !portM
            ? [ALL_PORTS]
            : portM.vals.flatMap((v) =>
                v.k === "setref"
                  ? (table.sets.find((s) => s.name === v.v)?.elements ?? []).map((e) => e)
                  : [v.k === "num" ? String(v.v) : v.k === "range" ? `${v.lo}-${v.hi}` : ""],
              );
          for (const port of vals) for (const n of port.split("-")) if (port !== ALL_PORTS && /^\d+$/.test(n)) named.add(Number(n));
          for (const p of protos as ("tcp" | "udp")[])
            for (const port of vals.filter(Boolean))
              for (const on of ifaces) {
                const key = `${p}/${port}/${on ?? ""}`;
                const lo = Number(port.split("-")[0]);
                const e = cand.get(key) ?? { proto: p, port, lo, probe: lo, ...(on ? { on } : {}), from: new Set<string>() };
                for (const s of srcs.length ? srcs : ["any"]) e.from.add(s);
                cand.set(key, e);
              }
        }
  // "Every port" is probed on a port no rule names, so a rule for one port does not decide it.
  let free = 65123;
  while (named.has(free)) free--;
  for (const e of cand.values()) if (e.port === ALL_PORTS) e.probe = free;
  const probeAddr = (src: string, fam: 4 | 6) =>
    setAddr.get(src) ?? (src === "any" || src.startsWith("@") ? (fam === 4 ? "203.0.113.7" : "2001:db8:ffff::7") : src.split("/")[0]!);
  const open: OpenPort[] = [];
  for (const e of [...cand.values()].sort((a, b) => a.proto.localeCompare(b.proto) || a.lo - b.lo || (a.on ?? "").localeCompare(b.on ?? ""))) {
    const from = [...e.from].filter((src) =>
      ([4, 6] as const).some((fam) => {
        const pf = parsePrefix(setAddr.get(src) ?? src);
        if (pf && pf.family !== fam) return false;
        const flow: Flow = { family: fam, saddr: probeAddr(src, fam), proto: e.proto, dport: e.probe, ct: "new", ...(e.on ? { iif: e.on } : {}) };
        return evaluate(tables, flow).verdict === "accept";
      }),
    );
    if (from.length) open.push({ proto: e.proto, port: e.port, from: from.includes("any") ? ["any"] : from.sort(), ...(e.on ? { on: e.on } : {}) });
  }
  const def = evaluate(tables, { family: 4, saddr: "203.0.113.7", proto: "tcp", dport: 65123, ct: "new" }).verdict;
  return { default: def, open };
}
