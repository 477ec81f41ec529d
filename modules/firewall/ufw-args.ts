// firewall.rule's arguments: those of Ansible's community.general.ufw (with its aliases), turned
// into one backend-neutral intent, and the checks that run at load (nonsensical combinations, bad
// addresses and ports). Pure.
import { ArgError, InputError } from "../../engine/core/errors.js";
import { parsePrefix } from "./addr.js";
import { SERVICES } from "./nft-model.js";

export interface UfwArgs {
  rule?: "allow" | "deny" | "limit" | "reject";
  policy?: "allow" | "deny" | "reject";
  default?: "allow" | "deny" | "reject";
  state?: "enabled" | "disabled" | "reloaded" | "reset";
  logging?: "on" | "off" | "low" | "medium" | "high" | "full" | boolean;
  direction?: "in" | "incoming" | "out" | "outgoing" | "routed";
  interface?: string;
  if?: string;
  interface_in?: string;
  interface_out?: string;
  from_ip?: string;
  from?: string;
  src?: string;
  from_port?: string | number;
  to_ip?: string;
  to?: string;
  dest?: string;
  to_port?: string | number;
  port?: string | number;
  proto?: string;
  protocol?: string;
  comment?: string;
  delete?: boolean;
  insert?: number;
  insert_relative_to?: "zero" | "first-ipv4" | "last-ipv4" | "first-ipv6" | "last-ipv6";
  log?: boolean;
  route?: boolean;
  name?: string;
  app?: string;
  allow_lockout?: boolean;
  rollback_timeout?: number;
  /** auto: the `firewall` fact decides; ufw: drive ufw itself (Ansible's names default to it). */
  backend?: "auto" | "ufw";
}

/** One rule as every backend sees it. Addresses "any" or a CIDR; ports as ufw writes them ("22", "8000:8080", "80,443"). */
export interface NormRule {
  action: "allow" | "deny" | "reject" | "limit";
  dir: "in" | "out";
  proto: string;
  src: string;
  sport?: string;
  dst: string;
  dport?: string;
  iface?: string;
  comment?: string;
  log: boolean;
}

export interface Intent {
  rule?: NormRule & { delete: boolean; insert?: number };
  policy?: { dir: "incoming" | "outgoing" | "routed"; value: "allow" | "deny" | "reject" };
  state?: "enabled" | "disabled" | "reloaded" | "reset";
  logging?: string;
}

const PORT_PROTOS = new Set(["tcp", "udp"]);

function fail(arg: string | undefined, msg: string, hint?: string): never {
  throw arg ? new ArgError(arg, msg, hint) : new InputError(msg, undefined, hint);
}

/** "22", "8000:8080", "80,443,8000:8080", "ssh" → ufw's port text; ArgError when out of range. */
export function normPort(arg: string, p: string | number): string {
  const s = String(p).trim();
  const parts = s.split(",").map((x) => x.trim());
  return parts
    .map((x) => {
      if (SERVICES[x] !== undefined) return String(SERVICES[x]);
      const m = /^(\d+)(?:[:-](\d+))?$/.exec(x);
      if (!m)
        fail(arg, `${arg}: '${s}' is not a port`, `a number 1-65535, a range such as 8000:8080, a list 80,443, or one of: ${Object.keys(SERVICES).join(", ")}`);
      const lo = Number(m[1]);
      const hi = m[2] === undefined ? lo : Number(m[2]);
      if (lo < 1 || hi > 65535 || lo > 65535) fail(arg, `${arg}: port ${x} is out of range`, "ports are 1-65535");
      if (lo > hi) fail(arg, `${arg}: port range ${x} is backwards`, `write it low:high: ${hi}:${lo}`);
      return lo === hi ? String(lo) : `${lo}:${hi}`;
    })
    .join(",");
}

function addr(arg: string, a: string | undefined): string {
  if (a === undefined || a === "any") return "any";
  const p = parsePrefix(a);
  if (!p) fail(arg, `${arg}: '${a}' is not a valid address or CIDR`, "write an IPv4 or IPv6 address, optionally with a prefix length (10.0.0.0/8), or any");
  return a;
}

