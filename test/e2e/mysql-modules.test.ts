// End to end, on two scratch hosts with MariaDB 10.11 from the lab's Debian packages: the
// databases.mysql_* modules through the real `keel run` on one host and ansible-playbook with
// community.mysql 3.7.2 on the other, from the same playbook: the same changed tasks, the same end
// state (mysql.user, SHOW DATABASES, SHOW GRANTS), --check writing nothing, a second run changing
// nothing for either tool, `keel drift` clean on Ansible's host, and no password in keel's output or
// JSON report.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { describeLab, keel, PRIVATE_KEY, ssh, startScratchHosts, stopScratchHosts, type ScratchHost, spawnAsync } from "./lab.js";
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
let n = 0;
const outputs: string[] = [];

async function keelRun(h: ScratchHost, ...extra: string[]): Promise<Record<string, string>> {
  const json = join(dir, `k${++n}.json`);
  const r = await keel(["run", pb, "-i", h.inventory, "--json", json, ...extra], { timeoutMs: 300_000 });
  outputs.push(r.stdout, r.stderr, readFileSync(json, "utf8"));
  expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
  const out: Record<string, string> = {};
  for (const e of (JSON.parse(readFileSync(json, "utf8")) as { events: { type: string; task: { name: string }; result: { status: string } }[] }).events)
    if (e.type === "task.result") out[e.task.name] = e.result.status;
  return out;
}

async function ansibleRun(h: ScratchHost, ...extra: string[]): Promise<Record<string, string>> {
  const inv = join(dir, "a.ini");
  writeFileSync(inv, `${h.name} ansible_host=${h.address}\n`);
  const r = await spawnAsync("ansible-playbook", [pb, "-i", inv, "--private-key", PRIVATE_KEY, "-u", "root", ...extra], {
    encoding: "utf8",
    timeout: 300_000,
    env: {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      HOME: dir,
      ANSIBLE_SSH_ARGS: `-o UserKnownHostsFile=${h.knownHosts} -o StrictHostKeyChecking=yes`,
      ANSIBLE_PYTHON_INTERPRETER: "/usr/bin/python3",
      ANSIBLE_NOCOLOR: "1",
      ANSIBLE_STDOUT_CALLBACK: "json",
      ANSIBLE_RETRY_FILES_ENABLED: "0",
    },
  });
  expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
  const rep = JSON.parse(r.stdout) as { plays: { tasks: { task: { name: string }; hosts: Record<string, { changed?: boolean; failed?: boolean }> }[] }[] };
  const out: Record<string, string> = {};
  for (const t of rep.plays[0]!.tasks) out[t.task.name] = t.hosts[h.name]!.failed ? "failed" : t.hosts[h.name]!.changed ? "changed" : "ok";
  return out;
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

describeLab("databases.mysql_* against community.mysql (issue 16)", () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "keel-mysql-e2e-"));
    pb = join(dir, "pb.yml");
    writeFileSync(pb, PLAY);
    [k, a] = await startScratchHosts(2);
    await Promise.all(
      [k, a].map(async (h) => {
        const p = await ssh(
          h!,
          "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends mariadb-server python3-pymysql >/dev/null",
          {
            timeoutMs: 600_000,
          },
        );
        expect(p.code, `installing MariaDB on ${h!.name}: ${p.stderr}`).toBe(0);
        await installSystemctl(h!);
        // started by the package's postinst (policy-rc.d allows it on lab hosts); start it when not
        const s = await ssh(
          h!,
          `[ -S ${SOCK} ] || systemctl start mariadb; for i in $(seq 60); do mysql -e 'SELECT 1' >/dev/null 2>&1 && exit 0; sleep 1; done; exit 1`,
          {
            timeoutMs: 120_000,
          },
        );
        expect(s.code, `MariaDB on ${h!.name} answers: ${s.stderr}`).toBe(0);
      }),
    );
  }, 900_000);
  afterAll(async () => {
    await stopScratchHosts([k, a].filter((h): h is ScratchHost => h !== undefined));
  });

  it("--check writes nothing; keel and Ansible change the same tasks and leave the same server; a second run changes nothing", async () => {
    const before = await endState(k!);
    expect(await keelRun(k!, "--check")).toEqual(FIRST);
    expect(await endState(k!)).toBe(before);
    const k1 = await keelRun(k!);
    const a1 = await ansibleRun(a!);
    expect(k1).toEqual(FIRST);
    expect(a1).toEqual(FIRST);
    const ks = await endState(k!);
    expect(ks).toBe(await endState(a!));
    expect(ks).toContain("GRANT SELECT, INSERT ON `app`.* TO `app`@`%`");
    expect(ks).toContain("REQUIRE SSL");
    expect(await keelRun(k!)).toEqual(AGAIN);
    expect(await ansibleRun(a!)).toEqual(AGAIN);
  }, 900_000);

  it("keel drift is clean on the host Ansible converged, and no password shows in keel's output", async () => {
    const d = await keel(["drift", pb, "-i", a!.inventory], { timeoutMs: 300_000 });
    outputs.push(d.stdout, d.stderr);
    expect(d.code, `${d.stdout}\n${d.stderr}`).toBe(0);
    for (const pw of PASSWORDS) for (const o of outputs) expect(o.includes(pw), `a password in keel's output: ${o.slice(0, 300)}`).toBe(false);
    expect(outputs.length).toBeGreaterThan(8);
  }, 600_000);
});
