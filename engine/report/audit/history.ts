// Audit history, as drift's: each audit is recorded (SQLite, one transaction per run), and the next
// one marks its failures new or persisting (since when), and lists as resolved the failures of the
// last audit of the same profile that now pass or no longer apply.
import type Database from "better-sqlite3";
import { openHistoryDb } from "../historydb.js";
import type { AuditReport } from "./model.js";
import { finalize } from "./score.js";

export const DEFAULT_AUDIT_HISTORY = ".keel/history/audit.sqlite";

export interface PreviousFailure {
  host: string;
  control: string;
  firstSeen: string;
}

export interface AuditRunRow {
  id: number;
  generated_at: string;
  profile: string;
  hosts: number;
  fail: number;
  waived: number;
  score: number | null;
}

/** Marks failures new / persisting and lists resolved ones against the previous audit. Pure. */
export function compareAudit(r: AuditReport, previous: PreviousFailure[], previousRun?: { run_id: number; generated_at: string }): AuditReport {
  const prev = new Map(previous.map((p) => [`${p.host}\n${p.control}`, p]));
  const hosts = r.hosts.map((h) => ({
    ...h,
    results: h.results.map((x) => {
      if (x.status !== "fail") return x;
      const p = prev.get(`${h.host}\n${x.control}`);
      return p ? { ...x, compare: "persisting" as const, since: p.firstSeen } : { ...x, compare: "new" as const, since: r.started_at };
    }),
    // Only a host checked this time can resolve anything, and only by passing or not applying.
    resolved:
      h.state === "checked"
        ? previous
            .filter((p) => p.host === h.host)
            .filter((p) => {
              const now = h.results.find((x) => x.control === p.control);
              return now !== undefined && (now.status === "pass" || now.status === "not_applicable");
            })
            .map((p) => ({ control: p.control, since: p.firstSeen }))
        : [],
  }));
  return finalize({ ...r, ...(previousRun ? { compared_with: previousRun } : {}), hosts });
}

export class AuditHistory {
  private readonly db: Database.Database;

  constructor(readonly path: string) {
    this.db = openHistoryDb(
      path,
      "audit",
      `
      CREATE TABLE IF NOT EXISTS audits (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        generated_at TEXT NOT NULL, profile TEXT NOT NULL, hosts INTEGER NOT NULL,
        fail INTEGER NOT NULL, waived INTEGER NOT NULL, score REAL, report TEXT NOT NULL
      );
      CREATE TABLE IF NOT EXISTS audit_failures (
        run_id INTEGER NOT NULL REFERENCES audits(id) ON DELETE CASCADE,
        host TEXT NOT NULL, control TEXT NOT NULL, first_seen TEXT NOT NULL,
        PRIMARY KEY (run_id, host, control)
      );
      CREATE INDEX IF NOT EXISTS audits_by_profile ON audits(profile, id);
    `,
    );
  }

  last(profile: string): AuditRunRow | undefined {
    return this.db
      .prepare(`SELECT id, generated_at, profile, hosts, fail, waived, score FROM audits WHERE profile = ? ORDER BY id DESC LIMIT 1`)
      .get(profile) as AuditRunRow | undefined;
  }

  run(id: number): AuditRunRow | undefined {
    return this.db.prepare(`SELECT id, generated_at, profile, hosts, fail, waived, score FROM audits WHERE id = ?`).get(id) as AuditRunRow | undefined;
  }

  failuresOf(runId: number): PreviousFailure[] {
    const rows = this.db.prepare(`SELECT host, control, first_seen FROM audit_failures WHERE run_id = ?`).all(runId) as {
      host: string;
      control: string;
      first_seen: string;
    }[];
    return rows.map((x) => ({ host: x.host, control: x.control, firstSeen: x.first_seen }));
  }

  /** Records an audit (its failures keep their first-seen time while they persist); returns its id. */
  record(r: AuditReport): number {
    const prev = this.last(r.profile.name);
    const seen = new Map((prev ? this.failuresOf(prev.id) : []).map((p) => [`${p.host}\n${p.control}`, p.firstSeen]));
    const tx = this.db.transaction(() => {
      const info = this.db
        .prepare(`INSERT INTO audits (generated_at, profile, hosts, fail, waived, score, report) VALUES (?,?,?,?,?,?,?)`)
        .run(r.started_at, r.profile.name, r.summary.hosts, r.summary.counts.fail, r.summary.counts.waived, r.summary.score.with_waivers, JSON.stringify(r));
      const id = Number(info.lastInsertRowid);
      const ins = this.db.prepare(`INSERT INTO audit_failures (run_id, host, control, first_seen) VALUES (?,?,?,?)`);
      for (const h of r.hosts)
        for (const x of h.results) if (x.status === "fail") ins.run(id, h.host, x.control, seen.get(`${h.host}\n${x.control}`) ?? r.started_at);
      return id;
    });
    return tx();
  }

  list(limit = 20): AuditRunRow[] {
    return this.db.prepare(`SELECT id, generated_at, profile, hosts, fail, waived, score FROM audits ORDER BY id DESC LIMIT ?`).all(limit) as AuditRunRow[];
  }

  close(): void {
    this.db.close();
  }
}
