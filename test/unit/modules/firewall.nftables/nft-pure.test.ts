// The pure parts of the nftables modules: JSON normalisation, canonical comparison, flow evaluation,
// the lockout guard and argument validation. The JSON is real `nft -j list ruleset` output captured
// on a lab host (test/fixtures/captured/nft-sample-ruleset.json, loaded from the nft text in the
// comment of each case).
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { normAddr, parsePrefix } from "../../../../modules/firewall/addr.js";
import { parseNftJson } from "../../../../modules/firewall/nft-json.js";
import { ruleKey, ruleText, canonRule } from "../../../../modules/firewall/nft-model.js";
import { rawRule } from "../../../../modules/firewall/nft-parse.js";
import { desiredTable, rulesFromArgs, type NftablesArgs } from "../../../../modules/firewall/nft-render.js";
import { diffForeignTables, diffLiveTable } from "../../../../modules/firewall/nft-diff.js";
import { evaluate, inboundPolicy } from "../../../../modules/firewall/nft-flow.js";
import { checkLockout, futureTables, parseSshConnection } from "../../../../modules/firewall/guard.js";
import { validateNftables } from "../../../../modules/firewall/nft-validate.js";
import { persistTarget, splitBlock } from "../../../../modules/firewall/nft-persist.js";
import { InputError } from "../../../../engine/core/errors.js";

const sample = parseNftJson(readFileSync(new URL("../../../fixtures/captured/nft-sample-ruleset.json", import.meta.url), "utf8"));
const keel = sample.tables.find((t) => t.name === "keel")!;
const input = keel.chains.find((c) => c.name === "input")!;
const texts = input.rules.map((r) => ruleText(canonRule(r)));

describe("nft JSON → canonical rules", () => {
  it("reads tables, sets, chains and rules, dropping handles and counter values", () => {
    expect(sample.version).toBe("1.0.6");
    expect(keel.sets.map((s) => s.name)).toEqual(["trusted4", "trusted6", "ports"]);
    expect(keel.sets[0]!.elements).toEqual(["10.0.0.0/8", "192.168.1.5"]);
    expect(input).toMatchObject({ hook: "input", priority: 0, policy: "drop" });
    expect(texts).toContain('ip saddr 10.0.0.0/8 tcp dport 22 counter accept comment "ssh from lan"');
    expect(texts).toContain("ip saddr != 127.0.0.1 tcp dport 9999 counter drop");
  });
  it("renders nft's normalisations canonically", () => {
    expect(texts).toContain("ct state { established, related } accept");
    expect(texts).toContain("meta l4proto { tcp, udp } th dport 53 accept");
    expect(texts).toContain("icmpv6 type { echo-request, nd-neighbor-solicit, nd-router-advert } accept");
    expect(texts).toContain("tcp dport 23 reject with tcp reset");
    expect(texts).toContain("udp dport 69 reject");
    expect(texts).toContain('tcp dport @ports ct state new log prefix "web: " accept');
  });
  it("compares as equal what nft normalised: service names, set order, one-element sets, implied l4proto, match order", () => {
    const k = (t: string) => ruleKey(rawRule(t));
    const live = input.rules.map(ruleKey);
    expect(live).toContain(k("ip saddr { 192.168.0.0/16 } tcp dport { 8000-8080, 443, http } accept"));
    expect(live).toContain(k("meta l4proto icmp icmp type { time-exceeded, echo-request, destination-unreachable } accept"));
    expect(live).toContain(k('tcp dport 22 ip saddr 10.0.0.1/8 counter packets 3 bytes 9 accept comment "ssh from lan"'));
    expect(live).toContain(k("ct state established,related accept"));
    expect(live).not.toContain(k('tcp dport 22 ip saddr 10.0.0.0/8 accept comment "ssh from lan"'));
  });
  it("keeps rules it does not model as opaque text", () => {
    expect(rawRule("tcp dport 80 limit rate 10/second accept").opaque).toBe("tcp dport 80 limit rate 10/second accept");
  });
});

