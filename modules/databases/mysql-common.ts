// What the community.mysql modules share (databases.mysql_*): the login arguments of
// mysql_common_argument_spec, the `mysql` client command line that stands for Ansible's PyMySQL
// connection, SQL quoting, the batch (-NB) output parser, and mysql_native_password hashing.
//
// keel needs no Python on the host: probes and applies run the `mysql` client, SQL on its stdin or
// in -e, output in batch mode (tab-separated, \t \n \\ \0 escaped). The connection is built as
// Ansible's mysql_connect builds it: the config_file (default ~/.my.cnf) when it exists, as
// PyMySQL's read_default_file (and nothing else: no /etc/mysql/my.cnf), then login_unix_socket or
// login_host/login_port, login_user, login_password (through MYSQL_PWD, never on the command line),
// connect_timeout. PyMySQL connects by TCP unless a socket is given (argument or the file's
// [client] socket), so keel passes --protocol=TCP in that case, as the client would otherwise pick
// its compiled-in socket for "localhost"; with the file's socket it passes --protocol=SOCKET and
// no port (clientFunction says why).
import { createHash } from "node:crypto";
import { ModuleError } from "../../engine/core/errors.js";
import { refuseLineBreaksDeep } from "../../engine/core/lines.js";
import { registerSecret } from "../../engine/core/secrets.js";
import { shq } from "../../engine/core/shell.js";

export interface MysqlLogin {
  login_user?: string;
  login_password?: string;
  login_host?: string;
  login_port?: number;
  login_unix_socket?: string;
  config_file?: string;
  connect_timeout?: number;
  check_implicit_admin?: boolean;
}

/** The login arguments every community.mysql module takes (mysql_common_argument_spec). */
export const LOGIN_PROPS = {
  login_user: { type: "string", description: "The user to log in as (default: the config file's, or the client's default)." },
  login_password: { type: "string", description: "The login password: a secret, given to the client through MYSQL_PWD and masked in all output." },
  login_host: { type: "string", default: "localhost", description: "The server's host when no unix socket is given." },
  login_port: { type: "integer", minimum: 0, maximum: 65535, default: 3306, description: "The server's TCP port when no unix socket is given." },
  login_unix_socket: { type: "string", minLength: 1, description: "The server's unix socket (e.g. /run/mysqld/mysqld.sock)." },
  config_file: {
    type: "string",
    default: "~/.my.cnf",
    description: "A client config file read for credentials and the socket, when it exists on the host (as PyMySQL's read_default_file).",
  },
  connect_timeout: { type: "integer", minimum: 0, default: 30, description: "Seconds to wait for the connection." },
} as const;

const TLS = "TLS to the server is not implemented: keel runs the mysql client on the host itself, over the unix socket or a local port; drop it";
/** The TLS login arguments keel refuses (and their aliases, which the load names as given). */
export const LOGIN_REFUSED: Record<string, string> = {
  ca_cert: TLS,
  ssl_ca: TLS,
  client_cert: TLS,
  ssl_cert: TLS,
  client_key: TLS,
  ssl_key: TLS,
  check_hostname: TLS,
};

/** Register the module's passwords as secrets: masked in every output, report and history. */
export function hideSecrets(...values: (string | undefined)[]): void {
  for (const v of values) if (v !== undefined) registerSecret(v);
}

/** A SQL string literal ('it''s'), backslashes doubled for the server's default sql_mode. */
export function sqlStr(s: string): string {
  return `'${s.replace(/\\/g, "\\\\").replace(/'/g, "''")}'`;
}

/** A quoted identifier (`my``db`). */
export function sqlId(s: string): string {
  return `\`${s.replace(/`/g, "``")}\``;
}

/** `'user'@'host'` */
export function account(user: string, host: string): string {
  return `${sqlStr(user)}@${sqlStr(host)}`;
}

/** mysql_native_password's hash, as the server's CONCAT('*', UCASE(SHA1(UNHEX(SHA1(pw))))). */
export function nativeHash(password: string): string {
  const inner = createHash("sha1").update(password, "utf8").digest();
  return `*${createHash("sha1").update(inner).digest("hex").toUpperCase()}`;
}

/** Ansible's is_hash: '*' and 40 hex digits. */
export function isNativeHash(s: string): boolean {
  return /^\*[0-9A-Fa-f]{40}$/.test(s);
}

function homePath(p: string): string {
  return p.startsWith("~/") ? `"$HOME"/${shq(p.slice(2))}` : shq(p);
}

/**
 * Shell text that succeeds when the config file's [client] group names a socket, the group and key
 * PyMySQL reads (read_default_group "client"; option names case-insensitive, as configparser's).
 */
function fileNamesSocket(path: string): string {
  const prog = String.raw`/^[ \t]*\[/ { c = ($0 ~ /^[ \t]*\[client\][ \t]*$/) } c && tolower($0) ~ /^[ \t]*socket[ \t]*=[ \t]*[^ \t]/ { f = 1 } END { exit !f }`;
  return `awk ${shq(prog)} ${path} 2>/dev/null`;
}

/**
 * Shell text that defines `_keel_my` (the mysql client with the login's connection, -NB, extra
 * arguments appended) for the rest of the script or command. With check_implicit_admin, root
 * without a password is tried first, as Ansible tries it, and the login arguments used otherwise.
 *
 * The connection is PyMySQL's (1.0.2, Debian 12): login_unix_socket, else the config file's
 * [client] socket, else TCP to login_host/login_port. A socket from the file wins over login_host
 * and login_port even though Ansible always passes them (their defaults included): PyMySQL
 * connects "Localhost via UNIX socket" whenever it has a socket. The mariadb client (10.6 and
 * later) instead connects by TCP when --port is on its command line, so with the file's socket
 * keel passes --protocol=SOCKET --host=localhost and no port: root made unix_socket-only (as
 * geerlingguy.mysql makes it, with a ~/.my.cnf of user and socket) is refused over TCP (ERROR
 * 1698), measured on MariaDB 10.11.
 */
