// engine/run against FakeConnection hosts: Ansible semantics that a newcomer from Ansible relies on
// (meta with when, probe cache after commands, lockstep with flush_handlers, check-mode conditions,
// loops, serial batches, rescue variables). Each case here once failed.
import { describe, it, expect } from "vitest";
import { runnerHarness, task, block, play } from "./fakes.js";

const { lab, run } = runnerHarness();

describe("meta tasks", () => {
  it("meta: end_host honours its when: a false condition does not end the host", async () => {
    const l = lab(["h1", "h2"]);
    const p = play([task("meta", { action: "end_host" }, { when: ["inventory_hostname == 'h2'"] }), task("kv", { key: "a", value: "1" })]);
    const { summary } = await run(l, p);
    expect(l.kv("h1", "a")).toBe("1");
    expect(l.kv("h2", "a")).toBeUndefined();
    expect(summary.failed).toEqual([]);
  });
});

describe("probe cache", () => {
  it("a command that ran with changed_when: false still invalidates the cached probes of later tasks", async () => {
    const l = lab();
    l.setKv("h1", "a", "1");
    const { results } = await run(
      l,
      play([
        task("kv", { key: "a", value: "1" }),
        task("cmd", { cmd: 'rm -f "$ROOT/kv/a"' }, { changedWhen: ["false"] }),
        task("kv", { key: "a", value: "1" }),
      ]),
    );
    // the first task's batch probed both kv tasks; the command removed the key in between
    expect(results().map((r) => r.result.status)).toEqual(["ok", "ok", "changed"]);
    expect(l.kv("h1", "a")).toBe("1");
  });
});

describe("strategy linear", () => {
  it("meta: flush_handlers does not deadlock when hosts outnumber forks", async () => {
    const l = lab(["h1", "h2", "h3"]);
    const handlers = [task("kv", { key: "h", value: "done" }, { name: "h" })];
    const p = play(
      [task("kv", { key: "a", value: "1" }, { notify: ["h"] }), task("meta", { action: "flush_handlers" }), task("kv", { key: "b", value: "1" })],
      { handlers, strategy: "linear" },
    );
    const outcome = await Promise.race([
      run(l, p, { forks: 2 }).then((r) => r.summary),
      new Promise<string>((r) => setTimeout(() => r("deadlock"), 5000).unref()),
    ]);
    expect(outcome).not.toBe("deadlock");
    for (const h of ["h1", "h2", "h3"]) expect([l.kv(h, "h"), l.kv(h, "b")]).toEqual(["done", "1"]);
  });
});

describe("conditions on the task's own result when the module did not act", () => {
  it("check mode: failed_when/changed_when on fields only a run has (rc, stdout) do not fail the task", async () => {
    const l = lab();
    const { results, summary } = await run(
      l,
      play([
        task("cmd", { cmd: "touch $ROOT/x" }, { register: "r", failedWhen: ["r.rc not in [0, 1]"], changedWhen: ["r.rc == 0"] }),
        task("cmd", { cmd: "touch $ROOT/y", creates: "y" }, { register: "s", changedWhen: ["'made' in s.stdout"] }),
        task("cmd", { cmd: "echo hi" }, { register: "t", until: "t.stdout == 'hi'", retries: 3, delay: 0 }),
      ]),
      { check: true },
    );
    expect(results().map((r) => r.result.status)).toEqual(["unknown", "changed", "unknown"]);
    expect(summary.failed).toEqual([]);
    expect(l.conn("h1").log.length).toBe(1);
  });

  it("a command skipped by creates: failed_when on its rc does not fail", async () => {
    const l = lab();
    l.setKv("h1", "x", "1");
    const { results } = await run(l, play([task("cmd", { cmd: "false", creates: "kv/x" }, { register: "r", failedWhen: ["r.rc != 0"] })]));
    expect(results()[0]!.result.status).toBe("ok");
  });

  it("an undefined variable that is not the task's own result still fails, with its file:line", async () => {
    const l = lab();
    const { summary } = await run(l, play([task("cmd", { cmd: "true" }, { register: "r", failedWhen: ["nosuch_var"] })]), { check: true });
    expect(summary.failed).toEqual(["h1"]);
    // the error names its own place (file:line:col); the task's place is not printed again before it
    expect(summary.failures[0]!.message).toMatch(/^h1: task 'cmd \d+' failed: \/play\/site\.yml:\d+:\d+: .*undefined variable 'nosuch_var'/);
    expect(summary.failures[0]!.message.split("/play/site.yml:").length).toBe(2);
  });
});

