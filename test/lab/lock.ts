// The lab lock: one process (or thread) changing the lab at a time. The lock file holds the
// holder's pid and thread id; while it holds the lock the holder touches the file every few
// seconds. A holder whose process is gone is stale at once. A holder in THIS process but another
// thread (vitest's scratch project runs test files in worker threads of one process) is stale once
// its file has not been touched for LOCK_STALE_MS: vitest terminates a file's worker thread after a
// hook timeout, in the middle of whatever it awaited, and the lock it held then stayed taken under a
// live pid for good (2026-12-04: every scratch host start of the suite waited on it for 20 minutes).
import { closeSync, mkdirSync, openSync, readFileSync, statSync, unlinkSync, utimesSync, writeSync } from "node:fs";
import { threadId } from "node:worker_threads";
import { LabError, pidAlive, sleep } from "./util.js";

export const LOCK_STALE_MS = 60_000;
const BEAT_MS = 5_000;

/** The holder a lock file names: "pid" (older files) or "pid thread". */
export function lockHolder(text: string): { pid: number; thread: number } {
  const [pid, thread] = text.trim().split(/\s+/);
  return { pid: Number(pid) || 0, thread: Number(thread ?? 0) || 0 };
}

/** Whether a lock held by `holder`, last touched `ageMs` ago, can be taken over by this thread. */
export function lockStale(
  holder: { pid: number; thread: number },
  ageMs: number,
  me = { pid: process.pid, thread: threadId },
  alive = pidAlive,
  staleMs = LOCK_STALE_MS,
): boolean {
  if (!holder.pid || !alive(holder.pid)) return true;
  if (holder.pid !== me.pid || holder.thread === me.thread) return false;
  return ageMs > staleMs;
}

export async function withLock<T>(state: string, lock: string, fn: () => Promise<T>, timeoutMs = 20 * 60_000, staleMs = LOCK_STALE_MS): Promise<T> {
  mkdirSync(state, { recursive: true });
  const deadline = Date.now() + timeoutMs;
  const mine = `${process.pid} ${threadId}`;
  for (;;) {
    try {
      const fd = openSync(lock, "wx");
      writeSync(fd, mine);
      closeSync(fd);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      let holder;
      let age = 0;
      try {
        holder = lockHolder(readFileSync(lock, "utf8"));
        age = Date.now() - statSync(lock).mtimeMs;
      } catch {
        continue;
      }
      if (lockStale(holder, age, undefined, undefined, staleMs)) {
        try {
          unlinkSync(lock);
        } catch {
          /* someone else removed it */
        }
        continue;
      }
      if (Date.now() > deadline) throw new LabError(`lab is locked by process ${holder.pid} (${lock})`);
      await sleep(250);
    }
  }
  const beat = setInterval(() => {
    try {
      const now = new Date();
      utimesSync(lock, now, now);
    } catch {
      /* gone: the finally below finds it so */
    }
  }, BEAT_MS);
  beat.unref();
  try {
    return await fn();
  } finally {
    clearInterval(beat);
    try {
      if (readFileSync(lock, "utf8").trim() === mine) unlinkSync(lock);
    } catch {
      /* already gone */
    }
  }
}
