import { defineConfig } from "vitest/config";
import { BaseSequencer, type TestSpecification } from "vitest/node";

// Four projects in two pools that run side by side:
//   forks pool (one worker): `e2e`, which drives the built `bin/keel.js` against the shared lab
//     hosts lab01..04, so its files run one at a time, and `unit-serial`, the unit files that change
//     the process's working directory (worker threads cannot).
//   threads pool (three workers): `unit`, pure tests from TypeScript sources, and `scratch`, the
//     files that touch no shared lab host (each brings its own scratch hosts, or runs only locally).
//     The compat corpus, which runs three roles at once inside the file, starts first on one worker
//     while the others follow each other on the other two. They share nothing with the forks pool
//     but the CPU. (Until session 11 the unit files ran in the forks pool, and the serial lane of
//     unit + e2e files was the suite's critical path: 2,616 of its 3,499 s.)
// Both lab projects use the same global setup, which compiles keel, brings up KEEL_LAB_HOSTS lab
// hosts (default 4) once and tears them down when both pools are done.
// The worker counts are explicit: vitest sizes a pool by the machine's cores, not by a project's
// `fileParallelism`, so on a bigger machine the e2e files would otherwise run in parallel.
// A scratch-only e2e file may stay in `e2e` (fault-loop, reboot, auth, bastion: their deadlines are
// seconds, kept away from the busiest pool); it joins SCRATCH when the lanes need balancing.
const SCRATCH = [
  "test/compat/**/*.test.ts",
  "test/e2e/apt-args.test.ts",
  "test/e2e/apt-upgrade.test.ts",
  "test/e2e/audit-fresh.test.ts",
  "test/e2e/audit.test.ts",
  "test/e2e/copy-tree.test.ts",
  "test/e2e/debconf.test.ts",
  "test/e2e/file-hard.test.ts",
  "test/e2e/execs-ceiling.test.ts",
  "test/e2e/firewall.test.ts",
  "test/e2e/harden.test.ts",
  "test/e2e/mods-args.test.ts",
  "test/e2e/mods-args8.test.ts",
  "test/e2e/mount-ansible.test.ts",
  "test/e2e/mysql-modules.test.ts",
  "test/e2e/newmods.test.ts",
  "test/e2e/npm-module.test.ts",
  "test/e2e/pamd.test.ts",
  "test/e2e/patches-maxfail.test.ts",
  "test/e2e/patches.test.ts",
  "test/e2e/pipeline-equivalence.test.ts",
  "test/e2e/postgresql-modules.test.ts",
  "test/e2e/result-shape.test.ts",
  "test/e2e/sshd-guard.test.ts",
  "test/e2e/unarchive-formats.test.ts",
  "test/e2e/vault.test.ts",
];

/**
 * Unit files that change the process's working directory (process.chdir, which worker threads do
 * not have) or its HOME for code that reads os.homedir() (a worker thread's process.env is its own
 * copy, and os.homedir() reads the process's real environment): they run in the forks pool,
 * between the e2e files; every other unit file runs in the threads pool beside the scratch files.
 */
const UNIT_SERIAL = [
  "test/unit/inventory/cli.test.ts",
  "test/unit/cli/run-list.test.ts",
  "test/unit/cli/ansible-cfg.test.ts",
  "test/unit/transport/proxy-command.test.ts",
  "test/unit/transport/sshd-algorithms.test.ts",
  "test/unit/transport/tilde.test.ts",
];

/**
 * The longest files, longest first: a pool starts them before the rest, so that the two scratch
 * workers end together (vitest's own order is the last run's durations, or on a fresh machine such
 * as CI the file sizes, which would let the compat corpus start last).
 */
const LONGEST = ["test/compat/compat.test.ts", "test/e2e/harden.test.ts", "test/e2e/firewall.test.ts", "test/e2e/pipeline-equivalence.test.ts"];

class LongestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const rank = (f: TestSpecification) => {
      const i = LONGEST.findIndex((p) => f.moduleId.endsWith(`/${p}`));
      return i < 0 ? LONGEST.length : i;
    };
    const sorted = await super.sort(files);
    return sorted
      .map((f, i) => ({ f, i }))
      .sort((a, b) => rank(a.f) - rank(b.f) || a.i - b.i)
      .map(({ f }) => f);
  }
}

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 600_000,
    pool: "forks",
    poolOptions: {
      forks: { maxForks: 1, minForks: 1 },
      threads: { maxThreads: 3, minThreads: 1 },
    },
    sequence: { sequencer: LongestFirst },
    projects: [
      {
        extends: true,
        test: { name: "unit", include: ["test/unit/**/*.test.ts"], exclude: UNIT_SERIAL, pool: "threads" },
      },
      {
        extends: true,
        test: { name: "unit-serial", include: UNIT_SERIAL },
      },
      {
        extends: true,
        test: {
          name: "e2e",
          include: ["test/e2e/**/*.test.ts"],
          exclude: SCRATCH,
          globalSetup: ["test/e2e/setup.ts"],
          fileParallelism: false,
          testTimeout: 180_000,
        },
      },
      {
        extends: true,
        test: {
          name: "scratch",
          include: SCRATCH,
          pool: "threads",
          globalSetup: ["test/e2e/setup.ts"],
          testTimeout: 180_000,
          // only the compat corpus runs tests concurrently (roles, each on its own scratch hosts)
          maxConcurrency: 3,
        },
      },
    ],
  },
});