describe("loops", () => {
  it("loop over an undefined variable is skipped when the task's when is false (loop: '{{ users }}', when: users is defined)", async () => {
    const l = lab();
    const t = () => task("kv", { key: "{{ item }}", value: "1" }, { loop: "{{ users }}", when: ["users is defined"], register: "r" });
    const { results, summary } = await run(l, play([t(), task("kv", { key: "was", value: "{{ r.skip_reason }}" }, { when: ["r.skipped", "r is skipped"] })]));
    expect(results().map((r) => r.result.status)).toEqual(["skipped", "changed"]);
    expect(summary.failed).toEqual([]);
    expect(l.kv("h1", "was")).toBe("Conditional result was False");
    // with the condition true, the undefined loop variable is the error, at the playbook line
    const again = await run(l, play([task("kv", { key: "{{ item }}", value: "1" }, { loop: "{{ users }}", when: ["true"] })]));
    expect(again.summary.failures[0]!.message).toMatch(/\/play\/site\.yml:\d+.*undefined variable 'users'/);
  });
});

describe("loops, not a list", () => {
  it("a loop over a mapping or a string fails, naming the type as the templates do (one typeName)", async () => {
    const l = lab();
    for (const [loop, type] of [
      [{ a: 1 }, "dict"],
      ["{{ 'abc' }}", "string"],
      ["{{ 3 }}", "int"],
    ] as const) {
      const { summary } = await run(l, play([task("kv", { key: "{{ item }}", value: "1" }, { loop })]));
      expect(summary.failures[0]!.message).toContain(`loop must be a list, got ${type}`);
    }
  });
});

describe("loops, registered", () => {
  it("a loop over an empty list is reported skipped (an event, as the count says), and its registered result says so", async () => {
    const l = lab();
    const { results, summary } = await run(
      l,
      play([
        task("kv", { key: "{{ item }}", value: "1" }, { loop: [], register: "r" }),
        task("kv", { key: "z", value: "{{ r.results | length }} {{ r.skipped_reason }}" }, { when: ["r is skipped"] }),
      ]),
    );
    expect(results().map((x) => [x.result.status, x.result.reason])).toEqual([
      ["skipped", "no items in the loop"],
      ["changed", undefined],
    ]);
    expect(summary.stats.h1).toMatchObject({ skipped: 1, changed: 1 });
    expect(l.kv("h1", "z")).toBe("0 No items in the list");
  });
});

describe("probe batching of loops", () => {
  it("the items of a looped task are probed in one round trip with the rest of the play", async () => {
    const l = lab();
    for (const k of ["a", "b", "c", "d", "e", "z"]) l.setKv("h1", k, "1");
    const looped = task("kv", { key: "{{ item.name }}", value: "1" }, { loop: ["a", "b", "c", "d", "e"].map((name) => ({ name, uid: 1000 })) });
    looped.loopLabel = "{{ item.name }}";
    const { summary, results } = await run(l, play([looped, task("kv", { key: "z", value: "1" })]));
    expect(results().map((r) => r.result.status)).toEqual(Array(6).fill("ok"));
    expect(results().map((r) => r.result.item)).toEqual(["a", "b", "c", "d", "e", undefined]);
    expect(summary.roundTrips.h1).toBe(1);
  });

  it("after one item changes, the later items are probed again (once, together)", async () => {
    const l = lab();
    for (const k of ["a", "c", "d"]) l.setKv("h1", k, "1");
    const { summary, results } = await run(l, play([task("kv", { key: "{{ item }}", value: "1" }, { loop: ["a", "b", "c", "d"] })]));
    expect(results().map((r) => r.result.status)).toEqual(["ok", "changed", "ok", "ok"]);
    // batch a-d, apply b, batch c-d
    expect(summary.roundTrips.h1).toBe(3);
    expect(l.conn("h1").log[2]!.command.match(/BEGIN-\d+@@/g)!.length).toBe(2);
  });

  it("while item after item changes, the remaining items are not all probed again after each one", async () => {
    const l = lab();
    const keys = ["a", "b", "c", "d", "e", "f", "g", "h"];
    const { summary, results } = await run(l, play([task("kv", { key: "{{ item }}", value: "1" }, { loop: keys })]));
    expect(results().map((r) => r.result.status)).toEqual(Array(8).fill("changed"));
    for (const k of keys) expect(l.kv("h1", k)).toBe("1");
    // probes sent per round trip: all 8; after a's apply b-h again (7, one change may be all);
    // from then on, the host changing apply after apply, only the next item: 8 + 7 + 6×1 = 21
    // probe scripts in all, where re-reading every remaining item after each apply was 8+7+…+1 = 36
    const probes = l
      .conn("h1")
      .log.map((c) => c.command.match(/BEGIN-\d+@@/g)?.length ?? 0)
      .filter((n) => n > 0);
    expect(probes).toEqual([8, 7, 1, 1, 1, 1, 1, 1]);
    expect(summary.roundTrips.h1).toBe(16);
  });
});

