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
  // filters keel refused: itertools, Jinja's slice and urlencode, Ansible's size and URL filters
  [
    "[1,2,3] | permutations(2) | list",
    [
      [1, 2],
      [1, 3],
      [2, 1],
      [2, 3],
      [3, 1],
      [3, 2],
    ],
  ],
  [
    "[1,2,3,4] | combinations(r=3) | list",
    [
      [1, 2, 3],
      [1, 2, 4],
      [1, 3, 4],
      [2, 3, 4],
    ],
  ],
  [
    "[1,2,3,4,5,6,7] | slice(3, 'x') | list",
    [
      [1, 2, 3],
      [4, 5, "x"],
      [6, 7, "x"],
    ],
  ],
  ["0 | human_readable", "0.00 Bytes"],
  ["1500 | human_readable", "1.46 KB"],
  ["1048576 | human_readable(unit='M')", "1.00 MB"],
  ["123456789 | human_readable(isbits=True)", "117.74 Mb"],
  ["'1.5 MB' | human_to_bytes", 1572864],
  ["'2 Gb' | human_to_bytes(isbits=True)", 2147483648],
  ["'2.5' | human_to_bytes", 2],
  ["'10' | human_to_bytes('K')", 10240],
  ["'http://user@host.com:8080/p?q=1#f' | urlsplit('hostname')", "host.com"],
  [
    "'https://a:b@Example.COM/x' | urlsplit",
    { fragment: "", hostname: "example.com", netloc: "a:b@Example.COM", password: "b", path: "/x", port: null, query: "", scheme: "https", username: "a" },
  ],
  ["'a b/c&d=é' | urlencode", "a%20b/c%26d%3D%C3%A9"],
  ["{'a': 'b c', 'd': 1} | urlencode", "a=b+c&d=1"],
];

describe("expressions as ansible-core 2.14 evaluates them", () => {
  it.each(ROWS)("{{ %s }}", (expr, want) => expect(renderString(`{{ ${expr} }}`, VARS, pos)).toEqual(want));
  it("a collection-qualified name keel does not have is still refused at load", () =>
    expect(() => renderString("{{ x | community.general.nope }}", VARS, pos)).toThrow(/unknown filter 'nope'/));
});
