// databases.postgresql_db — community.postgresql.postgresql_db: a database exists (or not) with its
// owner, connection limit and tablespace, as the collection's module decides it:
//   - present and missing: CREATE DATABASE with owner, template, encoding, lc_collate, lc_ctype,
//     tablespace and connection limit;
//   - present and there: encoding, lc_collate and lc_ctype cannot change (the task fails, naming the
//     current value, as Ansible's NotSupportedError); owner, conn_limit and tablespace are altered;
//   - absent: DROP DATABASE (WITH (FORCE) when force, PostgreSQL 13+; before 13, connections are
//     blocked and terminated first, as Ansible does).
// Empty strings mean "not given", as in the collection (its defaults are ''). The statements run
// through psql without a transaction (CREATE/DROP DATABASE cannot run in one), as Ansible's
// autocommit connection does.
import { defineModule, type Change } from "../../engine/core/module.js";
import { ArgError, ModuleError } from "../../engine/core/errors.js";
import {
  ident,
  lit,
  parsePgProbe,
  pgApplyCommand,
  pgProbeScript,
  pgScript,
  PG_CONN_ALIASES,
  PG_CONN_PROPS,
  PG_CONN_REFUSED,
  registerPgSecrets,
  validatePgArgs,
  type PgConnArgs,
} from "./pg-conn.js";

export interface PgDbArgs extends PgConnArgs {
  name: string;
  state?: "present" | "absent" | "dump" | "restore" | "rename";
  owner?: string;
  template?: string;
  encoding?: string;
  lc_collate?: string;
  lc_ctype?: string;
  conn_limit?: string | number;
  tablespace?: string;
  maintenance_db?: string;
  force?: boolean;
}

export interface PgDbInfo {
  owner: string;
  encoding: string;
  encoding_id: number;
  lc_collate: string;
  lc_ctype: string;
  conn_limit: number;
  tablespace: string;
}

export interface PgDbState {
  /** server_version_num */
  version: number;
  /** undefined: no such database */
  db?: PgDbInfo;
  /** pg_char_to_encoding(encoding) of the wanted encoding (-1: unknown name) */
  wantEncodingId?: number;
}

type PgDbOp = { op: "create" } | { op: "drop" } | { op: "owner" } | { op: "conn_limit" } | { op: "tablespace" };

const given = (v: string | number | undefined): v is string | number => v !== undefined && v !== "";

