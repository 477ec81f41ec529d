// The one way keel opens a history store (drift, audit and patch reports): SQLite through
// better-sqlite3 (12.x; 13 crashes on Node 20), WAL journal + synchronous=FULL, and one
// transaction per recorded run, so a crash mid-write leaves the store as it was before that run.
import Database from "better-sqlite3";
import { mkdirSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { InputError } from "../core/errors.js";

/**
 * Opens (creating it and its directory when missing) the history database at `path` and runs the
 * store's `schema` (CREATE … IF NOT EXISTS statements).
 * @param what the report kind, for the error text ("drift", "audit", "patch")
 * @throws InputError when the path is a directory or a file that is not a SQLite database
 */
export function openHistoryDb(path: string, what: string, schema: string): Database.Database {
  let isDir = false;
  try {
    isDir = statSync(path).isDirectory();
  } catch {
    /* does not exist yet: created below */
  }
  if (isDir) throw new InputError(`--history ${path} is a directory`, undefined, `give a database file, e.g. ${join(path, `${what}.sqlite`)}`);
  let db: Database.Database;
  try {
    mkdirSync(dirname(path), { recursive: true });
    db = new Database(path);
    db.pragma("journal_mode = WAL");
    db.pragma("synchronous = FULL");
    db.exec(schema);
  } catch (e) {
    throw new InputError(
      `--history ${path} cannot be used as a ${what} history: ${(e as Error).message}`,
      undefined,
      "point --history at a keel history database, or at a new file",
    );
  }
  return db;
}
