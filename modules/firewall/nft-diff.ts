// The semantic diff of firewall.nftables: the declared table against the live ruleset (facet "live")
// and against the persisted file (facet "persisted"), each with its own changes. Rules are compared
// by their canonical key (nft-model.ts), so counters, handles and nft's normalisations are not
// changes; every change names the rule in nft syntax. Pure.
import type { Change } from "../../engine/core/module.js";
import { canonRule, ruleKey, ruleText, type Chain, type NftSet, type Rule, type Table } from "./nft-model.js";
import { chainHeader, chainText, setText, tableText } from "./nft-render.js";

export type Facet = "live" | "persisted";

export interface NftPlan {
  /** What apply does for this change. */
  op: "load" | "delete" | "persist" | "unpersist";
  /** An action (a reload), not a difference in state: never drift. */
  action?: boolean;
}

export type NftChange = Change<NftPlan>;

/** A rule as diffs show it: canonical (sorted sets, names for numbers), a raw rule nft-like when keel parses it. */
const ruleLine = (r: Rule) => ruleText(canonRule({ ...r, raw: undefined }));

/** The table with every rule in its canonical text, so a diff shows only real differences. */
export function displayTable(t: Table): string {
  return tableText({ ...t, chains: t.chains.map((c) => ({ ...c, rules: c.rules.map((r) => ({ ...canonRule({ ...r, raw: undefined }), raw: undefined })) })) });
}

/** Rules of one chain: which live rules are not declared, which declared rules are missing, and order. */
export function diffRules(want: Chain, have: Chain): { extra: string[]; missing: string[]; reordered: boolean } {
  const wk = want.rules.map(ruleKey);
  const hk = have.rules.map(ruleKey);
  const count = (xs: string[]) => xs.reduce((m, k) => m.set(k, (m.get(k) ?? 0) + 1), new Map<string, number>());
  const wc = count(wk);
  const hc = count(hk);
  const extra: string[] = [];
  const missing: string[] = [];
  have.rules.forEach((r, i) => {
    const k = hk[i]!;
    const n = wc.get(k) ?? 0;
    if (n > 0) wc.set(k, n - 1);
    else extra.push(ruleLine(r));
  });
  want.rules.forEach((r, i) => {
    const k = wk[i]!;
    const n = hc.get(k) ?? 0;
    if (n > 0) hc.set(k, n - 1);
    else missing.push(ruleLine(r));
  });
  const common = new Set(wk.filter((k) => hk.includes(k)));
  const reordered = extra.length === 0 && missing.length === 0 && wk.filter((k) => common.has(k)).join("\n") !== hk.filter((k) => common.has(k)).join("\n");
  return { extra, missing, reordered };
}

function setsEqual(a: NftSet, b: NftSet): boolean {
  return a.type === b.type && a.flags.join(",") === b.flags.join(",") && a.elements.join(",") === b.elements.join(",");
}

/** Live differences of one table, each a change of facet "live" (summaries start with "live:"). */
export function diffLiveTable(want: Table, have: Table | undefined): NftChange[] {
  const id = `table ${want.family} ${want.name}`;
  const load = { op: "load" as const };
  const withDiff = (c: NftChange[]): NftChange[] => {
    if (c.length) c[0]!.diff = { path: `${id} (live ruleset)`, before: have ? displayTable(have) : "", after: displayTable(want) };
    return c;
  };
  if (!have) return withDiff([{ summary: `live: ${id} is missing from the ruleset`, field: "live", before: "absent", after: "present", data: load }]);
  const out: NftChange[] = [];
  for (const s of want.sets) {
    const h = have.sets.find((x) => x.name === s.name);
    if (!h) out.push({ summary: `live: set ${s.name} missing`, field: "live", after: setText(s, ""), data: load });
    else if (!setsEqual(s, h))
      out.push({
        summary: `live: set ${s.name} is { ${h.elements.join(", ")} }, declared { ${s.elements.join(", ")} }`,
        field: "live",
        before: setText(h, ""),
        after: setText(s, ""),
        data: load,
      });
  }
  for (const h of have.sets)
    if (!want.sets.some((s) => s.name === h.name))
      out.push({ summary: `live: set ${h.name} is not declared`, field: "live", before: setText(h, ""), data: load });
  for (const c of want.chains) {
    const h = have.chains.find((x) => x.name === c.name);
    if (!h) {
      out.push({ summary: `live: chain ${c.name} missing`, field: "live", after: chainText(c, ""), data: load });
      continue;
    }
    const wh = chainHeader(c) ?? "(regular chain)";
    const hh = chainHeader(h) ?? "(regular chain)";
    if (wh !== hh) out.push({ summary: `live: chain ${c.name}: ${hh} → ${wh}`, field: "live", before: hh, after: wh, data: load });
    const d = diffRules(c, h);
    for (const r of d.extra) out.push({ summary: `live: chain ${c.name} has a rule that is not declared: ${r}`, field: "live", before: r, data: load });
    for (const r of d.missing) out.push({ summary: `live: chain ${c.name} is missing the rule: ${r}`, field: "live", after: r, data: load });
    if (d.reordered)
      out.push({
        summary: `live: chain ${c.name} has the declared rules in another order`,
        field: "live",
        before: h.rules.map(ruleLine),
        after: c.rules.map(ruleLine),
        data: load,
      });
  }
  for (const h of have.chains)
    if (!want.chains.some((c) => c.name === h.name))
      out.push({ summary: `live: chain ${h.name} is not declared`, field: "live", before: chainText(h, ""), data: load });
  return withDiff(out);
}

/** With owns_ruleset: every other table is a change (it will be flushed). */
export function diffForeignTables(want: Table, live: Table[]): NftChange[] {
  return live
    .filter((t) => !(t.family === want.family && t.name === want.name))
    .map((t) => ({
      summary: `live: table ${t.family} ${t.name} is not declared (owns_ruleset: true removes it)`,
      field: "live",
      before: `table ${t.family} ${t.name}`,
      data: { op: "load" as const },
    }));
}

/** The persisted facet: the file (or block) keel writes, compared as text with what it should hold. */
export function diffPersisted(path: string, before: string | undefined, after: string, what: string): NftChange[] {
  if (before === after) return [];
  return [
    {
      summary: before === undefined ? `persisted: ${what} missing in ${path}` : `persisted: ${path} differs from the declared ${what}`,
      field: "persisted",
      diff: { path, before: before ?? "", after },
      data: { op: "persist" },
    },
  ];
}
