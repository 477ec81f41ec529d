// The JSON Schema of firewall.nftables' arguments: every property described, for the loader (ajv),
// `keel modules firewall.nftables` and the editor schema.
import type { JSONSchema } from "../../engine/core/module.js";

const oneOrMany = (item: JSONSchema, description: string): JSONSchema => ({ description, anyOf: [item, { type: "array", items: item }] });
const NAME = { type: "string", pattern: "^[A-Za-z][A-Za-z0-9_.-]{0,63}$" };
const port = { type: ["integer", "string"] };

export const RULE_SCHEMA: JSONSchema = {
  type: "object",
  additionalProperties: false,
  description: "One rule. Either structured keys (all of them must match; lists mean any of) or `raw:` alone.",
  properties: {
    raw: {
      type: "string",
      description:
        "The whole rule in nft syntax (`tcp dport 8080 ct state new accept`), the escape hatch. nft checks it on the host before anything is applied.",
    },
    iif: oneOrMany({ type: "string" }, "Input interface name(s) (`iifname`), e.g. `lo`, `eth0`."),
    oif: oneOrMany({ type: "string" }, "Output interface name(s) (`oifname`)."),
    saddr: oneOrMany(
      { type: "string" },
      "Source address(es) (an empty list: any): IPv4/IPv6 addresses or CIDRs (`10.0.0.0/8`, `2001:db8::/32`) or a named set (`@trusted`). IPv4 and IPv6 together make one rule per family.",
    ),
    daddr: oneOrMany({ type: "string" }, "Destination address(es), as saddr."),
    proto: oneOrMany(
      { enum: ["tcp", "udp", "icmp", "icmpv6", "sctp", "udplite", "any"] },
      "Protocol(s). Required with ports; `[tcp, udp]` matches both (`meta l4proto { tcp, udp } th dport …`).",
    ),
    sport: oneOrMany(port, "Source port(s): numbers, ranges (`1024-65535`) or service names (ssh, http, https…)."),
    dport: oneOrMany(port, "Destination port(s): numbers, ranges (`8000-8080`), service names (ssh, http, https…) or a named set (`@web_ports`)."),
    ct_state: oneOrMany({ enum: ["new", "established", "related", "invalid", "untracked"] }, "Connection tracking state(s) (`ct state`)."),
    icmp_type: oneOrMany(
      { type: "string", pattern: "^[a-z-]+$" },
      "ICMP (IPv4) type name(s): echo-request, destination-unreachable, time-exceeded, parameter-problem…",
    ),
    icmpv6_type: oneOrMany(
      { type: "string", pattern: "^[a-z-]+$" },
      "ICMPv6 type name(s): echo-request, nd-neighbor-solicit, nd-neighbor-advert, nd-router-advert, packet-too-big…",
    ),
    action: { enum: ["accept", "drop", "reject"], description: "The verdict: accept, drop or reject (an ICMP port-unreachable, `reject` in nft)." },
    jump: { type: "string", description: "Instead of action: jump to a regular chain of this table." },
    counter: { type: "boolean", description: "Count packets and bytes (`counter`); the counts themselves never count as drift." },
    log_prefix: { type: "string", description: 'Log matching packets with this prefix (`log prefix "…"`), at most 127 characters.' },
    comment: { type: "string", description: 'A comment stored with the rule in the kernel (`comment "…"`), at most 128 characters.' },
  },
};

export const NFT_ARGS_SCHEMA: JSONSchema = {
  type: "object",
  additionalProperties: false,
  properties: {
    family: { enum: ["inet", "ip", "ip6", "arp", "bridge", "netdev"], default: "inet", description: "The table's family. `inet` covers IPv4 and IPv6." },
    table: { ...NAME, default: "keel", description: "The table's name. keel owns this table only (unless owns_ruleset) and replaces it whole." },
    state: {
      enum: ["present", "absent"],
      default: "present",
      description: "`present`: the table holds exactly what is declared; `absent`: the table is deleted, live and persisted.",
    },
    sets: {
      type: "array",
      description: "Named sets of the table, referenced from rules as `@name`.",
      items: {
        type: "object",
        additionalProperties: false,
        required: ["name", "type"],
        properties: {
          name: { ...NAME, description: "The set's name." },
          type: {
            enum: ["ipv4_addr", "ipv6_addr", "inet_service", "ifname", "inet_proto", "mark"],
            description: "The element type: ipv4_addr, ipv6_addr, inet_service (ports), ifname…",
          },
          flags: {
            type: "array",
            items: { enum: ["interval", "constant", "timeout"] },
            description: "Set flags; `interval` is implied for address sets holding CIDRs.",
          },
          elements: { type: "array", items: { type: ["string", "integer"] }, description: "The elements; their order does not matter." },
        },
      },
    },
    chains: {
      type: "array",
      description: "The table's chains, each with its rules in order. A chain with a hook is a base chain.",
      items: {
        type: "object",
        additionalProperties: false,
        required: ["name"],
        properties: {
          name: { ...NAME, description: "The chain's name (input, output, forward or anything for a regular chain)." },
          type: { enum: ["filter", "nat", "route"], default: "filter", description: "Base chain type." },
          hook: {
            enum: ["prerouting", "input", "forward", "output", "postrouting", "ingress"],
            description: "Netfilter hook; without it the chain is a regular chain reached by `jump`.",
          },
          priority: {
            type: ["integer", "string"],
            description:
              "Base chain priority: a number or a name (`filter`, `raw`, `mangle`, `dstnat`, `security`, `srcnat`, `filter + 10`). Default 0 (filter).",
          },
          policy: { enum: ["accept", "drop"], description: "What happens to packets no rule decides. Default accept." },
          rules: { type: "array", items: RULE_SCHEMA, description: "The rules, in order." },
        },
      },
    },
    owns_ruleset: {
      type: "boolean",
      default: false,
      description: "keel owns the whole ruleset: other tables are reported and removed (`flush ruleset`), and /etc/nftables.conf holds only this table.",
    },
    persist: { type: "boolean", default: true, description: "Also persist the table so it survives a reboot (facet `persisted`)." },
    persist_file: {
      type: "string",
      pattern: "^/",
      description:
        "Persist to this file (wholly keel's). Default: /etc/nftables.d/keel-FAMILY-NAME.nft when /etc/nftables.conf includes /etc/nftables.d, else a marked block in /etc/nftables.conf.",
    },
    allow_lockout: {
      type: "boolean",
      default: false,
      description:
        "Apply even when keel evaluates that the new ruleset drops its own SSH connection. The dead-man switch still restores the old table if a new SSH connection fails.",
    },
    rollback_timeout: {
      type: "integer",
      default: 30,
      description: "Seconds before the dead-man timer on the host restores the previous table if keel has not confirmed a new SSH connection (5-3600).",
    },
  },
};
