// The phase profile of one keel run (engine/core/phases.ts) on a held fleet (test/bench/hold.ts),
// with the CPU each side used: the keel process (user + sys, GNU time), the fleet's hosts (their
// sshd and everything it started: sessions, shells, probes), and the whole machine, plus the load
// average before and after. On this lab the hosts share the controller's cores, so host-side work
// (facts and probe scripts, sshd's key exchange) shows up as waiting in keel's wall time.
//
//   node dist/test/bench/phases.js --fleet /tmp/fleet20 [--hosts N] [--converge] drift|run|check [--keel BIN]
//   (--hosts N: the first N hosts, a view hold.ts wrote with --views)
//
// drift: `keel drift site.yml --no-history -q`; run: `keel run site.yml` (already converged);
// check: `keel run site.yml --check`. --converge runs `keel run` once first (not measured).
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { SITE, timed } from "./ansible.js";
import { ROOT } from "./baseline.js";
import { hostsCpuMs, machineCpuMs } from "./scale.js";

async function main(argv: string[]): Promise<number> {
  const get = (k: string) => {
    const i = argv.indexOf(k);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const dir = get("--fleet");
  const what = argv.find((a) => a === "drift" || a === "run" || a === "check");
  if (!dir || !what) throw new Error("usage: phases.js --fleet DIR [--converge] drift|run|check [--keel BIN]");
  const view = get("--hosts");
  const fleet = JSON.parse(readFileSync(join(resolve(dir), view ? `fleet-${view}.json` : "fleet.json"), "utf8")) as { inventory: string; hosts: string[] };
  const bin = resolve(get("--keel") ?? join(ROOT, "bin/keel.js"));
  const n = fleet.hosts.length;
  const common = ["-i", fleet.inventory, "-f", String(n), "--connect-timeout", "60"];
  const work = mkdtempSync(join(tmpdir(), "keel-phases-"));
  try {
    if (argv.includes("--converge")) {
      const r = await timed(process.execPath, [bin, "run", SITE, ...common], { timeFile: join(work, "converge.time") });
      if (r.code !== 0) throw new Error(`converging run exited ${r.code}:\n${r.stdout.slice(-2000)}`);
    }
    const args = what === "drift" ? ["drift", SITE, ...common, "--no-history", "-q"] : ["run", SITE, ...common, ...(what === "check" ? ["--check"] : [])];
    const only = new Set(fleet.hosts);
    const load0 = loadavg();
    const h0 = hostsCpuMs(only);
    const m0 = machineCpuMs();
    const r = await timed(process.execPath, [bin, ...args], {
      env: { ...process.env, NO_COLOR: "1", KEEL_PROFILE_PHASES: "1" },
      timeFile: join(work, "keel.time"),
    });
    await new Promise((res) => setTimeout(res, 300)); // sessions reaped
    const hosts = hostsCpuMs(only) - h0;
    const machine = machineCpuMs() - m0;
    const load1 = loadavg();
    const prof = r.stderr.slice(r.stderr.indexOf("phase profile"));
    const f = (x: number) => x.toFixed(0);
    process.stdout.write(
      [
        `keel ${args.join(" ")}`,
        `exit ${r.code}; wall ${f(r.ms)} ms; keel CPU ${f(r.userMs + r.sysMs)} ms (${((r.userMs + r.sysMs) / n).toFixed(1)} ms/host); ` +
          `the ${n} hosts' CPU ${f(hosts)} ms (${(hosts / n).toFixed(1)} ms/host); whole machine ${f(machine)} ms of ${f(r.ms * 2)} ms available on 2 cores; peak RSS ${(r.maxRssKb / 1024).toFixed(0)} MB`,
        `load average before ${load0.map((x) => x.toFixed(2)).join(" ")}, after ${load1.map((x) => x.toFixed(2)).join(" ")}`,
        prof,
      ].join("\n") + "\n",
    );
    return r.code === 0 ? 0 : 2;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`phases: ${(e as Error).stack ?? String(e)}\n`);
    process.exit(1);
  },
);
