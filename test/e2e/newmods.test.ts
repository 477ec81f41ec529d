// End to end, on two scratch hosts: the modules real public roles needed and keel lacked (issue 16:
// community.general.locale_gen, community.crypto.openssl_dhparam, community.general.gem), through
// the real `keel run` on one host and ansible-playbook (ansible-core 2.14 with Debian's collections,
// on this machine) on the other, from the same playbook. Both hosts first get Debian's locales and
// ruby from the lab repository and a small gem built on the host. Checked: keel's --check predicts
// every change and writes nothing; keel and Ansible report the same changed tasks, reach the same
// end state (locale -a, /etc/locale.gen, the DH file's size/mode/owner/validity, gem list), and
// change nothing on a second run; keel drift finds no drift on the host Ansible converged.
// packages.npm is tested in npm-module.test.ts.
//
// Ansible's side (its statuses of both runs and its host's STATE text) is replayed from
// test/recordings/ansible/newmods-runs.json while its key holds (the play, SETUP, STATE, this
// harness and Ansible's environment, the lab's locales/ruby/openssl/python3 versions, the installed Ansible): then one
// scratch host runs keel alone and `keel drift` runs on it (checked first to be in Ansible's
// recorded end state). KEEL_ANSIBLE_LIVE=1 runs Ansible live on a second host;
// KEEL_ANSIBLE_RECORD=1 also rewrites the recording.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { labPackageVersions, sha256 } from "../ansible-record.js";
import { AnsibleSteps, ansiblePlaybookJson, ansibleStatuses, plainStatus } from "./ansible-side.js";
import { ansibleEnv, describeLab, keel, ssh, startScratchHosts, stopScratchHosts, type ScratchHost } from "./lab.js";

const PLAY = `- hosts: all
  gather_facts: false
  tasks:
    - name: locale present
      community.general.locale_gen: { name: de_CH.UTF-8, state: present }
    - name: locale absent
      community.general.locale_gen: { name: en_US.UTF-8, state: absent }
    - name: dhparam
      community.crypto.openssl_dhparam: { path: /etc/ssl/keel-dh.pem, size: 512, mode: "0640", owner: root, group: daemon }
    - name: gem
      community.general.gem: { name: keel-demo, gem_source: /var/tmp/keel-demo/keel-demo-1.0.0.gem, user_install: false }
    - name: gem rake absent
      community.general.gem: { name: keel-nothing, state: absent }
`;

const GEMSPEC = `Gem::Specification.new do |s|
  s.name = "keel-demo"
  s.version = "1.0.0"
  s.summary = "keel lab gem"
  s.authors = ["keel"]
  s.license = "MIT"
  s.files = ["lib/keel-demo.rb"]
end
`;

const SETUP = [
  "apt-get update -qq >/dev/null 2>&1; DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends locales ruby >/dev/null",
  "mkdir -p /var/tmp/keel-demo/lib && cd /var/tmp/keel-demo && echo 'module KeelDemo; end' > lib/keel-demo.rb",
  `printf '%s' '${GEMSPEC.replace(/'/g, "'\\''")}' > keel-demo.gemspec`,
  "gem build keel-demo.gemspec >/dev/null 2>&1 && ls keel-demo-1.0.0.gem",
].join(" && ");

/** What both tools must leave behind, read over plain ssh. */
const STATE = [
  "locale -a | sort",
  "grep -v '^#' /etc/locale.gen | grep . || true",
  "grep -c '^# en_US.UTF-8 UTF-8' /etc/locale.gen",
  "stat -c '%a %U %G' /etc/ssl/keel-dh.pem",
  "openssl dhparam -check -text -noout -in /etc/ssl/keel-dh.pem 2>&1 | grep -E 'bit|ok'",
  "gem list --local keel-demo | grep keel",
].join("; ");

let k: ScratchHost | undefined;
let a: ScratchHost | undefined;
let dir = "";
let pb = "";
let n = 0;

interface Report {
  events: { type: string; host: string; task: { name: string }; result: { status: string } }[];
}

async function keelRun(h: ScratchHost, cmd: "run" | "drift", ...extra: string[]): Promise<{ code: number; out: string; status: Map<string, string> }> {
  const json = join(dir, `k${++n}.json`);
  const r = await keel([cmd, pb, "-i", h.inventory, ...(cmd === "run" ? ["--json", json] : []), ...extra]);
  const out = `${r.stdout}\n${r.stderr}`;
  const status = new Map<string, string>();
  if (cmd === "run")
    for (const e of (JSON.parse(readFileSync(json, "utf8")) as Report).events) if (e.type === "task.result") status.set(e.task.name, e.result.status);
  return { code: r.code, out, status };
}

async function ansibleRun(h: ScratchHost): Promise<Record<string, string>> {
  return ansibleStatuses(await ansiblePlaybookJson(h, pb, { home: dir }), h.name, plainStatus);
}

