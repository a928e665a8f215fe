/**
 * vitest globalSetup: builds the web app once (into dist/web) before the browser suites, when
 * Chromium is there to run them; the suites serve the build through the real server.
 */
import { existsSync } from 'node:fs';
import { build } from 'vite';
import { CHROMIUM } from './support/browser.js';

export default async function setup(): Promise<void> {
  if (!existsSync(CHROMIUM)) return;
  // The build `npm run build:web` makes, not a development one: vitest sets NODE_ENV=test, and Vite
  // keeps a NODE_ENV it finds, which would ship React's development build (twice the size, slower)
  // to the browser tests and their size budget.
  const nodeEnv = process.env.NODE_ENV;
  process.env.NODE_ENV = 'production';
  try {
    await build({
      configFile: new URL('../../web/vite.config.ts', import.meta.url).pathname,
      mode: 'production',
      logLevel: 'warn',
    });
  } finally {
    process.env.NODE_ENV = nodeEnv;
  }
}