describe("serial batches", () => {
  const failOn = (hosts: string) => task("cmd", { cmd: `case "$ROOT" in ${hosts}) exit 1;; esac` }, { changedWhen: ["false"], name: "deploy" });

  it("when every host of a batch fails, the run stops: later batches and plays never start (rolling-update safety)", async () => {
    const l = lab(["h1", "h2", "h3"]);
    const { summary, events } = await run(l, [play([failOn("*/h1")], { serial: [1] }), play([task("kv", { key: "p2", value: "1" })], { name: "second" })]);
    expect(summary.failed).toEqual(["h1"]);
    expect(l.connects).toEqual(["h1"]);
    expect(summary.notRun).toEqual(["h2", "h3"]);
    expect(summary.stopped).toMatch(/play 'test play': every host of the batch failed \(h1\); h2, h3 did not run/);
    // hosts that never ran are not reported as done with zero counts (they would look converged)
    expect(Object.keys(summary.stats)).toEqual(["h1"]);
    expect(events.filter((e) => e.type === "host.done").map((e) => (e as { host: string }).host)).toEqual(["h1"]);
  });

  it("a batch with one host left standing goes on", async () => {
    const l = lab(["h1", "h2", "h3", "h4"]);
    const { summary } = await run(l, play([failOn("*/h1")], { serial: [2] }));
    expect(summary.failed).toEqual(["h1"]);
    expect(summary.notRun).toEqual([]);
    expect(l.connects.sort()).toEqual(["h1", "h2", "h3", "h4"]);
  });

  it("max_fail_percentage: more than that share of a batch failing stops the run (exceeded, not reached)", async () => {
    const l = lab(["h1", "h2", "h3", "h4", "h5", "h6"]);
    const { summary } = await run(l, play([failOn("*/h1|*/h2")], { serial: [4], maxFailPercentage: 49 }));
    expect(summary.failed).toEqual(["h1", "h2"]);
    expect(summary.notRun).toEqual(["h5", "h6"]);
    expect(summary.stopped).toMatch(/2 of 4 hosts of the batch failed \(h1, h2\), more than max_fail_percentage 49%; h5, h6 did not run/);
    // 50 % of 4 is 2: two failures do not exceed it, the rollout goes on
    const l2 = lab(["h1", "h2", "h3", "h4", "h5", "h6"]);
    const r2 = await run(l2, play([failOn("*/h1|*/h2")], { serial: [4], maxFailPercentage: 50 }));
    expect(r2.summary.notRun).toEqual([]);
    expect(r2.summary.stopped).toBeUndefined();
    // 0 stops at the first failure
    const l3 = lab(["h1", "h2", "h3"]);
    const r3 = await run(l3, play([failOn("*/h2")], { serial: [2], maxFailPercentage: 0 }));
    expect(r3.summary.notRun).toEqual(["h3"]);
  });

  // The three cases below were compared with ansible-playbook 2.14 (linear strategy) on the same
  // inventory and failures: which hosts ran which task, and whether later batches started.
  it("max_fail_percentage under linear: once exceeded after a task, the batch's other hosts take no further task (as Ansible)", async () => {
    const l = lab(["h1", "h2", "h3", "h4", "h5"]);
    const { summary } = await run(
      l,
      play([failOn("*/h1"), task("kv", { key: "after", value: "1" })], { serial: [4], maxFailPercentage: 0, strategy: "linear" }),
    );
    expect(summary.failed).toEqual(["h1"]);
    for (const h of ["h2", "h3", "h4"]) expect(l.kv(h, "after")).toBeUndefined();
    expect(summary.notRun).toEqual(["h5"]);
    expect(summary.stopped).toMatch(
      /1 of 4 hosts of the batch failed \(h1\), more than max_fail_percentage 0%; the batch's other hosts stopped there; h5 did not run/,
    );
    // not exceeded: the others go on to the next task
    const l2 = lab(["h1", "h2", "h3", "h4"]);
    const r2 = await run(l2, play([failOn("*/h1"), task("kv", { key: "after", value: "1" })], { serial: [4], maxFailPercentage: 25, strategy: "linear" }));
    expect(r2.summary.stopped).toBeUndefined();
    for (const h of ["h2", "h3", "h4"]) expect(l2.kv(h, "after")).toBe("1");
  });

  it("max_fail_percentage counts failed hosts, not unreachable ones (as Ansible); a batch all unreachable still stops", async () => {
    const l = lab(["h1", "h2", "h3", "h4", "h5"]);
    l.refuse.set("h1", "refused");
    const { summary } = await run(l, play([task("kv", { key: "a", value: "1" })], { serial: [4], maxFailPercentage: 0, strategy: "linear" }));
    expect(summary.unreachable).toEqual(["h1"]);
    expect(summary.stopped).toBeUndefined();
    expect(l.kv("h5", "a")).toBe("1");
    const l2 = lab(["h1", "h2", "h3"]);
    l2.refuse.set("h1", "refused");
    const r2 = await run(l2, play([task("kv", { key: "a", value: "1" })], { serial: [1], maxFailPercentage: 0 }));
    expect(r2.summary.notRun).toEqual(["h2", "h3"]);
  });

  it("max_fail_percentage may be a template, rendered with the play's vars and -e before any host starts", async () => {
    const l = lab(["h1", "h2", "h3", "h4", "h5"]);
    const p = play([failOn("*/h1|*/h2")], { serial: [4], maxFailPercentage: "{{ max_fail }}", vars: { max_fail: 50 } });
    expect((await run(l, p)).summary.stopped).toBeUndefined();
    const l2 = lab(["h1", "h2", "h3", "h4", "h5"]);
    const r2 = await run(l2, p, { extraVars: { max_fail: "25%" } });
    expect(r2.summary.notRun).toEqual(["h5"]);
    const l3 = lab(["h1"]);
    await expect(run(l3, p, { extraVars: { max_fail: "lots" } })).rejects.toThrow(
      /max_fail_percentage '\{\{ max_fail \}\}' gave "lots", not a percentage from 0 to 100/,
    );
    expect(l3.connects).toEqual([]);
  });

  it("check mode changes nothing, so it goes on and reports every host", async () => {
    const l = lab(["h1", "h2"]);
    const { summary } = await run(l, play([task("cmd", { cmd: "true", creates: "nothere" }, { failedWhen: ["true"] })], { serial: [1] }), { check: true });
    expect(summary.failed).toEqual(["h1", "h2"]);
    expect(summary.notRun).toEqual([]);
    expect(Object.keys(summary.stats).sort()).toEqual(["h1", "h2"]);
  });
});

