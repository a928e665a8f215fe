/**
 * `npm run bench`: generate a population, import it into SQLite and (when reachable) PostgreSQL, then
 * run a fixed search mix over HTTP against a real `careloop serve` process and report p50/p95/p99
 * latency and requests/s. Writes bench/results/<date>-<db>.json with the machine description.
 *
 *   npm run bench -- [--patients 100000] [--seed 7] [--db sqlite,postgres] [--requests 400] [--concurrency 2]
 *                    [--tasks-per-patient 2] [--search-only]
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { sql } from 'kysely';
import { openRuntime, type Runtime } from '../src/cli/runtime.js';
import { importFiles } from '../src/fhir/import/import-files.js';
import type { ResourceStore } from '../src/fhir/store/store.js';
import { generatePopulation } from '../src/generator/generate-population.js';
import {
  analyzeDatabase,
  benchDatabaseUrl,
  benchToken,
  databaseVersion,
  forEachDatabase,
  freePort,
  machine,
  resetBenchDatabase,
  round,
  startServer,
} from './bench-support.js';
import { addWorklistTasks } from './worklist-tasks.js';

const { values } = parseArgs({
  options: {
    patients: { type: 'string', default: '100000' },
    seed: { type: 'string', default: '7' },
    db: { type: 'string', default: 'sqlite,postgres' },
    requests: { type: 'string', default: '400' },
    concurrency: { type: 'string', default: '2' },
    'tasks-per-patient': { type: 'string', default: '2' },
    'search-only': { type: 'boolean', default: false },
    analyze: { type: 'boolean', default: false },
  },
});
const patients = Number(values.patients);
const requestsPerQuery = Number(values.requests);
const concurrency = Number(values.concurrency);
const root = join(import.meta.dirname, '.data');
const populationDir = join(root, `population-${patients}-${values.seed}`);
const pgUrl = process.env.CARELOOP_BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const pgSchema = `bench_${patients}`;

interface QueryStats {
  name: string;
  example: string;
  requests: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  requestsPerSecond: number;
  meanResults: number;
}

async function main(): Promise<void> {
  mkdirSync(root, { recursive: true });
  if (!existsSync(join(populationDir, '00-information.json'))) {
    console.log(`generating ${patients} patients (seed ${values.seed}) into ${populationDir}`);
    const started = performance.now();
    const summary = await generatePopulation({ patients, seed: values.seed!, outDir: populationDir });
    console.log(
      `generated ${summary.resources} resources in ${((performance.now() - started) / 1000).toFixed(1)} s`,
    );
  }
  await forEachDatabase(values.db!, pgUrl, runFor);
}

async function runFor(db: 'sqlite' | 'postgres'): Promise<void> {
  const sqlitePath = join(root, `bench-${patients}.db`);
  const databaseUrl = benchDatabaseUrl(db, sqlitePath, pgUrl, pgSchema);
  let importResult: Record<string, unknown> | undefined;
  if (!values['search-only']) {
    await resetBenchDatabase(db, sqlitePath, pgUrl, pgSchema);
    const runtime = await openRuntime({ databaseUrl });
    console.log(`[${db}] importing ${populationDir}`);
    const started = performance.now();
    let lastLine = 0;
    const summary = await importFiles(runtime.store, [populationDir], {
      onProgress: (p) => {
        if (performance.now() - lastLine < 10_000 && p.filesDone !== p.files) return;
        lastLine = performance.now();
        const s = (performance.now() - started) / 1000;
        console.log(
          `[${db}] ${p.filesDone}/${p.files} files, ${p.resources} resources, ${Math.round(p.resources / s)} resources/s`,
        );
      },
    });
    if (summary.failures.length > 0)
      throw new Error(`import failed: ${JSON.stringify(summary.failures.slice(0, 3))}`);
    const tasks = await addWorklistTasks(runtime.store, Number(values['tasks-per-patient']));
    await analyzeDatabase(runtime.database);
    importResult = {
      resources: summary.resources,
      seconds: round(summary.seconds),
      resourcesPerSecond: Math.round(summary.resources / summary.seconds),
      resourcesByType: summary.resourcesByType,
      worklistTasksAdded: tasks,
    };
    console.log(
      `[${db}] imported ${summary.resources} resources in ${summary.seconds.toFixed(1)} s: ${importResult.resourcesPerSecond} resources/s`,
    );
    await runtime.database.close();
  }

  const runtime = await openRuntime({ databaseUrl });
  if (values['search-only'] && values.analyze) await analyzeDatabase(runtime.database);
  const samples = await sampleValues(runtime.store);
  const coordinator = await busiestCoordinator(runtime);
  const integration = await benchToken(runtime, 'integration');
  const asCoordinator = await benchToken(
    runtime,
    'care-coordinator',
    `Practitioner/${coordinator.practitionerId}`,
  );
  const version = await databaseVersion(runtime.database);
  await runtime.database.close();

  const port = await freePort();
  const server = await startServer(
    [join(import.meta.dirname, '../bin/careloop.js'), 'serve'],
    databaseUrl,
    port,
  );
  try {
    // The same mix twice: as an integration (every record) and as the care coordinator with the
    // largest caseload, where every query also carries the access filter.
    const results: QueryStats[] = [];
    for (const query of searchMix(samples)) results.push(await measure(port, query, integration));
    for (const query of searchMix({ ...samples, patientIds: coordinator.patientIds }))
      results.push(await measure(port, { ...query, name: `${query.name} [coordinator]` }, asCoordinator));
    const report = {
      date: new Date().toISOString(),
      command: `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim(),
      machine: machine(),
      database: { dialect: db, version },
      population: { patients, seed: values.seed },
      import: importResult ?? 'skipped (--search-only)',
      search: {
        requestsPerQuery,
        concurrency,
        coordinatorCaseload: coordinator.patientIds.length,
        queries: results,
      },
      targets: { importResourcesPerSecond: db === 'sqlite' ? 10_000 : 5_000, searchP95Ms: 20 },
    };
    const outDir = join(import.meta.dirname, 'results');
    mkdirSync(outDir, { recursive: true });
    const file = join(outDir, `${report.date.slice(0, 10)}-${db}-${patients}.json`);
    writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
    console.log(`[${db}] search (p50 / p95 / p99 ms, req/s):`);
    for (const r of results)
      console.log(
        `  ${r.name.padEnd(32)} ${r.p50} / ${r.p95} / ${r.p99}  ${r.requestsPerSecond} req/s  (${r.meanResults} results)`,
      );
    console.log(`[${db}] wrote ${file}`);
  } finally {
    server.kill('SIGTERM');
  }
}

interface Samples {
  patientIds: string[];
  practitionerIds: string[];
}

async function sampleValues(store: ResourceStore): Promise<Samples> {
  const ex = store.executor;
  const pick = async (type: string, n: number) =>
    (
      await sql<{
        id: string;
      }>`select id from resources where resource_type = ${type} and deleted = 0 order by id limit ${n}`.execute(
        ex,
      )
    ).rows.map((r) => r.id);
  return { patientIds: await pick('Patient', 500), practitionerIds: await pick('Practitioner', 50) };
}

interface Query {
  name: string;
  url: (i: number) => string;
}

/** The fixed search mix: what a care coordinator's screens and an EHR integration ask most. */
function searchMix(s: Samples): Query[] {
  const patient = (i: number) => s.patientIds[i % s.patientIds.length];
  const practitioner = (i: number) => s.practitionerIds[i % s.practitionerIds.length];
  return [
    {
      name: 'patient compartment: observations',
      url: (i) => `/fhir/Observation?subject=Patient/${patient(i)}&_sort=-date&_count=50`,
    },
    {
      name: 'patient compartment: conditions',
      url: (i) => `/fhir/Condition?patient=${patient(i)}&clinical-status=active`,
    },
    { name: 'read patient', url: (i) => `/fhir/Patient/${patient(i)}` },
    {
      name: 'code: HbA1c over 9 %',
      url: () => '/fhir/Observation?code=http://loinc.org|4548-4&value-quantity=gt9&_count=20',
    },
    {
      name: 'code: heart failure patients',
      url: () =>
        '/fhir/Condition?code=http://hl7.org/fhir/sid/icd-10-cm|I50.9&_count=20&_include=Condition:subject',
    },
    {
      name: 'date range: inpatient discharges',
      url: () => '/fhir/Encounter?class=IMP&date=ge2026-10-01&date=lt2026-11-01&_count=20',
    },
    {
      name: 'name search',
      url: (i) => `/fhir/Patient?name=${['gar', 'smi', 'ngu', 'joh', 'wil'][i % 5]}&_count=20`,
    },
    {
      name: 'worklist: open tasks of an owner',
      url: (i) =>
        `/fhir/Task?owner=Practitioner/${practitioner(i)}&status=requested,ready,in-progress&_sort=period&_count=20`,
    },
    {
      name: 'worklist: overdue tasks of a patient',
      url: (i) =>
        `/fhir/Task?patient=Patient/${patient(i)}&status=requested,ready,in-progress&period=lt2026-11-30`,
    },
  ];
}

