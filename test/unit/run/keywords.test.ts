// Templated keyword values, loaded from YAML and run on fake hosts, rendered as Ansible renders
// them (issue 15 #4): `serial: "{{ batch }}"`, `become_user: "{{ x }}"`,
// `ignore_errors: "{{ ansible_check_mode }}"`, `when:` lists.
import { describe, it, expect, afterAll } from "vitest";
import { mkdtempSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadPlaybook } from "../../../engine/playbook/index.js";
import { runPlaybook } from "../../../engine/run/index.js";
import { InputError } from "../../../engine/core/errors.js";
import { runnerHarness, testRegistry, recorder } from "./fakes.js";

const { lab, opts } = runnerHarness();
const dir = mkdtempSync(join(tmpdir(), "keel-kw-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
function pb(yaml: string) {
  const f = join(dir, `pb${n++}.yml`);
  writeFileSync(f, yaml);
  return loadPlaybook(f, { registry: testRegistry });
}

/** The hosts in the order their host.start came, cut where a task result came in between: the batches. */
function batchesOf(events: { type: string; host?: string }[]): string[][] {
  const out: string[][] = [];
  let cur: string[] = [];
  let sawResult = false;
  for (const e of events) {
    if (e.type === "host.start") {
      if (sawResult && cur.length) {
        out.push(cur);
        cur = [];
      }
      sawResult = false;
      cur.push(e.host!);
    } else if (e.type === "task.result") sawResult = true;
  }
  if (cur.length) out.push(cur);
  return out;
}

describe("serial: a template", () => {
  const serialPlay = (serial: string, vars = "batch: 1") =>
    pb(`- hosts: all\n  gather_facts: false\n  serial: ${serial}\n  vars: { ${vars} }\n  tasks:\n    - kv: { key: a, value: "1" }\n`);

  it.each([
    ['"{{ batch }}"', "batch: 1", {}, [["h1"], ["h2"], ["h3"]]],
    ['"{{ batch }}"', "batch: 2", {}, [["h1", "h2"], ["h3"]]],
    ['"{{ batch }}"', "batch: 1", { batch: 3 }, [["h1", "h2", "h3"]]],
    ['"{{ batches }}"', "batches: [1, '100%']", {}, [["h1"], ["h2", "h3"]]],
    ['["{{ first }}", 2]', "first: '34%'", {}, [["h1"], ["h2", "h3"]]],
  ])("serial %s with %s (-e %j) -> %j", async (serial, vars, extraVars, want) => {
    const l = lab(["h1", "h2", "h3"]);
    const rec = recorder();
    await runPlaybook(serialPlay(serial, vars), l.inventory(), opts(l, { extraVars }), rec.sink);
    expect(batchesOf(rec.events)).toEqual(want);
  });

  it("a value that is not a number or percentage stops the run before any host", async () => {
    const l = lab(["h1"]);
    const rec = recorder();
    await expect(runPlaybook(serialPlay('"{{ batch }}"', "batch: lots"), l.inventory(), opts(l), rec.sink)).rejects.toThrow(InputError);
    await expect(runPlaybook(serialPlay('"{{ batch }}"', "batch: lots"), l.inventory(), opts(l), rec.sink)).rejects.toThrow(
      /serial '\{\{ batch \}\}' gave "lots", not a number or a percentage/,
    );
    expect(l.connects).toEqual([]);
  });

  it("a broken template is a load error with its position", () => {
    let err: unknown;
    try {
      serialPlay('"{{ batch + }}"');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).pos).toMatchObject({ line: 3, col: 12 });
  });
});

describe("become_user: a template", () => {
  it("is rendered per host and task (play vars, host vars, loop items)", async () => {
    const l = lab(["h1", "h2"], { h2: { app_user: "deploy" } });
    const plan = pb(`- hosts: all
  gather_facts: false
  become: true
  become_user: "{{ app_user | default('postgres') }}"
  tasks:
    - kv: { key: a, value: "1" }
    - kv: { key: "{{ item }}", value: "1" }
      become_user: "{{ item }}"
      loop: [www-data]
`);
    const rec = recorder();
    const s = await runPlaybook(plan, l.inventory(), opts(l), rec.sink);
    expect(s.failed).toEqual([]);
    const users = (h: string) => [...new Set(l.conn(h).log.map((r) => r.become?.user))];
    expect(users("h1")).toEqual(["postgres", "www-data"]);
    expect(users("h2")).toEqual(["deploy", "www-data"]);
  });

  it("an undefined variable fails the task on that host, naming it", async () => {
    const l = lab(["h1"]);
    const plan = pb(`- hosts: all\n  gather_facts: false\n  tasks:\n    - kv: { key: a, value: "1" }\n      become: true\n      become_user: "{{ nobody }}"\n`);
    const rec = recorder();
    const s = await runPlaybook(plan, l.inventory(), opts(l), rec.sink);
    expect(s.failed).toEqual(["h1"]);
    expect(s.failures[0]!.message).toMatch(/nobody/);
    expect(l.kv("h1", "a")).toBeUndefined();
  });
});

describe("ignore_errors: a template, and when: lists", () => {
  const yaml = `- hosts: all
  gather_facts: false
  vars: { x: 1, y: 2 }
  tasks:
    - kv: { key: a, value: "{{ not_defined }}" }
      ignore_errors: "{{ ansible_check_mode }}"
    - kv: { key: both, value: "1" }
      when: [x == 1, y == 2]
    - kv: { key: one, value: "1" }
      when:
        - x == 1
        - y == 3
`;
  it("ignore_errors: '{{ ansible_check_mode }}' ignores the failure under --check only", async () => {
    const l = lab(["h1"]);
    const rec = recorder();
    const s = await runPlaybook(pb(yaml), l.inventory(), opts(l, { check: true }), rec.sink);
    expect(s.failed).toEqual([]);
    expect(s.stats.h1).toMatchObject({ ignored: 1 });
    expect(rec.results().map((r) => r.result.status)).toEqual(["failed", "changed", "skipped"]);

    const l2 = lab(["h1"]);
    const rec2 = recorder();
    const s2 = await runPlaybook(pb(yaml), l2.inventory(), opts(l2), rec2.sink);
    expect(s2.failed).toEqual(["h1"]);
    expect(l2.kv("h1", "both")).toBeUndefined();
  });

  it("when: a list means all must hold", async () => {
    const l = lab(["h1"]);
    const plan = pb(yaml.replace('ignore_errors: "{{ ansible_check_mode }}"', "ignore_errors: true"));
    await runPlaybook(plan, l.inventory(), opts(l), recorder().sink);
    expect(l.kv("h1", "both")).toBe("1");
    expect(l.kv("h1", "one")).toBeUndefined();
  });
});
