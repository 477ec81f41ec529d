// engine/run against FakeConnection hosts (see fakes.ts): batching and round trips, task semantics,
// handlers, blocks, retries, tags. Scheduling, check mode, no_log, failure containment: runner-scheduling.test.ts.
import { describe, it, expect } from "vitest";
import { FakeLab, runnerHarness, task, block, play } from "./fakes.js";

const { lab, run } = runnerHarness();

const kvTasks = (n: number, prefix = "k") =>
  Array.from({ length: n }, (_, i) => task("kv", { key: `${prefix}${i}`, value: `v${i}` }, { name: `set ${prefix}${i}` }));

describe("probe batching and round trips", () => {
  it("a converged 10-task play costs facts + one batched probe round trip", async () => {
    const l = lab();
    for (let i = 0; i < 10; i++) l.setKv("h1", `k${i}`, `v${i}`);
    const { summary, results } = await run(l, play(kvTasks(10), { gatherFacts: true }));
    expect(results().map((r) => r.result.status)).toEqual(Array(10).fill("ok"));
    expect(summary.roundTrips.h1).toBe(2);
    expect(l.conn("h1").log[1]!.command.match(/@@KEEL-\w+-BEGIN-\d+@@/g)!.length).toBe(10);
    expect(results()[0]!.result.reason).toBe("kv k0 already v0");
  });

  it("without facts a converged play is one round trip", async () => {
    const l = lab();
    for (let i = 0; i < 10; i++) l.setKv("h1", `k${i}`, `v${i}`);
    const { summary } = await run(l, play(kvTasks(10)));
    expect(summary.roundTrips.h1).toBe(1);
  });

  it("after a real change only the later tasks are probed again, in one batch", async () => {
    const l = lab();
    for (let i = 0; i < 10; i++) if (i !== 4) l.setKv("h1", `k${i}`, `v${i}`);
    const { summary, results } = await run(l, play(kvTasks(10)));
    expect(results().map((r) => r.result.status)).toEqual(["ok", "ok", "ok", "ok", "changed", "ok", "ok", "ok", "ok", "ok"]);
    // batch of 10, apply of k4, batch of k5..k9
    expect(summary.roundTrips.h1).toBe(3);
    const third = l.conn("h1").log[2]!.command;
    expect(third.match(/BEGIN-\d+@@/g)!.length).toBe(5);
    expect(third).toContain("kv/k5");
    expect(third).not.toContain("kv/k4");
    expect(l.kv("h1", "k4")).toBe("v4");
  });

  it("first run changes everything, second run changes nothing", async () => {
    const l = lab();
    const p = play(kvTasks(5));
    const first = await run(l, p);
    expect(first.summary.stats.h1).toMatchObject({ changed: 5, ok: 0 });
    expect(first.summary.roundTrips.h1).toBe(5 + 5); // 5 applies + 5 batches (the last one only for k4)
    const second = await run(l, p);
    expect(second.summary.stats.h1).toMatchObject({ changed: 0, ok: 5 });
    expect(second.summary.roundTrips.h1).toBe(1);
  });

  it("a task whose args use a registered variable is probed after that task ran", async () => {
    const l = lab();
    const { results, summary } = await run(
      l,
      play([
        task("cmd", { cmd: "echo hello" }, { register: "out", changedWhen: ["false"] }),
        task("kv", { key: "greeting", value: "{{ out.stdout | trim }}" }),
      ]),
    );
    expect(results().map((r) => r.result.status)).toEqual(["ok", "changed"]);
    expect(l.kv("h1", "greeting")).toBe("hello");
    // batch(cmd probe only), cmd, probe greeting, write greeting
    expect(summary.roundTrips.h1).toBe(4);
    expect(l.conn("h1").log[0]!.command.match(/BEGIN-\d+@@/g)!.length).toBe(1);
  });

  it("probes that exit, print nothing or fail do not disturb the others in the batch", async () => {
    const l = lab();
    l.setKv("h1", "a", "1");
    l.setKv("h1", "c", "3");
    const { results } = await run(
      l,
      play([
        task("kv", { key: "a", value: "1" }),
        task("cmd", { cmd: "true", creates: "nothere" }, { changedWhen: ["false"] }),
        task("kv", { key: "c", value: "3" }),
      ]),
    );
    expect(results().map((r) => r.result.status)).toEqual(["ok", "ok", "ok"]);
  });
});

