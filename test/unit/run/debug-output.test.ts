// debug's message is the task's output: the result carries it with `show`, and the progress prints
// it even without -v, as Ansible's default callback does; `verbosity: N` skips the task below -v…v.
// The real loader and runner through the local connection (debug runs on the controller only).
import { describe, it, expect } from "vitest";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadPlaybook } from "../../../engine/playbook/index.js";
import { loadInventory, defaultInventoryPath } from "../../../engine/inventory/index.js";
import { runPlaybook } from "../../../engine/run/index.js";
import { registry } from "../../../modules/index.js";
import { Progress } from "../../../engine/report/progress.js";
import type { KeelEvent, TaskResult } from "../../../engine/core/events.js";

const PLAY = `- hosts: localhost
  gather_facts: false
  vars: { who: world, items: [1, 2] }
  tasks:
    - debug: { msg: "hello {{ who }}" }
    - debug: { var: items }
    - debug: { msg: "loud", verbosity: 1 }
`;

async function run(verbosity: number, play = PLAY): Promise<{ results: TaskResult[]; text: string }> {
  const dir = mkdtempSync(join(tmpdir(), "keel-debugout-"));
  writeFileSync(join(dir, "site.yml"), play);
  const plan = loadPlaybook(join(dir, "site.yml"), { registry });
  const inv = await loadInventory([defaultInventoryPath()]);
  let text = "";
  const pr = new Progress({ isTTY: false, color: false, diff: false, verbose: verbosity, write: (t) => (text += t) });
  const results: TaskResult[] = [];
  await runPlaybook(plan, inv, { registry, check: false, diff: false, extraVars: {}, verbosity }, (e: KeelEvent) => {
    pr.sink(e);
    if (e.type === "task.result") results.push(e.result);
  });
  return { results, text };
}

describe("debug output", () => {
  it("is printed without -v; verbosity: 1 skips the task", async () => {
    const { results, text } = await run(0);
    expect(results.map((r) => [r.status, r.show, r.msg])).toEqual([
      ["ok", true, "hello world"],
      ["ok", true, "items: [1,2]"],
      ["skipped", undefined, undefined],
    ]);
    expect(text).toContain("debug  (system.debug debug)\n         hello world\n");
    expect(text).not.toContain("loud");
  });
  it("with -v the verbosity: 1 message is shown", async () => {
    const { results, text } = await run(1);
    expect(results[2]).toMatchObject({ status: "ok", show: true, msg: "loud" });
    expect(text).toContain("         loud\n");
  });
  it("Ansible's play magic variables: ansible_play_hosts(_all), play_hosts, ansible_play_batch, role_names, ansible_version", async () => {
    const play = `- hosts: localhost
  gather_facts: false
  tasks:
    - debug: { msg: "{{ [ansible_play_hosts, ansible_play_hosts_all, play_hosts, ansible_play_batch, role_names] | to_json }}" }
    - debug: { msg: "{{ ansible_version.full is version('2.9', '>=') }} {{ ansible_version.major }}" }
`;
    const { results } = await run(0, play);
    expect(results.map((r) => r.msg)).toEqual(['[["localhost"], ["localhost"], ["localhost"], ["localhost"], []]', "True 2"]);
  });
});