async function on(h: ScratchHost, cmd: string): Promise<string> {
  const r = await ssh(h, cmd);
  if (r.code !== 0) throw new Error(`ssh ${h.name} '${cmd}' exited ${r.code}: ${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/** The lab packages the play and SETUP install or read (a recording's key names their versions). */
const PACKAGES = ["locales", "libc-bin", "ruby", "ruby3.1", "libruby3.1", "rubygems-integration", "openssl", "libssl3", "python3", "python3-cryptography"];

/** Ansible's outcomes on its host (recorded as newmods-runs). */
type Side = { run1: Record<string, string>; state1: string; run2: Record<string, string> };
let side: AnsibleSteps<Side>;

describeLab("locale_gen, openssl_dhparam and gem against ansible-core (issue 16)", () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "keel-newmods-e2e-"));
    pb = join(dir, "pb.yml");
    writeFileSync(pb, PLAY);
    side = new AnsibleSteps<Side>("newmods-runs", {
      play: sha256(PLAY),
      setup: sha256(SETUP),
      state: sha256(STATE),
      harness: sha256([ansibleRun, on, ansiblePlaybookJson, ansibleEnv, ansibleStatuses, plainStatus].map(String).join("\n")),
      packages: labPackageVersions(PACKAGES),
    });
    // replaying, Ansible's host is not needed: one scratch host, set up alone
    [k, a] = await startScratchHosts(side.replaying ? 1 : 2);
    await Promise.all([k, a].filter((h): h is ScratchHost => h !== undefined).map((h) => on(h, SETUP)));
  }, 240_000);
  afterAll(async () => {
    await stopScratchHosts([k, a].filter((h): h is ScratchHost => h !== undefined));
  });

  it("--check predicts the changes and writes nothing", async () => {
    console.log(`newmods: Ansible's side ${side.source}`);
    const before = await on(k!, "locale -a; md5sum /etc/locale.gen; ls /etc/ssl/keel-dh.pem 2>&1 || true");
    const c = await keelRun(k!, "run", "--check");
    expect(c.code, c.out).toBe(0);
    expect(Object.fromEntries(c.status)).toEqual({
      "locale present": "changed",
      "locale absent": "ok",
      dhparam: "changed",
      gem: "changed",
      "gem rake absent": "ok",
    });
    expect(await on(k!, "locale -a; md5sum /etc/locale.gen; ls /etc/ssl/keel-dh.pem 2>&1 || true")).toBe(before);
  }, 120_000);

  it("keel and Ansible change the same tasks, reach the same state, then change nothing; drift agrees", async () => {
    const k1 = await keelRun(k!, "run");
    expect(k1.code, k1.out).toBe(0);
    const a1 = await side.step("run1", () => ansibleRun(a!));
    expect(Object.fromEntries(k1.status), side.hint).toEqual(a1);
    expect(a1["locale present"], side.hint).toBe("changed");
    const ks = await on(k!, STATE);
    expect(ks, side.hint).toBe(await side.step("state1", () => on(a!, STATE)));
    expect(ks).toContain("de_CH.utf8");
    expect(ks).toContain("640 root daemon");
    expect(ks).toContain("DH Parameters: (512 bit)");
    expect(ks).toContain("DH parameters appear to be ok.");
    expect(ks).toContain("keel-demo (1.0.0)");

    const k2 = await keelRun(k!, "run");
    expect(k2.code, k2.out).toBe(0);
    expect(
      [...k2.status.values()].every((s) => s === "ok"),
      k2.out,
    ).toBe(true);
    const a2 = await side.step("run2", () => ansibleRun(a!));
    expect(Object.keys(a2), side.hint).toEqual([...k2.status.keys()]);
    expect(
      Object.values(a2).every((s) => s === "ok"),
      side.hint,
    ).toBe(true);
    side.save();

    // Live, on Ansible's host. Replaying there is none: on keel's host, once it is checked to be in
    // the state Ansible's host was recorded in.
    const target = side.replaying ? k! : a!;
    if (side.replaying) expect(await on(k!, STATE), side.hint).toBe(side.value("state1"));
    const d = await keelRun(target, "drift");
    expect(d.code, d.out).toBe(0);
  }, 240_000);

  it("a DH file of the wrong size is regenerated; mode drift alone is only chmod", async () => {
    await on(k!, "openssl dhparam -out /etc/ssl/keel-dh.pem 1024 2>/dev/null && chmod 0600 /etc/ssl/keel-dh.pem");
    const r = await keelRun(k!, "run");
    expect(r.code, r.out).toBe(0);
    expect(r.status.get("dhparam")).toBe("changed");
    // The regenerated file keeps the old file's mode (atomic_move), then gets the task's.
    expect(await on(k!, "stat -c '%a %U %G' /etc/ssl/keel-dh.pem; openssl dhparam -text -noout -in /etc/ssl/keel-dh.pem | grep bit")).toBe(
      "640 root daemon\n    DH Parameters: (512 bit)\n",
    );
    const sum = await on(k!, "md5sum /etc/ssl/keel-dh.pem");
    await on(k!, "chmod 0644 /etc/ssl/keel-dh.pem");
    const d = await keelRun(k!, "drift");
    expect(d.code, d.out).toBe(2);
    expect((await keelRun(k!, "run")).status.get("dhparam")).toBe("changed");
    expect(await on(k!, "md5sum /etc/ssl/keel-dh.pem")).toBe(sum);
  }, 120_000);
});
