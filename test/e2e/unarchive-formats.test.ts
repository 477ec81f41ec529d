// End to end: files.unarchive on .zip, .tar.bz2 and .tar.xz archives (unzip, bzip2 and xz-utils
// installed from the lab's apt repository on a scratch host), through the real `keel run`: each
// format extracted whole (list_files), with exclude, with include, with keep_newer over a newer file
// already there, and skipped by creates; the second run changes nothing. Archives are built here with
// python3's zipfile and tarfile (no zip/bzip2/xz tools needed on the controller). GNU tar recognises
// bzip2 and xz by itself, so Ansible's first tar handler (TarArchive, no compression flag) takes both,
// as keel's does. The same playbook run by ansible-playbook into a sibling folder registered exactly
// what keel registered on the first run (checked on 2026-12-04; two Ansible runs take minutes, too
// long for the suite: test/e2e/unarchive.test.ts keeps the live comparison for tar.gz).
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { describeLab, keel, ssh, startScratchHost, stopScratchHost, type ScratchHost } from "./lab.js";

const FORMATS = ["zip", "tar.bz2", "tar.xz"] as const;
const BASE = "/tmp/ua-fmt";
let dir = "";
let pb = "";
let s: ScratchHost | undefined;

const task = (f: string, name: string, extra: string) =>
  `    - name: ${f} ${name}\n      unarchive: { src: app.${f}, dest: "{{ base }}/${f}/${name}"${extra} }\n      register: r_${f.replace(".", "_")}_${name}\n`;

const PLAY =
  "- hosts: all\n  gather_facts: false\n  tasks:\n" +
  FORMATS.map(
    (f) =>
      task(f, "all", ", list_files: true") +
      task(f, "ex", ', exclude: ["app/sub/b.txt"], list_files: true') +
      task(f, "in", ', include: ["app/a.txt"], list_files: true') +
      task(f, "kn", ", keep_newer: true") +
      task(f, "cr", `, creates: "{{ base }}/${f}/all/app/a.txt"`),
  ).join("") +
  "    - name: show\n      debug:\n        msg: >-\n          {{ {" +
  FORMATS.flatMap((f) =>
    ["all", "ex", "in", "kn", "cr"].map((n) => {
      const v = `r_${f.replace(".", "_")}_${n}`;
      return `'${f} ${n}': [${v}.changed, ${v}.files | default(None), ${v}.handler | default(None)]`;
    }),
  ).join(", ") +
  "} | to_json }}\n";

// python3: zip with a folder entry, a file and a nested file; the same tree as tar.bz2 and tar.xz.
const BUILD = String.raw`
import io, sys, tarfile, time, zipfile, os
os.chdir(sys.argv[1])
files = {"app/a.txt": b"hello\n", "app/sub/b.txt": b"x\n"}
t = int(time.time()) - 86400
with zipfile.ZipFile("app.zip", "w", zipfile.ZIP_DEFLATED) as z:
    for d in ["app/", "app/sub/"]:
        zi = zipfile.ZipInfo(d, time.localtime(t)[:6]); zi.external_attr = (0o40755 << 16) | 0x10; z.writestr(zi, b"")
    for n, b in files.items():
        zi = zipfile.ZipInfo(n, time.localtime(t)[:6]); zi.external_attr = 0o100644 << 16; zi.compress_type = zipfile.ZIP_DEFLATED; z.writestr(zi, b)
for ext, mode in (("tar.bz2", "w:bz2"), ("tar.xz", "w:xz")):
    with tarfile.open("app." + ext, mode) as tf:
        for d in ["app", "app/sub"]:
            ti = tarfile.TarInfo(d); ti.type = tarfile.DIRTYPE; ti.mode = 0o755; ti.mtime = t; tf.addfile(ti)
        for n, b in files.items():
            ti = tarfile.TarInfo(n); ti.size = len(b); ti.mode = 0o644; ti.mtime = t; tf.addfile(ti, io.BytesIO(b))
`;

async function on(cmd: string): Promise<string> {
  const r = await ssh(s!, cmd);
  if (r.code !== 0) throw new Error(`${cmd}: exit ${r.code}: ${r.stderr}`);
  return r.stdout;
}

/** Per format and case, a folder; kn/ gets a NEWER app/a.txt (keep_newer must keep it), the same second in both trees. */
const NEWER = Math.floor(Date.now() / 1000) + 3600;
function prepare(base: string): string {
  return FORMATS.map(
    (f) =>
      `mkdir -p ${base}/${f}/all ${base}/${f}/ex ${base}/${f}/in ${base}/${f}/cr ${base}/${f}/kn/app && printf 'mine\\n' > ${base}/${f}/kn/app/a.txt && touch -d @${NEWER} ${base}/${f}/kn/app/a.txt`,
  ).join(" && ");
}

