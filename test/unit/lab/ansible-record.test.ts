import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { findRecording, recordingKey, replayOrRun, saveRecording } from "../../ansible-record.js";

describe("recorded Ansible outcomes (test/ansible-record.ts)", () => {
  let dir = "";
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "keel-rec-"));
    vi.stubEnv("KEEL_ANSIBLE_RECORDINGS", dir);
    vi.stubEnv("KEEL_ANSIBLE_LIVE", "");
    vi.stubEnv("KEEL_ANSIBLE_RECORD", "");
  });
  afterEach(() => {
    vi.unstubAllEnvs();
    rmSync(dir, { recursive: true, force: true });
  });

  it("replays only while every part of the key is the same, and names the parts that changed", () => {
    expect(findRecording("t", { play: "a" })).toEqual({ stale: expect.stringContaining("no recording") });
    expect(saveRecording("t", { play: "a", vars: "1" }, { changed: 3 })).toBe(join(dir, "t.json"));
    const rec = findRecording<{ changed: number }>("t", { play: "a", vars: "1" });
    expect("recording" in rec && rec.recording.value).toEqual({ changed: 3 });
    // the installed Ansible is part of every key
    expect(JSON.parse(readFileSync(join(dir, "t.json"), "utf8")).parts.ansible).toBe(recordingKey("t", {}).parts.ansible);
    expect(findRecording("t", { play: "b", vars: "1" })).toEqual({ stale: expect.stringContaining("play: a -> b") });
    expect(findRecording("t", { play: "a" })).toEqual({ stale: expect.stringContaining("vars: 1 -> -") });
    expect(recordingKey("t", { play: "a" }).key).not.toBe(recordingKey("u", { play: "a" }).key);
  });

  it("KEEL_ANSIBLE_LIVE=1 never replays; a live outcome replaces a recording only with KEEL_ANSIBLE_RECORD=1", async () => {
    saveRecording("t", { play: "a" }, 1);
    vi.stubEnv("KEEL_ANSIBLE_LIVE", "1");
    let runs = 0;
    const live = async () => ++runs + 10;
    expect(await replayOrRun("t", { play: "a" }, live)).toEqual({ value: 11, source: "live" });
    // the committed recording is kept; the live outcome goes beside it in the temp folder
    expect(JSON.parse(readFileSync(join(dir, "t.json"), "utf8")).value).toBe(1);
    expect(existsSync(join(tmpdir(), "keel-recordings", "t.json"))).toBe(true);
    vi.stubEnv("KEEL_ANSIBLE_RECORD", "1");
    expect(await replayOrRun("t", { play: "a" }, live)).toEqual({ value: 12, source: "live" });
    expect(JSON.parse(readFileSync(join(dir, "t.json"), "utf8")).value).toBe(12);
    vi.stubEnv("KEEL_ANSIBLE_LIVE", "");
    expect(await replayOrRun("t", { play: "a" }, live)).toEqual({ value: 12, source: expect.stringMatching(/^recorded \d{4}-\d\d-\d\d$/) });
    expect(runs).toBe(2);
  });

  it("refuses a name that is not a plain file name", () => {
    expect(() => saveRecording("../x", {}, 1)).toThrow(/lower-case letters/);
  });
});
