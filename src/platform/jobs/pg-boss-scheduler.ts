/**
 * The PostgreSQL scheduler: each job is a pg-boss queue with a cron schedule. pg-boss's clock monitor
 * enqueues one job per schedule tick across every process sharing the database, and the queue's
 * singleton policy keeps a second run from starting while one is active, so any server may take a run
 * and each interval runs once. pg-boss keeps its tables in its own schema (default careloop_jobs).
 */
import type { EventEmitter } from 'node:events';
import { createRequire } from 'node:module';
import PgBoss from 'pg-boss';
import { PG_CONNECTION_SETTINGS } from '../database.js';
import { JobRegistry, type JobScheduler, type SchedulerOptions } from './scheduler.js';

/**
 * pg-boss 10.4 completes or fails a job after its handler settles without awaiting the promise
 * (manager.js, `work` → `onFetch`; timgit/pg-boss#577): when the database went away while the job
 * ran, that promise rejects with nobody to catch it and Node ends the process. Each call's rejection
 * goes to the manager's 'error' event as well (PgBoss re-emits it; the scheduler listens), and is
 * still returned to a caller that awaits it. The job stays active until pg-boss expires it (15
 * minutes by default). Applied once, to the Manager class pg-boss itself loads (the same module).
 */
function reportUnawaitedCompletions(): void {
  const Manager = createRequire(import.meta.url)('pg-boss/src/manager.js') as {
    prototype: Record<string | symbol, unknown>;
  };
  const proto = Manager.prototype;
  const done = Symbol.for('careloop.pg-boss.completions-reported');
  if (proto[done]) return;
  for (const name of ['complete', 'fail']) {
    const original = proto[name];
    if (typeof original !== 'function') continue;
    proto[name] = function (this: EventEmitter, ...args: unknown[]) {
      const result = original.apply(this, args) as Promise<unknown>;
      result.catch((err: unknown) => this.emit('error', err));
      return result;
    };
  }
  proto[done] = true;
}
reportUnawaitedCompletions();

/** A cron expression for an interval (pg-boss schedules by cron, to the minute). */
export function cronFor(intervalMs: number): string {
  const minutes = Math.max(1, Math.round(intervalMs / 60_000));
  if (minutes < 60) return minutes === 1 ? '* * * * *' : `*/${minutes} * * * *`;
  const hours = Math.round(minutes / 60);
  if (hours < 24) return `0 */${hours} * * *`;
  return '0 0 * * *';
}

export class PgBossScheduler implements JobScheduler {
  private readonly registry = new JobRegistry();
  private readonly boss: PgBoss;
  private started = false;

  constructor(private readonly options: SchedulerOptions & { databaseUrl: string }) {
    this.boss = new PgBoss({
      connectionString: options.databaseUrl,
      schema: options.pgBossSchema ?? 'careloop_jobs',
      max: 2,
      ...PG_CONNECTION_SETTINGS,
    });
    // pg-boss emits its pool's broken connections and its loops' failed queries here: an outage
    // (it polls on, and resumes once the database is back) is the database's to report, once.
    this.boss.on('error', (err) => {
      if (!options.database.availability.report(err)) options.onError?.('pg-boss', err);
    });
  }

  every(name: string, intervalMs: number, run: (now: Date) => Promise<unknown>): void {
    this.registry.add(name, intervalMs, run);
  }

  async runNow(name: string): Promise<unknown> {
    return this.registry.get(name).run(this.options.clock.now());
  }

  async start(): Promise<void> {
    await this.boss.start();
    this.started = true;
    for (const job of this.registry.all()) {
      await this.boss.createQueue(job.name, { name: job.name, policy: 'singleton' });
      await this.boss.schedule(job.name, cronFor(job.intervalMs), {}, { tz: 'UTC' });
      await this.boss.work(job.name, async () => {
        try {
          await job.run(this.options.clock.now());
        } catch (err) {
          // Failed for the outage: the next interval runs it again.
          if (!this.options.database.availability.report(err)) this.options.onError?.(job.name, err);
          throw err;
        }
      });
    }
  }

  async stop(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    await this.boss.stop({ graceful: true, wait: true });
  }

  /** Enqueues a run for any worker in the cluster (used by tests to see pg-boss take a job). */
  async enqueue(name: string): Promise<string | null> {
    this.registry.get(name);
    return this.boss.send(name, {});
  }
}
