// Looped include_tasks / include_role over a variable (Ansible's dynamic includes): the real loader
// reads the YAML, the runner instantiates the included tasks per host and per item on FakeConnection
// hosts (test.kv writes $ROOT/kv/<key>).
import { describe, it, expect } from "vitest";
import { mkdtempSync, mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { loadPlaybook } from "../../../engine/playbook/index.js";
import type { Play } from "../../../engine/core/plan.js";
import { runnerHarness, testRegistry } from "./fakes.js";

const { lab, run } = runnerHarness();

function loadPlays(files: Record<string, string>): Play[] {
  const dir = mkdtempSync(join(tmpdir(), "keel-included-"));
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, rel)), { recursive: true });
    writeFileSync(join(dir, rel), text);
  }
  return loadPlaybook(join(dir, "site.yml"), { registry: testRegistry }).plays;
}

const site = (vars: string, tasks: string) => `- hosts: all\n  gather_facts: false\n  vars:\n${vars}\n  tasks:\n${tasks}`;

describe("looped include_tasks over a variable", () => {
  it("runs the file once per item with loop_var, index_var and the label; the include reports each item", async () => {
    const plays = loadPlays({
      "site.yml": site(
        "    users: [{ name: ann, uid: 1 }, { name: bob, uid: 2 }]",
        '    - name: Loop over users\n      include_tasks: { file: user.yml }\n      loop: "{{ users }}"\n      loop_control: { loop_var: user, index_var: n, label: "{{ user.name }}" }\n',
      ),
      "user.yml": '- test.kv: { key: "{{ user.name }}", value: "{{ user.uid }}-{{ n }}" }\n',
    });
    const l = lab(["h1", "h2"]);
    const { summary, results } = await run(l, plays);
    expect(summary.failed).toEqual([]);
    for (const h of ["h1", "h2"]) expect([l.kv(h, "ann"), l.kv(h, "bob")]).toEqual(["1-0", "2-1"]);
    const inc = results("h1").filter((r) => r.task.name === "Loop over users");
    expect(inc.map((r) => [r.result.status, r.result.item])).toEqual([
      ["ok", "ann"],
      ["ok", "bob"],
    ]);
    expect(
      results("h1")
        .filter((r) => r.task.module === "test.kv")
        .map((r) => r.result.status),
    ).toEqual(["changed", "changed"]);
  });

  it("with_items, with_dict and loop over query() give Ansible's items", async () => {
    const plays = loadPlays({
      "site.yml": site(
        "    names: [a, [b, c]]\n    conf: { x: 1, y: 2 }",
        '    - include_tasks: item.yml\n      with_items: "{{ names }}"\n    - include_tasks: pair.yml\n      with_dict: "{{ conf }}"\n    - include_tasks: item.yml\n      loop: "{{ query(\'sequence\', \'start=1 end=2 format=n%d\') }}"\n',
      ),
      "item.yml": '- test.kv: { key: "{{ item }}", value: "i" }\n',
      "pair.yml": '- test.kv: { key: "{{ item.key }}", value: "{{ item.value }}" }\n',
    });
    const l = lab();
    const { summary } = await run(l, plays);
    expect(summary.failed).toEqual([]);
    expect(["a", "b", "c", "x", "y", "n1", "n2"].map((k) => l.kv("h1", k))).toEqual(["i", "i", "i", "1", "2", "i", "i"]);
  });

  it("the include's when is decided per item and not inherited: a task inside that changes the condition does not skip itself", async () => {
    const plays = loadPlays({
      "site.yml": site(
        "    items: [{ k: a, on: true }, { k: b, on: false }]\n    go: true",
        '    - include_tasks: one.yml\n      loop: "{{ items }}"\n      when: item.on and go\n',
      ),
      "one.yml": '- test.set: { go: false }\n- test.kv: { key: "{{ item.k }}", value: "1" }\n',
    });
    const l = lab();
    const { summary, results } = await run(l, plays);
    expect(summary.failed).toEqual([]);
    expect([l.kv("h1", "a"), l.kv("h1", "b")]).toEqual(["1", undefined]);
    const inc = results().filter((r) => r.task.module === "meta");
    expect(inc.map((r) => r.result.status)).toEqual(["ok", "skipped"]);
    expect(inc[1]!.result.reason).toBe("condition false: item.on and go");
  });

  it("an undefined loop under a false when skips; without a when the host fails with the include's position", async () => {
    const plays = loadPlays({
      "site.yml": site(
        "    x: 1",
        '    - include_tasks: one.yml\n      loop: "{{ users }}"\n      when: users is defined\n    - include_tasks: one.yml\n      loop: "{{ users }}"\n',
      ),
      "one.yml": "- test.kv: { key: k, value: v }\n",
    });
    const l = lab();
    const { summary, results } = await run(l, plays);
    expect(results().map((r) => r.result.status)).toEqual(["skipped", "failed"]);
    expect(summary.failures[0]!.message).toMatch(/site\.yml:10:13: undefined variable 'users'/);
    expect(l.kv("h1", "k")).toBeUndefined();
  });

  it("a templated file name per item: each host runs the file its item names", async () => {
    const plays = loadPlays({
      "site.yml": site("    parts: [b, a]", '    - include_tasks: "part-{{ item }}.yml"\n      loop: "{{ parts }}"\n'),
      "part-a.yml": "- test.kv: { key: order, value: a }\n",
      "part-b.yml": "- test.kv: { key: first, value: b }\n- test.kv: { key: order, value: b }\n",
    });
    const l = lab();
    const { summary } = await run(l, plays);
    expect(summary.failed).toEqual([]);
    // b ran first (it set `first`), then a overwrote `order`
    expect([l.kv("h1", "first"), l.kv("h1", "order")]).toEqual(["b", "a"]);
  });

  it("nested looped includes and ansible_loop (extended)", async () => {
    const plays = loadPlays({
      "site.yml": site(
        "    users: [{ name: ann, keys: [k1, k2] }, { name: bob, keys: [k3] }]",
        '    - include_tasks: user.yml\n      loop: "{{ users }}"\n      loop_control: { loop_var: u, extended: true }\n',
      ),
      "user.yml":
        '- include_tasks: key.yml\n  loop: "{{ u.keys }}"\n  loop_control: { loop_var: key }\n- test.kv: { key: "{{ u.name }}", value: "{{ ansible_loop.index }}/{{ ansible_loop.length }} {{ ansible_loop.last }}" }\n',
      "key.yml": '- test.kv: { key: "{{ u.name }}-{{ key }}", value: "1" }\n',
    });
    const l = lab();
    const { summary } = await run(l, plays);
    expect(summary.failed).toEqual([]);
    expect(["ann-k1", "ann-k2", "bob-k3", "ann", "bob"].map((k) => l.kv("h1", k))).toEqual(["1", "1", "1", "1/2 False", "2/2 True"]);
  });

  it("a converged host costs one probe round trip across all items", async () => {
    const plays = loadPlays({
      "site.yml": site("    keys: [a, b, c, d]", '    - test.kv: { key: first, value: "1" }\n    - include_tasks: one.yml\n      loop: "{{ keys }}"\n'),
      "one.yml": '- test.kv: { key: "{{ item }}", value: "1" }\n- test.kv: { key: "{{ item }}2", value: "1" }\n',
    });
    const l = lab();
    for (const k of ["first", "a", "b", "c", "d", "a2", "b2", "c2", "d2"]) l.setKv("h1", k, "1");
    const { summary, results } = await run(l, plays);
    expect(summary.failed).toEqual([]);
    expect(results().filter((r) => r.task.module === "test.kv").length).toBe(9);
    // one for `first` (the include's tasks are not known yet), one for the 8 included tasks
    expect(l.conn("h1").roundTrips).toBe(2);
  });

  it("check mode predicts every item and writes nothing", async () => {
    const plays = loadPlays({
      "site.yml": site("    keys: [a, b]", '    - include_tasks: one.yml\n      loop: "{{ keys }}"\n'),
      "one.yml": '- test.kv: { key: "{{ item }}", value: "1" }\n',
    });
    const l = lab();
    const { results } = await run(l, plays, { check: true });
    expect(
      results()
        .filter((r) => r.task.module === "test.kv")
        .map((r) => r.result.status),
    ).toEqual(["changed", "changed"]);
    expect(l.kv("h1", "a")).toBeUndefined();
  });

  it("tags on the include select the include; apply: gives the included tasks tags", async () => {
    const plays = loadPlays({
      "site.yml": site(
        "    keys: [a]",
        '    - include_tasks: one.yml\n      loop: "{{ keys }}"\n      tags: [x]\n    - include_tasks: { file: two.yml, apply: { tags: [x] } }\n      loop: "{{ keys }}"\n      tags: [x]\n    - include_tasks: two.yml\n      loop: "{{ keys }}"\n',
      ),
      "one.yml": '- test.kv: { key: "one-{{ item }}", value: "1" }\n',
      "two.yml": '- test.kv: { key: "two-{{ item }}", value: "1" }\n',
    });
    const l = lab();
    const { summary } = await run(l, plays, { tags: ["x"] });
    expect(summary.failed).toEqual([]);
    // one.yml's task has no tag x (as in Ansible); two.yml's gets it from apply; the untagged include does not run
    expect([l.kv("h1", "one-a"), l.kv("h1", "two-a")]).toEqual([undefined, "1"]);
  });
});

