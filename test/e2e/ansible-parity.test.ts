// End to end: behaviours of users.user and files.file that must match Ansible's, checked against
// ansible-core (installed on this machine) on the same lab host (lab04):
//   - a locked ("!") or disabled ("*") password converged by Ansible is not drift for keel, and keel
//     reports no change on every run;
//   - user creates a missing home of an existing account (create_home defaults to yes);
//   - file state=directory gives every directory it creates (the parents too) the owner, group and
//     mode, as Ansible does;
//   - replace and ini_file (community.general, from Debian's ansible package) leave the same bytes.
// Accounts are named modsa-*, paths live under /tmp/modsa-par; all are removed afterwards.
// Ansible's side (its exit codes, recaps and the end state the tests compare) is replayed from
// test/recordings/ansible/ansible-parity-*.json while its key holds (the tasks, this harness, the
// installed Ansible, the lab's passwd/coreutils/python3); keel always runs live. Where Ansible ran
// on its own converged host (keel drift, a second keel run), a replay runs them on keel's host once
// its end state is the recorded one. KEEL_ANSIBLE_LIVE=1 runs Ansible live as before;
// KEEL_ANSIBLE_RECORD=1 also rewrites the recordings.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { labPackageVersions, sha256 } from "../ansible-record.js";
import { AnsibleSteps } from "./ansible-side.js";
import { checkAgainstAnsible } from "./ansible-replay.js";
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

/** The key of a recording of Ansible's runs of `tasks` (and the commands that read their end state). */
function parts(tasks: string, ...reads: string[]): Record<string, string> {
  return {
    tasks: sha256(tasks),
    reads: sha256(reads.join("\n")),
    harness: sha256([ansiblePlaybook, ansibleEnv, playbook, cleanup].map((f) => f.toString()).join("\n")),
    lab: labPackageVersions(["passwd", "coreutils", "python3", "python3-minimal"]),
  };
}

/** Ansible's recap says it changed nothing. */
const unchanged = (out: string) => /changed=0/.test(out);

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
    const OWNERS = `stat -c '%n %U %G %a' ${BASE} ${BASE}/a ${BASE}/a/b ${BASE}/a/b/c; getent shadow modsa-lock modsa-star | cut -d: -f1,2`;
    const steps = new AnsibleSteps<{ converge: { code: number; owners: string } }>("ansible-parity-converge", parts(TASKS, OWNERS));
    console.log(`ansible ansible-parity-converge: ${steps.source}`);
    const ans = await steps.step("converge", async () => {
      const a = await ansiblePlaybook(pb);
      return { code: a.code, owners: (await ssh(HOST, OWNERS)).stdout };
    });
    expect(ans.code, steps.hint).toBe(0);
    expect(ans.owners, steps.hint).toBe(
      `${BASE} nobody nogroup 750\n${BASE}/a nobody nogroup 750\n${BASE}/a/b nobody nogroup 750\n${BASE}/a/b/c nobody nogroup 750\nmodsa-lock:!\nmodsa-star:*\n`,
    );
    if (!steps.replaying) {
      // live: keel on the host Ansible converged
      const d = await keelRun("drift", pb);
      expect(d.code, d.out).toBe(0);
      const again = await keelRun("run", pb);
      expect(again.code, again.out).toBe(0);
      expect([...again.status.values()]).toEqual(["ok", "ok", "ok"]);
      await cleanup();
    }

    // keel from scratch ends where Ansible ended
    const k = await keelRun("run", pb);
    expect(k.code, k.out).toBe(0);
    expect(k.status.get("nested directory")).toMatch(
      /^changed: directory \/tmp\/modsa-par\/a\/b\/c missing, with its parents \/tmp\/modsa-par, \/tmp\/modsa-par\/a, \/tmp\/modsa-par\/a\/b/,
    );
    const keelOwners = await ssh(HOST, OWNERS);
    expect(keelOwners.stdout, steps.hint).toBe(ans.owners);
    if (steps.replaying) {
      // replayed: keel's host is in Ansible's recorded end state (owners, modes and the '!'/'*'
      // password fields, compared just above), so keel's drift runs there instead
      const d = await keelRun("drift", pb);
      expect(d.code, d.out).toBe(0);
    }
    const k2 = await keelRun("run", pb);
    expect([...k2.status.values()]).toEqual(["ok", "ok", "ok"]);
    steps.save();
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
    // Ansible sees the same: a second ansible-playbook run of the task changes nothing (replayed
    // while keel's account and home are those Ansible saw: name, home, shell, owners and modes)
    const STATE = "getent passwd modsa-home | cut -d: -f1,6,7; stat -c '%n %U %G %a' /home/modsa-home /home/modsa-home/.profile";
    const state = (await ssh(HOST, STATE)).stdout;
    await checkAgainstAnsible(
      "ansible-parity-home-rerun",
      parts(`- name: home user\n  user: { name: modsa-home, shell: /bin/sh }\n`, STATE),
      async () => ({ state: (await ssh(HOST, STATE)).stdout, unchanged: unchanged((await ansiblePlaybook(pb)).out) }),
      (a) => expect([state, true]).toEqual([a.state, a.unchanged]),
    );
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
    expect((await ssh(HOST, prep(`${BASE}/keel`))).code).toBe(0);
    const sum = (d: string) => `cd ${d} && sha1sum sshd.conf app.ini sub/new.ini && stat -c '%a' sub/new.ini && ls sshd.conf.*~ | wc -l`;
    const key = parts(tasks("DIR"), prep("DIR"), sum("DIR"));
    const pb = playbook("text-keel.yml", tasks(`${BASE}/keel`));
    const check = await keelRun("run", pb, "--check", "--diff");
    expect(check.code, check.out).toBe(0);
    expect([...check.status.values()].map((s) => s.split(":")[0])).toEqual(["changed", "changed", "changed", "changed"]);
    expect(check.out).toContain("+PermitRootLogin no");
    const untouched = await ssh(HOST, `cat ${BASE}/keel/sshd.conf; test -e ${BASE}/keel/sub; echo $?`);
    expect(untouched.stdout).toBe(`${seed}\n1\n`);
    const k = await keelRun("run", pb);
    expect(k.code, k.out).toBe(0);
    const kee = await ssh(HOST, sum(`${BASE}/keel`));
    await checkAgainstAnsible(
      "ansible-parity-text",
      key,
      async () => {
        expect((await ssh(HOST, prep(`${BASE}/ans`))).code).toBe(0);
        const a = await ansiblePlaybook(playbook("text-ans.yml", tasks(`${BASE}/ans`)));
        expect(a.code, a.out).toBe(0);
        return { code: a.code, sums: (await ssh(HOST, sum(`${BASE}/ans`))).stdout };
      },
      (a) => expect(kee.stdout).toBe(a.sums),
    );
    expect(kee.stdout).toMatch(/600\n1\n$/);
    const again = await keelRun("run", pb);
    expect([...again.status.values()]).toEqual(["ok", "ok", "ok", "ok"]);
    // and Ansible finds nothing to do on keel's result (replayed while keel's files are those it saw)
    const now = (await ssh(HOST, sum(`${BASE}/keel`))).stdout;
    await checkAgainstAnsible(
      "ansible-parity-text-rerun",
      key,
      async () => ({
        sums: (await ssh(HOST, sum(`${BASE}/keel`))).stdout,
        unchanged: unchanged((await ansiblePlaybook(playbook("text-keel-ans.yml", tasks(`${BASE}/keel`)))).out),
      }),
      (a) => expect([now, true]).toEqual([a.sums, a.unchanged]),
    );
  });
});