describe("arguments → table", () => {
  const args: NftablesArgs = {
    chains: [
      {
        name: "input",
        hook: "input",
        policy: "drop",
        rules: [
          { iif: "lo", action: "accept" },
          { saddr: ["10.0.0.0/8", "2001:db8::/32"], proto: "tcp", dport: "ssh", action: "accept" },
        ],
      },
    ],
  };
  it("splits a rule naming IPv4 and IPv6 addresses into one rule per family", () => {
    expect(rulesFromArgs(args.chains![0]!.rules![1]!, undefined).map(ruleText)).toEqual([
      "ip saddr 10.0.0.0/8 tcp dport 22 accept",
      "ip6 saddr 2001:db8::/32 tcp dport 22 accept",
    ]);
  });
  it("diffs against the live table rule by rule, naming each rule", () => {
    const changes = diffLiveTable(
      desiredTable({
        ...args,
        sets: keel.sets.map((s) => ({ name: s.name, type: s.type as "ipv4_addr", flags: s.flags as ["interval"], elements: s.elements })),
      }),
      keel,
    );
    const s = changes.map((c) => c.summary);
    expect(s).toContain("live: chain input has a rule that is not declared: tcp dport 23 reject with tcp reset");
    expect(s).toContain("live: chain input is missing the rule: ip6 saddr 2001:db8::/32 tcp dport 22 accept");
    expect(s).toContain("live: chain extra is not declared");
    expect(changes[0]!.diff?.before).toContain("table inet keel {");
  });
});

