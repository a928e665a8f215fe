/**
 * Recurring background jobs behind one interface: on PostgreSQL a pg-boss schedule (any server may
 * take a run, and each interval runs once across the cluster); on SQLite an in-process timer over the
 * `jobs` table (one file, so at most a few processes, and the table's lease keeps them from both
 * running a job). Jobs get `now` from the clock they are given, so tests can move time.
 */
import type { Clock } from '../clock.js';
import type { Database } from '../database.js';

/** A job: its name (also the CLI's and the queue's), how often it runs, and the work. */
export interface JobDefinition {
  name: string;
  intervalMs: number;
  run: (now: Date) => Promise<unknown>;
}

export interface JobScheduler {
  /** Registers a recurring job (before `start`). */
  every(name: string, intervalMs: number, run: (now: Date) => Promise<unknown>): void;
  /** Runs a registered job now, in this process, and returns what it returned. */
  runNow(name: string): Promise<unknown>;
  /** Starts running the registered jobs on their intervals. */
  start(): Promise<void>;
  /** Stops taking new runs and waits for the one in progress. */
  stop(): Promise<void>;
}

export interface SchedulerOptions {
  database: Database;
  clock: Clock;
  /** The PostgreSQL URL (pg-boss opens its own pool); unused on SQLite. */
  databaseUrl?: string;
  /** pg-boss schema; default `careloop_jobs`. */
  pgBossSchema?: string;
  /** Called with a job's failure (it is retried at the next interval). */
  onError?: (name: string, error: unknown) => void;
}

/** The scheduler for the database's dialect. */
export async function createScheduler(options: SchedulerOptions): Promise<JobScheduler> {
  if (options.database.dialect === 'postgres') {
    const { PgBossScheduler } = await import('./pg-boss-scheduler.js');
    if (!options.databaseUrl) throw new Error('the PostgreSQL job scheduler needs the database URL');
    return new PgBossScheduler({ ...options, databaseUrl: options.databaseUrl });
  }
  const { TableScheduler } = await import('./table-scheduler.js');
  return new TableScheduler(options);
}

/** Registers every definition on a scheduler. */
export function registerJobs(scheduler: JobScheduler, jobs: JobDefinition[]): void {
  for (const job of jobs) scheduler.every(job.name, job.intervalMs, job.run);
}

/** The jobs kept by name, with the error a second registration or an unknown name deserves. */
export class JobRegistry {
  private readonly jobs = new Map<string, JobDefinition>();

  add(name: string, intervalMs: number, run: JobDefinition['run']): void {
    if (this.jobs.has(name)) throw new Error(`job "${name}" is registered twice`);
    if (!(intervalMs >= 1000)) throw new Error(`job "${name}": the interval must be at least one second`);
    this.jobs.set(name, { name, intervalMs, run });
  }

  get(name: string): JobDefinition {
    const job = this.jobs.get(name);
    if (!job) throw new Error(`no job named "${name}"; known: ${[...this.jobs.keys()].join(', ') || 'none'}`);
    return job;
  }

  all(): JobDefinition[] {
    return [...this.jobs.values()];
  }
}
