// The pure plan of databases.mysql_user: community.mysql 3.7.2's main/user_add/user_mod/user_delete/
// limit_resources in order, over the probed rows instead of a live cursor, each step that would
// execute SQL turned into a Change with that SQL. MariaDB ≥ 10.2 and MySQL ≥ 5.7 ("new user
// management") only; an older server is refused, as keel cannot test it.
import type { Change } from "../../engine/core/module.js";
import { ModuleError } from "../../engine/core/errors.js";
import { account, isNativeHash, nativeHash, sqlStr } from "./mysql-common.js";
import { parseGrants, parseRequires, privString, requireClause, sameRequires, sanitizeRequires, unpackPrivs, type Privs } from "./mysql-privs.js";
import type { MysqlLogin } from "./mysql-common.js";

export interface MysqlUserArgs extends MysqlLogin {
  name: string;
  password?: string;
  encrypted?: boolean;
  host?: string;
  host_all?: boolean;
  state?: "present" | "absent";
  priv?: string | Record<string, unknown>;
  tls_requires?: Record<string, unknown> | null;
  append_privs?: boolean;
  subtract_privs?: boolean;
  update_password?: "always" | "on_create" | "on_new_username";
  sql_log_bin?: boolean;
  plugin?: string;
  plugin_hash_string?: string;
  plugin_auth_string?: string;
  resource_limits?: Record<string, unknown>;
  force_context?: boolean;
  session_vars?: Record<string, string | number | boolean>;
  column_case_sensitive?: boolean;
}

/** Each change carries the SQL statements that make it, in Ansible's order. */
export type MysqlUserOp = { sql: string[] };

export interface UserRow {
  host: string;
  plugin: string;
  password: string;
  authString: string;
  limits: Record<string, number>;
  /** SHOW GRANTS lines. */
  grants: string[];
  /** SHOW CREATE USER lines. */
  create: string[];
}

export interface Plan {
  changes: Change<MysqlUserOp>[];
  msg: string;
  passwordChanged: boolean;
}

function oldServer(version: string): boolean {
  const m = /^(\d+)\.(\d+)/.exec(version);
  if (!m) return false;
  const [maj, min] = [Number(m[1]), Number(m[2])];
  return version.toLowerCase().includes("mariadb") ? maj < 10 || (maj === 10 && min < 2) : maj < 5 || (maj === 5 && min < 7);
}

const ch = (summary: string, sql: string[], field?: string): Change<MysqlUserOp> => ({ summary, field, data: { sql } });

