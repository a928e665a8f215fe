/**
 * The databases every store and workflow test runs on: SQLite always, PostgreSQL when reachable
 * (CARELOOP_TEST_DATABASE_URL, or the local server at its default address). Each test suite gets its
 * own SQLite file or PostgreSQL schema, so suites never see each other's data.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { loadFhirDefinitions } from '../../src/fhir/definitions.js';
import { createStore, type ResourceStore } from '../../src/fhir/store/store.js';
import { type Clock, fixedClock } from '../../src/platform/clock.js';
import { type Database, dropPostgresSchema, openDatabase } from '../../src/platform/database.js';
import { migrate } from '../../src/platform/migrate.js';

const DEFAULT_PG = 'postgres://postgres@127.0.0.1:5432/test';

async function reachable(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1500 });
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

const pgUrl = process.env.CARELOOP_TEST_DATABASE_URL ?? DEFAULT_PG;
const pgAvailable = await reachable(pgUrl);
if (!pgAvailable) {
  if (process.env.CARELOOP_TEST_DATABASE_URL) {
    // Asked for explicitly (as CI does): a missing server is a failure, not a skip.
    throw new Error(`CARELOOP_TEST_DATABASE_URL is set but PostgreSQL at ${pgUrl} is not reachable`);
  }
  console.warn(
    `[tests] PostgreSQL not reachable at ${pgUrl}: PostgreSQL suites are SKIPPED (set CARELOOP_TEST_DATABASE_URL to run them)`,
  );
}

export interface TestDatabaseTarget {
  name: 'sqlite' | 'postgres';
  available: boolean;
}

/** The targets for `describe.each`: both dialects; PostgreSQL marked unavailable when unreachable. */
export const databaseTargets: TestDatabaseTarget[] = [
  { name: 'sqlite', available: true },
  { name: 'postgres', available: pgAvailable },
];

export interface TestDatabase {
  database: Database;
  /** For a second connection to the same data (e.g. a second server process). */
  url: string;
  schema?: string;
  cleanup(): Promise<void>;
}

/** Opens a fresh, migrated database of the given dialect. */
export async function openTestDatabase(target: TestDatabaseTarget['name']): Promise<TestDatabase> {
  loadFhirDefinitions();
  if (target === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'careloop-test-'));
    const url = `sqlite:${join(dir, 'test.db')}`;
    const database = await openDatabase(url);
    await migrate(database);
    return {
      database,
      url,
      cleanup: async () => {
        await database.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const schema = `t_${randomBytes(6).toString('hex')}`;
  const database = await openDatabase(pgUrl, { schema, poolSize: 5 });
  await migrate(database);
  return {
    database,
    url: pgUrl,
    schema,
    cleanup: async () => {
      await database.close();
      await dropPostgresSchema(pgUrl, schema);
    },
  };
}

/** A store over a test database with a settable clock and test-friendly limits. */
export function testStore(
  database: Database,
  options: { clock?: Clock; referentialIntegrity?: boolean } = {},
): ResourceStore {
  return createStore(database, {
    clock: options.clock ?? fixedClock('2026-11-30T12:00:00Z'),
    referentialIntegrity: options.referentialIntegrity ?? true,
    defaultPageSize: 50,
    maxPageSize: 1000,
  });
}
