// A batch of Ansible outcomes, one per id (an ansible-inventory call, a pattern, a task...), that a
// unit test compares keel's live outcomes with: replayed from test/recordings/ansible/<name>.json
// while its key holds (test/ansible-record.ts: every input the test names plus the installed
// Ansible), else made by one live run of the Ansible tool. KEEL_ANSIBLE_LIVE=1 always runs it live;
// KEEL_ANSIBLE_RECORD=1 also rewrites the recording.
//
// A recorded outcome keel's outcome differs from is never trusted alone: with onMismatch "live"
// (the default) the batch is run live once and keel is compared with that (a console line names
// the recording); with "fail" (a flow that cannot re-run Ansible after keel acted) the test fails
// naming the recording and how to compare with a live Ansible.
import { isDeepStrictEqual } from "node:util";
import { expect } from "vitest";
import { findRecording, recordingFile, saveRecording } from "../ansible-record.js";
export { debianVersions } from "../ansible-record.js";

export type Outcomes<T> = Record<string, T>;

export class RecordedBatch<T> {
  private replayed?: Promise<{ value: Outcomes<T>; source: string }>;
  private liveRun?: Promise<Outcomes<T>>;

  constructor(
    readonly name: string,
    private readonly parts: () => Record<string, string> | Promise<Record<string, string>>,
    private readonly live: () => Promise<Outcomes<T>>,
    private readonly onMismatch: "live" | "fail" = "live",
  ) {}

  /** The recording's file (for messages). */
  get file(): string {
    return recordingFile(this.name);
  }

  /** Every outcome: recorded while the key holds, else from one live run (kept as saveRecording says); `source` says which. */
  outcomes(): Promise<{ value: Outcomes<T>; source: string }> {
    this.replayed ??= (async () => {
      const parts = await this.parts();
      const found = findRecording<Outcomes<T>>(this.name, parts);
      if ("recording" in found) {
        console.log(`ansible ${this.name}: replayed from ${this.file} (recorded ${found.recording.recordedAt})`);
        return { value: found.recording.value, source: `recorded ${found.recording.recordedAt.slice(0, 10)}` };
      }
      const value = await this.runLive();
      const saved = saveRecording(this.name, parts, value);
      console.log(`ansible ${this.name}: ran live (${found.stale}); outcome kept in ${saved}`);
      return { value, source: "live" };
    })();
    return this.replayed;
  }

  private runLive(): Promise<Outcomes<T>> {
    this.liveRun ??= this.live();
    return this.liveRun;
  }

  /**
   * Ansible's outcome `id`, to compare keel's `actual` with (the caller asserts). A recorded outcome
   * that differs from `actual` (as JSON) is replaced by a live run's (onMismatch "live") or fails
   * the test here, naming the recording (onMismatch "fail").
   */
  async expected(id: string, actual: unknown): Promise<T> {
    const { value, source } = await this.outcomes();
    if (!Object.hasOwn(value, id)) throw new Error(`${this.file} (${source}) has no outcome '${id}'; re-run with KEEL_ANSIBLE_RECORD=1 KEEL_ANSIBLE_LIVE=1`);
    const v = value[id]!;
    if (source === "live" || isDeepStrictEqual(JSON.parse(JSON.stringify(actual ?? null)), v)) return v;
    if (this.onMismatch === "fail") {
      expect(
        actual,
        `keel differs from Ansible's recorded outcome '${id}' in ${this.file}; re-run with KEEL_ANSIBLE_LIVE=1 to compare with a live Ansible`,
      ).toEqual(v);
      return v;
    }
    console.log(`ansible ${this.name}: keel differs from the recorded outcome '${id}' (${this.file}); compared with a live Ansible run instead`);
    const l = await this.runLive();
    if (!Object.hasOwn(l, id)) throw new Error(`the live run of ${this.name} has no outcome '${id}'`);
    return l[id]!;
  }
}
