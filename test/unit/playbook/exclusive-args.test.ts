// Arguments that exclude each other (a `not: { required: [a, b] }` in a module's schema) read as
// Ansible's "parameters are mutually exclusive: a|b" at the second one's file:line:col, with a
// hint, never as ajv's raw "must NOT be valid" (issue 16 audit). Every module of the registry that
// uses the pattern has a case here.
import { describe, it, expect, afterAll } from "vitest";
import { mkdtempSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadPlaybook } from "../../../engine/playbook/index.js";
import { InputError } from "../../../engine/core/errors.js";
import { registry } from "../../../modules/index.js";

const dir = mkdtempSync(join(tmpdir(), "keel-exclusive-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
function loadError(task: string): InputError {
  const p = join(dir, `pb${n++}.yml`);
  writeFileSync(p, `- hosts: all\n  tasks:\n    - ${task}\n`);
  try {
    loadPlaybook(p, { registry });
  } catch (e) {
    if (e instanceof InputError) return e;
    throw e;
  }
  throw new Error(`no error for ${task}`);
}

// [module, task text, the message after "file:line:col: ", the hint's start]
const cases: [string, string, string, string][] = [
  [
    "system.command",
    "command: { cmd: ls, argv: [ls] }",
    "3:27: parameters are mutually exclusive: cmd|argv (module 'command')",
    "give only one of 'cmd' or 'argv'",
  ],
  [
    "users.sudoers",
    "sudoers: { name: r, user: a, group: b, commands: ALL }",
    "3:36: parameters are mutually exclusive: user|group (module 'sudoers')",
    "give only one of 'user' or 'group'",
  ],
  [
    "files.lineinfile",
    "lineinfile: { path: /x, line: a, insertafter: EOF, insertbefore: BOF }",
    "3:58: parameters are mutually exclusive: insertafter|insertbefore (module 'lineinfile')",
    "give only one of 'insertafter' or 'insertbefore'",
  ],
  [
    "files.lineinfile",
    "lineinfile: { path: /x, line: a, regexp: '^a', search_string: a }",
    "3:54: parameters are mutually exclusive: regexp|search_string (module 'lineinfile')",
    "give only one of 'regexp' or 'search_string'",
  ],
  [
    "files.blockinfile",
    "blockinfile: { path: /x, block: a, insertafter: EOF, insertbefore: BOF }",
    "3:60: parameters are mutually exclusive: insertafter|insertbefore (module 'blockinfile')",
    "give only one of 'insertafter' or 'insertbefore'",
  ],
  [
    "files.ini_file",
    "ini_file: { path: /x, section: s, option: o, value: a, values: [b] }",
    "3:62: parameters are mutually exclusive: value|values (module 'ini_file')",
    "give only one of 'value' or 'values'",
  ],
  [
    "files.ini_file",
    "ini_file: { path: /x, section: s, option: o, value: a, section_has_values: [{ option: p, value: a, values: [b] }] }",
    "3:62: parameters are mutually exclusive: value|values in 'section_has_values[0]' (module 'ini_file')",
    "give only one of 'value' or 'values'",
  ],
  [
    "system.cron",
    "cron: { name: v, env: true, job: x, insertafter: A, insertbefore: B }",
    "3:59: parameters are mutually exclusive: insertafter|insertbefore (module 'cron')",
    "give only one of 'insertafter' or 'insertbefore'",
  ],
];

describe("mutually exclusive arguments", () => {
  it.each(cases)("%s: %s", (_m, task, msg, hint) => {
    const e = loadError(task);
    expect(`${e.pos?.line}:${e.pos?.col}: ${e.message}`).toBe(msg);
    expect(e.message).not.toMatch(/must NOT be valid/);
    expect(String(e.hint)).toMatch(new RegExp(`^${hint}; see \`keel modules `));
  });

  it("covers every module whose schema has a `not`", () => {
    const users = registry.modules.filter((m) => JSON.stringify(m.args).includes('"not":')).map((m) => m.name);
    expect([...new Set(cases.map((c) => c[0]))].sort()).toEqual([...new Set(users)].sort());
  });
});
