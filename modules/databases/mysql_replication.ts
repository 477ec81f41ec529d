// databases.mysql_replication — community.mysql.mysql_replication, the modes geerlingguy's mysql
// role uses: getprimary and getreplica (read-only: SHOW MASTER STATUS / SHOW REPLICA STATUS, each
// column a registered field, with Is_Primary / Is_Replica as Ansible returns them), changeprimary
// (CHANGE MASTER TO …, changed on every run as in Ansible), startreplica and stopreplica (decided
// from the replica's threads: START/STOP only when they are not already in that state). The reset
// modes, named connections, channels, GTID and the replication TLS options are refused.
import { defineModule } from "../../engine/core/module.js";
import { ArgError, ModuleError } from "../../engine/core/errors.js";
import { parseRecords } from "../../engine/core/record.js";
import { cmdOf, snip } from "../../engine/core/snippets.js";
import {
  LOGIN_PROPS,
  LOGIN_REFUSED,
  clientFunction,
  connectFailure,
  hideSecrets,
  parseRows,
  sqlStr,
  type MysqlLogin,
  refuseArgLineBreaks,
} from "./mysql-common.js";

const MODES = ["getprimary", "getreplica", "changeprimary", "startreplica", "stopreplica"] as const;
const RESET = "the reset modes (resetprimary, resetreplica, resetreplicaall) are not implemented by keel; run RESET MASTER/REPLICA with the command module";

export interface MysqlReplicationArgs extends MysqlLogin {
  mode?: (typeof MODES)[number] | "resetprimary" | "resetreplica" | "resetreplicaall";
  primary_host?: string;
  primary_user?: string;
  primary_password?: string;
  primary_port?: number;
  primary_connect_retry?: number;
  primary_log_file?: string;
  primary_log_pos?: number;
  primary_delay?: number;
  relay_log_file?: string;
  relay_log_pos?: number;
  fail_on_error?: boolean;
}

export interface MysqlReplicationState {
  error?: string;
  primary?: Record<string, unknown>;
  replica?: Record<string, unknown>;
}

const REFUSE_TLS = "replication over TLS is not implemented by keel; configure it with CHANGE MASTER through the command module";
const REFUSE_MULTI = "multi-source replication (named connections, channels) is not implemented by keel";

