/**
 * Builds the real app over a test database, for HTTP tests through `app.inject()`. Requests carry an
 * integration token (full access, as an EHR interface would have) unless the test sends its own
 * `authorization` or `cookie` header — access-control tests sign in as the role they test.
 */
import type { FastifyInstance, InjectOptions } from 'fastify';
import type { ResourceStore } from '../../src/fhir/store/store.js';
import { fixedClock } from '../../src/platform/clock.js';
import { type Config, loadConfig } from '../../src/platform/config.js';
import { buildApp } from '../../src/server/app.js';
import { bearerFor } from './identity.js';
import { openTestDatabase, type TestDatabase } from './test-databases.js';

export interface TestApp {
  app: FastifyInstance;
  store: ResourceStore;
  db: TestDatabase;
  /** The integration token's Authorization header that requests carry by default. */
  authorization: string;
  close(): Promise<void>;
}

/** The app as `npm start` builds it, over a fresh database of the given dialect. */
export async function openTestApp(
  target: 'sqlite' | 'postgres',
  overrides: Partial<Config> = {},
): Promise<TestApp> {
  const db = await openTestDatabase(target);
  // Suites send thousands of requests as one integration; the production limits are tested on their own
  // (src/server/rate-limits.int.test.ts).
  const config = loadConfig(
    {},
    {
      databaseUrl: db.url,
      rateLimitPerMinute: 1_000_000,
      integrationRateLimitPerMinute: 1_000_000,
      ...overrides,
    },
  );
  const clock = fixedClock('2026-11-30T12:00:00Z');
  const { app, store } = await buildApp(config, { database: db.database, clock });
  await app.ready();
  const { authorization } = await bearerFor(db.database, { role: 'integration', clock });
  const inject = app.inject.bind(app);
  const withToken = (options: InjectOptions | string): InjectOptions | string => {
    if (typeof options === 'string') return { url: options, headers: { authorization } };
    const headers = (options.headers ?? {}) as Record<string, unknown>;
    if ('authorization' in headers || 'cookie' in headers) return options;
    return { ...options, headers: { ...headers, authorization } };
  };
  // biome-ignore lint/suspicious/noExplicitAny: inject's overloads (options, string, chain) are kept as they are
  (app as any).inject = (options?: InjectOptions | string) =>
    options === undefined ? inject() : inject(withToken(options) as InjectOptions);
  return {
    app,
    store,
    db,
    authorization,
    close: async () => {
      await app.close();
      await db.cleanup();
    },
  };
}
