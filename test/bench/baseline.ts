// Benchmark: the shipped baseline (playbooks/baseline.yml) on N lab hosts (default 20), first run
// and second run, then `keel drift`; prints wall times and round trips per host.
//
//   npx tsc -p . && node dist/test/bench/baseline.js [N]
//
// Runs as root on a machine that can run the lab. It brings hosts lab01..labN up through the lab
// API (keeping hosts already up), holds a lease meanwhile so a finishing e2e run does not tear the
// lab down under it, and afterwards removes the hosts it added (or the whole lab when it brought it
// up). Prefer running it when no e2e run uses the lab (`pgrep -af vitest`): 20 hosts change the
// shared inventory file while they exist.
//
// Before the first run every host is put into the state of a host that has never seen the
// baseline (resetBaseline) and has an apt index (apt-get update: lab hosts start with empty lists,
// a real fleet does not); the files the baseline edits are snapshotted on each host first and put
// back by restoreBaseline. test/e2e/baseline.test.ts uses the same helpers.
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { down, hostExec, labPaths, readLabState, runningHostIndexes, up, type LabState } from "../lab/index.js";
import { mapLimit } from "../lab/util.js";

/** The packages the baseline installs in these runs: keel-hello really comes from the lab repository. */
export const BASELINE_VARS = JSON.stringify({ baseline_packages: ["openssh-server", "sudo", "nftables", "keel-hello"] });
const SNAPSHOT = "/var/tmp/keel-baseline-orig";

function repoRoot(): string {
  // src: test/bench/baseline.ts; compiled: dist/test/bench/baseline.js
  let d = resolve(fileURLToPath(new URL(".", import.meta.url)), "../..");
  if (d.endsWith("/dist")) d = resolve(d, "..");
  return d;
}
export const ROOT = repoRoot();
export const BASELINE = join(ROOT, "playbooks/baseline.yml");

/**
 * Make a host look as if the baseline never ran: no keel-hello, no admin account, group, sudoers
 * drop-in, sysctl or sshd drop-in; the files the baseline edits as they were when first seen
 * (snapshot taken on the first call); an apt index present.
 */
export async function resetBaseline(host: string): Promise<void> {
  await hostExec(
    host,
    [
      `if [ ! -d ${SNAPSHOT} ]; then mkdir -p ${SNAPSHOT} && cp -a /etc/motd /etc/issue.net /etc/login.defs ${SNAPSHOT}/ &&`,
      `  cat /proc/sys/net/ipv4/conf/all/rp_filter > ${SNAPSHOT}/rp_filter && cat /proc/sys/net/ipv4/tcp_syncookies > ${SNAPSHOT}/tcp_syncookies; fi`,
      restoreScript(),
      "apt-get -qq update >/dev/null",
    ].join("\n"),
    { timeoutMs: 300_000 },
  );
}

/** Undo the baseline on a host (everything resetBaseline undoes) and drop the snapshot. */
export async function restoreBaseline(host: string): Promise<void> {
  await hostExec(host, `[ -d ${SNAPSHOT} ] || exit 0\n${restoreScript()}\nrm -rf ${SNAPSHOT}`, { check: false });
}

function restoreScript(): string {
  return [
    "dpkg --purge keel-hello >/dev/null 2>&1",
    "if getent passwd keeladmin >/dev/null; then userdel -r keeladmin 2>/dev/null || userdel keeladmin; fi",
    "if getent group keeladmin >/dev/null; then groupdel keeladmin; fi",
    "rm -f /etc/sudoers.d/50-keel-admin /etc/sysctl.d/60-keel-baseline.conf /etc/ssh/sshd_config.d/50-keel-baseline.conf",
    `cp -a ${SNAPSHOT}/motd ${SNAPSHOT}/issue.net ${SNAPSHOT}/login.defs /etc/`,
    `sysctl -qw net.ipv4.conf.all.rp_filter=$(cat ${SNAPSHOT}/rp_filter) net.ipv4.tcp_syncookies=$(cat ${SNAPSHOT}/tcp_syncookies)`,
    "true",
  ].join("\n");
}

export interface KeelRun {
  code: number;
  ms: number;
  stdout: string;
  stderr: string;
}

