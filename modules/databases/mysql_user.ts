// databases.mysql_user — community.mysql.mysql_user: a MySQL/MariaDB account, decided as the
// collection's user_add/user_mod decide (3.7.2, module_utils/user.py): the password compared with
// the server's own hash (mysql_native_password, '*'+SHA1(SHA1(pw)), computed here with node:crypto,
// so the clear password never reaches the host: keel sets it as `IDENTIFIED WITH
// mysql_native_password AS '<hash>'`, which is what Ansible sends too), the plugin and its strings,
// privileges from SHOW GRANTS against `priv` (replace, append_privs or subtract_privs), the REQUIRE
// clause from SHOW CREATE USER against tls_requires, and resource limits. One probe reads the
// account's rows of mysql.user, its grants and CREATE USER on every host it has.
import { defineModule } from "../../engine/core/module.js";
import { ArgError, ModuleError } from "../../engine/core/errors.js";
import { parseRecords } from "../../engine/core/record.js";
import { cmdOf, snip } from "../../engine/core/snippets.js";
import { shq } from "../../engine/core/shell.js";
import {
  LOGIN_PROPS,
  LOGIN_REFUSED,
  clientFunction,
  connectFailure,
  hideSecrets,
  isNativeHash,
  sections,
  sqlStr,
  refuseArgLineBreaks,
} from "./mysql-common.js";
import { privString, unpackPrivs } from "./mysql-privs.js";
import { planUser, type MysqlUserArgs, type MysqlUserOp, type UserRow } from "./mysql-user-plan.js";

export interface MysqlUserState {
  error?: string;
  version: string;
  ansi: boolean;
  rows: UserRow[];
}

