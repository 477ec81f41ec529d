// End to end, on scratch hosts: files.copy with a controller FOLDER as src (copied recursively, as
// ansible-core 2.14's copy action does) through the real `keel run` on one host and ansible-playbook
// on the other, from the same playbook and the same controller tree: src dir/ (contents, with mode,
// directory_mode, owner, group, into a dest whose parents are missing), src dir (the folder itself),
// local_follow: false (links copied as links, a dangling one too), force: false over an edited file,
// and a folder holding one file (whose copy result is registered). Compared: the per-task statuses
// of a --check on the fresh host, of the first and second runs, of a --check on the converged host and
// of a --check after tampering; the registered results (through debug); the end state under /srv/ct
// (every path's type, mode, owner, group and link target, every file's sha256). keel drift is clean on
// the converged host and names each tampered path; a last keel run restores the end state.
//
// Ansible's side (its statuses, debug messages and end state) is replayed from
// test/recordings/ansible/copy-tree-runs.json while its key holds (the play, the controller tree,
// this harness, the installed Ansible, the lab's coreutils/python3): then one scratch host runs keel
// alone, and the clean drift runs on keel's own host once its end state is the recorded one (live, it
// runs on Ansible's converged host). KEEL_ANSIBLE_LIVE=1 runs Ansible live on a second host;
// KEEL_ANSIBLE_RECORD=1 also rewrites the recording.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { labPackageVersions, sha256 } from "../ansible-record.js";
import { AnsibleSteps, ansiblePlaybookJson, keelRunJson, skippedStatus, type KeelReport, type PlaybookJson } from "./ansible-side.js";
import { describeLab, keel, ssh, startScratchHosts, stopScratchHosts, type ScratchHost } from "./lab.js";

/** The controller tree under files/: path → content, or { link } for a symlink; "/" ends an empty folder. */
const TREE: Record<string, string | { link: string }> = {
  "conf.d/a.conf": "a=1\n",
  "conf.d/sub/b.conf": "b=2\n",
  "conf.d/sub/c.bin": "\u0000\u0001\u0002\u00ff\u0000",
  "conf.d/empty/": "",
  "conf.d/link.conf": { link: "a.conf" },
  "site/index.html": "<h1>hi</h1>\n",
  "site/css/x.css": "body{}\n",
  "site/current": { link: "index.html" },
  "site/dangling": { link: "nowhere" },
  "one/only.txt": "only\n",
};

const PLAY = `- hosts: all
  gather_facts: false
  tasks:
    - name: contents
      copy: { src: conf.d/, dest: /srv/ct/conf/, mode: "0640", directory_mode: "0750", owner: daemon, group: adm }
      register: r_contents
    - name: folder
      copy: { src: site, dest: /srv/ct/www }
    - name: links
      copy: { src: site/, dest: /srv/ct/links/, local_follow: false }
    - name: keepdir
      file: { path: /srv/ct/keep, state: directory }
    - name: seed
      copy: { dest: /srv/ct/keep/a.conf, content: "local edit\\n", mode: "0600" }
    - name: keep
      copy: { src: conf.d/, dest: /srv/ct/keep/, force: false, mode: "0644" }
    - name: one
      copy: { src: one/, dest: /srv/ct/one/ }
      register: r_one
    - name: show_contents
      debug: { msg: "{{ [r_contents.dest, r_contents.src | regex_replace('^.*/files/', 'FILES/'), r_contents.changed] | to_json }}" }
      when: not ansible_check_mode
    - name: show_one
      debug: { msg: "{{ r_one.keys() | list | reject('match', '^(invocation|diff|failed|skipped|src|_ansible.*)$') | sort | join(',') }} {{ r_one.dest }} {{ r_one.checksum }} {{ r_one.mode }} {{ r_one.changed }}" }
      when: not ansible_check_mode
`;
// show_one leaves out `src` (Ansible's temporary upload on the host, which keel does not make:
// modules/files/content-result.ts) and `skipped` (keel's register has it on every task)