export default defineModule<MysqlReplicationArgs, MysqlReplicationState, { sql: string }>({
  name: "databases.mysql_replication",
  aliases: ["mysql_replication", "community.mysql.mysql_replication"],
  description:
    "Read a MySQL/MariaDB server's primary or replica status, point a replica at its primary and start or stop it, as community.mysql.mysql_replication; through the mysql client on the host.",
  argAliases: {
    master_host: "primary_host",
    master_user: "primary_user",
    master_password: "primary_password",
    master_port: "primary_port",
    master_connect_retry: "primary_connect_retry",
    master_log_file: "primary_log_file",
    master_log_pos: "primary_log_pos",
    master_delay: "primary_delay",
  },
  refusedArgs: {
    ...LOGIN_REFUSED,
    channel: REFUSE_MULTI,
    connection_name: REFUSE_MULTI,
    primary_ssl: REFUSE_TLS,
    master_ssl: REFUSE_TLS,
    primary_ssl_ca: REFUSE_TLS,
    master_ssl_ca: REFUSE_TLS,
    primary_ssl_capath: REFUSE_TLS,
    master_ssl_capath: REFUSE_TLS,
    primary_ssl_cert: REFUSE_TLS,
    master_ssl_cert: REFUSE_TLS,
    primary_ssl_key: REFUSE_TLS,
    master_ssl_key: REFUSE_TLS,
    primary_ssl_cipher: REFUSE_TLS,
    master_ssl_cipher: REFUSE_TLS,
    primary_ssl_verify_server_cert: REFUSE_TLS,
    primary_auto_position: "GTID auto-positioning is not implemented by keel; give primary_log_file and primary_log_pos",
    master_auto_position: "GTID auto-positioning is not implemented by keel; give primary_log_file and primary_log_pos",
    primary_use_gtid: "GTID replication is not implemented by keel; give primary_log_file and primary_log_pos",
    master_use_gtid: "GTID replication is not implemented by keel; give primary_log_file and primary_log_pos",
  },
  args: {
    type: "object",
    additionalProperties: false,
    properties: {
      mode: {
        enum: [...MODES, "resetprimary", "resetreplica", "resetreplicaall"],
        default: "getreplica",
        description: "What to read or do (the reset modes are refused at load).",
      },
      primary_host: { type: "string", description: "changeprimary: MASTER_HOST. Alias master_host." },
      primary_user: { type: "string", description: "changeprimary: MASTER_USER. Alias master_user." },
      primary_password: { type: "string", description: "changeprimary: MASTER_PASSWORD (a secret). Alias master_password." },
      primary_port: { type: "integer", description: "changeprimary: MASTER_PORT. Alias master_port." },
      primary_connect_retry: { type: "integer", description: "changeprimary: MASTER_CONNECT_RETRY. Alias master_connect_retry." },
      primary_log_file: { type: "string", description: "changeprimary: MASTER_LOG_FILE. Alias master_log_file." },
      primary_log_pos: { type: "integer", description: "changeprimary: MASTER_LOG_POS. Alias master_log_pos." },
      primary_delay: { type: "integer", description: "changeprimary: MASTER_DELAY. Alias master_delay." },
      relay_log_file: { type: "string", description: "changeprimary: RELAY_LOG_FILE." },
      relay_log_pos: { type: "integer", description: "changeprimary: RELAY_LOG_POS." },
      fail_on_error: {
        type: "boolean",
        default: false,
        description: "startreplica/stopreplica: fail when the server refuses, instead of reporting nothing changed.",
      },
      ...LOGIN_PROPS,
    },
  },
  resource: (a) => `mysql replication (${a.mode ?? "getreplica"})`,

  validate(a) {
    refuseArgLineBreaks(a);
    if (a.mode?.startsWith("reset")) throw new ArgError("mode", `mode ${a.mode}: ${RESET}`);
  },

  prepare(a) {
    hideSecrets(a.login_password, a.primary_password);
    return a;
  },

  probe(a) {
    return {
      script: [
        clientFunction(a),
        snip.cmd("primary", "_keel_my --column-names -e 'SHOW MASTER STATUS'"),
        snip.cmd("replica", "_keel_my --column-names -e 'SHOW REPLICA STATUS'"),
      ].join("\n"),
      parse(stdout) {
        const recs = parseRecords(stdout);
        const p = cmdOf(recs, "primary");
        const r = cmdOf(recs, "replica");
        if (!p || !r) throw new ModuleError(`unexpected probe output: ${JSON.stringify(stdout.slice(0, 200))}`);
        if (p.rc !== 0) return { error: p.err || `mysql exited with ${p.rc}` };
        if (r.rc !== 0) return { error: r.err || `mysql exited with ${r.rc}` };
        return { primary: firstRow(p.out), replica: firstRow(r.out) };
      },
    };
  },

  diff(st, a) {
    if (st.error !== undefined) throw new ModuleError(connectFailure(st.error, a.config_file));
    const mode = a.mode ?? "getreplica";
    if (mode === "changeprimary") return [{ summary: "CHANGE MASTER TO the replica's primary", data: { sql: changePrimary(a) } }];
    const running = st.replica !== undefined && st.replica.Slave_IO_Running === "Yes" && st.replica.Slave_SQL_Running === "Yes";
    if (mode === "startreplica" && st.replica !== undefined && !running) return [{ summary: "replica started", data: { sql: "START REPLICA" } }];
    if (mode === "stopreplica" && st.replica !== undefined && (st.replica.Slave_IO_Running === "Yes" || st.replica.Slave_SQL_Running === "Yes"))
      return [{ summary: "replica stopped", data: { sql: "STOP REPLICA" } }];
    return [];
  },

  explain(_st, a) {
    const mode = a.mode ?? "getreplica";
    return mode === "startreplica" ? "Replica already started (Or cannot be started)" : mode === "stopreplica" ? "Replica already stopped" : `${mode}: read`;
  },

  result(st, a) {
    const mode = a.mode ?? "getreplica";
    if (mode === "getprimary")
      return st.primary
        ? { ...st.primary, Is_Primary: true, queries: [] }
        : { Is_Primary: false, msg: "Server is not configured as mysql primary", queries: [] };
    if (mode === "getreplica")
      return st.replica
        ? { ...st.replica, Is_Replica: true, queries: [] }
        : { Is_Replica: false, msg: "Server is not configured as mysql replica", queries: [] };
    return {};
  },

  async apply(host, a, changes) {
    const sql = changes[0]?.data?.sql;
    if (!sql) return;
    const r = await host.run(`${clientFunction(a)}\n_keel_my`, { stdin: `${sql};\n`, check: false });
    const mode = a.mode ?? "getreplica";
    if (r.rc !== 0) {
      if (mode === "changeprimary" || a.fail_on_error)
        return { failed: `${r.stderr.trim()}${mode === "changeprimary" ? `. Query == ${shown(a)}` : ""}`, msg: r.stderr.trim() };
      return {
        changed: false,
        msg: mode === "startreplica" ? "Replica already started (Or cannot be started)" : "Replica already stopped",
        data: { queries: [sql] },
      };
    }
    return { msg: mode === "startreplica" ? "Replica started " : mode === "stopreplica" ? "Replica stopped" : undefined, data: { queries: [shown(a)] } };
  },
});