export function clientFunction(a: MysqlLogin, opts: { overrides?: boolean; restrict?: boolean; tool?: "mysql" | "mysqldump" } = {}): string {
  const cf = a.config_file ?? "~/.my.cnf";
  const tool = opts.tool ?? "mysql";
  const batch = tool === "mysql" ? " -NB" : "";
  // mysql_db's config_overrides_defaults: the file's host and port stand unless given as arguments
  const tcp = [
    "--protocol=TCP",
    a.login_host !== undefined || !opts.overrides ? `--host=${shq(a.login_host ?? "localhost")}` : "",
    a.login_port !== undefined || !opts.overrides ? `--port=${a.login_port ?? 3306}` : "",
  ].filter(Boolean);
  // mysql_db's dump/import read the file as an extra defaults file unless restrict_config_file
  const df = opts.restrict === false ? "--defaults-extra-file=" : "--defaults-file=";
  const timeout = tool === "mysql" ? ` --connect-timeout=${a.connect_timeout ?? 30}` : "";
  /** The client with the connection chosen on the host; `env` before it, `rest` after the connection. */
  const call = (env: string, bin: string, rest: string): string =>
    a.login_unix_socket !== undefined
      ? `${env}${bin} "$_keel_mydf" --socket=${shq(a.login_unix_socket)}${rest} "$@"`
      : `if [ -n "$_keel_mysock" ]; then ${env}${bin} "$_keel_mydf" --protocol=SOCKET --host=localhost${rest} "$@"; else ${env}${bin} "$_keel_mydf" ${tcp.join(" ")}${rest} "$@"; fi`;
  const lines = [
    `if [ -n ${shq(cf)} ] && [ -e ${homePath(cf)} ]; then _keel_mydf=${df}${homePath(cf)}; else _keel_mydf=--no-defaults; fi`,
    // PyMySQL connects by TCP unless a socket is given (the argument, or the file's [client] socket)
    a.login_unix_socket !== undefined
      ? `_keel_mysock=1`
      : `if [ "$_keel_mydf" != --no-defaults ] && ${fileNamesSocket(homePath(cf))}; then _keel_mysock=1; else _keel_mysock=; fi`,
    `_keel_mylogin() { ${call(a.login_password !== undefined ? `MYSQL_PWD=${shq(a.login_password)} ` : "", tool, `${a.login_user !== undefined ? ` --user=${shq(a.login_user)}` : ""}${timeout}${batch}`)}; }`,
  ];
  if (a.check_implicit_admin)
    lines.push(
      `_keel_myroot() { ${call("MYSQL_PWD= ", tool, ` --user=root${timeout}${batch}`)}; }`,
      `_keel_myprobe() { ${call("MYSQL_PWD= ", "mysql", " --user=root -NB")}; }`,
      `if _keel_myprobe -e 'SELECT 1' >/dev/null 2>&1; then _keel_my() { _keel_myroot "$@"; }; else _keel_my() { _keel_mylogin "$@"; }; fi`,
    );
  else lines.push(`_keel_my() { _keel_mylogin "$@"; }`);
  return lines.join("\n");
}

/** One command line for apply: the client function, then `mysql` reading SQL from stdin. */
export function clientCommand(a: MysqlLogin, extra = ""): string {
  return `${clientFunction(a)}\n_keel_my${extra ? ` ${extra}` : ""}`;
}

/** Undo the batch mode's escapes of one field (\t \n \\ \0). */
export function unescapeField(f: string): string {
  return f.replace(/\\(.)/g, (_m, c: string) => (c === "t" ? "\t" : c === "n" ? "\n" : c === "0" ? "\0" : c));
}

/** Batch output → rows of unescaped fields. */
export function parseRows(out: string): string[][] {
  return out
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => l.split("\t").map(unescapeField));
}

/**
 * Output of a probe whose queries each start with a marker row (`SELECT '#name', …`): rows grouped
 * by marker, each group a list of [marker's extra fields, rows that followed].
 */
export function sections(out: string): { name: string; args: string[]; rows: string[][] }[] {
  const res: { name: string; args: string[]; rows: string[][] }[] = [];
  for (const row of parseRows(out)) {
    if (row[0]?.startsWith("#") && /^#[a-z_]+$/.test(row[0])) res.push({ name: row[0].slice(1), args: row.slice(1), rows: [] });
    else if (res.length === 0) throw new ModuleError(`unexpected mysql output before the first marker: ${JSON.stringify(row.join("\t").slice(0, 200))}`);
    else res[res.length - 1]!.rows.push(row);
  }
  return res;
}

/** The server's failure as Ansible words it for a connection that could not be made. */
export function connectFailure(err: string, configFile: string | undefined): string {
  return `unable to connect to database, check login_user and login_password are correct or ${configFile ?? "~/.my.cnf"} has the credentials. Exception message: ${err.trim()}`;
}

/** Arguments that hold a secret: never shown, even in a load error. */
const SECRET_ARGS = new Set(["password", "login_password", "master_password", "primary_password"]);

/**
 * Load-time check shared by the MySQL modules: no string in an argument (in lists and mappings
 * too) holds a line break or NUL. Names, hosts, paths, privileges and passwords are one line each;
 * the mysql client reads a statement per line, so a line break would split one value across two.
 * Each string goes through the engine's own check (engine/core/lines.ts).
 */
export function refuseArgLineBreaks(a: object): void {
  refuseLineBreaksDeep(a, "a mysql statement", SECRET_ARGS);
}
