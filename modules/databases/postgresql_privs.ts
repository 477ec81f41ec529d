// databases.postgresql_privs — community.postgresql.postgresql_privs for databases, schemas, tables
// and sequences: roles hold (state present) or do not hold (absent) privileges on objects, with or
// without the grant option. The module issues the statements Ansible's QueryBuilder issues:
//   present: GRANT privs ON type objs TO roles [WITH GRANT OPTION]
//            (grant_option false: then REVOKE GRANT OPTION FOR privs ON … FROM roles)
//   absent:  REVOKE privs ON type objs FROM roles (grant_option has no effect with state absent, as
//            in community.postgresql 2.4.2, whose documentation says so and whose QueryBuilder
//            never adds GRANT OPTION FOR there: the privileges themselves are revoked)
// and reports a change when an object's acl would differ, as Ansible compares the acls before and
// after. keel computes the acl after in pure code from the acl the probe reads (pg-acl.ts), so check
// mode and drift need no statement at all. One difference: Ansible reports every run with roles
// PUBLIC as changed (it skips the comparison); keel compares PUBLIC's entry like any other.
import { defineModule, type Change } from "../../engine/core/module.js";
import { ArgError, ModuleError } from "../../engine/core/errors.js";
import { applyAclEdit, aclTexts, parseAclItem, PRIV_LETTERS, type AclEdit, type AclItem } from "./pg-acl.js";
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

type ObjType = "database" | "schema" | "table" | "sequence";
const REFUSED_TYPES = ["function", "procedure", "language", "tablespace", "group", "default_privs", "foreign_data_wrapper", "foreign_server", "type"];

export interface PgPrivsArgs extends PgConnArgs {
  database: string;
  state?: "present" | "absent";
  privs?: string;
  type?: ObjType | "function" | "procedure" | "language" | "tablespace" | "group" | "default_privs" | "foreign_data_wrapper" | "foreign_server";
  objs?: string;
  schema?: string;
  roles: string;
  grant_option?: boolean;
  fail_on_role?: boolean;
}

export interface PgObjAcl {
  name: string;
  owner: string;
  /** null: the type's default, not written out */
  acl: string[] | null;
  def: string[];
}

export interface PgPrivsState {
  me: string;
  superuser: boolean;
  /** which of the task's roles exist */
  roles: string[];
  objs: PgObjAcl[];
  /** for a schema-qualified type: whether the schema exists */
  schemaExists?: boolean;
}

interface PgPrivsOp {
  op: "set";
}

/** The task's roles: "PUBLIC" (any case) or the comma-separated names. */
function taskRoles(a: PgPrivsArgs): string[] | "PUBLIC" {
  return a.roles.toUpperCase() === "PUBLIC" ? "PUBLIC" : a.roles.split(",");
}

function objType(a: PgPrivsArgs): ObjType {
  return (a.type ?? "table") as ObjType;
}

function schemaOf(a: PgPrivsArgs): string | undefined {
  const t = objType(a);
  return t === "table" || t === "sequence" ? a.schema || "public" : undefined;
}

function objNames(a: PgPrivsArgs): string[] | "ALL_IN_SCHEMA" {
  if (objType(a) === "database") return (a.objs || a.database).split(",");
  if (a.objs === "ALL_IN_SCHEMA") return "ALL_IN_SCHEMA";
  return a.objs!.split(",");
}

/** privs upper-cased, each once, ALL expanded to the type's privileges; as letters. */
function letters(a: PgPrivsArgs): string {
  const map = PRIV_LETTERS[objType(a)]!;
  const out = new Set<string>();
  for (const p of a.privs!.split(",").map((x) => x.trim().toUpperCase())) {
    if (p === "ALL") for (const l of Object.values(map)) out.add(l);
    else out.add(map[p]!);
  }
  return [...out].join("");
}