export function planUser(st: { version: string; ansi: boolean; rows: UserRow[] }, a: MysqlUserArgs): Plan {
  if (oldServer(st.version))
    throw new ModuleError(`MySQL/MariaDB ${st.version} uses the old user management (SET PASSWORD, GRANT … IDENTIFIED BY), which keel does not implement`);
  const host = (a.host ?? "localhost").toLowerCase();
  const state = a.state ?? "present";
  const exists = a.host_all ? st.rows.length > 0 : st.rows.some((r) => r.host === host);
  const tls = sanitizeRequires(a.tls_requires);
  let priv: Privs | undefined =
    a.priv !== undefined && a.priv !== null && a.priv !== "" ? unpackPrivs(privString(a.priv), st.ansi, !a.subtract_privs, a.column_case_sensitive) : undefined;
  if (state === "absent") {
    if (!exists) return { changes: [], msg: "User doesn't exist", passwordChanged: false };
    const hosts = a.host_all ? st.rows.map((r) => r.host) : [host];
    return {
      changes: hosts.map((h) => ch(`user ${a.name}@${h} dropped`, [`DROP USER IF EXISTS ${account(a.name, h)}`], "state")),
      msg: "User deleted",
      passwordChanged: false,
    };
  }
  const out: Plan = { changes: [], msg: "User unchanged", passwordChanged: false };
  if (!exists) {
    if (a.host_all) throw new ModuleError("host_all parameter cannot be used when adding a user");
    if (a.subtract_privs) priv = undefined;
    let { password, plugin, plugin_hash_string: hashString } = a;
    const authString = a.plugin_auth_string;
    let reused = false;
    if (a.update_password === "on_new_username") {
      const auths = new Set<string>();
      for (const r of st.rows) for (const s of [r.password, r.authString]) auths.add(`${r.plugin}\0${s}`);
      if (auths.size === 1) {
        const [p, s] = [...auths][0]!.split("\0") as [string, string];
        plugin = p;
        hashString = s;
        password = undefined;
        reused = true;
      }
    }
    const acc = account(a.name, host);
    let create: string;
    if (password && a.encrypted) create = `CREATE USER ${acc} IDENTIFIED BY PASSWORD ${sqlStr(password)}`;
    else if (password) create = `CREATE USER ${acc} IDENTIFIED WITH mysql_native_password AS ${sqlStr(nativeHash(password))}`;
    else if (plugin && hashString) create = `CREATE USER ${acc} IDENTIFIED WITH ${plugin} AS ${sqlStr(hashString)}`;
    else if (plugin && authString) create = `CREATE USER ${acc} IDENTIFIED WITH ${plugin} ${plugin === "pam" ? "USING" : "BY"} ${sqlStr(authString)}`;
    else if (plugin) create = `CREATE USER ${acc} IDENTIFIED WITH ${plugin}`;
    else create = `CREATE USER ${acc}`;
    const sql = [create + requireClause(tls, sqlStr)];
    for (const [dbTable, p] of Object.entries(priv ?? {})) sql.push(grantSql(acc, dbTable, p));
    out.changes.push({ summary: `user ${a.name}@${host} created`, field: "state", before: "absent", after: "present", data: { sql } });
    out.msg = "User added";
    out.passwordChanged = !reused;
  } else {
    const hosts = a.host_all ? st.rows.map((r) => r.host) : [host];
    for (const h of hosts)
      modHost(
        st.rows.find((r) => r.host === h)!,
        a,
        priv,
        tls,
        out,
      );
  }
  if (a.resource_limits && Object.keys(a.resource_limits).length) {
    const row = st.rows.find((r) => r.host === host);
    const want = Object.entries(a.resource_limits).map(([k, v]) => [k, Number(v)] as const);
    if (!st.version.toLowerCase().includes("mariadb") && want.some(([k]) => k === "MAX_STATEMENT_TIME"))
      throw new ModuleError("MAX_STATEMENT_TIME resource limit is only supported by MariaDB.");
    const change = row ? want.filter(([k, v]) => row.limits[k] !== v) : want;
    if (change.length)
      out.changes.push({
        summary: `resource limits of ${a.name}@${host}: ${change.map(([k, v]) => `${k} ${row?.limits[k] ?? "-"} → ${v}`).join(", ")}`,
        field: "resource_limits",
        before: row ? Object.fromEntries(change.map(([k]) => [k, row.limits[k]])) : undefined,
        after: Object.fromEntries(change),
        data: { sql: [`ALTER USER ${account(a.name, host)} WITH ${change.map(([k, v]) => `${k} ${v}`).join(" ")}`] },
      });
  }
  return out;
}

function grantSql(acc: string, dbTable: string, p: string[]): string {
  return `GRANT ${p.filter((x) => x !== "GRANT").join(",")} ON ${dbTable} TO ${acc}${p.includes("GRANT") ? " WITH GRANT OPTION" : ""}`;
}

function revokeSql(acc: string, dbTable: string, p: string[], grantOption: boolean): string[] {
  const sql: string[] = [];
  if (grantOption) sql.push(`REVOKE GRANT OPTION ON ${dbTable} FROM ${acc}`);
  const rest = p.filter((x) => x !== "GRANT");
  if (rest.length) sql.push(`REVOKE ${rest.join(",")} ON ${dbTable} FROM ${acc}`);
  sql.push("FLUSH PRIVILEGES");
  return sql;
}

