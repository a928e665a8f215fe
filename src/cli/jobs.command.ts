/**
 * `careloop jobs list | run <name>`: the recurring jobs the server runs, and running one now (as the
 * server would, with the system clock, acting as Device/careloop-jobs).
 */
import type { ResourceStore } from '../fhir/store/store.js';
import { carePlanJobs } from '../modules/care-plans/care-plans.jobs.js';
import { taskJobs } from '../modules/tasks/tasks.jobs.js';
import { systemClock } from '../platform/clock.js';
import type { Config } from '../platform/config.js';
import {
  createScheduler,
  type JobDefinition,
  JobRegistry,
  type JobScheduler,
  registerJobs,
} from '../platform/jobs/scheduler.js';
import { UsageError } from './args.js';
import { openRuntime } from './runtime.js';

const help = `usage: careloop jobs list
       careloop jobs run <name>

Lists the recurring jobs \`careloop serve\` runs, or runs one now over DATABASE_URL.`;

/** Every recurring job of the app; `careloop serve` schedules these. */
export function allJobs(store: ResourceStore, timeZone: string): JobDefinition[] {
  return [...taskJobs(store), ...carePlanJobs(store, timeZone)];
}

/**
 * Starts every recurring job as `careloop serve` runs them: as Device/careloop-jobs on the store's
 * clock, over pg-boss on PostgreSQL or the jobs table on SQLite, failures logged without their data.
 */
export async function startJobs(
  store: ResourceStore,
  config: Config,
  log: { error(object: object, message: string): void },
): Promise<JobScheduler> {
  const scheduler = await createScheduler({
    database: store.database,
    clock: store.options.clock,
    databaseUrl: config.databaseUrl,
    onError: (name, err) =>
      log.error(
        { job: name, err: { message: err instanceof Error ? err.message : String(err) } },
        'job failed',
      ),
  });
  registerJobs(scheduler, allJobs(store, config.timeZone));
  await scheduler.start();
  return scheduler;
}

export async function jobsCommand(args: string[]): Promise<number> {
  const [sub, name, ...rest] = args;
  if (!sub || sub === '--help' || sub === '-h') {
    console.log(help);
    return sub ? 0 : 2;
  }
  if (sub !== 'list' && sub !== 'run') throw new UsageError(`unknown jobs command "${sub}"\n\n${help}`);
  if (sub === 'run' && (!name || rest.length > 0))
    throw new UsageError(`jobs run takes one job name\n\n${help}`);
  const runtime = await openRuntime();
  try {
    const registry = new JobRegistry();
    for (const job of allJobs(runtime.store, runtime.config.timeZone))
      registry.add(job.name, job.intervalMs, job.run);
    if (sub === 'list') {
      for (const job of registry.all()) console.log(`${job.name}  every ${job.intervalMs / 60_000} min`);
      return 0;
    }
    const job = registry.get(name!);
    const result = await job.run(systemClock.now());
    console.log(JSON.stringify({ job: job.name, result }));
    return 0;
  } finally {
    await runtime.database.close();
  }
}
