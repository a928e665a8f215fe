/**
 * Identity helpers for HTTP tests: users of any role, a signed-in session (cookie + CSRF header) and
 * bearer tokens, created through the same functions the admin routes and CLI use.
 */
import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { Secret, TOTP } from 'otpauth';
import type { Role } from '../../src/access/access-context.js';
import { SESSION_COOKIE } from '../../src/access/identity/sessions.js';
import { createToken } from '../../src/access/identity/tokens.js';
import { createUser, requiresMfa, type User } from '../../src/access/identity/users.service.js';
import type { ResourceStore } from '../../src/fhir/store/store.js';
import { type Clock, fixedClock } from '../../src/platform/clock.js';
import { type Config, loadConfig } from '../../src/platform/config.js';
import type { Database } from '../../src/platform/database.js';
import { buildApp } from '../../src/server/app.js';
import { openTestDatabase, type TestDatabase } from './test-databases.js';

/** The instant the test apps' clocks start at. */
export const TEST_NOW = '2026-11-30T12:00:00Z';
const testClock = () => fixedClock(TEST_NOW);

export interface TestUser {
  user: User;
  email: string;
  password: string;
  /** Base32 TOTP key, for roles that need a second factor (admin, auditor) or when asked for. */
  totpSecret?: string;
}

/**
 * A user of `role` with a known password. Admins and auditors (who must use a second factor) are
 * created already enrolled, so `signIn` can pass the code step with `totpSecret`.
 */
export async function createTestUser(
  database: Database,
  options: { role: Role; resource?: string; password?: string; email?: string; mfa?: boolean; clock?: Clock },
): Promise<TestUser> {
  const email = options.email ?? `${options.role}-${randomBytes(4).toString('hex')}@test.careloop.org`;
  const password = options.password ?? `test-password-${randomBytes(4).toString('hex')}`;
  const { user } = await createUser(database.db, options.clock ?? testClock(), {
    email,
    name: `Test ${options.role}`,
    role: options.role,
    resource: options.resource,
    password,
  });
  if (!(options.mfa ?? requiresMfa(options.role))) return { user, email, password };
  const totpSecret = new Secret({ size: 20 }).base32;
  await database.db
    .updateTable('users')
    .set({ totp_secret: totpSecret, totp_enabled: 1 })
    .where('id', '=', user.id)
    .execute();
  return { user: { ...user, totp_secret: totpSecret, totp_enabled: 1 }, email, password, totpSecret };
}

/** The TOTP code an authenticator app shows at `at` (default: the test clock's start), `offset` steps on. */
export function totpCode(secret: string, at: Date | string = TEST_NOW, offset = 0): string {
  const totp = new TOTP({ secret: Secret.fromBase32(secret), algorithm: 'SHA1', digits: 6, period: 30 });
  return totp.generate({ timestamp: new Date(at).getTime() + offset * 30_000 });
}

export interface SignedIn {
  /** The Cookie header value. */
  cookie: string;
  csrfToken: string;
  /** Headers for any request as this user: the cookie and the CSRF token. */
  headers: { cookie: string; 'x-csrf-token': string };
}

/** The session cookie a response set, as a Cookie header value. */
export function sessionCookie(response: { cookies: { name: string; value: string }[] }): string | undefined {
  const found = response.cookies.find((c) => c.name === SESSION_COOKIE);
  return found ? `${SESSION_COOKIE}=${found.value}` : undefined;
}

/**
 * Signs in through POST /auth/login (and POST /auth/mfa when a second factor is asked for, with a code
 * for `at`; a code is accepted once, so a second sign-in of the same user needs the clock moved 30 s).
 */
export async function signIn(
  app: FastifyInstance,
  email: string,
  password: string,
  options: { totpSecret?: string; at?: Date | string } = {},
): Promise<SignedIn> {
  let response = await app.inject({ method: 'POST', url: '/auth/login', payload: { email, password } });
  if (response.statusCode !== 200) throw new Error(`sign-in failed: ${response.statusCode} ${response.body}`);
  let cookie = sessionCookie(response)!;
  if (response.json().step === 'mfa-required') {
    if (!options.totpSecret) throw new Error('sign-in asks for a second factor: pass totpSecret');
    response = await app.inject({
      method: 'POST',
      url: '/auth/mfa',
      headers: { cookie },
      payload: { code: totpCode(options.totpSecret, options.at) },
    });
    if (response.statusCode !== 200)
      throw new Error(`second factor failed: ${response.statusCode} ${response.body}`);
    cookie = sessionCookie(response)!;
  }
  const body = response.json();
  if (body.step !== 'signed-in') throw new Error(`sign-in stopped at step ${body.step}`);
  return { cookie, csrfToken: body.csrfToken, headers: { cookie, 'x-csrf-token': body.csrfToken } };
}

/** An Authorization header for a new user of `role` holding a token with `scopes` (default user/*.*). */
export async function bearerFor(
  database: Database,
  options: { role: Role; resource?: string; scopes?: string | string[]; clock?: Clock },
): Promise<{ authorization: string; user: User }> {
  const clock = options.clock ?? testClock();
  const { user } = await createTestUser(database, { role: options.role, resource: options.resource, clock });
  const { token } = await createToken(database.db, clock, { userId: user.id, scopes: options.scopes });
  return { authorization: `Bearer ${token}`, user };
}

/** An Authorization header for a new user of each role, linked to the FHIR resource `resourceOf` names. */
export async function bearersByRole(
  database: Database,
  roles: readonly Role[],
  resourceOf: (role: Role) => string | undefined,
): Promise<Map<Role, string>> {
  const out = new Map<Role, string>();
  for (const role of roles)
    out.set(role, (await bearerFor(database, { role, resource: resourceOf(role) })).authorization);
  return out;
}

export interface ClockedTestApp {
  app: FastifyInstance;
  store: ResourceStore;
  db: TestDatabase;
  /** The app's clock: move it with `clock.set(...)` to test lifetimes and lockouts. */
  clock: Clock & { set(to: Date | string): void; advance(ms: number): void };
  close(): Promise<void>;
}

/** Like openTestApp, but hands back the app's clock so tests can move time. */
export async function openClockedTestApp(
  target: 'sqlite' | 'postgres',
  overrides: Partial<Config> = {},
): Promise<ClockedTestApp> {
  const db = await openTestDatabase(target);
  const base = fixedClock(TEST_NOW);
  const clock = { ...base, advance: (ms: number) => base.set(new Date(base.now().getTime() + ms)) };
  const config = loadConfig({}, { databaseUrl: db.url, ...overrides });
  const { app, store } = await buildApp(config, { database: db.database, clock });
  await app.ready();
  return {
    app,
    store,
    db,
    clock,
    close: async () => {
      await app.close();
      await db.cleanup();
    },
  };
}
