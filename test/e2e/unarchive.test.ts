// End to end: files.unarchive through the real `keel run` over SSH against lab03, side by side with
// ansible-playbook (ansible-core on this machine) running the same playbook into a sibling folder:
// the same changed flags on the first and the second run, the same `files` list, and the same
// resulting trees. A local tar.gz (copied up through the probe and apply's stdin) and a remote_src
// tar.gz; --check on a fresh folder predicts the change and extracts nothing. Paths: /tmp/mods-ua-*.
// Ansible's side (what its two runs registered and the tree it left) is replayed from
// test/recordings/ansible/unarchive-runs.json while its key holds (the play, the archive's bytes,
// this harness, the installed Ansible, the lab's tar/gzip/python3); keel always runs live and is
// compared with it exactly as with a live run, and a difference fails naming the recording. The
// archive is built reproducibly (fixed mtimes and owner, gzip without a timestamp) so that its bytes,
// and the extracted times Ansible's tree shows, are the same on every run. KEEL_ANSIBLE_LIVE=1 runs
// Ansible live as before; KEEL_ANSIBLE_RECORD=1 also rewrites the recording.
import { chmodSync, mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { labPackageVersions, sha256 } from "../ansible-record.js";
import { AnsibleSteps } from "./ansible-side.js";
import { describeLab, INVENTORY, INVENTORY_INI, PRIVATE_KEY, keel, ssh, ansibleEnv, spawnAsync } from "./lab.js";

const HOST = "lab03";
const BASE = "/tmp/mods-ua";
let dir = "";
let pb = "";

const PLAY = `- hosts: all
  gather_facts: false
  tasks:
    - name: local
      unarchive: { src: app.tgz, dest: "{{ base }}/local", list_files: true }
      register: loc
    - name: remote
      unarchive: { src: "${BASE}-src/app.tgz", dest: "{{ base }}/remote", remote_src: true, mode: "u=rwX,g=rX,o=" }
      register: rem
    - name: skipped by creates
      unarchive: { src: app.tgz, dest: "{{ base }}/local", creates: "{{ base }}/local/app" }
    - name: show
      debug: { msg: "{{ {'loc': loc.changed, 'files': loc.files, 'handler': loc.handler, 'rem': rem.changed} | to_json }}" }
`;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "keel-ua-e2e-"));
  mkdirSync(join(dir, "files/app/sub"), { recursive: true });
  writeFileSync(join(dir, "files/app/a.txt"), "hello\n");
  writeFileSync(join(dir, "files/app/sub/b.txt"), "x\n");
  for (const d of ["app", "app/sub"]) chmodSync(join(dir, "files", d), 0o755);
  for (const f of ["app/a.txt", "app/sub/b.txt"]) chmodSync(join(dir, "files", f), 0o644);
  // the same bytes on every run (a recording's key part): fixed times and owner, no gzip timestamp
  execFileSync("sh", ["-c", "tar --sort=name --mtime=@1764806400 --owner=0 --group=0 --numeric-owner -cf - app | gzip -n > app.tgz"], {
    cwd: join(dir, "files"),
  });
  pb = join(dir, "pb.yml");
  writeFileSync(pb, PLAY);
  const tgz = readFileSync(join(dir, "files/app.tgz")).toString("base64");
  const r = await ssh(
    HOST,
    `rm -rf ${BASE}-k ${BASE}-a ${BASE}-c ${BASE}-src && mkdir -p ${BASE}-k/local ${BASE}-k/remote ${BASE}-a/local ${BASE}-a/remote ${BASE}-c/local ${BASE}-c/remote ${BASE}-src && echo ${tgz} | base64 -d > ${BASE}-src/app.tgz`,
  );
  expect(r.code, r.stderr).toBe(0);
});

afterAll(async () => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  await ssh(HOST, `rm -rf ${BASE}-k ${BASE}-a ${BASE}-c ${BASE}-src`);
});

async function keelRun(base: string, ...extra: string[]): Promise<{ code: number; out: string; show: Record<string, unknown>; changed: Map<string, string> }> {
  const json = join(dir, `r-${Date.now()}.json`);
  const r = await keel(["run", pb, "-i", INVENTORY, "--limit", HOST, "-e", `base=${base}`, "--json", json, ...extra]);
  const rep = JSON.parse(readFileSync(json, "utf8")) as {
    events: { type: string; host: string; task: { name: string }; result: { status: string; msg?: string } }[];
  };
  const changed = new Map<string, string>();
  let show: Record<string, unknown> = {};
  for (const e of rep.events) {
    if (e.type !== "task.result" || e.host !== HOST) continue;
    changed.set(e.task.name, e.result.status);
    if (e.task.name === "show" && e.result.msg) show = JSON.parse(e.result.msg) as Record<string, unknown>;
  }
  return { code: r.code, out: `${r.stdout}\n${r.stderr}`, show, changed };
}

