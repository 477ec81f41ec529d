// The patch report history: SQLite (better-sqlite3), one transaction per recorded run, as the
// drift history. Runs are grouped by scope (the inventory sources and the shard), so a nightly CI
// job compares with its own previous run: "new since yesterday".
import type Database from "better-sqlite3";
import { openHistoryDb } from "../historydb.js";
import type { PatchItem, PatchReport } from "./model.js";

export const DEFAULT_PATCH_HISTORY = ".keel/history/patch.sqlite";

export interface PatchRunRow {
  id: number;
  generated_at: string;
  scope: string;
  hosts: number;
  updates: number;
  security_updates: number;
}

export function patchScope(r: Pick<PatchReport, "inventory" | "shard">): string {
  return `${r.inventory.join(",")}${r.shard ? `#${r.shard.index}/${r.shard.total}` : ""}`;
}

export class PatchHistory {
  private readonly db: Database.Database;

  constructor(readonly path: string) {
    this.db = openHistoryDb(
      path,
      "patch",
      `
      CREATE TABLE IF NOT EXISTS runs (
        id INTEGER PRIMARY KEY AUTOINCREMENT, generated_at TEXT NOT NULL, scope TEXT NOT NULL,
        hosts INTEGER NOT NULL, updates INTEGER NOT NULL, security_updates INTEGER NOT NULL, report TEXT NOT NULL
      );
      CREATE TABLE IF NOT EXISTS items (
        run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        key TEXT NOT NULL, host TEXT NOT NULL, first_seen TEXT NOT NULL, item TEXT NOT NULL,
        PRIMARY KEY (run_id, key)
      );
      CREATE INDEX IF NOT EXISTS runs_by_scope ON runs(scope, id);
    `,
    );
  }

  last(scope: string): PatchRunRow | undefined {
    return this.db.prepare(`SELECT id, generated_at, scope, hosts, updates, security_updates FROM runs WHERE scope = ? ORDER BY id DESC LIMIT 1`).get(scope) as
      PatchRunRow | undefined;
  }

  run(id: number): PatchRunRow | undefined {
    return this.db.prepare(`SELECT id, generated_at, scope, hosts, updates, security_updates FROM runs WHERE id = ?`).get(id) as PatchRunRow | undefined;
  }

  itemsOf(runId: number): { host: string; firstSeen: string; item: PatchItem }[] {
    const rows = this.db.prepare(`SELECT host, first_seen, item FROM items WHERE run_id = ?`).all(runId) as {
      host: string;
      first_seen: string;
      item: string;
    }[];
    return rows.map((r) => ({ host: r.host, firstSeen: r.first_seen, item: JSON.parse(r.item) as PatchItem }));
  }

  /** Records a run (its pending updates keep the first_seen of the same update in the previous run). */
  record(r: PatchReport): number {
    const scope = patchScope(r);
    const prev = this.last(scope);
    const seen = new Map(prev ? this.itemsOf(prev.id).map((p) => [p.item.key, p.firstSeen]) : []);
    const insertRun = this.db.prepare(`INSERT INTO runs (generated_at, scope, hosts, updates, security_updates, report) VALUES (?,?,?,?,?,?)`);
    const insertItem = this.db.prepare(`INSERT OR REPLACE INTO items (run_id, key, host, first_seen, item) VALUES (?,?,?,?,?)`);
    return this.db.transaction(() => {
      const id = Number(
        insertRun.run(r.generated_at, scope, r.summary.hosts, r.summary.updates, r.summary.security_updates, JSON.stringify(r)).lastInsertRowid,
      );
      for (const h of r.hosts)
        for (const u of h.updates) {
          const { compare: _c, since: _s, ...plain } = u;
          insertItem.run(id, u.key, h.host, seen.get(u.key) ?? r.generated_at, JSON.stringify(plain));
        }
      return id;
    })();
  }

  close(): void {
    this.db.close();
  }
}
