// YAML aliases, merge keys (PyYAML's YAML 1.1 semantics), BOM and the bounds on expansion and
// nesting, through YamlFile and the playbook and inventory loaders (issue 10 #1, #6, #9, #13).
import { describe, it, expect } from "vitest";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { YamlFile } from "../../../engine/core/yaml.js";
import { InputError } from "../../../engine/core/errors.js";
import { loadPlaybook } from "../../../engine/playbook/index.js";
import { loadInventory } from "../../../engine/inventory/index.js";
import type { Task } from "../../../engine/core/plan.js";
import { testRegistry } from "../playbook/test-registry.js";

const dir = mkdtempSync(join(tmpdir(), "keel-yaml-"));
let n = 0;
function file(text: string, name = `f${n++}.yml`): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}
const js = (text: string): Record<string, unknown> => {
  const y = YamlFile.parse(text, "t.yml");
  return y.js(y.root) as Record<string, unknown>;
};
function inputError(f: () => unknown): InputError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(InputError);
    return e as InputError;
  }
  throw new Error("expected an InputError");
}

describe("aliases and merge keys, as PyYAML resolves them", () => {
  it("an alias is the anchored value, not {source: …}", () => {
    expect(js("a: &port 8080\nb: *port\n")).toEqual({ a: 8080, b: 8080 });
    expect(js("a: &l [1, {x: y}]\nb: *l\n")).toEqual({ a: [1, { x: "y" }], b: [1, { x: "y" }] });
  });
  it("explicit keys win over merged ones, before or after the merge key", () => {
    expect(js("d: &d {a: 1, b: 2}\nm:\n  a: 9\n  <<: *d\n")).toEqual({ d: { a: 1, b: 2 }, m: { a: 9, b: 2 } });
    expect(js("d: &d {a: 1, b: 2}\nm:\n  <<: *d\n  b: 7\n").m).toEqual({ a: 1, b: 7 });
  });
  it("a list of sources merges with the earlier source winning", () => {
    expect(js("a: &a {k: a, x: 1}\nb: &b {k: b, y: 2}\nm:\n  <<: [*a, *b]\n").m).toEqual({ k: "a", x: 1, y: 2 });
    expect(js("a: &a {k: a}\nb: &b {k: b}\nm:\n  <<: [*b, *a]\n").m).toEqual({ k: "b" });
  });
  it("a merged mapping that merges is flattened first; an inline mapping merges too", () => {
    expect(js("a: &a {x: 1, y: 1}\nb: &b\n  <<: *a\n  y: 2\nm:\n  <<: *b\n").m).toEqual({ x: 1, y: 2 });
    expect(js("m:\n  <<: {x: 1}\n  y: 2\n").m).toEqual({ x: 1, y: 2 });
  });
  it("anchors can be redefined: an alias takes the latest one before it", () => {
    expect(js("- &a 1\n- *a\n- &a 2\n- *a\n")).toEqual([1, 1, 2, 2]);
  });
  it("a wrong merge value is an error at its line", () => {
    const e = inputError(() => YamlFile.parse("x: 1\nm:\n  <<: 5\n", "t.yml"));
    expect(e.message).toMatch(/merge key takes a mapping/);
    expect(e.pos).toMatchObject({ line: 3 });
  });
  it("a recursive alias is an error, not a loop", () => {
    const e = inputError(() => YamlFile.parse("a: &a\n  - 1\n  - *a\n", "t.yml"));
    expect(e.message).toMatch(/recursive alias/);
    expect(e.pos).toMatchObject({ line: 3 });
  });
});

describe("aliases in playbooks", () => {
  it("play vars, vars_files, merge keys and module arguments", () => {
    file("defaults: &defaults\n  owner: root\n  mode: '0644'\nport: &p 9090\nother: *p\n", "vf.yml");
    const pb = file(`- hosts: all
  vars_files: [vf.yml]
  vars: {listen_port: &port 8080, health_port: *port}
  tasks:
    - name: one
      copy: &cargs
        dest: /tmp/a
        content: hello
    - name: two
      copy: *cargs
    - name: three
      vars:
        base: &base {dest: /tmp/b, content: x, owner: root}
      copy:
        <<: *base
        dest: /tmp/c
`);
    const plan = loadPlaybook(pb, { registry: testRegistry });
    const play = plan.plays[0]!;
    expect(play.vars).toEqual({ listen_port: 8080, health_port: 8080 });
    expect(play.varsFiles).toEqual({ port: 9090, other: 9090, defaults: { owner: "root", mode: "0644" } });
    const [one, two, three] = play.tasks as Task[];
    expect(one!.args).toEqual({ dest: "/tmp/a", content: "hello" });
    expect(two!.args).toEqual({ dest: "/tmp/a", content: "hello" });
    expect(three!.args).toEqual({ dest: "/tmp/c", content: "x", owner: "root" });
  });
  it("an error in an aliased value points at the alias", () => {
    const pb = file(`- hosts: all
  tasks:
    - name: one
      copy: &c
        dest: /tmp/a
        content: x
    - name: two
      command: *c
`);
    const e = inputError(() => loadPlaybook(pb, { registry: testRegistry }));
    expect(e.pos?.line).toBeGreaterThanOrEqual(4);
    expect(e.pos?.file).toBe(pb);
  });
});

