/**
 * The PostgreSQL scheduler over a real server: pg-boss creates its schema, takes a queued run and
 * hands the job the clock's time. Each run of this file uses its own pg-boss schema, dropped after.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import {
  databaseTargets,
  openTestDatabase,
  type TestDatabase,
} from '../../../test/support/test-databases.js';
import { fixedClock } from '../clock.js';
import { dropPostgresSchema } from '../database.js';
import { cronFor, PgBossScheduler } from './pg-boss-scheduler.js';

const pg = databaseTargets.find((d) => d.name === 'postgres')!;

describe('cronFor', () => {
  it('turns intervals into cron schedules to the minute', () => {
    expect(cronFor(15 * 60 * 1000)).toBe('*/15 * * * *');
    expect(cronFor(60 * 1000)).toBe('* * * * *');
    expect(cronFor(6 * 60 * 60 * 1000)).toBe('0 */6 * * *');
  });
});

describe('pg-boss scheduler (postgres)', () => {
  let db: TestDatabase | undefined;
  const schema = `careloop_jobs_${randomBytes(4).toString('hex')}`;
  afterAll(async () => {
    if (!db) return;
    await dropPostgresSchema(db.url, schema);
    await db.cleanup();
  });

  it.runIf(pg.available)(
    'runs a queued job in a worker with the clock time, and runNow in-process',
    async () => {
      db = await openTestDatabase('postgres');
      const clock = fixedClock('2026-11-30T12:00:00Z');
      const scheduler = new PgBossScheduler({
        database: db.database,
        clock,
        databaseUrl: db.url,
        pgBossSchema: schema,
      });
      const seen: string[] = [];
      scheduler.every('probe', 15 * 60 * 1000, async (now) => {
        seen.push(now.toISOString());
      });
      await scheduler.start();
      try {
        expect(await scheduler.enqueue('probe')).toBeTruthy();
        for (let i = 0; i < 60 && seen.length === 0; i++) await new Promise((r) => setTimeout(r, 250));
        expect(seen).toEqual(['2026-11-30T12:00:00.000Z']);
        await scheduler.runNow('probe');
        expect(seen).toHaveLength(2);
      } finally {
        await scheduler.stop();
      }
    },
    30_000,
  );
});