async function keelRun(base: string, ...extra: string[]): Promise<{ code: number; out: string; show: Record<string, unknown> }> {
  const json = join(dir, `r-${Date.now()}-${Math.random().toString(36).slice(2)}.json`);
  const r = await keel(["run", pb, "-i", s!.inventory, "--limit", s!.name, "-e", `base=${base}`, "--json", json, ...extra]);
  const rep = JSON.parse(readFileSync(json, "utf8")) as { events: { type: string; task: { name: string }; result: { msg?: string } }[] };
  const e = rep.events.find((x) => x.type === "task.result" && x.task.name === "show");
  return { code: r.code, out: `${r.stdout}\n${r.stderr}`, show: e?.result.msg ? (JSON.parse(e.result.msg) as Record<string, unknown>) : {} };
}

// What each run leaves: type, mode and owner of everything below base; size, mtime and content hash
// of the files (a folder's own mtime is when a run created or filled it, which differs between runs).
const tree = (base: string) =>
  on(
    `cd ${base} && find . -mindepth 1 -printf '%P %y %m %u %g ' -exec sh -c 'if [ -f "$1" ]; then printf "%s %s " "$(stat -c %s "$1")" "$(stat -c %Y "$1")"; md5sum < "$1"; else echo -; fi' _ {} \\; | sort`,
  );

describeLab("files.unarchive zip, tar.bz2 and tar.xz on a scratch host", () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "keel-ua-fmt-"));
    mkdirSync(join(dir, "files"));
    execFileSync("python3", ["-c", BUILD, join(dir, "files")]);
    pb = join(dir, "pb.yml");
    writeFileSync(pb, PLAY);
    s = await startScratchHost();
    // unzip, bzip2 and xz-utils come from the lab's apt repository (Debian's own packages)
    await on(
      "apt-get update -qq >/dev/null 2>&1; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq unzip bzip2 xz-utils >/dev/null 2>&1; command -v unzip bzip2 xz",
    );
    await on(`rm -rf ${BASE}-k && ${prepare(`${BASE}-k`)}`);
  }, 180_000);
  afterAll(async () => {
    if (s) await stopScratchHost(s);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("first run extracts (list_files, exclude, include, keep_newer, creates); the second changes nothing", async () => {
    const k1 = await keelRun(`${BASE}-k`);
    expect(k1.code, k1.out).toBe(0);
    for (const f of FORMATS) {
      const handler = f === "zip" ? "ZipArchive" : "TarArchive";
      expect(k1.show[`${f} all`], f).toEqual([true, ["app/", "app/sub/", "app/a.txt", "app/sub/b.txt"], handler]);
      expect(k1.show[`${f} ex`], f).toEqual([true, ["app/", "app/sub/", "app/a.txt"], handler]);
      expect(k1.show[`${f} in`], f).toEqual([true, ["app/a.txt"], handler]);
      expect(k1.show[`${f} cr`], f).toEqual([false, null, null]);
    }
    const before = await tree(`${BASE}-k`);
    const k2 = await keelRun(`${BASE}-k`);
    expect(k2.code, k2.out).toBe(0);
    for (const f of FORMATS) for (const n of ["all", "ex", "in", "cr"]) expect((k2.show[`${f} ${n}`] as unknown[])[0], `${f} ${n}`).toBe(false);
    expect(await tree(`${BASE}-k`)).toBe(before);
    for (const f of FORMATS) {
      // exclude and include did what they say
      // keep_newer: GNU tar keeps the newer file (--keep-newer-files); for zip it only spares a newer file from
      // the comparison, and the extraction the missing members call for is Ansible's `unzip -o`, which replaces it
      expect(await on(`cat ${BASE}-k/${f}/kn/app/a.txt`), f).toBe(f === "zip" ? "hello\n" : "mine\n");
      expect(await on(`cat ${BASE}-k/${f}/all/app/a.txt ${BASE}-k/${f}/all/app/sub/b.txt`)).toBe("hello\nx\n");
      expect(await on(`ls ${BASE}-k/${f}/ex/app/sub 2>/dev/null || true`)).toBe("");
      expect(await on(`ls -A ${BASE}-k/${f}/in/app`)).toBe("a.txt\n");
    }
  }, 240_000);
});