describe("aliases in inventories", () => {
  it("host vars with an alias and a merge key", async () => {
    const inv = file(`all:
  vars:
    common: &common {ntp: pool, dns: 1.1.1.1}
  hosts:
    h1:
      <<: *common
      dns: 9.9.9.9
      port_copy: &p 22
      again: *p
`);
    const i = await loadInventory([inv]);
    const v = i.hostVars("h1");
    expect(v).toMatchObject({ ntp: "pool", dns: "9.9.9.9", port_copy: 22, again: 22 });
  });
});

describe("byte order mark (#13)", () => {
  it("a playbook, a YAML and an INI inventory may start with a UTF-8 BOM", async () => {
    const pb = file("\uFEFF- hosts: all\n  tasks:\n    - command: 'true'\n");
    expect(loadPlaybook(pb, { registry: testRegistry }).plays).toHaveLength(1);
    const y = file("\uFEFFall:\n  hosts:\n    h1:\n");
    expect((await loadInventory([y])).hostVars("h1")).toBeDefined();
    const ini = file("\uFEFF[web]\nw1 a=1\n", `inv${n++}.ini`);
    expect((await loadInventory([ini])).hostVars("w1")).toMatchObject({ a: 1 });
  });
});

describe("bounds (#6, #9)", () => {
  it("billion laughs stops at the alias-node bound, at file:line, naming the variable", () => {
    let t = "l0: &l0 [x, x, x, x, x, x, x, x, x, x]\n";
    for (let i = 1; i <= 9; i++)
      t += `l${i}: &l${i} [${Array(10)
        .fill(`*l${i - 1}`)
        .join(", ")}]\n`;
    const f = file(t);
    const e = inputError(() => YamlFile.load(f)); // bounded: the test's timeout is the backstop
    expect(e.message).toMatch(/aliases expand to more than 1000000 nodes/);
    expect(e.hint).toMatch(/KEEL_MAX_YAML_ALIAS_NODES/);
    expect(e.pos).toMatchObject({ file: f });
    expect(e.pos!.line).toBeGreaterThan(1);
  });
  it("the bound can be raised", () => {
    const t = "a: &a [1, 2, 3]\nb: [*a, *a, *a]\n";
    process.env.KEEL_MAX_YAML_ALIAS_NODES = "5";
    try {
      expect(inputError(() => YamlFile.parse(t, "t.yml")).message).toMatch(/more than 5 nodes/);
      process.env.KEEL_MAX_YAML_ALIAS_NODES = "100";
      expect(YamlFile.parse(t, "t.yml").js(YamlFile.parse(t, "t.yml").root)).toEqual({
        a: [1, 2, 3],
        b: [
          [1, 2, 3],
          [1, 2, 3],
          [1, 2, 3],
        ],
      });
    } finally {
      delete process.env.KEEL_MAX_YAML_ALIAS_NODES;
    }
  });
  it("20,000 nested [ is an input error, not a stack overflow", () => {
    const e = inputError(() => YamlFile.parse("a: " + "[".repeat(20000) + "]".repeat(20000) + "\n", "t.yml"));
    expect(e.message).toMatch(/nesting/);
    expect(e.hint).toMatch(/KEEL_MAX_YAML_DEPTH/);
  });
  it("3,000 nested block mappings are an input error", () => {
    let t = "";
    for (let i = 0; i < 3000; i++) t += " ".repeat(i) + "k:\n";
    const e = inputError(() => YamlFile.parse(t, "t.yml"));
    expect(e.message).toMatch(/nesting/);
    expect(e.pos?.line).toBeGreaterThan(1);
  });
  it("nesting through aliases counts too", () => {
    let t = "a0: &a0 [x]\n";
    for (let i = 1; i < 250; i++) t += `a${i}: &a${i} [*a${i - 1}]\n`;
    expect(inputError(() => YamlFile.parse(t, "t.yml")).message).toMatch(/deeper than 200 levels/);
  });
  it("a file over the size bound is refused before it is read", () => {
    process.env.KEEL_MAX_FILE_BYTES = "100";
    try {
      const f = file("a: " + "x".repeat(200) + "\n");
      const e = inputError(() => YamlFile.load(f));
      expect(e.message).toMatch(/too large/);
      expect(e.hint).toMatch(/KEEL_MAX_FILE_BYTES/);
    } finally {
      delete process.env.KEEL_MAX_FILE_BYTES;
    }
  });
});

describe("host range bound (#6)", () => {
  it("h[1:100000000] in INI and YAML is an error at its line naming KEEL_MAX_RANGE_HOSTS, at once", async () => {
    const ini = file("[web]\nok1\nh[1:100000000]\n", `big${n++}.ini`);
    const e = await loadInventory([ini]).then(
      () => undefined,
      (x) => x,
    );
    expect(e).toBeInstanceOf(InputError);
    expect(e.message).toMatch(/expands to 100000000 hosts, more than 100000/);
    expect(e.hint).toMatch(/KEEL_MAX_RANGE_HOSTS/);
    expect(e.pos).toMatchObject({ line: 3 });
    const y = file("all:\n  hosts:\n    n[1:1000][1:1000]:\n");
    const e2 = await loadInventory([y]).then(
      () => undefined,
      (x) => x,
    );
    expect(e2).toBeInstanceOf(InputError);
    expect(e2.hint).toMatch(/KEEL_MAX_RANGE_HOSTS/);
    expect(e2.pos).toMatchObject({ line: 3 });
    // within the bound: expanded as before
    expect((await loadInventory([file("[w]\nw[1:3]\n", `ok${n++}.ini`)])).hosts()).toEqual(["w1", "w2", "w3"]);
  });
});
