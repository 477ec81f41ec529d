// Inputs that used to crash keel with a stack trace or "internal error" (issue 10 #9) now give a
// clear error: deep YAML nesting, a --history that is a directory or not SQLite (checked before
// any host is touched), string repetition to 2 GB, nested template loops.
import { describe, it, expect, afterAll } from "vitest";
import { mkdtempSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { main } from "../../../engine/cli/main.js";
import { captureIO as io } from "../../capture-io.js";
import { renderText } from "../../../engine/template/index.js";
import { InputError } from "../../../engine/core/errors.js";

const dir = mkdtempSync(join(tmpdir(), "keel-crashes-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
writeFileSync(join(dir, "inv.yml"), "all:\n  hosts:\n    localhost:\n      ansible_connection: local\n");
writeFileSync(join(dir, "pb.yml"), `- hosts: all\n  gather_facts: false\n  tasks:\n    - copy: { dest: ${dir}/out, content: x }\n`);

describe("clear errors instead of crashes", () => {
  it("20,000 nested [ and 3,000 nested mappings in a playbook: exit 1 with an input error", async () => {
    writeFileSync(join(dir, "deep1.yml"), "- hosts: all\n  vars:\n    x: " + "[".repeat(20000) + "]".repeat(20000) + "\n");
    let t = "- hosts: all\n  vars:\n";
    for (let i = 0; i < 3000; i++) t += " ".repeat(4 + i) + "k:\n";
    writeFileSync(join(dir, "deep2.yml"), t);
    for (const f of ["deep1.yml", "deep2.yml"]) {
      const o = io();
      expect(await main(["run", join(dir, f), "-i", join(dir, "inv.yml")], o)).toBe(1);
      expect(o.stderr).toMatch(/^error: .*deep\d\.yml:\d+:\d+: YAML nesting/);
      expect(o.stderr).toMatch(/KEEL_MAX_YAML_DEPTH/);
      expect(o.stderr).not.toMatch(/internal error|RangeError|    at /);
    }
  });

  it("--history that is a directory or not a SQLite file: exit 1 before any host is checked", async () => {
    writeFileSync(join(dir, "notdb"), "just text\n");
    for (const [h, msg] of [
      [tmpdir(), /--history .* is a directory/],
      [join(dir, "notdb"), /--history .*notdb cannot be used as a drift history: file is not a database/],
    ] as const) {
      const o = io();
      expect(await main(["drift", join(dir, "pb.yml"), "-i", join(dir, "inv.yml"), "--history", h], o)).toBe(1);
      expect(o.stderr).toMatch(msg);
      expect(o.stderr).not.toMatch(/internal error|localhost/);
    }
  });

  it("'a' * 2000000000 fails the task with the bound named, not an internal error", async () => {
    writeFileSync(join(dir, "mul.yml"), `- hosts: all\n  gather_facts: false\n  tasks:\n    - copy: { dest: ${dir}/big, content: "{{ 'a' * 2000000000 }}" }\n`);
    const o = io();
    expect(await main(["run", join(dir, "mul.yml"), "-i", join(dir, "inv.yml")], o)).toBe(2);
    const all = o.stdout + o.stderr;
    expect(all).toMatch(/'\*' would build 2000000000 characters/);
    expect(all).toMatch(/KEEL_MAX_TEMPLATE_OUTPUT/);
    expect(all).not.toMatch(/internal error/);
  });

  it("8 nested for-loops stop at the iteration bound", () => {
    let t = "";
    for (let i = 0; i < 8; i++) t += `{% for x${i} in range(10) %}`;
    t += "x";
    for (let i = 0; i < 8; i++) t += "{% endfor %}";
    try {
      renderText(t, {}, "t.j2");
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(InputError);
      expect((e as Error).message).toMatch(/loops ran more than 1000000 iterations/);
      expect((e as Error).message).toMatch(/KEEL_MAX_TEMPLATE_ITERATIONS/);
    }
  });
});