export function runKeel(args: string[]): Promise<KeelRun> {
  return new Promise((res, rej) => {
    const t0 = performance.now();
    const c = spawn(process.execPath, [join(ROOT, "bin/keel.js"), ...args], {
      cwd: ROOT,
      env: { ...process.env, NO_COLOR: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    c.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    c.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    c.on("error", rej);
    c.on("close", (code) => res({ code: code ?? 1, ms: Math.round(performance.now() - t0), stdout, stderr }));
  });
}

interface RunSummary {
  hosts: Record<string, { changed: number; failed: number; ok: number; round_trips: number }>;
  failed: string[];
  unreachable: string[];
}

export interface BaselineFigures {
  hosts: number;
  first: { ms: number; changed: number; roundTrips: number[] };
  second: { ms: number; changed: number; roundTrips: number[] };
  drift: { ms: number; code: number; inSync: number; roundTrips: number[] };
}

/** Run the baseline twice and drift once against `inventory`; throws when a run fails. */
export async function measureBaseline(inventory: string, hostNames: string[], out: string, extra: string[] = []): Promise<BaselineFigures> {
  const runOnce = async (tag: string) => {
    const json = join(out, `${tag}.json`);
    const r = await runKeel(["run", BASELINE, "-i", inventory, "-e", BASELINE_VARS, "--json", json, ...extra]);
    if (r.code !== 0) throw new Error(`baseline ${tag} run exited ${r.code}:\n${r.stdout}\n${r.stderr}`);
    const s = (JSON.parse(readFileSync(json, "utf8")) as { summary: RunSummary }).summary;
    return {
      ms: r.ms,
      changed: hostNames.reduce((n, h) => n + (s.hosts[h]?.changed ?? NaN), 0),
      roundTrips: hostNames.map((h) => s.hosts[h]?.round_trips ?? NaN),
    };
  };
  const first = await runOnce("first");
  const second = await runOnce("second");
  const djson = join(out, "drift.json");
  const d = await runKeel(["drift", BASELINE, "-i", inventory, "-e", BASELINE_VARS, "--no-history", "-q", "-o", `json:${djson}`, ...extra]);
  const rep = JSON.parse(readFileSync(djson, "utf8")) as { summary: { in_sync: number }; hosts: { host: string; round_trips: number }[] };
  return {
    hosts: hostNames.length,
    first,
    second,
    drift: { ms: d.ms, code: d.code, inSync: rep.summary.in_sync, roundTrips: hostNames.map((h) => rep.hosts.find((x) => x.host === h)?.round_trips ?? NaN) },
  };
}

/** Leases of processes still alive (as test/e2e/setup.ts counts them). */
function liveLeases(dir: string): string[] {
  return readdirSync(dir).filter((f) => {
    try {
      process.kill(Number(f), 0);
      return true;
    } catch {
      return false;
    }
  });
}

function stats(xs: number[]): string {
  const s = [...xs].sort((a, b) => a - b);
  const mean = s.reduce((a, b) => a + b, 0) / s.length;
  return `min ${s[0]} / median ${s[Math.floor(s.length / 2)]} / max ${s[s.length - 1]} / mean ${mean.toFixed(2)}`;
}

export function formatFigures(f: BaselineFigures): string {
  return [
    `baseline on ${f.hosts} lab hosts (playbooks/baseline.yml, -e '${BASELINE_VARS}'):`,
    `  first run : ${(f.first.ms / 1000).toFixed(2)} s wall, ${f.first.changed} changes, round trips per host ${stats(f.first.roundTrips)}`,
    `  second run: ${(f.second.ms / 1000).toFixed(2)} s wall, ${f.second.changed} changes, round trips per host ${stats(f.second.roundTrips)}`,
    `  keel drift: ${(f.drift.ms / 1000).toFixed(2)} s wall, exit ${f.drift.code}, ${f.drift.inSync}/${f.hosts} in sync, round trips per host ${stats(f.drift.roundTrips)}`,
  ].join("\n");
}

async function main(): Promise<number> {
  const n = Number(process.argv[2] ?? 20);
  if (!Number.isInteger(n) || n < 1) throw new Error(`usage: node dist/test/bench/baseline.js [N] (N a positive integer, got ${process.argv[2]})`);
  const paths = labPaths();
  mkdirSync(paths.leases, { recursive: true });
  const lease = join(paths.leases, String(process.pid));
  writeFileSync(lease, `${new Date().toISOString()} bench/baseline\n`);
  const before = await runningHostIndexes();
  const prevOwner = readLabState(paths)?.owner;
  const out = mkdtempSync(join(tmpdir(), "keel-bench-baseline-"));
  try {
    const t0 = performance.now();
    const st: LabState = await up(n, { exact: false, owner: before.length ? prevOwner : "cli", log: (l) => process.stderr.write(`lab: ${l}\n`) });
    process.stderr.write(`lab: ${st.hosts.length} host(s) up in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
    const names = st.hosts.filter((h) => h.index <= n).map((h) => h.name);
    const tr = performance.now();
    await mapLimit(names, 8, (h) => resetBaseline(h));
    process.stderr.write(`bench: hosts reset and apt index updated in ${((performance.now() - tr) / 1000).toFixed(1)} s\n`);
    // Only hosts 1..n (the inventory lists every running host).
    const f = await measureBaseline(st.inventoryYaml, names, out, st.hosts.length > n ? ["--limit", names.join(",")] : []);
    process.stdout.write(formatFigures(f) + "\n");
    if (f.second.changed !== 0) process.stdout.write(`  WARNING: the second run changed ${f.second.changed} thing(s)\n`);
    await mapLimit(names, 8, (h) => restoreBaseline(h));
    return f.second.changed === 0 && f.drift.code === 0 ? 0 : 2;
  } finally {
    rmSync(out, { recursive: true, force: true });
    rmSync(lease, { force: true });
    // Leave the lab as found: remove the hosts this run added, or the lab when it was down and no
    // test run has started using it meanwhile.
    if (before.length === 0) await down({ onlyIf: () => liveLeases(paths.leases).length === 0 });
    else if (Math.max(...before) < n) await up(Math.max(...before), { exact: true, owner: prevOwner });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().then(
    (code) => process.exit(code),
    (e: unknown) => {
      process.stderr.write(`bench/baseline: ${(e as Error).stack ?? String(e)}\n`);
      process.exit(1);
    },
  );
}
