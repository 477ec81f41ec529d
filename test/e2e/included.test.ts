// End to end: looped include_tasks over variables (Ansible's dynamic includes), on real hosts.
//   - lab01 and lab02 (shared): per-host items from host variables, files only under /tmp/keel-loops-*;
//     check mode writes nothing, a run converges, a second run and `keel drift` find nothing to do.
//   - a scratch host: one representative users-and-groups playbook (loop_var, index_var, label, a
//     per-item when, a nested looped include, with_dict over a templated file name) run by
//     ansible-playbook and by keel: the same end state, and no drift for keel on Ansible's result.
//     Ansible's end state is replayed from test/recordings/ansible/included-parity.json while its key
//     holds (the playbook files, the state and reset commands, Ansible's environment, the installed
//     Ansible, the lab's passwd/python3), and no Ansible runs: keel converges the scratch host from
//     scratch, must end in exactly the recorded state (a difference fails naming the recording),
//     and `keel drift` then runs on keel's own host, which is in Ansible's end state by that
//     comparison. KEEL_ANSIBLE_LIVE=1 runs Ansible live as before (drift on Ansible's converged
//     host); KEEL_ANSIBLE_RECORD=1 also rewrites the recording.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { labPackageVersions, sha256 } from "../ansible-record.js";
import { AnsibleSteps } from "./ansible-side.js";
import { describeLab, INVENTORY, keel, ssh, startScratchHost, stopScratchHost, type ScratchHost, spawnAsync } from "./lab.js";

const BASE = `/tmp/keel-loops-${process.pid}`;
let dir = "";

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "keel-loops-"));
});