/** user_mod for one host of an existing account. */
function modHost(row: UserRow, a: MysqlUserArgs, priv: Privs | undefined, tls: ReturnType<typeof sanitizeRequires>, out: Plan): void {
  const acc = account(a.name, row.host);
  const always = (a.update_password ?? "always") === "always";
  if (always && a.password) {
    const current = row.password !== "" ? row.password : row.authString;
    const want = a.encrypted ? a.password : nativeHash(a.password);
    if (a.encrypted && !isNativeHash(want))
      throw new ModuleError("encrypted was specified however it does not appear to be a valid hash expecting: *SHA1(SHA1(your_password))");
    if (current !== want) {
      out.passwordChanged = true;
      out.msg = "Password updated (new style)";
      out.changes.push({
        summary: `password of ${a.name}@${row.host} updated`,
        field: "password",
        data: { sql: [`ALTER USER ${acc} IDENTIFIED WITH mysql_native_password AS ${sqlStr(want)}`] },
      });
    }
  }
  if (always && a.plugin) {
    const update =
      row.plugin !== a.plugin ||
      (a.plugin_hash_string !== undefined && a.plugin_hash_string !== "" && row.authString !== a.plugin_hash_string) ||
      (a.plugin_auth_string !== undefined && a.plugin_auth_string !== "" && row.authString !== a.plugin_auth_string);
    if (update) {
      let sql: string;
      if (a.plugin_hash_string) sql = `ALTER USER ${acc} IDENTIFIED WITH ${a.plugin} AS ${sqlStr(a.plugin_hash_string)}`;
      else if (a.plugin_auth_string)
        sql = `ALTER USER ${acc} IDENTIFIED WITH ${a.plugin} ${a.plugin === "pam" ? "USING" : "BY"} ${sqlStr(a.plugin_auth_string)}`;
      else sql = `ALTER USER ${acc} IDENTIFIED WITH ${a.plugin}`;
      out.passwordChanged = true;
      out.changes.push({
        summary: `authentication plugin of ${a.name}@${row.host}: ${row.plugin || "(none)"} → ${a.plugin}`,
        field: "plugin",
        before: row.plugin,
        after: a.plugin,
        data: { sql: [sql] },
      });
    }
  }
  if (priv !== undefined) {
    const curr = parseGrants(row.grants);
    let grantOption = false;
    if (!a.append_privs && !a.subtract_privs)
      for (const [dbTable, p] of Object.entries(curr)) {
        if (p.includes("GRANT")) grantOption = true;
        if (!(dbTable in priv) && a.name !== "root" && !p.includes("PROXY")) {
          out.msg = "Privileges updated";
          out.changes.push(privChange(`privileges of ${a.name}@${row.host} on ${dbTable} revoked: ${p.join(",")}`, revokeSql(acc, dbTable, p, grantOption)));
        }
      }
    if (!a.subtract_privs)
      for (const [dbTable, p] of Object.entries(priv))
        if (!(dbTable in curr)) {
          out.msg = "New privileges granted";
          out.changes.push(privChange(`privileges of ${a.name}@${row.host} on ${dbTable} granted: ${p.join(",")}`, [grantSql(acc, dbTable, p)]));
        }
    for (const dbTable of Object.keys(priv).filter((k) => k in curr)) {
      const want = new Set(priv[dbTable]);
      const have = new Set(curr[dbTable]);
      let grant: string[] = [];
      let revoke: string[] = [];
      if (a.append_privs) grant = [...want].filter((x) => !have.has(x));
      else if (a.subtract_privs) revoke = [...want].filter((x) => have.has(x));
      else {
        grant = [...want].filter((x) => !have.has(x));
        revoke = [...have].filter((x) => !want.has(x));
        if (grant.includes("ALL") || grant.includes("ALL PRIVILEGES")) revoke = revoke.filter((x) => x === "GRANT" || x === "PROXY");
        grantOption = revoke.includes("GRANT") && !grant.includes("GRANT");
      }
      if (grant.length === 1 && grant[0] === "GRANT") grant.push("USAGE");
      if (grant.length + revoke.length > 0) {
        out.msg = `Privileges updated: granted ${pyList(grant)}, revoked ${pyList(revoke)}`;
        const sql = [...(revoke.length ? revokeSql(acc, dbTable, revoke, grantOption) : []), ...(grant.length ? [grantSql(acc, dbTable, grant)] : [])];
        out.changes.push(
          privChange(`privileges of ${a.name}@${row.host} on ${dbTable}: ${[...grant.map((g) => `+${g}`), ...revoke.map((r) => `-${r}`)].join(" ")}`, sql),
        );
      }
    }
  }
  const current = parseRequires(row.create);
  if (!sameRequires(current, tls)) {
    out.msg = "TLS requires updated";
    out.changes.push({
      summary: `TLS requirement of ${a.name}@${row.host}: ${JSON.stringify(current)} → ${JSON.stringify(tls)}`,
      field: "tls_requires",
      before: current,
      after: tls,
      data: { sql: [tls !== null ? `ALTER USER ${acc}${requireClause(tls, sqlStr)}` : `ALTER USER ${acc} REQUIRE NONE`] },
    });
  }
}

function privChange(summary: string, sql: string[]): Change<MysqlUserOp> {
  return { summary, field: "priv", data: { sql } };
}

/** Python's str() of a list of strings, for Ansible's msg. */
function pyList(xs: string[]): string {
  return `[${xs.map((x) => `'${x}'`).join(", ")}]`;
}
