// End to end: behaviours of users.user and files.file that must match Ansible's, checked against
// ansible-core (installed on this machine) on the same lab host (lab04):
//   - a locked ("!") or disabled ("*") password converged by Ansible is not drift for keel, and keel
//     reports no change on every run;
//   - user creates a missing home of an existing account (create_home defaults to yes);
//   - file state=directory gives every directory it creates (the parents too) the owner, group and
//     mode, as Ansible does;
//   - replace and ini_file (community.general, from Debian's ansible package) leave the same bytes.
// Accounts are named modsa-*, paths live under /tmp/modsa-par; all are removed afterwards.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { describeLab, INVENTORY, INVENTORY_INI, PRIVATE_KEY, keel, ssh, ansibleEnv, spawnAsync } from "./lab.js";

const HOST = "lab04";
const BASE = "/tmp/modsa-par";
const USERS = ["modsa-lock", "modsa-star", "modsa-home"];

let dir = "";

async function cleanup(): Promise<void> {
  await ssh(HOST, `for u in ${USERS.join(" ")}; do id "$u" >/dev/null 2>&1 && userdel -r "$u" >/dev/null 2>&1; done; rm -rf ${BASE}; true`);
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "keel-par-"));
  await cleanup();
});

afterAll(async () => {
  await cleanup();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function playbook(name: string, tasks: string): string {
  const pb = join(dir, name);
  writeFileSync(pb, `- hosts: all\n  gather_facts: false\n  tasks:\n${tasks.replace(/^/gm, "    ")}\n`);
  return pb;
}

/** ansible-playbook on lab04 (python3 is on the lab hosts). */
async function ansiblePlaybook(pb: string): Promise<{ code: number; out: string }> {
  const r = await spawnAsync("ansible-playbook", [pb, "-i", INVENTORY_INI, "--limit", HOST, "--private-key", PRIVATE_KEY, "-u", "root"], {
    encoding: "utf8",
    env: ansibleEnv(dir),
  });
  return { code: r.status ?? 1, out: `${r.stdout}\n${r.stderr}` };
}

interface Ev {
  type: string;
  host: string;
  task: { name: string };
  result: { status: string; changes: { summary: string }[] };
}

async function keelRun(cmd: "run" | "drift", pb: string, ...extra: string[]): Promise<{ code: number; out: string; status: Map<string, string> }> {
  const json = join(dir, `r-${Date.now()}.json`);
  const args =
    cmd === "run"
      ? ["run", pb, "-i", INVENTORY, "--limit", HOST, "--json", json, ...extra]
      : ["drift", pb, "-i", INVENTORY, "--limit", HOST, "--format", "json", "--out", json, ...extra];
  const r = await keel(args);
  const status = new Map<string, string>();
  if (cmd === "run") {
    const rep = JSON.parse(readFileSync(json, "utf8")) as { events: Ev[] };
    for (const e of rep.events)
      if (e.type === "task.result" && e.host === HOST)
        status.set(e.task.name, `${e.result.status}${e.result.changes.length ? `: ${e.result.changes.map((c) => c.summary).join("; ")}` : ""}`);
  }
  return { code: r.code, out: `${r.stdout}\n${r.stderr}`, status };
}

const TASKS = `
- name: locked account
  user: { name: modsa-lock, password: "!", shell: /bin/sh }
- name: disabled account
  user: { name: modsa-star, password: "*", shell: /bin/sh }
- name: nested directory
  file: { path: ${BASE}/a/b/c, state: directory, owner: nobody, group: nogroup, mode: "0750" }
`;

describeLab("Ansible parity of users.user and files.file", () => {
  it("a host Ansible converged (password '!'/'*', nested directory) is not drift for keel, and keel's own converge matches it", async () => {
    const pb = playbook("parity.yml", TASKS);
    const a = await ansiblePlaybook(pb);
    expect(a.code, a.out).toBe(0);
    const ansOwners = await ssh(HOST, `stat -c '%n %U %G %a' ${BASE} ${BASE}/a ${BASE}/a/b ${BASE}/a/b/c; getent shadow modsa-lock modsa-star | cut -d: -f1,2`);
    expect(ansOwners.stdout).toBe(
      `${BASE} nobody nogroup 750\n${BASE}/a nobody nogroup 750\n${BASE}/a/b nobody nogroup 750\n${BASE}/a/b/c nobody nogroup 750\nmodsa-lock:!\nmodsa-star:*\n`,
    );

    const d = await keelRun("drift", pb);
    expect(d.code, d.out).toBe(0);
    const again = await keelRun("run", pb);
    expect(again.code, again.out).toBe(0);
    expect([...again.status.values()]).toEqual(["ok", "ok", "ok"]);

    // keel from scratch ends where Ansible ended
    await cleanup();
    const k = await keelRun("run", pb);
    expect(k.code, k.out).toBe(0);
    expect(k.status.get("nested directory")).toMatch(
      /^changed: directory \/tmp\/modsa-par\/a\/b\/c missing, with its parents \/tmp\/modsa-par, \/tmp\/modsa-par\/a, \/tmp\/modsa-par\/a\/b/,
    );
    const keelOwners = await ssh(
      HOST,
      `stat -c '%n %U %G %a' ${BASE} ${BASE}/a ${BASE}/a/b ${BASE}/a/b/c; getent shadow modsa-lock modsa-star | cut -d: -f1,2`,
    );
    expect(keelOwners.stdout).toBe(ansOwners.stdout);
    const k2 = await keelRun("run", pb);
    expect([...k2.status.values()]).toEqual(["ok", "ok", "ok"]);
  });

  it("user creates the missing home of an existing account, as Ansible does; check mode announces it", async () => {
    const pb = playbook("home.yml", `- name: home user\n  user: { name: modsa-home, shell: /bin/sh }\n`);
    expect((await keelRun("run", pb)).status.get("home user")).toMatch(/^changed/);
    expect((await ssh(HOST, "rm -rf /home/modsa-home")).code).toBe(0);
    const check = await keelRun("run", pb, "--check");
    expect(check.status.get("home user")).toBe("changed: home directory /home/modsa-home missing → created from /etc/skel");
    expect((await ssh(HOST, "test -e /home/modsa-home; echo $?")).stdout.trim()).toBe("1");
    const k = await keelRun("run", pb);
    expect(k.status.get("home user")).toMatch(/^changed: home directory/);
    const st = await ssh(HOST, "stat -c '%U %G %a' /home/modsa-home /home/modsa-home/.profile");
    expect(st.stdout).toBe("modsa-home modsa-home 755\nmodsa-home modsa-home 644\n");
    expect((await keelRun("run", pb)).status.get("home user")).toBe("ok");
    // Ansible sees the same: a second ansible-playbook run of the task changes nothing
    const a = await ansiblePlaybook(pb);
    expect(a.out).toMatch(/changed=0/);
  });

  it("replace and ini_file end with Ansible's bytes; check mode and a second run change nothing; backup kept", async () => {
    const seed = "# conf\nPort 22\nPermitRootLogin yes\n[main]\nkey = 1\n#opt = old\n[second]\nmulti = a\nmulti = b";
    const tasks = (d: string) => `
- name: replace
  replace: { path: ${d}/sshd.conf, regexp: '^(PermitRootLogin) yes$', replace: '\\1 no', backup: true }
- name: ini option
  ini_file: { path: ${d}/app.ini, section: main, option: opt, value: new }
- name: ini values
  community.general.ini_file: { path: ${d}/app.ini, section: second, option: multi, values: [b, c] }
- name: ini new file
  ini_file: { path: ${d}/sub/new.ini, section: s, option: o, value: v, mode: "0600" }
`;
    const prep = (d: string) => `mkdir -p ${d} && printf '${seed}\\n' > ${d}/sshd.conf && printf '${seed}' > ${d}/app.ini`;
    expect((await ssh(HOST, `${prep(`${BASE}/ans`)} && ${prep(`${BASE}/keel`)}`)).code).toBe(0);
    const a = await ansiblePlaybook(playbook("text-ans.yml", tasks(`${BASE}/ans`)));
    expect(a.code, a.out).toBe(0);
    const pb = playbook("text-keel.yml", tasks(`${BASE}/keel`));
    const check = await keelRun("run", pb, "--check", "--diff");
    expect(check.code, check.out).toBe(0);
    expect([...check.status.values()].map((s) => s.split(":")[0])).toEqual(["changed", "changed", "changed", "changed"]);
    expect(check.out).toContain("+PermitRootLogin no");
    const untouched = await ssh(HOST, `cat ${BASE}/keel/sshd.conf; test -e ${BASE}/keel/sub; echo $?`);
    expect(untouched.stdout).toBe(`${seed}\n1\n`);
    const k = await keelRun("run", pb);
    expect(k.code, k.out).toBe(0);
    const sum = (d: string) => `cd ${d} && sha1sum sshd.conf app.ini sub/new.ini && stat -c '%a' sub/new.ini && ls sshd.conf.*~ | wc -l`;
    const ans = await ssh(HOST, sum(`${BASE}/ans`));
    const kee = await ssh(HOST, sum(`${BASE}/keel`));
    expect(kee.stdout).toBe(ans.stdout);
    expect(kee.stdout).toMatch(/600\n1\n$/);
    const again = await keelRun("run", pb);
    expect([...again.status.values()]).toEqual(["ok", "ok", "ok", "ok"]);
    // and Ansible finds nothing to do on keel's result
    const a2 = await ansiblePlaybook(playbook("text-keel-ans.yml", tasks(`${BASE}/keel`)));
    expect(a2.out).toMatch(/changed=0/);
  });
});
