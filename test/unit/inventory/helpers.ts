// Shared by the inventory tests: fixture paths, temporary inventories, the Ansible binaries.
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, mkdirSync, writeFileSync, chmodSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "fixtures", "inventories");

export const ANSIBLE_INVENTORY = ["/usr/bin/ansible-inventory"].find((p) => existsSync(p));
export const ANSIBLE = ["/usr/bin/ansible"].find((p) => existsSync(p));

/** Environment for the Ansible CLIs: no warnings on stderr, no cowsay. */
const ANSIBLE_ENV = { ...process.env, ANSIBLE_NOCOWS: "1", ANSIBLE_LOCALHOST_WARNING: "0", ANSIBLE_INVENTORY_UNPARSED_WARNING: "0" };

export function ansibleInventory(args: string[], cwd = FIXTURES): string {
  return execFileSync(ANSIBLE_INVENTORY!, args, { cwd, env: ANSIBLE_ENV, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
}

/** Hosts `ansible -i INV PATTERN --list-hosts` selects, in its order. */
export function ansibleListHosts(inventory: string, pattern: string, cwd = FIXTURES): string[] {
  const out = execFileSync(ANSIBLE!, ["-i", inventory, pattern, "--list-hosts"], {
    cwd,
    env: ANSIBLE_ENV,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "ignore"],
  });
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
