// engine/run against FakeConnection hosts (see fakes.ts): serial/linear scheduling, check mode, no_log,
// failure containment, task names, fleet variables, connecting. The rest: runner.test.ts.
import { describe, it, expect } from "vitest";
import { runPlaybook } from "../../../engine/run/index.js";
import { runnerHarness, task, play, plan, recorder } from "./fakes.js";

const { lab, opts, run } = runnerHarness();

const kvTasks = (n: number, prefix = "k") =>
  Array.from({ length: n }, (_, i) => task("kv", { key: `${prefix}${i}`, value: `v${i}` }, { name: `set ${prefix}${i}` }));

describe("scheduling", () => {
  it("serial: one batch finishes before the next starts", async () => {
    const l = lab(["h1", "h2", "h3"]);
    const { events } = await run(l, play([task("kv", { key: "a", value: "1" })], { serial: [1, 2] }));
    const order = events.filter((e) => e.type === "host.start" || e.type === "host.done").map((e) => `${e.type}:${(e as { host: string }).host}`);
    expect(order.slice(0, 2)).toEqual(["host.start:h1", "host.done:h1"]);
    // the second batch (h2, h3) runs together: both start before either is done
    expect(order.slice(2, 4).sort()).toEqual(["host.start:h2", "host.start:h3"]);
    expect(order.slice(4).sort()).toEqual(["host.done:h2", "host.done:h3"]);
  });

  it("strategy linear: every host finishes task N before any starts task N+1", async () => {
    const l = lab(["h1", "h2", "h3"]);
    const slow = (n: number) => task("cmd", { cmd: `case "$ROOT" in */h1) sleep 0.${n};; esac` }, { changedWhen: ["false"], name: `t${n}` });
    const { events } = await run(l, play([slow(2), slow(1), slow(1)], { strategy: "linear" }));
    const seq = events.filter((e) => e.type === "task.start" || e.type === "task.result").map((e) => (e as { task: { name: string } }).task.name);
    // all three t2 starts/results come before any t1
    const firstT1 = seq.indexOf("t1");
    expect(seq.slice(0, firstT1).filter((x) => x === "t2").length).toBe(6);
  });

  it("strategy free: a fast host does not wait for a slow one", async () => {
    const l = lab(["h1", "h2"]);
    // h1's first task is slow; h2's three tasks fit in that time with a wide margin, even on a loaded machine
    const slow = (n: number) => task("cmd", { cmd: n === 1 ? `case "$ROOT" in */h1) sleep 1.5;; esac` : "true" }, { changedWhen: ["false"], name: `t${n}` });
    const { events } = await run(l, play([slow(1), slow(2), slow(3)]));
    const done = events.filter((e) => e.type === "host.done").map((e) => (e as { host: string }).host);
    expect(done).toEqual(["h2", "h1"]);
    const h2Last = events.findIndex((e) => e.type === "task.result" && e.host === "h2" && e.task.name === "t3");
    const h1First = events.findIndex((e) => e.type === "task.result" && e.host === "h1" && e.task.name === "t1");
    expect(h2Last).toBeLessThan(h1First);
  });

  it("--forks limits parallel hosts", async () => {
    const l = lab(["h1", "h2", "h3", "h4"]);
    let active = 0;
    let max = 0;
    const rec = recorder();
    await runPlaybook(plan(play([task("cmd", { cmd: "sleep 0.05" }, { changedWhen: ["false"] })])), l.inventory(), opts(l, { forks: 2 }), (e) => {
      rec.sink(e);
      if (e.type === "host.start") max = Math.max(max, ++active);
      if (e.type === "host.done") active--;
    });
    expect(max).toBe(2);
  });

  it("--limit narrows the hosts", async () => {
    const l = lab(["web1", "web2", "db1"]);
    const { summary } = await run(l, play([task("kv", { key: "a", value: "1" })]), { limit: "web*" });
    expect(Object.keys(summary.stats).sort()).toEqual(["web1", "web2"]);
    expect(l.connects.sort()).toEqual(["web1", "web2"]);
  });
});

describe("check mode", () => {
  it("reports exactly the drifted task and changes nothing", async () => {
    const l = lab();
    for (let i = 0; i < 5; i++) l.setKv("h1", `k${i}`, `v${i}`);
    l.setKv("h1", "k2", "tampered");
    const { results, summary } = await run(l, play(kvTasks(5)), { check: true });
    expect(results().map((r) => r.result.status)).toEqual(["ok", "ok", "changed", "ok", "ok"]);
    expect(results()[2]!.result.changes[0]).toMatchObject({ field: "value", before: "tampered", after: "v2" });
    expect(l.kv("h1", "k2")).toBe("tampered");
    expect(summary.roundTrips.h1).toBe(1);
  });

  it("an unpredictable command is unknown, with changed_when: false it is ok; creates makes it predictable", async () => {
    const l = lab();
    const { results } = await run(
      l,
      play([
        task("cmd", { cmd: "touch $ROOT/x" }),
        task("cmd", { cmd: "touch $ROOT/y" }, { changedWhen: ["false"] }),
        task("cmd", { cmd: "touch $ROOT/z", creates: "z" }),
      ]),
      { check: true },
    );
    expect(results().map((r) => r.result.status)).toEqual(["unknown", "ok", "changed"]);
    expect(l.conn("h1").log.length).toBe(1);
  });

  it("check_mode: false on a task acts even in check mode; check_mode: true never acts", async () => {
    const l = lab();
    await run(l, play([task("kv", { key: "a", value: "1" }, { checkMode: false }), task("kv", { key: "b", value: "1" })]), { check: true });
    expect(l.kv("h1", "a")).toBe("1");
    expect(l.kv("h1", "b")).toBeUndefined();
    await run(l, play([task("kv", { key: "c", value: "1" }, { checkMode: true })]));
    expect(l.kv("h1", "c")).toBeUndefined();
  });
});

