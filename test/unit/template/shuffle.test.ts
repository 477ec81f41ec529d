// shuffle(seed=…) is Python's random.Random(seed).shuffle, as Ansible's randomize_list runs it:
// compared with python3 itself, plus the values ansible 2.14 printed by hand
// (ansible localhost -m debug -a "msg={{ … | shuffle(seed=…) }}").
import { describe, it, expect } from "vitest";
import { execFileSync } from "node:child_process";
import { evaluate } from "../../../engine/template/index.js";

const pos = { file: "t.yml", line: 1, col: 1 };
const ev = (text: string, vars: Record<string, unknown> = {}) => evaluate({ text, pos }, vars);
const ALNUM = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ1234567890";

const SEEDS = ["web1.example.com", "x", "ünïcødé", "a".repeat(300), 7, -7, 123456789, 2 ** 40];
const LISTS = [[...ALNUM], [...ALNUM].slice(0, 5)];

/** python3's Random(seed).shuffle of each list for each seed (a fresh Random each), from one python3 run. */
function pythonOrders(cases: [seed: string | number, list: unknown[]][]): unknown[][] {
  const src =
    "import json,sys\nfrom random import Random\nout=[]\nfor seed,l in json.load(sys.stdin):\n    Random(seed).shuffle(l)\n    out.append(l)\nprint(json.dumps(out))";
  return JSON.parse(execFileSync("python3", ["-c", src], { input: JSON.stringify(cases), encoding: "utf8" })) as unknown[][];
}
const CASES = SEEDS.flatMap((seed) => LISTS.map((list): [string | number, unknown[]] => [seed, list]));
const ORDERS = new Map(pythonOrders(CASES).map((order, i) => [JSON.stringify(CASES[i]), order]));
const python = (seed: string | number, list: unknown[]) => ORDERS.get(JSON.stringify([seed, list]))!;

describe("shuffle(seed=…) as Ansible", () => {
  it("the values ansible 2.14 printed", () => {
    expect(ev(`'${ALNUM}' | shuffle(seed='lab901') | join`)).toBe("hdp6fXjuiElFVcKAnNPg5Yo4y1ZG0SUvsQDt3BIreLHkmJzRxCW7baq92TM8wO");
    expect(ev("[1, 2, 3, 4, 5] | shuffle(seed=42)")).toEqual([4, 2, 3, 5, 1]);
  });
  it.each(SEEDS)("python3's order for seed %s", (seed) => {
    const list = LISTS[0]!;
    expect(ev("l | shuffle(seed=s)", { l: list, s: seed })).toEqual(python(seed, list));
    expect(ev("l | shuffle(s)", { l: list.slice(0, 5), s: seed })).toEqual(python(seed, list.slice(0, 5)));
  });
  it("cloudalchemy node_exporter's salt: the same 22 characters on every run, per host", () => {
    const salt = `('${ALNUM}' | shuffle(seed=inventory_hostname) | join)[:22]`;
    expect(ev(salt, { inventory_hostname: "lab901" })).toBe("hdp6fXjuiElFVcKAnNPg5Y");
    expect(ev(salt, { inventory_hostname: "lab901" })).toBe(ev(salt, { inventory_hostname: "lab901" }));
    expect(ev(salt, { inventory_hostname: "lab902" })).not.toBe(ev(salt, { inventory_hostname: "lab901" }));
  });
  it("without a seed (random in Ansible) it is refused, at load and at run time", () => {
    expect(() => ev("[1, 2] | shuffle")).toThrow(/without a seed its order changes on every run/);
    expect(() => ev("[1, 2] | shuffle(seed=s)", { s: "" })).toThrow(/without a seed/);
    expect(() => ev("[1, 2] | shuffle(seed=1.5)")).toThrow(/string or integer seed/);
  });
});
