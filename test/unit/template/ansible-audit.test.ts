// Expressions real roles write that keel refused or evaluated differently from ansible-core 2.14
// (each value below is what `ansible-playbook` printed for `debug: msg="{{ expr }}"`, checked
// side by side on this machine): collection-qualified filter, test and lookup names, lookup()'s
// join rule, dict() of pairs, and Jinja's `**`.
import { describe, it, expect } from "vitest";
import { renderString, layerVars } from "../../../engine/template/index.js";

const pos = { file: "site.yml", line: 3, col: 9 };
const VARS = layerVars({ playVars: { users: [{ name: "alice" }, { name: "bob" }], v: "2.1" } });

const ROWS: [string, unknown][] = [
  ["{'a': 1} | ansible.builtin.to_json", '{"a": 1}'],
  ["'yes' | ansible.builtin.bool", true],
  ["[{'a': 1}] | community.general.json_query('[].a')", [1]],
  ["v is ansible.builtin.version('2.0', '>')", true],
  ["'x' is not ansible.builtin.match('y')", true],
  ["lookup('ansible.builtin.items', ['a', 'b'])", "a,b"],
  ["query('ansible.builtin.items', [1])", [1]],
  // lookup() joins with "," only when every value is a string, else the one value or the list
  ["lookup('items', [1, 2])", [1, 2]],
  ["lookup('items', [1])", 1],
  ["lookup('items', users) | map(attribute='name') | list", ["alice", "bob"]],
  [
    "lookup('nested', ['a', 'b'], [1])",
    [
      ["a", 1],
      ["b", 1],
    ],
  ],
  ["lookup('items', ['a'])", "a"],
  // dict() of (key, value) pairs keeps the values
  ["dict([['a', 1], ['b', [2]]])", { a: 1, b: [2] }],
  // Jinja's power operator: tighter than *, grouping to the left
  ["2 ** 10", 1024],
  ["2 ** 3 ** 2", 64],
  ["2 * 3 ** 2", 18],
];

describe("expressions as ansible-core 2.14 evaluates them", () => {
  it.each(ROWS)("{{ %s }}", (expr, want) => expect(renderString(`{{ ${expr} }}`, VARS, pos)).toEqual(want));
  it("a collection-qualified name keel does not have is still refused at load", () =>
    expect(() => renderString("{{ x | community.general.nope }}", VARS, pos)).toThrow(/unknown filter 'nope'/));
});
