// Shared by the inventory tests: fixture paths, temporary inventories, the Ansible binaries.
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, mkdirSync, readFileSync, writeFileSync, chmodSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { sha256 } from "../../ansible-record.js";

export const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "fixtures", "inventories");

export const ANSIBLE_INVENTORY = ["/usr/bin/ansible-inventory"].find((p) => existsSync(p));
export const ANSIBLE = ["/usr/bin/ansible"].find((p) => existsSync(p));

/** Environment for the Ansible CLIs: no warnings on stderr, no cowsay. */
const ANSIBLE_SETTINGS = { ANSIBLE_NOCOWS: "1", ANSIBLE_LOCALHOST_WARNING: "0", ANSIBLE_INVENTORY_UNPARSED_WARNING: "0" };
const ANSIBLE_ENV = { ...process.env, ...ANSIBLE_SETTINGS };

/** The CLI module each script imports (test/unit/inventory/ansible-batch.py imports it once). */
const CLI_MODULE: Record<string, string> = { "/usr/bin/ansible-inventory": "ansible.cli.inventory", "/usr/bin/ansible": "ansible.cli.adhoc" };

/**
 * `script ARGS` for each ARGS of `calls`, in one Python process (ansible-batch.py: each call runs the
 * installed script in a forked child, after one import of Ansible's CLI): the stdout of each call,
 * in order, or an Error naming the call and its exit status where execFileSync would throw. The
 * same environment and working directory as each call alone, ~0.5 s of CPU less per call.
 * Asynchronous: a synchronous child of many seconds blocks the test worker's RPC with vitest.
 */
export async function ansibleBatch(script: string, calls: string[][], cwd = FIXTURES): Promise<(string | Error)[]> {
  const python = /^#! *(\S+)/.exec(readFileSync(script, "utf8"))?.[1] ?? "/usr/bin/python3";
  const batch = BATCH_PY;
  const out = await new Promise<string>((resolve, reject) => {
    const child = spawn(python, [batch, script, CLI_MODULE[script]!], { cwd, env: ANSIBLE_ENV, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => (code === 0 ? resolve(stdout) : reject(new Error(`ansible-batch.py ${script} exited ${code}: ${stderr.slice(-2000)}`))));
    child.stdin.on("error", () => undefined); // the script failing early shows in its exit code
    child.stdin.end(JSON.stringify(calls));
  });
  const results = JSON.parse(out) as { rc: number; stdout: string }[];
  if (results.length !== calls.length) throw new Error(`ansible-batch.py returned ${results.length} results for ${calls.length} calls`);
  return results.map((r, i) => (r.rc === 0 ? r.stdout : new Error(`${script} ${calls[i]!.join(" ")} exited ${r.rc}`)));
}

const BATCH_PY = join(dirname(fileURLToPath(import.meta.url)), "ansible-batch.py");

/** A recording's key part: how this harness runs Ansible (ansibleBatch, its environment, ansible-batch.py). */
export const HARNESS = sha256(`${ansibleBatch.toString()}\n${JSON.stringify(ANSIBLE_SETTINGS)}\n${readFileSync(BATCH_PY, "utf8")}`);

/** The hosts `ansible -i INV PATTERN --list-hosts` selects, in its order, for each pattern, in one ansibleBatch (an Error for a call that failed). */
export async function ansibleListHostsBatch(inventory: string, patterns: string[], cwd = FIXTURES): Promise<(string[] | Error)[]> {
  const outs = await ansibleBatch(
    ANSIBLE!,
    patterns.map((p) => ["-i", inventory, p, "--list-hosts"]),
    cwd,
  );
  return outs.map((out) => (out instanceof Error ? out : listedHosts(out)));
}

/** The hosts of `ansible --list-hosts` output: a "hosts (N):" line, then one indented host a line. */
function listedHosts(out: string): string[] {
  return out
    .split("\n")
    .slice(1)
    .map((l) => l.trim())
    .filter(Boolean);
}

/** Writes files (path -> content; a leading "#!" makes it executable) into a fresh temp dir. */
export function tempInventory(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "keel-inv-"));
  for (const [rel, content] of Object.entries(files)) {
    const p = join(dir, rel);
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, content);
    if (content.startsWith("#!")) chmodSync(p, 0o755);
  }
  return dir;
}
