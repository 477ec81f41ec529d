import { defineConfig } from "vitest/config";

// Unit tests run from TypeScript sources; e2e tests drive the built `bin/keel.js` against the lab.
export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 600_000,
    pool: "forks",
  },
});
