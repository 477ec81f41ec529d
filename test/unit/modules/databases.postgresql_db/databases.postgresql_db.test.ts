import { describe, expect, it } from "vitest";
import mod from "../../../../modules/databases/postgresql_db.js";
import type { Host, ExecOptions } from "../../../../engine/core/module.js";
import { BASE_FACTS } from "../harness.js";

/** The SQL apply sends on psql's stdin, per command. */
async function applied(args: Record<string, unknown>, stdout: string): Promise<{ cmd: string; sql: string }[]> {
  const calls: { cmd: string; sql: string }[] = [];
  const host = {
    name: "h",
    facts: BASE_FACTS,
    run: async (cmd: string, o?: ExecOptions) => (calls.push({ cmd, sql: String(o?.stdin ?? "") }), { stdout: "", stderr: "", rc: 0 }),
  } as unknown as Host;
  const st = mod.probe(args as never, BASE_FACTS).parse(stdout, 0);
  await mod.apply(host, args as never, mod.diff(st, args as never, BASE_FACTS), st);
  return calls;
}

describe("databases.postgresql_db", () => {
  it("fails with psql's own message when the server cannot be reached (captured on a lab scratch host)", () => {
    const out =
      "@pgdb\nrc=2\nout:b64=" +
      Buffer.from('psql: error: connection to server on socket "/nonexist/.s.PGSQL.5432" failed: No such file or directory').toString("base64") +
      "\n";
    expect(() => mod.probe({ name: "app" }, BASE_FACTS).parse(out, 0)).toThrow(
      /unable to connect to database: psql: error: connection to server on socket "\/nonexist/,
    );
  });

  it("creates with the statement Ansible's db_create builds, identifiers quoted, outside a transaction", async () => {
    const calls = await applied(
      { name: 'we"ird', owner: "appuser", encoding: "UTF-8", lc_collate: "C.UTF-8", lc_ctype: "C.UTF-8", template: "template0", conn_limit: "5" },
      '@pgdb\nrc=0\nout=KEEL-PG:{"version" : 150020, "db" : null, "want_enc" : 6}\n',
    );
    expect(calls).toHaveLength(1);
    expect(calls[0]!.sql).toBe(
      `CREATE DATABASE "we""ird" OWNER "appuser" TEMPLATE "template0" ENCODING 'UTF-8' LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8' CONNECTION LIMIT 5;\n`,
    );
  });

  it("drops with force: WITH (FORCE) from PostgreSQL 13, blocking and terminating connections before", async () => {
    const db =
      '"db" : {"owner" : "postgres", "encoding" : "UTF8", "encoding_id" : 6, "lc_collate" : "C", "lc_ctype" : "C", "conn_limit" : -1, "tablespace" : "pg_default"}';
    expect((await applied({ name: "app", state: "absent", force: true }, `@pgdb\nrc=0\nout=KEEL-PG:{"version" : 150020, ${db}}\n`))[0]!.sql).toBe(
      'DROP DATABASE "app" WITH (FORCE);\n',
    );
    const old = (await applied({ name: "app", state: "absent", force: true }, `@pgdb\nrc=0\nout=KEEL-PG:{"version" : 120005, ${db}}\n`))[0]!.sql;
    expect(old).toMatch(/^UPDATE pg_database SET datallowconn = false WHERE datname = 'app';\nSELECT pg_terminate_backend\(pid\).*\nDROP DATABASE "app";\n$/);
  });
});
