// run_once on include_vars: every host of the batch gets the variables, and templates in them are
// rendered with each host's own variables, as on the host that ran the task (Ansible templates
// vars-file values when they are read).
import { describe, it, expect } from "vitest";
import { mkdtempSync, mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadPlaybook } from "../../../engine/playbook/index.js";
import { Registry } from "../../../engine/core/registry.js";
import includeVars from "../../../modules/system/include_vars.js";
import { CMD, KV, SET, runnerHarness } from "./fakes.js";

const { lab, run } = runnerHarness();
const registry = new Registry([CMD, KV, SET, includeVars]);

describe("run_once include_vars", () => {
  it("the adopting hosts template the loaded values with their own variables; a set_fact of the name is not templated", async () => {
    const dir = mkdtempSync(join(tmpdir(), "keel-oncevars-"));
    mkdirSync(join(dir, "vars"));
    writeFileSync(join(dir, "vars", "app.yml"), 'greeting: "hello {{ inventory_hostname }}"\nraw: "{{ \'{{\' }}"\n');
    writeFileSync(
      join(dir, "site.yml"),
      "- hosts: all\n  gather_facts: false\n  tasks:\n    - include_vars: vars/app.yml\n      run_once: true\n" +
        '    - test.kv: { key: greeting, value: "{{ greeting }}" }\n' +
        "    - test.set: { greeting: \"{{ '{{' }} not a template }}\" }\n" +
        '    - test.kv: { key: after, value: "{{ greeting }}" }\n',
    );
    const plays = loadPlaybook(join(dir, "site.yml"), { registry }).plays;
    const l = lab(["h1", "h2"]);
    const { summary } = await run(l, plays, { registry });
    expect(summary.failures).toEqual([]);
    expect([l.kv("h1", "greeting"), l.kv("h2", "greeting")]).toEqual(["hello h1", "hello h2"]);
    expect([l.kv("h1", "after"), l.kv("h2", "after")]).toEqual(["{{ not a template }}", "{{ not a template }}"]);
  });
});
