// The mysql client command line that stands for Ansible's PyMySQL connection (mysql-common.ts),
// run here under `sh -c` with a `mysql` that prints its arguments, against config files in a temp
// HOME. What the arguments do on a real server is measured in test/e2e/mysql-modules.test.ts: the
// mariadb client (10.11) connects by TCP when --port is on its command line, where a
// unix_socket-only root is refused (ERROR 1698), while PyMySQL connects through the file's socket.
import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { clientFunction, type MysqlLogin } from "../../../../modules/databases/mysql-common.js";

const root = mkdtempSync(join(tmpdir(), "keel-mysql-conn-"));
const bin = join(root, "bin");
mkdirSync(bin);
for (const tool of ["mysql", "mysqldump"]) {
  writeFileSync(join(bin, tool), `#!/bin/sh\necho "${tool} MYSQL_PWD=\${MYSQL_PWD-unset}"\nprintf '%s\\n' "$@"\n`);
  chmodSync(join(bin, tool), 0o755);
}
afterAll(() => rmSync(root, { recursive: true, force: true }));

let n = 0;
/** The arguments `_keel_my -e 'SELECT 1'` passes to the client, with `cnf` as ~/.my.cnf (none when undefined). */
function argv(a: MysqlLogin, cnf: string | undefined, opts: Parameters<typeof clientFunction>[1] = {}): string[] {
  const home = join(root, `home${++n}`);
  mkdirSync(home);
  if (cnf !== undefined) writeFileSync(join(home, ".my.cnf"), cnf);
  const r = spawnSync("sh", ["-c", `${clientFunction(a, opts)}\n_keel_my -e 'SELECT 1'`], {
    encoding: "utf8",
    env: { PATH: `${bin}:${process.env.PATH}`, HOME: home },
  });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout
    .trim()
    .split("\n")
    .map((l) => l.replaceAll(home, "~"));
}

/** geerlingguy.mysql's root-my.cnf.j2 for MariaDB >= 10.4 (root made unix_socket-only). */
const ROLE_CNF = '#\n# Ansible managed\n#\n\n[client]\nuser="root"\nsocket=/run/mysqld/mysqld.sock\n';

describe("MySQL modules: the client's connection, as PyMySQL's", () => {
  it("a socket in ~/.my.cnf's [client] is the connection: no port on the command line (the client would go TCP)", () => {
    const args = argv({}, ROLE_CNF);
    expect(args).toEqual([
      "mysql MYSQL_PWD=unset",
      "--defaults-file=~/.my.cnf",
      "--protocol=SOCKET",
      "--host=localhost",
      "--connect-timeout=30",
      "-NB",
      "-e",
      "SELECT 1",
    ]);
  });

  it("the file's socket wins over login_host and login_port too, as in PyMySQL 1.0.2", () => {
    const args = argv({ login_host: "127.0.0.1", login_port: 3307, login_user: "app", login_password: "pw" }, ROLE_CNF);
    expect(args.slice(0, 4)).toEqual(["mysql MYSQL_PWD=pw", "--defaults-file=~/.my.cnf", "--protocol=SOCKET", "--host=localhost"]);
    expect(args).toContain("--user=app");
    expect(args.some((x) => x.startsWith("--port"))).toBe(false);
  });

  it("the key's case and spaces are configparser's; another group's socket, or an empty one, is not [client]'s", () => {
    expect(argv({}, "[client]\n  Socket = /tmp/x.sock\n")).toContain("--protocol=SOCKET");
    for (const cnf of [
      "[mysqld]\nsocket=/run/mysqld/mysqld.sock\n[client]\nuser=root\n",
      "[client]\nsocket=\n",
      "[client]\n#socket=/x\n",
      "socket=/x\n[client]\nuser=root\n",
    ]) {
      const args = argv({}, cnf);
      expect(args.slice(1, 5), cnf).toEqual(["--defaults-file=~/.my.cnf", "--protocol=TCP", "--host=localhost", "--port=3306"]);
    }
  });

  it("no file: TCP to login_host and login_port, no defaults read", () => {
    expect(argv({ login_host: "db", login_port: 3307 }, undefined).slice(1, 5)).toEqual(["--no-defaults", "--protocol=TCP", "--host=db", "--port=3307"]);
  });

  it("login_unix_socket: that socket, whatever the file says", () => {
    expect(argv({ login_unix_socket: "/s.sock" }, "[client]\nsocket=/other\n").slice(1, 3)).toEqual(["--defaults-file=~/.my.cnf", "--socket=/s.sock"]);
  });

  it("check_implicit_admin tries root without a password through the file's socket, and uses it", () => {
    const args = argv({ check_implicit_admin: true, login_user: "app", login_password: "pw" }, ROLE_CNF);
    expect(args.slice(0, 5)).toEqual(["mysql MYSQL_PWD=", "--defaults-file=~/.my.cnf", "--protocol=SOCKET", "--host=localhost", "--user=root"]);
  });

  it("mysqldump gets the same connection (config_overrides_defaults leaves TCP's host and port to the file)", () => {
    expect(argv({}, ROLE_CNF, { tool: "mysqldump", restrict: false }).slice(0, 4)).toEqual([
      "mysqldump MYSQL_PWD=unset",
      "--defaults-extra-file=~/.my.cnf",
      "--protocol=SOCKET",
      "--host=localhost",
    ]);
    expect(argv({}, "[client]\nhost=db\n", { overrides: true }).slice(1, 4)).toEqual(["--defaults-file=~/.my.cnf", "--protocol=TCP", "--connect-timeout=30"]);
  });
});
