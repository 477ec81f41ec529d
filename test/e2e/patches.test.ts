// End to end: patches.upgrade, patches.hold, `keel patch report` and playbooks/patch.yml through
// the real `keel` binary over SSH, on three scratch lab hosts (upgrades and reboots are
// destructive; lab01..04 are shared).
//
// Each scratch host gets its own copy of the lab's apt repository (built from REPO_PACKAGES into a
// temporary folder and copied to /srv/keel-patch-repo on the host), so the test sees exactly the
// packages this checkout defines, whatever another checkout's tests do to the shared repository:
//   keel-hello 1.0 → 1.1 (keel-security), keel-tool 1.0 → 1.1 (keel-updates),
//   keel-kernelfix 1.0 → 1.1 (keel-security; 1.1's postinst asks for a reboot),
//   keel-pinned 1.0 → 1.1 (keel-security; held on the hosts of group `holders`).
// Host a gets all four; b and c get keel-hello and keel-tool only. Everything is checked from
// outside keel (dpkg-query and boot ids through nsenter, the JSON reports).
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { buildAptRepo, describeLab, hostExec, keel, lab, ROOT, startScratchHost, stopScratchHost, type ProcResult, type ScratchHost } from "./lab.js";

const FIX = join(ROOT, "test/e2e/fixtures/patches");
const PATCH_YML = join(ROOT, "playbooks/patch.yml");
const SOURCES = ["keel", "keel-security", "keel-updates"].map((s) => `deb [trusted=yes] file:/srv/keel-patch-repo ${s} main`).join("\n");

let dir = "";
let a: ScratchHost;
let b: ScratchHost;
let c: ScratchHost;
let n = 0;

interface PatchJson {
  summary: Record<string, number>;
  hosts: {
    host: string;
    status: string;
    round_trips: number;
    updates: { name: string; installed: string; candidate: string; security: boolean; source: string }[];
    held_updates: { name: string }[];
    held: string[];
    reboot_required: boolean;
    broken_sources: string[];
    lists_age_s?: number;
    error?: string;
  }[];
}
interface RunJson {
  events: { type: string; host: string; task?: { name: string }; result?: { status: string; msg?: string; changes: { summary: string }[] } }[];
  summary: {
    failures: { host: string; message: string }[];
    changed?: string[];
    not_run?: string[];
    stopped?: string;
    hosts: Record<string, { changed: number; failed: number }>;
  };
}

function inventory(hosts: ScratchHost[], holders: ScratchHost[] = []): string {
  const file = join(dir, `inv-${++n}.yml`);
  const known = join(dir, `known-${n}`);
  writeFileSync(known, hosts.map((h) => readFileSync(h.knownHosts, "utf8")).join(""));
  const lines = [
    "all:",
    "  vars:",
    "    ansible_user: root",
    `    ansible_ssh_private_key_file: ${lab().privateKey}`,
    `    keel_known_hosts: ${known}`,
    "  hosts:",
  ];
  for (const h of hosts) lines.push(`    ${h.name}:`, `      ansible_host: ${h.address}`);
  lines.push("  children:", "    holders:", "      hosts:", ...(holders.length ? holders.map((h) => `        ${h.name}: {}`) : []));
  if (!holders.length) lines[lines.length - 1] += " {}";
  writeFileSync(file, lines.join("\n") + "\n");
  return file;
}

async function report(inv: string, ...extra: string[]): Promise<ProcResult & { json: PatchJson }> {
  const out = join(dir, `report-${++n}.json`);
  const r = await keel(["patch", "report", "-i", inv, "--no-history", "-o", `json:${out}`, ...extra]);
  let json: PatchJson;
  try {
    json = JSON.parse(readFileSync(out, "utf8")) as PatchJson;
  } catch {
    throw new Error(`no JSON patch report (exit ${r.code}):\n${r.stdout}\n${r.stderr}`);
  }
  return { ...r, json };
}

async function run(playbook: string, inv: string, ...extra: string[]): Promise<ProcResult & { json: RunJson; out: string }> {
  const out = join(dir, `run-${++n}.json`);
  const r = await keel(["run", playbook, "-i", inv, "--json", out, ...extra]);
  let json: RunJson;
  try {
    json = JSON.parse(readFileSync(out, "utf8")) as RunJson;
  } catch {
    throw new Error(`no JSON run report (exit ${r.code}):\n${r.stdout}\n${r.stderr}`);
  }
  return { ...r, json, out: `${r.stdout}\n${r.stderr}` };
}

const versions = async (h: ScratchHost) =>
  Object.fromEntries(
    (await hostExec(h, "dpkg-query -W -f='${Package} ${Version} ${db:Status-Abbrev}\\n' 'keel-*'")).stdout
      .trim()
      .split("\n")
      .map((l) => l.trim().split(" "))
      .map(([p, v, s]) => [p, `${v}${s?.startsWith("h") ? " held" : ""}`]),
  );
