// firewall.rule's own strategy on hosts without ufw or firewalld: rule by rule in keel's table
// `inet keel_rules` (firewall.nftables owns `inet keel`; the two never touch each other's table).
// Like ufw, the table accepts loopback, established/related traffic and IPv6 neighbour discovery
// before the user's rules, so a deny policy does not cut running connections. Rules added by hand
// stay; only the task's rule is added or removed. The whole table is then loaded in one `nft -f`
// transaction under the dead-man switch and persisted like firewall.nftables' table.
import type { Change } from "../../../engine/core/module.js";
import { ModuleError } from "../../../engine/core/errors.js";
import { ruleKey, type Chain, type Rule, type Table } from "../nft-model.js";
import { rulesFromArgs } from "../nft-render.js";
import { diffLiveTable, diffPersisted, type NftPlan } from "../nft-diff.js";
import { persistTarget, unpersistTarget } from "../nft-persist.js";
import { checkLockout, futureTables } from "../guard.js";
import type { NftHostState } from "../nft-probe.js";
import type { Intent, NormRule } from "../ufw-args.js";

export const RULES_TABLE = { family: "inet", name: "keel_rules" } as const;

const pre = (r: Omit<Rule, "counter" | "other">): Rule => ({ counter: false, other: [], ...r });

/** What the table holds before any rule: the part of ufw's before.rules a host needs. */
export function baseTable(): Table {
  const ctOk = pre({
    matches: [
      {
        left: "ct state",
        op: "==",
        vals: [
          { k: "str", v: "established" },
          { k: "str", v: "related" },
        ],
      },
    ],
    verdict: { k: "accept" },
    comment: "keel: established",
  });
  return {
    ...RULES_TABLE,
    sets: [],
    chains: [
      {
        name: "input",
        type: "filter",
        hook: "input",
        priority: 0,
        policy: "accept",
        rules: [
          pre({ matches: [{ left: "iifname", op: "==", vals: [{ k: "str", v: "lo" }] }], verdict: { k: "accept" }, comment: "keel: loopback" }),
          ctOk,
          pre({ matches: [{ left: "ct state", op: "==", vals: [{ k: "str", v: "invalid" }] }], verdict: { k: "drop" }, comment: "keel: invalid" }),
          pre({
            matches: [
              {
                left: "icmpv6 type",
                op: "==",
                vals: ["nd-neighbor-solicit", "nd-neighbor-advert", "nd-router-advert", "packet-too-big"].map((v) => ({ k: "str" as const, v })),
              },
            ],
            verdict: { k: "accept" },
            comment: "keel: icmpv6",
          }),
          pre({
            matches: [
              { left: "icmp type", op: "==", vals: ["destination-unreachable", "time-exceeded", "parameter-problem"].map((v) => ({ k: "str" as const, v })) },
            ],
            verdict: { k: "accept" },
            comment: "keel: icmp",
          }),
        ],
      },
      {
        name: "output",
        type: "filter",
        hook: "output",
        priority: 0,
        policy: "accept",
        rules: [pre({ matches: [{ left: "oifname", op: "==", vals: [{ k: "str", v: "lo" }] }], verdict: { k: "accept" }, comment: "keel: loopback" }), ctOk],
      },
      { name: "forward", type: "filter", hook: "forward", priority: 0, policy: "accept", rules: [] },
    ],
  };
}

const BASE_COUNT: Record<string, number> = { input: 5, output: 2, forward: 0 };
const VERDICT = { allow: "accept", deny: "drop", reject: "reject" } as const;
const POLICY = { allow: "accept", deny: "drop", reject: "drop" } as const;

/** A ufw-style rule as nft rules (one per family when it names both). */
export function nftRulesFor(r: NormRule): Rule[] {
  if (r.action === "limit")
    throw new ModuleError(
      "rule: limit is a ufw feature; keel's nftables table has no rate limit for it (use firewall.nftables with a raw: rule using limit or meter)",
    );
  const ports = (p: string | undefined) => (p === undefined ? undefined : p.split(",").map((x) => x.replace(":", "-")));
  return rulesFromArgs(
    {
      ...(r.iface ? (r.dir === "in" ? { iif: r.iface } : { oif: r.iface }) : {}),
      ...(r.src !== "any" ? { saddr: r.src } : {}),
      ...(r.dst !== "any" ? { daddr: r.dst } : {}),
      ...(r.proto !== "any" ? { proto: r.proto } : r.sport || r.dport ? { proto: ["tcp", "udp"] } : {}),
      ...(r.sport ? { sport: ports(r.sport) } : {}),
      ...(r.dport ? { dport: ports(r.dport) } : {}),
      action: VERDICT[r.action],
      ...(r.log ? { log_prefix: `[keel ${r.action}] ` } : {}),
      ...(r.comment !== undefined ? { comment: r.comment } : {}),
    },
    undefined,
  );
}

