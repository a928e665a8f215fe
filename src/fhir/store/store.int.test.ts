import type { Patient, Resource } from 'fhir/r4.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildObservation, buildPatient } from '../../../test/support/factories.js';
import { failure } from '../../../test/support/search-helpers.js';
import {
  databaseTargets,
  openTestDatabase,
  type TestDatabase,
  testStore,
} from '../../../test/support/test-databases.js';
import { fixedClock } from '../../platform/clock.js';
import type { FhirError } from '../outcome.js';
import type { ResourceStore } from './store.js';

describe.each(databaseTargets)('resource store on $name', ({ name, available }) => {
  let db: TestDatabase;
  let store: ResourceStore;
  const clock = fixedClock('2026-11-30T12:00:00Z');

  beforeAll(async () => {
    if (!available) return;
    db = await openTestDatabase(name);
    store = testStore(db.database, { clock });
  });
  afterAll(async () => db?.cleanup());

  it.runIf(available)('creates version 1 with a server id, and reads it back', async () => {
    const { resource, status } = await store.create(buildPatient());
    expect(status).toBe(201);
    expect(resource.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(resource.meta).toMatchObject({ versionId: '1', lastUpdated: '2026-11-30T12:00:00.000Z' });
    const read = (await store.read('Patient', resource.id!)) as Patient;
    expect(read.name?.[0]?.family).toBe('Rivera');
    expect(read.meta?.versionId).toBe('1');
  });

  it.runIf(available)('makes a new version on every update and keeps each one readable', async () => {
    const { resource } = await store.create(buildPatient());
    clock.set('2026-11-30T12:05:00Z');
    const v2 = await store.update('Patient', resource.id!, {
      ...buildPatient(),
      gender: 'other',
    } as Resource);
    expect(v2.status).toBe(200);
    expect(v2.resource.meta).toMatchObject({ versionId: '2', lastUpdated: '2026-11-30T12:05:00.000Z' });
    expect(((await store.vread('Patient', resource.id!, '1')) as Patient).gender).toBe('female');
    expect(((await store.vread('Patient', resource.id!, '2')) as Patient).gender).toBe('other');
    const history = await store.history(
      { resourceType: 'Patient', id: resource.id },
      { count: 10, offset: 0 },
      'http://x/fhir',
    );
    expect(history.total).toBe(2);
    expect(history.entry?.map((e) => e.resource?.meta?.versionId)).toEqual(['2', '1']);
  });

  it.runIf(available)('does not make a new version when a PUT changes nothing', async () => {
    const { resource } = await store.update('Patient', 'same-content', buildPatient());
    const again = await store.update('Patient', 'same-content', buildPatient());
    expect(again.resource.meta?.versionId).toBe(resource.meta?.versionId);
  });

  it.runIf(available)('creates with the client id on PUT (update as create) and answers 201', async () => {
    const result = await store.update('Patient', 'client-chosen-id', buildPatient());
    expect(result.status).toBe(201);
    expect(result.resource.id).toBe('client-chosen-id');
  });

  it.runIf(available)('answers 410 after a delete, keeps history, and 404 for an id never seen', async () => {
    const { resource } = await store.create(buildPatient());
    await store.delete('Patient', resource.id!);
    expect((await failure(store.read('Patient', resource.id!))).status).toBe(410);
    expect((await failure(store.read('Patient', 'never-existed'))).status).toBe(404);
    expect((await failure(store.vread('Patient', resource.id!, '2'))).status).toBe(410);
    expect(((await store.vread('Patient', resource.id!, '1')) as Patient).name?.[0]?.family).toBe('Rivera');
    const search = await store.search('Patient', [['_id', resource.id!]], 'http://x/fhir');
    expect(search.total).toBe(0);
  });

  it.runIf(available)(
    'rejects an update whose If-Match is stale with 412 and keeps the current version',
    async () => {
      const { resource } = await store.create(buildPatient());
      await store.update('Patient', resource.id!, { ...buildPatient(), gender: 'male' } as Resource, {
        ifMatch: 1,
      });
      const err = await failure(
        store.update('Patient', resource.id!, { ...buildPatient(), gender: 'other' } as Resource, {
          ifMatch: 1,
        }),
      );
      expect(err.status).toBe(412);
      expect(((await store.read('Patient', resource.id!)) as Patient).gender).toBe('male');
    },
  );

  it.runIf(available)('lets exactly one of two concurrent updates with the same If-Match win', async () => {
    const { resource } = await store.create(buildPatient());
    const attempts = await Promise.allSettled([
      store.update('Patient', resource.id!, { ...buildPatient(), gender: 'male' } as Resource, {
        ifMatch: 1,
      }),
      store.update('Patient', resource.id!, { ...buildPatient(), gender: 'other' } as Resource, {
        ifMatch: 1,
      }),
    ]);
    const won = attempts.filter((a) => a.status === 'fulfilled');
    const lost = attempts.filter((a) => a.status === 'rejected') as PromiseRejectedResult[];
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(1);
    expect((lost[0]!.reason as FhirError).status).toBe(412);
    const current = await store.read('Patient', resource.id!);
    expect(current.meta?.versionId).toBe('2');
  });

  it.runIf(available)(
    'serializes concurrent updates without If-Match: both apply, versions 2 and 3',
    async () => {
      const { resource } = await store.create(buildPatient());
      await Promise.all([
        store.update('Patient', resource.id!, { ...buildPatient(), gender: 'male' } as Resource),
        store.update('Patient', resource.id!, { ...buildPatient(), gender: 'other' } as Resource),
      ]);
      const history = await store.history(
        { resourceType: 'Patient', id: resource.id },
        { count: 10, offset: 0 },
        'http://x/fhir',
      );
      expect(history.entry?.map((e) => e.resource?.meta?.versionId)).toEqual(['3', '2', '1']);
    },
  );

  it.runIf(available)(
    'conditional create does not duplicate: a second call returns the first resource with 200',
    async () => {
      const patient = buildPatient({ identifier: [{ system: 'urn:test:mrn', value: 'COND-1' }] });
      const first = await store.create(patient, { ifNoneExist: 'identifier=urn:test:mrn|COND-1' });
      const second = await store.create(patient, { ifNoneExist: 'identifier=urn:test:mrn|COND-1' });
      expect(first.status).toBe(201);
      expect(second.status).toBe(200);
      expect(second.resource.id).toBe(first.resource.id);
      const found = await store.search('Patient', [['identifier', 'urn:test:mrn|COND-1']], 'http://x/fhir');
      expect(found.total).toBe(1);
    },
  );

  it.runIf(available)(
    'conditional update updates the single match, creates when none, 412 when several',
    async () => {
      const created = await store.conditionalUpdate(
        'Patient',
        'identifier=urn:test:cu|A',
        buildPatient({ identifier: [{ system: 'urn:test:cu', value: 'A' }] }),
      );
      expect(created.status).toBe(201);
      const updated = await store.conditionalUpdate(
        'Patient',
        'identifier=urn:test:cu|A',
        buildPatient({ identifier: [{ system: 'urn:test:cu', value: 'A' }], gender: 'male' }),
      );
      expect(updated.status).toBe(200);
      expect(updated.resource.id).toBe(created.resource.id);
      await store.create(buildPatient({ identifier: [{ system: 'urn:test:cu', value: 'B' }] }));
      await store.create(buildPatient({ identifier: [{ system: 'urn:test:cu', value: 'B' }] }));
      const err = await failure(
        store.conditionalUpdate('Patient', 'identifier=urn:test:cu|B', buildPatient()),
      );
      expect(err.status).toBe(412);
    },
  );

  it.runIf(available)(
    'refuses a reference to a resource that does not exist, naming the path, and stores nothing',
    async () => {
      const before = await store.search('Observation', [['_summary', 'count']], 'http://x/fhir');
      const err = await failure(store.create(buildObservation('no-such-patient')));
      expect(err.status).toBe(400);
      expect(err.issues[0]?.expression).toBe('Observation.subject.reference');
      const after = await store.search('Observation', [['_summary', 'count']], 'http://x/fhir');
      expect(after.total).toBe(before.total);
    },
  );

  it.runIf(available)('announces committed changes to listeners after commit, not on rollback', async () => {
    const seen: string[] = [];
    store.onChange((changes) => {
      for (const c of changes) seen.push(`${c.action} ${c.resourceType}`);
    });
    await store.create(buildPatient());
    await failure(
      store.transaction(async (tx) => {
        await tx.create(buildPatient());
        await tx.create(buildObservation('missing'));
      }),
    );
    expect(seen).toEqual(['create Patient']);
  });
});
