/**
 * `npm run bench:load`: the FHIR API under closed-loop load, as a share of what a Fastify hello-world
 * answers on the same machine in the same run (issue 16 item 3). Per database: seeds a fresh SQLite
 * file / PostgreSQL schema with generated patients (through the write path, observations included)
 * and an integration user's token, starts the real `careloop serve` and a hello-world Fastify server
 * (bench/hello-server.ts) as child processes, and drives each with the same load generator
 * (bench/load-generator.ts, in processes of its own): hello, mix, read, search, create, then hello
 * again. The baseline is the mean of the two hello runs (the machine may be shared: a load that
 * changed during the run shows as two different hello rates). Writes bench/results/<date>-load-<db>.json.
 *
 *   npm run bench:load -- [--db sqlite,postgres] [--connections 50] [--duration 10 | --requests N]
 *                         [--warmup 3] [--patients 300] [--workloads hello,mix,read,search,create]
 *                         [--processes 1] [--allow-errors] [--out bench/results] [--name bench_load]
 *
 * Every CareLoop request carries the integration token: authentication, the access check and the
 * audit trail run as for any client. Any non-2xx answer is an error: the run fails (exit 1) when
 * there were errors, unless --allow-errors.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { allJobs } from '../src/cli/jobs.command.js';
import { openRuntime } from '../src/cli/runtime.js';
import { loadDemoData } from '../src/generator/demo-data.js';
import {
  analyzeDatabase,
  benchDatabaseUrl,
  benchToken,
  databaseVersion,
  forEachDatabase,
  freePort,
  loadAverage,
  machine,
  resetBenchDatabase,
  round,
  startServer,
  stopServer,
} from './bench-support.js';
import { type LoadFigures, startGenerators } from './load-generator.js';
import { type WorkloadName, workloadNames, workloads } from './load-workloads.js';

const { values } = parseArgs({
  options: {
    db: { type: 'string', default: 'sqlite,postgres' },
    connections: { type: 'string', default: '50' },
    duration: { type: 'string', default: '10' },
    requests: { type: 'string' },
    warmup: { type: 'string', default: '3' },
    patients: { type: 'string', default: '300' },
    workloads: { type: 'string', default: workloadNames.join(',') },
    processes: { type: 'string', default: '1' },
    'allow-errors': { type: 'boolean', default: false },
    out: { type: 'string', default: join(import.meta.dirname, 'results') },
    name: { type: 'string', default: 'bench_load' },
  },
});
const chosen = values.workloads!.split(',') as WorkloadName[];
for (const name of chosen)
  if (!workloadNames.includes(name)) throw new Error(`--workloads: unknown workload "${name}"`);
// The hello-world rate is what every ratio divides by: it is always measured, first and last.
const careloopWorkloads = chosen.filter((name) => name !== 'hello');
const settings: {
  connections: number;
  durationSeconds?: number;
  requests?: number;
  warmupSeconds: number;
  processes: number;
  patients: number;
} = {
  connections: Number(values.connections),
  ...(values.requests ? { requests: Number(values.requests) } : { durationSeconds: Number(values.duration) }),
  warmupSeconds: Number(values.warmup),
  processes: Number(values.processes),
  patients: Number(values.patients),
};
const root = join(import.meta.dirname, '.data');
const pgUrl = process.env.CARELOOP_BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const bin = join(import.meta.dirname, '../bin/careloop.js');
// What the CareLoop server runs with, besides DATABASE_URL, PORT and HOST (recorded with the figures).
const serverEnv = {
  LOG_LEVEL: 'warn',
  CARELOOP_RATE_LIMIT_PER_MINUTE: '0',
  CARELOOP_MLLP_PORT: 'off',
};

interface WorkloadResult extends LoadFigures {
  workload: WorkloadName;
  server: 'hello' | 'careloop';
  description: string;
  example: string;
  /** This workload's requests/s over the hello-world baseline's. */
  ratioToHello: number;
  targetRatio?: number;
  meetsTarget?: boolean;
  loadAverage: { before: number[]; after: number[] };
}