afterAll(async () => {
  for (const h of ["lab01", "lab02"]) await ssh(h, `rm -rf ${BASE}`).catch(() => undefined);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function write(files: Record<string, string>): string {
  for (const [rel, text] of Object.entries(files)) writeFileSync(join(dir, rel), text);
  return join(dir, Object.keys(files)[0]!);
}

interface Ev {
  type: string;
  host: string;
  task: { name: string; module: string };
  result: { status: string; item?: string };
}

async function keelJson(args: string[]): Promise<{ code: number; out: string; events: Ev[] }> {
  const json = join(dir, `r-${Date.now()}-${Math.random().toString(36).slice(2)}.json`);
  const r = await keel([...args, "--json", json]);
  const events = r.code <= 2 ? (JSON.parse(readFileSync(json, "utf8")) as { events: Ev[] }).events : [];
  return { code: r.code, out: `${r.stdout}\n${r.stderr}`, events };
}

const statuses = (events: Ev[], host: string) => events.filter((e) => e.type === "task.result" && e.host === host).map((e) => e.result.status);

describeLab("looped include_tasks on the shared lab hosts", () => {
  it("items from host variables: check mode writes nothing, a run converges, the second run and drift find nothing", async () => {
    const pb = write({
      "shared.yml": `- hosts: lab01,lab02
  gather_facts: false
  vars:
    base: ${BASE}
    per_host: { lab01: [a, b], lab02: [c] }
  tasks:
    - name: one file per item
      include_tasks: shared-item.yml
      loop: "{{ per_host[inventory_hostname] }}"
      loop_control: { loop_var: name, index_var: i }
`,
      "shared-item.yml": `- file: { path: "{{ base }}", state: directory, mode: "0755" }
- copy: { dest: "{{ base }}/{{ name }}", content: "{{ i }} {{ name }} {{ inventory_hostname }}\\n", mode: "0640" }
`,
    });
    const check = await keelJson(["run", pb, "-i", INVENTORY, "--check"]);
    expect(check.code, check.out).toBe(0);
    expect((await ssh("lab01", `test -e ${BASE}; echo $?`)).stdout.trim()).toBe("1");
    const run = await keelJson(["run", pb, "-i", INVENTORY]);
    expect(run.code, run.out).toBe(0);
    expect((await ssh("lab01", `cat ${BASE}/a ${BASE}/b; stat -c %a ${BASE}/a`)).stdout).toBe("0 a lab01\n1 b lab01\n640\n");
    expect((await ssh("lab02", `cat ${BASE}/c; ls ${BASE}`)).stdout).toBe("0 c lab02\nc\n");
    // the include reports each item; its tasks ran once per item
    const inc = run.events.filter((e) => e.type === "task.result" && e.host === "lab01" && e.task.name === "one file per item");
    expect(inc.map((e) => [e.result.status, e.result.item])).toEqual([
      ["ok", "a"],
      ["ok", "b"],
    ]);
    const again = await keelJson(["run", pb, "-i", INVENTORY]);
    expect(again.code, again.out).toBe(0);
    expect(
      statuses(again.events, "lab01").every((s) => s === "ok"),
      again.out,
    ).toBe(true);
    const drift = await keel(["drift", pb, "-i", INVENTORY]);
    expect(drift.code, drift.stdout + drift.stderr).toBe(0);
  });
});

const PARITY = {
  "parity.yml": `- hosts: all
  gather_facts: false
  vars:
    base: /tmp/keel-loops-par
    lp_groups: [{ name: lpdev, gid: 4101 }, { name: lpops, gid: 4102 }]
    lp_users:
      - { name: lpann, groups: [lpdev], pubkeys: [k1, k2] }
      - { name: lpbob, groups: [lpdev, lpops], pubkeys: [], shell: /bin/sh }
      - { name: lpgone, state: absent }
    lp_links: { motd: link, readme: file }
  tasks:
    - name: base
      file: { path: "{{ base }}", state: directory, mode: "0755" }
    - name: groups
      include_tasks: group.yml
      loop: "{{ lp_groups }}"
      loop_control: { loop_var: grp, label: "{{ grp.name }}" }
    - name: users
      include_tasks: user.yml
      loop: "{{ lp_users }}"
      loop_control: { loop_var: usr, index_var: idx, label: "{{ usr.name }}" }
      when: usr.state | default('present') == 'present'
    - name: kinds
      include_tasks: "kind-{{ item.value }}.yml"
      with_dict: "{{ lp_links }}"
`,
  "group.yml": `- name: group
  group: { name: "{{ grp.name }}", gid: "{{ grp.gid }}" }
`,
  "user.yml": `- name: user
  user: { name: "{{ usr.name }}", groups: "{{ usr.groups }}", shell: "{{ usr.shell | default('/bin/bash') }}", create_home: false }
- name: user dir
  file: { path: "{{ base }}/{{ usr.name }}", state: directory, mode: "0750", owner: "{{ usr.name }}" }
- name: keys
  include_tasks: key.yml
  loop: "{{ usr.pubkeys }}"
  loop_control: { loop_var: key }
- name: index
  copy: { dest: "{{ base }}/{{ usr.name }}/index", content: "{{ idx }} {{ usr.name }}\\n" }
`,
  "key.yml": `- name: key
  copy: { dest: "{{ base }}/{{ usr.name }}/{{ key }}", content: "{{ key }} of {{ usr.name }}\\n", mode: "0600", owner: "{{ usr.name }}" }
`,
  "kind-file.yml": `- name: kind file
  copy: { dest: "{{ base }}/{{ item.key }}", content: "{{ item.key }}\\n" }
`,
  "kind-link.yml": `- name: kind link
  file: { src: /etc/hostname, dest: "{{ base }}/{{ item.key }}", state: link }
`,
};

const STATE =
  "getent group lpdev lpops | cut -d: -f1,3,4; getent passwd lpann lpbob | cut -d: -f1,6,7; getent passwd lpgone || echo no-lpgone; " +
  "cd /tmp/keel-loops-par && find . -printf '%p %y %m %u %l\\n' | sort && cat lpann/index lpbob/index lpann/k1 lpann/k2 readme";
const RESET =
  "for u in lpann lpbob; do userdel $u 2>/dev/null; done; for g in lpdev lpops lpann lpbob; do groupdel $g 2>/dev/null; done; rm -rf /tmp/keel-loops-par; true";

/** ansible-playbook's environment for the parity play: nothing from the caller's, HOME in the test's folder. */
function ansibleParityEnv(): Record<string, string> {
  return {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: dir,
    ANSIBLE_NOCOLOR: "1",
    ANSIBLE_PYTHON_INTERPRETER: "/usr/bin/python3",
    ANSIBLE_HOST_KEY_CHECKING: "True",
  };
}

describeLab("looped includes: the same end state as ansible-playbook", () => {
  let h: ScratchHost;
  beforeAll(async () => {
    h = await startScratchHost();
  }, 300_000);
  afterAll(async () => {
    if (h) await stopScratchHost(h);
  });

  it("Ansible's converge is no drift for keel; keel from scratch ends in Ansible's state and then changes nothing", async () => {
    const pb = write(PARITY);
    const steps = new AnsibleSteps<{ state: string }>("included-parity", {
      play: sha256(JSON.stringify(PARITY) + STATE + RESET),
      harness: sha256(ansibleParityEnv.toString()),
      lab: labPackageVersions(["passwd", "login", "coreutils", "findutils", "python3", "python3-minimal"]),
    });
    console.log(`ansible included-parity: ${steps.source}`);
    const ansState = await steps.step("state", async () => {
      const a = await spawnAsync("ansible-playbook", [pb, "-i", h.inventory], { encoding: "utf8", env: ansibleParityEnv() });
      expect(a.status, `${a.stdout}\n${a.stderr}`).toBe(0);
      return (await ssh(h, STATE)).stdout;
    });
    expect(ansState).toContain("lpdev:4101:lpann,lpbob");
    if (!steps.replaying) {
      const drift = await keel(["drift", pb, "-i", h.inventory]);
      expect(drift.code, drift.stdout + drift.stderr).toBe(0);
    }

    expect((await ssh(h, RESET)).code).toBe(0);
    const k = await keelJson(["run", pb, "-i", h.inventory]);
    expect(k.code, k.out).toBe(0);
    expect((await ssh(h, STATE)).stdout, steps.hint).toBe(ansState);
    if (steps.replaying) {
      // keel's host is in Ansible's recorded end state (compared above): keel drift of Ansible's converge runs here
      const drift = await keel(["drift", pb, "-i", h.inventory]);
      expect(drift.code, drift.stdout + drift.stderr).toBe(0);
    }
    const again = await keelJson(["run", pb, "-i", h.inventory]);
    expect(again.code, again.out).toBe(0);
    expect(
      statuses(again.events, h.name).filter((s) => s !== "ok" && s !== "skipped"),
      again.out,
    ).toEqual([]);
    steps.save();
  }, 240_000);
});