describe("magic variables", () => {
  it("ansible_connection is defined without an inventory value, as Ansible's 'ssh'", async () => {
    const l = lab();
    const { summary } = await run(l, play([task("kv", { key: "conn", value: "{{ ansible_connection }}" }, { when: ["ansible_connection != 'chroot'"] })]));
    expect(summary.failed).toEqual([]);
    expect(l.kv("h1", "conn")).toBe("ssh");
  });
});

describe("blocks", () => {
  it("rescue sees ansible_failed_task and ansible_failed_result", async () => {
    const l = lab();
    const { summary } = await run(
      l,
      play([
        block([task("cmd", { cmd: "echo broken >&2; exit 4" }, { name: "Deploy app" })], {
          rescue: [
            task("kv", { key: "why", value: "{{ ansible_failed_task.name }}: rc {{ ansible_failed_result.rc }} {{ ansible_failed_result.stderr | trim }}" }),
          ],
        }),
      ]),
    );
    expect(summary.failed).toEqual([]);
    expect(l.kv("h1", "why")).toBe("Deploy app: rc 4 broken");
  });

  it("a rescue reads ansible_failed_result as data: a failure quoting a template's text is not rendered again", async () => {
    // willshersystems/ansible-sshd re-raises `msg: "{{ ansible_failed_result }}"` after its template
    // task failed on the line `{{ body_option("Include",sshd_Include) -}}`, which the message quotes
    const l = lab();
    const { summary } = await run(
      l,
      play([
        block([task("cmd", { cmd: "echo '{% raw %}{{ body_option(\"Include\",x) -}}{% endraw %}' >&2; exit 4" })], {
          rescue: [task("kv", { key: "why", value: "{{ ansible_failed_result.stderr | trim }}" })],
        }),
      ]),
    );
    expect(summary.failed).toEqual([]);
    expect(l.kv("h1", "why")).toBe('{{ body_option("Include",x) -}}');
  });

  it("a block whose when is false reports its always tasks skipped too", async () => {
    const l = lab();
    const { results, summary } = await run(
      l,
      play([
        block([task("kv", { key: "a", value: "1" })], {
          when: ["false"],
          rescue: [task("kv", { key: "r", value: "1" })],
          always: [task("kv", { key: "al", value: "1" })],
        }),
      ]),
    );
    expect(results().map((r) => r.result.status)).toEqual(["skipped", "skipped"]);
    expect(summary.stats.h1).toMatchObject({ skipped: 2, rescued: 0 });
    expect(l.kv("h1", "al")).toBeUndefined();
  });
});

