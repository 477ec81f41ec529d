// Benchmark: `keel patch report` on N scratch lab hosts with pending updates.
//
//   npx tsc -p . && KEEL_LAB_DIR=$PWD/.lab node dist/test/bench/patch-report.js [N] [RUNS]
//
// Starts N scratch hosts (numbered from 901, never lab01..), gives each the lab's apt packages
// from its own copy of the repository (built from REPO_PACKAGES) with keel-hello, keel-tool,
// keel-kernelfix and keel-pinned 1.0 installed and keel-pinned held (3 pending updates, 2 of them
// security, 1 held update per host), then runs the report RUNS times (default 3) and prints, per
// run: exit code, the keel process's wall time, the report's own duration (connect + facts +
// probe, all hosts) and the round trips per host. The hosts are stopped afterwards.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildAptRepo, hostExec, labPaths, startScratchHosts, stopScratchHosts, type ScratchHost } from "../lab/index.js";
import { repoRoot } from "../lab/util.js";

interface Rep {
  duration_ms: number;
  summary: { hosts: number; updates: number; security_updates: number; held_updates: number; unreachable: number };
  hosts: { round_trips: number }[];
}

async function main(): Promise<void> {
  const n = Number(process.argv[2] ?? 10);
  const runs = Number(process.argv[3] ?? 3);
  const dir = mkdtempSync(join(tmpdir(), "keel-bench-patch-"));
  const repo = (await buildAptRepo(join(dir, "repo"))).dir;
  const tgz = execFileSync("tar", ["czf", "-", "-C", repo, "."], { maxBuffer: 1 << 30 }).toString("base64");
  const sources = ["keel", "keel-security", "keel-updates"].map((s) => `deb [trusted=yes] file:/srv/keel-patch-repo ${s} main`).join("' '");
  const hosts: ScratchHost[] = [];
  try {
    hosts.push(...(await startScratchHosts(n)));
    await Promise.all(
      hosts.map(async (h) => {
        await hostExec(
          h,
          `mkdir -p /srv/keel-patch-repo && base64 -d | tar xzf - -C /srv/keel-patch-repo && printf '%s\\n' '${sources}' > /etc/apt/sources.list.d/keel-lab.list`,
          { input: tgz, timeoutMs: 600_000 },
        );
        await hostExec(
          h,
          "apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q keel-hello=1.0 keel-tool=1.0 keel-kernelfix=1.0 keel-pinned=1.0 >/dev/null && apt-mark hold keel-pinned >/dev/null",
          { timeoutMs: 600_000 },
        );
      }),
    );
    const known = join(dir, "known_hosts");
    writeFileSync(known, hosts.map((h) => readFileSync(h.knownHosts, "utf8")).join(""));
    const inv = join(dir, "inventory.yml");
    const lines = [
      "all:",
      "  vars:",
      "    ansible_user: root",
      `    ansible_ssh_private_key_file: ${join(labPaths().state, "id_ed25519")}`,
      `    keel_known_hosts: ${known}`,
      "  hosts:",
    ];
    for (const h of hosts) lines.push(`    ${h.name}:`, `      ansible_host: ${h.address}`);
    writeFileSync(inv, lines.join("\n") + "\n");
    for (let k = 1; k <= runs; k++) {
      const out = join(dir, `report-${k}.json`);
      const t0 = Date.now();
      const r = spawnSync(process.execPath, [join(repoRoot(), "bin/keel.js"), "patch", "report", "-i", inv, "--no-history", "-q", "-o", `json:${out}`], {
        encoding: "utf8",
      });
      const wall = (Date.now() - t0) / 1000;
      const j = JSON.parse(readFileSync(out, "utf8")) as Rep;
      const rts = [...new Set(j.hosts.map((h) => h.round_trips))].join("/");
      process.stdout.write(
        `run ${k}: exit ${r.status}, wall ${wall.toFixed(2)} s, report ${(j.duration_ms / 1000).toFixed(2)} s, ${j.summary.hosts} hosts (${j.summary.unreachable} unreachable), ` +
          `round trips per host ${rts}, ${j.summary.updates} pending (${j.summary.security_updates} security), ${j.summary.held_updates} held\n`,
      );
    }
  } finally {
    await stopScratchHosts(hosts).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
});
