// Live progress on a TTY at fleet scale: the live region is redrawn by the tick, not once per
// event, so the terminal output grows with the lines that matter, not with hosts × tasks × region.
import { describe, it, expect, afterEach, vi } from "vitest";
import { Progress } from "../../../engine/report/progress.js";
import type { KeelEvent, TaskRef } from "../../../engine/core/events.js";
import { emptyStats } from "../../../engine/core/events.js";

afterEach(() => {
  vi.useRealTimers();
});

const pos = { file: "/play/site.yml", line: 3, col: 7 };
const ref = (i: number): TaskRef => ({ id: `t${i}`, name: `task ${i}`, module: "files.copy", pos, play: "p" });

/** A run of `hosts` hosts × `tasks` tasks; every task of host 0 changes, the rest are ok. */
function feed(p: Progress, hosts: number, tasks: number): void {
  const names = Array.from({ length: hosts }, (_, i) => `lab${String(i + 1).padStart(3, "0")}`);
  const send = (e: KeelEvent) => p.sink(e);
  send({ type: "run.start", playbook: "site.yml", check: false, hosts: names, time: new Date(0).toISOString() });
  send({ type: "play.start", play: "p", pos, hosts: names });
  for (let t = 0; t < tasks; t++) {
    names.forEach((h, i) => {
      send({ type: "task.start", host: h, task: ref(t) });
      send({
        type: "task.result",
        host: h,
        task: ref(t),
        result: { status: i === 0 ? "changed" : "ok", changes: i === 0 ? [{ summary: "content" }] : [], secret: false, durationMs: 1 },
      });
    });
  }
  for (const h of names) send({ type: "host.done", host: h, stats: emptyStats(), roundTrips: 2, durationMs: 5 });
}

const redraws = (out: string) => (out.match(/\x1b\[\d+A\r\x1b\[J/g) ?? []).length;

describe("progress on a TTY with a tick", () => {
  it("redraws the live region per tick, not per event, and still prints every change at once", () => {
    vi.useFakeTimers();
    let out = "";
    const p = new Progress({ isTTY: true, color: false, diff: false, write: (s) => (out += s), tickMs: 250, columns: 120 });
    feed(p, 200, 14); // 5,600 task events
    // nothing was drawn yet, but every changed result is already on the screen
    expect(redraws(out)).toBe(0);
    expect(out.match(/^changed/gm)?.length).toBe(14);
    vi.advanceTimersByTime(250);
    expect(out).toContain("200/200 hosts done");
    vi.advanceTimersByTime(500); // nothing new (same second on the clock): no redraw
    p.finish();
    expect(redraws(out)).toBe(1); // the one clear at finish
    expect(out.length).toBeLessThan(5000);
  });

  it("a line printed meanwhile clears the region, which comes back at the next tick", () => {
    vi.useFakeTimers();
    let out = "";
    const p = new Progress({ isTTY: true, color: false, diff: false, write: (s) => (out += s), tickMs: 250, columns: 120 });
    p.sink({ type: "run.start", playbook: "site.yml", check: false, hosts: ["h1", "h2"], time: new Date(0).toISOString() });
    p.sink({ type: "task.start", host: "h1", task: ref(1) });
    vi.advanceTimersByTime(250);
    expect(out).toContain("0/2 hosts done");
    const before = out.length;
    p.sink({ type: "task.result", host: "h1", task: ref(1), result: { status: "changed", changes: [{ summary: "mode" }], secret: false, durationMs: 1 } });
    const printed = out.slice(before);
    expect(printed).toMatch(/^\x1b\[\d+A\r\x1b\[J/); // region cleared first
    expect(printed).toContain("changed  h1  task 1");
    expect(printed).not.toContain("hosts done"); // not redrawn per line
    vi.advanceTimersByTime(250);
    expect(out.slice(before + printed.length)).toContain("changed 1");
    p.finish();
  });

  it("without a tick (tickMs 0) it redraws on every event, as before", () => {
    let out = "";
    const p = new Progress({ isTTY: true, color: false, diff: false, write: (s) => (out += s), tickMs: 0, columns: 120 });
    feed(p, 5, 2);
    p.finish();
    expect(redraws(out)).toBeGreaterThan(20);
  });
});
