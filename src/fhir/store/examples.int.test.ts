import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Resource } from 'fhir/r4.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  databaseTargets,
  openTestDatabase,
  type TestDatabase,
  testStore,
} from '../../../test/support/test-databases.js';
import type { ResourceStore } from './store.js';

const folder = join(import.meta.dirname, '../../../test/fixtures/fhir-r4-examples');
const examples = readdirSync(folder)
  .filter((f) => f.endsWith('.json'))
  .sort()
  .map((file) => ({ file, resource: JSON.parse(readFileSync(join(folder, file), 'utf8')) as Resource }));

// Predictions without probability (R4 ras-2 holds when there is none), not in the shared examples.
const riskFolder = join(import.meta.dirname, '../../../test/fixtures/risk-assessments');
const riskExamples = readdirSync(riskFolder)
  .filter((f) => f.endsWith('.json'))
  .sort()
  .map((file) => JSON.parse(readFileSync(join(riskFolder, file), 'utf8')) as Resource);

function withoutMeta(resource: Resource): Resource {
  const { meta, ...rest } = resource;
  const { versionId: _v, lastUpdated: _l, ...kept } = meta ?? {};
  return (Object.keys(kept).length > 0 ? { ...rest, meta: kept } : rest) as Resource;
}

describe.each(databaseTargets)(
  'FHIR R4 specification examples round-trip on $name',
  ({ name, available }) => {
    let db: TestDatabase;
    let store: ResourceStore;
    beforeAll(async () => {
      if (!available) return;
      db = await openTestDatabase(name);
      // The examples refer to resources that are not in the set (Patient/example's practitioner, ...),
      // so referential integrity is off here; it is tested on its own elsewhere.
      store = testStore(db.database, { referentialIntegrity: false });
    });
    afterAll(async () => db?.cleanup());

    it.runIf(available)(
      `stores and reads back all ${examples.length} examples unchanged apart from meta`,
      async () => {
        expect(examples.length).toBe(321);
        const mismatches: string[] = [];
        for (const { file, resource } of examples) {
          const saved = resource.id
            ? await store.update(resource.resourceType, resource.id, resource)
            : await store.create(resource);
          const read = await store.read(resource.resourceType, saved.resource.id!);
          const expected = resource.id ? resource : { ...resource, id: saved.resource.id };
          try {
            expect(withoutMeta(read)).toEqual(withoutMeta(expected));
          } catch {
            mismatches.push(file);
          }
        }
        expect(mismatches).toEqual([]);
      },
    );

    it.runIf(available)(
      'stores RiskAssessments whose prediction states no probability as sent, and finds none by probability',
      async () => {
        expect(riskExamples.map((r) => r.id)).toEqual(['breastcancer-risk', 'prognosis']);
        for (const resource of riskExamples) {
          await store.update('RiskAssessment', resource.id!, resource);
          expect(withoutMeta(await store.read('RiskAssessment', resource.id!))).toEqual(
            withoutMeta(resource),
          );
        }
        const found = await store.search('RiskAssessment', [['probability', 'ge0']], '');
        expect(found.entry ?? []).toEqual([]);
      },
    );
  },
);