describe("include_tasks without a loop (dynamic, as in Ansible)", () => {
  it("its when is decided once: an included task that makes it false does not skip the tasks after it", async () => {
    // dev-sec ssh_hardening's shape: the included file sets the fact its include is guarded by
    const plays = loadPlays({
      "site.yml": site(
        "    go: true",
        "    - include_tasks: one.yml\n      when: go\n    - include_tasks: one.yml\n      when: go\n      vars: { k: second }\n",
      ),
      "one.yml": '- test.set: { go: false }\n- test.kv: { key: "{{ k | default(\'first\') }}", value: "1" }\n',
    });
    const l = lab();
    const { summary, results } = await run(l, plays);
    expect(summary.failed).toEqual([]);
    // the first include ran both its tasks; the second saw go=false and was skipped as one include
    expect([l.kv("h1", "first"), l.kv("h1", "second")]).toEqual(["1", undefined]);
    const inc = results().filter((r) => r.task.module === "meta");
    expect(inc.map((r) => [r.result.status, r.result.item])).toEqual([
      ["ok", undefined],
      ["skipped", undefined],
    ]);
    expect(inc[1]!.result.reason).toBe("condition false: go");
  });

  it("the include's become and tags stay on the include; its vars reach the included tasks; apply: gives keywords", async () => {
    const plays = loadPlays({
      "site.yml": site(
        "    v: 1",
        "    - include_tasks: one.yml\n      become: true\n      vars: { k: a }\n    - include_tasks: { file: one.yml, apply: { become: true } }\n      vars: { k: b }\n",
      ),
      "one.yml": '- test.kv: { key: "{{ k }}", value: "x" }\n',
    });
    const l = lab();
    const { summary } = await run(l, plays);
    expect(summary.failed).toEqual([]);
    expect([l.kv("h1", "a"), l.kv("h1", "b")]).toEqual(["x", "x"]);
    const inner = plays[0]!.tasks.map((b) => (b.kind === "block" ? (b.block[0] as { become?: boolean }).become : "not a block"));
    expect(inner).toEqual([undefined, true]);
  });

  it("with --tags, an untagged include does not run even when its tasks carry the tag (as in Ansible)", async () => {
    const plays = loadPlays({
      "site.yml": site("    v: 1", "    - include_tasks: one.yml\n    - include_tasks: one.yml\n      tags: [x]\n      vars: { k: b }\n"),
      "one.yml": '- test.kv: { key: "{{ k | default(\'a\') }}", value: "x" }\n  tags: [x]\n',
    });
    const l = lab();
    const { summary } = await run(l, plays, { tags: ["x"] });
    expect(summary.failed).toEqual([]);
    expect([l.kv("h1", "a"), l.kv("h1", "b")]).toEqual([undefined, "x"]);
  });

  it("a module keel cannot run inside a guarded include fails only the hosts that include it", async () => {
    const plays = loadPlays({
      "site.yml": site("    arch: false", "    - include_tasks: arch.yml\n      when: arch\n"),
      "arch.yml": "- community.general.pacman: { name: nginx }\n",
    });
    const l = lab();
    const { summary } = await run(l, plays);
    expect(summary.failed).toEqual([]);
  });
});

