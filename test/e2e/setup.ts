// Vitest global setup for the e2e project: compile and bundle keel (so bin/keel.js runs fresh code), make sure
// the lab rootfs and apt repository exist, bring up KEEL_LAB_HOSTS lab hosts (default 4) and hand
// the lab to the tests through `provide("keelLab")`. Several test runs may share one lab: each
// holds a lease, and the last run to finish tears down a lab that a test run brought up. A lab
// brought up by hand (`npm run lab -- up N`) is reused and left running.
//
// When the machine cannot run the lab, one line says why and lab tests skip; with CI=true the
// run fails instead. KEEL_LAB_SKIP=1 skips the lab on purpose; KEEL_LAB_KEEP=1 leaves it up.
import { spawnSync } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { down, labPaths, labUnavailableReason, liveLeases, up } from "../lab/index.js";
import type { LabContext } from "./lab.js";

const truthy = (v: string | undefined) => !!v && v !== "0" && v.toLowerCase() !== "false";

/**
 * Both lab projects (`e2e` and `scratch`, see vitest.config.ts) list this setup; vitest calls it once
 * per project, one after the other, in the one main process. The first call compiles, brings the
 * lab up and owns the teardown; the second only hands the same lab to its project.
 */
const SHARED = Symbol.for("keel.e2e.setup");
type Shared = { context: LabContext };
const shared = globalThis as typeof globalThis & { [SHARED]?: Promise<Shared> };

export default async function setup(project: TestProject): Promise<(() => Promise<void>) | void> {
  const first = shared[SHARED];
  if (first) {
    project.provide("keelLab", (await first).context);
    return;
  }
  let teardown: (() => Promise<void>) | void = undefined;
  shared[SHARED] = (async () => {
    teardown = await setupLab(project);
    return { context: project.getProvidedContext().keelLab };
  })();
  await shared[SHARED];
  return teardown;
}

async function setupLab(project: TestProject): Promise<(() => Promise<void>) | void> {
  const ci = truthy(process.env.CI);
  const root = project.config.root;
  const skip = (reason: string) => {
    if (ci) throw new Error(`keel lab: cannot run the e2e tests in CI: ${reason}`);
    console.warn(`keel lab: e2e lab tests skipped: ${reason}`);
    project.provide("keelLab", { available: false, reason } satisfies LabContext);
  };

  // bin/keel.js runs dist/: compile first. Type errors still emit; CI treats them as failures.
  const tsc = spawnSync(process.execPath, [join(root, "node_modules/typescript/bin/tsc"), "-p", root], { encoding: "utf8" });
  if (tsc.status !== 0) {
    const first = (tsc.stdout + tsc.stderr).split("\n").filter(Boolean);
    if (ci) throw new Error(`keel lab: tsc failed:\n${first.slice(0, 20).join("\n")}`);
    console.warn(`keel lab: tsc reported ${first.length} error line(s) (dist still emitted); first: ${first[0]}`);
  }

  // Then bundle, as `npm run build` does: bin/keel.js runs dist/keel.mjs (with the module validators
  // precompiled) while it is at least as new as the tree, so the tests run what a user's build
  // runs, and each of the suite's keel processes starts in about 0.3 s of CPU instead of 0.75 s
  // from the module tree (`keel --version` on this machine).
  const bundle = spawnSync(process.execPath, [join(root, "dist/engine/cli/bundle.js")], { encoding: "utf8" });
  if (bundle.status !== 0) {
    const out = (bundle.stdout + bundle.stderr).trim();
    if (ci) throw new Error(`keel lab: bundling keel failed:\n${out}`);
    console.warn(`keel lab: bundling keel failed (the tests run the module tree): ${out.split("\n")[0]}`);
  }

  if (truthy(process.env.KEEL_LAB_SKIP) && !ci) return skip("KEEL_LAB_SKIP is set");
  const why = await labUnavailableReason();
  if (why) return skip(why);

  const n = Number(process.env.KEEL_LAB_HOSTS ?? 4);
  if (!Number.isInteger(n) || n < 1) throw new Error(`KEEL_LAB_HOSTS must be a positive integer, got ${process.env.KEEL_LAB_HOSTS}`);
  const paths = labPaths();
  mkdirSync(paths.leases, { recursive: true });
  const lease = join(paths.leases, String(process.pid));
  writeFileSync(lease, `${new Date().toISOString()}\n`);
  let state;
  try {
    state = await up(n, { exact: false, owner: "vitest", log: (l) => console.log(`keel lab: ${l}`) });
  } catch (e) {
    rmSync(lease, { force: true });
    if (ci) throw e;
    return skip(`lab failed to start: ${(e as Error).message}`);
  }
  project.provide("keelLab", { available: true, state } satisfies LabContext);

  return async () => {
    rmSync(lease, { force: true });
    if (truthy(process.env.KEEL_LAB_KEEP)) return;
    // Only a lab a test run brought up, and only when no other run still uses it.
    await down({ onlyIf: (st) => st?.owner === "vitest" && liveLeases(paths).length === 0 });
  };
}
