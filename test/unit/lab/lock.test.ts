// The lab lock (test/lab/lock.ts) survives a worker thread terminated while it holds it, as vitest
// terminates a scratch test file's thread after a hook timeout.
import { describe, it, expect } from "vitest";
import { mkdtempSync, readFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Worker, threadId } from "node:worker_threads";
import { lockHolder, lockStale, withLock } from "../../lab/lock.js";

describe("lab lock", () => {
  it("names its holder by pid and thread; a dead pid is stale at once, this thread's own lock never", () => {
    expect(lockHolder("123 4\n")).toEqual({ pid: 123, thread: 4 });
    expect(lockHolder("123")).toEqual({ pid: 123, thread: 0 });
    const me = { pid: 100, thread: 1 };
    const alive = (pid: number) => pid === 100 || pid === 200;
    expect(lockStale({ pid: 300, thread: 0 }, 0, me, alive)).toBe(true); // process gone
    expect(lockStale({ pid: 200, thread: 5 }, 10 * 60_000, me, alive)).toBe(false); // another live process: its own business
    expect(lockStale({ pid: 100, thread: 1 }, 10 * 60_000, me, alive)).toBe(false); // this thread
    expect(lockStale({ pid: 100, thread: 2 }, 1_000, me, alive)).toBe(false); // a live sibling thread, touched recently
    expect(lockStale({ pid: 100, thread: 2 }, 61_000, me, alive)).toBe(true); // a sibling that stopped touching it
  });

  it("a worker thread terminated while holding the lock does not hold it for good", async () => {
    const dir = mkdtempSync(join(tmpdir(), "keel-lock-"));
    const lock = join(dir, "lock");
    const src = `
      const { parentPort, workerData } = require("node:worker_threads");
      const { writeFileSync } = require("node:fs");
      writeFileSync(workerData.lock, process.pid + " " + require("node:worker_threads").threadId, { flag: "wx" });
      parentPort.postMessage("held");
      setInterval(() => {}, 1000);`;
    const w = new Worker(src, { eval: true, workerData: { lock } });
    await new Promise((r) => w.once("message", r));
    const holder = lockHolder(readFileSync(lock, "utf8"));
    expect(holder.pid).toBe(process.pid);
    expect(holder.thread).not.toBe(threadId);
    await w.terminate(); // as vitest does: the holder's finally never runs
    expect(existsSync(lock)).toBe(true);
    let ran = false;
    await withLock(dir, lock, async () => void (ran = true), 10_000, 500);
    expect(ran).toBe(true);
    expect(existsSync(lock)).toBe(false);
  });
});
