// Arguments rendered once per play (engine/run/shared-args.ts): the static proof that a task's
// arguments read nothing host-specific, every escape falling back to per-host rendering, and runs
// with and without sharing giving identical events.
import { describe, expect, it } from "vitest";
import { argsProof, playDefs, sameReads, sharedArgsStats, sharedRender, SharedArgs, templateNames } from "../../../engine/run/shared-args.js";
import { runnerHarness, task, play, block, type FakeLab } from "./fakes.js";
import type { Play } from "../../../engine/core/plan.js";
import { layerVars } from "../../../engine/template/index.js";
import { playLayers } from "../../../engine/run/vars.js";

const names = (v: unknown) => {
  const s = templateNames(v);
  return s && [...s].sort();
};

describe("templateNames: what a template may read, or undefined when not proven", () => {
  it("a value without templates reads nothing", () => {
    expect(names({ path: "/etc/x", mode: "0644", list: [1, "a", { b: true }] })).toEqual([]);
  });

  it("plain names, attributes, filters, tests and pure functions", () => {
    expect(names("{{ a }}")).toEqual(["a"]);
    expect(names("{{ a.b.c }}/{{ d['e'] }}")).toEqual(["a", "d"]);
    expect(names("{{ a | default('x') | upper }}")).toEqual(["a", "default", "upper"]);
    expect(names("{{ a if b is defined else c }}")).toContain("c");
    expect(names("{{ x is not defined }}")).toEqual(["defined", "is", "not", "x"]);
    expect(names("{{ range(3) | list }}")).toEqual(["list", "range"]);
    expect(names("{{ a.split(',') | join('-') }}")).toEqual(["a", "join"]);
    expect(names({ "{{ k }}": "v" })).toEqual(["k"]);
    expect(names("{{ 'a}}b' ~ c }}")).toEqual(["c"]);
    expect(names("{{ {'a': {'b': x}} }}")).toEqual(["x"]);
    expect(names("mail admin@example.com now, {{ a }}")).toEqual(["a"]);
    expect(names("{{ 1e5 + n }}")).toEqual(["n"]);
  });

  it("escapes are not proven: lookups, hostvars, vars, impure filters, unknown calls, methods that are not pure", () => {
    for (const t of [
      "{{ lookup('env', 'HOME') }}",
      "{{ query('inventory_hostnames', 'all') }}",
      "{{ q('x') }}",
      "{{ hostvars[h].x }}",
      "{{ vars['a'] }}",
      "{{ pw | password_hash('sha512') }}",
      "{{ l | shuffle }}",
      "{{ l | map('password_hash') | list }}",
      "{{ now() }}",
      "{{ a | ansible.builtin.to_json }}",
      "{{ a | some_plugin_filter }}",
      "{{ a is some_plugin_test }}",
      "{{ some_function(a) }}",
      "{{ a.append(1) }}",
      "{{#if a}}x{{/if}}",
      "{{#each l}}{{this}}{{/each}}",
      "{{ @root.x }}",
      "{% if a %}x{% endif %}",
      "{# c #}{{ a }}",
      "{{{ a }}}",
      "{{ a ",
      "{{ 'a }}",
    ])
      expect(names(t), t).toBeUndefined();
    expect(names(["ok {{ a }}", { k: "{{ lookup('file', 'x') }}" }])).toBeUndefined();
  });
});

describe("argsProof: names through play-level variables", () => {
  const t = (args: Record<string, unknown>, o: Parameters<typeof task>[2] = {}) => task("kv", args, o);

  it("follows play-level values' own templates", () => {
    const p = argsProof(t({ key: "{{ dir }}", value: "x" }), [{ dir: "/opt/{{ app }}" }, { app: "a{{ ver }}" }]);
    expect([...p!.names].sort()).toEqual(["app", "dir", "ver"]);
  });

  it("a play-level value beyond the proof, or a loop, is not shared", () => {
    expect(argsProof(t({ key: "{{ dir }}", value: "x" }), [{ dir: "{{ lookup('env', 'X') }}" }])).toBeUndefined();
    expect(argsProof(t({ key: "k", value: "x" }, { loop: ["a"] }), [])).toBeUndefined();
  });

  it("sameReads: the host's inventory or registered layer, or another play-level value, breaks it", () => {
    const task1 = t({ key: "{{ dir }}", value: "x" });
    const defs = [{ dir: "/opt/{{ app }}", app: "a" }];
    const p = argsProof(task1, defs)!;
    expect(sameReads(p, defs, {}, {})).toBe(true);
    expect(sameReads(p, defs, { app: "b" }, {})).toBe(false);
    expect(sameReads(p, defs, {}, { dir: "/x" })).toBe(false);
    expect(sameReads(p, [{ dir: "/opt/{{ app }}", app: "other" }], {}, {})).toBe(false);
    // a name the play does not define is still checked against the host's layers
    const p2 = argsProof(t({ key: "{{ undefined_here }}", value: "x" }), [])!;
    expect(sameReads(p2, [], { undefined_here: 1 }, {})).toBe(false);
  });

  it("playDefs resolves a name as layerVars does, without the host's layers", () => {
    const role = {
      name: "r",
      dir: "/roles/r",
      defaults: { a: "def", b: "def", c: "def", d: "def", e: "def", f: "def", g: "def" },
      vars: { e: "role", f: "role", g: "role" },
    };
    const tk = { ...t({ key: "{{ a }}{{ b }}{{ c }}{{ d }}{{ e }}{{ f }}{{ g }}{{ role_name }}", value: "x" }, { vars: { f: "task", g: "task" } }), role };
    const p = play([tk], { vars: { b: "play", c: "play", d: "play" }, varsFiles: { c: "file", d: "file" } });
    const scope = { blockVars: { d: "block", e: "block" } } as never;
    const extra = { g: "extra" };
    const proof = argsProof(tk, playDefs(p, scope, tk, extra))!;
    const merged = layerVars({ ...playLayers(p, scope, tk, extra) });
    for (const n of ["a", "b", "c", "d", "e", "f", "g", "role_name"]) expect([n, proof.values.get(n)]).toEqual([n, merged[n]]);
  });

  it("sharedRender renders once for hosts whose reads match, and again for one that differs", () => {
    const cache = new SharedArgs();
    const task1 = t({ key: "{{ k }}", value: "x" });
    const defs = [{ k: "alpha" }];
    const sh = (inv: Record<string, unknown>) => ({ cache, defs: () => defs, inventory: () => inv });
    let renders = 0;
    const render = (k: string) => () => (renders++, { key: k, value: "x" });
    const scope = { blockVars: {} } as never;
    const a = sharedRender(sh({}), {}, task1, scope, "test.kv", render("alpha"));
    const b = sharedRender(sh({}), {}, task1, scope, "test.kv", render("alpha"));
    expect(renders).toBe(1);
    expect(b).toEqual(a);
    expect(b).not.toBe(a);
    b.key = "changed by one host";
    expect(sharedRender(sh({}), {}, task1, scope, "test.kv", render("alpha")).key).toBe("alpha");
    expect(sharedRender(sh({ k: "h3" }), {}, task1, scope, "test.kv", render("h3")).key).toBe("h3");
    expect(sharedRender(sh({}), { k: "reg" }, task1, scope, "test.kv", render("reg")).key).toBe("reg");
    expect(renders).toBe(3);
  });
});