describe("flow evaluation and the lockout guard", () => {
  const ssh = parseSshConnection("198.18.0.1 40000 198.18.3.143 22", "eth0")!;
  it("finds the rule that decides, following jumps", () => {
    expect(evaluate(sample.tables, { family: 4, saddr: "10.1.1.1", proto: "tcp", dport: 22, ct: "new", iif: "eth0" }).verdict).toBe("accept");
    const v = evaluate(sample.tables, { family: 4, saddr: "198.18.0.1", daddr: "198.18.3.143", sport: 40000, proto: "tcp", dport: 22, ct: "new", iif: "eth0" });
    expect(v).toMatchObject({
      verdict: "reject",
      by: { chain: "input", rule: 'iifname "eth0" ip daddr 198.18.0.0/15 tcp sport 1024-65535 tcp dport != 25 reject' },
    });
    expect(evaluate(sample.tables, { family: 4, saddr: "203.0.113.9", proto: "tcp", dport: 7000, ct: "new", iif: "eth1" })).toMatchObject({
      verdict: "accept",
      by: { chain: "extra" },
    });
    expect(evaluate(sample.tables, { family: 4, saddr: "203.0.113.9", proto: "tcp", dport: 7001, ct: "new", iif: "eth1" })).toMatchObject({
      verdict: "drop",
      by: { rule: "policy drop" },
    });
  });
  it("refuses a ruleset that drops keel's SSH, naming the rule", () => {
    const want = desiredTable({
      chains: [
        {
          name: "input",
          hook: "input",
          policy: "accept",
          rules: [
            { ct_state: ["established", "related"], action: "accept" },
            { proto: "tcp", dport: 22, action: "drop" },
          ],
        },
      ],
    });
    const g = checkLockout(futureTables([], want, false), ssh);
    expect(g.established.verdict).toBe("accept");
    expect(g.refusal).toMatch(
      /a NEW SSH connection from the controller \(198\.18\.0\.1 → 198\.18\.3\.143:22\) would be dropped by the rule `tcp dport 22 drop` in chain input of table inet keel/,
    );
  });
  it("refuses a drop policy without an SSH rule, and accepts one with it", () => {
    const deny = desiredTable({ chains: [{ name: "input", hook: "input", policy: "drop", rules: [{ iif: "lo", action: "accept" }] }] });
    expect(checkLockout([deny], ssh).refusal).toMatch(/established SSH connection .* dropped by the policy drop of chain input/);
    const ok = desiredTable({
      chains: [
        {
          name: "input",
          hook: "input",
          policy: "drop",
          rules: [
            { ct_state: ["established", "related"], action: "accept" },
            { saddr: "198.18.0.0/15", proto: "tcp", dport: 22, action: "accept" },
          ],
        },
      ],
    });
    expect(checkLockout([ok], ssh).refusal).toBeUndefined();
  });
  it("refuses an output policy drop that would drop the host's SSH replies, and accepts it with established traffic allowed", () => {
    const input = { name: "input", hook: "input" as const, policy: "drop" as const, rules: [{ proto: "tcp", dport: 22, action: "accept" as const }] };
    const cut = desiredTable({ chains: [input, { name: "output", hook: "output", policy: "drop", rules: [{ oif: "lo", action: "accept" }] }] });
    const g = checkLockout([cut], ssh);
    expect(g.established.verdict).toBe("accept");
    expect(g.fresh.verdict).toBe("accept");
    expect(g.refusal).toMatch(
      /refusing to apply: the host's replies to keel's SSH connections \(198\.18\.3\.143:22 → 198\.18\.0\.1\) would be dropped by the policy drop of chain output in table inet keel\. Nothing was changed\. Accept established traffic in the output chain/,
    );
    const ok = desiredTable({
      chains: [input, { name: "output", hook: "output", policy: "drop", rules: [{ ct_state: ["established", "related"], action: "accept" }] }],
    });
    expect(checkLockout([ok], ssh).refusal).toBeUndefined();
  });
  it("counts a foreign table's drop too, and a rule it cannot evaluate as the worst case", () => {
    const ok = desiredTable({ chains: [{ name: "input", hook: "input", policy: "accept" }] });
    const docker = { ...keel, name: "docker" };
    expect(checkLockout(futureTables([keel, docker], ok, false), ssh).refusal).toMatch(
      /rejected by the rule `iifname "eth0" .* reject` in chain input of table inet docker/,
    );
    const limited = desiredTable({
      chains: [{ name: "input", hook: "input", policy: "accept", rules: [{ raw: "tcp dport 22 limit rate over 1/second drop" }] }],
    });
    expect(checkLockout([limited], ssh).refusal).toMatch(/assumes the worst/);
  });
  it("reports the effective inbound policy", () => {
    const t = desiredTable({
      sets: [{ name: "adm", type: "ipv4_addr", elements: ["10.9.0.0/16"] }],
      chains: [
        {
          name: "input",
          hook: "input",
          policy: "drop",
          rules: [
            { ct_state: ["established", "related"], action: "accept" },
            { proto: "tcp", dport: [22, 443], action: "accept" },
            { saddr: "@adm", proto: "udp", dport: 161, action: "accept" },
            { proto: "tcp", dport: 23, action: "drop" },
          ],
        },
      ],
    });
    expect(inboundPolicy([t])).toEqual({
      default: "drop",
      open: [
        { proto: "tcp", port: "22", from: ["any"] },
        { proto: "tcp", port: "443", from: ["any"] },
        { proto: "udp", port: "161", from: ["@adm"] },
      ],
    });
  });
  it("counts accept rules without a port as every port open, and interface rules on their interface", () => {
    const t = desiredTable({
      chains: [
        {
          name: "input",
          hook: "input",
          policy: "drop",
          rules: [
            { iif: "lo", action: "accept" },
            { ct_state: ["established", "related"], action: "accept" },
            { icmp_type: "echo-request", action: "accept" },
            { proto: "tcp", dport: 22, action: "accept" },
            { saddr: "10.0.0.0/8", action: "accept", comment: "mgmt" },
            { iif: "eth1", action: "accept" },
            { iif: "eth0", saddr: "192.0.2.0/24", proto: "tcp", dport: "8000-8080", action: "accept" },
            { saddr: "198.51.100.0/24", proto: "tcp", action: "drop" },
          ],
        },
      ],
    });
    expect(inboundPolicy([t])).toEqual({
      default: "drop",
      open: [
        { proto: "tcp", port: "1-65535", from: ["10.0.0.0/8"] },
        { proto: "tcp", port: "1-65535", from: ["any"], on: "eth1" },
        { proto: "tcp", port: "22", from: ["any"] },
        { proto: "tcp", port: "8000-8080", from: ["192.0.2.0/24"], on: "eth0" },
        { proto: "udp", port: "1-65535", from: ["10.0.0.0/8"] },
        { proto: "udp", port: "1-65535", from: ["any"], on: "eth1" },
      ],
    });
    // A port accepted by keel's table but dropped by another table's base chain is not open.
    const other = desiredTable({
      table: "fail2ban",
      family: "ip",
      chains: [{ name: "input", hook: "input", policy: "accept", rules: [{ saddr: "10.0.0.0/8", action: "drop" }] }],
    });
    expect(inboundPolicy([t, other]).open.filter((p) => p.from.includes("10.0.0.0/8"))).toEqual([]);
  });
});

