// system.reboot can never be "already converged" (it is an action: diff always returns "reboot"),
// so its cases run here instead of through runModuleFixtures, which requires a converged case.
// Same YAML shape as the harness, plus `reconnect: ms` / `reconnect_max: ms` apply steps and
// `reconnect_failures: N` (the first N reconnects throw ConnectionError, of kind `reconnect_failure`,
// default "refused"). With apply_error, a given `apply` list is checked too (e.g. `apply: []`).
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import mod from "../../../../modules/system/reboot.js";
import { ConnectionError } from "../../../../engine/core/errors.js";
import { BASE_FACTS, RecordingHost } from "../harness.js";

const dir = dirname(fileURLToPath(import.meta.url));

class FlakyHost extends RecordingHost {
  constructor(
    replies: never[],
    private failures: number,
    private failure: "refused" | "hostkey" = "refused",
  ) {
    super(BASE_FACTS, replies);
  }
  override async reconnect(timeoutMs: number): Promise<void> {
    await super.reconnect(timeoutMs);
    // Worded as the ssh transport's reconnect words it once its own timeout is over.
    const why = this.failure === "hostkey" ? "host key mismatch" : `connection refused by ${this.name}`;
    if (this.failures-- > 0)
      throw new ConnectionError(`${this.name} did not come back within ${Math.round(timeoutMs / 1000)} s: ${why}`, this.failure, this.name);
  }
}

describe("system.reboot cases", () => {
  for (const f of readdirSync(dir)
    .filter((x) => x.endsWith(".yml"))
    .sort()) {
    it(f.replace(/\.yml$/, ""), async () => {
      const c = parse(readFileSync(join(dir, f), "utf8"));
      const probe = mod.probe(c.args, BASE_FACTS);
      expect(probe.script).toContain(c.args.boot_time_command ?? "cat /proc/sys/kernel/random/boot_id");
      const state = probe.parse(c.probe.stdout, 0);
      if (c.state) expect(state).toEqual(c.state);
      const changes = mod.diff(state, c.args, BASE_FACTS);
      expect(changes.length).toBe(c.changes.length);
      c.changes.forEach((w: object, i: number) => expect(changes[i]).toMatchObject(w));
      const host = new FlakyHost(c.replies ?? [], c.reconnect_failures ?? 0, c.reconnect_failure);
      if (c.apply_error) {
        await expect(mod.apply(host, c.args, changes, state)).rejects.toThrow(new RegExp(c.apply_error));
        if (!c.apply) return;
      } else {
        const res = await mod.apply(host, c.args, changes, state);
        expect(res).toMatchObject({ data: { rebooted: true, boot_id_before: state.bootId }, msg: expect.stringMatching(/^rebooted in \d+\.\d s/) });
        if (c.boot_id_after) expect(res).toMatchObject({ data: { boot_id_after: c.boot_id_after } });
      }
      expect(host.calls.length, JSON.stringify(host.calls)).toBe(c.apply.length);
      c.apply.forEach((w: Record<string, unknown>, i: number) => {
        const got = host.calls[i] as Record<string, unknown>;
        if ("run" in w) expect(got.run).toBe(w.run);
        else if ("run_match" in w) expect(String(got.run)).toMatch(new RegExp(String(w.run_match)));
        else if ("reconnect" in w) expect(got.reconnect).toBe(w.reconnect);
        else if ("reconnect_max" in w) {
          expect(typeof got.reconnect).toBe("number");
          expect(got.reconnect as number).toBeLessThanOrEqual(w.reconnect_max as number);
          expect(got.reconnect as number).toBeGreaterThan((w.reconnect_max as number) - 5000);
        }
      });
    });
  }
  it("is an action in every case, even before any reboot", () => {
    expect(mod.diff({ bootId: "" }, {}, BASE_FACTS)).toEqual([{ summary: "reboot", field: "reboot", data: { action: true } }]);
  });
});

describe("system.reboot probe", () => {
  // The probe is shell text; run it with /bin/sh here (harmless commands only) to see that any
  // boot_time_command, even a compound one that fails or writes to stderr, yields just its stdout.
  it.each([
    ["printf 'id-1\\n'; echo noise >&2", "id-1"],
    ["cat /nonexistent/boot-id", ""],
    ["echo partial; exit 3", "partial"],
  ])("%s", (cmd, want) => {
    const p = mod.probe({ boot_time_command: cmd }, BASE_FACTS);
    const r = spawnSync("/bin/sh", ["-c", p.script], { encoding: "utf8" });
    expect(r.status).toBe(0);
    expect(r.stderr).toBe("");
    expect(p.parse(r.stdout, r.status ?? 0)).toEqual({ bootId: want });
  });
});