function firstRow(out: string): Record<string, unknown> | undefined {
  const rows = parseRows(out);
  if (rows.length < 2) return undefined;
  const [head, row] = [rows[0]!, rows[1]!];
  return Object.fromEntries(head.map((h, i) => [h, typed(row[i] ?? "")]));
}

function typed(v: string): unknown {
  if (v === "NULL") return null;
  return /^\d+$/.test(v) ? Number(v) : v;
}

function changePrimary(a: MysqlReplicationArgs): string {
  const parts: string[] = [];
  if (a.primary_host !== undefined) parts.push(`MASTER_HOST=${sqlStr(a.primary_host)}`);
  if (a.primary_user !== undefined) parts.push(`MASTER_USER=${sqlStr(a.primary_user)}`);
  if (a.primary_password !== undefined) parts.push(`MASTER_PASSWORD=${sqlStr(a.primary_password)}`);
  if (a.primary_port !== undefined) parts.push(`MASTER_PORT=${a.primary_port}`);
  if (a.primary_connect_retry !== undefined) parts.push(`MASTER_CONNECT_RETRY=${a.primary_connect_retry}`);
  if (a.primary_log_file !== undefined) parts.push(`MASTER_LOG_FILE=${sqlStr(a.primary_log_file)}`);
  if (a.primary_log_pos !== undefined) parts.push(`MASTER_LOG_POS=${a.primary_log_pos}`);
  if (a.primary_delay !== undefined) parts.push(`MASTER_DELAY=${a.primary_delay}`);
  if (a.relay_log_file !== undefined) parts.push(`RELAY_LOG_FILE=${sqlStr(a.relay_log_file)}`);
  if (a.relay_log_pos !== undefined) parts.push(`RELAY_LOG_POS=${a.relay_log_pos}`);
  return `CHANGE MASTER TO ${parts.join(",")}`;
}

/** The statement as registered in `queries`, its password masked as Ansible masks no_log values. */
function shown(a: MysqlReplicationArgs): string {
  return changePrimary({ ...a, primary_password: a.primary_password === undefined ? undefined : "********" });
}
