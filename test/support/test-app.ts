/** Builds the real app over a test database, for HTTP tests through `app.inject()`. */
import type { FastifyInstance } from 'fastify';
import type { ResourceStore } from '../../src/fhir/store/store.js';
import { fixedClock } from '../../src/platform/clock.js';
import { type Config, loadConfig } from '../../src/platform/config.js';
import { buildApp } from '../../src/server/app.js';
import { openTestDatabase, type TestDatabase } from './test-databases.js';

export interface TestApp {
  app: FastifyInstance;
  store: ResourceStore;
  db: TestDatabase;
  close(): Promise<void>;
}

/** The app as `npm start` builds it, over a fresh database of the given dialect. */
export async function openTestApp(
  target: 'sqlite' | 'postgres',
  overrides: Partial<Config> = {},
): Promise<TestApp> {
  const db = await openTestDatabase(target);
  const config = loadConfig({}, { databaseUrl: db.url, ...overrides });
  const { app, store } = await buildApp(config, {
    database: db.database,
    clock: fixedClock('2026-11-30T12:00:00Z'),
  });
  await app.ready();
  return {
    app,
    store,
    db,
    close: async () => {
      await app.close();
      await db.cleanup();
    },
  };
}
