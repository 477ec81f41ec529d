// Captures real probe output for the files.* fixtures: builds each case's files under a scratch
// root, runs the module's probe with sh, strips the root prefix, and writes the fixture YAML with the
// hand-written expectations from capture-cases.ts. Run as root (cases chown to www-data/daemon):
//   npx tsx test/unit/modules/files.file/capture-fixtures.ts [module/case …]   (default: every case)
import { mkdtempSync, mkdirSync, writeFileSync, symlinkSync, chmodSync, chownSync, rmSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { join, dirname } from "node:path";
import { tmpdir } from "node:os";
import { fileURLToPath } from "node:url";
import { stringify } from "yaml";
import { registry } from "../../../../modules/index.js";
import { EMPTY_FACTS } from "../../../../engine/core/facts.js";
import type { HostModule } from "../../../../engine/core/module.js";
import { CASES } from "./capture-cases.js";

const ids: Record<string, number> = { root: 0, "www-data": 33, daemon: 1 };

/** Removes the scratch root from the output, inside base64 fields (link targets, paths) too. */
function unroot(stdout: string, root: string): string {
  return stdout
    .split("\n")
    .map((line) => {
      const m = /^([A-Za-z0-9_.-]+):b64=(.*)$/.exec(line);
      if (!m) return line.split(root).join("");
      return `${m[1]}:b64=${Buffer.from(Buffer.from(m[2]!, "base64").toString("latin1").split(root).join(""), "latin1").toString("base64")}`;
    })
    .join("\n");
}
const only = process.argv.slice(2);
const cases = only.length ? CASES.filter((c) => only.includes(`${c.module}/${c.name}`)) : CASES;
for (const c of cases) {
  const root = mkdtempSync(join(tmpdir(), "keel-capture-"));
  for (const [p, d] of Object.entries(c.dirs ?? {})) {
    mkdirSync(join(root, p), { recursive: true });
    chmodSync(join(root, p), parseInt(d.mode ?? "0755", 8));
    if (d.owner) chownSync(join(root, p), ids[d.owner]!, ids[d.group ?? d.owner]!);
  }
  for (const [p, f] of Object.entries(c.files ?? {})) {
    mkdirSync(dirname(join(root, p)), { recursive: true });
    writeFileSync(join(root, p), typeof f.content === "string" ? f.content : Buffer.from(f.content));
    chmodSync(join(root, p), parseInt(f.mode ?? "0644", 8));
    if (f.owner) chownSync(join(root, p), ids[f.owner]!, ids[f.group ?? f.owner]!);
  }
  for (const [p, t] of Object.entries(c.links ?? {})) {
    mkdirSync(dirname(join(root, p)), { recursive: true });
    symlinkSync(t.startsWith("/") ? root + t : t, join(root, p));
  }
  const mod = registry.get(c.module) as HostModule;
  const rooted: Record<string, unknown> = { ...c.args };
  for (const k of ["path", "dest", "name"]) if (typeof rooted[k] === "string") rooted[k] = root + rooted[k];
  if (c.module === "files.file" && typeof rooted.src === "string" && (rooted.src as string).startsWith("/")) rooted.src = root + rooted.src;
  const probe = mod.probe(rooted, EMPTY_FACTS);
  const stdout = unroot(execFileSync("sh", ["-c", probe.script], { encoding: "utf8" }), root);
  rmSync(root, { recursive: true, force: true });
  const out: Record<string, unknown> = { description: c.description, args: c.args, probe: { stdout } };
  if (c.state) out.state = c.state;
  out.changes = c.changes;
  if (c.explain) out.explain = c.explain;
  if (c.apply) out.apply = c.apply;
  if (c.diff_error) out.diff_error = c.diff_error;
  const dir = join(dirname(fileURLToPath(import.meta.url)), "..", c.module);
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, `${c.name}.yml`),
    "# probe.stdout captured by running the probe with sh against real files under a scratch root (root prefix removed)\n" + stringify(out, { lineWidth: 0 }),
  );
}
console.log(`wrote ${cases.length} fixtures`);
