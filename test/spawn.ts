import { spawn } from "node:child_process";

/**
 * spawnSync's result without blocking the worker: a test file runs in a vitest worker whose RPC
 * calls to the main process time out after 60 s, and a synchronous child that runs longer (an
 * ansible-playbook run under load) holds the worker's event loop past that timeout; vitest then
 * reports "Timeout calling onTaskUpdate" and the run exits 1 with every test passed. Long commands
 * (ansible, ansible-playbook) go through this instead. `env` replaces the environment, as in spawnSync.
 */
export function spawnAsync(
  cmd: string,
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; cwd?: string; input?: string; timeout?: number; encoding?: "utf8"; maxBuffer?: number } = {},
): Promise<{ status: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    const timer = opts.timeout ? setTimeout(() => child.kill("SIGKILL"), opts.timeout) : undefined;
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    child.on("error", (e) => (clearTimeout(timer), reject(e)));
    child.on("close", (status, signal) => (clearTimeout(timer), resolve({ status, signal, stdout, stderr })));
    child.stdin.on("error", () => {});
    child.stdin.end(opts.input ?? "");
  });
}