const bootId = async (h: ScratchHost) => (await hostExec(h, "cat /run/lab-boot-id")).stdout.trim();

describeLab("patches over SSH (scratch hosts with their own apt repository)", () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "keel-e2e-patches-"));
    const repo = (await buildAptRepo(join(dir, "repo"))).dir;
    const tgz = execFileSync("tar", ["czf", "-", "-C", repo, "."], { maxBuffer: 1 << 30 }).toString("base64");
    [a, b, c] = await Promise.all([startScratchHost(), startScratchHost(), startScratchHost()]);
    await Promise.all(
      [a, b, c].map(async (h) => {
        await hostExec(
          h,
          `mkdir -p /srv/keel-patch-repo && base64 -d | tar xzf - -C /srv/keel-patch-repo && printf '%s\\n' '${SOURCES.replace(/\n/g, "' '")}' > /etc/apt/sources.list.d/keel-lab.list`,
          { input: tgz },
        );
        const pkgs = h === a ? "keel-hello=1.0 keel-tool=1.0 keel-kernelfix=1.0 keel-pinned=1.0" : "keel-hello=1.0 keel-tool=1.0";
        await hostExec(h, `apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q ${pkgs} >/dev/null`, { timeoutMs: 120_000 });
      }),
    );
  }, 240_000);
  afterAll(async () => {
    for (const h of [a, b, c]) if (h) await stopScratchHost(h).catch(() => {});
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("a fresh host's report lists exactly the repository's security and non-security updates, in two round trips, and exits 2", async () => {
    const r = await report(inventory([a]));
    expect(r.code, r.stderr).toBe(2);
    const h = r.json.hosts[0]!;
    expect(h.updates.map((u) => [u.name, u.installed, u.candidate, u.security, u.source])).toEqual([
      ["keel-hello", "1.0", "1.1", true, "keel-security"],
      ["keel-kernelfix", "1.0", "1.1", true, "keel-security"],
      ["keel-pinned", "1.0", "1.1", true, "keel-security"],
      ["keel-tool", "1.0", "1.1", false, "keel-updates"],
    ]);
    expect(r.json.summary).toMatchObject({ hosts: 1, updates: 4, security_updates: 3, held_updates: 0, reboot_required: 0 });
    expect(h.lists_age_s).toBeGreaterThanOrEqual(0);
    expect(h.round_trips).toBe(2);
    expect(r.stdout).toContain(`${a.name}: 4 pending (3 security)`);
  });

  it("scope security upgrades only the security packages, a held package stays, and the second run changes nothing", async () => {
    const inv = inventory([a], [a]);
    const check = await run(join(FIX, "upgrade.yml"), inv, "--check", "--diff");
    expect(check.code, check.out).toBe(0);
    expect(check.out).toContain("keel-hello (security, keel-security): 1.0 → 1.1");
    expect(check.out).toContain("keel-kernelfix (security, keel-security): 1.0 → 1.1");
    expect(check.out).not.toContain("keel-tool (");
    expect(await versions(a)).toEqual({ "keel-hello": "1.0", "keel-kernelfix": "1.0", "keel-pinned": "1.0", "keel-tool": "1.0" });

    const first = await run(join(FIX, "upgrade.yml"), inv);
    expect(first.code, first.out).toBe(0);
    expect(await versions(a)).toEqual({ "keel-hello": "1.1", "keel-kernelfix": "1.1", "keel-pinned": "1.0 held", "keel-tool": "1.0" });
    const upgrade = first.json.events.find((e) => e.type === "task.result" && e.task?.name === "apply updates")!;
    expect(upgrade.result!.msg).toContain("held, not upgraded: keel-pinned 1.0 → 1.1 (security, keel-security)");
    expect(upgrade.result!.msg).toContain("reboot required: /var/run/reboot-required exists (keel-kernelfix)");

    const second = await run(join(FIX, "upgrade.yml"), inv);
    expect(second.code, second.out).toBe(0);
    expect(second.json.summary.hosts[a.name]!.changed).toBe(0);
  });

  it("the report then exits 0 (held and non-security updates do not count); --fail-on any still exits 2 for keel-tool", async () => {
    const inv = inventory([a]);
    const r = await report(inv);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const h = r.json.hosts[0]!;
    expect(h.updates.map((u) => u.name)).toEqual(["keel-tool"]);
    expect(h.held_updates.map((u) => u.name)).toEqual(["keel-pinned"]);
    expect(h.held).toEqual(["keel-pinned"]);
    expect(h.reboot_required).toBe(true);
    const any = await report(inv, "--fail-on", "any");
    expect(any.code).toBe(2);
  });

  it("rollout: the host that needs a reboot reboots, a failed health check on batch 2 stops it, batch 3 is never touched", async () => {
    const [bootA, bootB, bootC] = await Promise.all([bootId(a), bootId(b), bootId(c)]);
    // The service is healthy on a and c, not on b.
    await hostExec(a, "echo ok > /run/keel-health");
    await hostExec(c, "echo ok > /run/keel-health");
    const inv = inventory([a, b, c]);
    const r = await run(
      PATCH_YML,
      inv,
      "-e",
      "patch_health_path=/run/keel-health",
      "-e",
      "patch_health_timeout=3",
      "-e",
      "patch_reboot_command='/usr/local/sbin/lab-reboot --downtime 2'",
      "-e",
      "patch_boot_time_command='cat /run/lab-boot-id'",
      "-e",
      "patch_reboot_timeout=60",
    );
    expect(r.code, r.out).toBe(2);
    // batch 1 (a): nothing left to upgrade, but a reboot was required: rebooted, healthy
    expect(await bootId(a)).not.toBe(bootA);
    // batch 2 (b): upgraded, no reboot needed, health check failed
    expect(await bootId(b)).toBe(bootB);
    expect((await versions(b))["keel-hello"]).toBe("1.1");
    expect(r.json.summary.failures.map((f) => f.host)).toEqual([b.name]);
    expect(r.json.summary.failures[0]!.message).toMatch(/health check failed: \/run\/keel-health did not appear within 3 s/);
    // batch 3 (c): never touched
    expect(r.json.summary.not_run).toEqual([c.name]);
    expect(r.json.summary.stopped).toMatch(/every host of the batch failed/);
    expect(await bootId(c)).toBe(bootC);
    expect((await versions(c))["keel-hello"]).toBe("1.0");
    // the recap and JSON say who was patched, who failed and who was never touched
    expect(r.json.summary.changed).toEqual([a.name]);
    expect(r.out).toContain(`\n  changed: ${a.name}\n  failed: ${b.name}\n  not run: ${c.name}\n`);
    expect(r.out).toMatch(/STOPPED: .*\n\s+changed: /);
  });

  it("faults: a held dpkg lock is waited for, then named; an interrupted dpkg is named", async () => {
    const inv = inventory([c]);
    // apt takes fcntl locks: hold the frontend lock the same way for 20 s.
    await hostExec(
      c,
      `nohup python3 -c 'import fcntl,time; f=open("/var/lib/dpkg/lock-frontend","w"); fcntl.lockf(f, fcntl.LOCK_EX); time.sleep(20)' >/dev/null 2>&1 & echo $! > /run/keel-lock-holder`,
    );
    await new Promise((res) => setTimeout(res, 500));
    const locked = await run(join(FIX, "upgrade.yml"), inv, "-e", "lock_timeout=2");
    expect(locked.code, locked.out).toBe(2);
    expect(locked.json.summary.failures[0]!.message).toMatch(
      /dpkg lock \/var\/lib\/dpkg\/lock-frontend still held by process \d+ \(python3\) after waiting 2 s/,
    );
    await hostExec(c, "kill $(cat /run/keel-lock-holder)");

    await hostExec(c, "echo 'Package: keel-hello' > /var/lib/dpkg/updates/0001");
    const interrupted = await run(join(FIX, "upgrade.yml"), inv, "--check");
    expect(interrupted.json.summary.failures[0]!.message).toMatch(/dpkg was interrupted; run `dpkg --configure -a`/);
    const rep = await report(inv);
    expect(rep.code).toBe(1);
    expect(rep.json.hosts[0]!.status).toBe("failed");
    expect(rep.json.hosts[0]!.error).toMatch(/dpkg was interrupted/);
    await hostExec(c, "rm -f /var/lib/dpkg/updates/0001");
  });

  it("a broken source (its Release removed) is a clear error naming the host and the source; the other hosts go on", async () => {
    await hostExec(
      b,
      "cp -a /srv/keel-patch-repo /srv/keel-broken && rm /srv/keel-broken/dists/keel-security/Release && echo 'deb file:/srv/keel-broken keel-security main' > /etc/apt/sources.list.d/broken.list",
    );
    const inv = inventory([b, c]);
    // cache_valid_time 0 with update_cache: refresh now, as Ansible's apt (0 alone would refresh nothing)
    const r = await run(join(FIX, "upgrade.yml"), inv, "-e", "cache_valid_time=0", "-e", "update_cache=true");
    expect(r.code, r.out).toBe(2);
    expect(r.json.summary.failures.map((f) => f.host)).toEqual([b.name]);
    expect(r.json.summary.failures[0]!.message).toMatch(new RegExp(`apt-get update failed on ${b.name}: file:/srv/keel-broken keel-security: no Release file`));
    expect((await versions(c))["keel-hello"]).toBe("1.1");
    const rep = await report(inventory([b]));
    expect(rep.json.hosts[0]!.broken_sources).toEqual(["file:/srv/keel-broken keel-security"]);
  });
});
