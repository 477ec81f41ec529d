// The compatibility corpus, issue 16: "the host-key options of real inventories work unchanged".
// A project laid out as real Ansible users lay it out (ansible.cfg naming the inventory, an INI
// inventory with [group:vars], a site.yml applying a corpus role), pointed at two fresh scratch
// hosts whose keys nobody has recorded, in the three shapes real inventories disable host key
// checking:
//   1. ansible_ssh_common_args='-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null'
//   2. host_key_checking = False in ./ansible.cfg
//   3. ANSIBLE_HOST_KEY_CHECKING=False in the environment
// ansible-playbook runs the project first (proving the shape is one Ansible takes); then keel runs
// each shape unchanged: it connects, converges as Ansible did, prints ONE warning line per run
// naming both hosts, and records no key (HOME's ~/.ssh/known_hosts never appears). The control
// (no option anywhere) refuses both hosts as unknown keys, so the test fails if keel stopped
// honouring the options. Each command gets a clean environment: nothing inherited from the
// caller's ANSIBLE_* or KEEL_*, HOME in the test's own folder (no ~/.ansible.cfg, no known_hosts).
// Ansible's run of shape 1 (each host's recap line and end state) is replayed from
// test/recordings/ansible/hostkeys-common-args.json while its key holds (the role's files, this
// harness, the installed Ansible, the lab's htop/python3-apt/python3), and no Ansible runs: keel
// then converges both hosts first (shape 1, unchanged), each must end in exactly the recorded
// state (a difference fails naming the recording), and the runs that must find nothing to do run
// on hosts in Ansible's end state by that comparison. KEEL_ANSIBLE_LIVE=1 runs Ansible live as
// before; KEEL_ANSIBLE_RECORD=1 also rewrites the recording.
import { afterAll, beforeAll, expect, it } from "vitest";
import { execFile } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { hashTree, labPackageVersions, sha256 } from "../ansible-record.js";
import { AnsibleSteps } from "../e2e/ansible-side.js";
import { materialize, corpus, ROLES_DIR } from "./materialize.js";
import { describeLab, KEEL_BIN, PRIVATE_KEY, ssh, startScratchHosts, stopScratchHosts, type ScratchHost } from "../e2e/lab.js";

interface Proc {
  code: number;
  stdout: string;
  stderr: string;
}

function run(cmd: string, args: string[], cwd: string, env: Record<string, string>): Promise<Proc> {
  return new Promise((resolve) => {
    execFile(
      cmd,
      args,
      { cwd, env: { PATH: process.env.PATH ?? "/usr/bin:/bin", NO_COLOR: "1", ...env }, timeout: 600_000, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => {
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout: String(stdout), stderr: String(stderr) });
      },
    );
  });
}

const ROLE = "htop";
let hosts: ScratchHost[] = [];
let base = "";

/** A project folder: ansible.cfg, the INI inventory `hosts`, site.yml and roles/htop. */
function project(name: string, cfg: string[], groupVars: string[]): string {
  const dir = join(base, name);
  mkdirSync(join(dir, "roles"), { recursive: true });
  const m = materialize(corpus().find((r) => r.name === ROLE)!);
  if ("missing" in m) throw new Error(m.missing);
  symlinkSync(m.dir, join(dir, "roles", ROLE));
  writeFileSync(join(dir, "ansible.cfg"), ["[defaults]", "inventory = hosts", "retry_files_enabled = False", ...cfg, ""].join("\n"));
  writeFileSync(
    join(dir, "hosts"),
    [
      "[web]",
      ...hosts.map((h) => `${h.name} ansible_host=${h.address}`),
      "",
      "[web:vars]",
      "ansible_user=root",
      `ansible_ssh_private_key_file=${PRIVATE_KEY}`,
      "ansible_python_interpreter=/usr/bin/python3",
      ...groupVars,
      "",
    ].join("\n"),
  );
  writeFileSync(join(dir, "site.yml"), `- hosts: web\n  roles:\n    - ${ROLE}\n`);
  return dir;
}

/** keel run in the project folder (inventory from its ansible.cfg), with a fresh HOME. */
async function keelRun(dir: string, env: Record<string, string> = {}) {
  const home = mkdtempSync(join(base, "home-"));
  const r = await run(process.execPath, [KEEL_BIN, "run", "site.yml", "--json", join(home, "r.json")], dir, { HOME: home, ...env });
  const rep = existsSync(join(home, "r.json"))
    ? (JSON.parse(readFileSync(join(home, "r.json"), "utf8")) as { summary: { hosts: Record<string, { changed: number; failed: number }> } })
    : undefined;
  return { ...r, rep, recorded: existsSync(join(home, ".ssh", "known_hosts")) };
}

/** What the htop role leaves on a host: the package, the two config folders and files (mode, owner, content). */
const STATE =
  "dpkg-query -W -f '${Status} ${Version}\\n' htop; for p in /etc/skel/.config/htop /root/.config/htop; do stat -c '%n %F %a %U %G' $p $p/htoprc; sha256sum < $p/htoprc; done";

