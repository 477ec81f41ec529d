// key=value parsing, Ansible-style coercion and validateArgs (the runner's check after templating).
import { describe, it, expect } from "vitest";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseKeyValue, validateArgs, loadPlaybook } from "../../../engine/playbook/index.js";
import { InputError } from "../../../engine/core/errors.js";
import type { Task } from "../../../engine/core/plan.js";
import { testRegistry } from "./test-registry.js";

const cmd = testRegistry.get("command")!;
const apt = testRegistry.get("apt")!;
const user = testRegistry.get("user")!;

describe("parseKeyValue", () => {
  const cases: [string, Record<string, unknown>][] = [
    ["/usr/bin/make install chdir=/src creates=/usr/bin/app", { cmd: "/usr/bin/make install", chdir: "/src", creates: "/usr/bin/app" }],
    ["chdir=/tmp ls -l", { cmd: "ls -l", chdir: "/tmp" }],
    ["echo a=b", { cmd: "echo a=b" }],
    ["echo \"x  y\" 'z w'", { cmd: "echo \"x  y\" 'z w'" }],
    ["echo {{ msg | default('a b') }} creates=/x", { cmd: "echo {{ msg | default('a b') }}", creates: "/x" }],
  ];
  it.each(cases)("command: %s", (text, want) => expect(parseKeyValue(cmd, text).args).toEqual(want));

  it("plain modules: quoted values and offsets", () => {
    const r = parseKeyValue(apt, 'name="my pkg" state=present');
    expect(r.args).toEqual({ name: "my pkg", state: "present" });
    expect(r.offsets).toEqual({ name: 0, state: 14 });
  });
  it("rejects free text and repeated keys", () => {
    expect(() => parseKeyValue(apt, "nginx")).toThrow(/takes key=value arguments/);
    expect(() => parseKeyValue(apt, "name=a name=b")).toThrow(/given twice/);
    expect(() => parseKeyValue(cmd, 'echo "open')).toThrow(/unterminated double quote/);
  });
});

describe("validateArgs after rendering", () => {
  const pos = (line: number) => ({ file: "site.yml", line, col: 9 });
  it("coerces Ansible spellings in place", () => {
    const args: Record<string, unknown> = { name: "a,b", update_cache: "yes", cache_valid_time: "3600" };
    const out = validateArgs(apt, args, { name: pos(3), update_cache: pos(4) }, pos(2));
    expect(out).toBe(args);
    expect(args).toEqual({ name: "a,b", update_cache: true, cache_valid_time: 3600 });
  });
  it("reports a rendered wrong type at the argument", () => {
    try {
      validateArgs(user, { name: "x", uid: "abc" }, { name: pos(3), uid: pos(4) }, pos(2), "user");
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(InputError);
      expect((e as InputError).message).toBe("argument 'uid' of module 'user' must be integer, got string 'abc'");
      expect((e as InputError).pos).toEqual(pos(4));
    }
  });
  it("a rendered list for a list argument passes", () => {
    expect(() => validateArgs(user, { name: "x", groups: ["a", "b"] }, {}, pos(2))).not.toThrow();
  });
});

describe("YAML 1.1 booleans, as Ansible reads them", () => {
  it("unquoted yes/no are booleans in vars and args, but stay text where a string is wanted", () => {
    const dir = mkdtempSync(join(tmpdir(), "keel-args-"));
    writeFileSync(
      join(dir, "site.yml"),
      "- hosts: all\n  vars: { flag: no, quoted: 'no', on_key: on }\n  tasks:\n    - copy: { dest: /x, content: yes, backup: yes }\n",
    );
    const plan = loadPlaybook(join(dir, "site.yml"), { registry: testRegistry });
    expect(plan.plays[0]!.vars).toEqual({ flag: false, quoted: "no", on_key: true });
    expect((plan.plays[0]!.tasks[0] as Task).args).toEqual({ dest: "/x", content: "yes", backup: true });
  });
});
