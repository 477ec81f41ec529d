// databases.mysql_db — community.mysql.mysql_db: databases present or absent, decided as the
// collection's module decides (3.7.2): a database is present when information_schema.SCHEMATA lists
// it; a missing one is created with CHARACTER SET/COLLATE when given (an existing one is left as it
// is, whatever its encoding, as Ansible leaves it); an existing one is dropped for absent. `dump`
// (mysqldump to target, compressed by the target's .gz/.bz2/.xz) and `import` (the target fed to
// mysql) act on every run, as Ansible's do (changed, in check mode too). The probe and apply run the
// mysql client on the host (mysql-common.ts); no Python is needed there.
import { defineModule, type Host } from "../../engine/core/module.js";
import { ArgError, ModuleError } from "../../engine/core/errors.js";
import { refuseLineBreaksIn } from "../../engine/core/lines.js";
import { parseRecords } from "../../engine/core/record.js";
import { cmdOf, snip } from "../../engine/core/snippets.js";
import { shq } from "../../engine/core/shell.js";
import {
  LOGIN_PROPS,
  LOGIN_REFUSED,
  clientFunction,
  connectFailure,
  hideSecrets,
  sections,
  sqlId,
  sqlStr,
  type MysqlLogin,
  refuseArgLineBreaks,
} from "./mysql-common.js";

export interface MysqlDbArgs extends MysqlLogin {
  name: string[] | string;
  state?: "present" | "absent" | "dump" | "import";
  encoding?: string;
  collation?: string;
  target?: string;
  single_transaction?: boolean;
  quick?: boolean;
  ignore_tables?: string[];
  hex_blob?: boolean;
  force?: boolean;
  master_data?: 0 | 1 | 2;
  skip_lock_tables?: boolean;
  dump_extra_args?: string;
  use_shell?: boolean;
  unsafe_login_password?: boolean;
  restrict_config_file?: boolean;
  config_overrides_defaults?: boolean;
  chdir?: string;
  pipefail?: boolean;
}

export interface MysqlDbState {
  /** The client could not connect (or ran no query): its stderr. */
  error?: string;
  /** Of the names asked about, those the server has. */
  existing: string[];
}

export type MysqlDbOp = { op: "create" | "drop"; name: string } | { op: "dump" | "import" };

function names(a: MysqlDbArgs): string[] {
  return (Array.isArray(a.name) ? a.name : String(a.name).split(",")).map((n) => String(n).trim());
}

