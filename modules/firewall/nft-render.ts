// The arguments of firewall.nftables → keel's canonical table (nft-model.ts) → nft syntax.
// What keel loads is always the whole table in one `nft -f` file: `table X` (create if missing),
// `delete table X`, then its full definition, so the kernel swaps it in one transaction. Pure.
import { parsePrefix } from "./addr.js";
import {
  PRIORITY_NAMES,
  SERVICES,
  canonElements,
  priorityText,
  ruleText,
  type Chain,
  type Match,
  type NftSet,
  type Rule,
  type Table,
  type Val,
} from "./nft-model.js";
import { rawRule } from "./nft-parse.js";

export type OneOrMany<T> = T | T[];
export type PortSpec = number | string;

export interface NftRuleArgs {
  raw?: string;
  iif?: OneOrMany<string>;
  oif?: OneOrMany<string>;
  saddr?: OneOrMany<string>;
  daddr?: OneOrMany<string>;
  proto?: OneOrMany<string>;
  sport?: OneOrMany<PortSpec>;
  dport?: OneOrMany<PortSpec>;
  ct_state?: OneOrMany<string>;
  icmp_type?: OneOrMany<string>;
  icmpv6_type?: OneOrMany<string>;
  action?: "accept" | "drop" | "reject";
  jump?: string;
  counter?: boolean;
  log_prefix?: string;
  comment?: string;
}

export interface NftChainArgs {
  name: string;
  type?: "filter" | "nat" | "route";
  hook?: "prerouting" | "input" | "forward" | "output" | "postrouting" | "ingress";
  priority?: number | string;
  policy?: "accept" | "drop";
  rules?: NftRuleArgs[];
}

export interface NftSetArgs {
  name: string;
  type: "ipv4_addr" | "ipv6_addr" | "inet_service" | "ifname" | "inet_proto" | "mark";
  flags?: ("interval" | "constant" | "timeout")[];
  elements?: (string | number)[];
}

export interface NftablesArgs {
  family?: "inet" | "ip" | "ip6" | "arp" | "bridge" | "netdev";
  table?: string;
  state?: "present" | "absent";
  sets?: NftSetArgs[];
  chains?: NftChainArgs[];
  owns_ruleset?: boolean;
  persist?: boolean;
  persist_file?: string;
  allow_lockout?: boolean;
  rollback_timeout?: number;
}

export const list = <T>(x: OneOrMany<T> | undefined): T[] => (x === undefined ? [] : Array.isArray(x) ? x : [x]);

export function tableId(args: Pick<NftablesArgs, "family" | "table">): { family: string; name: string } {
  return { family: args.family ?? "inet", name: args.table ?? "keel" };
}

/** Priority argument → number: 0, -10, "filter", "filter + 10", "raw". */
export function parsePriority(p: number | string | undefined): number | undefined {
  if (p === undefined) return undefined;
  if (typeof p === "number") return p;
  const m = /^\s*([a-z]+)?\s*(?:([+-])?\s*(\d+))?\s*$/.exec(p);
  if (!m || (!m[1] && !m[3])) return undefined;
  const base = m[1] ? PRIORITY_NAMES[m[1]] : 0;
  if (base === undefined) return undefined;
  const off = m[3] ? Number(m[3]) * (m[2] === "-" ? -1 : 1) : 0;
  return m[1] || m[2] || !m[3] ? base + off : off;
}

export function portVal(p: PortSpec): Val {
  if (typeof p === "number") return { k: "num", v: p };
  const s = p.trim();
  if (s.startsWith("@")) return { k: "setref", v: s.slice(1) };
  if (/^\d+$/.test(s)) return { k: "num", v: Number(s) };
  const r = /^(\d+)\s*[-:]\s*(\d+)$/.exec(s);
  if (r) return { k: "range", lo: Number(r[1]), hi: Number(r[2]) };
  return { k: "num", v: SERVICES[s] ?? NaN };
}

/** Set references' families ("@trusted" of type ipv6_addr → 6). */
function setFamilies(sets: NftSetArgs[] | undefined): Map<string, 4 | 6> {
  const m = new Map<string, 4 | 6>();
  for (const s of sets ?? []) if (s.type === "ipv4_addr" || s.type === "ipv6_addr") m.set(s.name, s.type === "ipv4_addr" ? 4 : 6);
  return m;
}

/** Splits addresses by family: a rule naming both IPv4 and IPv6 addresses becomes one rule per family. */
export function addrFamilies(addrs: string[], sets: Map<string, 4 | 6>): { 4: string[]; 6: string[] } {
  const out: { 4: string[]; 6: string[] } = { 4: [], 6: [] };
  for (const a of addrs) {
    if (a.startsWith("@")) out[sets.get(a.slice(1)) ?? 4].push(a);
    else out[parsePrefix(a)?.family ?? 4].push(a);
  }
  return out;
}

