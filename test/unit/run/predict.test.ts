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
