// system.reboot can never be "already converged" (it is an action: diff always returns "reboot"),
// so its cases run here instead of through runModuleFixtures, which requires a converged case.
// Same YAML shape as the harness, plus `reconnect: ms` / `reconnect_max: ms` apply steps and
// `reconnect_failures: N` (the first N reconnects throw ConnectionError).
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
  ) {
    super(BASE_FACTS, replies);
  }
  override async reconnect(timeoutMs: number): Promise<void> {
    await super.reconnect(timeoutMs);
    if (this.failures-- > 0) throw new ConnectionError("connection refused", "refused", this.name);
  }
}

describe("system.reboot cases", () => {
  for (const f of readdirSync(dir).filter((x) => x.endsWith(".yml")).sort()) {
    it(f.replace(/\.yml$/, ""), async () => {
      const c = parse(readFileSync(join(dir, f), "utf8"));
      const probe = mod.probe(c.args, BASE_FACTS);
      expect(probe.script).toContain("boot_id");
      const state = probe.parse(c.probe.stdout, 0);
      if (c.state) expect(state).toEqual(c.state);
      const changes = mod.diff(state, c.args, BASE_FACTS);
      expect(changes.length).toBe(c.changes.length);
      c.changes.forEach((w: object, i: number) => expect(changes[i]).toMatchObject(w));
      const host = new FlakyHost(c.replies ?? [], c.reconnect_failures ?? 0);
      if (c.apply_error) {
        await expect(mod.apply(host, c.args, changes, state)).rejects.toThrow(new RegExp(c.apply_error));
        return;
      }
      const res = await mod.apply(host, c.args, changes, state);
      expect(res).toMatchObject({ data: { rebooted: true } });
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