describe("failure messages", () => {
  it("a failed loop item is named in the host's failure", async () => {
    const l = lab();
    const t = task("cmd", { cmd: 'test "{{ item.name }}" != b' }, { name: "Check users", loop: [{ name: "a" }, { name: "b" }], changedWhen: ["false"] });
    t.loopLabel = "{{ item.name }}";
    const { summary } = await run(l, play([t]));
    expect(summary.failures[0]!.message).toMatch(/^h1: task 'Check users' \(\/play\/site\.yml:\d+\) failed for item 'b' \(rc 1\): exit code 1$/);
  });
});

describe("meta: end_play", () => {
  it("ends the play for every host, including later serial batches; the next play runs", async () => {
    const l = lab(["h1", "h2", "h3"]);
    const p1 = play([task("meta", { action: "end_play" }, { when: ["inventory_hostname == 'h1'"] }), task("kv", { key: "p1", value: "1" })], { serial: [1] });
    const p2 = play([task("kv", { key: "p2", value: "1" })], { name: "second" });
    const { summary } = await run(l, [p1, p2]);
    expect(["h1", "h2", "h3"].map((h) => l.kv(h, "p1"))).toEqual([undefined, undefined, undefined]);
    expect(["h1", "h2", "h3"].map((h) => l.kv(h, "p2"))).toEqual(["1", "1", "1"]);
    expect(summary.failed).toEqual([]);
  });

  it("with strategy linear, the other hosts stop before their next task", async () => {
    const l = lab(["h1", "h2"]);
    const p = play(
      [
        task("kv", { key: "a", value: "1" }),
        task("meta", { action: "end_play" }, { when: ["inventory_hostname == 'h2'"] }),
        task("kv", { key: "b", value: "1" }),
      ],
      { strategy: "linear" },
    );
    await run(l, p);
    expect(["h1", "h2"].map((h) => [l.kv(h, "a"), l.kv(h, "b")])).toEqual([
      ["1", undefined],
      ["1", undefined],
    ]);
  });
});

