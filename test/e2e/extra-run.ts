// Shared by the e2e suites of the issue-16 modules (cron, timezone, pam_limits, mount, get_url,
// unarchive, pamd): run a fixture playbook with the real `keel run` against one lab host and read
// its JSON report; check the host independently with the system ssh client.
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { INVENTORY, keel, ROOT, ssh, type ProcResult, type ScratchHost } from "./lab.js";

export const EXTRA = join(ROOT, "test/e2e/fixtures/extra");

export interface Change {
  summary: string;
  field?: string;
}
export interface TaskResult {
  status: string;
  changes: Change[];
  msg?: string;
  reason?: string;
}
interface Report {
  events: { type: string; host: string; task: { name: string }; result: TaskResult }[];
  summary: { hosts: Record<string, { changed: number; failed: number; ok: number }>; failures: { message: string }[] };
}
export interface Run extends ProcResult {
  out: string;
  report: Report;
  /** changed count of the host */
  changed: number;
  result(task: string): TaskResult;
}

let dir = "";
let n = 0;

/** keel run FIXTURE -i INVENTORY --limit HOST --json FILE [...extra]; a scratch host brings its own inventory. */
export async function run(fixture: string, target: string | ScratchHost, ...extra: string[]): Promise<Run> {
  if (!dir) dir = mkdtempSync(join(tmpdir(), "keel-extra-e2e-"));
  const json = join(dir, `${++n}.json`);
  const host = typeof target === "string" ? target : target.name;
  const inv = typeof target === "string" ? INVENTORY : target.inventory;
  const r = await keel(["run", join(EXTRA, fixture), "-i", inv, "--limit", host, "--json", json, ...extra]);
  const out = `${r.stdout}\n${r.stderr}`;
  let report: Report;
  try {
    report = JSON.parse(readFileSync(json, "utf8")) as Report;
  } catch {
    throw new Error(`keel wrote no JSON report (exit ${r.code}):\n${out}`);
  }
  return {
    ...r,
    out,
    report,
    changed: report.summary.hosts[host]?.changed ?? -1,
    result(task: string) {
      const e = report.events.find((x) => x.type === "task.result" && x.host === host && x.task.name === task);
      if (!e) throw new Error(`no result for task '${task}' on ${host}:\n${out}`);
      return e.result;
    },
  };
}

/** A command on the host over SSH (independent of keel); throws on a non-zero exit. */
export async function on(host: string | ScratchHost, cmd: string): Promise<string> {
  const r = await ssh(host, cmd);
  if (r.code !== 0) throw new Error(`ssh ${host} '${cmd}' exited ${r.code}: ${r.stderr}`);
  return r.stdout;
}
