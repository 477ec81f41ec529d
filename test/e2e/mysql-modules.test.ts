// End to end, on two scratch hosts with MariaDB 10.11 from the lab's Debian packages: the
// databases.mysql_* modules through the real `keel run` on one host and ansible-playbook with
// community.mysql 3.7.2 on the other, from the same playbook: the same changed tasks, the same end
// state (mysql.user, SHOW DATABASES, SHOW GRANTS), --check writing nothing, a second run changing
// nothing for either tool, `keel drift` clean on Ansible's host, and no password in keel's output or
// JSON report.
//
// Ansible's side (its statuses and the sha256 of its server's end state) is replayed from
// test/recordings/ansible/mysql-modules-runs.json while its key holds (the play, this harness, the
// lab's MariaDB/PyMySQL versions, the installed Ansible): then one scratch host runs keel alone and
// `keel drift` runs on it (checked first to be in Ansible's recorded end state). KEEL_ANSIBLE_LIVE=1
// runs Ansible live on a second host; KEEL_ANSIBLE_RECORD=1 also rewrites the recording.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { labPackageVersions, sha256 } from "../ansible-record.js";
import { AnsibleSteps, ansiblePlaybookJson, ansibleStatuses, keelRunJson, keelStatuses, plainStatus } from "./ansible-side.js";
import { describeLab, keel, ssh, startScratchHosts, stopScratchHosts, type ScratchHost } from "./lab.js";
import { installSystemctl } from "../lab/systemctl.js";

const SOCK = "/run/mysqld/mysqld.sock";
const PASSWORDS = ["Sup3r-s3cret-pw", "R3ad-0nly-pw"];
const PLAY = `- hosts: all
  gather_facts: false
  tasks:
    - name: databases
      mysql_db: { name: [app, logs], encoding: utf8mb4, collation: utf8mb4_general_ci, login_unix_socket: ${SOCK} }
    - name: app user
      community.mysql.mysql_user: { name: app, host: "%", password: "${PASSWORDS[0]}", priv: "app.*:SELECT,INSERT/logs.*:ALL", login_unix_socket: ${SOCK} }
    - name: reader user
      mysql_user: { name: reader, password: "${PASSWORDS[1]}", priv: { "app.*": "SELECT" }, tls_requires: { SSL: }, login_unix_socket: ${SOCK} }
    - name: no test database
      mysql_db: { name: test, state: absent, login_unix_socket: ${SOCK} }
    - name: no anonymous user
      mysql_user: { name: "", host: localhost, state: absent, login_unix_socket: ${SOCK} }
    - name: primary status
      mysql_replication: { mode: getprimary, login_unix_socket: ${SOCK} }
`;
const TASKS = ["databases", "app user", "reader user", "no test database", "no anonymous user", "primary status"];
const FIRST = {
  databases: "changed",
  "app user": "changed",
  "reader user": "changed",
  "no test database": "ok",
  "no anonymous user": "ok",
  "primary status": "ok",
};
const AGAIN = Object.fromEntries(TASKS.map((t) => [t, "ok"]));

let k: ScratchHost | undefined;
let a: ScratchHost | undefined;
let dir = "";
let pb = "";
const outputs: string[] = [];

async function keelRun(h: ScratchHost, ...extra: string[]): Promise<Record<string, string>> {
  const r = await keelRunJson(h, pb, { dir, extra });
  outputs.push(r.stdout, r.stderr, r.json);
  expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
  return keelStatuses(r.report);
}

async function ansibleRun(h: ScratchHost, ...extra: string[]): Promise<Record<string, string>> {
  return ansibleStatuses(await ansiblePlaybookJson(h, pb, { home: dir, extra, timeoutMs: 300_000 }), h.name);
}

/** The server's accounts, databases and grants, as text to compare between the two hosts. */
async function endState(h: ScratchHost): Promise<string> {
  const q = [
    "SELECT User, Host, plugin, authentication_string FROM mysql.user ORDER BY User, Host",
    "SELECT SCHEMA_NAME, DEFAULT_CHARACTER_SET_NAME, DEFAULT_COLLATION_NAME FROM information_schema.SCHEMATA ORDER BY SCHEMA_NAME",
    "SHOW GRANTS FOR 'app'@'%'",
    "SHOW GRANTS FOR 'reader'@'localhost'",
    "SHOW CREATE USER 'reader'@'localhost'",
  ].join("; ");
  const r = await ssh(h, `mysql -NB -e "${q}" 2>&1`);
  return r.stdout;
}

const INSTALL = "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends mariadb-server python3-pymysql >/dev/null";

/** MariaDB from the lab's packages, answering on its socket. */
async function prepare(h: ScratchHost): Promise<void> {
  const p = await ssh(h, INSTALL, { timeoutMs: 600_000 });
  expect(p.code, `installing MariaDB on ${h.name}: ${p.stderr}`).toBe(0);
  await installSystemctl(h);
  // started by the package's postinst (policy-rc.d allows it on lab hosts); start it when not
  const s = await ssh(
    h,
    `[ -S ${SOCK} ] || systemctl start mariadb; for i in $(seq 60); do mysql -e 'SELECT 1' >/dev/null 2>&1 && exit 0; sleep 1; done; exit 1`,
    {
      timeoutMs: 120_000,
    },
  );
  expect(s.code, `MariaDB on ${h.name} answers: ${s.stderr}`).toBe(0);
}

/** Ansible's outcomes on its host (recorded as mysql-modules-runs); its end state as a sha256 (it holds password hashes). */
type Side = { run1: Record<string, string>; state1: string; run2: Record<string, string> };
let side: AnsibleSteps<Side>;

