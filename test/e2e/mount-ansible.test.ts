// End to end: system.mount against ansible.posix.mount (Debian's ansible 7.7.0 collections) on one
// scratch host: the same playbook of every state (present, mounted, a changed entry, remounted,
// unmounted, absent with and without an fstab entry, absent_from_fstab, ephemeral) run by
// ansible-playbook and by keel from the same starting point; each task's changed/ok/failed and the
// end state (fstab line, live mounts, mount points) must be the same. Then each tool's converged
// state is checked by the other one in check mode: nothing to do.
// Ansible's side (its per-task statuses, its end state, its check-mode statuses on keel's end state)
// is replayed from test/recordings/ansible/mount-ansible-runs.json while its key holds (the tasks,
// the reset and state commands, this harness, the installed Ansible, the lab's mount/python3), and
// no host is converged by Ansible; keel's check run on Ansible's end state then runs on keel's own
// host, once its end state is the recorded one. A difference fails naming the recording.
// KEEL_ANSIBLE_LIVE=1 runs Ansible live as before; KEEL_ANSIBLE_RECORD=1 also rewrites the recording.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { labPackageVersions, sha256 } from "../ansible-record.js";
import { AnsibleSteps } from "./ansible-side.js";
import { ansibleEnv, describeLab, keel, PRIVATE_KEY, ssh, useScratchHost, type ScratchHost, spawnAsync } from "./lab.js";

const RESET = `umount /mnt/sh-a 2>/dev/null; umount /mnt/sh-b 2>/dev/null; umount /mnt/sh-e 2>/dev/null; sed -i '/sh-[abe]/d' /etc/fstab; rm -rf /mnt/sh-a /mnt/sh-b /mnt/sh-e; true`;
const STATE = `grep sh- /etc/fstab; findmnt -kn -o TARGET,SOURCE,FSTYPE /mnt/sh-a; findmnt -kn -o TARGET,SOURCE,FSTYPE /mnt/sh-b; findmnt -kn -o TARGET,SOURCE,FSTYPE /mnt/sh-e; ls -d /mnt/sh-a /mnt/sh-b /mnt/sh-e 2>/dev/null; true`;

const TASKS = `
- { name: a present, mount: { path: /mnt/sh-a, src: sha, fstype: tmpfs, opts: "size=1m", state: present } }
- { name: a present again, mount: { path: /mnt/sh-a, src: sha, fstype: tmpfs, opts: "size=1m", state: present } }
- { name: a mounted, mount: { path: /mnt/sh-a, src: sha, fstype: tmpfs, opts: "size=1m", state: mounted } }
- { name: a mounted again, mount: { path: /mnt/sh-a, src: sha, fstype: tmpfs, opts: "size=1m", state: mounted } }
- { name: a new size, mount: { path: /mnt/sh-a, src: sha, fstype: tmpfs, opts: "size=2m", state: mounted } }
- { name: a remounted, mount: { path: /mnt/sh-a, state: remounted } }
- { name: a unmounted, mount: { path: /mnt/sh-a, state: unmounted } }
- { name: a unmounted again, mount: { path: /mnt/sh-a, state: unmounted } }
- { name: a absent, mount: { path: /mnt/sh-a, state: absent } }
- { name: a absent again, mount: { path: /mnt/sh-a, state: absent } }
- { name: b mounted, mount: { path: /mnt/sh-b, src: shb, fstype: tmpfs, state: mounted } }
- { name: b absent_from_fstab, mount: { path: /mnt/sh-b, state: absent_from_fstab } }
- { name: b absent without entry, mount: { path: /mnt/sh-b, state: absent } }
- { name: e ephemeral, mount: { path: /mnt/sh-e, src: she, fstype: tmpfs, opts: "size=1m", state: ephemeral } }
- { name: e ephemeral again, mount: { path: /mnt/sh-e, src: she, fstype: tmpfs, opts: "size=1m", state: ephemeral } }
- { name: e ephemeral other src, mount: { path: /mnt/sh-e, src: other, fstype: tmpfs, state: ephemeral }, ignore_errors: true }
`;
// the converged end: the playbook's tasks whose state is a desired state, not an action
const CONVERGED = `
- { name: a absent, mount: { path: /mnt/sh-a, state: absent } }
- { name: b absent without entry, mount: { path: /mnt/sh-b, state: absent } }
- { name: b absent_from_fstab, mount: { path: /mnt/sh-b, state: absent_from_fstab } }
`;

