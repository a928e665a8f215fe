/**
 * Keeps the benchmark harnesses from rotting: runs `npm run bench:load` and `npm run bench:import` at
 * a tiny scale on each database and checks the result files say what the reports need, with no
 * errors. No timing figure is asserted: on a shared machine those are measurements, not behaviour.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { dropPostgresSchema } from '../src/platform/database.js';
import { databaseTargets } from '../test/support/test-databases.js';

const pgUrl = process.env.CARELOOP_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** Runs a bench script to its end; resolves with its exit code and output. */
function runBench(script: string, args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, script), ...args], {
      env: { ...process.env, CARELOOP_BENCH_DATABASE_URL: pgUrl },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d));
    child.stderr.on('data', (d: Buffer) => (output += d));
    child.on('exit', (code) => resolve({ code, output }));
  });
}

/** The parts of bench/load.ts's result file the test reads. */
interface LoadReport {
  machine: { cores: number };
  database: { dialect: string; version: string };
  command: string;
  population: { patients: number };
  loadAverage: { before: number[] };
  workloads: {
    workload: string;
    requests: number;
    requestsPerSecond: number;
    latencyMs: Record<string, number>;
    statusCounts: Record<string, number>;
    errors: number;
    errorSamples: string[];
    ratioToHello: number;
    meetsTarget?: boolean;
    loadAverage: { after: number[] };
  }[];
  errors: number;
  targets: Record<string, number>;
  baseline: { runs: number[] };
}

/** The parts of bench/import.ts's result file the test reads. */
interface ImportReport {
  database: { dialect: string };
  workload: { patientBundles: number; copies: number; bundles: number; resources: number };
  verified: unknown;
  storageLimit: { resources: number };
  import: { resources: number };
  infoBundles: { resources: number };
  ratio: number;
  targetRatio: number;
  meetsTarget: boolean;
  store: Record<string, unknown>;
}

function resultFile<T>(dir: string, kind: string, db: string): T {
  const files = readdirSync(dir).filter((f) => f.endsWith(`-${kind}-${db}.json`));
  expect(files).toHaveLength(1);
  return JSON.parse(readFileSync(join(dir, files[0]!), 'utf8')) as T;
}

describe.each(databaseTargets)('benchmark harnesses on $name', ({ name, available }) => {
  const out = mkdtempSync(join(tmpdir(), 'bench-harness-'));
  // A database of the test's own (SQLite file under bench/.data, PostgreSQL schema), not the bench's.
  const dbName = `bench_smoke_${randomBytes(4).toString('hex')}`;
  afterAll(async () => {
    rmSync(out, { recursive: true, force: true });
    for (const suffix of ['.db', '.db-wal', '.db-shm', '-synthea', '-info'])
      rmSync(join(import.meta.dirname, '.data', `${dbName}${suffix}`), { recursive: true, force: true });
    if (name === 'postgres' && available) await dropPostgresSchema(pgUrl, dbName);
  });

  it.runIf(available)(
    'bench:load drives hello-world and every CareLoop workload and records figures, ratios and no errors',
    async () => {
      const args = [
        '--db',
        name,
        '--patients',
        '3',
        '--connections',
        '4',
        '--duration',
        '1',
        '--warmup',
        '0.5',
      ];
      const { code, output } = await runBench('load.ts', [...args, '--out', out, '--name', dbName]);
      expect(code, output).toBe(0);
      const report = resultFile<LoadReport>(out, 'load', name);
      expect(report.machine.cores).toBeGreaterThan(0);
      expect(report.database.dialect).toBe(name);
      expect(report.database.version).toMatch(name === 'sqlite' ? /^SQLite / : /^PostgreSQL /);
      expect(report.command).toContain('npm run bench:load');
      expect(report.population.patients).toBe(3);
      expect(report.loadAverage.before).toHaveLength(3);
      expect(report.workloads.map((w) => w.workload)).toEqual([
        'hello',
        'mix',
        'read',
        'search',
        'create',
        'hello',
      ]);
      expect(report.errors).toBe(0);
      for (const w of report.workloads) {
        expect(w.errors, JSON.stringify(w.errorSamples)).toBe(0);
        expect(w.requests).toBeGreaterThan(0);
        // Every answer counted under its status, and every status a success.
        expect(Object.values(w.statusCounts).reduce((a, b) => a + b, 0)).toBe(w.requests);
        for (const status of Object.keys(w.statusCounts)) expect(status).toMatch(/^2\d\d$/);
        expect(Object.keys(w.latencyMs).sort()).toEqual(['max', 'mean', 'p50', 'p95', 'p99']);
        expect(typeof w.requestsPerSecond).toBe('number');
        expect(typeof w.ratioToHello).toBe('number');
        expect(w.loadAverage.after).toHaveLength(3);
      }
      const byName = Object.fromEntries(report.workloads.map((w) => [w.workload, w]));
      expect(Object.keys(byName.create!.statusCounts)).toEqual(['201']);
      expect(Object.keys(byName.mix!.statusCounts).sort()).toEqual(['200', '201']);
      expect(report.targets).toEqual({ mix: 0.25, read: 0.5, search: 0.125, create: 0.125 });
      expect(typeof byName.mix!.meetsTarget).toBe('boolean');
      expect(report.baseline.runs).toHaveLength(2);
    },
    300_000,
  );

  it.runIf(available)(
    'bench:import stores every resource of every copy as its own patient and records the limit, the import and their ratio',
    async () => {
      const args = ['--db', name, '--copies', '2', '--bundles', '1', '--referred-info'];
      const { code, output } = await runBench('import.ts', [...args, '--out', out, '--name', dbName]);
      expect(code, output).toBe(0);
      const report = resultFile<ImportReport>(out, 'import', name);
      expect(report.database.dialect).toBe(name);
      expect(report.workload).toMatchObject({ patientBundles: 1, copies: 2, bundles: 2 });
      expect(report.verified).toEqual({ ok: true, failures: [], patientsStored: 2 });
      expect(report.storageLimit.resources).toBe(report.workload.resources);
      expect(report.import.resources).toBe(report.workload.resources);
      expect(report.infoBundles.resources).toBeGreaterThan(0);
      expect(typeof report.ratio).toBe('number');
      expect(report.targetRatio).toBe(0.333);
      expect(typeof report.meetsTarget).toBe('boolean');
      expect(report.store).toMatchObject({ validation: 'on', referentialIntegrity: true });
    },
    300_000,
  );
});