describe("task semantics", () => {
  it("when, loop with one result per item, and register with results", async () => {
    const l = lab();
    l.setKv("h1", "b", "x");
    const { results, events } = await run(
      l,
      play([
        task("kv", { key: "{{ item }}", value: "x" }, { loop: ["a", "b", "c"], register: "r", when: ["item != 'c'"] }),
        // booleans are tested in conditions, so the test does not depend on how templates print them
        task("kv", { key: "summary", value: "{{ r.results | length }}" }, { when: ["r.changed", "r.results[2].skipped", "not r.results[1].changed"] }),
        task("kv", { key: "never", value: "x" }, { when: ["r.failed"] }),
      ]),
    );
    const rs = results();
    expect(rs.map((r) => [r.result.item, r.result.status])).toEqual([
      ["a", "changed"],
      ["b", "ok"],
      ["c", "skipped"],
      [undefined, "changed"],
      [undefined, "skipped"],
    ]);
    expect(l.kv("h1", "summary")).toBe("3");
    expect(l.kv("h1", "never")).toBeUndefined();
    expect(events.filter((e) => e.type === "task.start").length).toBe(3);
  });

  it("changed_when and failed_when decide over the exit code", async () => {
    const l = lab();
    const { results, summary } = await run(
      l,
      play([
        task("cmd", { cmd: "echo out; echo err >&2; exit 3" }, { register: "r", failedWhen: ["r.rc != 3"], changedWhen: ["'out' in r.stdout"] }),
        task("cmd", { cmd: "true" }, { changedWhen: ["false"] }),
        task("cmd", { cmd: "exit 0" }, { register: "z", failedWhen: ["z.rc == 0"] }),
      ]),
    );
    expect(results().map((r) => r.result.status)).toEqual(["changed", "ok", "failed"]);
    expect(results()[0]!.result.rc).toBe(3);
    expect(summary.failures[0]!.message).toMatch(/failed_when condition is true: z.rc == 0/);
  });

  it("a non-zero exit fails the host; the message names host, task, file:line, exit code and stderr", async () => {
    const l = lab();
    const { results, summary } = await run(
      l,
      play([task("cmd", { cmd: "echo boom >&2; exit 7" }, { name: "Break it" }), task("kv", { key: "after", value: "x" })]),
    );
    expect(results().length).toBe(1);
    expect(summary.failed).toEqual(["h1"]);
    expect(summary.failures[0]!.message).toMatch(/^h1: task 'Break it' \(\/play\/site\.yml:\d+\) failed \(rc 7\): exit code 7: boom$/);
    expect(l.kv("h1", "after")).toBeUndefined();
    expect(summary.stats.h1).toMatchObject({ failed: 1 });
  });

  it("ignore_errors goes on and counts the failure as ignored", async () => {
    const l = lab();
    const { results, summary } = await run(l, play([task("cmd", { cmd: "exit 1" }, { ignoreErrors: true }), task("kv", { key: "after", value: "x" })]));
    expect(results()[0]!.result).toMatchObject({ status: "failed", ignored: true });
    expect(summary.failed).toEqual([]);
    expect(summary.stats.h1).toMatchObject({ ignored: 1, failed: 0, changed: 1 });
    expect(l.kv("h1", "after")).toBe("x");
  });

  it("retries/until repeats until the condition holds", async () => {
    const l = lab();
    const { results } = await run(
      l,
      play([
        task(
          "cmd",
          { cmd: 'n=$(cat "$ROOT/n" 2>/dev/null || echo 0); n=$((n+1)); echo $n > "$ROOT/n"; echo $n' },
          { register: "r", until: "r.stdout | trim == '3'", retries: 5, delay: 0 },
        ),
        task("kv", { key: "attempts", value: "{{ r.attempts }}" }),
      ]),
    );
    expect(results()[0]!.result.status).toBe("changed");
    expect(l.kv("h1", "attempts")).toBe("3");
  });

  it("retries exhausted fails the task and says so", async () => {
    const l = lab();
    const { summary } = await run(l, play([task("cmd", { cmd: "echo no" }, { register: "r", until: "r.stdout == 'yes'", retries: 2, delay: 0 })]));
    expect(summary.failures[0]!.message).toMatch(/retries exhausted after 3 attempts/);
  });

  it("set_fact-like controller modules feed later tasks; extra vars win over play vars", async () => {
    const l = lab();
    await run(
      l,
      play([task("set", { color: "blue" }), task("kv", { key: "color", value: "{{ color }}" }), task("kv", { key: "env", value: "{{ env }}" })], {
        vars: { env: "dev" },
      }),
      { extraVars: { env: "prod" } },
    );
    expect(l.kv("h1", "color")).toBe("blue");
    expect(l.kv("h1", "env")).toBe("prod");
  });

  it("inventory vars and inventory_hostname are visible to templates", async () => {
    const l = lab(["h1", "h2"], { h1: { role: "web" }, h2: { role: "db" } });
    await run(l, play([task("kv", { key: "who", value: "{{ inventory_hostname }}-{{ role }}" })]));
    expect(l.kv("h1", "who")).toBe("h1-web");
    expect(l.kv("h2", "who")).toBe("h2-db");
  });

  it("an undefined variable fails the task with its file:line", async () => {
    const l = lab();
    const { summary } = await run(l, play([task("kv", { key: "x", value: "{{ nope }}" })]));
    expect(summary.failures[0]!.message).toMatch(/undefined variable 'nope'/);
    expect(summary.failures[0]!.message).toContain("/play/site.yml:");
  });

  it("become settings reach the connection: play, task and --become", async () => {
    const l = lab();
    l.setKv("h1", "a", "1");
    await run(
      l,
      play([
        task("kv", { key: "a", value: "1" }),
        task("kv", { key: "b", value: "2" }, { becomeUser: "app" }),
        task("kv", { key: "c", value: "3" }, { become: false }),
      ]),
      { become: true },
    );
    const log = l.conn("h1").log;
    expect(log[0]!.become).toEqual({ user: "root" });
    expect(log.some((x) => x.become?.user === "app" && x.command.includes("kv/b"))).toBe(true);
    expect(log.some((x) => !x.become && x.command.includes("kv/c"))).toBe(true);
  });
});

