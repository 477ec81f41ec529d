// The per-host deadline (--host-timeout): a host that accepts the connection and then stalls, or
// never finishes connecting, is reported unreachable with the reason when its deadline passes; the
// other hosts finish, and the stalled host's late work reports nothing more.
import { describe, it, expect } from "vitest";
import type { ExecRequest } from "../../../engine/core/connection.js";
import type { ExecResult } from "../../../engine/core/module.js";
import type { HostSpec } from "../../../engine/core/host.js";
import { FakeConnection, runnerHarness, task, play, type FakeLab } from "./fakes.js";

const { lab, run } = runnerHarness();

/** A connection that answers `answered` round trips, then never answers again (a stopped sshd). */
class StallingConnection extends FakeConnection {
  constructor(
    host: string,
    root: string,
    private readonly answered: number,
  ) {
    super(host, root);
  }
  override exec(req: ExecRequest): Promise<ExecResult> {
    if (this.roundTrips >= this.answered) return new Promise<never>(() => undefined);
    return super.exec(req);
  }
}

const connectStalling = (l: FakeLab, host: string, answered: number | "connect") => async (spec: HostSpec) => {
  if (spec.name !== host) return l.connect(spec);
  if (answered === "connect") return new Promise<never>(() => undefined);
  return new StallingConnection(spec.name, l.dirs.get(spec.name)!, answered);
};

/**
 * The deadline of these tests. The host that does not stall must finish within it too: 3 s was
 * too short on a loaded machine (the suite's other files share 2 cores), and h1 went unreachable.
 */
const DEADLINE_MS = 10_000;

describe("per-host deadline", () => {
  it("a host that stalls after connecting is unreachable once its deadline passes; the others converge", async () => {
    const l = lab(["h1", "stuck"]);
    const t0 = Date.now();
    const { summary, events } = await run(
      l,
      play([task("kv", { key: "a", value: "1" }, { name: "set a" }), task("kv", { key: "b", value: "2" }, { name: "set b" })]),
      {
        hostTimeoutMs: DEADLINE_MS,
        connect: connectStalling(l, "stuck", 1) as never,
      },
    );
    expect(Date.now() - t0).toBeLessThan(30_000); // it ends (a generous bound: it does not hang)
    expect(summary.unreachable).toEqual(["stuck"]);
    expect(summary.failed).toEqual([]);
    expect(l.kv("h1", "a")).toBe("1");
    const f = summary.failures.find((x) => x.host === "stuck")!;
    expect(f.unreachable).toBe("timeout");
    expect(f.message).toMatch(/^stuck: unreachable during task 'set a' \(.*\): timeout: no answer within the per-host deadline of 10 s \(--host-timeout\)/);
    // reported once, and nothing of the stalled host after it
    const stuck = events.filter((e) => "host" in e && e.host === "stuck").map((e) => e.type);
    expect(stuck.filter((t) => t === "host.unreachable")).toHaveLength(1);
    expect(stuck.slice(stuck.indexOf("host.unreachable") + 1)).toEqual(["host.done"]);
  });

  it("a connect that never completes is named as such", async () => {
    const l = lab(["h1", "stuck"]);
    const { summary } = await run(l, play([task("kv", { key: "a", value: "1" })]), {
      hostTimeoutMs: DEADLINE_MS,
      connect: connectStalling(l, "stuck", "connect") as never,
    });
    expect(summary.failures.map((x) => x.message)).toEqual([
      expect.stringMatching(/^stuck: unreachable while connecting: timeout: no answer within the per-host deadline/),
    ]);
    expect(summary.stats.h1!.changed).toBe(1);
  });

  it("no deadline (0 or unset): a slow host is waited for", async () => {
    const l = lab(["h1"]);
    const { summary } = await run(l, play([task("kv", { key: "a", value: "1" })]), { hostTimeoutMs: 0 });
    expect(summary.unreachable).toEqual([]);
    expect(summary.stats.h1!.changed).toBe(1);
  });
});