describeLab("databases.mysql_* against community.mysql (issue 16)", () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "keel-mysql-e2e-"));
    pb = join(dir, "pb.yml");
    writeFileSync(pb, PLAY);
    side = new AnsibleSteps<Side>("mysql-modules-runs", {
      play: sha256(PLAY),
      harness: sha256([INSTALL, prepare, endState, ansibleRun, ansiblePlaybookJson, ansibleStatuses, plainStatus].map(String).join("\n")),
      packages: labPackageVersions([
        "mariadb-server",
        "mariadb-server-core",
        "mariadb-client",
        "mariadb-client-core",
        "mariadb-common",
        "python3-pymysql",
        "python3",
      ]),
    });
    // replaying, Ansible's host is not needed: one scratch host, MariaDB installed there only
    [k, a] = await startScratchHosts(side.replaying ? 1 : 2);
    await Promise.all([k, a].filter((h): h is ScratchHost => h !== undefined).map(prepare));
  }, 900_000);
  afterAll(async () => {
    await stopScratchHosts([k, a].filter((h): h is ScratchHost => h !== undefined));
  });

  it("--check writes nothing; keel and Ansible change the same tasks and leave the same server; a second run changes nothing", async () => {
    console.log(`mysql-modules: Ansible's side ${side.source}`);
    const before = await endState(k!);
    expect(await keelRun(k!, "--check")).toEqual(FIRST);
    expect(await endState(k!)).toBe(before);
    const k1 = await keelRun(k!);
    const a1 = await side.step("run1", () => ansibleRun(a!));
    expect(k1).toEqual(FIRST);
    expect(a1, side.hint).toEqual(FIRST);
    const ks = await endState(k!);
    expect(sha256(ks), side.hint).toBe(await side.step("state1", async () => sha256(await endState(a!))));
    expect(ks).toContain("GRANT SELECT, INSERT ON `app`.* TO `app`@`%`");
    expect(ks).toContain("REQUIRE SSL");
    expect(await keelRun(k!)).toEqual(AGAIN);
    expect(await side.step("run2", () => ansibleRun(a!)), side.hint).toEqual(AGAIN);
    side.save();
  }, 900_000);

  it("keel drift is clean on the host Ansible converged, and no password shows in keel's output", async () => {
    // Live, on Ansible's host. Replaying there is none: on keel's host, once its server is checked
    // to be in the state Ansible's host was recorded in.
    const target = side.replaying ? k! : a!;
    if (side.replaying) expect(sha256(await endState(k!)), side.hint).toBe(side.value("state1"));
    const d = await keel(["drift", pb, "-i", target.inventory], { timeoutMs: 300_000 });
    outputs.push(d.stdout, d.stderr);
    expect(d.code, `${d.stdout}\n${d.stderr}`).toBe(0);
    for (const pw of PASSWORDS) for (const o of outputs) expect(o.includes(pw), `a password in keel's output: ${o.slice(0, 300)}`).toBe(false);
    expect(outputs.length).toBeGreaterThan(8);
  }, 600_000);

  // keel alone (no Ansible side: Ansible's PyMySQL connection in this case was measured by the
  // compat row `mysql`, geerlingguy.ansible-role-mysql, which ends in the same state). The role
  // makes root unix_socket-only and writes /root/.my.cnf with user and socket, then calls mysql_db
  // and mysql_user with no login argument: PyMySQL then connects through the file's socket, though
  // login_host/login_port have their defaults. The mariadb client connects by TCP when --port is on
  // its command line, where root is refused (ERROR 1698): keel must connect through the socket too.
  it("with no login argument, ~/.my.cnf's socket is the connection (root via unix_socket only)", async () => {
    const prep = await ssh(
      k!,
      `mysql -NB -e "ALTER USER 'root'@'localhost' IDENTIFIED VIA unix_socket; FLUSH PRIVILEGES" && printf '[client]\\nuser="root"\\nsocket=${SOCK}\\n' > /root/.my.cnf && chmod 0600 /root/.my.cnf`,
    );
    expect(prep.code, prep.stderr).toBe(0);
    const book = join(dir, "mycnf.yml");
    const tasks = (state: string) =>
      `    - { name: scratch db, mysql_db: { name: scratch, state: ${state} } }\n    - { name: no anonymous, mysql_user: { name: "", host: localhost, state: absent, check_implicit_admin: true } }\n`;
    writeFileSync(book, `- hosts: all\n  gather_facts: false\n  tasks:\n${tasks("present")}`);
    const runs: Record<string, string>[] = [];
    for (let i = 0; i < 2; i++) {
      const r = await keelRunJson(k!, book, { dir });
      expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
      runs.push(keelStatuses(r.report));
    }
    expect(runs).toEqual([
      { "scratch db": "changed", "no anonymous": "ok" },
      { "scratch db": "ok", "no anonymous": "ok" },
    ]);
    const has = await ssh(k!, `mysql -NB -e "SHOW DATABASES LIKE 'scratch'"`);
    expect(has.stdout.trim()).toBe("scratch");
    writeFileSync(book, `- hosts: all\n  gather_facts: false\n  tasks:\n${tasks("absent")}`);
    const r = await keelRunJson(k!, book, { dir });
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(keelStatuses(r.report)).toEqual({ "scratch db": "changed", "no anonymous": "ok" });
    expect((await ssh(k!, `mysql -NB -e "SHOW DATABASES LIKE 'scratch'"`)).stdout.trim()).toBe("");
  }, 600_000);
});