export default defineModule<MysqlUserArgs, MysqlUserState, MysqlUserOp>({
  name: "databases.mysql_user",
  aliases: ["mysql_user", "community.mysql.mysql_user"],
  description:
    "Ensure a MySQL/MariaDB account (password hash, plugin, privileges, TLS requirements, resource limits) or its absence, as community.mysql.mysql_user decides; through the mysql client on the host, the password compared by its hash and never sent in clear.",
  argAliases: { user: "name" },
  refusedArgs: { ...LOGIN_REFUSED },
  args: {
    type: "object",
    additionalProperties: false,
    required: ["name"],
    properties: {
      name: { type: "string", description: "The account's user name ('' is the anonymous user). Alias user." },
      password: { type: "string", description: "The password (a secret: masked in every output), or its mysql_native_password hash with encrypted." },
      encrypted: { type: "boolean", default: false, description: "password is already a mysql_native_password hash ('*' and 40 hex digits)." },
      host: { type: "string", default: "localhost", description: "The account's host part (lower-cased, as Ansible does)." },
      host_all: { type: "boolean", default: false, description: "Apply to every host the user has (an existing user only)." },
      state: { enum: ["present", "absent"], default: "present", description: "Whether the account exists." },
      priv: {
        type: ["string", "object"],
        description: "Privileges: 'db.table:PRIV1,PRIV2/db2.*:ALL,GRANT' or a mapping {db.table: 'PRIV1,PRIV2'}. USAGE on *.* is implied.",
      },
      tls_requires: {
        type: ["object", "null"],
        description: "REQUIRE clause: {SSL: …}, {X509: …} or ISSUER/SUBJECT/CIPHER values; empty or absent means REQUIRE NONE.",
      },
      append_privs: { type: "boolean", default: false, description: "Grant priv without revoking what the account has beyond it." },
      subtract_privs: { type: "boolean", default: false, description: "Revoke priv's privileges the account has, grant nothing." },
      update_password: {
        enum: ["always", "on_create", "on_new_username"],
        default: "always",
        description:
          "always: set the password (and plugin) when it differs; on_create: only for a new account; on_new_username: a new account reuses the user's existing password when all its hosts share one.",
      },
      sql_log_bin: { type: "boolean", default: true, description: "false: SET SQL_LOG_BIN=0 first, so the changes are not replicated." },
      plugin: { type: "string", description: "The authentication plugin (IDENTIFIED WITH/VIA)." },
      plugin_hash_string: { type: "string", description: "The plugin's hash (IDENTIFIED WITH plugin AS …)." },
      plugin_auth_string: {
        type: "string",
        description: "The plugin's authentication string (BY …, USING … for pam); set on every run, as Ansible cannot compare it.",
      },
      resource_limits: {
        type: "object",
        additionalProperties: { type: ["integer", "string"] },
        description: "MAX_QUERIES_PER_HOUR, MAX_UPDATES_PER_HOUR, MAX_CONNECTIONS_PER_HOUR, MAX_USER_CONNECTIONS, MAX_STATEMENT_TIME (MariaDB).",
      },
      force_context: { type: "boolean", default: false, description: "Run the statements with the mysql database selected (USE mysql)." },
      session_vars: {
        type: "object",
        additionalProperties: { type: ["string", "number", "boolean"] },
        description: "SET SESSION variables before the changes.",
      },
      column_case_sensitive: {
        type: "boolean",
        default: false,
        description: "Keep the case of column names in priv (community.mysql 3.8 and later; 3.7.2 upper-cases them, as false does).",
      },
      check_implicit_admin: { type: "boolean", default: false, description: "Try root without a password first, then the login arguments." },
      ...LOGIN_PROPS,
    },
  },
  resource: (a) => `mysql user ${a.name}@${a.host_all ? "*" : (a.host ?? "localhost").toLowerCase()}`,

  validate(a) {
    refuseArgLineBreaks(a);
    if (a.append_privs && a.subtract_privs)
      throw new ArgError("append_privs", "parameters are mutually exclusive: append_privs|subtract_privs", "keep one of them");
    if (a.encrypted && a.password && !isNativeHash(a.password))
      throw new ArgError("password", "encrypted was specified however it does not appear to be a valid hash expecting: *SHA1(SHA1(your_password))");
    if (a.priv !== undefined && a.priv !== null && typeof a.priv !== "string" && typeof a.priv !== "object")
      throw new ArgError("priv", `priv parameter must be str or dict but ${typeof a.priv} was passed`);
    if (a.priv)
      try {
        unpackPrivs(privString(a.priv), false, true, a.column_case_sensitive);
      } catch (e) {
        // A malformed priv string is the author's input: refused at load with the task's position.
        if (e instanceof ModuleError) throw new ArgError("priv", e.message, "write it as DB.TABLE:PRIV[,PRIV…], entries separated by '/'");
        throw e;
      }
    if (a.session_vars)
      for (const k of Object.keys(a.session_vars))
        if (!/^[A-Za-z0-9_]+$/.test(k)) throw new ArgError("session_vars", `invalid session variable name ${JSON.stringify(k)}`);
    if (a.resource_limits)
      for (const [k, v] of Object.entries(a.resource_limits)) {
        if (!LIMITS.includes(k)) throw new ArgError("resource_limits", `resource_limits: key '${k}' is unsupported.`);
        if (!/^\d+$/.test(String(v))) throw new ArgError("resource_limits", `Can't convert value '${String(v)}' to integer.`);
      }
  },

  prepare(a) {
    hideSecrets(a.password, a.login_password, a.plugin_auth_string);
    return a;
  },

  probe(a) {
    const u = sqlStr(a.name);
    const static_ = [
      "SELECT '#version', VERSION(), @@GLOBAL.sql_mode",
      // Ansible's user_mod reads Password first, then authentication_string, the first non-empty
      `SELECT '#row', Host, IFNULL(plugin, ''), IFNULL(Password, ''), IFNULL(authentication_string, ''), max_questions, max_updates, max_connections, max_user_connections, IFNULL(max_statement_time, 0) FROM mysql.user WHERE User = ${u} ORDER BY Host`,
    ].join("; ");
    const gen = `SELECT CONCAT('SELECT ''#grants'', ', QUOTE(Host), '; SHOW GRANTS FOR ', QUOTE(User), '@', QUOTE(Host), '; SELECT ''#create'', ', QUOTE(Host), '; SHOW CREATE USER ', QUOTE(User), '@', QUOTE(Host), ';') FROM mysql.user WHERE User = ${u}`;
    return {
      script: [
        clientFunction(a),
        snip.cmd("mysql", `_keel_q=$(_keel_my -e ${shq(gen)}) || exit $?; printf '%s;\\n%s\\n' ${shq(static_)} "$_keel_q" | _keel_my`),
      ].join("\n"),
      parse(stdout) {
        const c = cmdOf(parseRecords(stdout), "mysql");
        if (!c) throw new ModuleError(`unexpected probe output: ${JSON.stringify(stdout.slice(0, 200))}`);
        return parseUserOutput(c.rc, c.out, c.err);
      },
    };
  },

  diff(st, a) {
    if (st.error !== undefined) throw new ModuleError(connectFailure(st.error, a.config_file));
    return planUser(st, a).changes;
  },

  explain(st, a) {
    return planUser(st, a).msg === "User doesn't exist"
      ? `mysql user ${a.name}@${a.host ?? "localhost"} absent`
      : `mysql user ${a.name}@${a.host ?? "localhost"}: User unchanged`;
  },

  result(st, a) {
    if (st.error !== undefined) return {};
    const p = planUser(st, a);
    return { user: a.name, msg: p.msg, password_changed: p.passwordChanged };
  },

  async apply(host, a, changes) {
    const sql: string[] = [];
    if (a.sql_log_bin === false) sql.push("SET SQL_LOG_BIN=0");
    if (a.force_context) sql.push("USE mysql");
    for (const [k, v] of Object.entries(a.session_vars ?? {})) sql.push(`SET SESSION ${k} = ${typeof v === "string" ? sqlStr(v) : String(v)}`);
    for (const c of changes) sql.push(...(c.data?.sql ?? []));
    const r = await host.run(`${clientFunction(a)}\n_keel_my`, { stdin: sql.map((s) => `${s};\n`).join(""), check: false });
    if (r.rc !== 0) return { failed: r.stderr.trim() || `mysql exited with ${r.rc}`, msg: r.stderr.trim() };
  },
});

