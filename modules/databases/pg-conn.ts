// The connection to a PostgreSQL server that the community.postgresql modules share
// (module_utils/postgres.py's postgres_common_argument_spec and get_conn_params), spoken through
// `psql` on the host instead of psycopg2: no Python on the host. As in Ansible, psql runs as the
// task's user (become_user: postgres gives peer authentication over the unix socket), connects to
// login_unix_socket when login_host is empty or "localhost", and takes login_password from the
// environment (PGPASSWORD), never from its argv. SQL that carries a secret goes on psql's stdin.
//
// A probe asks one query that returns one JSON document, printed after a marker line so that
// psql's warnings (stderr is merged to report connection errors) never reach the parser.
import type { JSONSchema } from "../../engine/core/module.js";
import { ModuleError } from "../../engine/core/errors.js";
import { refuseLineBreaksDeep } from "../../engine/core/lines.js";
import { findRec, parseRecords } from "../../engine/core/record.js";
import { registerSecret } from "../../engine/core/secrets.js";
import { snip } from "../../engine/core/snippets.js";
import { shq } from "../../engine/core/shell.js";

export interface PgConnArgs {
  login_user?: string;
  login_password?: string;
  login_host?: string;
  login_unix_socket?: string;
  port?: number | string;
  ssl_mode?: "allow" | "disable" | "prefer" | "require" | "verify-ca" | "verify-full";
  ca_cert?: string;
  ssl_cert?: string;
  ssl_key?: string;
  session_role?: string;
  trust_input?: boolean;
}

const str = (description: string): JSONSchema => ({ type: "string", description });

/** The connection arguments every module takes, as postgres_common_argument_spec has them. */
export const PG_CONN_PROPS: Record<string, JSONSchema> = {
  login_user: str("The role psql connects as (default postgres)."),
  login_password: str("The password of login_user, given to psql in PGPASSWORD (a secret: masked in every output)."),
  login_host: str("Host of the server; empty or localhost means the unix socket login_unix_socket (libpq's default socket when that is empty)."),
  login_unix_socket: str("Folder of the server's unix socket, used when login_host is empty or localhost."),
  port: { type: ["integer", "string"], pattern: "^[0-9]+$", description: "Server port (default 5432)." },
  ssl_mode: { enum: ["allow", "disable", "prefer", "require", "verify-ca", "verify-full"], description: "libpq sslmode (PGSSLMODE); default prefer." },
  ca_cert: str("Certificate authorities file checked against the server's certificate (PGSSLROOTCERT)."),
  ssl_cert: str("Client certificate file (PGSSLCERT)."),
  ssl_key: str("Client key file (PGSSLKEY)."),
  session_role: str("Role switched to (SET ROLE) after connecting; the statements run with its privileges."),
  trust_input: {
    type: "boolean",
    description: "Accepted for compatibility: keel always quotes identifiers and literals it sends, so no argument can inject SQL, whichever the value.",
  },
};

export const PG_CONN_ALIASES: Record<string, string> = {
  login: "login_user",
  host: "login_host",
  unix_socket: "login_unix_socket",
  login_port: "port",
  ssl_rootcert: "ca_cert",
};

export const PG_CONN_REFUSED: Record<string, string> = {
  connect_params:
    "arbitrary libpq connection parameters are not passed through by keel; use login_host, port, ssl_mode, ca_cert, ssl_cert and ssl_key, or set PG* variables with the task's environment:",
};