describe("runs with and without shared arguments give identical events", () => {
  const { lab, run } = runnerHarness();

  const events = async (l: FakeLab, p: Play, shared: boolean) => {
    const before = process.env.KEEL_SHARED_ARGS;
    process.env.KEEL_SHARED_ARGS = shared ? "1" : "0";
    try {
      const s0 = sharedArgsStats.hits;
      const r = await run(l, p);
      // hosts go at their own pace (strategy free): compare each host's own sequence of events
      const byHost = new Map<string, unknown[]>();
      for (const e of r.events) {
        const h = "host" in e ? String(e.host) : "";
        byHost.set(h, [...(byHost.get(h) ?? []), e]);
      }
      const json = JSON.stringify(
        [...byHost].sort(([a], [b]) => a.localeCompare(b)),
        (k, v) => (k === "durationMs" || k === "roundTrips" || k === "time" ? undefined : (v as unknown)),
      );
      return { hits: sharedArgsStats.hits - s0, json: json.replaceAll(l.dirs.get("h1")!.replace(/h1$/, ""), "$LAB/") };
    } finally {
      if (before === undefined) delete process.env.KEEL_SHARED_ARGS;
      else process.env.KEEL_SHARED_ARGS = before;
    }
  };

  const thePlay = () =>
    play(
      [
        task("kv", { key: "plain", value: "constant" }),
        task("kv", { key: "{{ k }}", value: "{{ v }}" }),
        task("kv", { key: "host", value: "{{ inventory_hostname }}" }),
        task("kv", { key: "reg-src", value: "{{ w }}" }, { register: "r" }),
        task("kv", { key: "reg", value: "{{ r.changed | string }}" }),
        block([task("kv", { key: "blk", value: "{{ b }}-{{ k }}" })], { vars: { b: "{{ w }}" } }),
        task("kv", { key: "item-{{ item }}", value: "{{ k }}" }, { loop: ["x", "y"] }),
        task("kv", { key: "undef", value: "{{ nowhere }}" }, { ignoreErrors: true }),
        task("set", { k: "set-later" }),
        task("kv", { key: "after-set", value: "{{ k }}" }),
      ],
      // w: a role default, which the inventory overrides (play vars would win over it)
      { vars: { k: "alpha", v: "{{ w }}-x" }, roleDefaults: { w: "one" } },
    );

  it("first run and converged run, with a host whose inventory overrides a play-level name", async () => {
    const hosts = ["h1", "h2", "h3", "h4"];
    const vars = { h3: { w: "three" } };
    const a = lab(hosts, vars);
    const b = lab(hosts, vars);
    const p = thePlay();
    const off1 = await events(a, p, false);
    const on1 = await events(b, p, true);
    expect(on1.json).toBe(off1.json);
    expect(off1.hits).toBe(0);
    expect(on1.hits).toBeGreaterThan(0);
    for (const h of hosts) expect(b.kv(h, "reg")).toBe("True");
    const off2 = await events(a, p, false);
    const on2 = await events(b, p, true);
    expect(on2.json).toBe(off2.json);
    for (const h of hosts) {
      expect(b.kv(h, "alpha")).toBe(h === "h3" ? "three-x" : "one-x");
      expect(b.kv(h, "host")).toBe(h);
      expect(b.kv(h, "blk")).toBe(`${h === "h3" ? "three" : "one"}-alpha`);
      expect(b.kv(h, "after-set")).toBe("set-later");
      expect(b.kv(h, "undef")).toBeUndefined();
      expect(b.kv(h, "reg")).toBe("False"); // the converged run's register
    }
  });
});
