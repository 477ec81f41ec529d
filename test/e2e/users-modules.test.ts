// End to end: users.group, users.user, users.authorized_key, users.sudoers, system.command,
// system.shell, system.set_fact and system.assert through the real `keel run` (bin/keel.js, built by
// the e2e global setup) over SSH against the last two lab hosts (the first ones are tampered with by
// other suites). Converge, converge again (nothing may change), prove the result works (log in over
// SSH as the new user with the authorized key, `sudo -n` through the installed rule), tamper on one
// host and check that --check reports exactly the tampered fields there without touching it, then
// remove everything and converge again. Only keeltest-e2e accounts and files are created; afterAll
// removes them.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { describeLab, hostExec, INVENTORY, keel as keelCli, lab, ssh, HOSTS as LAB_HOSTS } from "./lab.js";

const HOSTS = LAB_HOSTS.slice(-2).map((h) => h.name);
const U = "keeltest-e2e";
const HASH = "$6$keeltestsalt1$2TGr4/aVfmtBiUVaJ5vq97EJZv/f0/J4m/79qxSR.Kskmt6MTNC55boS564BKJNnnjrUXGKkRRz/oWAHWMlqF0";

interface TaskEvent {
  type: string;
  host: string;
  task: { name: string; module: string };
  result: { status: string; changes: { summary: string; field?: string }[] };
}
interface Report {
  events: TaskEvent[];
  summary: { hosts: Record<string, { changed: number; failed: number; ok: number }>; failed: string[]; unreachable: string[] };
}

let dir = "";

async function keel(playbook: string, ...extra: string[]): Promise<{ code: number; out: string; report: Report }> {
  const json = join(dir, `report-${Date.now()}.json`);
  const r = await keelCli(["run", playbook, "-i", INVENTORY, "--limit", HOSTS.join(","), "--json", json, ...extra]);
  const out = `${r.stdout}\n${r.stderr}`;
  let report: Report;
  try {
    report = JSON.parse(readFileSync(json, "utf8")) as Report;
  } catch {
    throw new Error(`keel wrote no JSON report (exit ${r.code}):\n${out}`);
  }
  return { code: r.code, out, report };
}

const results = (rep: Report, host: string) => rep.events.filter((e) => e.type === "task.result" && e.host === host);
const changedTasks = (rep: Report, host: string) =>
  results(rep, host)
    .filter((e) => e.result.status === "changed")
    .map((e) => e.task.name);

const cleanupHost = (h: string) =>
  hostExec(
    h,
    `getent passwd ${U} >/dev/null && userdel -r -f ${U} 2>/dev/null; getent group ${U} >/dev/null && groupdel ${U}; rm -f /etc/sudoers.d/${U} /tmp/${U}-mark; true`,
    { check: false },
  );