describe("validation at load", () => {
  const bad = (args: NftablesArgs, msg: RegExp) => {
    let err: unknown;
    try {
      validateNftables(args);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).message).toMatch(msg);
    expect((err as InputError).hint).toBeTruthy();
  };
  const rule = (r: object) => ({ chains: [{ name: "input", hook: "input" as const, rules: [r] }] });
  it("rejects invalid CIDRs, ports out of range, unknown actions and nonsense combinations", () => {
    bad(rule({ saddr: "10.0.0.0/33", action: "accept" }), /saddr: '10\.0\.0\.0\/33' is not a valid address or CIDR/);
    bad(rule({ saddr: "10.0.0.300", action: "accept" }), /not a valid address/);
    bad(rule({ proto: "tcp", dport: 70000, action: "accept" }), /port 70000 is out of range/);
    bad(rule({ proto: "tcp", dport: "90-80", action: "accept" }), /backwards/);
    bad(rule({ proto: "tcp", dport: 22, action: "allow" }), /unknown action 'allow'/);
    bad(rule({ dport: 22, action: "accept" }), /ports need proto/);
    bad(rule({ raw: "tcp dport 22 accept", action: "drop" }), /raw: is a whole rule/);
    bad(rule({ raw: "tcp dport 22 accept; flush ruleset" }), /one rule on one line/);
    bad(rule({ saddr: "10.0.0.1", daddr: "2001:db8::1", action: "accept" }), /different IP families/);
    bad(rule({ proto: "tcp", icmp_type: "echo-request", action: "accept" }), /icmp_type goes with proto: icmp/);
    bad(rule({ saddr: "@nope", action: "accept" }), /set @nope is not declared/);
    bad(rule({ jump: "nowhere" }), /chain 'nowhere' is not declared/);
    bad(rule({ proto: "tcp" }), /has no action/);
  });
  it("accepts a sound table", () => {
    expect(() =>
      validateNftables(rule({ saddr: ["10.0.0.0/8", "2001:db8::/32"], proto: ["tcp", "udp"], dport: [53, "ssh", "8000-8080"], action: "accept" })),
    ).not.toThrow();
  });
});

describe("addresses and persistence", () => {
  it("normalises addresses as nft lists them", () => {
    expect(normAddr("10.1.2.3/8")).toBe("10.0.0.0/8");
    expect(normAddr("2001:DB8:0::1/128")).toBe("2001:db8::1");
    expect(normAddr("2001:db8:0:0:1::/64")).toBe("2001:db8::/64");
    expect(parsePrefix("::ffff:1.2.3.4")?.family).toBe(6);
  });
  it("keeps the rest of the main file around keel's block, and is stable", () => {
    const t = desiredTable({ chains: [{ name: "input", hook: "input" }] });
    const first = persistTarget(t, { ownsRuleset: false }, { main: "#!/usr/sbin/nft -f\nflush ruleset\n", files: {} });
    expect(first.how).toBe("block");
    const again = persistTarget(t, { ownsRuleset: false }, { main: first.after, files: {} });
    expect(again.after).toBe(first.after);
    expect(splitBlock(first.after, t).rest).toBe("#!/usr/sbin/nft -f\nflush ruleset\n\n");
  });
});

describe("owns_ruleset", () => {
  it("reports every other table and persists the whole ruleset", () => {
    const t = desiredTable({ chains: [{ name: "input", hook: "input", policy: "drop" }] });
    const docker = { ...keel, family: "ip", name: "docker" };
    expect(diffForeignTables(t, [keel, docker]).map((c) => c.summary)).toEqual(["live: table ip docker is not declared (owns_ruleset: true removes it)"]);
    const p = persistTarget(t, { ownsRuleset: true }, { main: "#!/usr/sbin/nft -f\nflush ruleset\ntable inet filter {}\n", files: {} });
    expect(p.how).toBe("ruleset");
    expect(p.after).toMatch(/^#!\/usr\/sbin\/nft -f\n# Managed by keel[^\n]*\n\nflush ruleset\n\ntable inet keel \{/);
    expect(p.after).not.toContain("inet filter");
  });
});
