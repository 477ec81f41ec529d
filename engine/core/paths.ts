// Where the keel package lives (its playbooks/, inventories/, roles/, schemas/), from the sources or dist/.
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

let root: string | undefined;

/** The folder of keel's package.json, found by walking up from this file. */
export function packageRoot(): string {
  if (root) return root;
  const here = dirname(fileURLToPath(import.meta.url));
  for (let dir = here; ; dir = dirname(dir)) {
    const pj = join(dir, "package.json");
    if (existsSync(pj)) {
      try {
        if ((JSON.parse(readFileSync(pj, "utf8")) as { name?: string }).name === "keel") return (root = dir);
      } catch {
        // not ours; keep going up
      }
    }
    if (dirname(dir) === dir) return (root = resolve(here, "..", ".."));
  }
}

/** A path inside the keel package ("playbooks/baseline.yml"). */
export function packagePath(rel: string): string {
  return join(packageRoot(), rel);
}

let version: string | undefined;

/** keel's version, from its package.json (the one place it is written). */
export function keelVersion(): string {
  if (version) return version;
  const v = (JSON.parse(readFileSync(join(packageRoot(), "package.json"), "utf8")) as { version?: unknown }).version;
  return (version = typeof v === "string" ? v : "0.0.0");
}
