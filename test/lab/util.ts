// Small process and file helpers shared by the lab. The lab runs only as root on the machine that
// hosts it; every command here is spawned without a shell unless a script is explicitly given.
import { spawn, type SpawnOptions } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  input?: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  timeoutMs?: number;
  /** Throw a LabError when the exit code is not 0 (default true). */
  check?: boolean;
}

export class LabError extends Error {
  override name = "LabError";
}

/** The machine's environment with the sbin directories on PATH (ip, debootstrap, chroot live there). */
export function machineEnv(): NodeJS.ProcessEnv {
  const path = (process.env.PATH ?? "/usr/bin:/bin").split(":");
  for (const d of ["/usr/local/sbin", "/usr/sbin", "/sbin"]) if (!path.includes(d)) path.push(d);
  return { ...process.env, PATH: path.join(":") };
}

/** Run a program (no shell) and collect its output. */
export function run(cmd: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const so: SpawnOptions = { cwd: opts.cwd, env: opts.env ?? machineEnv(), stdio: ["pipe", "pipe", "pipe"] };
    const child = spawn(cmd, args, so);
    let stdout = "";
    let stderr = "";
    let timer: NodeJS.Timeout | undefined;
    if (opts.timeoutMs) timer = setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs);
    child.stdout!.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr!.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    child.on("error", (err) => {
      if (timer) clearTimeout(timer);
      reject(new LabError(`cannot run ${cmd}: ${err.message}`));
    });
    child.on("close", (code, signal) => {
      if (timer) clearTimeout(timer);
      const res = { code: code ?? (signal ? 128 + 9 : 1), stdout, stderr };
      if ((opts.check ?? true) && res.code !== 0) {
        reject(new LabError(`${cmd} ${args.join(" ")} exited ${res.code}${signal ? ` (${signal})` : ""}: ${stderr.trim() || stdout.trim()}`));
      } else resolve(res);
    });
    child.stdin!.on("error", () => {});
    child.stdin!.end(opts.input ?? "");
  });
}

/** Run a POSIX sh script on the machine. */
export function sh(script: string, opts: RunOptions = {}): Promise<RunResult> {
  return run("/bin/sh", ["-c", script], opts);
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** The repository root: the nearest ancestor of this file holding keel's package.json. */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, "package.json");
    if (existsSync(pkg)) {
      try {
        if (JSON.parse(readFileSync(pkg, "utf8")).name === "keel") return dir;
      } catch {
        /* keep walking */
      }
    }
    const up = dirname(dir);
    if (up === dir) throw new LabError("cannot find keel's package.json above " + fileURLToPath(import.meta.url));
    dir = up;
  }
}

/** True when a process with this pid exists (zombies included). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Run fn over items with at most `limit` in flight; results keep the input order. */
export async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
