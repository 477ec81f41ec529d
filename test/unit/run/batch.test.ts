// Probe batching framing against the real /bin/sh, and the pure selection helpers.
import { describe, it, expect } from "vitest";
import { execFileSync } from "node:child_process";
import { joinProbes, splitProbes } from "../../../engine/run/batch.js";
import { tagsSelect, serialBatches } from "../../../engine/run/select.js";
import { Lockstep } from "../../../engine/run/lockstep.js";

const sh = (script: string) => execFileSync("/bin/sh", ["-c", script], { encoding: "utf8" });

describe("joinProbes / splitProbes", () => {
  const cases: [string, string, number][] = [
    ["printf 'a\\nb\\n'", "a\nb\n", 0],
    ["printf 'no newline'", "no newline", 0],
    [":", "", 0],
    ["printf '\\n\\n'", "\n\n", 0],
    ["echo before; exit 4", "before\n", 4],
    ["echo on-stderr >&2; echo x; false", "x\n", 1],
    ["cat", "", 0], // stdin is /dev/null: must not hang
    ["printf '@@KEEL-fake-END-0-0@@\\n'", "@@KEEL-fake-END-0-0@@\n", 0],
  ];
  it("gives back each probe's exact stdout and exit code; exit in one probe does not end the batch", () => {
    const { script, nonce } = joinProbes(cases.map((c) => c[0]));
    const out = splitProbes(sh(script), cases.length, nonce);
    expect(out).toEqual(cases.map(([, stdout, rc]) => ({ stdout, rc })));
  });
  it("a cut-short batch is an error, never a silently empty state", () => {
    const { script, nonce } = joinProbes(["echo a", "echo b"]);
    const full = sh(script);
    expect(() => splitProbes(full.slice(0, full.length - 15), 2, nonce)).toThrow(/cut short|missing/);
    expect(() => splitProbes("", 1, nonce)).toThrow(/missing the frame/);
  });
});

describe("tagsSelect", () => {
  const T = (tags: string[], f: { tags?: string[]; skipTags?: string[] }) => tagsSelect(tags, f);
  it.each([
    [[], {}, true],
    [["never"], {}, false],
    [["a"], { tags: ["a"] }, true],
    [["b"], { tags: ["a"] }, false],
    [["always"], { tags: ["a"] }, true],
    [["always"], { tags: ["a"], skipTags: ["always"] }, false],
    [["never", "debug"], { tags: ["debug"] }, true],
    [["never", "debug"], { tags: ["all"] }, false],
    [["a"], { skipTags: ["a"] }, false],
    [[], { tags: ["untagged"] }, true],
    [["a"], { tags: ["untagged"] }, false],
    [["a"], { tags: ["tagged"] }, true],
  ] as [string[], { tags?: string[]; skipTags?: string[] }, boolean][])("%j with %j -> %s", (tags, f, want) => {
    expect(T(tags, f)).toBe(want);
  });
});

describe("serialBatches", () => {
  const h = ["a", "b", "c", "d", "e"];
  it.each([
    [undefined, [["a", "b", "c", "d", "e"]]],
    [[2], [["a", "b"], ["c", "d"], ["e"]]],
    [
      [1, 3],
      [["a"], ["b", "c", "d"], ["e"]],
    ],
    [["40%"], [["a", "b"], ["c", "d"], ["e"]]],
    [["10%"], [["a"], ["b"], ["c"], ["d"], ["e"]]],
    [[0], [["a", "b", "c", "d", "e"]]],
  ] as [(number | string)[] | undefined, string[][]][])("%j", (serial, want) => {
    expect(serialBatches(h, serial)).toEqual(want);
  });
});

describe("Lockstep", () => {
  it("opens when every remaining party arrived, and a leaver is not waited for", async () => {
    const l = new Lockstep(3);
    const seen: string[] = [];
    const a = l.arrive().then(() => seen.push("a"));
    const b = l.arrive().then(() => seen.push("b"));
    await Promise.resolve();
    expect(seen).toEqual([]);
    l.leave();
    await Promise.all([a, b]);
    expect(seen.sort()).toEqual(["a", "b"]);
    // next generation with 2 parties
    let opened = false;
    const c = l.arrive().then(() => (opened = true));
    await Promise.resolve();
    expect(opened).toBe(false);
    await Promise.all([l.arrive(), c]);
    expect(opened).toBe(true);
  });
});
