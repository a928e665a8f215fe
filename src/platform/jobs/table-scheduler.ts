/**
 * The SQLite scheduler: an in-process timer over the `jobs` table (migration 006). Each tick takes the
 * lease of every job that is due (a conditional UPDATE, so a second process on the same file cannot
 * take it too), runs it, and sets its next run one interval on.
 */
import { sql } from 'kysely';
import type { JobScheduler, SchedulerOptions } from './scheduler.js';
import { JobRegistry } from './scheduler.js';

/** A run holds its lease this long; a process that dies mid-run frees the job after it. */
const LEASE_MS = 30 * 60 * 1000;
/** How often due jobs are looked for (at most). */
const TICK_MS = 15 * 1000;

export class TableScheduler implements JobScheduler {
  private readonly registry = new JobRegistry();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> = Promise.resolve();

  constructor(private readonly options: SchedulerOptions) {}

  every(name: string, intervalMs: number, run: (now: Date) => Promise<unknown>): void {
    this.registry.add(name, intervalMs, run);
  }

  async runNow(name: string): Promise<unknown> {
    const job = this.registry.get(name);
    const result = await job.run(this.options.clock.now());
    await sql`update jobs set last_run_at = ${this.options.clock.now().toISOString()}, last_error = null where name = ${name}`.execute(
      this.options.database.db,
    );
    return result;
  }

  async start(): Promise<void> {
    const now = this.options.clock.now().getTime();
    for (const job of this.registry.all())
      await sql`insert into jobs (name, interval_ms, run_after_ms) values (${job.name}, ${job.intervalMs}, ${now})
        on conflict (name) do update set interval_ms = excluded.interval_ms`.execute(
        this.options.database.db,
      );
    const intervals = this.registry.all().map((j) => j.intervalMs);
    const every = Math.min(TICK_MS, ...intervals);
    this.timer = setInterval(() => {
      // Ticks never overlap: a long run delays the next look, it does not start a second one.
      this.running = this.running.then(() => this.safeTick());
    }, every);
    this.timer.unref();
    this.running = this.running.then(() => this.safeTick());
    await this.running;
  }

  private async safeTick(): Promise<void> {
    try {
      await this.tick();
    } catch (err) {
      // The database was busy or gone for a moment: the next tick tries again.
      this.options.onError?.('scheduler', err);
    }
  }

  /** Runs every job that is due and not leased; returns the names run. */
  async tick(): Promise<string[]> {
    const ran: string[] = [];
    const db = this.options.database.db;
    for (const job of this.registry.all()) {
      const now = this.options.clock.now().getTime();
      const claimed = await sql`update jobs set locked_until_ms = ${now + LEASE_MS}
        where name = ${job.name} and run_after_ms <= ${now} and (locked_until_ms is null or locked_until_ms < ${now})`.execute(
        db,
      );
      if (Number(claimed.numAffectedRows ?? 0) !== 1) continue;
      let error: string | null = null;
      try {
        await job.run(new Date(now));
        ran.push(job.name);
      } catch (err) {
        error = err instanceof Error ? err.message : String(err);
        this.options.onError?.(job.name, err);
      }
      await sql`update jobs set run_after_ms = ${now + job.intervalMs}, locked_until_ms = null,
        last_run_at = ${new Date(now).toISOString()}, last_error = ${error} where name = ${job.name}`.execute(
        db,
      );
    }
    return ran;
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }
}
