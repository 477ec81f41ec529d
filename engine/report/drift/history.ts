// The drift history store (opened by report/historydb.ts: one transaction per recorded run).
import type Database from "better-sqlite3";
import { existsSync, realpathSync } from "node:fs";
import { openHistoryDb } from "../historydb.js";
import { isAbsolute, join, relative } from "node:path";
import { baselineOf, gitTop, type Baseline } from "../meta.js";
import type { DriftReport, DriftItem, DriftSummary } from "./model.js";
import { firstSeen, type PreviousItem } from "./compare.js";

export const DEFAULT_HISTORY = ".keel/history/drift.sqlite";

/**
 * Where the drift history lives unless --history says otherwise: DEFAULT_HISTORY under the top of
 * the git repository holding the playbook (`repo`, from baselineOf), else of the current folder,
 * else under the current folder. So `keel drift pb/baseline.yml` run from the top and `keel drift
 * baseline.yml` run from pb/ share one store, as they share one history key.
 */
export function defaultHistoryPath(repo?: string): string {
  return join(repo ?? gitTop(process.cwd()) ?? process.cwd(), DEFAULT_HISTORY);
}

const RUN_COLUMNS = "id, generated_at, playbook, shard, hosts, in_sync, drifted, unreachable, failed, items, unknown";

/** One recorded run: its identity and the counts of its summary (resolved is not stored). */
export interface RunRow extends Omit<DriftSummary, "resolved"> {
  id: number;
  generated_at: string;
  playbook: string;
  shard: string | null;
}

export class HistoryStore {
  private readonly db: Database.Database;

  /** @throws InputError when the path is a directory or a file that is not a SQLite database. */
  constructor(readonly path: string) {
    this.db = openHistoryDb(
      path,
      "drift",
      `
      CREATE TABLE IF NOT EXISTS runs (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        generated_at TEXT NOT NULL, playbook TEXT NOT NULL, shard TEXT,
        hosts INTEGER NOT NULL, in_sync INTEGER NOT NULL, drifted INTEGER NOT NULL,
        unreachable INTEGER NOT NULL, failed INTEGER NOT NULL, items INTEGER NOT NULL, unknown INTEGER NOT NULL,
        report TEXT NOT NULL
      );
      CREATE TABLE IF NOT EXISTS items (
        run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        key TEXT NOT NULL, host TEXT NOT NULL, first_seen TEXT NOT NULL, item TEXT NOT NULL,
        PRIMARY KEY (run_id, key)
      );
      CREATE INDEX IF NOT EXISTS runs_by_playbook ON runs(playbook, shard, id);
    `,
    );
    // `scope` (historyKey) came later: stores made before it get the column, their runs none.
    const cols = this.db.prepare(`PRAGMA table_info(runs)`).all() as { name: string }[];
    if (!cols.some((c) => c.name === "scope")) this.db.exec(`ALTER TABLE runs ADD COLUMN scope TEXT`);
    this.db.exec(`CREATE INDEX IF NOT EXISTS runs_by_scope ON runs(scope, shard, id)`);
  }

  /** The latest run of the same scope (historyKey: playbook, inventory, --limit) and shard, if any. */
  last(scope: string, shard: string | null): RunRow | undefined {
    return this.db.prepare(`SELECT ${RUN_COLUMNS} FROM runs WHERE scope = ? AND shard IS ? ORDER BY id DESC LIMIT 1`).get(scope, shard) as RunRow | undefined;
  }

  /** One run by its id (as `keel history` lists it). */
  run(id: number): RunRow | undefined {
    return this.db.prepare(`SELECT ${RUN_COLUMNS} FROM runs WHERE id = ?`).get(id) as RunRow | undefined;
  }

  itemsOf(runId: number): PreviousItem[] {
    const rows = this.db.prepare(`SELECT host, first_seen, item FROM items WHERE run_id = ?`).all(runId) as {
      host: string;
      first_seen: string;
      item: string;
    }[];
    return rows.map((r) => ({ host: r.host, firstSeen: r.first_seen, item: JSON.parse(r.item) as DriftItem }));
  }

  /** Records a run in one transaction and returns its id. `scope`: historyKey(); default the playbook as shown. */
  record(r: DriftReport, scope: string = r.playbook): number {
    const shard = r.shard ? `${r.shard.index}/${r.shard.total}` : null;
    const prev = this.last(scope, shard);
    const seen = firstSeen(r, prev ? this.itemsOf(prev.id) : []);
    const insertRun = this.db.prepare(
      `INSERT INTO runs (generated_at, playbook, shard, hosts, in_sync, drifted, unreachable, failed, items, unknown, report, scope) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)`,
    );
    const insertItem = this.db.prepare(`INSERT OR REPLACE INTO items (run_id, key, host, first_seen, item) VALUES (?,?,?,?,?)`);
    const tx = this.db.transaction(() => {
      const s = r.summary;
      const info = insertRun.run(
        r.generated_at,
        r.playbook,
        shard,
        s.hosts,
        s.in_sync,
        s.drifted,
        s.unreachable,
        s.failed,
        s.items,
        s.unknown,
        JSON.stringify(r),
        scope,
      );
      const id = Number(info.lastInsertRowid);
      for (const h of r.hosts)
        for (const it of h.items) {
          const { compare: _c, since: _s, ...plain } = it;
          insertItem.run(id, it.key, h.host, seen.get(it.key) ?? r.generated_at, JSON.stringify(plain));
        }
      return id;
    });
    return tx();
  }

  list(limit = 20, playbook?: string): RunRow[] {
    const sql = `SELECT ${RUN_COLUMNS} FROM runs ${playbook ? "WHERE playbook = ?" : ""} ORDER BY id DESC LIMIT ?`;
    return (playbook ? this.db.prepare(sql).all(playbook, limit) : this.db.prepare(sql).all(limit)) as RunRow[];
  }

  report(id: number): DriftReport | undefined {
    const row = this.db.prepare(`SELECT report FROM runs WHERE id = ?`).get(id) as { report: string } | undefined;
    return row ? (JSON.parse(row.report) as DriftReport) : undefined;
  }

  close(): void {
    this.db.close();
  }
}

/**
 * What makes two drift runs comparable: the playbook (its real path relative to the root of its git
 * repository, so `pb/baseline.yml` typed from the top and `baseline.yml` typed from pb/ are one
 * baseline, wherever the checkout lives), the inventory sources (real paths relative to that root,
 * or as given when they are not files: a host list "a,b,"), and --limit.
 */
export function historyKey(playbook: string, inventory: string[], limit: string | undefined, b: Baseline = baselineOf(playbook)): string {
  const norm = (src: string): string => {
    if (!existsSync(src)) return src;
    const real = realpathSync(src);
    if (!b.repo) return real;
    const rel = relative(b.repo, real);
    return rel.startsWith("..") || isAbsolute(rel) ? real : rel || ".";
  };
  return JSON.stringify({
    playbook: b.repo ? b.playbook : existsSync(playbook) ? realpathSync(playbook) : playbook,
    inventory: inventory.map(norm),
    limit: limit ?? null,
  });
}
