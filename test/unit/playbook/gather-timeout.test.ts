// gather_timeout as a play keyword: Ansible takes it (an int handed to setup; `ansible-playbook
// --syntax-check` accepts `gather_timeout: 30`), keel refused it at load. It loads as a whole
// number of seconds; a word, 0 or a template stops the load at its position.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadPlaybook } from "../../../engine/playbook/index.js";
import { InputError } from "../../../engine/core/errors.js";
import { testRegistry } from "./test-registry.js";

function load(text: string) {
  const dir = mkdtempSync(join(tmpdir(), "keel-gt-"));
  writeFileSync(join(dir, "site.yml"), text);
  return loadPlaybook(join(dir, "site.yml"), { registry: testRegistry });
}

describe("gather_timeout", () => {
  it("a play's gather_timeout loads, kept as written", () => {
    const plan = load("- hosts: all\n  gather_timeout: 30\n  tasks: []\n- hosts: all\n  gather_timeout: '5'\n  tasks: []\n");
    expect(plan.plays.map((p) => p.gatherTimeout)).toEqual([30, 5]);
  });
  it.each([
    ["soon", 'gather_timeout: must be a whole number, got string "soon"'],
    ["0", "gather_timeout: must be at least 1 second"],
    ['"{{ t }}"', "gather_timeout: a template is not supported here"],
  ])("gather_timeout: %s is refused at 2:19", (v, msg) => {
    try {
      load(`- hosts: all\n  gather_timeout: ${v}\n`);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(InputError);
      expect((e as InputError).message).toContain(msg);
      expect((e as InputError).pos).toMatchObject({ line: 2, col: 19 });
    }
  });
});
