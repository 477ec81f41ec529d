// Captures real probe output for the files.unarchive fixtures: builds small archives (tar.gz with
// GNU tar, zip with Info-ZIP) under a scratch folder, runs the module's probe with sh against a
// destination in each case's state, and writes the fixture YAML with the expectations below.
// Needs tar, gzip, zip and unzip:  npx tsx test/unit/modules/files.unarchive/capture-fixtures.ts
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { stringify } from "yaml";
import { registry } from "../../../../modules/index.js";
import { EMPTY_FACTS } from "../../../../engine/core/facts.js";
import type { HostModule } from "../../../../engine/core/module.js";

const root = mkdtempSync(join(tmpdir(), "keel-ua-"));
const sh = (cmd: string) => execFileSync("sh", ["-c", cmd], { cwd: root, encoding: "utf8" });
sh(
  "mkdir -p src/app/sub && printf 'hello\\n' > src/app/a.txt && printf 'x\\n' > src/app/sub/b.txt && touch -d '2026-01-02 03:04:05Z' src/app/a.txt src/app/sub/b.txt src/app/sub src/app",
);
sh("cd src && tar --owner=0 --group=0 -czf ../app.tgz app && zip -qr ../app.zip app");
const tgz = readFileSync(join(root, "app.tgz")).toString("base64");

interface Case {
  name: string;
  description: string;
  args: Record<string, unknown>;
  setup: string;
  changes: unknown[];
  explain?: string;
  result?: unknown;
  apply?: unknown[];
  diff_error?: string;
}
const D = "/srv/www";
const CASES: Case[] = [
  {
    name: "tgz_missing",
    description: "a local tar.gz not yet extracted: tar --diff reports the members missing, apply extracts it from stdin",
    args: { src: "app.tgz", dest: D, archive: tgz },
    setup: "",
    changes: [{ field: "extract" }],
    result: { handler: "TgzArchive", dest: D },
    apply: [{ run_match: '^_ks=\\$\\(mktemp\\) .*cat > "\\$_ks" && \\( cd /srv/www && LC_ALL=C tar --extract -C /srv/www -z -f "\\$_ks" \\)$' }],
  },
  {
    name: "tgz_converged",
    description: "the tar.gz is already extracted (tar --diff is silent): nothing to do",
    args: { src: "app.tgz", dest: D, archive: tgz, list_files: true },
    setup: "tar -xzf app.tgz -C dest",
    changes: [],
    explain: "app.tgz is extracted in /srv/www",
    result: { handler: "TgzArchive", files: ["app/", "app/sub/", "app/sub/b.txt", "app/a.txt"] },
  },
  {
    name: "tgz_mode_attrs",
    description: "extracted, but mode: 0750 is not what the members have: only chmod, no extraction (Mode differs is ignored when mode is set)",
    args: { src: "app.tgz", dest: D, archive: tgz, mode: "0750" },
    setup: "tar -xzf app.tgz -C dest",
    changes: [{ field: "attrs" }],
    apply: [
      {
        run: '_kf=0; for _kp in /srv/www/app /srv/www/app/sub /srv/www/app/sub/b.txt /srv/www/app/a.txt; do [ -L "$_kp" ] || chmod 0750 -- "$_kp" || _kf=1; done; [ "$_kf" = 0 ]',
      },
    ],
  },
  {
    name: "tgz_mtime_differs",
    description: "a member's mtime differs from the archive's: extracted again (Ansible's Mod time differs)",
    args: { src: "app.tgz", dest: D, archive: tgz },
    setup: "tar -xzf app.tgz -C dest && touch -d '2026-02-02 00:00:00Z' dest/app/a.txt",
    changes: [{ field: "extract", before: ["app/a.txt: Mod time differs"] }],
    apply: [{ run_match: "tar --extract" }],
  },
  {
    name: "zip_remote_converged",
    description: "remote_src zip already extracted by unzip: every member matches in type, mtime, size, content, mode and owner",
    args: { src: "/tmp/app.zip", dest: D, remote_src: true },
    setup: "unzip -qo app.zip -d dest",
    changes: [],
    result: { handler: "ZipArchive", src: "/tmp/app.zip" },
  },
  {
    name: "zip_content_differs",
    description: "a zip member with the same size and mtime but other content: extracted again (Ansible's CRC32 check; keel compares with cmp)",
    args: { src: "/tmp/app.zip", dest: D, remote_src: true },
    setup: "unzip -qo app.zip -d dest && printf 'HELLO\\n' > dest/app/a.txt && touch -d '2026-01-02 03:04:05Z' dest/app/a.txt",
    changes: [{ field: "extract", before: ["File app/a.txt differs in content"] }],
    apply: [{ run: '_ks=/tmp/app.zip && unzip -o "$_ks" -d /srv/www' }],
  },
  {
    name: "creates_exists",
    description: "creates names an existing path: skipped, as Ansible",
    args: { src: "/tmp/app.zip", dest: D, remote_src: true, creates: "/srv/www" },
    setup: "",
    changes: [],
    explain: "skipped, since /srv/www exists",
  },
  {
    name: "dest_missing",
    description: "dest is not a directory: Ansible's error",
    args: { src: "/tmp/app.zip", dest: "/srv/nope", remote_src: true },
    setup: "",
    changes: [],
    diff_error: "dest '/srv/nope' must be an existing dir",
  },
];

const mod = registry.get("files.unarchive") as HostModule;
const here = dirname(fileURLToPath(import.meta.url));
for (const c of CASES) {
  sh("rm -rf dest && mkdir dest");
  if (c.setup) sh(c.setup);
  // the probe runs against the scratch folder; the fixture shows the task's own paths
  const real: Record<string, unknown> = { ...c.args };
  real.dest = c.args.dest === D ? join(root, "dest") : join(root, "nope");
  if (typeof c.args.creates === "string") real.creates = join(root, "dest");
  if (c.args.remote_src) real.src = join(root, "app.zip");
  const stdout = execFileSync("sh", ["-c", mod.probe(real, EMPTY_FACTS).script], { encoding: "utf8" });
  const out: Record<string, unknown> = { description: c.description, args: c.args, probe: { stdout }, changes: c.changes };
  for (const k of ["explain", "result", "apply", "diff_error"] as const) if (c[k] !== undefined) out[k] = c[k];
  writeFileSync(
    join(here, `${c.name}.yml`),
    "# probe.stdout captured by running the probe with sh against real archives in a scratch folder\n" + stringify(out, { lineWidth: 0 }),
  );
}
rmSync(root, { recursive: true, force: true });
console.log(`wrote ${CASES.length} fixtures`);