async function runFor(db: 'sqlite' | 'postgres'): Promise<boolean> {
  const sqlitePath = join(root, `${values.name}.db`);
  const databaseUrl = benchDatabaseUrl(db, sqlitePath, pgUrl, values.name!);
  const loadBefore = loadAverage();
  await resetBenchDatabase(db, sqlitePath, pgUrl, values.name!);
  const runtime = await openRuntime({ databaseUrl });
  console.log(`[${db}] seeding ${settings.patients} generated patients through the write path`);
  const seeded = await loadDemoData(runtime.store, { patients: settings.patients, seed: 'bench-load' });
  // The recurring jobs once now, so that the server's first run of them at start-up (overdue
  // escalation of the seeded tasks) has nothing left to do and does not compete with the load.
  for (const job of allJobs(runtime.store, runtime.config.timeZone)) await job.run(new Date());
  await analyzeDatabase(runtime.database);
  const patients = await runtime.store.executor
    .selectFrom('resources')
    .select('id')
    .where('resource_type', '=', 'Patient')
    .where('deleted', '=', 0)
    .orderBy('id')
    .execute();
  const data = { patientIds: patients.map((p) => p.id) };
  const authorization = await benchToken(runtime, 'integration');
  const version = await databaseVersion(runtime.database);
  await runtime.database.close();
  console.log(
    `[${db}] seeded ${seeded?.resources} resources (${data.patientIds.length} patients) in ${seeded?.seconds.toFixed(1)} s`,
  );

  const ports = { careloop: await freePort(), hello: await freePort() };
  // Started side by side: on a loaded machine each takes seconds to load its modules.
  const [careloop, hello, generators] = await Promise.allSettled([
    startServer([bin, 'serve'], databaseUrl, ports.careloop, serverEnv),
    startServer(['--import', 'tsx', join(import.meta.dirname, 'hello-server.ts')], '', ports.hello),
    startGenerators(settings.processes),
  ]);
  const stopAll = async () => {
    if (generators.status === 'fulfilled') generators.value.close();
    for (const server of [hello, careloop]) if (server.status === 'fulfilled') await stopServer(server.value);
  };
  if (careloop.status === 'rejected' || hello.status === 'rejected' || generators.status === 'rejected') {
    await stopAll();
    throw [careloop, hello, generators].find((r) => r.status === 'rejected')!.reason;
  }
  const results: WorkloadResult[] = [];
  try {
    for (const name of ['hello', ...careloopWorkloads, 'hello'] as WorkloadName[]) {
      const workload = workloads[name];
      const before = loadAverage();
      const figures = await generators.value.run({
        port: ports[workload.server],
        workload: name,
        data,
        authorization: workload.server === 'careloop' ? authorization : undefined,
        connections: settings.connections,
        durationSeconds: settings.durationSeconds,
        requests: settings.requests,
        warmupSeconds: settings.warmupSeconds,
        seed: 7,
      });
      const example = workload.next(data, () => 0);
      results.push({
        workload: name,
        server: workload.server,
        description: workload.description,
        example: `${example.method} ${example.path}`,
        ...figures,
        ratioToHello: 0,
        ...(workload.targetRatio ? { targetRatio: workload.targetRatio } : {}),
        loadAverage: { before, after: loadAverage() },
      });
      console.log(
        `[${db}] ${name}: ${figures.requestsPerSecond} req/s, p99 ${figures.latencyMs.p99} ms, ${figures.errors} errors`,
      );
    }
  } finally {
    await stopAll();
  }

  const helloRates = results.filter((r) => r.workload === 'hello').map((r) => r.requestsPerSecond);
  const baseline = helloRates.reduce((a, b) => a + b, 0) / helloRates.length;
  for (const r of results) {
    r.ratioToHello = Math.round((r.requestsPerSecond / baseline) * 1000) / 1000;
    if (r.targetRatio) r.meetsTarget = r.ratioToHello >= r.targetRatio;
  }
  const errors = results.reduce((n, r) => n + r.errors, 0);
  const report = {
    date: new Date().toISOString(),
    command: `npm run bench:load -- ${process.argv.slice(2).join(' ')}`.trim(),
    machine: machine(),
    database: { dialect: db, version },
    servers: {
      careloop: { command: 'careloop serve', env: serverEnv },
      hello: 'bench/hello-server.ts: Fastify, one route, no logging',
    },
    population: {
      patients: data.patientIds.length,
      resources: seeded?.resources,
      seedSeconds: round(seeded?.seconds ?? 0),
    },
    settings,
    baseline: { helloRequestsPerSecond: Math.round(baseline), runs: helloRates },
    workloads: results,
    errors,
    loadAverage: { before: loadBefore, after: loadAverage() },
    targets: Object.fromEntries(
      workloadNames.flatMap((n) => (workloads[n].targetRatio ? [[n, workloads[n].targetRatio]] : [])),
    ),
  };
  mkdirSync(values.out!, { recursive: true });
  const file = join(values.out!, `${report.date.slice(0, 10)}-load-${db}.json`);
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  printTable(db, report.settings, results, report.loadAverage);
  for (const r of results)
    for (const sample of r.errorSamples) console.log(`  ${r.workload} error: ${sample}`);
  console.log(`[${db}] wrote ${file}`);
  return errors === 0;
}

function printTable(
  db: string,
  s: typeof settings,
  results: WorkloadResult[],
  load: { before: number[]; after: number[] },
): void {
  const length = s.requests ? `${s.requests} requests` : `${s.durationSeconds} s`;
  console.log(
    `\n[${db}] ${s.connections} connections, ${length} per workload after ${s.warmupSeconds} s warm-up; load average ${load.before[0]} → ${load.after[0]}`,
  );
  const row = (cells: (string | number)[]) =>
    console.log(
      cells
        .map((c, i) => (i === 0 || i === 5 ? String(c).padEnd(i === 0 ? 8 : 26) : String(c).padStart(8)))
        .join(' '),
    );
  row(['workload', 'req/s', 'p50 ms', 'p95 ms', 'p99 ms', 'statuses', '× hello', 'target']);
  for (const r of results)
    row([
      r.workload,
      r.requestsPerSecond,
      r.latencyMs.p50,
      r.latencyMs.p95,
      r.latencyMs.p99,
      Object.entries(r.statusCounts)
        .map(([status, n]) => `${status}: ${n}`)
        .join(', '),
      r.ratioToHello.toFixed(3),
      r.targetRatio ? `≥ ${r.targetRatio.toFixed(3)} ${r.meetsTarget ? 'met' : 'not met'}` : '',
    ]);
}

mkdirSync(root, { recursive: true });
const ok = await forEachDatabase(values.db!, pgUrl, runFor);
if (!ok && !values['allow-errors']) {
  console.error('some requests were answered with an error (non-2xx or a network error): see above');
  process.exitCode = 1;
}
