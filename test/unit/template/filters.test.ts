// Table tests for filters, tests, methods and syntax Ansible users write in `{{ }}` and `when:`.
// Every row of ANSIBLE_ROWS was checked against ansible-core 2.14 (`ansible-playbook` with
// `debug: msg="{{ expr }}"` over the same variables): keel gives the value Ansible gives.
import { describe, it, expect } from "vitest";
import { renderString, evaluate, checkExpr, FILTER_NAMES } from "../../../engine/template/index.js";
import { InputError } from "../../../engine/core/errors.js";

import { ANSIBLE_ROWS, VARS, pos } from "./filter-rows.js";

describe("filters, tests and syntax give what Ansible gives", () => {
  it.each(ANSIBLE_ROWS)("{{ %s }}", (expr, want) => expect(renderString(`{{ ${expr} }}`, VARS, pos)).toEqual(want));
});

describe("rendered into text as Ansible renders it", () => {
  const rows: [string, string][] = [
    ["t={{ flag | bool }} n={{ nothing }} l={{ mixed }} d={{ {'k': 'v'} }}", "t=True n= l=[1, 'a', None] d={'k': 'v'}"],
    ["{{ names | to_json }} / {{ 'é' | to_json }}", '["web", "db", "web", "cache"] / "\\u00e9"'],
    ["x={{ s[:5] | lower }}{{ '!' if flag | bool else '?' }}", "x=hello!"],
    ["{{ users | selectattr('state', 'equalto', 'present') | map(attribute='name') | join(', ') }}", "alice, carol"],
    ["{{ d | dict2items | map(attribute='key') | join(' ') }}", "b a c"],
  ];
  it.each(rows)("%s", (tpl, want) => expect(renderString(tpl, { ...VARS, nothing: null }, pos)).toBe(want));
});

describe("extract (as Ansible's)", () => {
  const vars = {
    groups: { web: ["h1", "h2"] },
    hostvars: { h1: { ansible_host: "198.18.0.1", net: { ip: "a" } }, h2: { ansible_host: "198.18.0.2", net: { ip: "b" } } },
  };
  const rows: [string, unknown][] = [
    ["groups['web'] | map('extract', hostvars, 'ansible_host') | join(',')", "198.18.0.1,198.18.0.2"],
    ["groups['web'] | map('extract', hostvars, ['net', 'ip']) | list", ["a", "b"]],
    ["[0, 2] | map('extract', ['x', 'y', 'z']) | list", ["x", "z"]],
  ];
  it.each(rows)("%s", (expr, want) => expect(evaluate({ text: expr, pos }, vars)).toEqual(want));
  it("a missing key names it", () =>
    expect(() => evaluate({ text: "['h3'] | map('extract', hostvars) | list", pos }, vars)).toThrow(/filter 'extract': no \['h3'\] in the container/));
});

describe("Jinja syntax keel reads", () => {
  const rows: [string, unknown][] = [
    ["'a' if zero else 'b'", "b"],
    ["'a' if zero", null],
    ["'a' if zero else 'b' if ver == '12' else 'c'", "b"],
    ["not zero if ver else 5", true],
    ["{'a': {'b': [1, 2]}}", { a: { b: [1, 2] } }],
    ["{'a': 1, 'b': 2}['b']", 2],
    ["(1, 'x')", [1, "x"]],
    ["s[::-1]", "dlroW olleH"],
    ["names[-1:0:-1]", ["cache", "web", "db"]],
    ["'%s=%s' % ('a', 1)", "a=1"],
    ["'{} {name}'.format(1, name='x')", "1 x"],
    ["'ab' * 2", "abab"],
    ["dict(a=1)", { a: 1 }],
  ];
  it.each(rows)("%s", (expr, want) => expect(evaluate({ text: expr, pos }, VARS)).toEqual(want));

  it("a condition written with `when:` habits", () => {
    const vars = {
      ...VARS,
      ansible_facts: { os_family: "Debian" },
      ansible_distribution_major_version: "12",
      groups: { web: ["h1"] },
      inventory_hostname: "h1",
      item: { state: "present" },
    };
    for (const w of [
      "ansible_facts['os_family'] == 'Debian'",
      "ansible_distribution_major_version | int >= 12",
      "inventory_hostname in groups['web']",
      "item.state == 'present'",
      "flag | bool",
      "undefined_x is not defined or undefined_x",
      "not (undefined_x | default(false))",
      "names | length > 0",
      "'web' in names and 'Hello' in s",
      "users | selectattr('admin', 'defined') | selectattr('admin') | list | length == 1",
      "ansible_distribution_major_version is version('11', '>')",
    ]) {
      expect(evaluate({ text: w, pos }, vars), w).toBe(true);
    }
  });
});

