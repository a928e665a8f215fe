/**
 * `npm run bench:import`: `careloop import` of Synthea patient bundles as a share of what the same
 * database stores when it only has to keep the resources (issue 16 item 1: ≥ 1/3 on each database).
 * Per database, on a fresh SQLite file / PostgreSQL schema, in this order:
 * 1. the storage limit: the same patient bundles (read and parsed from the same files) written as
 *    plain JSON rows (type, id, content; primary key (type, id), the least a store that reads by id
 *    needs) into a table of their own, one transaction per bundle, by the bulk insert the
 *    benchmarks load with (one prepared statement per row on SQLite, one unnest per bundle on
 *    PostgreSQL); then the table is dropped;
 * 2. the information bundles (Organizations, Locations, Practitioners, PractitionerRoles, by
 *    conditional create), not part of the ratio, reported on their own;
 * 3. the import: the patient bundles through importFiles (what `careloop import` runs): validation,
 *    every R4 search parameter indexed, history, referential integrity, one transaction per bundle.
 * The patient bundles are test/fixtures/synthea's eight, `--copies N` times with ids and identifiers
 * made unique per copy (bench/synthea-copies.ts). Writes bench/results/<date>-import-<db>.json.
 *
 *   npm run bench:import -- [--db sqlite,postgres] [--copies 3] [--bundles 8] [--referred-info]
 *                           [--out bench/results] [--name bench_import]
 *
 * --bundles N takes the first N patient bundles; --referred-info loads only the information entries
 * they refer to (a quick run: the whole information bundles take a minute on a loaded machine).
 */

import { mkdirSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Bundle } from 'fhir/r4.js';
import { sql } from 'kysely';
import { openRuntime } from '../src/cli/runtime.js';
import { importFiles } from '../src/fhir/import/import-files.js';
import { bulkInsert } from '../src/platform/bulk-insert.js';
import type { Database } from '../src/platform/database.js';
import {
  benchDatabaseUrl,
  databaseVersion,
  forEachDatabase,
  loadAverage,
  machine,
  resetBenchDatabase,
  round,
} from './bench-support.js';
import { referredInfo, syntheaFiles, writeCopies } from './synthea-copies.js';

const { values } = parseArgs({
  options: {
    db: { type: 'string', default: 'sqlite,postgres' },
    copies: { type: 'string', default: '3' },
    bundles: { type: 'string' },
    out: { type: 'string', default: join(import.meta.dirname, 'results') },
    name: { type: 'string', default: 'bench_import' },
    'referred-info': { type: 'boolean', default: false },
  },
});
const copies = Number(values.copies);
const root = join(import.meta.dirname, '.data');
const fixtures = join(import.meta.dirname, '../test/fixtures/synthea');
const pgUrl = process.env.CARELOOP_BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
/** Issue 16 item 1. */
const TARGET_RATIO = 1 / 3;

interface Rate {
  resources: number;
  seconds: number;
  resourcesPerSecond: number;
}

const rate = (resources: number, seconds: number): Rate => ({
  resources,
  seconds: round(seconds),
  resourcesPerSecond: Math.round(resources / seconds),
});

/** Step 1: the patient bundles' resources as plain JSON rows, one transaction per bundle. */
async function storageLimit(database: Database, files: string[]): Promise<Rate> {
  const table = 'bench_plain_resources';
  await sql`drop table if exists ${sql.table(table)}`.execute(database.db);
  await sql`create table ${sql.table(table)} (type text not null, id text not null, content text not null, primary key (type, id))`.execute(
    database.db,
  );
  const columns = { type: 'text', id: 'text', content: 'text' } as const;
  let resources = 0;
  const started = performance.now();
  for (const file of files) {
    const bundle = JSON.parse(await readFile(file, 'utf8')) as Bundle;
    const rows = (bundle.entry ?? []).map((e) => ({
      type: e.resource!.resourceType,
      id: e.resource!.id ?? e.fullUrl!.replace(/^urn:uuid:/, ''),
      content: JSON.stringify(e.resource),
    }));
    await database.db.transaction().execute((trx) => bulkInsert(database, trx, table, columns, rows));
    resources += rows.length;
  }
  const seconds = (performance.now() - started) / 1000;
  await sql`drop table ${sql.table(table)}`.execute(database.db);
  return rate(resources, seconds);
}

