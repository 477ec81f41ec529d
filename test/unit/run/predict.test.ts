// Check mode predicts instead of failing (issue 15 #9), with keel's real file modules on a fake
// host (a scratch folder; check mode writes nothing): a file in a directory an earlier task would
// create is a predicted change; a task that reads a register of a task check mode did not run is
// unknown with the reason; a directory nobody creates still fails.
import { describe, it, expect, afterAll } from "vitest";
import { mkdtempSync, writeFileSync, rmSync, existsSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadPlaybook } from "../../../engine/playbook/index.js";
import { runPlaybook } from "../../../engine/run/index.js";
import { registry } from "../../../modules/index.js";
import { plannedBy, notePlannedDirs } from "../../../engine/run/predict.js";
import type { Task } from "../../../engine/core/plan.js";
import { runnerHarness, recorder } from "./fakes.js";

const { lab, opts } = runnerHarness();
const dir = mkdtempSync(join(tmpdir(), "keel-predict-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const base = join(dir, "target");

const yaml = `- hosts: all
  gather_facts: false
  vars: { base: "${base}" }
  tasks:
    - name: app dir
      file: { path: "{{ base }}/app/conf", state: directory, mode: "0755" }
    - name: conf file
      copy: { dest: "{{ base }}/app/conf/x.conf", content: "hi\\n" }
    - name: parent of the dir
      template: { dest: "{{ base }}/app/top.conf", src: t.j2 }
    - name: read version
      command: cat /etc/hostname
      register: ver
    - name: uses ver
      copy: { dest: "{{ base }}/v", content: "{{ ver.stdout }}" }
    - name: when on ver
      copy: { dest: "{{ base }}/w", content: x }
      when: ver.rc == 0
    - name: nobody creates it
      copy: { dest: "{{ base }}/nowhere/y", content: x }
`;

describe("check mode predicts", () => {
  it("a file in a directory an earlier task creates is a change; reading a not-run register is unknown; the run goes on", async () => {
    writeFileSync(join(dir, "t.j2"), "top {{ base }}\n");
    writeFileSync(join(dir, "pb.yml"), yaml);
    const plan = loadPlaybook(join(dir, "pb.yml"), { registry });
    const l = lab(["h1"]);
    const rec = recorder();
    const s = await runPlaybook(plan, l.inventory(), { ...opts(l, { check: true }), registry }, rec.sink);
    const rs = rec.results();
    expect(rs.map((r) => [r.task.name, r.result.status])).toEqual([
      ["app dir", "changed"],
      ["conf file", "changed"],
      ["parent of the dir", "changed"],
      ["read version", "unknown"],
      ["uses ver", "unknown"],
      ["when on ver", "unknown"],
      ["nobody creates it", "failed"],
    ]);
    expect(rs[1]!.result.changes[0]!.summary).toMatch(
      new RegExp(`^would create .*x\\.conf in ${base}/app/conf, a directory that task 'app dir' \\(.*pb\\.yml:5\\) creates$`),
    );
    expect(rs[2]!.result.changes[0]!.summary).toMatch(/in .*\/app, a directory that task 'app dir'/);
    expect(rs[4]!.result.msg).toMatch(
      /^unknown in check mode: it reads 'ver', the result of task 'read version' \(.*pb\.yml:\d+\), which check mode did not run/,
    );
    expect(rs[5]!.result.msg).toMatch(/reads 'ver'/);
    expect(rs[6]!.result.msg).toMatch(/destination directory of .*nowhere\/y does not exist/);
    expect(s.stats.h1).toMatchObject({ changed: 3, unknown: 3, failed: 1 });
    // check mode wrote nothing
    expect(existsSync(base)).toBe(false);
    expect(readdirSync(dir).sort()).toEqual(["pb.yml", "t.j2"]);
  });

  it("without the failing last task, a fresh host's check run fails nothing", async () => {
    writeFileSync(join(dir, "pb2.yml"), yaml.slice(0, yaml.indexOf("    - name: nobody creates it")));
    const l = lab(["h1"]);
    const rec = recorder();
    const s = await runPlaybook(loadPlaybook(join(dir, "pb2.yml"), { registry }), l.inventory(), { ...opts(l, { check: true }), registry }, rec.sink);
    expect(s.failed).toEqual([]);
    rmSync(join(dir, "pb2.yml"));
  });
});

// dev-sec os_hardening (minimize_access.yml): a looped shell registers `found`, then a file task
// loops over `with_subelements: [found.results, stdout_lines]`. ansible-playbook 2.14 --check skips
// the shell and registers each item with rc 0, stdout "" and stdout_lines [] (recorded: "Command
// would have run if not in check mode", skipped: true), so the file loop has no items and the task is
// skipped: no drift. keel does not pretend the command printed nothing: whatever reads those results,
// under the register's name or through `item`, subelements or map(attribute=…), is unknown, which
// never counts as drift, and the run goes on. An expression that guards the missing field still works.
const hardening = `- hosts: all
  gather_facts: false
  vars: { base: "${base}" }
  tasks:
    - name: find writable
      shell: "find {{ item }} -perm /go+w -type f"
      loop: [/usr/sbin, /usr/bin]
      register: found
      ignore_errors: true
      changed_when: false
    - name: minimize access
      file: { path: "{{ item.1 }}", mode: go-w, state: file }
      with_subelements:
        - "{{ found.results }}"
        - stdout_lines
    - name: direct loop
      copy: { dest: "{{ base }}/d", content: x }
      loop: "{{ found.results[0].stdout_lines }}"
    - name: per item
      copy: { dest: "{{ base }}/rc", content: x }
      loop: "{{ found.results }}"
      when: item.rc == 0
    - name: mapped
      copy: { dest: "{{ base }}/m", content: "{{ found.results | map(attribute='stdout') | join(',') }}" }
    - name: skip missing
      copy: { dest: "{{ base }}/s", content: x }
      loop: "{{ query('subelements', found.results, 'stdout_lines', {'skip_missing': True}) }}"
    - name: guarded
      debug: { msg: "{{ found.results | map(attribute='stdout', default='') | join(',') }}" }
    - name: plain list without the key
      debug: { msg: "{{ item.1 }}" }
      with_subelements:
        - [{ name: a }]
        - stdout_lines
`;

describe("check mode: results of commands it did not run, read through other names", () => {
  it("subelements, item and map(attribute) over them are unknown, not failed; a missing key elsewhere still fails", async () => {
    writeFileSync(join(dir, "hard.yml"), hardening);
    const l = lab(["h1"]);
    const rec = recorder();
    const s = await runPlaybook(loadPlaybook(join(dir, "hard.yml"), { registry }), l.inventory(), { ...opts(l, { check: true }), registry }, rec.sink);
    const byTask = new Map<string, string[]>();
    for (const r of rec.results()) byTask.set(r.task.name!, [...(byTask.get(r.task.name!) ?? []), r.result.status]);
    expect(Object.fromEntries(byTask)).toEqual({
      "find writable": ["ok", "ok"],
      "minimize access": ["unknown"],
      "direct loop": ["unknown"],
      "per item": ["unknown", "unknown"],
      mapped: ["unknown"],
      "skip missing": ["skipped"],
      guarded: ["ok"],
      "plain list without the key": ["failed"],
    });
    const msg = (name: string) => rec.results().find((r) => r.task.name === name)!.result.msg;
    expect(msg("minimize access")).toMatch(
      /^unknown in check mode: it reads 'found', the result of task 'find writable' \(.*hard\.yml:5\), which check mode did not run/,
    );
    expect(msg("per item")).toMatch(/reads 'found'/);
    expect(msg("mapped")).toMatch(/reads 'found'/);
    expect(msg("plain list without the key")).toMatch(/subelements: an item has no key 'stdout_lines' \(use skip_missing\)/);
    expect(s.stats.h1).toMatchObject({ unknown: 4, failed: 1 });
    expect(existsSync(base)).toBe(false);
    rmSync(join(dir, "hard.yml"));
  });
});

describe("planned directories", () => {
  const t = (name: string) => ({ name }) as Task;
  it("a directory, or one below it, is planned; parents: true plans the parent", () => {
    const m = new Map<string, Task>();
    notePlannedDirs(m, t("a"), { path: "/srv/app/conf/", state: "directory" });
    notePlannedDirs(m, t("b"), { dest: "/opt/x/file", parents: true });
    notePlannedDirs(m, t("c"), { dest: "/etc/motd", content: "x" });
    expect(plannedBy(m, "/srv/app/conf")?.name).toBe("a");
    expect(plannedBy(m, "/srv/app")?.name).toBe("a");
    expect(plannedBy(m, "/srv/app/conf/sub")).toBeUndefined();
    expect(plannedBy(m, "/srv/ap")).toBeUndefined();
    expect(plannedBy(m, "/opt/x")?.name).toBe("b");
    expect(plannedBy(m, "/etc")).toBeUndefined();
  });
});
