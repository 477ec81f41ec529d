// End to end: packages.package_facts through the real `keel run` over SSH on a scratch host,
// compared with ansible-core's package_facts on the same host. Ansible needs python3-apt there, so
// the test installs it from the lab repo (after apt-get update, so that the installed version is
// also in an index file and its origin is the repo's "keel-lab"), then removes cron without
// purging (state config-files: not installed for apt). Both tools must list the same packages
// with the same fields; order is not compared (python-apt's names come from a set).
// Ansible's package_facts is replayed from test/recordings/ansible/package-facts-packages.json while
// its key holds (the lab rootfs's package database, the lab repository's versions of python3-apt and
// cron, this harness, the installed Ansible); keel always runs live. If keel's list differs from
// the recording, ansible-core runs live on the host and keel is compared with that
// (test/e2e/ansible-replay.ts). KEEL_ANSIBLE_LIVE=1 runs it live; KEEL_ANSIBLE_RECORD=1 also
// rewrites the recording.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { labPackageVersions, sha256 } from "../ansible-record.js";
import { rootfsDir } from "../lab/rootfs.js";
import { checkAgainstAnsible } from "./ansible-replay.js";
import { describeLab, hostExec, keel, lab, startScratchHost, stopScratchHost, type ScratchHost, spawnAsync } from "./lab.js";

let dir = "";
let h: ScratchHost | undefined;

interface TaskEvent {
  type: string;
  host: string;
  task: { name: string };
  result: { status: string; msg?: string };
}

type Packages = Record<string, Record<string, unknown>[]>;

const PLAY = `- hosts: all
  gather_facts: false
  tasks:
    - name: gather
      package_facts:
      register: pf
    - name: the fact and the register agree
      assert:
        that:
          - packages is mapping and ansible_facts.packages == packages
          - pf.ansible_facts.packages == packages
          - packages['python3-apt'][0].origin == 'keel-lab'
          - packages['openssh-server'][0].source == 'apt'
          - "'cron' not in packages"
    - name: fqcn, apt only
      ansible.builtin.package_facts: { manager: apt, strategy: all }
    - name: show
      debug: { msg: "{{ ansible_facts.packages | to_json }}" }
`;

async function ansiblePackageFacts(host: ScratchHost): Promise<Packages> {
  const r = await spawnAsync(
    "ansible",
    [host.name, "-i", `${host.name},`, "-m", "package_facts", "-o", "--private-key", lab().privateKey, "-u", "root", "-e", `ansible_host=${host.address}`],
    {
      encoding: "utf8",
      maxBuffer: 64 << 20,
      env: {
        PATH: process.env.PATH ?? "/usr/bin:/bin",
        HOME: dir,
        ANSIBLE_SSH_ARGS: `-o UserKnownHostsFile=${host.knownHosts} -o StrictHostKeyChecking=yes`,
        ANSIBLE_PYTHON_INTERPRETER: "/usr/bin/python3",
        ANSIBLE_NOCOLOR: "1",
        ANSIBLE_HOST_KEY_CHECKING: "True",
      },
    },
  );
  const m = /=> (\{.*\})\s*$/s.exec(r.stdout);
  if (!m) throw new Error(`ansible package_facts gave no result (exit ${r.status}):\n${r.stdout}\n${r.stderr}`);
  return (JSON.parse(m[1]!) as { ansible_facts: { packages: Packages } }).ansible_facts.packages;
}

const PREPARE =
  "export DEBIAN_FRONTEND=noninteractive; apt-get update -q >/dev/null && apt-get install -y -q python3-apt >/dev/null && apt-get remove -y -q cron >/dev/null && dpkg-query -W -f '${Status}' cron";

/** Each entry with its keys sorted, so that two lists compare by content. */
function canon(p: Packages): Record<string, string[]> {
  return Object.fromEntries(
    Object.entries(p).map(([k, v]) => [k, v.map((e) => JSON.stringify(Object.fromEntries(Object.entries(e).sort(([a], [b]) => (a < b ? -1 : 1)))))]),
  );
}

describeLab("package_facts on a lab host", () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "keel-pkgfacts-"));
    h = await startScratchHost();
    const r = await hostExec(h, PREPARE);
    expect(r.stdout).toBe("deinstall ok config-files");
  }, 600_000);
  afterAll(async () => {
    if (h) await stopScratchHost(h);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("registers the same packages, with the same fields, as ansible-core's package_facts", async () => {
    const host = h!;
    const pb = join(dir, "pf.yml");
    writeFileSync(pb, PLAY);
    const mine: Record<string, string[]>[] = [];
    for (const extra of [[], ["--check"]]) {
      const json = join(dir, `report${extra.length}.json`);
      const r = await keel(["run", pb, "-i", host.inventory, "--json", json, ...extra]);
      expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
      const events = (JSON.parse(readFileSync(json, "utf8")) as { events: TaskEvent[] }).events.filter((e) => e.type === "task.result" && e.host === host.name);
      for (const e of events) expect([e.task.name, e.result.status]).toEqual([e.task.name, "ok"]);
      mine.push(canon(JSON.parse(events.find((e) => e.task.name === "show")!.result.msg!) as Packages));
    }
    // what the scratch host has installed: the lab rootfs's packages, then python3-apt in, cron out
    const status = join(rootfsDir(), "var", "lib", "dpkg", "status");
    const parts = {
      rootfs: existsSync(status) ? sha256(readFileSync(status)) : "absent",
      lab: labPackageVersions(["python3-apt", "python-apt-common", "cron"]),
      harness: sha256([ansiblePackageFacts, canon].map((f) => f.toString()).join("\n") + PREPARE),
    };
    const { source } = await checkAgainstAnsible(
      "package-facts-packages",
      parts,
      async () => canon(await ansiblePackageFacts(host)),
      (ans) => {
        expect(Object.keys(ans).length).toBeGreaterThan(100);
        for (const m of mine) {
          expect(Object.keys(m).sort()).toEqual(Object.keys(ans).sort());
          expect(m).toEqual(ans);
        }
      },
    );
    console.log(`ansible package-facts-packages: ${source}`);
  });
});
