import { defineConfig } from "vitest/config";

// Two projects. `unit` runs pure tests from TypeScript sources. `e2e` drives the built
// `bin/keel.js` against the lab: its global setup compiles keel, brings up KEEL_LAB_HOSTS lab hosts
// (default 4) and tears them down afterwards; its files run one at a time because they share the lab.
export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 600_000,
    pool: "forks",
    projects: [
      {
        extends: true,
        test: { name: "unit", include: ["test/unit/**/*.test.ts"] },
      },
      {
        extends: true,
        test: {
          name: "e2e",
          include: ["test/e2e/**/*.test.ts", "test/compat/**/*.test.ts"],
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