export default defineModule<MysqlDbArgs, MysqlDbState, MysqlDbOp>({
  name: "databases.mysql_db",
  aliases: ["mysql_db", "community.mysql.mysql_db"],
  description:
    "Ensure MySQL/MariaDB databases are present or absent, or dump/import them, as community.mysql.mysql_db does; through the mysql client on the host.",
  argAliases: { db: "name" },
  refusedArgs: { ...LOGIN_REFUSED },
  args: {
    type: "object",
    additionalProperties: false,
    required: ["name"],
    properties: {
      name: {
        type: ["array", "string"],
        items: { type: "string" },
        description: "The database names (a list, or a comma-separated string); `all` with state dump/import means every database. Alias db.",
      },
      state: { enum: ["present", "absent", "dump", "import"], default: "present", description: "The databases' desired state, or the dump/import to run." },
      encoding: {
        type: "string",
        default: "",
        description: "CHARACTER SET of a database created (an existing one is not altered); --default-character-set of a dump/import.",
      },
      collation: { type: "string", default: "", description: "COLLATE of a database created (an existing one is not altered)." },
      target: { type: "string", description: "The dump file (state dump/import); .gz, .bz2 and .xz are compressed/decompressed." },
      single_transaction: { type: "boolean", default: false, description: "mysqldump --single-transaction=true." },
      quick: { type: "boolean", default: true, description: "mysqldump --quick." },
      ignore_tables: { type: "array", items: { type: "string", minLength: 1 }, default: [], description: "mysqldump --ignore-table=db.table for each." },
      hex_blob: { type: "boolean", default: false, description: "mysqldump --hex-blob." },
      force: { type: "boolean", default: false, description: "mysqldump --force, mysql -f: continue after an SQL error." },
      master_data: { enum: [0, 1, 2], default: 0, description: "mysqldump --master-data=N (1 and 2 write the binary log position)." },
      skip_lock_tables: { type: "boolean", default: false, description: "mysqldump --skip-lock-tables." },
      dump_extra_args: { type: "string", description: "More mysqldump arguments, appended as written (shell words)." },
      use_shell: {
        type: "boolean",
        default: false,
        description: "Accepted for Ansible: keel always runs the import's decompression through the host's shell.",
      },
      unsafe_login_password: {
        type: "boolean",
        default: false,
        description: "Accepted for Ansible: keel never puts the password on a command line (it goes through MYSQL_PWD), quoted or not.",
      },
      restrict_config_file: { type: "boolean", default: false, description: "dump/import read config_file alone (--defaults-file), not as an extra file." },
      config_overrides_defaults: {
        type: "boolean",
        default: false,
        description: "The config file's [client] host and port replace login_host/login_port's defaults (only when those are not given).",
      },
      chdir: { type: "string", description: "The folder dump and import run in (a relative target is found there)." },
      pipefail: { type: "boolean", default: false, description: "A compressed dump fails when mysqldump fails, not only when the compressor does." },
      check_implicit_admin: { type: "boolean", default: false, description: "Try root without a password first, then the login arguments." },
      ...LOGIN_PROPS,
    },
  },
  resource: (a) => `mysql database ${names(a).join(",")}`,

  validate(a) {
    refuseArgLineBreaks(a);
    const st = a.state ?? "present";
    const n = names(a);
    refuseLineBreaksIn(a, ["target", "chdir", "dump_extra_args"], "the mysql command line");
    if ((st === "dump" || st === "import") && a.target === undefined)
      throw new ArgError("target", `with state=${st} target is required`, "give target: the dump file");
    if (st === "import" && n.length > 1) throw new ArgError("name", "Multiple databases are not supported with state=import", "import one database per task");
    if (st !== "dump" && st !== "import" && n.length === 1 && n[0] === "all")
      throw new ArgError("name", "name is not allowed to equal 'all' unless state equals import, or dump.", "list the databases by name");
    if (a.ignore_tables?.some((t) => t === "")) throw new ArgError("ignore_tables", "Name of ignored table cannot be empty");
  },

  prepare(a) {
    hideSecrets(a.login_password);
    return a;
  },

  probe(a) {
    const n = names(a);
    const q = `SELECT '#db'; SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME IN (${n.length ? n.map(sqlStr).join(", ") : "NULL"}) ORDER BY SCHEMA_NAME`;
    return {
      script: [clientFunction(a, { overrides: a.config_overrides_defaults ?? false }), snip.cmd("mysql", `_keel_my -e ${shq(q)}`)].join("\n"),
      parse(stdout) {
        const c = cmdOf(parseRecords(stdout), "mysql");
        if (!c) throw new ModuleError(`unexpected probe output: ${JSON.stringify(stdout.slice(0, 200))}`);
        if (c.rc !== 0) return { error: c.err || `mysql exited with ${c.rc}`, existing: [] };
        const sec = sections(c.out).find((s) => s.name === "db");
        return { existing: (sec?.rows ?? []).map((r) => r[0]!) };
      },
    };
  },

  diff(st, a) {
    if (st.error !== undefined) throw new ModuleError(connectFailure(st.error, a.config_file));
    const n = names(a);
    const state = a.state ?? "present";
    if (n.length === 0 || (n.length === 1 && n[0] === "")) return [];
    const has = new Set(st.existing);
    if (state === "present")
      return n
        .filter((x) => !has.has(x))
        .map((x) => ({
          summary: `database ${x} created${a.encoding ? ` with character set ${a.encoding}` : ""}${a.collation ? ` collate ${a.collation}` : ""}`,
          field: "state",
          before: "absent",
          after: "present",
          data: { op: "create", name: x },
        }));
    if (state === "absent")
      return n
        .filter((x) => has.has(x))
        .map((x) => ({ summary: `database ${x} dropped`, field: "state", before: "present", after: "absent", data: { op: "drop", name: x } }));
    const all = n.length === 1 && n[0] === "all";
    const missing = n.filter((x) => !has.has(x));
    if (state === "dump" && !all && missing.length) throw new ModuleError(`Cannot dump database(s) '${missing.join(", ")}' - not found`);
    return [
      {
        summary: `${state === "dump" ? "dump of" : "import into"} ${all ? "all databases" : n.join(" ")} ${state === "dump" ? "to" : "from"} ${a.target}`,
        data: { op: state },
      },
    ];
  },

  explain(_st, a) {
    const n = names(a);
    return (a.state ?? "present") === "absent" ? `database ${n.join(", ")} absent` : `database ${n.join(", ")} present`;
  },

  result(_st, a) {
    const n = names(a);
    return { db: n.join(" "), db_list: n };
  },

  async apply(host, a, changes) {
    const executed: string[] = [];
    const sql: string[] = [];
    for (const c of changes) {
      const d = c.data;
      if (!d) continue;
      if (d.op === "create") {
        const q = [`CREATE DATABASE ${sqlId(d.name)}`];
        if (a.encoding) q.push(`CHARACTER SET ${sqlStr(a.encoding)}`);
        if (a.collation) q.push(`COLLATE ${sqlStr(a.collation)}`);
        sql.push(q.join(" "));
      } else if (d.op === "drop") sql.push(`DROP DATABASE ${sqlId(d.name)}`);
      else return dumpOrImport(host, a, d.op);
    }
    executed.push(...sql);
    const r = await host.run(clientCommand(a), { stdin: sql.map((s) => `${s};\n`).join(""), check: false });
    if (r.rc !== 0)
      return { failed: `error ${(a.state ?? "present") === "absent" ? "deleting" : "creating"} database: ${r.stderr.trim()}`, msg: r.stderr.trim() };
    return { data: { executed_commands: executed } };
  },
});

