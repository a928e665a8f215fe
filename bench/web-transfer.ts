/**
 * `npm run bench:web`: what the web app costs on the wire (issue 14). Builds nothing: measures the
 * build in dist/web (`npm run build:web` first), served by the real server (SQLite, 30 generated
 * patients and the demo users, as the browser tests start it) to Debian's Chromium, each journey in a
 * fresh browser context (an empty cache, as a first visit):
 * - the sign-in page;
 * - a care coordinator signing in to their first worklist screen (desktop);
 * - a patient signing in to the portal's home, My health (a 390x844 phone).
 * Sums the bytes transferred as served (compressed when compressed, headers included) of the app's
 * files (HTML, scripts, styles, fonts) and, apart, of the API's answers; prints a markdown table and
 * writes bench/results/<date>-web-transfer.json with the machine and each file.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { DEMO_PASSWORD } from '../src/access/identity/demo-users.js';
import { launchBrowser, newPage, phone } from '../test/e2e/support/browser.js';
import { startE2eServer } from '../test/e2e/support/e2e-server.js';
import { isAppFile, recordTransfers, type Transfer, transferredBytes } from '../test/e2e/support/transfer.js';
import { machine } from './bench-support.js';

interface Journey {
  name: string;
  /** The sign-in page's files, then what signing in to the screen added. */
  signIn: Transfer[];
  after: Transfer[];
}

/** Opens the sign-in page in a fresh context; `then` continues from it (signs in, waits for a screen). */
async function journey(
  browser: Browser,
  baseURL: string,
  name: string,
  viewport: { width: number; height: number } | undefined,
  then?: (page: Page) => Promise<void>,
): Promise<Journey> {
  const { context, page } = await newPage(browser, baseURL, viewport);
  const recorder = recordTransfers(page);
  await page.goto('/');
  await page.getByRole('textbox', { name: 'Email' }).waitFor();
  await page.waitForLoadState('networkidle');
  const signIn = await recorder.read();
  if (then) await then(page);
  const all = await recorder.read();
  await context.close();
  return { name, signIn, after: all.slice(signIn.length) };
}

async function signInAs(page: Page, email: string, password: string): Promise<void> {
  await page.getByRole('textbox', { name: 'Email' }).fill(email);
  await page.getByRole('textbox', { name: 'Password' }).fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/** Waits until the screen has its heading and no loading placeholder is left. */
async function screenLoaded(page: Page, heading: RegExp): Promise<void> {
  await page.getByRole('heading', { name: heading, level: 1 }).waitFor({ timeout: 30_000 });
  // No loading placeholder left (the first one gone means none matches).
  await page.locator('.mantine-Skeleton-root').first().waitFor({ state: 'detached', timeout: 30_000 });
}

const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;

const server = await startE2eServer('sqlite');
const chromium = await launchBrowser();
try {
  const journeys = [
    await journey(chromium.browser, server.baseURL, 'sign-in page (phone)', phone),
    await journey(chromium.browser, server.baseURL, 'coordinator: worklist', undefined, async (page) => {
      await signInAs(page, server.user('care-coordinator').email, DEMO_PASSWORD);
      await screenLoaded(page, /^Worklist/);
      await page.getByTestId('worklist-count').filter({ hasNotText: 'Loading' }).waitFor();
    }),
    await journey(chromium.browser, server.baseURL, 'patient: portal home (phone)', phone, async (page) => {
      await signInAs(page, server.user('patient').email, DEMO_PASSWORD);
      await screenLoaded(page, /^My health$/);
    }),
  ];
  const isScript = (t: Transfer) => t.type === 'script';
  const rows = journeys.map((j) => {
    const all = [...j.signIn, ...j.after];
    return `| ${j.name} | ${kb(transferredBytes(all, isAppFile))} | ${kb(transferredBytes(all, isScript))} | ${
      j.after.length ? kb(transferredBytes(j.after, isAppFile)) : '–'
    } | ${all.filter(isAppFile).length} | ${kb(transferredBytes(all, (t) => !isAppFile(t)))} | ${[
      ...new Set(all.filter(isAppFile).map((t) => t.encoding || 'none')),
    ].join(', ')} |`;
  });
  console.log(
    [
      '| journey (cold cache) | app files | of which scripts | after sign-in | files | API answers | encoding |',
      '| --- | --- | --- | --- | --- | --- | --- |',
      ...rows,
    ].join('\n'),
  );
  const date = new Date().toISOString().slice(0, 10);
  const dir = join(import.meta.dirname, 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${date}-web-transfer.json`);
  writeFileSync(
    file,
    `${JSON.stringify({ date, machine: machine(), command: 'npm run build:web && npm run bench:web', journeys }, null, 2)}\n`,
  );
  console.log(`\nwritten: ${file}`);
} finally {
  await chromium.close();
  await server.close();
}
