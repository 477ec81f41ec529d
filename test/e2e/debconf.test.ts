// End to end, on two scratch hosts: packages.debconf (ansible.builtin.debconf) through the real
// `keel run` on one and ansible-playbook on the other, from the same playbook, on tzdata's questions
// (debconf and tzdata are in every lab host): the same changed tasks, the same debconf-show
// afterwards, nothing changed on a second run, and --check changing nothing.
//
// Ansible's side (its statuses and debconf-show on its host) is replayed from
// test/recordings/ansible/debconf-runs.json while its key holds (the play, this harness, the lab's
// debconf/tzdata versions, the installed Ansible): then one scratch host runs keel alone.
// KEEL_ANSIBLE_LIVE=1 runs Ansible live on a second host; KEEL_ANSIBLE_RECORD=1 also rewrites the recording.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { labPackageVersions, sha256 } from "../ansible-record.js";
import { AnsibleSteps, ansiblePlaybookJson, ansibleStatuses, keelRunJson, keelStatuses, plainStatus } from "./ansible-side.js";
import { describeLab, ssh, startScratchHosts, stopScratchHosts, type ScratchHost } from "./lab.js";

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

async function keelRun(h: ScratchHost, ...extra: string[]): Promise<Record<string, string>> {
  const r = await keelRunJson(h, pb, { dir, extra, timeoutMs: 170_000 });
  expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
  return keelStatuses(r.report);
}

async function ansibleRun(h: ScratchHost): Promise<Record<string, string>> {
  return ansibleStatuses(await ansiblePlaybookJson(h, pb, { home: dir }), h.name);
}

const show = async (h: ScratchHost) => (await ssh(h, "debconf-show tzdata | sort")).stdout;

/** Ansible's outcomes on its host (recorded as debconf-runs). */
type Side = { run1: Record<string, string>; show1: string; run2: Record<string, string> };
let side: AnsibleSteps<Side>;

describeLab("packages.debconf against ansible.builtin.debconf (issue 16)", () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "keel-debconf-e2e-"));
    pb = join(dir, "pb.yml");
    writeFileSync(pb, PLAY);
    side = new AnsibleSteps<Side>("debconf-runs", {
      play: sha256(PLAY),
      harness: sha256([show, ansibleRun, ansiblePlaybookJson, ansibleStatuses, plainStatus].map(String).join("\n")),
      packages: labPackageVersions(["debconf", "tzdata", "python3"]),
    });
    // replaying, Ansible's host is not needed
    [k, a] = await startScratchHosts(side.replaying ? 1 : 2);
  }, 120_000);
  afterAll(async () => {
    await stopScratchHosts([k, a].filter((h): h is ScratchHost => h !== undefined));
  });

  it("--check changes nothing; keel and Ansible set the same answers, then change nothing", async () => {
    console.log(`debconf: Ansible's side ${side.source}`);
    const before = await show(k!);
    expect(await keelRun(k!, "--check")).toEqual({ select: "changed", string: "changed", read: "ok" });
    expect(await show(k!)).toBe(before);
    const k1 = await keelRun(k!);
    expect(k1, side.hint).toEqual(await side.step("run1", () => ansibleRun(a!)));
    expect(k1).toEqual({ select: "changed", string: "changed", read: "ok" });
    const ks = await show(k!);
    expect(ks, side.hint).toBe(await side.step("show1", () => show(a!)));
    expect(ks).toContain("tzdata/Areas: Europe");
    expect(ks).toContain("tzdata/Zones/Europe: Paris");
    expect(await keelRun(k!)).toEqual({ select: "ok", string: "ok", read: "ok" });
    expect(await side.step("run2", () => ansibleRun(a!)), side.hint).toEqual({ select: "ok", string: "ok", read: "ok" });
    side.save();
  }, 120_000);
});