async function runFor(db: 'sqlite' | 'postgres'): Promise<boolean> {
  const sqlitePath = join(root, `${values.name}.db`);
  const databaseUrl = benchDatabaseUrl(db, sqlitePath, pgUrl, values.name!);
  const { info, patients } = syntheaFiles(fixtures);
  const chosen = patients.slice(0, values.bundles ? Number(values.bundles) : patients.length);
  const copiesDir = join(root, `${values.name}-synthea`);
  const written = writeCopies(chosen, copies, copiesDir);
  const infoFiles = values['referred-info']
    ? referredInfo(info, chosen, join(root, `${values.name}-info`))
    : info;
  const loadBefore = loadAverage();
  await resetBenchDatabase(db, sqlitePath, pgUrl, values.name!);
  const runtime = await openRuntime({ databaseUrl });
  try {
    console.log(
      `[${db}] ${written.files.length} patient bundles (${chosen.length} × ${copies} copies), ${written.resources} resources`,
    );
    const limit = await storageLimit(runtime.database, written.files);
    console.log(`[${db}] storage limit (plain JSON rows): ${limit.resourcesPerSecond} resources/s`);
    const infoSummary = await importFiles(runtime.store, infoFiles);
    const infoBundles = rate(infoSummary.resources, infoSummary.seconds);
    console.log(
      `[${db}] information bundles by conditional create: ${infoBundles.resourcesPerSecond} resources/s`,
    );
    const summary = await importFiles(runtime.store, [copiesDir]);
    const imported = rate(summary.resources, summary.seconds);
    const stored = await runtime.store.executor
      .selectFrom('resources')
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .where('resource_type', '=', 'Patient')
      .executeTakeFirstOrThrow();
    // Every resource of every copy stored, each copy a patient of its own: nothing was merged away.
    const ok =
      summary.failures.length === 0 &&
      summary.resources === written.resources &&
      Number(stored.n) === written.files.length;
    const ratio = Math.round((imported.resourcesPerSecond / limit.resourcesPerSecond) * 1000) / 1000;
    const report = {
      date: new Date().toISOString(),
      command: `npm run bench:import -- ${process.argv.slice(2).join(' ')}`.trim(),
      machine: machine(),
      database: { dialect: db, version: await databaseVersion(runtime.database) },
      workload: {
        fixtures: 'test/fixtures/synthea',
        patientBundles: chosen.length,
        copies,
        bundles: written.files.length,
        resources: written.resources,
      },
      store: {
        validation: 'on',
        searchParameters: 'every R4 search parameter',
        referentialIntegrity: runtime.config.referentialIntegrity,
      },
      storageLimit: {
        method:
          'the same resources as plain JSON rows (type, id, content; primary key (type, id)), one transaction per bundle, bulkInsert',
        ...limit,
      },
      infoBundles: {
        method: `conditional create (batch bundles, ifNoneExist)${values['referred-info'] ? ', only the entries the patient bundles refer to (--referred-info)' : ''}`,
        ...infoBundles,
      },
      import: {
        method: 'importFiles (careloop import)',
        ...imported,
        resourcesByType: summary.resourcesByType,
      },
      ratio,
      targetRatio: Math.round(TARGET_RATIO * 1000) / 1000,
      meetsTarget: ratio >= TARGET_RATIO,
      verified: { ok, failures: summary.failures.slice(0, 5), patientsStored: Number(stored.n) },
      loadAverage: { before: loadBefore, after: loadAverage() },
    };
    mkdirSync(values.out!, { recursive: true });
    const file = join(values.out!, `${report.date.slice(0, 10)}-import-${db}.json`);
    writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
    const row = (name: string, r: Rate, extra = '') =>
      console.log(
        `  ${name.padEnd(44)} ${String(r.resources).padStart(7)} ${String(r.seconds).padStart(7)} s ${String(r.resourcesPerSecond).padStart(7)}/s${extra}`,
      );
    console.log(
      `\n[${db}] import, resources, seconds, resources/s; load average ${report.loadAverage.before[0]} → ${report.loadAverage.after[0]}`,
    );
    row('storage limit (plain JSON rows)', limit);
    row('info bundles by conditional create', infoBundles);
    row(
      'careloop import (patient bundles)',
      imported,
      `  = ${ratio} × limit (target ≥ ${report.targetRatio}: ${report.meetsTarget ? 'met' : 'not met'})`,
    );
    if (!ok) console.log(`[${db}] verification failed: ${JSON.stringify(report.verified)}`);
    console.log(`[${db}] wrote ${file}`);
    return ok;
  } finally {
    await runtime.database.close();
  }
}

mkdirSync(root, { recursive: true });
if (!(await forEachDatabase(values.db!, pgUrl, runFor))) process.exitCode = 1;
