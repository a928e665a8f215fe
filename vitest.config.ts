import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts', 'bench/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // expect.poll waits for what a user would wait for (a page to load on a busy 2-core machine):
    // vitest's default of 1 s made browser steps fail under load, not because they were wrong.
    expect: { poll: { timeout: 10_000 } },
    pool: 'forks',
    // Builds web/ for the browser suites (test/e2e), when Chromium is installed.
    globalSetup: ['./test/e2e/build-web.ts'],
    reporters: ['default', './test/support/summary-reporter.ts'],
  },
});
