// max_fail_percentage, keel against ansible-playbook 2.14 live, on one scratch host reached under
// five inventory names (h1..h5, same address): the rolling-update keyword of playbooks/patch.yml.
// Each tool runs the same playbook and inventory; every task that runs leaves a marker file named
// after the tool, the task and the inventory name, so "which host ran which task" and "did a later
// batch start" are read from the host, not from either tool's output.
//
// Ansible's side of each case (its exit code and its markers) is replayed from
// test/recordings/ansible/patches-maxfail-<case>.json while its key holds (the playbook, the case's
// variables and unreachable names, this harness, the lab's python3, the installed Ansible); keel
// always runs live. A case keel does not match sends it to a live Ansible (test/e2e/ansible-replay.ts).
// KEEL_ANSIBLE_LIVE=1 runs Ansible live; KEEL_ANSIBLE_RECORD=1 also rewrites the recordings.
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, expect, it } from "vitest";
import { labPackageVersions, sha256 } from "../ansible-record.js";
import { checkAgainstAnsible } from "./ansible-replay.js";
import { ansibleEnv, describeLab, hostExec, keel, lab, startScratchHost, stopScratchHost, type ScratchHost } from "./lab.js";

const pexec = promisify(execFile);
let dir = "";
let h: ScratchHost;

const PLAYBOOK = `- hosts: all
  gather_facts: false
  strategy: linear
  serial: 4
  max_fail_percentage: "{{ mfp }}"
  tasks:
    - name: first
      shell: "touch /tmp/mf/{{ tool }}-first-{{ inventory_hostname }}; case ' {{ fail1 }} ' in *' {{ inventory_hostname }} '*) exit 1;; esac"
    - name: second
      shell: "touch /tmp/mf/{{ tool }}-second-{{ inventory_hostname }}; case ' {{ fail2 }} ' in *' {{ inventory_hostname }} '*) exit 1;; esac"
`;

function inventory(unreachable: string[]): string {
  const lines = ["[all]"];
  for (const n of ["h1", "h2", "h3", "h4", "h5"]) {
    // an unreachable name: loopback port 1, refused at once
    lines.push(unreachable.includes(n) ? `${n} ansible_host=127.0.0.1 ansible_port=1` : `${n} ansible_host=${h.address}`);
  }
  lines.push("[all:vars]", "ansible_user=root", `ansible_ssh_private_key_file=${lab().privateKey}`, `keel_known_hosts=${h.knownHosts}`);
  const file = join(dir, `inv-${unreachable.join("-") || "all"}.ini`);
  writeFileSync(file, lines.join("\n") + "\n");
  return file;
}

interface Outcome {
  code: number;
  ran: string[];
}

async function markers(tool: string): Promise<string[]> {
  const out = (await hostExec(h, `ls /tmp/mf 2>/dev/null | sed -n 's/^${tool}-//p'; rm -f /tmp/mf/${tool}-*`)).stdout;
  return out.split("\n").filter(Boolean).sort();
}

type Vars = { mfp: string; fail1?: string; fail2?: string };
const extra = (tool: string, vars: Vars) => ["-e", JSON.stringify({ tool, mfp: vars.mfp, fail1: vars.fail1 ?? "", fail2: vars.fail2 ?? "" })];

/** ansible-playbook on the inventory: its exit code and the markers its tasks left. */
async function ansibleRun(inv: string, pb: string, vars: Vars): Promise<Outcome> {
  let code = 0;
  try {
    await pexec("ansible-playbook", ["-i", inv, pb, ...extra("ansible", vars)], {
      env: ansibleEnv(dir, { ANSIBLE_SSH_ARGS: `-o UserKnownHostsFile=${h.knownHosts} -o StrictHostKeyChecking=yes`, ANSIBLE_HOST_KEY_CHECKING: "True" }),
      timeout: 120_000,
    });
  } catch (e) {
    code = (e as { code?: number }).code ?? -1;
  }
  return { code, ran: await markers("ansible") };
}

/**
 * keel live, then Ansible's outcome of case `name` (recorded as patches-maxfail-<name>, or live)
 * passed to `check` with keel's; `check` states what the case asserts of Ansible and of keel.
 */
async function both(name: string, vars: Vars, unreachable: string[], check: (ansible: Outcome, keel: Outcome) => void): Promise<void> {
  const inv = inventory(unreachable);
  const pb = join(dir, "pb.yml");
  writeFileSync(pb, PLAYBOOK);
  const k = await keel(["run", pb, "-i", inv, ...extra("keel", vars)]);
  const kept = { code: k.code ?? -1, ran: await markers("keel") };
  const parts = {
    playbook: sha256(PLAYBOOK),
    vars: JSON.stringify(vars),
    unreachable: unreachable.join(","),
    harness: sha256([inventory, markers, ansibleRun, extra].map(String).join("\n")),
    lab: labPackageVersions(["python3", "python3-minimal", "coreutils"]),
  };
  const r = await checkAgainstAnsible(
    `patches-maxfail-${name}`,
    parts,
    () => ansibleRun(inv, pb, vars),
    (ansible) => check(ansible, kept),
  );
  console.log(`patches-maxfail ${name}: Ansible's side ${r.source}`);
}

describeLab("max_fail_percentage: keel and ansible-playbook on the same hosts", () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "keel-e2e-maxfail-"));
    h = await startScratchHost();
    await hostExec(h, "mkdir -p /tmp/mf");
  }, 120_000);
  afterAll(async () => {
    if (h) await stopScratchHost(h).catch(() => {});
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("exceeded after a task: the batch's other hosts take no further task and the next batch never starts", async () => {
    await both("exceeded", { mfp: "0", fail1: "h1" }, [], (ansible, keel) => {
      expect(ansible.ran).toEqual(["first-h1", "first-h2", "first-h3", "first-h4"]);
      expect(keel).toEqual(ansible);
    });
  }, 180_000);

  it("not exceeded (1 of 4 with 25): the batch goes on and so does the run", async () => {
    await both("not-exceeded", { mfp: "25", fail1: "h1" }, [], (ansible, keel) => {
      expect(ansible.ran).toContain("second-h5");
      expect(ansible.ran).not.toContain("second-h1");
      expect(keel).toEqual(ansible);
    });
  }, 180_000);

  it("failures over two tasks add up (25: one after the first task, two after the second)", async () => {
    await both("two-tasks", { mfp: "25", fail1: "h1", fail2: "h2" }, [], (ansible, keel) => {
      expect(ansible.ran).not.toContain("first-h5");
      expect(keel).toEqual(ansible);
    });
  }, 180_000);

  it("an unreachable host does not count toward the percentage", async () => {
    await both("unreachable", { mfp: "0" }, ["h1"], (ansible, keel) => {
      expect(ansible.ran).toContain("second-h5");
      expect(keel).toEqual(ansible);
    });
  }, 180_000);
});
