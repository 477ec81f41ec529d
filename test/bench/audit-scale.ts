// Benchmark: `keel audit` at fleet scale, on N SCRATCH lab hosts (lab901…, private to this run, so
// the shared lab01..04 are never touched): the audit of fresh hosts (controls failing), the
// hardening run, and the audit of hardened hosts (everything passing), each with wall time and the
// round trips per host after connecting (from the JSON reports).
//
//   npx tsc -p . && KEEL_LAB_DIR=… node dist/test/bench/audit-scale.js --hosts 50 [--no-harden] [--json FILE]
//
// --no-harden audits the fresh hosts only (the shipped profile cannot be applied as root: its
// ssh.permit-root-login control is blocked by the lockout guard, as it should be).
//
// Runs as root on a machine that can run the lab (the rootfs must exist); stops its hosts at the end.
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readLabState, startScratchHosts, stopScratchHosts, type ScratchHost } from "../lab/index.js";
import { repoRoot } from "../lab/util.js";

interface AuditRun {
  code: number;
  wallMs: number;
  runMs: number;
  roundTrips: { min: number; max: number };
  counts: Record<string, number>;
  score: number | null;
}

function keel(args: string[]): Promise<{ code: number; wallMs: number; stderr: string }> {
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const child = spawn(process.execPath, [join(repoRoot(), "bin/keel.js"), ...args], {
      stdio: ["ignore", "ignore", "pipe"],
      env: { ...process.env, NO_COLOR: "1" },
    });
    let stderr = "";
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? 1, wallMs: Date.now() - t0, stderr }));
  });
}

async function audit(inventory: string, file: string): Promise<AuditRun> {
  const r = await keel([
    "audit",
    "-i",
    inventory,
    "-e",
    "hardening_sysctl_kernel_live=false",
    // A loaded 2-core machine: the per-host deadline (default 120 s) and the 10 s handshake would
    // count slow hosts as unreachable; the figures are wall time and round trips, not timeouts.
    "--host-timeout",
    "0",
    "-T",
    "60",
    "--no-history",
    "-q",
    "-o",
    `json:${file}`,
  ]);
  const rep = JSON.parse(readFileSync(file, "utf8")) as {
    duration_ms: number;
    hosts: { round_trips: number; state: string }[];
    summary: { counts: Record<string, number>; score: { with_waivers: number | null } };
  };
  const rts = rep.hosts.map((h) => h.round_trips);
  const bad = rep.hosts.filter((h) => h.state !== "checked");
  if (bad.length) throw new Error(`${bad.length} hosts not checked: ${r.stderr}`);
  return {
    code: r.code,
    wallMs: r.wallMs,
    runMs: rep.duration_ms,
    roundTrips: { min: Math.min(...rts), max: Math.max(...rts) },
    counts: rep.summary.counts,
    score: rep.summary.score.with_waivers,
  };
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const n = Number(argv[argv.indexOf("--hosts") + 1] ?? 50) || 50;
  const jsonOut = argv.includes("--json") ? argv[argv.indexOf("--json") + 1] : undefined;
  const st = readLabState();
  if (!st) throw new Error("no lab state: bring the lab up first (npm run lab -- up 4) or set KEEL_LAB_DIR");
  const tmp = mkdtempSync(join(tmpdir(), "keel-audit-scale-"));
  const hosts: ScratchHost[] = [];
  try {
    const t0 = Date.now();
    // Under one lab lock, 8 at a time (startScratchHosts).
    hosts.push(...(await startScratchHosts(n)));
    console.log(`started ${n} scratch hosts in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    const known = join(tmp, "known_hosts");
    writeFileSync(known, hosts.map((h) => `${h.name},${h.address} ${h.hostKey}\n`).join(""));
    const inventory = join(tmp, "inventory.yml");
    writeFileSync(
      inventory,
      `all:\n  vars:\n    ansible_user: root\n    ansible_ssh_private_key_file: ${st.privateKey}\n    keel_known_hosts: ${known}\n  hosts:\n` +
        hosts.map((h) => `    ${h.name}:\n      ansible_host: ${h.address}\n`).join(""),
    );
    const fresh = await audit(inventory, join(tmp, "fresh.json"));
    if (argv.includes("--no-harden")) {
      console.log(
        `audit (fresh)    exit ${fresh.code}  wall ${(fresh.wallMs / 1000).toFixed(1)} s (run ${(fresh.runMs / 1000).toFixed(1)} s)  round trips/host ${fresh.roundTrips.min}–${fresh.roundTrips.max}  score ${fresh.score}  ${JSON.stringify(fresh.counts)}`,
      );
      if (jsonOut) writeFileSync(jsonOut, JSON.stringify({ hosts: n, fresh }, null, 2) + "\n");
      return;
    }
    const harden = await keel(["run", "playbooks/harden.yml", "-i", inventory, "-e", "hardening_sysctl_kernel_live=false"]);
    if (harden.code !== 0) throw new Error(`hardening run failed (${harden.code}): ${harden.stderr.slice(-2000)}`);
    const hardened = await audit(inventory, join(tmp, "hardened.json"));
    const figures = { hosts: n, fresh, hardenWallMs: harden.wallMs, hardened };
    const line = (name: string, a: AuditRun) =>
      `${name.padEnd(16)} exit ${a.code}  wall ${(a.wallMs / 1000).toFixed(1)} s (run ${(a.runMs / 1000).toFixed(1)} s)  round trips/host ${a.roundTrips.min}–${a.roundTrips.max}  score ${a.score}  ${JSON.stringify(a.counts)}`;
    console.log(line("audit (fresh)", fresh));
    console.log(`${"harden run".padEnd(16)} wall ${(harden.wallMs / 1000).toFixed(1)} s`);
    console.log(line("audit (hardened)", hardened));
    if (jsonOut) writeFileSync(jsonOut, JSON.stringify(figures, null, 2) + "\n");
  } finally {
    if (hosts.length) await stopScratchHosts(hosts);
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.stack : e);
  process.exitCode = 1;
});
