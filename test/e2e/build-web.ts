/**
 * vitest globalSetup: builds the web app once (into dist/web) before the browser suites, when
 * Chromium is there to run them; the suites serve the build through the real server.
 */
import { existsSync } from 'node:fs';
import { build } from 'vite';
import { CHROMIUM } from './support/browser.js';

export default async function setup(): Promise<void> {
  if (!existsSync(CHROMIUM)) return;
  await build({
    configFile: new URL('../../web/vite.config.ts', import.meta.url).pathname,
    logLevel: 'warn',
  });
}
