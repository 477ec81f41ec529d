// keel history: the drift runs (or, with --audit, the audits) recorded in the local stores.
import type { Command } from "commander";
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import type { CommandContext } from "../context.js";
import { InputError } from "../../core/errors.js";
import { HistoryStore, DEFAULT_HISTORY, defaultHistoryPath } from "../../report/drift/history.js";
import { AuditHistory, DEFAULT_AUDIT_HISTORY } from "../../report/audit/history.js";

export function registerHistory(program: Command, ctx: CommandContext): void {
  program
    .command("history")
    .summary("list past drift runs with their counts")
    .description("List the drift runs recorded by `keel drift` (newest first), with host and item counts.")
    .option("--history <path>", `drift history database (default: ${DEFAULT_HISTORY} at the top of this git repository, else here)`)
    .option("-n, --last <n>", "how many runs", (v) => Number(v), 20)
    .option("--playbook <path>", "only runs of this playbook (as shown in the list)")
    .option("--audit", `list the audits recorded by \`keel audit\` instead (default store ${DEFAULT_AUDIT_HISTORY})`)
    .option("--json", "print JSON")
    .action((o: { history?: string; last: number; playbook?: string; json?: boolean; audit?: boolean }) => {
      if (o.audit) return audits(o.history ?? DEFAULT_AUDIT_HISTORY, o.last, Boolean(o.json), ctx);
      const path = resolve(o.history ?? defaultHistoryPath());
      if (!existsSync(path)) throw new InputError(`no drift history at ${path}`, undefined, "run `keel drift` first, or point --history at the store");
      const store = new HistoryStore(path);
      try {
        const rows = store.list(o.last, o.playbook);
        if (o.json) return void ctx.io.out(JSON.stringify(rows, null, 2) + "\n");
        const head = ["run", "time", "playbook", "shard", "hosts", "in sync", "drifted", "unreach.", "failed", "items", "unknown"];
        const body = rows.map((r) => [
          String(r.id),
          r.generated_at.replace(/\.\d+Z$/, "Z"),
          r.playbook,
          r.shard ?? "-",
          ...[r.hosts, r.in_sync, r.drifted, r.unreachable, r.failed, r.items, r.unknown].map(String),
        ]);
        const w = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
        const line = (cells: string[]) =>
          cells
            .map((c, i) => (i >= 4 ? c.padStart(w[i]!) : c.padEnd(w[i]!)))
            .join("  ")
            .trimEnd();
        ctx.io.out([line(head), ...body.map(line)].join("\n") + "\n");
        if (!rows.length) ctx.io.out("(no runs recorded)\n");
      } finally {
        store.close();
      }
    });
}

function audits(store: string, last: number, json: boolean, ctx: CommandContext): void {
  const path = resolve(store);
  if (!existsSync(path)) throw new InputError(`no audit history at ${store}`, undefined, "run `keel audit` first, or point --history at the store");
  const h = new AuditHistory(path);
  try {
    const rows = h.list(last);
    if (json) return void ctx.io.out(JSON.stringify(rows, null, 2) + "\n");
    const head = ["audit", "time", "profile", "hosts", "fail", "waived", "score"];
    const body = rows.map((r) => [
      String(r.id),
      r.generated_at.replace(/\.\d+Z$/, "Z"),
      r.profile,
      String(r.hosts),
      String(r.fail),
      String(r.waived),
      r.score === null ? "-" : String(r.score),
    ]);
    const w = head.map((x, i) => Math.max(x.length, ...body.map((b) => b[i]!.length)));
    const line = (cells: string[]) =>
      cells
        .map((c, i) => (i >= 3 ? c.padStart(w[i]!) : c.padEnd(w[i]!)))
        .join("  ")
        .trimEnd();
    ctx.io.out([line(head), ...body.map(line)].join("\n") + "\n");
    if (!rows.length) ctx.io.out("(no audits recorded)\n");
  } finally {
    h.close();
  }
}
