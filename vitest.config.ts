import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts', 'bench/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Builds web/ for the browser suites (test/e2e), when Chromium is installed.
    globalSetup: ['./test/e2e/build-web.ts'],
    reporters: ['default', './test/support/summary-reporter.ts'],
  },
});
