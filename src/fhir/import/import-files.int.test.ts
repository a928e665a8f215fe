import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Bundle } from 'fhir/r4.js';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildPatient } from '../../../test/support/factories.js';
import {
  databaseTargets,
  openTestDatabase,
  type TestDatabase,
  testStore,
} from '../../../test/support/test-databases.js';
import type { ResourceStore } from '../store/store.js';
import { ImportStopped, importFiles, listImportFiles } from './import-files.js';

const synthea = join(import.meta.dirname, '../../../test/fixtures/synthea');

/** Resources per type in the fixture bundles, as a person would count them by reading the files. */
function expectedCounts(): Record<string, number> {
  const counts: Record<string, number> = {};
  const files = [
    ...readdirSync(synthea)
      .filter((f) => f.endsWith('.json'))
      .map((f) => join(synthea, f)),
    ...readdirSync(join(synthea, 'patients')).map((f) => join(synthea, 'patients', f)),
  ];
  for (const file of files) {
    const bundle = JSON.parse(readFileSync(file, 'utf8')) as Bundle;
    for (const e of bundle.entry ?? [])
      counts[e.resource!.resourceType] = (counts[e.resource!.resourceType] ?? 0) + 1;
  }
  return counts;
}

async function storedCounts(store: ResourceStore): Promise<Record<string, number>> {
  const rows = await sql<{
    resource_type: string;
    n: number;
  }>`select resource_type, count(*) as n from resources where deleted = 0 group by resource_type`.execute(
    store.executor,
  );
  return Object.fromEntries(rows.rows.map((r) => [r.resource_type, Number(r.n)]));
}

describe('import file order', () => {
  it('loads Synthea information bundles before patient bundles', async () => {
    const files = await listImportFiles([synthea]);
    expect(files.slice(0, 2).map((f) => f.split('/').pop())).toEqual([
      'hospitalInformation1633536936158.json',
      'practitionerInformation1633536936158.json',
    ]);
    expect(files).toHaveLength(10);
  });
});

describe.each(databaseTargets)('import on $name', ({ name, available }) => {
  let db: TestDatabase;
  let store: ResourceStore;
  beforeAll(async () => {
    if (!available) return;
    db = await openTestDatabase(name);
    store = testStore(db.database);
  });
  afterAll(async () => db?.cleanup());

  it.runIf(available)(
    'imports the Synthea fixtures: stored counts per type equal the bundles, and a re-run changes nothing',
    async () => {
      const expected = expectedCounts();
      const summary = await importFiles(store, [synthea]);
      expect(summary.failures).toEqual([]);
      expect(summary.files).toBe(10);
      expect(summary.resourcesByType).toEqual(expected);
      expect(await storedCounts(store)).toEqual(expected);

      const versionsBefore = await sql<{ n: number }>`select count(*) as n from resource_versions`.execute(
        store.executor,
      );
      const again = await importFiles(store, [synthea]);
      expect(again.failures).toEqual([]);
      expect(await storedCounts(store)).toEqual(expected);
      const versionsAfter = await sql<{ n: number }>`select count(*) as n from resource_versions`.execute(
        store.executor,
      );
      expect(Number(versionsAfter.rows[0]!.n)).toBe(Number(versionsBefore.rows[0]!.n));

      // Conditional references were resolved: a patient's encounters point at stored organizations.
      const encounters = await store.search(
        'Encounter',
        [
          ['_count', '5'],
          ['_include', 'Encounter:service-provider'],
        ],
        'http://x/fhir',
      );
      expect(
        encounters.entry?.some(
          (e) => e.search?.mode === 'include' && e.resource?.resourceType === 'Organization',
        ),
      ).toBe(true);
    },
    180_000,
  );

  it.runIf(available)(
    'reports a bad bundle with its file and reason, keeps going with --continue-on-error, and stores the good ones',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'careloop-import-'));
      const good = (id: string) => ({
        resourceType: 'Bundle',
        type: 'transaction',
        entry: [{ resource: { ...buildPatient(), id }, request: { method: 'PUT', url: `Patient/${id}` } }],
      });
      writeFileSync(join(dir, 'a.json'), JSON.stringify(good('import-a')));
      writeFileSync(
        join(dir, 'b.json'),
        JSON.stringify({
          ...good('import-b'),
          entry: [
            {
              resource: { resourceType: 'Patient', id: 'import-b', gender: 'x' },
              request: { method: 'PUT', url: 'Patient/import-b' },
            },
          ],
        }),
      );
      writeFileSync(
        join(dir, 'c.ndjson'),
        `${JSON.stringify(good('import-c'))}\n{not json\n${JSON.stringify({ ...buildPatient(), id: 'import-d' })}\n`,
      );

      const stopped = await importFiles(store, [dir]).catch((e: unknown) => e);
      expect(stopped).toBeInstanceOf(ImportStopped);
      expect((stopped as ImportStopped).summary.failures[0]).toMatchObject({ file: join(dir, 'b.json') });
      expect((stopped as ImportStopped).summary.failures[0]!.reason).toContain('Patient.gender');

      const summary = await importFiles(store, [dir], { continueOnError: true });
      expect(summary.failures.map((f) => `${f.file.split('/').pop()} ${f.where ?? ''}`.trim())).toEqual([
        'b.json',
        'c.ndjson line 2',
      ]);
      for (const id of ['import-a', 'import-c', 'import-d'])
        expect((await store.read('Patient', id)).id).toBe(id);
      await expect(store.read('Patient', 'import-b')).rejects.toMatchObject({ status: 404 });
    },
  );

  it.runIf(available)(
    'keeps each bundle of an NDJSON file atomic while committing them in groups',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'careloop-import-group-'));
      const bundle = (id: string, gender: string) =>
        JSON.stringify({
          resourceType: 'Bundle',
          type: 'transaction',
          entry: [
            { resource: { ...buildPatient(), id, gender }, request: { method: 'PUT', url: `Patient/${id}` } },
            {
              resource: { ...buildPatient(), id: `${id}-b` },
              request: { method: 'PUT', url: `Patient/${id}-b` },
            },
          ],
        });
      writeFileSync(
        join(dir, 'group.ndjson'),
        [bundle('grp-1', 'male'), bundle('grp-2', 'nope'), bundle('grp-3', 'female')].join('\n'),
      );
      const summary = await importFiles(store, [dir], { continueOnError: true, bundlesPerCommit: 10 });
      expect(summary.failures.map((f) => f.where)).toEqual(['line 2']);
      for (const id of ['grp-1', 'grp-1-b', 'grp-3', 'grp-3-b'])
        expect((await store.read('Patient', id)).id).toBe(id);
      // Nothing of the failed bundle remains, not even its valid entry.
      await expect(store.read('Patient', 'grp-2-b')).rejects.toMatchObject({ status: 404 });
    },
  );
});