export const LIMITS = ["MAX_QUERIES_PER_HOUR", "MAX_UPDATES_PER_HOUR", "MAX_CONNECTIONS_PER_HOUR", "MAX_USER_CONNECTIONS", "MAX_STATEMENT_TIME"];

export function parseUserOutput(rc: number, out: string, err: string): MysqlUserState {
  if (rc !== 0) return { error: err || `mysql exited with ${rc}`, version: "", ansi: false, rows: [] };
  const st: MysqlUserState = { version: "", ansi: false, rows: [] };
  const byHost = new Map<string, UserRow>();
  for (const s of sections(out)) {
    if (s.name === "version") {
      st.version = s.args[0] ?? "";
      st.ansi = (s.args[1] ?? "").includes("ANSI");
    } else if (s.name === "row") {
      const [host, plugin, password, authString, ...lim] = s.args as [string, string, string, string, ...string[]];
      const row: UserRow = {
        host,
        plugin,
        password,
        authString,
        limits: Object.fromEntries(LIMITS.map((k, i) => [k, Number(lim[i] ?? 0)])),
        grants: [],
        create: [],
      };
      st.rows.push(row);
      byHost.set(host, row);
    } else if (s.name === "grants" || s.name === "create") {
      const row = byHost.get(s.args[0] ?? "");
      if (row) (s.name === "grants" ? row.grants : row.create).push(...s.rows.map((r) => r.join("\t")));
    }
  }
  return st;
}