describeLab("users and system modules over SSH on lab hosts", () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "keel-users-e2e-"));
    const pub = readFileSync(`${lab().privateKey}.pub`, "utf8").trim();
    for (const h of HOSTS) await cleanupHost(h);
    writeFileSync(
      join(dir, "present.yml"),
      `- name: keeltest accounts
  hosts: all
  become: true
  vars:
    login: ${U}
  tasks:
    - name: group
      group: { name: "{{ login }}", gid: 2996 }
    - name: user
      user:
        name: "{{ login }}"
        uid: 2996
        group: "{{ login }}"
        groups: [users]
        shell: /bin/bash
        comment: keel e2e
        password: "${HASH}"
    - name: key
      authorized_key:
        user: "{{ login }}"
        key: "${pub}"
        key_options: no-agent-forwarding
    - name: sudoers
      community.general.sudoers:
        name: ${U}
        user: "{{ login }}"
        commands: [/usr/bin/id]
    - name: marker
      command: touch /tmp/${U}-mark
      args:
        creates: /tmp/${U}-mark
    - name: count users
      shell: getent passwd | wc -l
      register: n
      changed_when: false
      check_mode: false
    - name: remember
      set_fact:
        user_count: "{{ n.stdout }}"
    - name: check
      assert:
        that:
          - n.rc == 0
          - user_count | int > 10
        fail_msg: getent passwd looks wrong
`,
    );
    writeFileSync(
      join(dir, "absent.yml"),
      `- hosts: all
  become: true
  tasks:
    - name: sudoers
      sudoers: { name: ${U}, state: absent }
    - name: user
      user: { name: ${U}, state: absent, remove: true }
    - name: group
      group: { name: ${U}, state: absent }
    - name: marker
      shell: rm /tmp/${U}-mark
      args:
        removes: /tmp/${U}-mark
`,
    );
  }, 900_000);

  afterAll(async () => {
    for (const h of HOSTS) await cleanupHost(h);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("first run changes every resource task on every host", async () => {
    const r = await keel(join(dir, "present.yml"));
    expect(r.code, r.out).toBe(0);
    for (const h of HOSTS) expect(changedTasks(r.report, h)).toEqual(["group", "user", "key", "sudoers", "marker"]);
    // The hash never reaches the report.
    expect(JSON.stringify(r.report)).not.toContain("$6$");
  });

  it("second run changes nothing", async () => {
    const r = await keel(join(dir, "present.yml"));
    expect(r.code, r.out).toBe(0);
    for (const h of HOSTS) expect(changedTasks(r.report, h)).toEqual([]);
    // Facts, one batched probe of every task, the read-only shell command (check_mode: false runs
    // it each time), and one re-probe of the tasks after it.
    const rt = (r.report.summary as unknown as { round_trips: Record<string, number> }).round_trips;
    for (const h of HOSTS) expect(rt[h], `round trips of ${h}`).toBeLessThanOrEqual(4);
  });

  it("the result works: SSH login with the key, sudo through the rule, shadow hash set", async () => {
    for (const h of HOSTS) {
      const who = await ssh(h, "id -un; id -Gn; sudo -n /usr/bin/id -u", { user: U });
      expect(who.code, who.stderr).toBe(0);
      expect(who.stdout.trim().split("\n")).toEqual([U, `${U} users`, "0"]);
      const denied = await ssh(h, "sudo -n /usr/bin/whoami", { user: U });
      expect(denied.code).not.toBe(0);
      const shadow = await hostExec(h, `getent shadow ${U} | cut -d: -f2`);
      expect(shadow.stdout.trim()).toBe(HASH);
      const keys = await hostExec(h, `stat -c '%a %U' /home/${U}/.ssh /home/${U}/.ssh/authorized_keys; cat /home/${U}/.ssh/authorized_keys`);
      expect(keys.stdout).toMatch(new RegExp(`^700 ${U}\\n600 ${U}\\nno-agent-forwarding ssh-ed25519 `));
    }
  });

  it("after tampering with one host, --check reports exactly the tampered fields there and touches nothing", async () => {
    const victim = HOSTS[1]!;
    await hostExec(
      victim,
      `usermod -s /bin/sh -G '' ${U} && echo '${U} ALL=(ALL) NOPASSWD: ALL' > /etc/sudoers.d/${U} && sed -i 's/^no-agent-forwarding //' /home/${U}/.ssh/authorized_keys`,
    );
    const before = (await hostExec(victim, `getent passwd ${U}; id -Gn ${U}; cat /etc/sudoers.d/${U} /home/${U}/.ssh/authorized_keys`)).stdout;
    const r = await keel(join(dir, "present.yml"), "--check");
    expect(r.code, r.out).toBe(0);
    expect(changedTasks(r.report, HOSTS[0]!)).toEqual([]);
    expect(changedTasks(r.report, victim)).toEqual(["user", "key", "sudoers"]);
    const user = results(r.report, victim).find((e) => e.task.name === "user")!;
    expect(user.result.changes.map((c) => c.summary)).toEqual(["groups +users", "shell /bin/sh → /bin/bash"]);
    const key = results(r.report, victim).find((e) => e.task.name === "key")!;
    expect(key.result.changes[0]!.summary).toMatch(/options "" → "no-agent-forwarding"/);
    const after = (await hostExec(victim, `getent passwd ${U}; id -Gn ${U}; cat /etc/sudoers.d/${U} /home/${U}/.ssh/authorized_keys`)).stdout;
    expect(after).toBe(before);

    const fix = await keel(join(dir, "present.yml"));
    expect(fix.code, fix.out).toBe(0);
    expect(changedTasks(fix.report, victim)).toEqual(["user", "key", "sudoers"]);
    expect(changedTasks((await keel(join(dir, "present.yml"))).report, victim)).toEqual([]);
  });

  it("state: absent removes everything, and converges", async () => {
    const r = await keel(join(dir, "absent.yml"));
    expect(r.code, r.out).toBe(0);
    // userdel removes the user's own group (USERGROUPS_ENAB): the group task then finds it gone.
    for (const h of HOSTS) expect(changedTasks(r.report, h)).toEqual(["sudoers", "user", "marker"]);
    const again = await keel(join(dir, "absent.yml"));
    for (const h of HOSTS) expect(changedTasks(again.report, h)).toEqual([]);
    const left = await hostExec(HOSTS[0]!, `getent passwd ${U}; getent group ${U}; ls /etc/sudoers.d/${U} /home/${U} 2>/dev/null; true`);
    expect(left.stdout.trim()).toBe("");
  });
});
