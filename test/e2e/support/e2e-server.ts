/**
 * The real server for browser tests: buildApp over a fresh test database, a generated population of
 * 30 patients and the demo users (one per role, password careloop-demo-2026), listening on a free
 * port. The clock is fixed, so sign-in codes are generated for the server's time.
 */
import type { AddressInfo } from 'node:net';
import * as OTPAuth from 'otpauth';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect } from 'vitest';
import { createDemoUsers, DEMO_PASSWORD, type DemoUser } from '../../../src/access/identity/demo-users.js';
import type { ResourceStore } from '../../../src/fhir/store/store.js';
import { loadDemoData } from '../../../src/generator/demo-data.js';
import { ensureInstruments } from '../../../src/modules/assessments/questionnaires.js';
import { fixedClock } from '../../../src/platform/clock.js';
import { loadConfig } from '../../../src/platform/config.js';
import { buildApp } from '../../../src/server/app.js';
import { openTestDatabase, type TestDatabase } from '../../support/test-databases.js';
import { launchBrowser, type TestBrowser } from './browser.js';

export const NOW = new Date('2026-11-30T12:00:00Z');

export interface E2eServer {
  baseURL: string;
  store: ResourceStore;
  db: TestDatabase;
  users: DemoUser[];
  user(role: DemoUser['role']): DemoUser;
  close(): Promise<void>;
}

export async function startE2eServer(target: 'sqlite' | 'postgres'): Promise<E2eServer> {
  const db = await openTestDatabase(target);
  const clock = fixedClock(NOW.toISOString());
  const config = loadConfig({}, { databaseUrl: db.url });
  const { app, store } = await buildApp(config, { database: db.database, clock });
  // As `careloop serve` does: the shipped instruments (PHQ-9, GAD-7, ...) are in the store.
  await ensureInstruments(store);
  await loadDemoData(store, { patients: 30, now: NOW });
  const demo = await createDemoUsers(db.database, store, clock);
  if (!demo) throw new Error('demo users were not created');
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as AddressInfo;
  return {
    baseURL: `http://127.0.0.1:${port}`,
    store,
    db,
    users: demo.users,
    user: (role) => {
      const found = demo.users.find((u) => u.role === role);
      if (!found) throw new Error(`no demo user with role ${role}`);
      return found;
    },
    close: async () => {
      await app.close();
      await db.cleanup();
    },
  };
}

/** The TOTP code an authenticator app would show now (server time) for this base32 secret. */
export function totpCode(secret: string): string {
  return new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(secret), digits: 6, period: 30 }).generate({
    timestamp: NOW.getTime(),
  });
}

/** Signs in through the sign-in page; for roles that need a second factor, enrols one. */
export async function signIn(page: Page, email: string): Promise<void> {
  await page.goto('/');
  await page.getByRole('textbox', { name: 'Email' }).fill(email);
  await page.getByRole('textbox', { name: 'Password' }).fill(DEMO_PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  // The password step is done when its heading gives way to the next step or to the app.
  await expect.poll(() => page.getByRole('heading', { name: 'Sign in', exact: true }).count()).toBe(0);
}

/** Completes the authenticator set-up step shown after the password. */
export async function completeTotpSetup(page: Page): Promise<void> {
  await expect
    .poll(() => page.getByRole('heading', { name: 'Set up your authenticator app' }).count())
    .toBe(1);
  const secret = (await page.getByTestId('totp-secret').textContent())!.trim();
  await page.getByRole('textbox', { name: 'Six-digit code' }).fill(totpCode(secret));
  await page.getByRole('button', { name: 'Verify' }).click();
}

/** Waits until no loading placeholder (Mantine skeleton) is left on the page. */
export async function waitForLoaded(page: Page): Promise<void> {
  await expect.poll(() => page.locator('.mantine-Skeleton-root').count(), { timeout: 15_000 }).toBe(0);
}

export interface E2eEnvironment {
  readonly server: E2eServer;
  readonly browser: Browser;
}

/**
 * One real server and one Chromium for the describe block it is called in (started before its
 * tests, closed after them); nothing is started when `enabled` is false (no database or browser).
 */
export function e2eEnvironment(target: 'sqlite' | 'postgres', enabled: boolean): E2eEnvironment {
  let server: E2eServer | undefined;
  let chromium: TestBrowser | undefined;
  beforeAll(async () => {
    if (!enabled) return;
    server = await startE2eServer(target);
    chromium = await launchBrowser();
  });
  afterAll(async () => {
    await chromium?.close();
    await server?.close();
  });
  return {
    get server() {
      if (!server) throw new Error('the e2e server is not running');
      return server;
    },
    get browser() {
      if (!chromium) throw new Error('the e2e browser is not running');
      return chromium.browser;
    },
  };
}