describe("hostvars", () => {
  it("hostvars of another host carry its facts and its set_fact/register results, not only inventory vars", async () => {
    const l = lab(["h1", "h2"], { h2: { role_name: "db" } });
    const p = play(
      [
        task("set", { color: "{{ inventory_hostname }}-blue" }),
        task("cmd", { cmd: "echo out-{{ inventory_hostname }}" }, { register: "out", changedWhen: ["false"] }),
        task(
          "kv",
          {
            key: "peer",
            value:
              "{{ hostvars['h2'].role_name }} {{ hostvars['h2'].color }} {{ hostvars['h2'].out.stdout | trim }} {{ hostvars['h2'].ansible_facts.hostname is defined }}",
          },
          { when: ["inventory_hostname == 'h1'"] },
        ),
      ],
      { strategy: "linear", gatherFacts: true },
    );
    const { summary } = await run(l, p);
    expect(summary.failures).toEqual([]);
    expect(l.kv("h1", "peer")).toMatch(/^db h2-blue out-h2 [Tt]rue$/);
  });
});

describe("handlers (regression cover)", () => {
  it("run in definition order, not notify order; in check mode they probe and diff but apply nothing", async () => {
    const l = lab();
    const handlers = [task("kv", { key: "h-first", value: "1" }, { name: "first" }), task("kv", { key: "h-second", value: "1" }, { name: "second" })];
    const p = play([task("kv", { key: "a", value: "1" }, { notify: ["second"] }), task("kv", { key: "b", value: "1" }, { notify: ["first"] })], { handlers });
    const checked = await run(l, p, { check: true });
    expect(
      checked
        .results()
        .filter((r) => r.result.handler)
        .map((r) => [r.task.name, r.result.status, r.result.changes[0]?.after]),
    ).toEqual([
      ["first", "changed", "1"],
      ["second", "changed", "1"],
    ]);
    expect([l.kv("h1", "h-first"), l.kv("h1", "h-second"), l.kv("h1", "a")]).toEqual([undefined, undefined, undefined]);
    const real = await run(l, p);
    expect(
      real
        .results()
        .filter((r) => r.result.handler)
        .map((r) => r.task.name),
    ).toEqual(["first", "second"]);
    expect(l.kv("h1", "h-second")).toBe("1");
  });
});

describe("check mode hints", () => {
  it("a task that uses the output of a command check mode did not run is unknown (not failed), saying why and what to do", async () => {
    const l = lab();
    const reader = task("cmd", { cmd: "echo 1.2" }, { name: "Read version", register: "ver", changedWhen: ["false"] });
    const { summary, results } = await run(l, play([reader, task("kv", { key: "v", value: "{{ ver.stdout }}" })]), { check: true });
    expect(results()[1]!.result.status).toBe("unknown");
    expect(results()[1]!.result.msg).toMatch(
      /^unknown in check mode: it reads 'ver', the result of task 'Read version' \(\/play\/site\.yml:\d+\), which check mode did not run; give that task check_mode: false if it only reads/,
    );
    expect(summary.failures).toEqual([]);
    // with check_mode: false the command runs and the next task gets its output
    reader.checkMode = false;
    const again = await run(l, play([reader, task("kv", { key: "v", value: "{{ ver.stdout | trim }}" })]), { check: true });
    expect(again.results().map((r) => r.result.status)).toEqual(["ok", "changed"]);
  });
});

describe("block when", () => {
  it("is applied to each task as it comes (as in Ansible), so a set_fact inside the block can switch off the rest", async () => {
    const l = lab();
    const { results } = await run(
      l,
      play([
        block([task("kv", { key: "a", value: "1" }), task("set", { done: true }), task("kv", { key: "b", value: "1" })], {
          when: ["done is not defined"],
          always: [task("kv", { key: "al", value: "1" })],
        }),
      ]),
    );
    expect(results().map((r) => r.result.status)).toEqual(["changed", "ok", "skipped", "skipped"]);
    expect(results()[2]!.result.reason).toBe("condition false: done is not defined");
    expect([l.kv("h1", "a"), l.kv("h1", "b"), l.kv("h1", "al")]).toEqual(["1", undefined, undefined]);
  });
});
