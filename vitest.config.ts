import { defineConfig } from "vitest/config";

// Three projects in two lanes that run side by side:
//   forks lane (one worker): `unit`, pure tests from TypeScript sources, and `e2e`, which drives the
//     built `bin/keel.js` against the shared lab hosts lab01..04, so its files run one at a time.
//   threads lane (one worker): `scratch`, the files that touch no shared lab host (each brings its
//     own scratch hosts, or runs only locally): the compat corpus, which runs three roles at once
//     inside the file, and a few e2e files. They share nothing with the forks lane but the CPU.
// Both lab projects use the same global setup, which compiles keel, brings up KEEL_LAB_HOSTS lab
// hosts (default 4) once and tears them down when both lanes are done.
// The worker counts are explicit: vitest sizes a pool by the machine's cores, not by a project's
// `fileParallelism`, so on a bigger machine the e2e files would otherwise run in parallel.
const SCRATCH = [
  "test/compat/**/*.test.ts",
  "test/e2e/audit-fresh.test.ts",
  "test/e2e/pamd.test.ts",
  "test/e2e/pipeline-equivalence.test.ts",
  "test/e2e/sshd-guard.test.ts",
];

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 600_000,
    pool: "forks",
    poolOptions: {
      forks: { maxForks: 1, minForks: 1 },
      threads: { maxThreads: 1, minThreads: 1 },
    },
    projects: [
      {
        extends: true,
        test: { name: "unit", include: ["test/unit/**/*.test.ts"] },
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
          fileParallelism: false,
          testTimeout: 180_000,
          // only the compat corpus runs tests concurrently (roles, each on its own scratch hosts)
          maxConcurrency: 3,
        },
      },
    ],
  },
});
