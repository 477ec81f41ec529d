// Controller-side keywords on fake hosts, loaded from YAML (issue 15 #3): delegate_to (with
// delegate_facts), run_once (per serial batch), remote_user at play/block/task level with
// Ansible's precedence, environment at every level (merged, templated), play-level connection.
import { describe, it, expect, afterAll } from "vitest";
import { mkdtempSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadPlaybook } from "../../../engine/playbook/index.js";
import { runPlaybook, type RunOptions } from "../../../engine/run/index.js";
import { InputError } from "../../../engine/core/errors.js";
import type { HostSpec } from "../../../engine/core/host.js";
import type { Inventory } from "../../../engine/inventory/index.js";
import { environmentOf, placementOf, targetOf } from "../../../engine/run/delegate.js";
import { hostSpec, runnerHarness, testRegistry, recorder, type FakeLab } from "./fakes.js";

const { lab, opts } = runnerHarness();
const dir = mkdtempSync(join(tmpdir(), "keel-deleg-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
function pb(yaml: string) {
  const f = join(dir, `pb${n++}.yml`);
  writeFileSync(f, yaml);
  return loadPlaybook(f, { registry: testRegistry });
}

/** The lab's inventory with an unknown name refused (as the real inventory does) and per-host users. */
function inventory(l: FakeLab, users: Record<string, string> = {}): Inventory {
  const inv = l.inventory();
  return {
    ...inv,
    host: (name: string): HostSpec => {
      if (!l.hostNames.includes(name)) throw new InputError(`host '${name}' is not in the inventory`);
      const s = inv.host(name);
      return users[name] ? { ...s, user: users[name] } : s;
    },
  };
}

/** Every connect, as "host user connection". */
function connectLog(l: FakeLab): { log: string[]; connect: RunOptions["connect"] } {
  const log: string[] = [];
  const connect = (async (spec: HostSpec) => {
    log.push(`${spec.name} ${spec.user ?? "-"} ${spec.connection}`);
    return l.connect(spec);
  }) as unknown as RunOptions["connect"];
  return { log, connect };
}

async function run(l: FakeLab, yaml: string, extra: Partial<RunOptions> = {}, users: Record<string, string> = {}) {
  const rec = recorder();
  const summary = await runPlaybook(pb(yaml), inventory(l, users), opts(l, extra), rec.sink);
  return { summary, ...rec };
}

describe("delegate_to", () => {
  it("runs the task on the delegated host with the current host's variables", async () => {
    const l = lab(["h1", "h2"]);
    const { summary } = await run(
      l,
      `- hosts: h1\n  gather_facts: false\n  tasks:\n    - kv: { key: "from_{{ inventory_hostname }}", value: "{{ inventory_hostname }}" }\n      delegate_to: h2\n`,
    );
    expect(summary.failed).toEqual([]);
    expect(l.kv("h2", "from_h1")).toBe("h1");
    expect(l.kv("h1", "from_h1")).toBeUndefined();
  });

  it("a templated delegate_to; delegating to the host itself uses its own connection", async () => {
    const l = lab(["h1", "h2"]);
    const c = connectLog(l);
    const { summary } = await run(
      l,
      `- hosts: all\n  gather_facts: false\n  vars: { peer: "{{ 'h2' if inventory_hostname == 'h1' else 'h2' }}" }\n  tasks:\n    - kv: { key: "by_{{ inventory_hostname }}", value: "1" }\n      delegate_to: "{{ peer }}"\n`,
      { connect: c.connect },
    );
    expect(summary.failed).toEqual([]);
    expect([l.kv("h2", "by_h1"), l.kv("h2", "by_h2")]).toEqual(["1", "1"]);
    // h1 opened its own and one to h2; h2 only its own
    expect(c.log.sort()).toEqual(["h1 - ssh", "h2 - ssh", "h2 - ssh"]);
  });

  it("a delegate that is not in the inventory fails the task on that host, naming it", async () => {
    const l = lab(["h1"]);
    const { summary } = await run(l, `- hosts: all\n  gather_facts: false\n  tasks:\n    - kv: { key: a, value: "1" }\n      delegate_to: nohost\n`);
    expect(summary.failed).toEqual(["h1"]);
    expect(summary.failures[0]!.message).toMatch(/host 'nohost' is not in the inventory/);
  });

  it("a task its when skips is skipped, whatever delegate host it names (Ansible decides when first)", async () => {
    const l = lab(["h1"]);
    const { summary } = await run(
      l,
      `- hosts: all\n  gather_facts: false\n  tasks:\n    - kv: { key: a, value: "1" }\n      delegate_to: nohost\n      when: false\n    - kv: { key: b, value: "1" }\n      delegate_to: "{{ undefined_peer }}"\n      when: undefined_peer is defined\n`,
    );
    expect(summary.failed).toEqual([]);
    expect(summary.stats.h1).toMatchObject({ skipped: 2, failed: 0 });
    expect(l.kv("h1", "a")).toBeUndefined();
  });

  it("a delegate_to rendered to omit is no delegation: the task runs on the host itself", async () => {
    const l = lab(["h1", "h2"]);
    const c = connectLog(l);
    const { summary } = await run(
      l,
      `- hosts: h1\n  gather_facts: false\n  vars: { primary: "" }\n  tasks:\n    - kv: { key: a, value: "1" }\n      delegate_to: "{{ primary | default(omit, true) }}"\n`,
      { connect: c.connect },
    );
    expect(summary.failed).toEqual([]);
    expect(l.kv("h1", "a")).toBe("1");
    expect(c.log).toEqual(["h1 - ssh"]);
  });

  it("delegate_facts: facts set by the task go to the delegated host, not the current one", async () => {
    const l = lab(["h1", "h2"]);
    const { summary } = await run(
      l,
      `- hosts: h1
  gather_facts: false
  tasks:
    - set: { color: blue }
      delegate_to: h2
      delegate_facts: true
    - kv: { key: mine, value: "{{ color | default('none') }}" }
- hosts: h2
  gather_facts: false
  tasks:
    - kv: { key: got, value: "{{ color }}" }
`,
    );
    expect(summary.failed).toEqual([]);
    expect(l.kv("h1", "mine")).toBe("none");
    expect(l.kv("h2", "got")).toBe("blue");
  });
});

describe("run_once", () => {
  const yaml = (serial = "") => `- hosts: all
  gather_facts: false${serial}
  tasks:
    - kv: { key: once, value: "{{ inventory_hostname }}" }
      run_once: true
      register: r
    - kv: { key: seen, value: "{{ r.changed | string }}" }
`;

  it("runs on one host of the play; every host gets its registered result", async () => {
    const l = lab(["h1", "h2", "h3"]);
    const { summary } = await run(l, yaml());
    expect(summary.failed).toEqual([]);
    const ran = ["h1", "h2", "h3"].filter((h) => l.kv(h, "once") !== undefined);
    expect(ran).toHaveLength(1);
    for (const h of ["h1", "h2", "h3"]) expect(l.kv(h, "seen")).toBe("True");
    // only the host that ran it counts it
    expect(Object.values(summary.stats).reduce((a, s) => a + s.changed, 0)).toBe(3 + 1);
  });

  it("with serial, once per batch (as Ansible)", async () => {
    const l = lab(["h1", "h2", "h3"]);
    await run(l, yaml("\n  serial: 2"));
    expect(["h1", "h2", "h3"].filter((h) => l.kv(h, "once") !== undefined)).toHaveLength(2);
    expect(l.kv("h3", "once")).toBe("h3");
  });

  it("a failure fails every host of the batch", async () => {
    const l = lab(["h1", "h2"]);
    const { summary } = await run(
      l,
      `- hosts: all\n  gather_facts: false\n  tasks:\n    - kv: { key: a, value: "{{ nope }}" }\n      run_once: true\n    - kv: { key: after, value: "1" }\n`,
    );
    expect(summary.failed.sort()).toEqual(["h1", "h2"]);
    expect(summary.failures.map((f) => f.message).join("\n")).toMatch(/run_once task failed on h[12]/);
    expect([l.kv("h1", "after"), l.kv("h2", "after")]).toEqual([undefined, undefined]);
  });

  it("run_once on a set_fact shares the fact", async () => {
    const l = lab(["h1", "h2"]);
    await run(
      l,
      `- hosts: all\n  gather_facts: false\n  tasks:\n    - set: { token: "t-{{ inventory_hostname }}" }\n      run_once: true\n    - kv: { key: token, value: "{{ token }}" }\n`,
    );
    expect(l.kv("h1", "token")).toBe(l.kv("h2", "token"));
    expect(l.kv("h1", "token")).toMatch(/^t-h[12]$/);
  });
});

describe("environment", () => {
  it("merges play, block and task layers (later wins), renders templates, reaches the commands", async () => {
    const l = lab(["h1"]);
    const { summary } = await run(
      l,
      `- hosts: all
  gather_facts: false
  vars: { proxy: { HTTP_PROXY: "http://p:3128", LEVEL: play } }
  environment: "{{ proxy }}"
  tasks:
    - block:
        - cmd: { cmd: 'printf "%s|%s|%s|%s" "$HTTP_PROXY" "$LEVEL" "$TASKVAR" "$N" > "$ROOT/kv/env"' }
          environment: { TASKVAR: "{{ inventory_hostname }}", N: 5 }
      environment: { LEVEL: block }
    - cmd: { cmd: 'printf "%s|%s" "$LEVEL" "$TASKVAR" > "$ROOT/kv/env2"' }
`,
    );
    expect(summary.failed).toEqual([]);
    expect(l.kv("h1", "env")).toBe("http://p:3128|block|h1|5");
    expect(l.kv("h1", "env2")).toBe("play|");
  });

  it("a template that does not give a mapping fails the task clearly", async () => {
    const l = lab(["h1"]);
    const { summary } = await run(l, `- hosts: all\n  gather_facts: false\n  tasks:\n    - cmd: { cmd: "true" }\n      environment: "{{ [1, 2] }}"\n`);
    expect(summary.failures[0]!.message).toMatch(/environment: .* gave a list, not a mapping/);
  });

  it("a bad variable name or a non-mapping is a load error", () => {
    expect(() => pb(`- hosts: all\n  tasks:\n    - cmd: { cmd: "true" }\n      environment: { "A-B": 1 }\n`)).toThrow(/'A-B' is not a valid variable name/);
    expect(() => pb(`- hosts: all\n  tasks:\n    - cmd: { cmd: "true" }\n      environment: [1]\n`)).toThrow(/environment: must be a mapping/);
  });
});

describe("remote_user and connection", () => {
  it("play, block and task remote_user open one connection per user; the inventory's user wins", async () => {
    const l = lab(["h1", "h2"]);
    const c = connectLog(l);
    const { summary } = await run(
      l,
      `- hosts: all
  gather_facts: false
  remote_user: deploy
  tasks:
    - kv: { key: a, value: "1" }
    - block:
        - kv: { key: b, value: "1" }
        - kv: { key: c, value: "1" }
          remote_user: "{{ 'ops' }}"
      remote_user: admin
    - kv: { key: d, value: "1" }
`,
      { connect: c.connect },
      { h2: "fixed" },
    );
    expect(summary.failed).toEqual([]);
    expect(c.log.filter((x) => x.startsWith("h1")).sort()).toEqual(["h1 admin ssh", "h1 deploy ssh", "h1 ops ssh"]);
    expect(c.log.filter((x) => x.startsWith("h2"))).toEqual(["h2 fixed ssh"]);
    expect(["a", "b", "c", "d"].map((k) => l.kv("h1", k))).toEqual(["1", "1", "1", "1"]);
  });

  it("-u beats every remote_user", async () => {
    const l = lab(["h1"]);
    const c = connectLog(l);
    await run(l, `- hosts: all\n  gather_facts: false\n  remote_user: deploy\n  tasks:\n    - kv: { key: a, value: "1" }\n      remote_user: ops\n`, {
      connect: c.connect,
      user: "cli",
    });
    expect(c.log).toEqual(["h1 cli ssh"]);
  });

  it("play-level connection: local connects locally; the next play goes back to the inventory's", async () => {
    const l = lab(["h1"]);
    const c = connectLog(l);
    await run(
      l,
      `- hosts: all\n  gather_facts: false\n  connection: local\n  tasks:\n    - kv: { key: a, value: "{{ inventory_hostname }}" }\n- hosts: all\n  gather_facts: false\n  tasks:\n    - kv: { key: b, value: "1" }\n`,
      { connect: c.connect },
    );
    expect(c.log).toEqual(["h1 - local", "h1 - ssh"]);
    expect(l.kv("h1", "a")).toBe("h1");
  });

  it("an unsupported connection type is a load error", () => {
    expect(() => pb(`- hosts: all\n  connection: winrm\n  tasks: []\n`)).toThrow(/connection: 'winrm' is not supported/);
  });
});

describe("pure parts", () => {
  const spec = (name: string, extra: Partial<HostSpec> = {}): HostSpec => hostSpec(name, extra);

  it("placementOf: the task's keywords over the play's; environment layers play first", () => {
    const play = { placement: { remoteUser: "a", environment: [{ X: 1 }] } } as never;
    const task = { placement: { remoteUser: "b", environment: [{ Y: 2 }], runOnce: true } } as never;
    expect(placementOf(play, task)).toEqual({ remoteUser: "b", environment: [{ X: 1 }, { Y: 2 }], runOnce: true });
  });

  it("targetOf: the host's own ansible_connection beats the connection keyword", () => {
    const s = spec("h", { vars: { ansible_connection: "ssh" } });
    expect(targetOf(s, { connection: "local" }, {}, undefined, undefined, {}).connection).toBeUndefined();
    expect(targetOf(spec("h"), { connection: "local" }, {}, undefined, undefined, {}).connection).toBe("local");
  });

  it("environmentOf: values become strings as Ansible passes them", () => {
    expect(environmentOf({ environment: [{ A: true, B: 1.5, C: null }] }, {}, undefined)).toEqual({ A: "True", B: "1.5", C: "" });
  });
});
