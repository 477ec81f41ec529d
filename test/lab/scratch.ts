// Scratch hosts (private to one test or benchmark) and `npm run lab -- measure`.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { MAX_HOSTS, SCRATCH_BASE, labHost, labPaths, type LabHostName, type LabPaths } from "./config.js";
import { buildAptRepo } from "./aptrepo.js";
import { ensureRootfs } from "./rootfs.js";
import { LabError, mapLimit } from "./util.js";
import { ensureBridge, killHost, removeHost, runningHostIndexes, startHost, stopHost, waitGone, type LabHost } from "./host.js";
import {
  claimLab,
  downLocked,
  ensureLabKey,
  refuseForeignLab,
  liveLeases,
  stateFor,
  upLocked,
  withLabLock,
  yamlInventory,
  type LabState,
  type Log,
} from "./lab.js";

// ---------------------------------------------------------------------------------------------
// Scratch hosts: private to one test, for destructive checks on a shared lab

export interface ScratchHost extends LabHost {
  /** An inventory (YAML) listing only this host, with the lab key and its own known_hosts. */
  inventory: string;
  knownHosts: string;
}

/**
 * Start a host nobody else uses (numbered from 901, not in the lab inventory, removed by `down`)
 * for tests that stop sshd, cut links, reset or otherwise break a host. Needs the rootfs; brings
 * up the bridge if needed. Stop it with stopScratchHost.
 */
export async function startScratchHost(opts: { paths?: LabPaths } = {}): Promise<ScratchHost> {
  return (await startScratchHosts(1, opts))[0]!;
}

/**
 * Start n scratch hosts at once, under one lock, `parallel` at a time (default 8): a private fleet
 * for benchmarks, listed in no shared inventory. Each gets its own inventory and known_hosts, as
 * from startScratchHost. Stop them with stopScratchHosts.
 */
export async function startScratchHosts(n: number, opts: { paths?: LabPaths; parallel?: number } = {}): Promise<ScratchHost[]> {
  const paths = opts.paths ?? labPaths();
  return withLabLock(paths, async () => {
    await refuseForeignLab(paths);
    const rootfs = (await ensureRootfs({ paths })).dir;
    await buildAptRepo(paths.repo);
    const labPub = await ensureLabKey(paths);
    await ensureBridge();
    claimLab(paths);
    const taken = new Set(await runningHostIndexes());
    const indexes: number[] = [];
    for (let index = SCRATCH_BASE; indexes.length < n; index++) {
      if (index > MAX_HOSTS) throw new LabError(`no room for ${n} scratch host(s): numbers ${SCRATCH_BASE}..${MAX_HOSTS}, ${indexes.length} free`);
      if (!taken.has(index) && !existsSync(join(paths.hostsDir, labHost(index).name))) indexes.push(index);
    }
    const started: LabHost[] = [];
    try {
      await mapLimit(indexes, opts.parallel ?? 8, async (i) => void started.push(await startHost(paths, labHost(i), rootfs, labPub)));
    } catch (e) {
      await mapLimit(started, 16, (h) => stopHost(paths, h)).catch(() => {});
      throw e;
    }
    return started
      .sort((a, b) => a.index - b.index)
      .map((host) => {
        const dir = join(paths.hostsDir, host.name);
        const st: LabState = {
          ...stateFor(paths, rootfs, [host], "vitest"),
          knownHosts: join(dir, "known_hosts"),
          inventoryYaml: join(dir, "inventory.yml"),
          inventoryIni: join(dir, "inventory.ini"),
        };
        writeFileSync(st.knownHosts, `${host.name},${host.address} ${host.hostKey}\n`);
        writeFileSync(st.inventoryYaml, yamlInventory(st));
        return { ...host, inventory: st.inventoryYaml, knownHosts: st.knownHosts };
      });
  });
}

export async function stopScratchHost(host: LabHostName, opts: { paths?: LabPaths } = {}): Promise<void> {
  await stopScratchHosts([host], opts);
}

/** Stop scratch hosts (in parallel, under one lock). */
export async function stopScratchHosts(hosts: LabHostName[], opts: { paths?: LabPaths } = {}): Promise<void> {
  for (const h of hosts) if (h.index < SCRATCH_BASE) throw new LabError(`${h.name} is not a scratch host`);
  const paths = opts.paths ?? labPaths();
  await withLabLock(paths, async () => {
    await waitGone((await mapLimit(hosts, 16, killHost)).flat());
    await mapLimit(hosts, 16, (h) => removeHost(paths, h));
  });
}

// ---------------------------------------------------------------------------------------------
// Measuring the lab (for `npm run lab -- measure`)

export interface Measurement {
  step: string;
  seconds: number;
  /** `used` column of free(1) after the step, in MiB. */
  usedMiB: number;
}

function usedMiB(): number {
  const m = Object.fromEntries(
    readFileSync("/proc/meminfo", "utf8")
      .split("\n")
      .map((l) => /^(\w+):\s+(\d+)/.exec(l))
      .filter((x): x is RegExpExecArray => !!x)
      .map((x) => [x[1], Number(x[2])]),
  ) as Record<string, number>;
  // As free(1) computes it: total - free - buffers - cache (cache includes reclaimable slab).
  return Math.round((m.MemTotal! - m.MemFree! - m.Buffers! - m.Cached! - m.SReclaimable!) / 1024);
}

/**
 * Time down → up N → down for each size, holding the lab lock throughout so no test run starts
 * meanwhile. Refuses while a test run holds a lease.
 */
export async function measure(sizes: number[], opts: { paths?: LabPaths; log?: Log } = {}): Promise<Measurement[]> {
  const paths = opts.paths ?? labPaths();
  const log = opts.log ?? (() => {});
  return withLabLock(paths, async () => {
    const users = liveLeases(paths);
    if (users.length) throw new LabError(`test run(s) ${users.join(", ")} are using the lab; measure later`);
    const out: Measurement[] = [];
    const step = async (name: string, fn: () => Promise<unknown>) => {
      const t0 = Date.now();
      await fn();
      const m = { step: name, seconds: (Date.now() - t0) / 1000, usedMiB: usedMiB() };
      log(`${name}: ${m.seconds.toFixed(1)} s, used ${m.usedMiB} MiB`);
      out.push(m);
    };
    await step("down (initial)", () => downLocked(paths, log));
    for (const n of sizes) {
      await step(`up ${n}`, () => upLocked(n, { paths, log, owner: "cli" }));
      await step(`down ${n}`, () => downLocked(paths, log));
    }
    return out;
  });
}
