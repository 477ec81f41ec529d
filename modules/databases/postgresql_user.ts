// databases.postgresql_user — community.postgresql.postgresql_user: a role (user) exists with its
// password, attribute flags, expiry, connection limit and comment, or is absent, decided as the
// collection's module decides it (user_add / user_alter / user_delete):
//   - the password is compared without the clear text on the host (pg-password.ts: md5 and
//     SCRAM-SHA-256 verifiers, as Ansible compares them); it is a secret, never in a summary, a
//     diff, the executed statements or any output, and it travels to psql on stdin;
//   - role_attr_flags ("CREATEDB,NOSUPERUSER") change only the attributes they name;
//   - no_password_changes leaves the password, expiry and connection limit alone (flags still apply);
//   - the role "PUBLIC" always exists and takes neither a password nor flags.
// The probe reads pg_authid, which needs a superuser login (the role's usual become_user postgres).
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
import { passwordChanges } from "./pg-password.js";

export interface PgUserArgs extends PgConnArgs {
  name: string;
  password?: string;
  state?: "present" | "absent";
  db?: string;
  fail_on_user?: boolean;
  role_attr_flags?: string;
  encrypted?: boolean;
  no_password_changes?: boolean;
  expires?: string;
  conn_limit?: number;
  comment?: string;
}

/** pg_authid's columns for the role, as the probe reads them. */
export interface PgRole {
  rolsuper: boolean;
  rolcreaterole: boolean;
  rolcreatedb: boolean;
  rolinherit: boolean;
  rolcanlogin: boolean;
  rolreplication: boolean;
  rolbypassrls: boolean;
  rolconnlimit: number;
  rolpassword: string | null;
  rolvaliduntil: string | null;
  comment: string | null;
}

export interface PgUserState {
  version: number;
  role?: PgRole;
  /** `expires` as the server reads it (timestamptz), for the comparison */
  expires?: string | null;
}

/** alter: the ALTER USER statement; password: the same statement, with the password in it. */
type PgUserOp = { op: "create" } | { op: "alter" } | { op: "password" } | { op: "comment" } | { op: "drop" };

/** Flag → pg_authid column (PRIV_TO_AUTHID_COLUMN). */
const FLAG_COLUMN: Record<string, keyof PgRole> = {
  SUPERUSER: "rolsuper",
  CREATEROLE: "rolcreaterole",
  CREATEDB: "rolcreatedb",
  INHERIT: "rolinherit",
  LOGIN: "rolcanlogin",
  REPLICATION: "rolreplication",
  BYPASSRLS: "rolbypassrls",
};

/** role_attr_flags as parse_role_attrs reads it: comma-separated, case-insensitive, each once (sorted). */
export function parseFlags(s: string | undefined): string[] {
  return [
    ...new Set(
      (s ?? "")
        .split(",")
        .map((f) => f.trim().toUpperCase())
        .filter(Boolean),
    ),
  ].sort();
}

function flagWanted(flag: string): [keyof PgRole, boolean] {
  return flag.startsWith("NO") && FLAG_COLUMN[flag.slice(2)] ? [FLAG_COLUMN[flag.slice(2)]!, false] : [FLAG_COLUMN[flag]!, true];
}

