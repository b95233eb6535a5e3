import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    // Tests start real servers on loopback; a few files at a time keeps a 2-core machine responsive.
    maxWorkers: 2,
  },
});
