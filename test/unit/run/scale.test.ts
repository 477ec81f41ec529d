// What the runner shares or reuses so a fleet does not pay for the same work once per host and task
// (see test/bench/scale.ts): controller files read once for all hosts but never served stale
// (engine/core/filecache.ts), and
// the per-play variable layer rebuilt when the play or the facts change.
import { describe, it, expect, afterEach } from "vitest";
import { mkdtempSync, mkdirSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runPlaybook, type RunOptions } from "../../../engine/run/index.js";
import { defineModule, type PrepareContext } from "../../../engine/core/module.js";
import { Registry } from "../../../engine/core/registry.js";
import { FakeLab, KV, CMD, SET, task, play, plan, recorder } from "./fakes.js";
import type { Play } from "../../../engine/core/plan.js";

/** test.kvfile: like test.kv, with the value read from a controller file (files/SRC) in prepare. */
const KVFILE = defineModule<{ key: string; src: string; value?: string }, { present: boolean; value: string }>({
  ...KV,
  name: "test.kvfile",
  aliases: ["kvfile"],
  description: "Test double: a key holds the content of a controller file.",
  args: {
    type: "object",
    additionalProperties: false,
    required: ["key", "src"],
    properties: {
      key: { type: "string", description: "key" },
      src: { type: "string", description: "file under files/" },
      value: { type: "string", description: "set by prepare" },
    },
  },
  prepare: (a: { src: string }, ctx: PrepareContext) => ({ ...a, value: ctx.readLocal("files", a.src).toString("utf8") }),
} as never);

const registry = new Registry([CMD, KV, KVFILE, SET]);
const cleanups: (() => void)[] = [];
afterEach(() => {
  while (cleanups.length) cleanups.pop()!();
});

function lab(hosts: string[]): FakeLab {
  const l = new FakeLab(hosts);
  cleanups.push(() => l.cleanup());
  return l;
}

async function run(l: FakeLab, p: Play | Play[]) {
  const rec = recorder();
  const opts: RunOptions = { registry, check: false, diff: false, forks: 50, extraVars: {}, connect: l.connect as RunOptions["connect"] };
  const summary = await runPlaybook(plan(...(Array.isArray(p) ? p : [p])), l.inventory(), opts, rec.sink);
  return { summary, ...rec };
}

describe("controller files shared by the hosts of a run", () => {
  function playDir(): string {
    const d = mkdtempSync(join(tmpdir(), "keel-scale-test-"));
    mkdirSync(join(d, "files"));
    cleanups.push(() => rmSync(d, { recursive: true, force: true }));
    return d;
  }
  function fileTask(dir: string) {
    const t = task("kvfile", { key: "motd", src: "motd.txt" });
    t.searchDirs = [dir];
    return t;
  }

  it("every host gets the file's content", async () => {
    const dir = playDir();
    writeFileSync(join(dir, "files", "motd.txt"), "hello fleet");
    const l = lab(["h1", "h2", "h3"]);
    const { summary } = await run(l, play([fileTask(dir)]));
    expect(summary.failed).toEqual([]);
    for (const h of ["h1", "h2", "h3"]) expect(l.kv(h, "motd")).toBe("hello fleet");
  });

  it("a file edited between two runs in one process is read again, even at the same size", async () => {
    const dir = playDir();
    const f = join(dir, "files", "motd.txt");
    writeFileSync(f, "version 1");
    const old = new Date(Date.now() - 60_000);
    utimesSync(f, old, old);
    const l = lab(["h1", "h2"]);
    await run(l, play([fileTask(dir)]));
    expect(l.kv("h1", "motd")).toBe("version 1");

    // same length, another mtime (both old enough to be kept in memory)
    writeFileSync(f, "version 2");
    const later = new Date(Date.now() - 30_000);
    utimesSync(f, later, later);
    const second = await run(l, play([fileTask(dir)]));
    expect(second.results().map((r) => r.result.status)).toEqual(["changed", "changed"]);
    expect(l.kv("h1", "motd")).toBe("version 2");
    expect(l.kv("h2", "motd")).toBe("version 2");

    // a different length
    writeFileSync(f, "version three");
    await run(l, play([fileTask(dir)]));
    expect(l.kv("h2", "motd")).toBe("version three");
  });

  it("a file that disappears is reported missing, not served from memory", async () => {
    const dir = playDir();
    const f = join(dir, "files", "motd.txt");
    writeFileSync(f, "here");
    const l = lab(["h1"]);
    await run(l, play([fileTask(dir)]));
    rmSync(f);
    const { summary, results } = await run(l, play([fileTask(dir)]));
    expect(summary.failed).toEqual(["h1"]);
    expect(results()[0]!.result.msg).toMatch(/file 'motd.txt' not found/);
  });
});

describe("the per-play variable layer", () => {
  it("follows the play (ansible_play_name) and the facts gathered in a later play", async () => {
    const l = lab(["h1"]);
    const first = play([task("kv", { key: "a", value: "{{ ansible_play_name }} {{ ansible_hostname | default('no facts') }}" })], {
      name: "one",
      gatherFacts: false,
    });
    const second = play([task("kv", { key: "b", value: "{{ ansible_play_name }} {{ ansible_hostname | default('no facts') }}" })], {
      name: "two",
      gatherFacts: true,
      id: "p1",
    });
    const { summary } = await run(l, [first, second]);
    expect(summary.failed).toEqual([]);
    expect(l.kv("h1", "a")).toBe("one no facts");
    expect(l.kv("h1", "b")).toMatch(/^two /);
    expect(l.kv("h1", "b")).not.toBe("two no facts");
  });
});
