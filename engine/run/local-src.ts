// A task's controller files (copy's, template's and unarchive's src): found in the task's search
// folders, read once for all hosts, decrypted when vaulted.
import { existsSync, statSync } from "node:fs";
import { isAbsolute, join } from "node:path";
import { readFileBytesCached } from "../core/filecache.js";
import { InputError } from "../core/errors.js";
import type { Task } from "../core/plan.js";
import { decryptLocalFile } from "../vault/keyring.js";
import { localDirError } from "../playbook/localfiles.js";

/** The controller path of a task's `src` (a file or a folder): each search folder's `sub` folder first, then the folder itself. */
export function findLocal(dirs: string[], sub: "files" | "templates", rel: string, task: Task): string {
  const candidates = isAbsolute(rel) ? [rel] : dirs.flatMap((d) => [join(d, sub, rel), join(d, rel)]);
  const found = candidates.find((c) => existsSync(c));
  if (found !== undefined) return found;
  throw new InputError(
    `${sub.replace(/s$/, "")} '${rel}' not found (looked in ${candidates.join(", ")})`,
    task.argsPos,
    `put it in ${join(dirs[0] ?? ".", sub, rel)}`,
  );
}

export function readLocal(dirs: string[], sub: "files" | "templates", rel: string, task: Task, decrypt: boolean): Buffer {
  const c = findLocal(dirs, sub, rel, task);
  if (statSync(c).isDirectory()) throw localDirError(sub, rel, c, task.argPos.src ?? task.argsPos);
  // Read once for all hosts (and tasks) while the file is unchanged.
  const bytes = readFileBytesCached(c);
  // a vault-encrypted file is sent decrypted, as Ansible does (never its ciphertext by accident)
  return decrypt ? decryptLocalFile(bytes, c, task.argsPos) : bytes;
}
