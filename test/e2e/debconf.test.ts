// End to end, on two scratch hosts: packages.debconf (ansible.builtin.debconf) through the real
// `keel run` on one and ansible-playbook on the other, from the same playbook, on tzdata's questions
// (debconf and tzdata are in every lab host): the same changed tasks, the same debconf-show
// afterwards, nothing changed on a second run, and --check changing nothing.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { describeLab, keel, PRIVATE_KEY, ssh, startScratchHosts, stopScratchHosts, type ScratchHost, spawnAsync } from "./lab.js";

const PLAY = `- hosts: all
  gather_facts: false
  tasks:
    - name: select
      debconf: { name: tzdata, question: tzdata/Areas, vtype: select, value: Europe }
    - name: string
      ansible.builtin.debconf: { pkg: tzdata, setting: tzdata/Zones/Europe, vtype: select, answer: Paris, unseen: true }
    - name: read
      debconf: { name: tzdata }
`;

let k: ScratchHost | undefined;
let a: ScratchHost | undefined;
let dir = "";
let pb = "";
let n = 0;

async function keelRun(h: ScratchHost, ...extra: string[]): Promise<Record<string, string>> {
  const json = join(dir, `k${++n}.json`);
  const r = await keel(["run", pb, "-i", h.inventory, "--json", json, ...extra]);
  expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
  const out: Record<string, string> = {};
  for (const e of (JSON.parse(readFileSync(json, "utf8")) as { events: { type: string; task: { name: string }; result: { status: string } }[] }).events)
    if (e.type === "task.result") out[e.task.name] = e.result.status;
  return out;
}

async function ansibleRun(h: ScratchHost): Promise<Record<string, string>> {
  const inv = join(dir, "a.ini");
  writeFileSync(inv, `${h.name} ansible_host=${h.address}\n`);
  const r = await spawnAsync("ansible-playbook", [pb, "-i", inv, "--private-key", PRIVATE_KEY, "-u", "root"], {
    encoding: "utf8",
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

const show = async (h: ScratchHost) => (await ssh(h, "debconf-show tzdata | sort")).stdout;

describeLab("packages.debconf against ansible.builtin.debconf (issue 16)", () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "keel-debconf-e2e-"));
    pb = join(dir, "pb.yml");
    writeFileSync(pb, PLAY);
    [k, a] = await startScratchHosts(2);
  }, 120_000);
  afterAll(async () => {
    await stopScratchHosts([k, a].filter((h): h is ScratchHost => h !== undefined));
  });

  it("--check changes nothing; keel and Ansible set the same answers, then change nothing", async () => {
    const before = await show(k!);
    expect(await keelRun(k!, "--check")).toEqual({ select: "changed", string: "changed", read: "ok" });
    expect(await show(k!)).toBe(before);
    const k1 = await keelRun(k!);
    expect(k1).toEqual(await ansibleRun(a!));
    expect(k1).toEqual({ select: "changed", string: "changed", read: "ok" });
    const ks = await show(k!);
    expect(ks).toBe(await show(a!));
    expect(ks).toContain("tzdata/Areas: Europe");
    expect(ks).toContain("tzdata/Zones/Europe: Paris");
    expect(await keelRun(k!)).toEqual({ select: "ok", string: "ok", read: "ok" });
    expect(await ansibleRun(a!)).toEqual({ select: "ok", string: "ok", read: "ok" });
  }, 120_000);
});
