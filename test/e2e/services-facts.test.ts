// End to end: services.service_facts through the real `keel run` over SSH against lab03, compared
// with ansible-core's service_facts on the same host. Lab hosts have no init system (PID 1 is
// tini), so both list the SysV scripts from `service --status-all`, and neither lists systemd
// units (Ansible scans systemd only when PID 1 is systemd). Read-only: nothing changes on lab03.
// Ansible's service_facts is replayed from test/recordings/ansible/services-facts-services.json
// while its key holds (this harness, the installed Ansible, the lab's openssh-server, sysvinit-utils
// and python3); keel always runs live. If keel's list differs from the recording, ansible-core runs
// live and keel is compared with that (test/e2e/ansible-replay.ts). KEEL_ANSIBLE_LIVE=1 runs it
// live; KEEL_ANSIBLE_RECORD=1 also rewrites the recording.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { labPackageVersions, sha256 } from "../ansible-record.js";
import { checkAgainstAnsible } from "./ansible-replay.js";
import { describeLab, INVENTORY, INVENTORY_INI, PRIVATE_KEY, keel, ansibleEnv, spawnAsync } from "./lab.js";

const HOST = "lab03";
let dir = "";

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "keel-svcfacts-"));
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

interface TaskEvent {
  type: string;
  host: string;
  task: { name: string };
  result: { status: string; msg?: string };
}

const PLAY = `- hosts: all
  gather_facts: false
  tasks:
    - name: gather
      service_facts:
      register: sf
    - name: short name sets the facts
      assert:
        that:
          - services is mapping and ansible_facts.services == services
          - sf.ansible_facts.services == services
          - services.ssh.source == 'sysv'
    - name: fqcn
      ansible.builtin.service_facts:
    - name: show
      debug: { msg: "{{ ansible_facts.services | to_json }}" }
`;

async function ansibleServiceFacts(): Promise<Record<string, unknown>> {
  const r = await spawnAsync("ansible", [HOST, "-i", INVENTORY_INI, "-m", "service_facts", "-o", "--private-key", PRIVATE_KEY, "-u", "root"], {
    encoding: "utf8",
    env: ansibleEnv(dir),
  });
  const m = /=> (\{.*\})\s*$/s.exec(r.stdout);
  if (!m) throw new Error(`ansible service_facts gave no result (exit ${r.status}):\n${r.stdout}\n${r.stderr}`);
  return (JSON.parse(m[1]!) as { ansible_facts: { services: Record<string, unknown> } }).ansible_facts.services;
}

describeLab("service_facts on a lab host", () => {
  it("registers Ansible's facts shape and the same entries as ansible-core's service_facts", async () => {
    const pb = join(dir, "sf.yml");
    writeFileSync(pb, PLAY);
    for (const extra of [[], ["--check"]]) {
      const json = join(dir, `report${extra.length}.json`);
      const r = await keel(["run", pb, "-i", INVENTORY, "--limit", HOST, "--json", json, ...extra]);
      expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
      const events = (JSON.parse(readFileSync(json, "utf8")) as { events: TaskEvent[] }).events.filter((e) => e.type === "task.result" && e.host === HOST);
      for (const e of events) expect([e.task.name, e.result.status]).toEqual([e.task.name, "ok"]);
      const keelServices = JSON.parse(events.find((e) => e.task.name === "show")!.result.msg!) as Record<string, Record<string, unknown>>;
      const parts = {
        harness: sha256([ansibleServiceFacts, ansibleEnv].map((f) => f.toString()).join("\n")),
        lab: labPackageVersions(["openssh-server", "sysvinit-utils", "python3", "python3-minimal"]),
      };
      await checkAgainstAnsible(
        "services-facts-services",
        parts,
        async () => (await ansibleServiceFacts()) as Record<string, Record<string, unknown>>,
        (ans) => {
          // the same services, in the same order, each with the same fields and source
          expect(Object.keys(keelServices)).toEqual(Object.keys(ans));
          for (const [name, entry] of Object.entries(ans)) {
            expect(Object.keys(keelServices[name]!).sort(), name).toEqual(Object.keys(entry).sort());
            expect(keelServices[name]!.source).toBe(entry.source);
            expect(keelServices[name]!.name).toBe(name);
          }
          expect(ans.ssh).toEqual(keelServices.ssh);
        },
      );
      // ssh is what the lab runs on every host: running in both
      expect(keelServices.ssh).toEqual({ name: "ssh", state: "running", source: "sysv" });
    }
  });
});