describe("handlers", () => {
  it("run once at the end of the play, only when notified, by name or listen topic", async () => {
    const l = lab();
    l.setKv("h1", "same", "x");
    const handlers = [
      task("kv", { key: "h-restart", value: "done" }, { name: "restart app" }),
      task("kv", { key: "h-topic", value: "done" }, { name: "by topic", listen: ["web changed"] }),
      task("kv", { key: "h-never", value: "done" }, { name: "not notified" }),
    ];
    const { results } = await run(
      l,
      play(
        [
          task("kv", { key: "a", value: "1" }, { notify: ["restart app", "web changed"] }),
          task("kv", { key: "b", value: "1" }, { notify: ["restart app"] }),
          task("kv", { key: "same", value: "x" }, { notify: ["not notified"] }),
        ],
        { handlers },
      ),
    );
    const handlerRuns = results()
      .filter((r) => r.result.handler)
      .map((r) => r.task.name);
    expect(handlerRuns).toEqual(["restart app", "by topic"]);
    expect(results().length).toBe(5);
    expect(l.kv("h1", "h-never")).toBeUndefined();
  });

  it("meta: flush_handlers runs them where it stands", async () => {
    const l = lab();
    const handlers = [task("kv", { key: "h", value: "done" }, { name: "h" })];
    const { results } = await run(
      l,
      play([task("kv", { key: "a", value: "1" }, { notify: ["h"] }), task("meta", { action: "flush_handlers" }), task("kv", { key: "b", value: "1" })], {
        handlers,
      }),
    );
    expect(results().map((r) => r.task.name)).toEqual([results()[0]!.task.name, "h", results()[2]!.task.name]);
    expect(results().length).toBe(3);
  });

  it("a host that failed runs no handlers", async () => {
    const l = lab(["h1", "h2"]);
    const handlers = [task("kv", { key: "h", value: "done" }, { name: "h" })];
    const p = play(
      [task("kv", { key: "a", value: "1" }, { notify: ["h"] }), task("cmd", { cmd: 'test "$(basename "$ROOT")" != h2' }, { changedWhen: ["false"] })],
      { handlers },
    );
    const { results } = await run(l, p);
    expect(results("h1").map((r) => r.task.name)).toContain("h");
    expect(results("h2").map((r) => r.task.name)).not.toContain("h");
  });
});

