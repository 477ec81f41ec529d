// system.pause is a controller module: it waits and changes nothing; a prompt that waits for a
// person is refused (keel never reads the terminal from a module).
import { describe, it, expect } from "vitest";
import mod, { pauseSeconds } from "../../../../modules/system/pause.js";
import { EMPTY_FACTS } from "../../../../engine/core/facts.js";
import { InputError } from "../../../../engine/core/errors.js";
import { loadPlaybook } from "../../../../engine/playbook/index.js";
import { registry } from "../../../../modules/index.js";
import { mkdtempSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const ctx = { vars: {}, facts: EMPTY_FACTS, check: true, evaluate: () => undefined };

describe("system.pause", () => {
  it.each([
    [{ seconds: 5 }, 5],
    [{ seconds: "7" }, 7],
    [{ minutes: 2 }, 120],
    [{ minutes: "1", prompt: "wait for the LB" }, 60],
    [{ seconds: 0 }, 0],
  ])("%j waits %i s", (a, s) => expect(pauseSeconds(a)).toBe(s));

  it.each([
    [{}, /waits for a person at a terminal/],
    [{ prompt: "Press enter" }, /prompt 'Press enter' waits for a person/],
    [{ seconds: 1, minutes: 1 }, /seconds or minutes, not both/],
    [{ seconds: "1.5" }, /whole number/],
    [{ seconds: -1 }, /whole number/],
    [{ minutes: 6000 }, /more than a day/],
  ])("%j is refused at load", (a, re) => {
    expect(() => mod.validate!(a)).toThrow(InputError);
    expect(() => mod.validate!(a)).toThrow(re);
  });

  it("a templated time is checked when the task runs", () => expect(() => mod.validate!({ seconds: "{{ wait }}" })).not.toThrow());

  it("waits (in check mode too) and changes nothing (the already-converged case: nothing to converge)", async () => {
    expect(await mod.run({ seconds: 1 }, ctx)).toEqual({ changed: false, msg: "Paused for 1 second" });
    expect(await mod.run({ seconds: 0, prompt: "Deploy" }, ctx)).toEqual({ changed: false, msg: "Deploy: Paused for 0 seconds" });
  });
});

describe("pause in a playbook", () => {
  it("pause: seconds=3 (Ansible's short form) loads; pause: prompt=… is refused at load with the file position", () => {
    const dir = mkdtempSync(join(tmpdir(), "keel-pause-"));
    try {
      writeFileSync(join(dir, "ok.yml"), "- hosts: all\n  tasks:\n    - pause: seconds=3\n    - ansible.builtin.pause: { minutes: 1 }\n");
      const plan = loadPlaybook(join(dir, "ok.yml"), { registry });
      expect(plan.plays[0]!.tasks.map((t) => (t as { module: string }).module)).toEqual(["system.pause", "system.pause"]);
      writeFileSync(join(dir, "bad.yml"), "- hosts: all\n  tasks:\n    - pause: prompt=Continue\n");
      let err: InputError | undefined;
      try {
        loadPlaybook(join(dir, "bad.yml"), { registry });
      } catch (e) {
        err = e as InputError;
      }
      expect(err?.message).toMatch(/prompt 'Continue' waits for a person at a terminal/);
      expect(err?.pos?.line).toBe(3);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
