// Ansible's side of the e2e tests that compare keel with ansible-playbook, in one place: an
// ansible-playbook run with the JSON callback on one scratch host, the per-task statuses read from
// it, keel's per-task statuses read from its --json report, and AnsibleSteps, which replays a
// test's recorded Ansible outcomes (test/ansible-record.ts) while their key holds and otherwise
// runs each step live and records it.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { expect } from "vitest";
import { findRecording, recordingFile, saveRecording } from "../ansible-record.js";
import { ansibleEnv, keel, PRIVATE_KEY, spawnAsync, type ProcResult, type ScratchHost } from "./lab.js";

/** One host's result of one task in the JSON callback's output: what the module returned. */
export type TaskResult = Record<string, unknown> & { changed?: boolean; failed?: boolean; skipped?: boolean };

/** The JSON callback's output (ANSIBLE_STDOUT_CALLBACK=json). */
export interface PlaybookJson {
  plays: { tasks: { task: { name: string }; hosts: Record<string, TaskResult> }[] }[];
  stats: Record<string, Record<string, number>>;
}

export interface AnsibleRunOptions {
  /** The folder of the run: its inventory file and Ansible's HOME. */
  home: string;
  /** More ansible-playbook arguments (--check, -e k=v ...). */
  extra?: string[];
  /** More environment (on top of ansibleEnv's). */
  env?: Record<string, string>;
  timeoutMs?: number;
}

/**
 * ansible-playbook on one scratch host, as root with the lab's key and the host's own known_hosts
 * checked strictly, the JSON callback on stdout; it must exit 0. Asynchronous (spawnAsync): a long
 * run must not hold the vitest worker's event loop.
 */
export async function ansiblePlaybookJson(h: ScratchHost, playbook: string, opts: AnsibleRunOptions): Promise<PlaybookJson> {
  const inv = join(opts.home, "ansible-inventory.ini");
  writeFileSync(inv, `${h.name} ansible_host=${h.address}\n`);
  const r = await spawnAsync("ansible-playbook", [playbook, "-i", inv, "--private-key", PRIVATE_KEY, "-u", "root", ...(opts.extra ?? [])], {
    encoding: "utf8",
    timeout: opts.timeoutMs ?? 600_000,
    env: ansibleEnv(opts.home, {
      ANSIBLE_SSH_ARGS: `-o UserKnownHostsFile=${h.knownHosts} -o StrictHostKeyChecking=yes`,
      ANSIBLE_STDOUT_CALLBACK: "json",
      ANSIBLE_RETRY_FILES_ENABLED: "0",
      ...opts.env,
    }),
  });
  expect(r.status, `ansible-playbook on ${h.name}: ${r.stdout}\n${r.stderr}`).toBe(0);
  return JSON.parse(r.stdout) as PlaybookJson;
}

/** failed, changed or ok: what most comparisons read of a task's result. */
export const plainStatus = (r: TaskResult): string => (r.failed ? "failed" : r.changed ? "changed" : "ok");
/** failed, skipped, changed or ok: for plays with `when:` that differ between --check and a run. */
export const skippedStatus = (r: TaskResult): string => (r.failed ? "failed" : r.skipped ? "skipped" : r.changed ? "changed" : "ok");

/** Each task's status on `hostName`, by task name, over every play. */
export function ansibleStatuses(json: PlaybookJson, hostName: string, map: (r: TaskResult) => string = plainStatus): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of json.plays) for (const t of p.tasks) if (t.hosts[hostName]) out[t.task.name] = map(t.hosts[hostName]);
  return out;
}

/** One task.result event of keel's --json report (the fields these tests read). */
export interface KeelTaskEvent {
  type: string;
  host: string;
  task: { name: string };
  result: { status: string; resource?: string; msg?: string; changes: { summary: string }[] };
}
export interface KeelReport {
  events: KeelTaskEvent[];
}

/** Each task's status in keel's --json report, by task name (`map` may read more of the result). */
export function keelStatuses(report: KeelReport, map: (e: KeelTaskEvent) => string = (e) => e.result.status): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of report.events) if (e.type === "task.result") out[e.task.name] = map(e);
  return out;
}

let runs = 0;

/** `keel run PLAYBOOK -i <host's inventory> --json <file in dir> ...extra`: the process's result, the report and its text. */
export async function keelRunJson(
  h: ScratchHost,
  playbook: string,
  opts: { dir: string; extra?: string[]; timeoutMs?: number },
): Promise<ProcResult & { report: KeelReport; json: string }> {
  const file = join(opts.dir, `keel-${process.pid}-${++runs}.json`);
  const r = await keel(["run", playbook, "-i", h.inventory, "--json", file, ...(opts.extra ?? [])], { timeoutMs: opts.timeoutMs ?? 300_000 });
  let json = "";
  try {
    json = readFileSync(file, "utf8");
  } catch {
    throw new Error(`keel run wrote no --json report (exit ${r.code}): ${r.stdout}\n${r.stderr}`);
  }
  return { ...r, json, report: JSON.parse(json) as KeelReport };
}

/**
 * A test's Ansible outcomes as named steps, all in one recording: replayed while the recording's
 * key holds (then `replaying` is true and a test starts no host for Ansible), otherwise each step
 * runs live and `save()` (called once every step has run and been checked) records them.
 * `hint` goes into every comparison of keel's live outcome with a step's value: a mismatch with a
 * recording fails naming the file and how to compare with a live Ansible instead.
 */
export class AnsibleSteps<T extends Record<string, unknown>> {
  readonly replaying: boolean;
  readonly source: string;
  readonly hint: string;
  private readonly recorded: Partial<T>;
  private readonly got: Partial<T> = {};

  constructor(
    readonly name: string,
    private readonly parts: Record<string, string>,
  ) {
    const found = findRecording<T>(name, parts);
    this.replaying = "recording" in found;
    this.recorded = "recording" in found ? found.recording.value : {};
    this.source = "recording" in found ? `recorded ${found.recording.recordedAt.slice(0, 10)}` : "live";
    this.hint = this.replaying
      ? `Ansible's side replayed from ${recordingFile(name)}; re-run with KEEL_ANSIBLE_LIVE=1 to compare with a live Ansible`
      : "Ansible's side ran live";
    if (!this.replaying) console.log(`ansible ${name}: runs live (${"stale" in found ? found.stale : ""})`);
  }

  /** The step's recorded value, or `live()`'s (kept for save()). */
  async step<K extends keyof T & string>(key: K, live: () => Promise<T[K]>): Promise<T[K]> {
    if (this.replaying) {
      if (!(key in this.recorded)) throw new Error(`${recordingFile(this.name)} has no step '${key}'; re-run with KEEL_ANSIBLE_RECORD=1 KEEL_ANSIBLE_LIVE=1`);
      return this.recorded[key] as T[K];
    }
    const v = await live();
    this.got[key] = v;
    return v;
  }

  /** A step's value already taken (recorded, or from this run's live step). */
  value<K extends keyof T & string>(key: K): T[K] {
    const v = this.replaying ? this.recorded[key] : this.got[key];
    if (v === undefined) throw new Error(`Ansible step '${key}' of ${this.name} not taken (${this.hint})`);
    return v as T[K];
  }

  /** After a live run: keep every step's outcome (see saveRecording); nothing when replaying. */
  save(): void {
    if (this.replaying) return;
    const saved = saveRecording(this.name, this.parts, this.got as T);
    console.log(`ansible ${this.name}: ran live; outcome kept in ${saved}`);
  }
}