describe("blocks", () => {
  it("rescue catches a failure, always runs, the host is not failed", async () => {
    const l = lab();
    const { summary, results } = await run(
      l,
      play([
        block([task("cmd", { cmd: "exit 2" }, { name: "breaks" }), task("kv", { key: "skipped", value: "x" })], {
          rescue: [task("kv", { key: "rescued", value: "yes" })],
          always: [task("kv", { key: "always", value: "yes" })],
        }),
        task("kv", { key: "after", value: "yes" }),
      ]),
    );
    expect(summary.failed).toEqual([]);
    expect(summary.stats.h1).toMatchObject({ rescued: 1, failed: 0, changed: 3 });
    expect(l.kv("h1", "skipped")).toBeUndefined();
    expect([l.kv("h1", "rescued"), l.kv("h1", "always"), l.kv("h1", "after")]).toEqual(["yes", "yes", "yes"]);
    expect(results()[0]!.result.status).toBe("failed");
    // the failure's event says it went to the rescue: a drift report does not fail the host by it
    expect(results()[0]!.result.rescued).toBe(true);
  });

  it("a meta task whose condition fails inside a block with rescue is rescued too", async () => {
    const l = lab();
    const { summary, results } = await run(
      l,
      play([
        block([task("meta", { action: "end_host" }, { name: "stop early", when: ["nope.field"] })], {
          rescue: [task("kv", { key: "rescued", value: "yes" })],
        }),
      ]),
    );
    expect(summary.failed).toEqual([]);
    expect(l.kv("h1", "rescued")).toBe("yes");
    expect(results()[0]!.result.status).toBe("failed");
    expect(results()[0]!.result.rescued).toBe(true);
  });

  it("without rescue the host fails after always ran", async () => {
    const l = lab();
    const { summary, results } = await run(
      l,
      play([block([task("cmd", { cmd: "exit 2" })], { always: [task("kv", { key: "always", value: "yes" })] }), task("kv", { key: "after", value: "yes" })]),
    );
    expect(summary.failed).toEqual(["h1"]);
    expect(l.kv("h1", "always")).toBe("yes");
    expect(l.kv("h1", "after")).toBeUndefined();
    expect(results()[0]!.result.rescued).toBeUndefined();
  });

  it("a block's when skips each of its tasks; block vars reach its tasks", async () => {
    const l = lab();
    const { results } = await run(
      l,
      play([
        block([task("kv", { key: "a", value: "1" }), task("kv", { key: "b", value: "1" })], { when: ["false"] }),
        block([task("kv", { key: "c", value: "{{ v }}" })], { vars: { v: "inner" } }),
      ]),
    );
    expect(results().map((r) => r.result.status)).toEqual(["skipped", "skipped", "changed"]);
    expect(l.kv("h1", "c")).toBe("inner");
  });
});

describe("tags", () => {
  const tagged = () =>
    play([
      task("kv", { key: "a", value: "1" }, { tags: ["a"] }),
      task("kv", { key: "b", value: "1" }, { tags: ["b"] }),
      task("kv", { key: "al", value: "1" }, { tags: ["always"] }),
      task("kv", { key: "nv", value: "1" }, { tags: ["never", "debug"] }),
      block([task("kv", { key: "inblock", value: "1" })], { tags: ["a"] }),
    ]);
  const keys = (l: FakeLab) => ["a", "b", "al", "nv", "inblock"].filter((k) => l.kv("h1", k) !== undefined);

  it("--tags selects, always always runs, never only when asked, block tags inherit", async () => {
    const l = lab();
    await run(l, tagged(), { tags: ["a"] });
    expect(keys(l)).toEqual(["a", "al", "inblock"]);
  });
  it("no tags: everything but never", async () => {
    const l = lab();
    await run(l, tagged());
    expect(keys(l)).toEqual(["a", "b", "al", "inblock"]);
  });
  it("--skip-tags and asking for never by name", async () => {
    const l = lab();
    await run(l, tagged(), { tags: ["debug"], skipTags: ["always"] });
    expect(keys(l)).toEqual(["nv"]);
  });
});