const warnings = (stderr: string) => stderr.split("\n").filter((l) => l.startsWith("warning: host key checking is disabled"));

function expectUncheckedRun(r: Awaited<ReturnType<typeof keelRun>>) {
  expect(r.code, r.stderr + r.stdout.slice(-2000)).toBe(0);
  const w = warnings(r.stderr);
  expect(w, r.stderr).toHaveLength(1);
  for (const h of hosts) expect(w[0]).toContain(h.name);
  expect(w[0]).toContain("2 hosts");
  // Ansible converged both hosts first: keel, with the inventory unchanged, finds nothing to do
  for (const h of hosts) expect(r.rep?.summary.hosts[h.name], JSON.stringify(r.rep?.summary)).toMatchObject({ changed: 0, failed: 0 });
  expect(r.recorded, "keel recorded a host key although checking is disabled").toBe(false);
}

describeLab("compat corpus: host-key options of real inventories work unchanged", () => {
  beforeAll(async () => {
    base = mkdtempSync(join(tmpdir(), "keel-compat-hostkeys-"));
    hosts = await startScratchHosts(2);
    // as the corpus prepares its hosts: current package lists and python3-apt for Ansible's apt
    await Promise.all(
      hosts.map(async (h) => {
        const p = await ssh(h, "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3-apt >/dev/null", {
          timeoutMs: 300_000,
        });
        expect(p.code, `preparing ${h.name}: ${p.stderr}`).toBe(0);
      }),
    );
  }, 600_000);
  afterAll(async () => {
    if (hosts.length) await stopScratchHosts(hosts);
  });

  it(
    "ansible_ssh_common_args -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null: ansible-playbook, then keel, unchanged",
    { timeout: 900_000 },
    async () => {
      const dir = project("common-args", [], ["ansible_ssh_common_args='-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null'"]);
      const steps = new AnsibleSteps<{ recap: string[]; state: string[] }>("hostkeys-common-args", {
        role: hashTree(join(ROLES_DIR, ROLE)),
        harness: sha256([project, run].map((f) => f.toString()).join("\n") + STATE),
        lab: labPackageVersions(["htop", "python3-apt", "python3", "python3-minimal"]),
      });
      console.log(`ansible hostkeys-common-args: ${steps.source}`);
      const recap = await steps.step("recap", async () => {
        const a = await run("ansible-playbook", ["site.yml"], dir, { HOME: mkdtempSync(join(base, "home-")), ANSIBLE_NOCOLOR: "1" });
        expect(a.code, a.stdout.slice(-3000)).toBe(0);
        // each host's recap line without its (scratch) name
        return hosts.map((h) => new RegExp(`^${h.name}\\s*:\\s*(.*)$`, "m").exec(a.stdout)?.[1]?.replace(/\s+/g, " ").trim() ?? `no recap for ${h.name}`);
      });
      for (const line of recap) expect(line, steps.hint).toMatch(/^ok=\d+ changed=\d+ unreachable=0 failed=0/);
      const state = await steps.step("state", () => Promise.all(hosts.map(async (h) => (await ssh(h, STATE)).stdout)));
      expect(state[0]).toContain("install ok installed");
      if (steps.replaying) {
        // keel converges both hosts, as Ansible did when the recording was made, to Ansible's recorded end state
        const k = await keelRun(dir);
        expect(k.code, k.stderr + k.stdout.slice(-2000)).toBe(0);
        for (const [i, h] of hosts.entries()) expect((await ssh(h, STATE)).stdout, steps.hint).toBe(state[i]);
      }
      expectUncheckedRun(await keelRun(dir));
      // the nightly job on the same project: no drift, the same single warning
      const home = mkdtempSync(join(base, "home-"));
      const d = await run(process.execPath, [KEEL_BIN, "drift", "site.yml"], dir, { HOME: home });
      expect(d.code, d.stderr + d.stdout.slice(-2000)).toBe(0);
      expect(warnings(d.stderr)).toHaveLength(1);
      expect(existsSync(join(home, ".ssh", "known_hosts"))).toBe(false);
      steps.save();
    },
  );

  it("host_key_checking = False in ./ansible.cfg", { timeout: 600_000 }, async () => {
    expectUncheckedRun(await keelRun(project("cfg", ["host_key_checking = False"], [])));
  });

  it("ANSIBLE_HOST_KEY_CHECKING=False in the environment", { timeout: 600_000 }, async () => {
    expectUncheckedRun(await keelRun(project("env", [], []), { ANSIBLE_HOST_KEY_CHECKING: "False" }));
  });

  it("control: with no option, the unknown keys are refused as unknown, no warning, nothing recorded", { timeout: 600_000 }, async () => {
    const r = await keelRun(project("strict", [], []));
    expect(r.code, r.stderr + r.stdout.slice(-2000)).toBe(4);
    expect(warnings(r.stderr)).toHaveLength(0);
    expect(r.stdout + r.stderr).toMatch(/unknown host key/);
    expect(r.stdout + r.stderr).not.toMatch(/mismatch/i);
    expect(r.recorded).toBe(false);
  });
});
