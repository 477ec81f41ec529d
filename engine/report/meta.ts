// What produced a report: keel's version and the baseline's git commit. Every report format
// (JSON, HTML, JUnit properties, SARIF, Markdown) carries it, so an auditor can tell which keel
// checked which baseline. Helpers adding report commands: call reportMeta(playbookPath) once and
// put the result in the report.
import { execFileSync } from "node:child_process";
import { dirname, relative } from "node:path";
import { realpathSync, statSync } from "node:fs";
import { keelVersion } from "../core/paths.js";

export interface Baseline {
  /** The git repository's top folder holding the playbook; absent when it is not in a repository. */
  repo?: string;
  /** HEAD's full commit id; absent outside a repository or before the first commit. */
  commit?: string;
  /**
   * A tracked file differs from HEAD (modified or staged), as `git describe --dirty` says. Untracked
   * files do not count: a CI checkout always has some (node_modules/, the report folder, last night's
   * report restored from the cache), and they are not part of the baseline.
   */
  dirty?: boolean;
  /** The playbook, relative to the repository's top folder (or as given outside one). */
  playbook: string;
}

export interface ReportMeta {
  keel_version: string;
  baseline: Baseline;
}

/** Meta for a report checked against `playbook` (a file or folder path; `baseline`: its baselineOf, already read). Never throws. */
export function reportMeta(playbook: string, baseline: Baseline = baselineOf(playbook)): ReportMeta {
  return { keel_version: keelVersion(), baseline };
}

/**
 * The git state of the repository holding `path`: HEAD and whether the tree is dirty, from two git
 * commands. A command that needs it twice (drift: the history key and the report) asks once and
 * passes the answer on (reportMeta's `baseline`).
 */
export function baselineOf(path: string): Baseline {
  let real = path;
  try {
    real = realpathSync(path);
  } catch {
    return { playbook: path };
  }
  const dir = statSync(real).isDirectory() ? real : dirname(real);
  const repo = gitTop(dir);
  if (repo === undefined) return { playbook: path };
  const out: Baseline = { repo, playbook: relative(repo, real) || "." };
  // One command for HEAD and the tree's state: "# branch.oid <id>|(initial)", then one line per
  // modified or staged tracked path (untracked files are not part of the baseline).
  const status = git(dir, ["status", "--porcelain=v2", "--branch", "--untracked-files=no"]);
  if (status === undefined) return out;
  const lines = status.split("\n").filter((l) => l !== "");
  const oid = /^# branch\.oid ([0-9a-f]{40,64})$/m.exec(status)?.[1];
  if (oid) out.commit = oid;
  out.dirty = lines.some((l) => !l.startsWith("# "));
  return out;
}

/** "keel 0.1.0 · baseline 1a2b3c4d5e6f (dirty)" for report headers; "" when the report has no meta. */
export function metaLine(m: Partial<ReportMeta>): string {
  const parts: string[] = [];
  if (m.keel_version) parts.push(`keel ${m.keel_version}`);
  const b = m.baseline;
  if (b) parts.push(b.commit ? `baseline ${b.commit.slice(0, 12)}${b.dirty ? " (dirty)" : ""}` : "baseline not in git");
  return parts.join(" · ");
}

/** Name/value pairs for formats with properties (JUnit): keel_version, baseline_commit, baseline_dirty… */
export function metaProperties(m: Partial<ReportMeta>): [string, string][] {
  const out: [string, string][] = [];
  if (m.keel_version) out.push(["keel_version", m.keel_version]);
  const b = m.baseline;
  if (b) {
    out.push(["baseline_playbook", b.playbook]);
    if (b.commit) out.push(["baseline_commit", b.commit]);
    if (b.dirty !== undefined) out.push(["baseline_dirty", String(b.dirty)]);
  }
  return out;
}

/** The top folder of the git repository holding folder `dir` (real path), or undefined outside one. */
export function gitTop(dir: string): string | undefined {
  const top = git(dir, ["rev-parse", "--show-toplevel"]);
  try {
    return top === undefined ? undefined : realpathSync(top);
  } catch {
    return undefined;
  }
}

function git(cwd: string, args: string[]): string | undefined {
  try {
    return execFileSync("git", args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"], timeout: 10_000 }).trim();
  } catch {
    return undefined;
  }
}
