// End to end, on scratch hosts: packages.apt's deb (a file on the host, and a URL served by this
// test on the lab bridge), allow_change_held_packages (a package on hold: refused without it, in
// check mode too, upgraded with it), force / allow_unauthenticated / fail_on_autoremove, autoclean
// (a cached .deb no repository has), clean, and upgrade: safe run by aptitude where it is installed
// (issue 16), through the real `keel run` on one host and ansible-playbook (ansible-core 2.14's apt)
// on another, from the same playbook. Both hosts start with keel-hello, keel-tool and keel-pinned
// 1.0 from the lab repository (whose keel-security and keel-updates suites carry 1.1), keel-pinned
// on hold, aptitude and python3-apt (which Ansible's apt needs) installed, two .deb files built by
// this test (keel-debtest depends on keel-kernelfix, which is not installed) and a stale cached .deb.
// Compared: every task's status in --check, in a first run and in a second run; and the end state
// (the versions, holds and manual marks of the packages, the cached .deb files).
//
// Ansible's side (its statuses and its host's end state) is replayed from
// test/recordings/ansible/apt-args-runs.json while its key holds (the play, the built packages,
// this harness, the lab's versions of the packages involved, the installed Ansible): then one
// scratch host runs keel alone. KEEL_ANSIBLE_LIVE=1 runs Ansible live on a second host;
// KEEL_ANSIBLE_RECORD=1 also rewrites the recording.
import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { labPackageVersions, sha256 } from "../ansible-record.js";
import { AnsibleSteps, ansiblePlaybookJson, ansibleStatuses, keelRunJson, keelStatuses, plainStatus } from "./ansible-side.js";
import { BRIDGE_ADDRESS, describeLab, ssh, startScratchHosts, stopScratchHosts, type ScratchHost } from "./lab.js";

const PLAY = `- hosts: all
  gather_facts: false
  tasks:
    - name: held kept
      apt: { name: keel-pinned, state: latest }
      ignore_errors: true
    - name: held changed
      apt: { name: keel-pinned, state: latest, allow_change_held_packages: true }
    - name: deb file
      apt: { deb: /tmp/keel-debtest_1.0_all.deb }
    - name: deb url
      ansible.builtin.apt: { deb: "{{ deb_url }}" }
    - name: flags
      apt: { name: keel-tool, state: latest, force: true, allow_unauthenticated: true, fail_on_autoremove: true }
    - name: autoclean
      apt: { autoclean: true }
    - name: safe upgrade
      apt: { upgrade: safe }
    - name: clean
      apt: { clean: true }
`;

/** The control files of the two packages the test builds (no files of their own beyond a doc file). */
const DEBS: Record<string, string> = {
  "keel-debtest_1.0_all.deb":
    "Package: keel-debtest\nVersion: 1.0\nArchitecture: all\nMaintainer: keel lab <lab@keel.invalid>\nDepends: keel-kernelfix\nDescription: keel apt deb test\n",
  "keel-urltest_1.0_all.deb":
    "Package: keel-urltest\nVersion: 1.0\nArchitecture: all\nMaintainer: keel lab <lab@keel.invalid>\nDescription: keel apt deb url test\n",
  // a cached archive no repository has (what apt-get autoclean deletes)
  "keel-stale_0.9_all.deb":
    "Package: keel-stale\nVersion: 0.9\nArchitecture: all\nMaintainer: keel lab <lab@keel.invalid>\nDescription: keel apt stale cache test\n",
};

let k: ScratchHost | undefined;
let a: ScratchHost | undefined;
let dir = "";
let pb = "";
let server: Server | undefined;
let url = "";

function buildDebs(out: string): void {
  for (const [file, control] of Object.entries(DEBS)) {
    const root = join(out, file.replace(/\.deb$/, ""));
    mkdirSync(join(root, "DEBIAN"), { recursive: true });
    mkdirSync(join(root, "usr/share/doc", control.split("\n")[0]!.slice(9)), { recursive: true });
    writeFileSync(join(root, "DEBIAN/control"), control);
    writeFileSync(join(root, "usr/share/doc", control.split("\n")[0]!.slice(9), "README"), `${file}\n`);
    chmodSync(root, 0o755);
    const r = spawnSync("dpkg-deb", ["--root-owner-group", "-Zgzip", "--build", root, join(out, file)], { encoding: "utf8" });
    expect(r.status, r.stderr).toBe(0);
  }
}

/** The host as both sides start: the packages, the hold, the .deb file in /tmp, a stale cached archive. */
async function prepare(h: ScratchHost): Promise<void> {
  const r = await ssh(
    h,
    "apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q keel-hello=1.0 keel-tool=1.0 keel-pinned=1.0 python3-apt aptitude >/dev/null && " +
      "apt-mark hold keel-pinned >/dev/null && apt-get clean",
    { timeoutMs: 240_000 },
  );
  expect(r.code, r.stderr).toBe(0);
  await put(h, "keel-debtest_1.0_all.deb", "/tmp/keel-debtest_1.0_all.deb");
}

async function put(h: ScratchHost, file: string, dest: string): Promise<void> {
  const r = await ssh(h, `base64 -d > ${dest}`, { input: readFileSync(join(dir, file)).toString("base64") });
  expect(r.code, r.stderr).toBe(0);
}

/** Before each run: the stale archive back in apt's cache (autoclean and clean remove it). */
const stale = (h: ScratchHost) => put(h, "keel-stale_0.9_all.deb", "/var/cache/apt/archives/keel-stale_0.9_all.deb");