describe("no_log", () => {
  it("masks every value in events but keeps it for later tasks", async () => {
    const l = lab();
    l.setKv("h1", "pw", "old-secret-1");
    const { events, results } = await run(
      l,
      play([
        task("kv", { key: "pw", value: "s3cr3t-value" }, { noLog: true, register: "r" }),
        task("cmd", { cmd: "echo s3cr3t-value; exit 1" }, { noLog: true }),
      ]),
      { diff: true },
    );
    const text = JSON.stringify(events);
    expect(text).not.toContain("s3cr3t-value");
    expect(text).not.toContain("old-secret-1");
    expect(results()[0]!.result).toMatchObject({ status: "changed", secret: true });
    expect(results()[0]!.result.changes[0]).toMatchObject({ before: "(secret)", after: "(secret)", diff: { before: "(secret)", after: "(secret)" } });
    expect(results()[1]!.result.stdout).toBe("(secret)");
    expect(l.kv("h1", "pw")).toBe("s3cr3t-value");
  });
});

describe("failure containment", () => {
  it("a connection lost mid-run marks only that host unreachable, naming host, task and cause", async () => {
    const l = lab(["h1", "h2", "h3"]);
    l.dropAt.set("h2", 2);
    const { summary, events } = await run(l, play(kvTasks(4)));
    expect(summary.unreachable).toEqual(["h2"]);
    expect(summary.stats.h1).toMatchObject({ changed: 4 });
    expect(summary.stats.h3).toMatchObject({ changed: 4 });
    const u = events.find((e) => e.type === "host.unreachable")!;
    expect(u).toMatchObject({ host: "h2", failure: "lost" });
    expect((u as { message: string }).message).toMatch(/^h2: unreachable during task 'set k0' \(\/play\/site\.yml:\d+\): lost: .*connection lost/);
    expect(summary.stats.h2!.unreachable).toBe(1);
    expect(events.filter((e) => e.type === "host.done").length).toBe(3);
  });

  it("a host that cannot be reached is reported and skipped in later plays; the others go on", async () => {
    const l = lab(["h1", "h2"]);
    l.refuse.set("h1", "hostkey");
    const { summary, events } = await run(l, [play(kvTasks(2)), play([task("kv", { key: "p2", value: "1" })], { name: "second" })]);
    expect(summary.unreachable).toEqual(["h1"]);
    expect(l.kv("h2", "p2")).toBe("1");
    expect(l.connects.filter((h) => h === "h1").length).toBe(1);
    expect(events.find((e) => e.type === "host.unreachable")).toMatchObject({
      failure: "hostkey",
      message: expect.stringMatching(/^h1: unreachable while connecting: h1: connection refused \(test\)$/),
    });
  });

  it("one connection per host for the whole run, closed at the end", async () => {
    const l = lab(["h1"]);
    await run(l, [play(kvTasks(2)), play(kvTasks(2, "q"))]);
    expect(l.connects).toEqual(["h1"]);
    expect(l.conn("h1").closed).toBe(true);
  });
});

describe("task names", () => {
  it("renders {{ variables }} in task names, as Ansible shows them", async () => {
    const l = lab();
    const { results } = await run(
      l,
      play(
        [
          task("kv", { key: "a", value: "b" }, { name: "set {{ what }} for {{ inventory_hostname }}" }),
          task("kv", { key: "c", value: "d" }, { name: "keeps {{ nosuch }}" }),
        ],
        { vars: { what: "greeting" } },
      ),
    );
    expect(results().map((r) => r.task.name)).toEqual(["set greeting for h1", "keeps {{ nosuch }}"]);
  });
});

describe("fleet variables", () => {
  it("exposes groups and hostvars like Ansible", async () => {
    const l = lab(["h1", "h2"], { h2: { role_name: "db" } });
    const { results } = await run(l, play([task("kv", { key: "peers", value: "{{ groups.all | length }} {{ hostvars.h2.role_name }}" })]));
    expect(results().map((r) => r.result.status)).toEqual(["changed", "changed"]);
    expect(l.kv("h1", "peers")).toBe("2 db");
  });
});

describe("connecting", () => {
  it("tries a timed-out handshake once more; other failures are final at once", async () => {
    const l = lab(["slow", "closed"]);
    l.failFirst.set("slow", "timeout");
    l.failFirst.set("closed", "refused");
    const { summary } = await run(l, play([task("kv", { key: "a", value: "b" })]));
    expect(l.connects.filter((h) => h === "slow")).toHaveLength(2);
    expect(l.connects.filter((h) => h === "closed")).toHaveLength(1);
    expect(summary.unreachable).toEqual(["closed"]);
    expect(summary.stats.slow).toMatchObject({ changed: 1 });
  });
});