/** Every path under /srv/ct with its type, mode, owner, group and link target, then every file's sha256. */
const STATE = "cd /srv/ct && find . -printf '%p|%y|%m|%u|%g|%l\\n' | LC_ALL=C sort && find . -type f | LC_ALL=C sort | xargs sha256sum";
/** Content changed, a file removed, a folder's mode changed: each names a path keel drift must report. */
const TAMPER = "echo x >> /srv/ct/conf/sub/b.conf && rm /srv/ct/www/site/css/x.css && chmod 0700 /srv/ct/conf/sub && rm /srv/ct/links/current";

let k: ScratchHost | undefined;
let a: ScratchHost | undefined;
let dir = "";
let pb = "";

type Outcome = { statuses: Record<string, string>; msgs: Record<string, string> };

async function keelRun(h: ScratchHost, ...extra: string[]): Promise<Outcome> {
  const r = await keelRunJson(h, pb, { dir, extra, timeoutMs: 170_000 });
  expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
  return keelOutcome(r.report);
}

function keelOutcome(report: KeelReport): Outcome {
  const out: Outcome = { statuses: {}, msgs: {} };
  for (const e of report.events)
    if (e.type === "task.result") {
      out.statuses[e.task.name] = e.result.status;
      if (e.task.name.startsWith("show_") && e.result.status === "ok") out.msgs[e.task.name] = e.result.msg ?? "";
    }
  return out;
}

function ansibleOutcome(json: PlaybookJson, host: string): Outcome {
  const out: Outcome = { statuses: {}, msgs: {} };
  for (const p of json.plays)
    for (const t of p.tasks) {
      const r = t.hosts[host];
      if (!r) continue;
      out.statuses[t.task.name] = skippedStatus(r);
      if (t.task.name.startsWith("show_") && !r.skipped) out.msgs[t.task.name] = String(r.msg);
    }
  return out;
}

/** ansible-playbook with one SSH connection kept for the run and pipelining: a folder copy runs a module per path. */
async function ansibleRun(h: ScratchHost, ...extra: string[]): Promise<Outcome> {
  const env = {
    ANSIBLE_SSH_ARGS: `-o UserKnownHostsFile=${h.knownHosts} -o StrictHostKeyChecking=yes -o ControlMaster=auto -o ControlPersist=60s`,
    ANSIBLE_PIPELINING: "1",
  };
  return ansibleOutcome(await ansiblePlaybookJson(h, pb, { home: dir, extra, env }), h.name);
}

let t0 = Date.now();
const mark = (what: string) => console.log(`copy-tree: ${what} at ${((Date.now() - t0) / 1000).toFixed(1)} s`);

const state = async (h: ScratchHost) => {
  const r = await ssh(h, STATE);
  expect(r.code, r.stderr).toBe(0);
  return r.stdout;
};
const tamper = async (h: ScratchHost) => expect((await ssh(h, TAMPER)).code).toBe(0);

type Side = { check0: Outcome; run1: Outcome; state1: string; run2: Outcome; check2: Outcome; check3: Outcome };
let side: AnsibleSteps<Side>;

const ALL = ["contents", "folder", "links", "keepdir", "seed", "keep", "one"];
/** Every copy task `s`; the debug tasks skipped in check mode, ok otherwise. */
const statusesOf = (s: string, check: boolean, over: Record<string, string> = {}) => ({
  ...Object.fromEntries(ALL.map((n) => [n, s])),
  show_contents: check ? "skipped" : "ok",
  show_one: check ? "skipped" : "ok",
  ...over,
});

