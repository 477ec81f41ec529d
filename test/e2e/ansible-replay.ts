// Checked replay of an Ansible outcome (test/ansible-record.ts): a test states how keel's live
// outcome is compared with Ansible's (`check`), and gets Ansible's side from its recording while the
// key holds. When `check` fails on a recording, the recording is not trusted: Ansible runs live and
// `check` runs again on the live outcome, and the log names the recording file. So a mismatch
// between keel and a recording never passes silently: it passes only if a live Ansible agrees
// with keel, and fails otherwise exactly as it failed before recordings.
import { findRecording, recordingFile, saveRecording } from "../ansible-record.js";

export interface Checked<T> {
  value: T;
  /** "recorded YYYY-MM-DD", "live", or "live: ..." when keel differed from the recording */
  source: string;
}

/** The message of a replay that cannot fall back by itself (its flow has moved on). */
export function replayMismatch(name: string): string {
  return `keel's outcome differs from Ansible's recorded one in ${recordingFile(name)}: re-run with KEEL_ANSIBLE_LIVE=1 to compare with a live Ansible`;
}

/**
 * Ansible's outcome `name` (keyed by `parts`, see recordingKey) that passes `check`: the
 * recording's, else a live one from `live()`. Throws what `check` throws on the live outcome.
 * `check` may run twice (on the recording, then live): it must not change a host.
 */
export async function checkAgainstAnsible<T>(
  name: string,
  parts: Record<string, string>,
  live: () => Promise<T>,
  check: (value: T, source: string) => void | Promise<void>,
): Promise<Checked<T>> {
  const found = findRecording<T>(name, parts);
  let why: string;
  if ("recording" in found) {
    const source = `recorded ${found.recording.recordedAt.slice(0, 10)}`;
    try {
      await check(found.recording.value, source);
      console.log(`ansible ${name}: ${source}`);
      return { value: found.recording.value, source };
    } catch (e) {
      why = `keel differs from the recording ${recordingFile(name)}: ${String((e as Error).message ?? e).split("\n")[0]}`;
    }
  } else why = found.stale;
  const value = await live();
  const saved = saveRecording(name, parts, value);
  console.log(`ansible ${name}: ran live (${why}); outcome kept in ${saved}`);
  const source = "recording" in found ? "live: keel differed from the recording" : "live";
  await check(value, source);
  return { value, source };
}
