// End to end, on two fresh scratch hosts: packages.apt's upgrade, dpkg_options, only_upgrade and
// policy_rc_d (issue 16) through the real `keel run` on one and ansible-playbook (ansible-core 2.14's
// apt module) on the other, from the same playbook. Both hosts start with keel-hello 1.0 and
// keel-tool 1.0 from the lab repository, whose keel-security and keel-updates suites carry 1.1, a
// policy-rc.d of their own, and python3-apt (which Ansible's apt needs and would otherwise install).
// Compared: --check changes nothing on either host and reports the same changed tasks; the first
// run's changed tasks; the end state (every package's version and status, the policy-rc.d, whether
// keel-daemon's install started it); a second run changes nothing on either host.
//
// Ansible's side (its statuses of the three runs and its host's state text before, after --check
// and after its first run) is replayed from test/recordings/ansible/apt-upgrade-runs.json while its
// key holds (the play, the setup, this harness with Ansible's environment, the lab rootfs's package list, the lab repository's
// versions of the packages involved, the installed Ansible): then one scratch host runs keel alone
// and its state is compared with the recorded text. KEEL_ANSIBLE_LIVE=1 runs Ansible live on a
// second host; KEEL_ANSIBLE_RECORD=1 also rewrites the recording.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { labPackageVersions, sha256 } from "../ansible-record.js";
import { rootfsDir } from "../lab/rootfs.js";
import { AnsibleSteps, ansiblePlaybookJson, ansibleStatuses, plainStatus } from "./ansible-side.js";
import { ansibleEnv, describeLab, hostExec, keel, startScratchHosts, stopScratchHosts, type ScratchHost } from "./lab.js";

const PLAY = `- hosts: all
  gather_facts: false
  tasks:
    - name: only upgrade
      apt: { name: [keel-tool, keel-daemon], state: latest, only_upgrade: true }
    - name: dist upgrade
      ansible.builtin.apt: { upgrade: dist, dpkg_options: "force-confdef,force-confold" }
    - name: daemon without starting it
      apt: { name: keel-daemon, policy_rc_d: 101 }
`;
const OLD_POLICY = "#!/bin/sh\n# the hosts own, kept\nexit 0\n";

let k: ScratchHost | undefined;
let a: ScratchHost | undefined;
let dir = "";
let pb = "";
let n = 0;

type Statuses = Record<string, string>;

async function keelRun(h: ScratchHost, ...extra: string[]): Promise<{ status: Statuses; changes: Record<string, string[]> }> {
  const json = join(dir, `k${++n}.json`);
  const r = await keel(["run", pb, "-i", h.inventory, "--json", json, ...extra], { timeoutMs: 300_000 });
  expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
  const status: Statuses = {};
  const changes: Record<string, string[]> = {};
  const events = (
    JSON.parse(readFileSync(json, "utf8")) as {
      events: { type: string; task: { name: string }; result: { status: string; changes: { summary: string }[] } }[];
    }
  ).events;
  for (const e of events)
    if (e.type === "task.result") {
      status[e.task.name] = e.result.status;
      changes[e.task.name] = e.result.changes.map((c) => c.summary);
    }
  return { status, changes };
}

async function ansibleRun(h: ScratchHost, ...extra: string[]): Promise<Statuses> {
  return ansibleStatuses(await ansiblePlaybookJson(h, pb, { home: dir, extra }), h.name, plainStatus);
}

/** Every package's version and status, the policy-rc.d, and whether keel-daemon was started (from outside, through nsenter). */
const hostState = async (h: ScratchHost) =>
  (
    await hostExec(
      h,
      "dpkg-query -W -f='${Package} ${Version} ${db:Status-Abbrev}\\n' | sort; echo '--'; cat /usr/sbin/policy-rc.d; stat -c %a /usr/sbin/policy-rc.d; " +
        "ls /run/keel-daemon.started 2>&1; ls -d /tmp/keel-policy-rc.d.* /tmp/ansible* 2>/dev/null | grep -c . || true",
    )
  ).stdout;

const versions = async (h: ScratchHost) =>
  (await hostExec(h, "dpkg-query -W -f='${Package}=${Version} ' keel-hello keel-tool keel-daemon 2>/dev/null; true")).stdout.trim();

const SETUP =
  "apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q keel-hello=1.0 keel-tool=1.0 python3-apt >/dev/null && " +
  `printf '%s' '${OLD_POLICY}' > /usr/sbin/policy-rc.d && chmod 0700 /usr/sbin/policy-rc.d`;
