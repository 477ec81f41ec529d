// Table tests for the safe expression evaluator (when/changed_when/failed_when/until).
import { describe, it, expect } from "vitest";
import { evaluate, isTrue, checkExpr, renderString } from "../../../engine/template/index.js";
import { InputError } from "../../../engine/core/errors.js";

const pos = { file: "site.yml", line: 7, col: 13 };
const e = (text: string) => ({ text, pos });

const VARS = {
  a: 1,
  b: 2,
  s: "Hello",
  yes: "yes",
  empty: "",
  none: null,
  list: [1, 2, 3],
  names: ["web", "db"],
  d: { k: "v", n: { deep: 5 } },
  pkg: "nginx",
  port: 8080,
  flag: true,
  res_changed: { changed: true, failed: false, rc: 0, stdout: "ok\nline2", skipped: false },
  res_failed: { changed: false, failed: true, rc: 2, stdout: "" },
  res_skipped: { changed: false, skipped: true },
  facts: { os_id: "debian", os_version: "12" },
  users: [
    { name: "alice", uid: 1001 },
    { name: "bob", uid: 1002 },
  ],
};

const cases: [string, unknown][] = [
  ["a == 1", true],
  ["a != 1", false],
  ["a < b", true],
  ["a <= 1 and b >= 2", true],
  ["a > b or b > a", true],
  ["not a == 2", true],
  ["not (a == 1)", false],
  ["(not a) == False", true],
  ["not flag", false],
  ["'web' in names", true],
  ["'x' not in names", true],
  ["'ell' in s", true],
  ["'k' in d", true],
  ["undefined_thing is defined", false],
  ["undefined_thing is not defined", true],
  ["undefined_thing is undefined", true],
  ["d.n.deep is defined", true],
  ["d.n.missing is defined", false],
  ["d.missing.deeper is defined", false],
  ["none is none", true],
  ["a is none", false],
  ["res_changed is changed", true],
  ["res_failed is changed", false],
  ["res_failed is failed", true],
  ["res_changed is succeeded", true],
  ["res_failed is not succeeded", true],
  ["res_skipped is skipped", true],
  ["yes | bool", true],
  ["'no' | bool", false],
  ["'True' | bool", true],
  ["list | length", 3],
  ["list | length > 2", true],
  ["names | length == 2 and a == 1", true],
  ["missing | default('x')", "x"],
  ["missing | d(5) + 1", 6],
  ["empty | default('z', true)", "z"],
  ["empty | default('z')", ""],
  ["'42' | int", 42],
  ["'42' | int + 1", 43],
  ["s | lower", "hello"],
  ["s | upper", "HELLO"],
  ["'  pad ' | trim", "pad"],
  ["pkg ~ '-' ~ port", "nginx-8080"],
  ["list[0]", 1],
  ["list[-1]", 3],
  ["list.1", 2],
  ["d['k']", "v"],
  ["users[1].name", "bob"],
  ["users.0.uid", 1001],
  ["facts.os_id == 'debian'", true],
  ["facts.os_version | int >= 12", true],
  ["True", true],
  ["False or None", null],
  ["true and 'x'", "x"],
  ["[1, 2] == [1, 2]", true],
  ["3 in [1, 2, 3]", true],
  ["res_changed.rc == 0", true],
  ["'line2' in res_changed.stdout", true],
  ["res_changed.stdout.splitlines() | length", 2],
  ["s.startswith('He')", true],
  ["d.get('nope', 'dflt')", "dflt"],
  ["names | join(',')", "web,db"],
  ["names | first", "web"],
  ["1.5 * 2", 3],
  ["7 // 2", 3],
  ["{{ a == 1 }}", true],
];

describe("evaluate", () => {
  it.each(cases)("%s", (text, want) => {
    expect(evaluate(e(text), VARS)).toEqual(want);
  });
});

describe("isTrue", () => {
  const truth: [string, boolean][] = [
    ["flag", true],
    ["empty", false],
    ["list", true],
    ["none", false],
    ["'false'", true],
    ["'false' | bool", false],
    ["0", false],
    ["true", true],
  ];
  it.each(truth)("%s -> %s", (text, want) => expect(isTrue(e(text), VARS)).toBe(want));
});

