// firewall.nftables: one nftables table as data. keel owns the table it declares (default inet keel)
// and never touches other tables (Docker's, libvirt's, fail2ban's) unless owns_ruleset: true.
//
// probe  `nft -j list ruleset`, the persisted file(s), keel's own SSH connection (nft-probe.ts)
// diff   semantic, rule by rule, facet "live" and facet "persisted" each with their own changes
//        (nft-diff.ts); a live change that would cut keel's SSH fails here, before anything is
//        touched, naming the rule (guard.ts), unless allow_lockout: true
// apply  the whole table in ONE `nft -f` transaction under a dead-man switch (deadman.ts), then
//        the persisted file, written atomically
import { defineModule } from "../../engine/core/module.js";
import { ModuleError } from "../../engine/core/errors.js";
import { shq } from "../../engine/core/shell.js";
import { diffForeignTables, diffLiveTable, diffPersisted, type NftChange, type NftPlan } from "./nft-diff.js";
import { deleteScript, desiredTable, loadScript, tableId, tableText, type NftablesArgs } from "./nft-render.js";
import { candidateFiles, persistTarget, unpersistTarget } from "./nft-persist.js";
import { nftProbeScript, parseNftProbe, type NftHostState } from "./nft-probe.js";
import { validateNftables } from "./nft-validate.js";
import { checkLockout, futureTables } from "./guard.js";
import { guardedLoad } from "./deadman.js";
import { NFT_ARGS_SCHEMA } from "./nft-schema.js";

export type { NftablesArgs };

export default defineModule<NftablesArgs, NftHostState, NftPlan>({
  name: "firewall.nftables",
  aliases: ["nftables"],
  description:
    "Ensure an nftables table (default `inet keel`) holds exactly the declared sets, chains and rules, live and persisted. " +
    "Compares rule by rule with nft's normalisations, loads the whole table in one transaction, and refuses a ruleset " +
    "that would cut keel's own SSH connection; a dead-man timer on the host restores the previous table if a new SSH " +
    "connection fails after the change.",
  args: NFT_ARGS_SCHEMA,

  resource(args) {
    const t = tableId(args);
    return `nftables table ${t.family} ${t.name}`;
  },

  validate(args) {
    validateNftables(args);
  },

  probe(args) {
    const files = candidateFiles(tableId(args), args.persist_file);
    return { script: nftProbeScript(files), parse: (stdout) => parseNftProbe(stdout, files) };
  },

  diff(st, args) {
    const id = tableId(args);
    if (!st.live)
      throw new ModuleError(
        `cannot read the nftables ruleset (${st.nftErr}); ${st.nftRc === 127 ? "install the nftables package" : "run the task with become: true"}`,
      );
    const live = st.live.tables.find((t) => t.family === id.family && t.name === id.name);
    const persist = args.persist !== false;
    if (args.state === "absent") {
      const out: NftChange[] = [];
      if (live)
        out.push({
          summary: `live: table ${id.family} ${id.name} present, to remove`,
          field: "live",
          before: tableText(live),
          after: "absent",
          data: { op: "delete" },
        });
      const u = persist ? unpersistTarget(id, args.persist_file, st.persist) : undefined;
      if (u)
        out.push({
          summary: `persisted: table ${id.family} ${id.name} in ${u.path}, to remove`,
          field: "persisted",
          diff: { path: u.path, before: u.before, after: u.after },
          data: { op: "unpersist" },
        });
      return out;
    }
    const want = desiredTable(args);
    const changes = [...diffLiveTable(want, live), ...(args.owns_ruleset ? diffForeignTables(want, st.live.tables) : [])];
    if (changes.length && st.ssh && !args.allow_lockout) {
      const g = checkLockout(futureTables(st.live.tables, want, args.owns_ruleset === true), st.ssh);
      if (g.refusal) throw new ModuleError(g.refusal);
    }
    if (persist) {
      const p = persistTarget(want, { ownsRuleset: args.owns_ruleset === true, ...(args.persist_file ? { persistFile: args.persist_file } : {}) }, st.persist);
      changes.push(...diffPersisted(p.path, p.before, p.after, `table ${id.family} ${id.name}`));
      if (p.stale)
        changes.push({
          summary: `persisted: ${p.stale.path} still holds an old keel block for table ${id.family} ${id.name}, to remove`,
          field: "persisted",
          diff: { path: p.stale.path, before: p.stale.before, after: p.stale.after },
          data: { op: "unpersist" },
        });
    }
    return changes;
  },

  explain(st, args) {
    const id = tableId(args);
    if (args.state === "absent") return `table ${id.family} ${id.name} absent, live and persisted`;
    const want = desiredTable(args);
    const n = want.chains.reduce((k, c) => k + c.rules.length, 0);
    const others = (st.live?.tables ?? []).filter((t) => !(t.family === id.family && t.name === id.name)).map((t) => `${t.family} ${t.name}`);
    return `table ${id.family} ${id.name} live and persisted as declared (${want.chains.length} chains, ${n} rules)${others.length ? `; other tables left alone: ${others.join(", ")}` : ""}`;
  },

  async apply(host, args, changes, st) {
    const id = tableId(args);
    const live = changes.filter((c) => c.data?.op === "load" || c.data?.op === "delete");
    const timeoutS = args.rollback_timeout ?? 30;
    let msg = "";
    let data: Record<string, unknown> = {};
    if (live.length) {
      const want = args.state === "absent" ? undefined : desiredTable(args);
      const script = want ? loadScript(want, args.owns_ruleset === true) : deleteScript(id);
      const r = await guardedLoad(host, { script, label: `table ${id.family} ${id.name}`, scope: args.owns_ruleset ? "ruleset" : id, timeoutS });
      msg = `loaded in one transaction (${r.loadMs} ms); a new SSH connection worked (${r.proofMs} ms)`;
      data = { load_ms: r.loadMs, proof_ms: r.proofMs };
    }
    for (const c of changes) {
      if (c.data?.op === "persist") {
        const want = desiredTable(args);
        const p = persistTarget(
          want,
          { ownsRuleset: args.owns_ruleset === true, ...(args.persist_file ? { persistFile: args.persist_file } : {}) },
          st.persist,
        );
        if (p.how === "include") await host.run(`mkdir -p ${shq(p.path.slice(0, p.path.lastIndexOf("/")))}`);
        await host.writeFile(p.path, p.after, { mode: "0644" });
      } else if (c.data?.op === "unpersist" && args.state !== "absent") {
        const p = persistTarget(
          desiredTable(args),
          { ownsRuleset: args.owns_ruleset === true, ...(args.persist_file ? { persistFile: args.persist_file } : {}) },
          st.persist,
        );
        if (p.stale) await host.writeFile(p.stale.path, p.stale.after, { mode: "0644" });
      } else if (c.data?.op === "unpersist") {
        const u = unpersistTarget(id, args.persist_file, st.persist);
        if (u?.remove) await host.run(`rm -f ${shq(u.path)}`);
        else if (u) await host.writeFile(u.path, u.after, { mode: "0644" });
      }
    }
    return { msg, data };
  },
});