/** The packages the setup and the play install or upgrade, with python3-apt's dependencies (a recording's key names their lab versions). */
const PACKAGES = ["keel-hello", "keel-tool", "keel-daemon", "python3-apt", "python-apt-common", "distro-info-data", "libapt-pkg6.0", "apt", "dpkg", "python3"];

/** Ansible's outcomes on its host (recorded as apt-upgrade-runs). */
type Side = { before: string; check: Statuses; checkState: string; run1: Statuses; state1: string; run2: Statuses };
let side: AnsibleSteps<Side>;

describeLab("packages.apt upgrade, dpkg_options, only_upgrade, policy_rc_d against ansible.builtin.apt (issue 16)", () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "keel-apt-upgrade-e2e-"));
    pb = join(dir, "pb.yml");
    writeFileSync(pb, PLAY);
    side = new AnsibleSteps<Side>("apt-upgrade-runs", {
      play: sha256(PLAY),
      setup: sha256(SETUP),
      harness: sha256([ansibleRun, hostState, ansiblePlaybookJson, ansibleEnv, ansibleStatuses, plainStatus].map(String).join("\n")),
      // the state text lists every package of the host: the rootfs's own come from its dpkg database
      rootfs: sha256(readFileSync(join(rootfsDir(), "var", "lib", "dpkg", "status"))),
      packages: labPackageVersions(PACKAGES),
    });
    // replaying, Ansible's host is not needed: one scratch host, set up alone
    [k, a] = await startScratchHosts(side.replaying ? 1 : 2);
    await Promise.all([k, a].filter((h): h is ScratchHost => h !== undefined).map((h) => hostExec(h, SETUP, { timeoutMs: 240_000 })));
  }, 360_000);
  afterAll(async () => {
    await stopScratchHosts([k, a].filter((h): h is ScratchHost => h !== undefined));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("--check changes nothing and reports what Ansible --check reports, naming the packages", async () => {
    console.log(`apt-upgrade: Ansible's side ${side.source}`);
    const k0 = await hostState(k!);
    const a0 = await side.step("before", () => hostState(a!));
    expect(k0, side.hint).toBe(a0);
    expect(k0).toContain(`--\n${OLD_POLICY}700\n`);
    const check = await keelRun(k!, "--check");
    const want = { "only upgrade": "changed", "dist upgrade": "changed", "daemon without starting it": "changed" };
    expect(check.status).toEqual(want);
    expect(await side.step("check", () => ansibleRun(a!, "--check")), side.hint).toEqual(want);
    expect(check.changes["only upgrade"]).toEqual(["package keel-tool 1.0 → 1.1 (latest)"]);
    expect(check.changes["dist upgrade"]).toEqual(["package keel-hello 1.0 → 1.1 (dist-upgrade)", "package keel-tool 1.0 → 1.1 (dist-upgrade)"]);
    expect(await hostState(k!)).toBe(k0);
    expect(await side.step("checkState", () => hostState(a!)), side.hint).toBe(a0);
  }, 600_000);

  it("the same changed tasks and the same end state as Ansible; a second run changes nothing on either host", async () => {
    const k1 = await keelRun(k!);
    const a1 = await side.step("run1", () => ansibleRun(a!));
    expect(k1.status, side.hint).toEqual(a1);
    // only_upgrade upgraded keel-tool and did not install keel-daemon; the dist upgrade took keel-hello
    // (keel-tool was already 1.1); the third task installed keel-daemon
    expect(a1, side.hint).toEqual({ "only upgrade": "changed", "dist upgrade": "changed", "daemon without starting it": "changed" });
    expect(k1.changes["dist upgrade"]).toEqual(["package keel-hello 1.0 → 1.1 (dist-upgrade)"]);
    expect(await versions(k!)).toBe("keel-daemon=1.0 keel-hello=1.1 keel-tool=1.1");
    const ks = await hostState(k!);
    expect(ks, side.hint).toBe(await side.step("state1", () => hostState(a!)));
    // the host's own policy-rc.d is back (content and mode), nothing left in /tmp, and policy-rc.d's 101 kept keel-daemon from starting
    expect(ks).toContain(`--\n${OLD_POLICY}700\nls: cannot access '/run/keel-daemon.started': No such file or directory\n0\n`);
    const settled = { "only upgrade": "ok", "dist upgrade": "ok", "daemon without starting it": "ok" };
    expect((await keelRun(k!)).status).toEqual(settled);
    expect(await side.step("run2", () => ansibleRun(a!)), side.hint).toEqual(settled);
    expect(await hostState(k!)).toBe(ks);
    side.save();
  }, 900_000);
});