// Ansible's ufw builds its command from the arguments that are truthy: an empty interface, address,
// port or comment (`interface: "{{ item.interface | default('') }}"`, as Oefenweb's ufw role writes)
// is left out, as if not given. Arguments with a fixed set of choices are not among them.
const OMITTED_WHEN_EMPTY = [
  "interface",
  "if",
  "interface_in",
  "interface_out",
  "from_ip",
  "from",
  "src",
  "from_port",
  "to_ip",
  "to",
  "dest",
  "to_port",
  "port",
  "comment",
  "name",
  "app",
] as const;

/** The arguments (aliases merged) as one intent; throws InputError/ArgError on nonsense. Called by validate and by the module. */
export function intentOf(given: UfwArgs): Intent {
  const a: UfwArgs = { ...given };
  for (const k of OMITTED_WHEN_EMPTY) if (a[k] === "") delete a[k];
  const one = <T>(names: (keyof UfwArgs)[]): [string | undefined, T | undefined] => {
    const given = names.filter((n) => a[n] !== undefined);
    if (given.length > 1) fail(given[1], `${given.join(" and ")} are the same argument (aliases); give one`);
    return [given[0], given[0] ? (a[given[0]] as T) : undefined];
  };
  const [, policy] = one<"allow" | "deny" | "reject">(["policy", "default"]);
  const [ifArg, iface] = one<string>(["interface", "if"]);
  const [fromArg, from] = one<string>(["from_ip", "from", "src"]);
  const [toArg, to] = one<string>(["to_ip", "to", "dest"]);
  const [dportArg, dport] = one<string | number>(["to_port", "port"]);
  const [, proto] = one<string>(["proto", "protocol"]);
  const [, appName] = one<string>(["name", "app"]);
  if (appName !== undefined) fail("name", "ufw application profiles (name:) are not supported by keel", "write the profile's port and proto instead");
  if (a.route) fail("route", "route: true (routed rules) is not supported by keel yet", "for forwarded traffic use firewall.nftables with a forward chain");
  const out: Intent = {};
  if (a.state) out.state = a.state;
  if (a.logging !== undefined) out.logging = a.logging === true ? "on" : a.logging === false ? "off" : a.logging;
  const ruleBits = (
    [
      "from_ip",
      "from",
      "src",
      "from_port",
      "to_ip",
      "to",
      "dest",
      "to_port",
      "port",
      "proto",
      "protocol",
      "comment",
      "delete",
      "insert",
      "insert_relative_to",
      "log",
      "interface_in",
      "interface_out",
    ] as const
  ).filter((k) => a[k] !== undefined);
  if (policy !== undefined) {
    const dir = a.direction === undefined || a.direction === "in" || a.direction === "incoming" ? "incoming" : a.direction === "routed" ? "routed" : "outgoing";
    if (a.rule === undefined && ruleBits.length)
      fail(ruleBits[0], `${ruleBits.join(", ")} describe a rule, but the task sets a default policy`, "use a separate task with rule: for the rule");
    out.policy = { dir, value: policy };
  }
  if (a.rule !== undefined) {
    if (a.direction === "routed") fail("direction", "direction: routed with rule: is not supported by keel yet", "use in or out");
    // As Ansible's ufw builds the command: interface_in means `in on IF`, interface_out `out on IF`
    // (so they carry the direction themselves and exclude direction:), interface needs direction:.
    if (a.interface_in !== undefined && a.interface_out !== undefined)
      fail("interface_out", "interface_in and interface_out together only make sense for routed rules", "give one of them (route: true is not supported)");
    const ioArg = a.interface_in !== undefined ? "interface_in" : a.interface_out !== undefined ? "interface_out" : undefined;
    if (ioArg && iface !== undefined) fail(ifArg, `interface and ${ioArg} exclude each other`, `${ioArg} already names the interface`);
    if (ioArg && a.direction !== undefined)
      fail("direction", `direction and ${ioArg} exclude each other (${ioArg} sets the direction)`, `drop direction:, or use interface: with direction:`);
    if (iface !== undefined && a.direction === undefined)
      fail(ifArg, `${ifArg} needs direction: in or out (as in Ansible's ufw)`, `add direction: in, or use interface_in / interface_out`);
    const dir = a.direction === "out" || a.direction === "outgoing" || a.interface_out !== undefined ? "out" : "in";
    const p = (proto ?? "any").toLowerCase();
    const src = addr(fromArg ?? "from_ip", from);
    const dst = addr(toArg ?? "to_ip", to);
    const fam = (x: string) => (x === "any" ? 0 : parsePrefix(x)!.family);
    if (fam(src) && fam(dst) && fam(src) !== fam(dst))
      fail(fromArg, `from_ip ${src} and to_ip ${dst} are of different IP families; no packet can match both`, "use IPv4 on both sides, or IPv6 on both");
    const sport = a.from_port !== undefined ? normPort("from_port", a.from_port) : undefined;
    const dp = dport !== undefined ? normPort(dportArg!, dport) : undefined;
    if ((sport !== undefined || dp !== undefined) && !PORT_PROTOS.has(p) && p !== "any")
      fail(proto !== undefined ? "proto" : dportArg, `proto ${p} has no ports`, "ports go with proto: tcp or udp (or any)");
    if ([sport, dp].some((x) => x !== undefined && /[:,]/.test(x)) && !PORT_PROTOS.has(p))
      fail(dportArg ?? "from_port", "a port range or list needs proto: tcp or udp", "ufw refuses ranges and lists for proto any");
    if (a.delete && a.insert !== undefined) fail("insert", "insert does not go with delete: true", "delete removes the rule wherever it is");
    if (a.insert !== undefined && (!Number.isInteger(a.insert) || a.insert < 1))
      fail("insert", `insert: ${a.insert} is not a rule position`, "positions start at 1");
    if (a.comment !== undefined && /['"\n\r\0\\]/.test(a.comment)) fail("comment", "comment: must not contain quotes, backslashes or line breaks");
    const r: NormRule & { delete: boolean; insert?: number } = { action: a.rule, dir, proto: p, src, dst, log: a.log === true, delete: a.delete === true };
    if (sport !== undefined) r.sport = sport;
    if (dp !== undefined) r.dport = dp;
    const i = iface ?? a.interface_in ?? a.interface_out;
    if (i !== undefined) {
      if (!/^[A-Za-z0-9_.:@+-]{1,15}$/.test(i)) fail(ifArg ?? "interface", `'${i}' is not an interface name`);
      r.iface = i;
    }
    if (a.comment !== undefined) r.comment = a.comment;
    if (a.insert !== undefined) r.insert = a.insert;
    out.rule = r;
  } else if (policy === undefined && ruleBits.length) {
    fail(ruleBits[0], `${ruleBits.join(", ")} describe a rule, but rule: is missing`, "add rule: allow, deny, limit or reject");
  }
  if (!out.rule && !out.policy && !out.state && out.logging === undefined)
    fail(undefined, "firewall.rule: nothing to do", "give rule:, policy:, state: or logging:");
  if (a.rollback_timeout !== undefined && (a.rollback_timeout < 5 || a.rollback_timeout > 3600))
    fail("rollback_timeout", `rollback_timeout: ${a.rollback_timeout} s is out of range`, "5 to 3600 seconds");
  return out;
}

/** The rule in ufw's command syntax (also how diffs show it). */
export function ufwCommand(r: NormRule): string {
  const parts: string[] = [r.action, r.dir];
  if (r.iface) parts.push("on", r.iface);
  if (r.log) parts.push("log");
  if (r.proto !== "any") parts.push("proto", r.proto);
  parts.push("from", r.src);
  if (r.sport) parts.push("port", r.sport);
  parts.push("to", r.dst);
  if (r.dport) parts.push("port", r.dport);
  if (r.comment !== undefined) parts.push("comment", `'${r.comment}'`);
  return parts.join(" ");
}