const endState = async (h: ScratchHost) =>
  (
    await ssh(
      h,
      "dpkg-query -W -f='${Package} ${Version} ${db:Status-Abbrev}\\n' keel-hello keel-tool keel-pinned keel-debtest keel-urltest keel-kernelfix 2>&1 | sort; " +
        "echo '-- held'; apt-mark showhold; echo '-- manual'; apt-mark showmanual | grep '^keel-' | sort; echo '-- cached'; ls /var/cache/apt/archives | grep '\\.deb$' || true",
    )
  ).stdout;

async function keelRun(h: ScratchHost, ...extra: string[]): Promise<Record<string, string>> {
  const r = await keelRunJson(h, pb, { dir, extra: ["-e", `deb_url=${url}`, ...extra], timeoutMs: 400_000 });
  expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
  return keelStatuses(r.report);
}

async function ansibleRun(h: ScratchHost, ...extra: string[]): Promise<Record<string, string>> {
  return ansibleStatuses(await ansiblePlaybookJson(h, pb, { home: dir, extra: ["-e", `deb_url=${url}`, ...extra], timeoutMs: 600_000 }), h.name);
}

type Side = { check: Record<string, string>; run1: Record<string, string>; state1: string; run2: Record<string, string> };
let side: AnsibleSteps<Side>;

describeLab("packages.apt deb, held packages, force/allow_unauthenticated/fail_on_autoremove, autoclean, clean, aptitude (issue 16)", () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "keel-apt-args-e2e-"));
    pb = join(dir, "pb.yml");
    writeFileSync(pb, PLAY);
    buildDebs(dir);
    server = createServer((req, res) => {
      const f = (req.url ?? "").replace(/^\//, "");
      if (f !== "keel-urltest_1.0_all.deb") return void res.writeHead(404).end();
      res.writeHead(200, { "content-type": "application/vnd.debian.binary-package" }).end(readFileSync(join(dir, f)));
    });
    await new Promise<void>((resolve, reject) => server!.once("error", reject).listen(0, BRIDGE_ADDRESS, resolve));
    url = `http://${BRIDGE_ADDRESS}:${(server.address() as AddressInfo).port}/keel-urltest_1.0_all.deb`;
    side = new AnsibleSteps<Side>("apt-args-runs", {
      play: sha256(PLAY),
      debs: sha256(JSON.stringify(DEBS)),
      harness: sha256([buildDebs, prepare, put, stale, endState, ansibleRun, ansiblePlaybookJson, ansibleStatuses, plainStatus].map(String).join("\n")),
      packages: labPackageVersions(["keel-hello", "keel-tool", "keel-pinned", "keel-kernelfix", "aptitude", "python3-apt", "apt", "dpkg"]),
    });
    // replaying, Ansible's host is not needed
    [k, a] = await startScratchHosts(side.replaying ? 1 : 2);
    await Promise.all([k, a].filter((h): h is ScratchHost => h !== undefined).map(prepare));
  }, 400_000);
  afterAll(async () => {
    await stopScratchHosts([k, a].filter((h): h is ScratchHost => h !== undefined));
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("--check changes nothing; the same statuses and end state as Ansible; a second run changes nothing", async () => {
    console.log(`apt-args: Ansible's side ${side.source}`);
    const hosts = [k!, ...(a ? [a] : [])];
    await Promise.all(hosts.map(stale));
    const before = await endState(k!);
    const kc = await keelRun(k!, "--check");
    expect(await endState(k!), "--check changed the host").toBe(before);
    // one known difference: clean with a downloaded file in the cache is the change keel's check mode
    // would make, where Ansible's check mode runs apt-get clean and reports ok (its clean never counts)
    const ac = await side.step("check", () => ansibleRun(a!, "--check"));
    expect(ac.clean, side.hint).toBe("ok");
    expect(kc, side.hint).toEqual({ ...ac, clean: "changed" });
    // the held package is refused without allow_change_held_packages, in check mode too
    expect(kc["held kept"]).toBe("failed");
    expect(kc["held changed"]).toBe("changed");

    await Promise.all(hosts.map(stale));
    const k1 = await keelRun(k!);
    expect(k1, side.hint).toEqual(await side.step("run1", () => ansibleRun(a!)));
    const ks = await endState(k!);
    expect(ks, side.hint).toBe(await side.step("state1", () => endState(a!)));
    // the deb and its dependency (marked manual, as Ansible's install() does), the URL's deb, the
    // held package upgraded, the aptitude upgrade (whose run drops dpkg's hold, on both hosts), an empty cache
    expect(ks).toContain("keel-debtest 1.0 ii");
    expect(ks).toContain("keel-urltest 1.0 ii");
    expect(ks).toContain("keel-hello 1.1 ii");
    expect(ks).toContain("keel-pinned 1.1 ii");
    expect(ks).toContain("-- held\n-- manual\n");
    expect(ks).toMatch(/-- manual\n(.*\n)*keel-kernelfix\n/);
    expect(ks).toMatch(/-- cached\n$/);

    const k2 = await keelRun(k!);
    expect(k2, side.hint).toEqual(await side.step("run2", () => ansibleRun(a!)));
    expect(Object.entries(k2).filter(([, s]) => s !== "ok")).toEqual([]);
    side.save();
  }, 1_500_000);
});