describeLab("files.copy of a controller folder against ansible.builtin.copy (issue 16)", () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "keel-copytree-e2e-"));
    for (const [rel, v] of Object.entries(TREE)) {
      const p = join(dir, "files", rel);
      mkdirSync(rel.endsWith("/") ? p : dirname(p), { recursive: true });
      if (typeof v === "object") symlinkSync(v.link, p);
      else if (!rel.endsWith("/")) writeFileSync(p, Buffer.from(v, "latin1"));
    }
    pb = join(dir, "pb.yml");
    writeFileSync(pb, PLAY);
    side = new AnsibleSteps<Side>("copy-tree-runs", {
      play: sha256(PLAY),
      tree: sha256(JSON.stringify(TREE)),
      harness: sha256([STATE, TAMPER, ansibleRun, ansibleOutcome, ansiblePlaybookJson, skippedStatus, state, tamper].map(String).join("\n")),
      packages: labPackageVersions(["coreutils", "findutils", "python3"]),
    });
    // replaying, Ansible's host is not needed
    [k, a] = await startScratchHosts(side.replaying ? 1 : 2);
  }, 120_000);
  afterAll(async () => {
    await stopScratchHosts([k, a].filter((h): h is ScratchHost => h !== undefined));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("check mode, two runs, end state, check mode converged and after tampering: as Ansible; keel drift names each tampered path", async () => {
    console.log(`copy-tree: Ansible's side ${side.source}`);
    t0 = Date.now();
    // check mode on the fresh host changes nothing and predicts every copy
    const k0 = await keelRun(k!, "--check");
    expect(k0.statuses).toEqual(statusesOf("changed", true));
    expect(k0, side.hint).toEqual(await side.step("check0", () => ansibleRun(a!, "--check")));
    expect((await ssh(k!, "test -e /srv/ct")).code).not.toBe(0);

    mark("check0");
    const k1 = await keelRun(k!);
    expect(k1.statuses).toEqual(statusesOf("changed", false));
    expect(k1, side.hint).toEqual(await side.step("run1", () => ansibleRun(a!)));
    const s1 = await state(k!);
    expect(s1, side.hint).toBe(await side.step("state1", () => state(a!)));
    // what the comparison covers, spelled out: the folder itself under its name, modes and owners,
    // the followed link as a file, links kept as links, the edited file left alone by force: false
    expect(s1).toContain("./conf/sub/c.bin|f|640|daemon|adm|");
    expect(s1).toContain("./conf/link.conf|f|640|daemon|adm|");
    expect(s1).toContain("./conf/empty|d|750|daemon|adm|");
    expect(s1).toContain("./www/site/current|f|644|root|root|");
    expect(s1).toContain("./links/dangling|l|777|root|root|nowhere");
    expect(s1).toContain("./keep/a.conf|f|600|root|root|");

    mark("run1");
    const k2 = await keelRun(k!);
    expect(k2.statuses).toEqual(statusesOf("ok", false));
    expect(k2, side.hint).toEqual(await side.step("run2", () => ansibleRun(a!)));
    const kc = await keelRun(k!, "--check");
    expect(kc.statuses).toEqual(statusesOf("ok", true));
    expect(kc, side.hint).toEqual(await side.step("check2", () => ansibleRun(a!, "--check")));

    mark("run2, check2");
    // keel drift on Ansible's converged host (live), or on keel's own once its end state is the
    // recorded one (replaying; checked above): no drift
    const d0 = await keel(["drift", pb, "-i", (side.replaying ? k! : a!).inventory]);
    expect(d0.code, d0.stdout + d0.stderr).toBe(0);

    await tamper(k!);
    const d1 = await keel(["drift", pb, "-i", k!.inventory]);
    expect(d1.code, d1.stdout + d1.stderr).toBe(2);
    for (const w of [
      "/srv/ct/conf/sub/b.conf: content differs",
      "/srv/ct/conf/sub: mode 0700 → 0750",
      "file /srv/ct/www/site/css/x.css missing",
      "link /srv/ct/links/current missing",
    ])
      expect(d1.stdout).toContain(w);
    const k3 = await keelRun(k!, "--check");
    expect(k3.statuses).toEqual(statusesOf("ok", true, { contents: "changed", folder: "changed", links: "changed" }));
    expect(k3, side.hint).toEqual(
      await side.step("check3", async () => {
        await tamper(a!);
        return ansibleRun(a!, "--check");
      }),
    );
    mark("check3");
    side.save();
    // a run puts the tree back as it was
    await keelRun(k!);
    expect(await state(k!)).toBe(s1);
  }, 900_000);
});