/** The table after the intent, from the live one (or the base table when there is none). */
export function tableAfter(live: Table | undefined, intent: Intent): Table | undefined {
  if (intent.state === "disabled") return undefined;
  const t: Table = intent.state === "reset" || !live ? baseTable() : { ...live, chains: live.chains.map((c) => ({ ...c, rules: [...c.rules] })) };
  if (intent.policy) {
    const name = intent.policy.dir === "incoming" ? "input" : intent.policy.dir === "outgoing" ? "output" : "forward";
    const c = t.chains.find((x) => x.name === name);
    if (c) c.policy = POLICY[intent.policy.value];
  }
  const r = intent.rule;
  if (r) {
    const chain: Chain | undefined = t.chains.find((c) => c.name === (r.dir === "in" ? "input" : "output"));
    if (!chain)
      throw new ModuleError(
        `table inet ${RULES_TABLE.name} has no ${r.dir === "in" ? "input" : "output"} chain; remove it (nft delete table inet ${RULES_TABLE.name}) and keel recreates it`,
      );
    const rules = nftRulesFor(r);
    const keys = new Set(rules.map(ruleKey));
    if (r.delete) chain.rules = chain.rules.filter((x) => !keys.has(ruleKey(x)));
    else {
      const missing = rules.filter((x) => !chain.rules.some((y) => ruleKey(y) === ruleKey(x)));
      const at = r.insert !== undefined ? Math.min(chain.rules.length, (BASE_COUNT[chain.name] ?? 0) + r.insert - 1) : chain.rules.length;
      chain.rules.splice(at, 0, ...missing);
    }
  }
  return t;
}

/** Pure: the changes of the intent on keel's rules table, live and persisted; refuses a lockout. */
export function diffNftRule(st: NftHostState, intent: Intent, opts: { allowLockout: boolean }): Change<NftPlan>[] {
  if (!st.live)
    throw new ModuleError(
      `cannot read the nftables ruleset (${st.nftErr}); ${st.nftRc === 127 ? "install nftables, ufw or firewalld" : "run the task with become: true"}`,
    );
  if (intent.logging !== undefined) throw new ModuleError("logging: is a ufw setting; with keel's nftables table, log per rule (log: true)");
  const live = st.live.tables.find((t) => t.family === RULES_TABLE.family && t.name === RULES_TABLE.name);
  if (intent.state === "reloaded")
    return [{ summary: `reload table inet ${RULES_TABLE.name} from its persisted file`, field: "state", data: { op: "load", action: true } as NftPlan }];
  const want = tableAfter(live, intent);
  if (!want) {
    const out: Change<NftPlan>[] = live
      ? [
          {
            summary: `live: table inet ${RULES_TABLE.name} present, to remove (state: disabled)`,
            field: "live",
            before: "present",
            after: "absent",
            data: { op: "delete" },
          },
        ]
      : [];
    const u = unpersistTarget(RULES_TABLE, undefined, st.persist);
    if (u)
      out.push({
        summary: `persisted: table inet ${RULES_TABLE.name} in ${u.path}, to remove (state: disabled)`,
        field: "persisted",
        diff: { path: u.path, before: u.before, after: u.after },
        data: { op: "unpersist" },
      });
    return out;
  }
  const changes = diffLiveTable(want, live);
  if (changes.length && st.ssh && !opts.allowLockout) {
    const g = checkLockout(futureTables(st.live.tables, want, false), st.ssh);
    if (g.refusal) throw new ModuleError(g.refusal);
  }
  const p = persistTarget(want, { ownsRuleset: false }, st.persist);
  changes.push(...diffPersisted(p.path, p.before, p.after, `table inet ${RULES_TABLE.name}`));
  return changes;
}