export default defineModule<PgPrivsArgs, PgPrivsState, PgPrivsOp>({
  name: "databases.postgresql_privs",
  aliases: ["postgresql_privs", "community.postgresql.postgresql_privs"],
  description: "Ensure PostgreSQL roles hold (or do not hold) privileges on databases, schemas, tables or sequences, with or without the grant option.",
  argAliases: { db: "database", login_db: "database", priv: "privs", obj: "objs", role: "roles", admin_option: "grant_option", ...PG_CONN_ALIASES },
  refusedArgs: {
    ...PG_CONN_REFUSED,
    target_roles:
      "only used with type default_privs, which keel does not implement; grant on the existing objects, or run ALTER DEFAULT PRIVILEGES with postgresql_query",
    usage_on_types: "only used with type default_privs, which keel does not implement",
    password: "deprecated in community.postgresql (removed in 4.0.0); use login_password",
  },
  args: {
    type: "object",
    additionalProperties: false,
    required: ["database", "roles"],
    properties: {
      database: { type: "string", minLength: 1, description: "Database psql connects to; for type database, also the default objs." },
      state: { enum: ["present", "absent"], description: "present (default): grant; absent: revoke." },
      privs: { type: "string", minLength: 1, description: "Comma-separated privileges (SELECT, INSERT, …, CREATE, CONNECT, TEMPORARY, USAGE, ALL)." },
      type: {
        enum: ["table", "sequence", "database", "schema", ...REFUSED_TYPES],
        description: "Type of the objects: table (default), sequence, database or schema; the other Ansible types are refused at load.",
      },
      objs: { type: "string", minLength: 1, description: "Comma-separated object names, or ALL_IN_SCHEMA for tables and sequences." },
      schema: { type: "string", minLength: 1, description: "Schema of the tables or sequences (default public)." },
      roles: { type: "string", minLength: 1, description: "Comma-separated role names, or PUBLIC." },
      grant_option: {
        type: "boolean",
        description:
          "present: true grants WITH GRANT OPTION, false revokes the grant option (leave it out to leave the option alone). No effect with state absent, which revokes the privileges themselves, as in Ansible; to revoke only the grant option, use state present with grant_option false.",
      },
      fail_on_role: { type: "boolean", description: "Fail when a role does not exist (default true); false skips it." },
      ...PG_CONN_PROPS,
    },
  },
  resource: (a) => `postgresql privileges of ${a.roles} on ${objType(a)} ${a.objs ?? a.database}`,

  validate(a) {
    validatePgArgs(a);
    const t = a.type ?? "table";
    if (REFUSED_TYPES.includes(t))
      throw new ArgError(
        "type",
        `type ${t} is not implemented by keel (database, schema, table and sequence are)`,
        "grant it with postgresql_query, or a command: running psql",
      );
    if (a.schema && t !== "table" && t !== "sequence") throw new ArgError("schema", `Argument "schema" is not allowed for type "${t}".`);
    if (a.objs === "ALL_IN_SCHEMA" && t !== "table" && t !== "sequence")
      throw new ArgError("objs", `Argument "objs": ALL_IN_SCHEMA can be used only for type: table, sequence, function or procedure, ${t} was passed.`);
    if (t !== "database" && !a.objs) throw new ArgError("objs", `Argument "objs" is required for type "${t}".`);
    if (!a.privs) throw new ArgError("privs", `Argument "privs" is required for type "${t}".`);
    const map = PRIV_LETTERS[t]!;
    const bad = a.privs
      .split(",")
      .map((p) => p.trim().toUpperCase())
      .filter((p) => p !== "ALL" && !map[p]);
    if (bad.length) throw new ArgError("privs", `Invalid privileges for type ${t}: ${bad.join(", ")}`, `valid: ${Object.keys(map).join(", ")}, ALL`);
  },

  prepare(a) {
    registerPgSecrets(a.login_password);
    return a;
  },

  probe(a) {
    const t = objType(a);
    const names = objNames(a);
    const arr = (xs: string[]) => `ARRAY[${xs.map(lit).join(", ")}]::text[]`;
    const roles = taskRoles(a);
    const schema = schemaOf(a);
    let objs: string;
    const obj = (name: string, owner: string, acl: string, kind: string) =>
      `json_agg(json_build_object('name', ${name}, 'owner', pg_get_userbyid(${owner}), 'acl', ${acl}::text[], 'def', acldefault('${kind}', ${owner})::text[]) ORDER BY ${name})`;
    if (t === "database") objs = `(SELECT ${obj("datname", "datdba", "datacl", "d")} FROM pg_database WHERE datname = ANY (${arr(names as string[])}))`;
    else if (t === "schema") objs = `(SELECT ${obj("nspname", "nspowner", "nspacl", "n")} FROM pg_namespace WHERE nspname = ANY (${arr(names as string[])}))`;
    else {
      const kinds = t === "table" ? "('r', 'v', 'm', 'p')" : "('S')";
      const which = names === "ALL_IN_SCHEMA" ? "" : ` AND c.relname = ANY (${arr(names)})`;
      objs = `(SELECT ${obj("c.relname", "c.relowner", "c.relacl", t === "table" ? "r" : "s")} FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = ${lit(schema!)} AND c.relkind IN ${kinds}${which})`;
    }
    const sel = [
      `json_build_object('me', current_user, 'superuser', (SELECT rolsuper FROM pg_roles WHERE rolname = current_user)`,
      `, 'roles', coalesce((SELECT json_agg(rolname) FROM pg_roles WHERE rolname = ANY (${arr(roles === "PUBLIC" ? [] : roles)})), '[]')`,
      `, 'objs', coalesce(${objs}, '[]')`,
      schema !== undefined ? `, 'schema', EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = ${lit(schema)})` : "",
      `)`,
    ].join("");
    return {
      script: pgProbeScript("pgprivs", a, a.database, sel),
      parse(stdout) {
        const j = parsePgProbe<{ me: string; superuser: boolean; roles: string[]; objs: PgObjAcl[]; schema?: boolean }>("pgprivs", stdout);
        const st: PgPrivsState = { me: j.me, superuser: j.superuser, roles: j.roles, objs: j.objs };
        if (j.schema !== undefined) st.schemaExists = j.schema;
        return st;
      },
    };
  },

  diff(st, a) {
    const t = objType(a);
    const names = objNames(a);
    if (names === "ALL_IN_SCHEMA" && st.schemaExists === false) throw new ModuleError(`Schema "${schemaOf(a)}" does not exist.`);
    if (names !== "ALL_IN_SCHEMA") {
      const missing = names.filter((n) => !st.objs.some((o) => o.name === n));
      if (missing.length) throw new ModuleError(`${t} ${missing.map((m) => (schemaOf(a) ? `${schemaOf(a)}.${m}` : m)).join(", ")} does not exist`);
    }
    const grantees = granteesOf(st, a);
    if (grantees.length === 0) return [];
    const ls = letters(a);
    const out: Change<PgPrivsOp>[] = [];
    for (const o of st.objs) {
      const before = (o.acl ?? o.def).map(parseAclItem);
      let acl: AclItem[] = before;
      const grantor = st.superuser ? o.owner : st.me;
      for (const g of grantees) for (const e of edits(a, g, grantor, ls)) acl = applyAclEdit(acl, e);
      const b = aclTexts(before);
      const after = aclTexts(acl);
      // A NULL acl is written out by any GRANT/REVOKE, which Ansible's before/after comparison sees.
      if (o.acl !== null && JSON.stringify(b) === JSON.stringify(after)) continue;
      out.push({
        summary: `${t} ${schemaOf(a) ? `${schemaOf(a)}.` : ""}${o.name}: ${a.state === "absent" ? "revoke" : "grant"} ${a.privs!.toUpperCase()} ${a.state === "absent" ? "from" : "to"} ${a.roles}${o.acl === null ? " (default privileges written out)" : ""}`,
        field: `${o.name} acl`,
        before: o.acl === null ? null : b,
        after,
        data: { op: "set" },
      });
    }
    return out;
  },

  explain(st, a) {
    if (granteesOf(st, a).length === 0) return `no role of ${a.roles} exists, nothing to do`;
    return `${a.roles} ${a.state === "absent" ? "holds none of" : "holds"} ${a.privs} on ${st.objs.map((o) => o.name).join(", ") || "no object"}`;
  },

  async apply(host, a) {
    const t = objType(a);
    const names = objNames(a);
    const schema = schemaOf(a);
    const privs = [...new Set(a.privs!.split(",").map((p) => p.trim().toUpperCase()))].join(",");
    const on =
      names === "ALL_IN_SCHEMA"
        ? `ALL ${t === "table" ? "TABLES" : "SEQUENCES"} IN SCHEMA ${ident(schema!)}`
        : `${t.toUpperCase()} ${names.map((n) => (schema ? `${ident(schema)}.${ident(n)}` : ident(n))).join(",")}`;
    const roles = taskRoles(a);
    const whom = roles === "PUBLIC" ? "PUBLIC" : roles.map(ident).join(",");
    const stmts: string[] = [];
    if (a.state === "absent") stmts.push(`REVOKE ${privs} ON ${on} FROM ${whom}`);
    else {
      stmts.push(`GRANT ${privs} ON ${on} TO ${whom}${a.grant_option ? " WITH GRANT OPTION" : ""}`);
      if (a.grant_option === false) stmts.push(`REVOKE GRANT OPTION FOR ${privs} ON ${on} FROM ${whom}`);
    }
    await host.run(pgApplyCommand(a, a.database), { stdin: pgScript(a, stmts) });
    return { data: { queries: stmts.map((s) => `${s};`) } };
  },
});

/** The grantees the statements apply to ("" = PUBLIC); a missing role fails the task unless fail_on_role is false. */
function granteesOf(st: PgPrivsState, a: PgPrivsArgs): string[] {
  const roles = taskRoles(a);
  if (roles === "PUBLIC") return [""];
  const out: string[] = [];
  for (const r of roles) {
    if (st.roles.includes(r)) out.push(r);
    else if (a.fail_on_role ?? true) throw new ModuleError(`Role '${r.trim()}' does not exist`);
  }
  return out;
}

function edits(a: PgPrivsArgs, grantee: string, grantor: string, ls: string): AclEdit[] {
  if (a.state === "absent") return [{ grantee, grantor, letters: ls, kind: "revoke" }];
  const out: AclEdit[] = [{ grantee, grantor, letters: ls, kind: "grant", withGrantOption: a.grant_option === true }];
  if (a.grant_option === false) out.push({ grantee, grantor, letters: ls, kind: "revokeGrant" });
  return out;
}