function clientCommand(a: MysqlDbArgs): string {
  return `${clientFunction(a, { overrides: a.config_overrides_defaults ?? false })}\n_keel_my`;
}

const COMPRESS: Record<string, string> = { ".gz": "gzip", ".bz2": "bzip2", ".xz": "xz" };

async function dumpOrImport(host: Host, a: MysqlDbArgs, op: "dump" | "import") {
  const n = names(a);
  const all = n.length === 1 && n[0] === "all";
  const target = a.target!;
  const ext = /\.[^./]+$/.exec(target)?.[0] ?? "";
  const comp = COMPRESS[ext];
  const tool = op === "dump" ? "mysqldump" : "mysql";
  // the same connection as the probe's (config file, socket or TCP, user, MYSQL_PWD), for mysqldump too
  const conn = clientFunction(a, { restrict: a.restrict_config_file ?? false, overrides: a.config_overrides_defaults ?? false, tool });
  const words: string[] = [];
  if (a.force) words.push(op === "dump" ? "--force" : "-f");
  if (a.encoding) words.push(`--default-character-set=${shq(a.encoding)}`);
  if (op === "dump") {
    if (all) words.push("--all-databases");
    else if (n.length > 1) words.push("--databases", ...n.map(shq));
    else words.push(shq(n[0]!));
    if (a.skip_lock_tables) words.push("--skip-lock-tables");
    if (a.single_transaction) words.push("--single-transaction=true");
    if (a.quick ?? true) words.push("--quick");
    for (const t of a.ignore_tables ?? []) words.push(`--ignore-table=${shq(t)}`);
    if (a.hex_blob) words.push("--hex-blob");
    if (a.master_data) words.push(`--master-data=${a.master_data}`);
    if (a.dump_extra_args) words.push(a.dump_extra_args);
  } else if (!all) words.push("--one-database", shq(n[0]!));
  const cd = a.chdir ? `cd ${shq(a.chdir)} || exit 1\n` : "";
  const t = shq(target);
  let body: string;
  if (op === "dump")
    body = comp
      ? `{ _keel_my ${words.join(" ")}; echo $? > "$_keel_rc"; } | ${comp} > ${t} || exit $?\n${a.pipefail ? `exit "$(cat "$_keel_rc")"` : "exit 0"}`
      : `_keel_my ${words.join(" ")} > ${t}`;
  else
    body = `[ -e ${t} ] || { echo "target ${target.replace(/["`$\\]/g, "")} does not exist on the host" >&2; exit 1; }\n${comp ? `${comp} -dc ${t} | _keel_my ${words.join(" ")}` : `_keel_my ${words.join(" ")} < ${t}`}`;
  const script = `${cd}${conn}\n_keel_rc=$(mktemp) || exit 1\ntrap 'rm -f "$_keel_rc"' EXIT\n${body}`;
  const r = await host.run(`sh -c ${shq(script)}`, { check: false });
  const shown = `${tool} ${words.join(" ")} ${op === "dump" ? ">" : "<"} ${target}`;
  if (r.rc !== 0) return { failed: r.stderr.trim() || `${tool} exited with ${r.rc}`, msg: r.stderr.trim(), rc: r.rc };
  return { msg: r.stdout, data: { executed_commands: [shown] } };
}
