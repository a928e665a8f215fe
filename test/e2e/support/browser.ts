/**
 * Browser tests drive Debian's Chromium (/usr/bin/chromium) through playwright-core; no browser is
 * ever downloaded. Without Chromium the suites are skipped with a warning, unless
 * CARELOOP_TEST_REQUIRE_BROWSER=1 (as in CI), which turns the absence into a failure.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { expect } from 'vitest';
import { expectNoClippedText } from './clipped-text.js';

export const CHROMIUM = '/usr/bin/chromium';

/** True when the browser suites can run; throws when they must run and cannot. */
export function browserAvailable(): boolean {
  if (existsSync(CHROMIUM)) return true;
  if (process.env.CARELOOP_TEST_REQUIRE_BROWSER === '1')
    throw new Error(
      `CARELOOP_TEST_REQUIRE_BROWSER=1 but Chromium is not at ${CHROMIUM}: install it (apt-get install chromium)`,
    );
  console.warn(`[tests] Chromium not found at ${CHROMIUM}: browser tests are SKIPPED`);
  return false;
}

export interface TestBrowser {
  browser: Browser;
  close(): Promise<void>;
}

/** Launches headless Chromium (playwright gives it a throw-away profile of its own). */
export async function launchBrowser(): Promise<TestBrowser> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  return {
    browser,
    close: () => browser.close(),
  };
}

export interface Viewport {
  width: number;
  height: number;
}

/**
 * Options for a browser suite's describe block: a test walks several pages, each screenshotted and
 * checked at two widths, on a machine whose 2 cores are shared by several suites at once; vitest's
 * 60 s was too short for the longest journeys there.
 */
export const browserSuite = { timeout: 180_000 };

/** The two screens every page is checked at: a desktop and a 390 px phone (iPhone 12 to 15). */
export const desktop: Viewport = { width: 1280, height: 860 };
export const phone: Viewport = { width: 390, height: 844 };

/** A fresh context (own cookies) at a viewport: desktop by default, or a phone. */
export async function newPage(
  browser: Browser,
  baseURL: string,
  viewport: Viewport = desktop,
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ baseURL, viewport, locale: 'en-US' });
  const page = await context.newPage();
  return { context, page };
}

const axePath = join(process.cwd(), 'node_modules/axe-core/axe.min.js');
let axeSource: string | undefined;

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[]; failureSummary?: string }[];
}

/** Runs axe-core on the page; fails on any serious or critical violation, listing them. */
export async function expectAccessible(page: Page, name: string): Promise<void> {
  // Not page.addScriptTag: the app's Content-Security-Policy (script-src 'self') rightly blocks an
  // inline script. Evaluation through the DevTools protocol is not subject to it, and the app keeps
  // running under its real policy.
  axeSource ??= readFileSync(axePath, 'utf8');
  await page.evaluate(axeSource);
  // A string, not a function: this file is compiled without the DOM types.
  const violations = await page.evaluate<AxeViolation[]>(
    "axe.run(document, { resultTypes: ['violations'] }).then((r) => r.violations)",
  );
  const serious = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  const report = serious.map(
    (v) =>
      `${v.impact} ${v.id}: ${v.help}\n    ${v.nodes.map((n) => `${n.target.join(' ')} — ${n.failureSummary ?? ''}`).join('\n    ')}`,
  );
  expect(report, `axe violations on ${name}`).toEqual([]);
}

const shotsDir = join(process.cwd(), 'test-artifacts/screenshots');

/**
 * Saves a full-page screenshot to test-artifacts/screenshots/<name>.png and checks that no text
 * meant to be read whole is cut (expectNoClippedText); then does both again at the other width (a
 * phone's for a desktop page, a desktop's for a phone's: <name>@<width>.png, the first screen) and
 * returns the page to its own width.
 */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(shotsDir, { recursive: true });
  await page.screenshot({ path: join(shotsDir, `${name}.png`), fullPage: true });
  await expectNoClippedText(page, name);
  const own = page.viewportSize() ?? desktop;
  const other = own.width > phone.width ? phone : desktop;
  await resize(page, other);
  // The screen's worth only: a long chart is costly to capture twice, and the check reads it all.
  await page.screenshot({ path: join(shotsDir, `${name}@${other.width}.png`) });
  await expectNoClippedText(page, `${name} at ${other.width} px`);
  await resize(page, own);
}

/**
 * Resizes the viewport and waits until the page has laid itself out again: two frames for the new
 * layout, then the end of the CSS transitions it started (the staff navigation slides away on a phone).
 */
async function resize(page: Page, viewport: Viewport): Promise<void> {
  await page.setViewportSize(viewport);
  await page.evaluate(`new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))
    .then(() => Promise.all(document.getAnimations()
      .filter((a) => a instanceof CSSTransition)
      .map((a) => a.finished.catch(() => undefined))))`);
}
