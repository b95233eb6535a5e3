import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
    // Safety nets that turn a hang into a failure, not expectations of speed: tests wait on
    // events, and the suite must pass on a machine busy with other work.
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Tests start real servers on loopback; a few files at a time keeps a 2-core machine responsive.
    maxWorkers: 2,
  },
});