let dir = "";
let host: () => ScratchHost;

function pb(name: string, tasks: string): string {
  const p = join(dir, name);
  writeFileSync(p, `- hosts: all\n  gather_facts: false\n  tasks:\n${tasks.replace(/^/gm, "    ")}\n`);
  return p;
}

/** ansible-playbook with the json callback: task name → ok|changed|failed. */
async function ansible(p: string, ...extra: string[]): Promise<Map<string, string>> {
  const h = host();
  writeFileSync(join(dir, "inv.ini"), `${h.name} ansible_host=${h.address} ansible_user=root\n`);
  const r = await spawnAsync("ansible-playbook", [p, "-i", join(dir, "inv.ini"), "--private-key", PRIVATE_KEY, ...extra], {
    encoding: "utf8",
    env: ansibleEnv(dir, { ANSIBLE_STDOUT_CALLBACK: "json", ANSIBLE_SSH_ARGS: `-o UserKnownHostsFile=${h.knownHosts} -o StrictHostKeyChecking=yes` }),
  });
  const out = JSON.parse(r.stdout) as { plays: { tasks: { task: { name: string }; hosts: Record<string, { changed?: boolean; failed?: boolean }> }[] }[] };
  const st = new Map<string, string>();
  for (const t of out.plays[0]!.tasks) {
    const v = t.hosts[h.name]!;
    st.set(t.task.name, v.failed ? "failed" : v.changed ? "changed" : "ok");
  }
  return st;
}

async function keelRun(p: string, ...extra: string[]): Promise<Map<string, string>> {
  const json = join(dir, `k-${Date.now()}.json`);
  const r = await keel(["run", p, "-i", host().inventory, "--json", json, ...extra]);
  const rep = JSON.parse(readFileSync(json, "utf8")) as { events: { type: string; task: { name: string }; result: { status: string } }[] };
  const st = new Map<string, string>();
  for (const e of rep.events) if (e.type === "task.result") st.set(e.task.name, e.result.status);
  expect(st.size, `${r.stdout}\n${r.stderr}`).toBeGreaterThan(0);
  return st;
}

const on = async (cmd: string) => (await ssh(host(), cmd)).stdout;

describeLab("system.mount against ansible.posix.mount on a scratch host", () => {
  host = useScratchHost();
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "keel-mount-ans-"));
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("every state: the same changed/ok/failed per task and the same end state; each converged end is the other's too", async () => {
    const playbook = pb("mount.yml", TASKS);
    const conv = pb("conv.yml", CONVERGED);
    const steps = new AnsibleSteps<{ converge: Record<string, string>; end: string; checkOnKeel: string[] }>("mount-ansible-runs", {
      tasks: sha256(TASKS + CONVERGED + RESET + STATE),
      harness: sha256([ansible, ansibleEnv, pb].map((f) => f.toString()).join("\n")),
      lab: labPackageVersions(["mount", "util-linux", "python3", "python3-minimal"]),
    });
    console.log(`ansible mount-ansible-runs: ${steps.source}`);
    const theirs = await steps.step("converge", async () => {
      await on(RESET);
      return Object.fromEntries(await ansible(playbook));
    });
    const theirEnd = await steps.step("end", () => on(STATE));
    let theirsCheck: string[] = [];
    if (!steps.replaying) {
      await on(`umount /mnt/sh-e; true`);
      theirsCheck = [...(await keelRun(conv, "--check")).values()];
    }

    await on(RESET);
    const mine = await keelRun(playbook);
    const myEnd = await on(STATE);
    expect(Object.fromEntries(mine), steps.hint).toEqual(theirs);
    expect(myEnd, steps.hint).toBe(theirEnd);
    expect(myEnd).toContain("/mnt/sh-b shb"); // the mount without an entry that absent left alone
    await on(`umount /mnt/sh-e; true`);
    // replayed: keel's host is in Ansible's recorded end state (compared above), so keel's check of
    // Ansible's converged end runs there
    if (steps.replaying) theirsCheck = [...(await keelRun(conv, "--check")).values()];
    const mineCheck = await steps.step("checkOnKeel", async () => [...(await ansible(conv, "--check")).values()]);
    expect(theirsCheck.length).toBeGreaterThan(0);
    expect(
      [...theirsCheck, ...mineCheck].every((s) => s === "ok"),
      steps.hint,
    ).toBe(true);
    await on(RESET);
    steps.save();
  }, 600_000);
});