describe("what keel does not support fails clearly at the expression", () => {
  const rows: [string, RegExp][] = [
    ["lookup('dig', 'example.org')", /unknown lookup 'dig'/],
    ["query(name)", /takes the lookup's name first, as a string/],
    ["'/etc' is directory", /test 'directory' looks at the controller's files/],
    ["names | sort(reversed=true)", /filter 'sort' has no argument 'reversed' \(it takes reverse, case_sensitive, attribute\)/],
    ["names | map(atribute='x')", /filter 'map' has no argument 'atribute'/],
    ["names | joinn(',')", /unknown filter 'joinn', did you mean 'join'\?/],
    ["a = 1", /'=' is not a comparison \(write '=='\)/],
    ["x[1:2:3:4]", /at most three parts/],
    ["'a' else 'b'", /'else' without 'if'/],
    ["{'a' 1}", /dict literal/],
  ];
  it.each(rows)("%s", (expr, re) => {
    let err: unknown;
    try {
      checkExpr({ text: expr, pos });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).message).toMatch(re);
    expect((err as InputError).pos).toEqual(pos);
  });

  const runtime: [string, RegExp][] = [
    ["users | map(attribute='shell') | list", /filter 'map': an item has no attribute 'shell'/],
    ["users | selectattr('admin') | list", /no attribute 'admin'; test it first: selectattr\('admin', 'defined'\)/],
    ["empty | first", /first item of an empty sequence/],
    ["'pw' | password_hash('blowfish')", /keel computes sha512, sha256 and yescrypt hashes, not 'blowfish'/],
    ["s | regex_replace('(', 'x')", /filter 'regex_replace': invalid regular expression '\('/],
    ["'%s %s' % ('a',)", /not enough arguments/],
    ["d | items2dict", /each item needs 'key' and 'value'/],
    ["o1 | combine(o2, list_merge='merge')", /list_merge is one of/],
    ["'1' is version('2', 'newer')", /unknown operator 'newer'/],
  ];
  it.each(runtime)("%s", (expr, re) => expect(() => evaluate({ text: expr, pos }, VARS)).toThrow(re));
});

it("FILTER_NAMES lists what the brief's playbooks use", () => {
  for (const f of [
    "join",
    "to_json",
    "from_json",
    "dict2items",
    "items2dict",
    "lower",
    "upper",
    "replace",
    "regex_replace",
    "regex_search",
    "split",
    "first",
    "last",
    "unique",
    "sort",
    "min",
    "max",
    "sum",
    "map",
    "select",
    "reject",
    "selectattr",
    "rejectattr",
    "combine",
    "ternary",
    "basename",
    "dirname",
    "quote",
    "b64encode",
    "b64decode",
    "default",
  ]) {
    expect(FILTER_NAMES).toContain(f);
  }
});

// Jinja's Undefined where real roles lean on it (dev-sec os_hardening's minimize_access_fs.yml:
// `mountinfo: "{{ ansible_facts.mounts | selectattr(…) | list | first | default(None) }}"`, then
// `mount.src | default(mountinfo.device, true)`), checked with ansible 2.14 by hand.
describe("first/last of an empty list and default's lazy value, as Jinja", () => {
  const e = (text: string, vars: Record<string, unknown> = {}) => evaluate({ text, pos }, vars);
  it("an empty list's first/last is undefined: default() replaces it, None stays None", () => {
    expect(e("[] | first | default(None)")).toBeNull();
    expect(e("[] | last | default('x')")).toBe("x");
    expect(e("[1, 2] | first | default(None)")).toBe(1);
  });
  it("default's value is evaluated only when chosen", () => {
    const vars = { mount: { src: "devtmpfs", fstype: "" }, mountinfo: null };
    expect(e("mount.src | default(mountinfo.device, true)", vars)).toBe("devtmpfs");
    expect(() => e("mount.fstype | default(mountinfo.fstype, true)", vars)).toThrow(/mountinfo\.fstype/);
    expect(e("nothing | default(None)")).toBeNull();
  });
});