/** A SQL identifier, always double-quoted ("" doubled), so any name is safe. */
export function ident(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** A SQL string literal ('' doubled; standard_conforming_strings is on since PostgreSQL 9.1). */
export function lit(value: string): string {
  if (value.includes("\0")) throw new ModuleError("a value sent to PostgreSQL cannot contain a NUL byte");
  return `'${value.replace(/'/g, "''")}'`;
}

/** Mark the connection password (and any other secret given) as secrets for every output. */
export function registerPgSecrets(...values: (string | undefined)[]): void {
  for (const v of values) if (typeof v === "string" && v !== "") registerSecret(v);
}

/** Arguments that hold a secret: never shown, even in a load error. */
const SECRET_ARGS = new Set(["password", "login_password"]);

/**
 * Load-time check shared by the modules: no string argument, nor any string inside a list or a
 * mapping (keys too), holds a line break or NUL (the engine's refuseLineBreaksDeep, as in the
 * mysql modules). Names, paths, flags and passwords are one line each; psql would take a line
 * break in a name as part of it, which is never what a task means.
 */
export function validatePgArgs(a: object): void {
  refuseLineBreaksDeep(a, "a PostgreSQL statement", SECRET_ARGS);
}

/** The psql command line (without the SQL) for database `db`, as get_conn_params maps the arguments. */
export function psqlCommand(a: PgConnArgs, db: string): string {
  const env: string[] = [];
  if (a.login_password) env.push(`PGPASSWORD=${shq(a.login_password)}`);
  if (a.ssl_mode) env.push(`PGSSLMODE=${shq(a.ssl_mode)}`);
  if (a.ca_cert) env.push(`PGSSLROOTCERT=${shq(a.ca_cert)}`);
  if (a.ssl_cert) env.push(`PGSSLCERT=${shq(a.ssl_cert)}`);
  if (a.ssl_key) env.push(`PGSSLKEY=${shq(a.ssl_key)}`);
  const opts = ["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1"];
  const host = a.login_host && a.login_host !== "localhost" ? a.login_host : a.login_unix_socket || (a.login_host ?? "");
  if (host) opts.push("-h", shq(host));
  opts.push("-p", shq(String(a.port ?? 5432)));
  opts.push("-U", shq(a.login_user || "postgres"));
  // no database: libpq's default, a database named as the login role (as psycopg2 without dbname)
  if (db) opts.push("-d", shq(db));
  // cd /: under become the caller's folder (/root) is often unreadable, and psql says so on stderr
  return `cd / && ${env.length ? `${env.join(" ")} ` : ""}psql ${opts.join(" ")}`;
}

/** SET ROLE before the statements, when session_role is given. */
export function sessionPrefix(a: PgConnArgs): string {
  return a.session_role ? `SET ROLE ${ident(a.session_role)};\n` : "";
}

const MARK = "KEEL-PG:";

/**
 * A probe that runs one SELECT returning one json value on the database `db` and prints it as the
 * record `@kind`: rc (psql's exit code) and out (its output, stderr merged).
 */
export function pgProbeScript(kind: string, a: PgConnArgs, db: string, jsonSelect: string): string {
  const sql = `${sessionPrefix(a)}SELECT ${lit(MARK)} || (${jsonSelect})::text;`;
  return [
    snip.begin(kind),
    `_keel_o=$(${psqlCommand(a, db)} -c ${shq(sql)} 2>&1); _keel_rc=$?`,
    `printf 'rc=%s\\n' "$_keel_rc"`,
    snip.field("out", '"$_keel_o"'),
  ].join("\n");
}

/** The probe's JSON document; a failed psql fails the task with its message, as Ansible's connect_to_db does. */
export function parsePgProbe<T>(kind: string, stdout: string): T {
  const r = findRec(parseRecords(stdout), kind);
  if (!r) throw new ModuleError(`unexpected probe output: ${JSON.stringify(stdout.slice(0, 200))}`);
  const out = r.get("out") ?? "";
  const line = out.split("\n").find((l) => l.startsWith(MARK));
  if (r.get("rc") !== "0" || line === undefined) {
    const msg = out.trim() || `psql exited with ${r.get("rc") ?? "?"}`;
    if (/command not found|psql: not found/.test(msg)) throw new ModuleError(`psql is not installed on the host (install postgresql-client): ${msg}`);
    throw new ModuleError(`unable to connect to database: ${msg}`);
  }
  try {
    return JSON.parse(line.slice(MARK.length)) as T;
  } catch {
    throw new ModuleError(`unexpected psql output: ${JSON.stringify(line.slice(0, 200))}`);
  }
}

/** Run statements (on psql's stdin, one transaction unless `autocommit`) on database `db`. */
export function pgApplyCommand(a: PgConnArgs, db: string): string {
  return `${psqlCommand(a, db)} -f -`;
}

/** The SQL text for apply: session role, then the statements; in one transaction unless one of them cannot run in one. */
export function pgScript(a: PgConnArgs, statements: string[], transaction = true): string {
  const body = statements.map((s) => `${s};`).join("\n");
  return transaction ? `BEGIN;\n${sessionPrefix(a)}${body}\nCOMMIT;\n` : `${sessionPrefix(a)}${body}\n`;
}