export default defineModule<PgDbArgs, PgDbState, PgDbOp>({
  name: "databases.postgresql_db",
  aliases: ["postgresql_db", "community.postgresql.postgresql_db"],
  description:
    "Ensure a PostgreSQL database exists with its owner, encoding, locale, tablespace and connection limit, or is absent (through psql on the host, as the task's user).",
  argAliases: { db: "name", ...PG_CONN_ALIASES },
  refusedArgs: {
    ...PG_CONN_REFUSED,
    target:
      "only used by state dump, restore and rename, which keel does not implement; run pg_dump/pg_restore with command:, or ALTER DATABASE … RENAME with postgresql_query",
    target_opts: "only used by state dump and restore, which keel does not implement; run pg_dump/pg_restore with command:",
    dump_extra_args: "only used by state dump, which keel does not implement; run pg_dump with command:",
  },
  args: {
    type: "object",
    additionalProperties: false,
    required: ["name"],
    properties: {
      name: { type: "string", minLength: 1, description: "Name of the database." },
      state: {
        enum: ["present", "absent", "dump", "restore", "rename"],
        description: "present (default) or absent. dump, restore and rename are refused at load (see the reason given).",
      },
      owner: { type: "string", description: "Role owning the database ('' = not managed)." },
      template: { type: "string", description: "Template the database is created from (at creation only)." },
      encoding: { type: "string", description: "Encoding (UTF-8…); cannot change once the database exists." },
      lc_collate: { type: "string", description: "LC_COLLATE; cannot change once the database exists." },
      lc_ctype: { type: "string", description: "LC_CTYPE; cannot change once the database exists." },
      conn_limit: { type: ["string", "integer"], pattern: "^(-?[0-9]+)?$", description: "Connection limit (-1: none; '' = not managed)." },
      tablespace: { type: "string", description: "Default tablespace of the database ('' = not managed)." },
      maintenance_db: { type: "string", minLength: 1, description: "Database psql connects to (default postgres)." },
      force: { type: "boolean", description: "With state absent: terminate the database's connections before dropping it." },
      ...PG_CONN_PROPS,
    },
  },
  resource: (a) => `postgresql database ${a.name}`,

  validate(a) {
    validatePgArgs(a);
    if (a.state === "dump" || a.state === "restore" || a.state === "rename")
      throw new ArgError(
        "state",
        `state ${a.state} is not implemented by keel: it is an action, not a state that can be checked or drift`,
        a.state === "rename" ? "use postgresql_query with ALTER DATABASE … RENAME TO …" : "run pg_dump/pg_restore (or psql -f) with command:",
      );
  },

  prepare(a) {
    registerPgSecrets(a.login_password);
    return a;
  },

  probe(a) {
    const sel = [
      `json_build_object('version', current_setting('server_version_num')::int`,
      `, 'db', (SELECT json_build_object('owner', r.rolname, 'encoding', pg_encoding_to_char(d.encoding), 'encoding_id', d.encoding,`,
      ` 'lc_collate', d.datcollate, 'lc_ctype', d.datctype, 'conn_limit', d.datconnlimit, 'tablespace', t.spcname)`,
      ` FROM pg_database d JOIN pg_roles r ON r.oid = d.datdba JOIN pg_tablespace t ON t.oid = d.dattablespace WHERE d.datname = ${lit(a.name)})`,
      given(a.encoding) ? `, 'want_enc', pg_char_to_encoding(${lit(a.encoding)})` : "",
      `)`,
    ].join("");
    return {
      script: pgProbeScript("pgdb", a, a.maintenance_db || "postgres", sel),
      parse(stdout) {
        const j = parsePgProbe<{ version: number; db: PgDbInfo | null; want_enc?: number }>("pgdb", stdout);
        const st: PgDbState = { version: j.version };
        if (j.db) st.db = j.db;
        if (j.want_enc !== undefined) st.wantEncodingId = j.want_enc;
        return st;
      },
    };
  },

  diff(st, a) {
    const db = st.db;
    if (a.state === "absent") {
      return db ? [{ summary: `database ${a.name} exists, to drop`, field: "state", before: "present", after: "absent", data: { op: "drop" } }] : [];
    }
    if (!db) {
      const what = [
        given(a.owner) ? `owner ${a.owner}` : "",
        given(a.encoding) ? `encoding ${a.encoding}` : "",
        given(a.lc_collate) ? `lc_collate ${a.lc_collate}` : "",
        given(a.lc_ctype) ? `lc_ctype ${a.lc_ctype}` : "",
        given(a.template) ? `template ${a.template}` : "",
      ].filter(Boolean);
      return [
        {
          summary: `database ${a.name} missing, to create${what.length ? ` (${what.join(", ")})` : ""}`,
          field: "state",
          before: "absent",
          after: "present",
          data: { op: "create" },
        },
      ];
    }
    // As db_create: these three cannot change, and the task fails saying what is there.
    if (given(a.encoding) && st.wantEncodingId !== db.encoding_id)
      throw new ModuleError(`Changing database encoding is not supported. Current encoding: ${db.encoding}`);
    if (given(a.lc_collate) && a.lc_collate !== db.lc_collate)
      throw new ModuleError(`Changing LC_COLLATE is not supported. Current LC_COLLATE: ${db.lc_collate}`);
    if (given(a.lc_ctype) && a.lc_ctype !== db.lc_ctype) throw new ModuleError(`Changing LC_CTYPE is not supported.Current LC_CTYPE: ${db.lc_ctype}`);
    const out: Change<PgDbOp>[] = [];
    if (given(a.owner) && a.owner !== db.owner)
      out.push({ summary: `owner ${db.owner} → ${a.owner}`, field: "owner", before: db.owner, after: a.owner, data: { op: "owner" } });
    if (given(a.conn_limit) && String(a.conn_limit) !== String(db.conn_limit))
      out.push({
        summary: `connection limit ${db.conn_limit} → ${a.conn_limit}`,
        field: "conn_limit",
        before: db.conn_limit,
        after: Number(a.conn_limit),
        data: { op: "conn_limit" },
      });
    if (given(a.tablespace) && a.tablespace !== db.tablespace)
      out.push({
        summary: `tablespace ${db.tablespace} → ${a.tablespace}`,
        field: "tablespace",
        before: db.tablespace,
        after: a.tablespace,
        data: { op: "tablespace" },
      });
    return out;
  },

  explain(st, a) {
    if (a.state === "absent") return `database ${a.name} does not exist`;
    const db = st.db!;
    return `database ${a.name} exists, owner ${db.owner}, encoding ${db.encoding}, lc_collate ${db.lc_collate}, tablespace ${db.tablespace}`;
  },

  async apply(host, a, changes, st) {
    const stmts: string[] = [];
    const name = ident(a.name);
    for (const c of changes) {
      const op = c.data!.op;
      if (op === "create") {
        const q = [`CREATE DATABASE ${name}`];
        if (given(a.owner)) q.push(`OWNER ${ident(a.owner)}`);
        if (given(a.template)) q.push(`TEMPLATE ${ident(a.template)}`);
        if (given(a.encoding)) q.push(`ENCODING ${lit(a.encoding)}`);
        if (given(a.lc_collate)) q.push(`LC_COLLATE ${lit(a.lc_collate)}`);
        if (given(a.lc_ctype)) q.push(`LC_CTYPE ${lit(a.lc_ctype)}`);
        if (given(a.tablespace)) q.push(`TABLESPACE ${ident(a.tablespace)}`);
        if (given(a.conn_limit)) q.push(`CONNECTION LIMIT ${Number(a.conn_limit)}`);
        stmts.push(q.join(" "));
      } else if (op === "drop") {
        if (a.force && st.version >= 130000) stmts.push(`DROP DATABASE ${name} WITH (FORCE)`);
        else {
          if (a.force)
            stmts.push(
              `UPDATE pg_database SET datallowconn = false WHERE datname = ${lit(a.name)}`,
              `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = ${lit(a.name)} AND pid <> pg_backend_pid()`,
            );
          stmts.push(`DROP DATABASE ${name}`);
        }
      } else if (op === "owner") stmts.push(`ALTER DATABASE ${name} OWNER TO ${ident(a.owner!)}`);
      else if (op === "conn_limit") stmts.push(`ALTER DATABASE ${name} CONNECTION LIMIT ${Number(a.conn_limit)}`);
      else stmts.push(`ALTER DATABASE ${name} SET TABLESPACE ${ident(a.tablespace!)}`);
    }
    await host.run(pgApplyCommand(a, a.maintenance_db || "postgres"), { stdin: pgScript(a, stmts, false) });
    return { data: { db: a.name, executed_commands: stmts } };
  },
});
