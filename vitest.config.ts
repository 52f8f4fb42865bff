import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["packages/*/src/**/*.test.ts", "apps/*/src/**/*.test.{ts,tsx}", "e2e/**/*.test.ts"],
    // Real servers, real SQLite files, real Chromium: give I/O room, never assert on wall time.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: "forks",
    // The process tests start the gateway as `npm start` does, from its bundle: built once here.
    globalSetup: ["apps/gateway/src/bundle-test-support.ts"],
    // A bound on waiting, never a timing assertion: worker threads and Chromium start slowly on a
    // loaded 2-core machine.
    expect: { poll: { timeout: 15_000 } },
    // The gateway's info lines (one per call and more) would bury the test report; warnings stay.
    env: { HOOKLINE_LOG_LEVEL: process.env.HOOKLINE_LOG_LEVEL ?? "warn" },
    reporters: ["default", "./scripts/summary-reporter.ts"],
  },
});