describe("errors", () => {
  const bad: [string, RegExp][] = [
    ["nope == 1", /undefined variable 'nope'/],
    ["d.missing == 1", /undefined variable 'd.missing'/],
    ["users[5].name", /undefined variable 'users\[5\]'/],
    ["s < 3", /cannot compare string with int/],
    ["res_changed is chnged", /unknown test 'chnged', did you mean 'changed'/],
    ["a | lenght", /unknown filter 'lenght', did you mean 'length'/],
    ["a ==", /invalid expression/],
    ["a b", /invalid expression .*unexpected text/],
    ["constructor", /undefined variable 'constructor'/],
    ["s.constructor", /undefined variable 's.constructor'/],
    ["d.__proto__", /undefined variable 'd.__proto__'/],
    ["s.toString()", /unsupported method/],
  ];
  it.each(bad)("%s", (text, re) => {
    let err: unknown;
    try {
      evaluate(e(text), VARS);
    } catch (x) {
      err = x;
    }
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).message).toMatch(re);
    expect((err as InputError).pos).toEqual(pos);
  });

  it("names the variable and suggests a guard", () => {
    try {
      isTrue(e("web_port > 80"), VARS);
      expect.unreachable();
    } catch (x) {
      const err = x as InputError;
      expect(err.message).toBe("undefined variable 'web_port' in `web_port > 80`");
      expect(err.hint).toMatch(/web_port is defined/);
    }
  });

  it("checkExpr rejects templates inside a condition and bad syntax at load", () => {
    expect(() => checkExpr(e('pkg == "{{ x }}"'))).toThrow(/must not contain/);
    expect(() => checkExpr(e("a = 1"))).toThrow(InputError);
    expect(() => checkExpr(e("{{ a == 1 }}"))).not.toThrow();
  });
});

describe("backslashes in string literals", () => {
  // What Ansible 2.14 gives (checked with ansible-playbook): conditions read string literals as
  // Python does; `{{ }}` templates keep every backslash as written.
  const conds: [string, unknown][] = [
    ["'\\d' == '\\\\d'", true], // an unknown escape keeps its backslash
    ["'a\\nb' | length", 3], // \n is a newline
    ["'a\\\\b' | length", 3], // \\ is one backslash
    ["'it\\'s'", "it's"],
    ["s is search('W\\w+')", false],
    ["s is match('H\\w+')", true],
    ["'12' is match('\\d+$')", true],
  ];
  it.each(conds)("condition %s", (text, want) => expect(evaluate(e(text), VARS)).toEqual(want));

  const tpls: [string, unknown][] = [
    ["{{ s | regex_replace('\\s+', '_') }}", "Hello"],
    ["{{ 'a b' | regex_replace('\\s+', '_') }}", "a_b"],
    ["{{ 'a\\nb' }}", "a\\nb"],
    ["{{ 'a\\\\b' }}", "a\\\\b"],
    ["{{ 'Hello World' | regex_replace('(\\w+) (\\w+)', '\\2 \\1') }}", "World Hello"],
    ["x={{ 'web01.example.com' | regex_replace('\\..*$', '') }}", "x=web01"],
    ["{{ 'it\\'s' }}", "it's"],
  ];
  it.each(tpls)("template %s", (tpl, want) => expect(renderString(tpl, VARS, pos)).toEqual(want));
});

describe('a condition written as "{{ x }}" reads the text x gives as the condition (as Ansible 2.14 does)', () => {
  const vars = { s_false: "false", s_False: "False", s_expr: "1 == 1", b_false: false, s_yes: "yes", empty: "" };
  const rows: [string, boolean][] = [
    ["{{ s_false }}", false],
    ["{{ s_False }}", false],
    ["{{ s_expr }}", true],
    ["{{ b_false }}", false],
    ["{{ empty }}", false],
    ["s_false", true], // without braces a non-empty string is true, as in Ansible
  ];
  it.each(rows)("%s -> %s", (text, want) => expect(isTrue(e(text), vars)).toBe(want));
  it("a text that is not an expression is an error that says why", () => {
    expect(() => isTrue(e("{{ s_yes }}"), vars)).toThrow(/undefined variable 'yes' in `yes`; 's_yes' gave the text 'yes'/);
  });
});