/** The practitioner on the most active care teams, and the patients of those teams. */
async function busiestCoordinator(
  runtime: Runtime,
): Promise<{ practitionerId: string; patientIds: string[] }> {
  const ex = runtime.database.db;
  const top = await sql<{
    principal: string;
    n: number;
  }>`select principal, count(*) as n from access_relationships where kind = 'care-team' and principal like 'Practitioner/%' group by principal order by n desc limit 1`.execute(
    ex,
  );
  const principal = top.rows[0]?.principal;
  if (!principal) throw new Error('no care teams in the population');
  const patients = await ex
    .selectFrom('access_relationships')
    .select('patient_id')
    .distinct()
    .where('principal', '=', principal)
    .where('kind', '=', 'care-team')
    .orderBy('patient_id')
    .execute();
  return { practitionerId: principal.split('/')[1]!, patientIds: patients.map((p) => p.patient_id) };
}

async function measure(port: number, query: Query, authorization: string): Promise<QueryStats> {
  const latencies: number[] = [];
  let results = 0;
  const headers = { authorization };
  // Warm-up: caches, prepared plans.
  for (let i = 0; i < 10; i++)
    await fetch(`http://127.0.0.1:${port}${query.url(i)}`, { headers }).then((r) => r.text());
  const started = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < requestsPerQuery) {
      const i = next++;
      const t = performance.now();
      const res = await fetch(`http://127.0.0.1:${port}${query.url(i)}`, { headers });
      const body = (await res.json()) as { total?: number; entry?: unknown[]; resourceType?: string };
      latencies.push(performance.now() - t);
      if (res.status !== 200)
        throw new Error(`${query.name}: HTTP ${res.status} ${JSON.stringify(body).slice(0, 300)}`);
      results += body.resourceType === 'Bundle' ? (body.entry?.length ?? 0) : 1;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const q = (p: number) =>
    round(latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))]!);
  return {
    name: query.name,
    example: query.url(0),
    requests: latencies.length,
    p50: q(50),
    p95: q(95),
    p99: q(99),
    max: round(latencies.at(-1)!),
    requestsPerSecond: Math.round(latencies.length / seconds),
    meanResults: round(results / latencies.length),
  };
}

await main();