describe("looped include_role", () => {
  it("reads the role once and runs tasks_from per item with the include's vars", async () => {
    const plays = loadPlays({
      "site.yml": site(
        "    ports: [22, 2222]",
        '    - include_role: { name: fw, tasks_from: port }\n      vars: { rule: "{{ p }}/tcp" }\n      loop: "{{ ports }}"\n      loop_control: { loop_var: p }\n',
      ),
      "roles/fw/defaults/main.yml": "state: open\n",
      "roles/fw/tasks/port.yml": '- test.kv: { key: "port{{ p }}", value: "{{ rule }} {{ state }}" }\n',
    });
    const l = lab();
    const { summary } = await run(l, plays);
    expect(summary.failed).toEqual([]);
    expect([l.kv("h1", "port22"), l.kv("h1", "port2222")]).toEqual(["22/tcp open", "2222/tcp open"]);
  });

  it("a role that does not exist fails only the hosts whose when holds (Ansible resolves include_role when it runs)", async () => {
    const plays = loadPlays({
      "site.yml": site("    fw_on: false", "    - include_role: { name: nowhere.to.be_found }\n      when: fw_on\n    - test.kv: { key: after, value: '1' }\n"),
    });
    const l = lab();
    const { summary } = await run(l, plays);
    expect(summary.failures).toEqual([]);
    expect(l.kv("h1", "after")).toBe("1");
  });
});
