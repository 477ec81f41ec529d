// A benchmark fleet held up for interactive profiling: starts N scratch lab hosts (numbered from
// 901, in no shared inventory), writes their inventory and known_hosts to DIR, holds a lab lease,
// and stops the hosts when it receives SIGINT or SIGTERM (or when stdin closes with --stdin).
//
//   npx tsc -p . && node dist/test/bench/hold.js --hosts 20 --dir /tmp/fleet20 &
//   node dist/test/bench/phases.js --fleet /tmp/fleet20 drift      # the phase profile of one drift run
//   kill %1        # stops the hosts
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { labPaths } from "../lab/index.js";
import { fleetView, growFleet, newFleet, stopFleet } from "./fleet.js";

async function main(argv: string[]): Promise<number> {
  const get = (k: string) => {
    const i = argv.indexOf(k);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const n = Number(get("--hosts") ?? 20);
  const dir = resolve(get("--dir") ?? `/tmp/keel-fleet-${n}`);
  if (!Number.isInteger(n) || n < 1) throw new Error("usage: hold.js --hosts N [--dir DIR] [--views 20,100] [--stdin]");
  mkdirSync(dir, { recursive: true });
  const paths = labPaths();
  mkdirSync(paths.leases, { recursive: true });
  const lease = join(paths.leases, String(process.pid));
  writeFileSync(lease, `${new Date().toISOString()} bench/hold\n`);
  const fleet = newFleet(dir);
  // Nothing else keeps the event loop alive while the fleet is held: a pending promise does not.
  const keepAlive = setInterval(() => undefined, 1 << 30);
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= stopFleet(fleet)
      .catch((e: unknown) => {
        process.stderr.write(`hold: stopping: ${(e as Error).message}\n`);
      })
      .finally(() => {
        clearInterval(keepAlive);
        rmSync(lease, { force: true });
      }));
  const done = new Promise<void>((res) => {
    for (const s of ["SIGINT", "SIGTERM"] as const) process.on(s, () => void stop().then(res));
    if (argv.includes("--stdin")) process.stdin.on("end", () => void stop().then(res)).resume();
  });
  try {
    await growFleet(fleet, n);
  } catch (e) {
    await stop();
    throw e;
  }
  // --views 20,100: also an inventory of the first 20 and 100 hosts (inventory-20.yml…, fleet-20.json…)
  for (const k of (get("--views") ?? "").split(",").filter(Boolean).map(Number)) {
    if (!Number.isInteger(k) || k < 1 || k > n) continue;
    const w = fleetView(fleet, k);
    writeFileSync(join(dir, `fleet-${k}.json`), JSON.stringify({ inventory: w.inventory, knownHosts: w.knownHosts, hosts: w.names }) + "\n");
  }
  const v = fleetView(fleet, n);
  const info = JSON.stringify({ inventory: v.inventory, knownHosts: v.knownHosts, hosts: v.names });
  writeFileSync(join(dir, "fleet.json"), info + "\n");
  process.stdout.write(`${info}\n`);
  process.stderr.write(`hold: ${n} hosts up; inventory ${v.inventory}; send SIGTERM to stop them\n`);
  await done;
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`hold: ${(e as Error).stack ?? String(e)}\n`);
    process.exit(1);
  },
);
