// The small pure parsers behind INI and YAML inventories, each a table; where Python is installed
// the same inputs are checked against Python's own ast.literal_eval and shlex.split.
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { iniValue } from "../../../engine/inventory/pyliteral.js";
import { expandHostnameRange, expandHostPattern, parseAddress } from "../../../engine/inventory/ranges.js";
import { shlexSplit } from "../../../engine/inventory/shlex.js";
import { resolvePlain11 } from "../../../engine/inventory/yaml11.js";

const PYTHON = existsSync("/usr/bin/python3") ? "/usr/bin/python3" : undefined;
function python(code: string, input: unknown): unknown {
  return JSON.parse(execFileSync(PYTHON!, ["-c", code], { input: JSON.stringify(input), encoding: "utf8" }));
}

const LITERALS: [src: string, value: unknown][] = [
  ["1", 1],
  ["-5", -5],
  ["+7", 7],
  ["1_000", 1000],
  ["0x1f", 31],
  ["0o17", 15],
  ["0b101", 5],
  ["00", 0],
  ["010", "010"],
  ["3.14", 3.14],
  [".5", 0.5],
  ["1e3", 1000],
  ["True", true],
  ["False", false],
  ["None", null],
  ["yes", "yes"],
  ["none", "none"],
  ["'x'", "x"],
  ['"a" "b"', "ab"],
  ["'\\t'", "\t"],
  ["r'\\n'", "\\n"],
  ["'\\x41\\u00e9'", "Aé"],
  ["'''tri'''", "tri"],
  ["[1, 'two', {'k': None}]", [1, "two", { k: null }]],
  ["(1, 2)", [1, 2]],
  ["(1,)", [1]],
  ["()", []],
  ["{}", {}],
  ["[1,]", [1]],
  ["{'a': 1, 'a': 2}", { a: 2 }],
  ["-(1)", -1],
  ["--1", "--1"],
  ["1+2", "1+2"],
  ["a=b", "a=b"],
  ["", ""],
  ["1 2", "1 2"],
  ["foo # c", "foo # c"],
  ["[1, 2] # c", [1, 2]],
  ["f'x'", "f'x'"],
  ["b'x'", "b'x'"],
  ["web server", "web server"],
  [" 1", 1],
];

describe("INI values (Python's ast.literal_eval)", () => {
  it.each(LITERALS)("%j", (src, value) => expect(iniValue(src)).toEqual(value));

  it.skipIf(!PYTHON)("match Python 3 on the whole table", () => {
    const srcs = LITERALS.map(([s]) => s);
    const py = python(
      `import ast, json, sys
out = []
for s in json.load(sys.stdin):
    try:
        v = ast.literal_eval(s.lstrip(" \\t"))
        if isinstance(v, (bytes, complex, set)): v = s
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        v = s
    out.append(v)
print(json.dumps(out))`,
      srcs,
    );
    expect(srcs.map((s) => iniValue(s))).toEqual(py);
  });
});

const SHLEX: [line: string, tokens: string[]][] = [
  ["web1 a=1 b=2", ["web1", "a=1", "b=2"]],
  ["web1 name=\"a b\" x='c d'", ["web1", "name=a b", "x=c d"]],
  ["web1 a=1 # comment", ["web1", "a=1"]],
  ["web1 a=1#c", ["web1", "a=1"]],
  ["web1 a=b\\ c", ["web1", "a=b c"]],
  ['h q="x\\"y" r="a\\b"', ["h", 'q=x"y', "r=a\\b"]],
  ["h e=''", ["h", "e="]],
  ["h ''", ["h", ""]],
  ["  h\ta=1  ", ["h", "a=1"]],
  ["h x=\"'q'\"", ["h", "x='q'"]],
];

describe("INI host lines (Python's shlex.split(comments=True))", () => {
  it.each(SHLEX)("%j", (line, tokens) => expect(shlexSplit(line).map((t) => t.text)).toEqual(tokens));

  it("token offsets point at the token", () => {
    expect(shlexSplit('web1  a="x y" b=2').map((t) => t.start)).toEqual([0, 6, 14]);
  });

  it.skipIf(!PYTHON)("match Python's shlex on the whole table", () => {
    const py = python(
      "import shlex, json, sys\nprint(json.dumps([shlex.split(l, comments=True) for l in json.load(sys.stdin)]))",
      SHLEX.map(([l]) => l),
    );
    expect(SHLEX.map(([l]) => shlexSplit(l).map((t) => t.text))).toEqual(py);
  });

  it("an unclosed quote is an error", () => {
    expect(() => shlexSplit('h a="x')).toThrow(/No closing quotation/);
  });
});

describe("host ranges", () => {
  it.each([
    ["web[01:03].example.com", ["web01.example.com", "web02.example.com", "web03.example.com"]],
    ["web[1:3]", ["web1", "web2", "web3"]],
    ["node[a:c]", ["nodea", "nodeb", "nodec"]],
    ["x[1:9:4]", ["x1", "x5", "x9"]],
    ["r[1:2]-[a:b]", ["r1-a", "r1-b", "r2-a", "r2-b"]],
    ["h[:2]", ["h0", "h1", "h2"]],
    ["h[3:1]", []],
  ])("%s", (pattern, hosts) => expect(expandHostnameRange(pattern)).toEqual(hosts));

  it.each([
    ["web[01:3]", /equal-length/],
    ["web[1:]", /end value/],
    ["web[1]", /begin:end/],
    ["web[b:a]", /begin <= end/],
    ["web[1:3:0]", /zero/],
    ["web[1:3", /not closed/],
  ])("%s is an error", (pattern, msg) => expect(() => expandHostnameRange(pattern)).toThrow(msg));

  it.each([
    ["db1:2222", { host: "db1", port: 2222 }],
    ["[::1]:22", { host: "::1", port: 22 }],
    ["10.0.0.1", { host: "10.0.0.1", port: undefined }],
    ["fe80::1", { host: "fe80::1", port: undefined }],
    ["web[01:03]:22", { host: "web[01:03]", port: 22 }],
  ])("address %s", (a, r) => expect(parseAddress(a, true)).toEqual(r));

  it("a port applies to every host of a range", () => {
    expect(expandHostPattern("web[1:2]:2222")).toEqual({ hosts: ["web1", "web2"], port: 2222 });
  });
});

describe("YAML 1.1 plain scalars (PyYAML)", () => {
  it.each([
    ["yes", true],
    ["No", false],
    ["ON", true],
    ["off", false],
    ["y", "y"],
    ["~", null],
    ["", null],
    ["0x1F", 31],
    ["0b11", 3],
    ["017", 15],
    ["08", "08"],
    ["1_000", 1000],
    ["-1:30", -90],
    ["1e3", "1e3"],
    ["1.0e+3", 1000],
    [".5", 0.5],
    ["+.inf", Infinity],
    ["2001-12-14", "2001-12-14"],
    ["web1", "web1"],
  ])("%j", (src, value) => expect(resolvePlain11(src)).toEqual(value));
});
