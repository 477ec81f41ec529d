// End to end, on scratch hosts: files.file state: hard (ansible.builtin.file's hard link) through the
// real `keel run` on one host and ansible-playbook on the other, from the same playbook: the same
// statuses (a new link, a converged one, a symlink replaced, a file refused without force and
// replaced with force, a mode set through the link), the same inodes and link counts afterwards,
// nothing changed on a second run; --check first changes nothing.
//
// Ansible's side (its statuses and the end state on its host) is replayed from
// test/recordings/ansible/file-hard-runs.json while its key holds (the play, this harness, the
// installed Ansible): then one scratch host runs keel alone. KEEL_ANSIBLE_LIVE=1 runs Ansible live
// on a second host; KEEL_ANSIBLE_RECORD=1 also rewrites the recording.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { labPackageVersions, sha256 } from "../ansible-record.js";
import { AnsibleSteps, ansiblePlaybookJson, ansibleStatuses, keelRunJson, keelStatuses, plainStatus } from "./ansible-side.js";
import { describeLab, ssh, startScratchHosts, stopScratchHosts, type ScratchHost } from "./lab.js";

const D = "/tmp/keel-hard";
const SETUP = `rm -rf ${D} && mkdir -p ${D} && echo a > ${D}/a && chmod 0644 ${D}/a && echo b > ${D}/other && ln -s ${D}/other ${D}/sym && echo f > ${D}/file && echo g > ${D}/file2`;

const PLAY = `- hosts: all
  gather_facts: false
  tasks:
    - name: new
      file: { path: ${D}/new, src: ${D}/a, state: hard }
    - name: again
      ansible.builtin.file: { path: ${D}/new, src: ${D}/a, state: hard }
    - name: over symlink
      file: { path: ${D}/sym, src: ${D}/a, state: hard }
    - name: over file refused
      file: { path: ${D}/file, src: ${D}/a, state: hard }
      ignore_errors: true
    - name: over file forced
      file: { path: ${D}/file2, src: ${D}/a, state: hard, force: true }
    - name: mode through it
      file: { path: ${D}/new, src: ${D}/a, state: hard, mode: "0600" }
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

/** Each name's inode group (names sharing src's inode say "a"), link count, mode and content. */
async function endState(h: ScratchHost): Promise<string> {
  const r = await ssh(
    h,
    `cd ${D} && ai=$(stat -c %i a) && for f in a new sym file file2 other; do set -- $(stat -c '%i %h %a %F' $f); [ "$1" = "$ai" ] && i=a || i=own; printf '%s %s %s %s %s %s\\n' $f $i $2 $3 "$4$5" "$(cat $f)"; done`,
  );
  expect(r.code, r.stderr).toBe(0);
  return r.stdout;
}

type Side = { run1: Record<string, string>; end1: string; run2: Record<string, string> };
let side: AnsibleSteps<Side>;

describeLab("files.file state: hard against ansible.builtin.file (issue 16)", () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "keel-hard-e2e-"));
    pb = join(dir, "pb.yml");
    writeFileSync(pb, PLAY);
    side = new AnsibleSteps<Side>("file-hard-runs", {
      play: sha256(PLAY + SETUP),
      harness: sha256([endState, ansibleRun, ansiblePlaybookJson, ansibleStatuses, plainStatus].map(String).join("\n")),
      packages: labPackageVersions(["coreutils", "python3"]),
    });
    [k, a] = await startScratchHosts(side.replaying ? 1 : 2);
    for (const h of [k, a]) if (h) expect((await ssh(h, SETUP)).code).toBe(0);
  }, 120_000);
  afterAll(async () => {
    await stopScratchHosts([k, a].filter((h): h is ScratchHost => h !== undefined));
  });

  it("--check links nothing; keel and Ansible give the same statuses and inodes, then change nothing", async () => {
    console.log(`file-hard: Ansible's side ${side.source}`);
    const before = await endState(k!);
    const check = await keelRun(k!, "--check");
    expect(check).toMatchObject({ new: "changed", "over symlink": "changed", "over file refused": "failed", "over file forced": "changed" });
    expect(await endState(k!)).toBe(before);
    const k1 = await keelRun(k!);
    expect(k1, side.hint).toEqual(await side.step("run1", () => ansibleRun(a!)));
    expect(k1).toEqual({
      new: "changed",
      again: "ok",
      "over symlink": "changed",
      "over file refused": "failed",
      "over file forced": "changed",
      "mode through it": "changed",
    });
    const end = await endState(k!);
    expect(end, side.hint).toBe(await side.step("end1", () => endState(a!)));
    expect(end).toContain("new a 4 600 regularfile a");
    expect(end).toContain("file own 1 644 regularfile f");
    expect(await keelRun(k!)).toMatchObject({ new: "ok", again: "ok", "over symlink": "ok", "over file forced": "ok", "mode through it": "ok" });
    expect(await side.step("run2", () => ansibleRun(a!)), side.hint).toMatchObject({
      new: "ok",
      again: "ok",
      "over symlink": "ok",
      "over file forced": "ok",
      "mode through it": "ok",
    });
    side.save();
  });
});
