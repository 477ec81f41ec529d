// busybox's applets as a folder of symlinks (`busybox --install -s`), so a test can run a script
// under busybox sh with PATH set to that folder alone: the snippets must work with busybox's tools
// as well as with coreutils and dash.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";

/** `dir`/bb holding busybox's applets, or undefined when busybox is not installed. */
export function installBusybox(dir: string): string | undefined {
  for (const p of ["/usr/bin/busybox", "/bin/busybox"]) {
    if (!existsSync(p)) continue;
    const bin = join(dir, "bb");
    mkdirSync(bin);
    execFileSync(p, ["--install", "-s", bin]);
    return bin;
  }
  return undefined;
}
