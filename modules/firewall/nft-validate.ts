// Cross-argument checks of firewall.nftables, run when the playbook loads (the module's `validate`):
// what the schema cannot say (CIDRs, port ranges, protocols that go with ports, sets and chains that
// exist, raw rules that are one rule). Each error says where in the arguments and how to fix it. Pure.
import { ArgError, InputError } from "../../engine/core/errors.js";
import { parsePrefix } from "./addr.js";
import { SERVICES } from "./nft-model.js";
import { tokenize } from "./nft-parse.js";
import { addrFamilies, list, parsePriority, portVal, type NftRuleArgs, type NftablesArgs, type PortSpec } from "./nft-render.js";

const PORT_PROTOS = new Set(["tcp", "udp", "sctp", "udplite"]);
const IFNAME = /^[A-Za-z0-9_.:@+-]{1,15}$/;

/** Errors point at the top-level argument their path starts with ("chains[0] (input).rules[2]…" → chains). */
function fail(msg: string, hint?: string): never {
  const top = /^([a-z_]+)[[.:]/.exec(msg)?.[1];
  throw top ? new ArgError(top, msg, hint) : new InputError(msg, undefined, hint);
}

/** Checks an address or prefix ("10.0.0.0/8", "2001:db8::1"); names the argument when it is wrong. */
export function checkAddr(where: string, a: string, sets?: Set<string>): void {
  if (a.startsWith("@")) {
    if (sets && !sets.has(a.slice(1))) fail(`${where}: set ${a} is not declared in sets`, `declare it under sets: (name: ${a.slice(1)}) or use an address`);
    return;
  }
  if (!parsePrefix(a)) {
    const m = /^(.*)\/(\d+)$/.exec(a);
    const hint =
      m && parsePrefix(m[1]!)
        ? `the prefix length is at most ${parsePrefix(m[1]!)!.family === 4 ? 32 : 128}`
        : "write an IPv4 or IPv6 address, optionally with a prefix length: 10.0.0.0/8, 192.0.2.7, 2001:db8::/32";
    fail(`${where}: '${a}' is not a valid address or CIDR`, hint);
  }
}

/** Checks a port, a range ("8000-8080") or a known service name. */
export function checkPort(where: string, p: PortSpec): void {
  const v = portVal(p);
  const bad = (n: number) => !Number.isInteger(n) || n < 1 || n > 65535;
  if (v.k === "num" && Number.isNaN(v.v))
    fail(`${where}: unknown port '${p}'`, `use a number (1-65535), a range such as 8000-8080, or one of: ${Object.keys(SERVICES).join(", ")}`);
  if (v.k === "num" && bad(v.v)) fail(`${where}: port ${p} is out of range`, "ports are 1-65535");
  if (v.k === "range") {
    if (bad(v.lo) || bad(v.hi)) fail(`${where}: port range ${p} is out of range`, "ports are 1-65535");
    if (v.lo > v.hi) fail(`${where}: port range ${p} is backwards`, `write it low-high: ${v.hi}-${v.lo}`);
  }
}

/** A value that becomes a quoted nft string (comment, log prefix). */
export function checkQuoted(where: string, s: string, max: number): void {
  if (/["\n\r\0\\]/.test(s)) fail(`${where}: must not contain quotes, backslashes or line breaks`, "nft writes it as a quoted string");
  if (s.length > max) fail(`${where}: longer than ${max} characters`, "nft refuses longer ones");
}

/** A raw rule must be exactly one nft rule: no statement separators, balanced quotes and braces. */
export function checkRaw(where: string, raw: string): void {
  if (raw.trim() === "") fail(`${where}: empty raw rule`);
  if (/[\n\r\0;#]/.test(raw)) fail(`${where}: a raw rule is one rule on one line, without ';' or '#'`, "give each rule its own raw: entry");
  if (!tokenize(raw) || (raw.match(/\{/g) ?? []).length !== (raw.match(/\}/g) ?? []).length) fail(`${where}: unbalanced quotes or braces in '${raw}'`);
}

function checkRule(where: string, r: NftRuleArgs, args: NftablesArgs, chains: Map<string, boolean>, sets: Set<string>): void {
  const keys = Object.keys(r).filter((k) => (r as Record<string, unknown>)[k] !== undefined);
  if (r.raw !== undefined) {
    const others = keys.filter((k) => k !== "raw");
    if (others.length)
      fail(
        `${where}: raw: is a whole rule in nft syntax and cannot be combined with ${others.join(", ")}`,
        "write the whole rule in raw:, or use the structured keys without raw:",
      );
    checkRaw(`${where}.raw`, r.raw);
    return;
  }
  if (r.action === undefined && r.jump === undefined) fail(`${where}: the rule has no action`, "add action: accept, drop or reject (or jump: CHAIN)");
  if (r.action !== undefined && r.jump !== undefined) fail(`${where}: action and jump exclude each other`, "a rule ends in one verdict");
  if (r.action !== undefined && !["accept", "drop", "reject"].includes(r.action))
    fail(`${where}.action: unknown action '${r.action}'`, "use accept, drop or reject");
  if (r.jump !== undefined) {
    if (!chains.has(r.jump)) fail(`${where}.jump: chain '${r.jump}' is not declared in this table`, `declare it under chains: (name: ${r.jump}, no hook)`);
    if (chains.get(r.jump)) fail(`${where}.jump: chain '${r.jump}' is a base chain (it has a hook)`, "jump to a regular chain, declared without hook");
  }
  for (const f of ["iif", "oif"] as const)
    for (const i of list(r[f])) if (!IFNAME.test(i)) fail(`${where}.${f}: '${i}' is not an interface name`, "at most 15 letters, digits or . _ - : @ +");
  const fams = new Map<string, 4 | 6>();
  for (const s of args.sets ?? []) if (s.type === "ipv4_addr" || s.type === "ipv6_addr") fams.set(s.name, s.type === "ipv4_addr" ? 4 : 6);
  for (const f of ["saddr", "daddr"] as const) for (const a of list(r[f])) checkAddr(`${where}.${f}`, a, sets);
  const s = addrFamilies(list(r.saddr), fams);
  const d = addrFamilies(list(r.daddr), fams);
  if ((s[4].length && !s[6].length && d[6].length && !d[4].length) || (s[6].length && !s[4].length && d[4].length && !d[6].length))
    fail(`${where}: saddr and daddr are of different IP families; no packet can match both`, "use IPv4 addresses on both sides, or IPv6 on both");
  const protos = list(r.proto).filter((p) => p !== "any");
  const ports = [...list(r.sport).map((p) => ["sport", p] as const), ...list(r.dport).map((p) => ["dport", p] as const)];
  for (const [f, p] of ports) {
    if (typeof p === "string" && p.startsWith("@")) {
      if (!sets.has(p.slice(1))) fail(`${where}.${f}: set ${p} is not declared in sets`, `declare it under sets: (name: ${p.slice(1)}, type: inet_service)`);
    } else checkPort(`${where}.${f}`, p);
  }
  if (ports.length && (protos.length === 0 || protos.some((p) => !PORT_PROTOS.has(p))))
    fail(
      `${where}: ports need proto: tcp, udp (or a list of them)`,
      protos.length ? `${protos.filter((p) => !PORT_PROTOS.has(p)).join(", ")} has no ports` : "add proto: tcp",
    );
  if (list(r.icmp_type).length) {
    if (protos.some((p) => p !== "icmp")) fail(`${where}: icmp_type goes with proto: icmp only`, "remove proto, or set it to icmp");
    if (s[6].length || d[6].length) fail(`${where}: icmp_type is ICMP for IPv4, but the rule names IPv6 addresses`, "use icmpv6_type for IPv6");
  }
  if (list(r.icmpv6_type).length) {
    if (protos.some((p) => p !== "icmpv6")) fail(`${where}: icmpv6_type goes with proto: icmpv6 only`, "remove proto, or set it to icmpv6");
    if (s[4].length || d[4].length) fail(`${where}: icmpv6_type is ICMP for IPv6, but the rule names IPv4 addresses`, "use icmp_type for IPv4");
  }
  if (list(r.icmp_type).length && list(r.icmpv6_type).length && ports.length) fail(`${where}: ICMP has no ports`);
  if (r.comment !== undefined) checkQuoted(`${where}.comment`, r.comment, 128);
  if (r.log_prefix !== undefined) checkQuoted(`${where}.log_prefix`, r.log_prefix, 127);
}

/** The module's validate: throws InputError (the loader adds the task's file:line). */
export function validateNftables(args: NftablesArgs): void {
  if (args.state === "absent") return;
  if (!args.chains?.length && !args.sets?.length)
    fail(
      "firewall.nftables: no chains and no sets declared",
      "declare chains: (for example an input chain with hook: input and policy: drop), or state: absent to remove the table",
    );
  const sets = new Set<string>();
  for (const [i, s] of (args.sets ?? []).entries()) {
    if (sets.has(s.name)) fail(`sets[${i}]: set '${s.name}' is declared twice`);
    sets.add(s.name);
    for (const e of s.elements ?? []) {
      const w = `sets[${i}] (${s.name}).elements`;
      if (s.type === "ipv4_addr" || s.type === "ipv6_addr") {
        checkAddr(w, String(e));
        if (parsePrefix(String(e))!.family !== (s.type === "ipv4_addr" ? 4 : 6))
          fail(`${w}: '${e}' is not an ${s.type === "ipv4_addr" ? "IPv4" : "IPv6"} address`, `the set's type is ${s.type}`);
        if (String(e).includes("/") && s.flags && !s.flags.includes("interval")) fail(`${w}: '${e}' is a prefix, which needs flags: [interval]`);
      } else if (s.type === "inet_service") checkPort(w, e);
      else if (s.type === "ifname" && !IFNAME.test(String(e))) fail(`${w}: '${e}' is not an interface name`);
    }
  }
  const chains = new Map<string, boolean>();
  for (const [i, c] of (args.chains ?? []).entries()) {
    if (chains.has(c.name)) fail(`chains[${i}]: chain '${c.name}' is declared twice`);
    chains.set(c.name, c.hook !== undefined);
    if (c.hook === undefined && (c.policy !== undefined || c.priority !== undefined || c.type !== undefined))
      fail(`chains[${i}] (${c.name}): policy, priority and type need a hook`, "add hook: input (or output, forward…), or remove them for a regular chain");
    if (c.priority !== undefined && parsePriority(c.priority) === undefined)
      fail(
        `chains[${i}] (${c.name}).priority: '${c.priority}' is not a priority`,
        "a number, or filter, raw, mangle, dstnat, security, srcnat, optionally ± a number",
      );
  }
  for (const [i, c] of (args.chains ?? []).entries())
    for (const [j, r] of (c.rules ?? []).entries()) checkRule(`chains[${i}] (${c.name}).rules[${j}]`, r, args, chains, sets);
  if (args.rollback_timeout !== undefined && (args.rollback_timeout < 5 || args.rollback_timeout > 3600))
    fail(`rollback_timeout: ${args.rollback_timeout} s is out of range`, "5 to 3600 seconds");
}