async function ansibleRun(base: string): Promise<Record<string, unknown>> {
  const r = await spawnAsync("ansible-playbook", [pb, "-i", INVENTORY_INI, "-l", HOST, "-e", `base=${base}`, "--private-key", PRIVATE_KEY, "-u", "root"], {
    encoding: "utf8",
    env: ansibleEnv(dir, { ANSIBLE_STDOUT_CALLBACK: "default", ANSIBLE_RETRY_FILES_ENABLED: "0" }),
  });
  expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
  const m = /"msg": "(\{.*\})"/.exec(r.stdout);
  if (!m) throw new Error(`no show output:\n${r.stdout}`);
  return JSON.parse(JSON.parse(`"${m[1]!}"`) as string) as Record<string, unknown>;
}

// below the two dest folders (their own mtimes are when each run created them)
const tree = async (base: string) => (await ssh(HOST, `cd ${base} && find . -mindepth 2 -printf '%P %y %m %u %g %s %T@\\n' | sort`)).stdout;

describeLab("files.unarchive against ansible-core on a lab host", () => {
  it("extracts, then is ok on the second run, as Ansible; the same files, modes and times", async () => {
    const steps = new AnsibleSteps<{ first: Record<string, unknown>; second: Record<string, unknown>; tree: string }>("unarchive-runs", {
      play: sha256(PLAY),
      archive: sha256(readFileSync(join(dir, "files/app.tgz"))),
      harness: sha256([ansibleRun, ansibleEnv, tree].map((f) => f.toString()).join("\n") + `${HOST} ${BASE}`),
      lab: labPackageVersions(["tar", "gzip", "python3", "python3-minimal"]),
    });
    console.log(`ansible unarchive-runs: ${steps.source}`);
    const k1 = await keelRun(`${BASE}-k`);
    expect(k1.code, k1.out).toBe(0);
    const a1 = await steps.step("first", () => ansibleRun(`${BASE}-a`));
    expect(k1.show, steps.hint).toEqual(a1);
    expect(k1.show).toMatchObject({ loc: true, rem: true, handler: "TgzArchive" });
    expect(k1.changed.get("skipped by creates")).toBe("ok");
    const k2 = await keelRun(`${BASE}-k`);
    expect(k2.code, k2.out).toBe(0);
    const a2 = await steps.step("second", () => ansibleRun(`${BASE}-a`));
    expect(k2.show, steps.hint).toEqual(a2);
    expect(k2.show).toMatchObject({ loc: false, rem: false });
    const mine = await tree(`${BASE}-k`);
    expect(mine, steps.hint).toBe(await steps.step("tree", () => tree(`${BASE}-a`)));
    expect(mine).toContain("remote/app/sub/b.txt f 640 root root 2 ");
    steps.save();
  });

  it("--check on an empty folder predicts the extraction and writes nothing", async () => {
    const c = await keelRun(`${BASE}-c`, "--check");
    expect(c.code, c.out).toBe(0);
    expect(c.changed.get("local")).toBe("changed");
    expect(c.changed.get("remote")).toBe("changed");
    expect(await tree(`${BASE}-c`)).toBe("");
    expect((await ssh(HOST, `ls -A ${BASE}-c/local ${BASE}-c/remote`)).stdout.replace(/\s+/g, " ").trim()).toBe(`${BASE}-c/local: ${BASE}-c/remote:`);
  });

  it("dest that is not a directory fails with Ansible's message", async () => {
    const f = join(dir, "bad.yml");
    writeFileSync(f, `- hosts: all\n  gather_facts: false\n  tasks:\n    - name: bad\n      unarchive: { src: app.tgz, dest: ${BASE}-nope }\n`);
    mkdirSync(join(dir, "files"), { recursive: true });
    const r = await keel(["run", f, "-i", INVENTORY, "--limit", HOST]);
    expect(r.code).toBe(2);
    expect(`${r.stdout}${r.stderr}`).toContain(`dest '${BASE}-nope' must be an existing dir`);
  });
});
