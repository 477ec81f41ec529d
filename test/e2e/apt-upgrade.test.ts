// End to end, on two fresh scratch hosts: packages.apt's upgrade, dpkg_options, only_upgrade and
// policy_rc_d (issue 16) through the real `keel run` on one and ansible-playbook (ansible-core 2.14's
// apt module) on the other, from the same playbook. Both hosts start with keel-hello 1.0 and
// keel-tool 1.0 from the lab repository, whose keel-security and keel-updates suites carry 1.1, a
// policy-rc.d of their own, and python3-apt (which Ansible's apt needs and would otherwise install).
// Compared: --check changes nothing on either host and reports the same changed tasks; the first
// run's changed tasks; the end state (every package's version and status, the policy-rc.d, whether
// keel-daemon's install started it); a second run changes nothing on either host.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { describeLab, hostExec, keel, PRIVATE_KEY, spawnAsync, startScratchHosts, stopScratchHosts, type ScratchHost } from "./lab.js";

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
  const inv = join(dir, "a.ini");
  writeFileSync(inv, `${h.name} ansible_host=${h.address}\n`);
  const r = await spawnAsync("ansible-playbook", [pb, "-i", inv, "--private-key", PRIVATE_KEY, "-u", "root", ...extra], {
    encoding: "utf8",
    timeout: 600_000,
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
  const out: Statuses = {};
  for (const t of rep.plays[0]!.tasks) out[t.task.name] = t.hosts[h.name]!.failed ? "failed" : t.hosts[h.name]!.changed ? "changed" : "ok";
  return out;
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

describeLab("packages.apt upgrade, dpkg_options, only_upgrade, policy_rc_d against ansible.builtin.apt (issue 16)", () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "keel-apt-upgrade-e2e-"));
    pb = join(dir, "pb.yml");
    writeFileSync(pb, PLAY);
    [k, a] = await startScratchHosts(2);
    await Promise.all(
      [k, a].map((h) =>
        hostExec(
          h!,
          "apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q keel-hello=1.0 keel-tool=1.0 python3-apt >/dev/null && " +
            `printf '%s' '${OLD_POLICY}' > /usr/sbin/policy-rc.d && chmod 0700 /usr/sbin/policy-rc.d`,
          { timeoutMs: 240_000 },
        ),
      ),
    );
  }, 360_000);
  afterAll(async () => {
    await stopScratchHosts([k, a].filter((h): h is ScratchHost => h !== undefined));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("--check changes nothing and reports what Ansible --check reports, naming the packages", async () => {
    const [k0, a0] = [await hostState(k!), await hostState(a!)];
    expect(k0).toBe(a0);
    expect(k0).toContain(`--\n${OLD_POLICY}700\n`);
    const check = await keelRun(k!, "--check");
    const want = { "only upgrade": "changed", "dist upgrade": "changed", "daemon without starting it": "changed" };
    expect(check.status).toEqual(want);
    expect(await ansibleRun(a!, "--check")).toEqual(want);
    expect(check.changes["only upgrade"]).toEqual(["package keel-tool 1.0 → 1.1 (latest)"]);
    expect(check.changes["dist upgrade"]).toEqual(["package keel-hello 1.0 → 1.1 (dist-upgrade)", "package keel-tool 1.0 → 1.1 (dist-upgrade)"]);
    expect(await hostState(k!)).toBe(k0);
    expect(await hostState(a!)).toBe(a0);
  }, 600_000);

  it("the same changed tasks and the same end state as Ansible; a second run changes nothing on either host", async () => {
    const k1 = await keelRun(k!);
    const a1 = await ansibleRun(a!);
    expect(k1.status).toEqual(a1);
    // only_upgrade upgraded keel-tool and did not install keel-daemon; the dist upgrade took keel-hello
    // (keel-tool was already 1.1); the third task installed keel-daemon
    expect(a1).toEqual({ "only upgrade": "changed", "dist upgrade": "changed", "daemon without starting it": "changed" });
    expect(k1.changes["dist upgrade"]).toEqual(["package keel-hello 1.0 → 1.1 (dist-upgrade)"]);
    expect(await versions(k!)).toBe("keel-daemon=1.0 keel-hello=1.1 keel-tool=1.1");
    const ks = await hostState(k!);
    expect(ks).toBe(await hostState(a!));
    // the host's own policy-rc.d is back (content and mode), nothing left in /tmp, and policy-rc.d's 101 kept keel-daemon from starting
    expect(ks).toContain(`--\n${OLD_POLICY}700\nls: cannot access '/run/keel-daemon.started': No such file or directory\n0\n`);
    const settled = { "only upgrade": "ok", "dist upgrade": "ok", "daemon without starting it": "ok" };
    expect((await keelRun(k!)).status).toEqual(settled);
    expect(await ansibleRun(a!)).toEqual(settled);
    expect(await hostState(k!)).toBe(ks);
  }, 900_000);
});
