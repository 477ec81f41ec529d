// Benchmark: the hardening playbook at fleet scale, as issue 13's closing note asks: the first and
// the second run of playbooks/harden.yml on N fresh SCRATCH lab hosts (lab901…, private to this
// run, so the shared lab01..04 are never touched), then `keel audit` of the hardened fleet. keel
// logs in as `labuser` (the lab key, passwordless sudo) as a real fleet would, never as root.
//
//   npx tsc -p . && KEEL_LAB_DIR=… node dist/test/bench/harden-scale.js --hosts 50 --out DIR \
//     [--profile FILE|NAME] [--no-audit]
//
// Every command it runs is printed, and kept in DIR with its JSON reports (first.json,
// second.json, audit.json), its output, and summary.json: per step the wall time, exit code, the
// sum of changed/failed tasks, round trips per host (min/median/max), the audit's counts and score,
// and the load average sampled every 5 s during the step. Runs as root on a machine that can run
// the lab (the rootfs must exist); stops its hosts at the end, whatever happened.
import { spawn } from "node:child_process";
import { createWriteStream, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { join, resolve } from "node:path";
import { labPaths, readLabState, startScratchHosts, stopScratchHosts, type ScratchHost } from "../lab/index.js";
import { repoRoot } from "../lab/util.js";

interface Spread {
  min: number;
  median: number;
  max: number;
}

interface Step {
  command: string;
  code: number;
  wallMs: number;
  /** 1-minute load average sampled every 5 s while the step ran. */
  load: Spread & { mean: number };
}

const spread = (xs: number[]): Spread => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return { min: s[0] ?? 0, median: s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2, max: s[s.length - 1] ?? 0 };
};

/** Run keel with args (cwd: the repository), its output to `log`; wall time and load while it ran. */
function keel(args: string[], log: string): Promise<Step> {
  const command = `keel ${args.join(" ")}`;
  console.log(`$ ${command}`);
  return new Promise((done, fail) => {
    const t0 = Date.now();
    const loads: number[] = [loadavg()[0]!];
    const timer = setInterval(() => loads.push(loadavg()[0]!), 5000);
    const out = createWriteStream(log);
    const child = spawn(process.execPath, [join(repoRoot(), "bin/keel.js"), ...args], {
      cwd: repoRoot(),
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, NO_COLOR: "1" },
    });
    child.stdout.pipe(out, { end: false });
    child.stderr.pipe(out, { end: false });
    child.on("error", (e) => (clearInterval(timer), fail(e)));
    child.on("close", (code) => {
      clearInterval(timer);
      loads.push(loadavg()[0]!);
      out.end();
      const mean = Math.round((loads.reduce((a, b) => a + b, 0) / loads.length) * 10) / 10;
      done({ command, code: code ?? 1, wallMs: Date.now() - t0, load: { ...spread(loads), mean } });
    });
  });
}

interface RunJson {
  summary: { hosts: Record<string, { changed: number; failed: number; ok: number; round_trips: number; status: string }> };
}

function runFigures(file: string, n: number) {
  const hosts = Object.values((JSON.parse(readFileSync(file, "utf8")) as RunJson).summary.hosts);
  if (hosts.length !== n) throw new Error(`${file}: ${hosts.length} hosts in the summary, ${n} expected`);
  return {
    changed: hosts.reduce((a, h) => a + h.changed, 0),
    failed: hosts.reduce((a, h) => a + h.failed, 0),
    notOk: hosts.filter((h) => h.status !== "ok").length,
    changedPerHost: spread(hosts.map((h) => h.changed)),
    roundTrips: spread(hosts.map((h) => h.round_trips)),
  };
}

interface AuditJson {
  duration_ms: number;
  hosts: { round_trips: number; duration_ms: number; state: string }[];
  summary: { counts: Record<string, number>; score: { with_waivers: number | null; without_waivers: number | null } };
}

function auditFigures(file: string) {
  const rep = JSON.parse(readFileSync(file, "utf8")) as AuditJson;
  return {
    runMs: rep.duration_ms,
    notChecked: rep.hosts.filter((h) => h.state !== "checked").length,
    roundTrips: spread(rep.hosts.map((h) => h.round_trips)),
    hostMs: spread(rep.hosts.map((h) => h.duration_ms)),
    counts: rep.summary.counts,
    score: rep.summary.score,
  };
}

function arg(argv: string[], name: string): string | undefined {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const n = Number(arg(argv, "--hosts") ?? 50) || 50;
  const out = resolve(arg(argv, "--out") ?? `harden-scale-${n}`);
  const profile = arg(argv, "--profile") ?? "cis-level1-server";
  if (!readLabState()) throw new Error("no lab state: bring the lab up first (npm run lab -- up 4) or set KEEL_LAB_DIR");
  mkdirSync(out, { recursive: true });
  let hosts: ScratchHost[] = [];
  const t0 = Date.now();
  try {
    hosts = await startScratchHosts(n, { parallel: 8 });
    const startMs = Date.now() - t0;
    console.log(`started ${n} scratch hosts in ${(startMs / 1000).toFixed(1)} s (${hosts[0]!.name}…${hosts[n - 1]!.name})`);
    const known = join(out, "known_hosts");
    writeFileSync(known, hosts.map((h) => `${h.name},${h.address} ${h.hostKey}\n`).join(""));
    const inventory = join(out, `inv${n}.yml`);
    writeFileSync(
      inventory,
      `all:\n  vars:\n    ansible_user: labuser\n    ansible_ssh_private_key_file: ${labPaths().key}\n    keel_known_hosts: ${known}\n` +
        // lab hosts share the machine's kernel (read-only /proc/sys): kernel-wide sysctls persisted only
        `    hardening_sysctl_kernel_live: false\n  hosts:\n` +
        hosts.map((h) => `    ${h.name}:\n      ansible_host: ${h.address}\n`).join(""),
    );
    const run = (name: string) =>
      keel(
        ["run", "playbooks/harden.yml", "-i", inventory, "-e", `profile=${profile}`, "--forks", String(n), "--json", join(out, `${name}.json`)],
        join(out, `${name}.out`),
      );
    const summary: Record<string, unknown> = { date: new Date().toISOString(), hosts: n, profile, startMs, cpus: 2 };
    const save = () => writeFileSync(join(out, "summary.json"), JSON.stringify(summary, null, 2) + "\n");
    for (const name of ["first", "second"]) {
      const step = await run(name);
      summary[name] = { ...step, ...runFigures(join(out, `${name}.json`), n) };
      console.log(`${name}: ${JSON.stringify(summary[name])}`);
      save();
    }
    if (!argv.includes("--no-audit")) {
      const a = await keel(
        ["audit", profile, "-i", inventory, "--forks", String(n), "--no-history", "-o", `json:${join(out, "audit.json")}`],
        join(out, "audit.out"),
      );
      summary.audit = { ...a, ...auditFigures(join(out, "audit.json")) };
      console.log(`audit: ${JSON.stringify(summary.audit)}`);
      save();
    }
  } finally {
    if (hosts.length) await stopScratchHosts(hosts);
    console.log(`stopped ${hosts.length} scratch hosts`);
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.stack : e);
  process.exitCode = 1;
});
