// An action that never makes the task changed (Change.data { action: true, quiet: true }), as
// Ansible's systemd daemon_reload/daemon_reexec: apply runs it, the task is ok in a run AND in check
// mode (Ansible's check mode does not run it and reports ok); a plain action (restart) stays changed.
import { describe, it, expect } from "vitest";
import { defineModule } from "../../../engine/core/module.js";
import { Registry } from "../../../engine/core/registry.js";
import { buildDriftReport, driftExitCode } from "../../../engine/report/drift/model.js";
import { CMD, KV, SET, play, runnerHarness, task } from "./fakes.js";

const ACT = defineModule<{ quiet: boolean }, Record<string, never>>({
  name: "test.act",
  aliases: ["act"],
  description: "Test double: an action every run; quiet or not.",
  args: { type: "object", additionalProperties: false, required: ["quiet"], properties: { quiet: { type: "boolean", description: "quiet" } } },
  resource: () => "act",
  probe: () => ({ script: "true", parse: () => ({}) }),
  diff: (_s, a) => [{ summary: "reload", field: "reload", data: a.quiet ? { action: true, quiet: true } : { action: true } }],
  apply: async (host, a) => {
    await host.run(`echo ran >> "$ROOT/ran"`);
    return a.quiet ? { changed: false } : undefined;
  },
});

const { lab, run } = runnerHarness();
const registry = new Registry([CMD, KV, SET, ACT]);

describe("quiet actions", () => {
  it("check mode: a task whose only change is a quiet action is ok, and nothing runs", async () => {
    const l = lab();
    const { results } = await run(l, play([task("act", { quiet: true }), task("act", { quiet: false })]), { check: true, registry });
    expect(results().map((r) => r.result.status)).toEqual(["ok", "changed"]);
    expect(results()[0]!.result.changes.map((c) => c.summary)).toEqual(["reload"]);
    expect(l.conn("h1").log.some((e) => e.command.includes("echo ran"))).toBe(false);
  });

  it("keel drift: a host whose only changes are actions (quiet or not) is in sync, exit 0", async () => {
    const l = lab();
    const { events } = await run(l, play([task("act", { quiet: true }), task("act", { quiet: false })]), { check: true, registry });
    const r = buildDriftReport(events, { playbook: "p.yml" });
    expect([r.summary.drifted, r.summary.in_sync, driftExitCode(r, false)]).toEqual([0, 1, 0]);
  });

  it("a run: the quiet action runs and the task is ok", async () => {
    const l = lab();
    const { results } = await run(l, play([task("act", { quiet: true })]), { registry });
    expect(results().map((r) => r.result.status)).toEqual(["ok"]);
    expect(l.conn("h1").log.filter((e) => e.command.includes("echo ran")).length).toBe(1);
  });
});