/** One argument rule → one or two canonical rules (one per IP family when it names both). */
export function rulesFromArgs(a: NftRuleArgs, sets: NftSetArgs[] | undefined): Rule[] {
  if (a.raw !== undefined) return [{ ...rawRule(a.raw), raw: a.raw }];
  const fams = setFamilies(sets);
  const s = addrFamilies(list(a.saddr), fams);
  const d = addrFamilies(list(a.daddr), fams);
  const v4 = s[4].length + d[4].length > 0 || list(a.icmp_type).length > 0;
  const v6 = s[6].length + d[6].length > 0 || list(a.icmpv6_type).length > 0;
  const variants: (4 | 6 | 0)[] = v4 && v6 ? [4, 6] : v4 ? [4] : v6 ? [6] : [0];
  return variants.map((fam) => {
    const m: Match[] = [];
    const str = (left: string, xs: string[]) =>
      xs.length && m.push({ left, op: "==", vals: xs.map((v) => (v.startsWith("@") ? { k: "setref", v: v.slice(1) } : { k: "str", v })) });
    str("iifname", list(a.iif));
    str("oifname", list(a.oif));
    for (const [field, addrs] of [
      ["saddr", s],
      ["daddr", d],
    ] as const) {
      const xs = fam === 0 ? [] : addrs[fam];
      if (xs.length)
        m.push({
          left: `${fam === 4 ? "ip" : "ip6"} ${field}`,
          op: "==",
          vals: xs.map((v) => (v.startsWith("@") ? { k: "setref", v: v.slice(1) } : { k: "addr", v })),
        });
    }
    const protos = list(a.proto).filter((p) => p !== "any");
    const ports = list(a.sport).length + list(a.dport).length > 0;
    const portProto = protos.length === 1 ? protos[0]! : "th";
    if (
      protos.length > 1 ||
      (protos.length === 1 && !ports && !(protos[0] === "icmp" && list(a.icmp_type).length) && !(protos[0] === "icmpv6" && list(a.icmpv6_type).length))
    )
      m.push({ left: "meta l4proto", op: "==", vals: protos.map((p) => ({ k: "str", v: p })) });
    for (const f of ["sport", "dport"] as const) if (list(a[f]).length) m.push({ left: `${portProto} ${f}`, op: "==", vals: list(a[f]).map(portVal) });
    if (fam !== 6) str("icmp type", list(a.icmp_type));
    if (fam !== 4) str("icmpv6 type", list(a.icmpv6_type));
    str("ct state", list(a.ct_state));
    const r: Rule = { matches: m, counter: a.counter === true, other: [] };
    if (a.log_prefix !== undefined) r.log = { prefix: a.log_prefix };
    if (a.jump !== undefined) r.verdict = { k: "jump", target: a.jump };
    else if (a.action) r.verdict = { k: a.action };
    if (a.comment !== undefined) r.comment = a.comment;
    return r;
  });
}

/** The table the arguments describe. */
export function desiredTable(args: NftablesArgs): Table {
  const { family, name } = tableId(args);
  const sets: NftSet[] = (args.sets ?? []).map((s) => ({
    name: s.name,
    type: s.type,
    flags: [...(s.flags ?? (s.type.endsWith("_addr") && (s.elements ?? []).some((e) => String(e).includes("/")) ? ["interval"] : []))].sort(),
    elements: canonElements(
      s.type,
      (s.elements ?? []).map((e) => (s.type === "inet_service" ? String(portText(e)) : String(e))),
    ),
  }));
  const chains: Chain[] = (args.chains ?? []).map((c) => {
    const ch: Chain = { name: c.name, rules: (c.rules ?? []).flatMap((r) => rulesFromArgs(r, args.sets)) };
    if (c.hook) {
      ch.type = c.type ?? "filter";
      ch.hook = c.hook;
      ch.priority = parsePriority(c.priority) ?? 0;
      ch.policy = c.policy ?? "accept";
    }
    return ch;
  });
  return { family, name, sets, chains };
}

function portText(p: PortSpec): string {
  const v = portVal(p);
  return v.k === "range" ? `${v.lo}-${v.hi}` : v.k === "num" ? String(v.v) : String(p);
}

export function chainHeader(c: Chain): string | undefined {
  if (!c.hook) return undefined;
  return `type ${c.type ?? "filter"} hook ${c.hook} priority ${priorityText(c.priority ?? 0)}; policy ${c.policy ?? "accept"};`;
}

export function setText(s: NftSet, indent = "\t"): string {
  const lines = [`${indent}set ${s.name} {`, `${indent}\ttype ${s.type}`];
  if (s.flags.length) lines.push(`${indent}\tflags ${s.flags.join(", ")}`);
  if (s.elements.length) lines.push(`${indent}\telements = { ${s.elements.join(", ")} }`);
  lines.push(`${indent}}`);
  return lines.join("\n");
}

export function chainText(c: Chain, indent = "\t"): string {
  const head = chainHeader(c);
  const lines = [
    `${indent}chain ${c.name} {`,
    ...(head ? [`${indent}\t${head}`] : []),
    ...c.rules.map((r) => `${indent}\t${r.raw ?? ruleText(r)}`),
    `${indent}}`,
  ];
  return lines.join("\n");
}

/** The table's definition in nft syntax, as `nft list table` would show it. */
export function tableText(t: Table): string {
  const body = [...t.sets.map((s) => setText(s)), ...t.chains.map((c) => chainText(c))];
  return `table ${t.family} ${t.name} {\n${body.join("\n\n")}\n}\n`;
}

/**
 * The nft script that replaces the table in one transaction (also the text keel persists).
 * With ownsRuleset, everything else goes too (`flush ruleset`).
 */
export function loadScript(t: Table, ownsRuleset: boolean): string {
  const head = ownsRuleset ? "flush ruleset\n" : `table ${t.family} ${t.name}\ndelete table ${t.family} ${t.name}\n`;
  return `${head}${tableText(t)}`;
}

/** The script that removes the table (state: absent). */
export function deleteScript(t: { family: string; name: string }): string {
  return `table ${t.family} ${t.name}\ndelete table ${t.family} ${t.name}\n`;
}