export default defineModule<PgUserArgs, PgUserState, PgUserOp>({
  name: "databases.postgresql_user",
  aliases: ["postgresql_user", "community.postgresql.postgresql_user"],
  description:
    "Ensure a PostgreSQL role exists with its password (compared as md5/SCRAM verifiers, never shown), attribute flags, expiry, connection limit and comment, or is absent.",
  argAliases: { user: "name", login_db: "db", fail_on_role: "fail_on_user", ...PG_CONN_ALIASES },
  refusedArgs: {
    ...PG_CONN_REFUSED,
    priv: "deprecated in community.postgresql (removed in 3.0.0) and not implemented by keel; grant privileges with postgresql_privs",
    groups:
      "deprecated in community.postgresql (removed in 3.0.0) and not implemented by keel; grant role membership with postgresql_membership or postgresql_privs type group",
  },
  args: {
    type: "object",
    additionalProperties: false,
    required: ["name"],
    properties: {
      name: { type: "string", minLength: 1, description: "Name of the role." },
      password: {
        type: "string",
        description:
          "Password: clear text (stored by the server as md5 or SCRAM-SHA-256, per password_encryption), an md5 hash, or a SCRAM-SHA-256 verifier; '' removes the password. A secret: masked in every output.",
      },
      state: { enum: ["present", "absent"], description: "present (default) or absent." },
      db: { type: "string", description: "Database psql connects to (default: libpq's, named as login_user)." },
      fail_on_user: { type: "boolean", description: "With state absent: fail when the role cannot be dropped (it owns objects…); default true." },
      role_attr_flags: {
        type: "string",
        description: "Comma-separated attributes, each [NO]SUPERUSER, [NO]CREATEROLE, [NO]CREATEDB, [NO]INHERIT, [NO]LOGIN, [NO]REPLICATION or [NO]BYPASSRLS.",
      },
      encrypted: { type: "boolean", description: "Accepted as true only: PostgreSQL 10 and later store no unencrypted password." },
      no_password_changes: { type: "boolean", description: "Leave an existing role's password, expiry and connection limit as they are." },
      expires: { type: "string", minLength: 1, description: "When the password expires (a timestamp, or 'infinity')." },
      conn_limit: { type: "integer", description: "Connection limit of the role (-1: none)." },
      comment: { type: "string", description: "Comment on the role." },
      ...PG_CONN_PROPS,
    },
  },
  resource: (a) => `postgresql role ${a.name}`,

  validate(a) {
    validatePgArgs(a);
    if (a.encrypted === false)
      throw new ArgError(
        "encrypted",
        "encrypted: false asks for an unencrypted password, which PostgreSQL 10 and later refuse",
        "remove encrypted (passwords are stored as md5 or SCRAM-SHA-256)",
      );
    const bad = parseFlags(a.role_attr_flags).filter((f) => !FLAG_COLUMN[f] && !(f.startsWith("NO") && FLAG_COLUMN[f.slice(2)]));
    if (bad.length)
      throw new ArgError(
        "role_attr_flags",
        `Invalid role_attr_flags specified: ${bad.join(" ")}`,
        `each flag is one of ${Object.keys(FLAG_COLUMN).join(", ")}, or NO before one`,
      );
  },

  prepare(a) {
    registerPgSecrets(a.login_password, a.password);
    return a;
  },

  probe(a) {
    const cols = [...Object.values(FLAG_COLUMN), "rolconnlimit", "rolpassword", "rolvaliduntil"].map((c) => `'${c}', a.${c}`).join(", ");
    const sel = [
      `json_build_object('version', current_setting('server_version_num')::int`,
      `, 'role', (SELECT json_build_object(${cols}, 'comment', shobj_description(a.oid, 'pg_authid')) FROM pg_authid a WHERE a.rolname = ${lit(a.name)})`,
      a.expires !== undefined ? `, 'expires', ${lit(a.expires)}::timestamptz` : "",
      `)`,
    ].join("");
    return {
      script: pgProbeScript("pguser", a, a.db ?? "", sel),
      parse(stdout) {
        const j = parsePgProbe<{ version: number; role: PgRole | null; expires?: string | null }>("pguser", stdout);
        const st: PgUserState = { version: j.version };
        if (j.role) st.role = j.role;
        if (j.expires !== undefined) st.expires = j.expires;
        return st;
      },
    };
  },

  diff(st, a) {
    const role = st.role;
    const flags = parseFlags(a.role_attr_flags);
    if (a.state === "absent") {
      if (a.name === "PUBLIC") return [];
      return role ? [{ summary: `role ${a.name} exists, to drop`, field: "state", before: "present", after: "absent", data: { op: "drop" } }] : [];
    }
    if (a.name === "PUBLIC") {
      if (a.password !== undefined) throw new ModuleError("cannot change the password for PUBLIC user");
      if (flags.length) throw new ModuleError("cannot change the role_attr_flags for PUBLIC user");
      return [];
    }
    if (flags.includes("BYPASSRLS") || flags.includes("NOBYPASSRLS")) {
      if (st.version < 90500) throw new ModuleError("Invalid role_attr_flags specified: BYPASSRLS needs PostgreSQL 9.5 or later");
    }
    if (!role) {
      const what = [
        ...flags,
        a.password ? "with a password" : "",
        a.expires !== undefined ? `valid until ${a.expires}` : "",
        a.conn_limit !== undefined ? `connection limit ${a.conn_limit}` : "",
      ];
      const out: Change<PgUserOp>[] = [
        {
          summary: `role ${a.name} missing, to create${what.some(Boolean) ? ` (${what.filter(Boolean).join(", ")})` : ""}`,
          field: "state",
          before: "absent",
          after: "present",
          data: { op: "create" },
        },
      ];
      if (a.comment !== undefined && a.comment !== "")
        out.push({ summary: `comment → ${JSON.stringify(a.comment)}`, field: "comment", before: null, after: a.comment, data: { op: "comment" } });
      return out;
    }
    const out: Change<PgUserOp>[] = [];
    const flagChanges = flags.filter((f) => {
      const [col, want] = flagWanted(f);
      return role[col] !== want;
    });
    const attrs = !a.no_password_changes && (a.password !== undefined || flags.length > 0 || a.expires !== undefined || a.conn_limit !== undefined);
    if (attrs) {
      if (a.password !== undefined && passwordChanges(role.rolpassword, a.name, a.password, a.encrypted ?? true))
        out.push({ summary: a.password === "" ? "password set, to remove" : "password differs, to set", field: "password", data: { op: "password" } });
      for (const f of flagChanges)
        out.push({ summary: `attribute ${f}`, field: "role_attr_flags", before: role[flagWanted(f)[0]], after: flagWanted(f)[1], data: { op: "alter" } });
      if (a.expires !== undefined && st.expires !== role.rolvaliduntil)
        out.push({
          summary: `valid until ${role.rolvaliduntil ?? "never"} → ${st.expires}`,
          field: "expires",
          before: role.rolvaliduntil,
          after: st.expires,
          data: { op: "alter" },
        });
      if (a.conn_limit !== undefined && a.conn_limit !== role.rolconnlimit)
        out.push({
          summary: `connection limit ${role.rolconnlimit} → ${a.conn_limit}`,
          field: "conn_limit",
          before: role.rolconnlimit,
          after: a.conn_limit,
          data: { op: "alter" },
        });
    } else if (a.no_password_changes) {
      for (const f of flagChanges)
        out.push({ summary: `attribute ${f}`, field: "role_attr_flags", before: role[flagWanted(f)[0]], after: flagWanted(f)[1], data: { op: "alter" } });
    }
    if (a.comment !== undefined && a.comment !== (role.comment ?? ""))
      out.push({
        summary: `comment ${JSON.stringify(role.comment ?? "")} → ${JSON.stringify(a.comment)}`,
        field: "comment",
        before: role.comment,
        after: a.comment,
        data: { op: "comment" },
      });
    return out;
  },

  explain(st, a) {
    if (a.state === "absent") return `role ${a.name} does not exist`;
    if (a.name === "PUBLIC") return "PUBLIC always exists";
    const r = st.role!;
    const on = Object.entries(FLAG_COLUMN)
      .filter(([, c]) => r[c] === true)
      .map(([f]) => f);
    return `role ${a.name} exists${on.length ? ` (${on.join(", ")})` : ""}${a.password !== undefined && !a.no_password_changes ? ", password matches" : ""}`;
  },

  async apply(host, a, changes) {
    const ops = new Set(changes.map((c) => c.data!.op));
    const name = ident(a.name);
    const flags = parseFlags(a.role_attr_flags).join(" ");
    const stmts: string[] = [];
    /** What the result reports: the statements, the password masked as Ansible's %(password)s. */
    const shown: string[] = [];
    const add = (sql: string, display = sql) => {
      stmts.push(sql);
      shown.push(display);
    };
    if (ops.has("drop")) {
      const r = await host.run(pgApplyCommand(a, a.db ?? ""), { stdin: pgScript(a, [`DROP USER ${name}`]), check: false });
      if (r.rc !== 0) {
        if (a.fail_on_user ?? true) throw new ModuleError(`Unable to remove user: ${(r.stderr || r.stdout).trim()}`);
        return { changed: false, data: { user: a.name, user_removed: false, queries: [] } };
      }
      return { data: { user: a.name, user_removed: true, queries: [`DROP USER ${name}`] } };
    }
    // Each clause as sent and as shown (the password as Ansible's %(password)s placeholder).
    const clauses: [string, string][] = [];
    const clause = (sql: string, display = sql) => clauses.push([sql, display]);
    const passwordClause = () =>
      a.password === "" ? clause("WITH PASSWORD NULL") : clause(`WITH ENCRYPTED PASSWORD ${lit(a.password!)}`, "WITH ENCRYPTED PASSWORD %(password)s");
    const limits = () => {
      if (a.expires !== undefined) clause(`VALID UNTIL ${lit(a.expires)}`);
      if (a.conn_limit !== undefined) clause(`CONNECTION LIMIT ${a.conn_limit}`);
    };
    if (ops.has("create")) {
      // As user_add: CREATE USER "x" [WITH ENCRYPTED PASSWORD …] [VALID UNTIL …] [CONNECTION LIMIT …] FLAGS
      clause(`CREATE USER ${name}`);
      if (a.password) passwordClause();
      limits();
      if (flags) clause(flags);
    } else if (ops.has("alter") || ops.has("password")) {
      // As user_alter: the password with the flags after it, else WITH FLAGS; then expiry and limit.
      clause(`ALTER USER ${name}`);
      if (ops.has("password")) {
        passwordClause();
        if (flags) clause(flags);
      } else if (flags) clause(`WITH ${flags}`);
      if (!a.no_password_changes) limits();
    }
    if (clauses.length) add(clauses.map((c) => c[0]).join(" "), clauses.map((c) => c[1]).join(" "));
    if (ops.has("comment")) add(`COMMENT ON ROLE ${name} IS ${lit(a.comment!)}`);
    await host.run(pgApplyCommand(a, a.db ?? ""), { stdin: pgScript(a, stmts) });
    return { data: { user: a.name, queries: shown } };
  },
});
