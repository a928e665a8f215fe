import type { Bundle, Observation, Patient } from 'fhir/r4.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildObservation, buildPatient, buildPractitioner } from '../../../test/support/factories.js';
import {
  databaseTargets,
  openTestDatabase,
  type TestDatabase,
  testStore,
} from '../../../test/support/test-databases.js';
import { FhirError } from '../outcome.js';
import { processBundle } from './bundle.js';
import type { ResourceStore } from './store.js';

const base = 'http://test/fhir';

async function count(store: ResourceStore, type: string): Promise<number> {
  return (await store.search(type, [['_summary', 'count']], base)).total!;
}

function transaction(entry: Bundle['entry']): Bundle {
  return { resourceType: 'Bundle', type: 'transaction', entry };
}

describe.each(databaseTargets)('transaction and batch bundles on $name', ({ name, available }) => {
  let db: TestDatabase;
  let store: ResourceStore;
  beforeAll(async () => {
    if (!available) return;
    db = await openTestDatabase(name);
    store = testStore(db.database);
  });
  afterAll(async () => db?.cleanup());

  it.runIf(available)(
    'resolves urn:uuid references to the ids it assigns, everywhere in the bundle',
    async () => {
      const response = await processBundle(
        store,
        transaction([
          {
            fullUrl: 'urn:uuid:0d7a1c3e-1111-4c1e-9d55-000000000001',
            resource: buildPatient(),
            request: { method: 'POST', url: 'Patient' },
          },
          {
            fullUrl: 'urn:uuid:0d7a1c3e-1111-4c1e-9d55-000000000002',
            resource: buildObservation('x', {
              subject: { reference: 'urn:uuid:0d7a1c3e-1111-4c1e-9d55-000000000001' },
            }),
            request: { method: 'POST', url: 'Observation' },
          },
        ]),
        { baseUrl: base },
      );
      expect(response.type).toBe('transaction-response');
      expect(response.entry?.map((e) => e.response?.status)).toEqual(['201', '201']);
      const patientId = response.entry![0]!.resource!.id!;
      const observation = (await store.read('Observation', response.entry![1]!.resource!.id!)) as Observation;
      expect(observation.subject?.reference).toBe(`Patient/${patientId}`);
      expect(response.entry![0]!.response?.location).toBe(`Patient/${patientId}/_history/1`);
    },
  );

  it.runIf(available)('leaves nothing behind when the last entry is invalid', async () => {
    const [patients, observations] = [await count(store, 'Patient'), await count(store, 'Observation')];
    const attempt = processBundle(
      store,
      transaction([
        {
          fullUrl: 'urn:uuid:0d7a1c3e-2222-4c1e-9d55-000000000001',
          resource: buildPatient(),
          request: { method: 'POST', url: 'Patient' },
        },
        {
          resource: buildObservation('x', {
            subject: { reference: 'urn:uuid:0d7a1c3e-2222-4c1e-9d55-000000000001' },
          }),
          request: { method: 'POST', url: 'Observation' },
        },
        {
          resource: { ...buildPatient(), gender: 'bogus' } as unknown as Patient,
          request: { method: 'POST', url: 'Patient' },
        },
      ]),
      { baseUrl: base },
    );
    const err = await attempt.catch((e: unknown) => e as FhirError);
    expect(err).toBeInstanceOf(FhirError);
    expect((err as FhirError).status).toBe(400);
    expect((err as FhirError).issues[0]?.expression).toBe('Patient.gender');
    expect((err as FhirError).issues[0]?.diagnostics).toContain('Bundle.entry[2]');
    expect(await count(store, 'Patient')).toBe(patients);
    expect(await count(store, 'Observation')).toBe(observations);
  });

  it.runIf(available)(
    'rejects a reference to a resource that does not exist and stores nothing',
    async () => {
      const patients = await count(store, 'Patient');
      const err = await processBundle(
        store,
        transaction([
          { resource: buildPatient(), request: { method: 'POST', url: 'Patient' } },
          { resource: buildObservation('does-not-exist'), request: { method: 'POST', url: 'Observation' } },
        ]),
        { baseUrl: base },
      ).catch((e: unknown) => e as FhirError);
      expect((err as FhirError).status).toBe(400);
      expect((err as FhirError).issues[0]).toMatchObject({
        code: 'not-found',
        expression: 'Observation.subject.reference',
      });
      expect(await count(store, 'Patient')).toBe(patients);
    },
  );

  it.runIf(available)(
    'resolves conditional references such as Practitioner?identifier=... (as Synthea sends)',
    async () => {
      const { resource: practitioner } = await store.create(
        buildPractitioner({
          identifier: [{ system: 'http://hl7.org/fhir/sid/us-npi', value: '9999912345' }],
        }),
      );
      const response = await processBundle(
        store,
        transaction([
          {
            resource: buildPatient({
              generalPractitioner: [
                { reference: 'Practitioner?identifier=http://hl7.org/fhir/sid/us-npi|9999912345' },
              ],
            }),
            request: { method: 'POST', url: 'Patient' },
          },
        ]),
        { baseUrl: base },
      );
      const patient = (await store.read('Patient', response.entry![0]!.resource!.id!)) as Patient;
      expect(patient.generalPractitioner?.[0]?.reference).toBe(`Practitioner/${practitioner.id}`);
    },
  );

  it.runIf(available)('fails a conditional reference that matches nothing, naming the entry', async () => {
    const err = await processBundle(
      store,
      transaction([
        {
          resource: buildPatient({
            managingOrganization: { reference: 'Organization?identifier=urn:none|0' },
          }),
          request: { method: 'POST', url: 'Patient' },
        },
      ]),
      { baseUrl: base },
    ).catch((e: unknown) => e as FhirError);
    expect((err as FhirError).status).toBe(400);
    expect((err as FhirError).issues[0]?.diagnostics).toContain('Organization?identifier=urn:none|0');
    expect((err as FhirError).issues[0]?.expression).toBe('Bundle.entry[0].resource');
  });

  it.runIf(available)(
    'conditional create (ifNoneExist) in a bundle does not duplicate on a second run',
    async () => {
      const bundle = () =>
        transaction([
          {
            resource: buildPatient({ identifier: [{ system: 'urn:test:bundle', value: 'ONCE' }] }),
            request: { method: 'POST', url: 'Patient', ifNoneExist: 'identifier=urn:test:bundle|ONCE' },
          },
        ]);
      const first = await processBundle(store, bundle(), { baseUrl: base });
      const second = await processBundle(store, bundle(), { baseUrl: base });
      expect(first.entry?.[0]?.response?.status).toBe('201');
      expect(second.entry?.[0]?.response?.status).toBe('200');
      expect(second.entry?.[0]?.resource?.id).toBe(first.entry?.[0]?.resource?.id);
      expect((await store.search('Patient', [['identifier', 'urn:test:bundle|ONCE']], base)).total).toBe(1);
    },
  );

  it.runIf(available)(
    'processes DELETE before POST before PUT before GET, answering in entry order',
    async () => {
      const { resource: old } = await store.create(
        buildPatient({ identifier: [{ system: 'urn:test:order', value: 'OLD' }] }),
      );
      await store.update('Patient', 'order-put', buildPatient());
      const response = await processBundle(
        store,
        transaction([
          { request: { method: 'GET', url: 'Patient?identifier=urn:test:order|OLD' } },
          {
            resource: { ...buildPatient(), id: 'order-put', gender: 'male' } as Patient,
            request: { method: 'PUT', url: 'Patient/order-put' },
          },
          {
            resource: buildPatient({ identifier: [{ system: 'urn:test:order', value: 'NEW' }] }),
            request: { method: 'POST', url: 'Patient' },
          },
          { request: { method: 'DELETE', url: `Patient/${old.id}` } },
        ]),
        { baseUrl: base },
      );
      expect(response.entry?.map((e) => e.response?.status)).toEqual(['200', '200', '201', '204']);
      // The GET ran last, after the DELETE: it no longer finds the deleted patient.
      expect((response.entry![0]!.resource as Bundle).total).toBe(0);
      expect(((await store.read('Patient', 'order-put')) as Patient).gender).toBe('male');
    },
  );

  it.runIf(available)(
    'a batch keeps its good entries when one fails, and reports the failure on that entry',
    async () => {
      const patients = await count(store, 'Patient');
      const response = await processBundle(
        store,
        {
          resourceType: 'Bundle',
          type: 'batch',
          entry: [
            { resource: buildPatient(), request: { method: 'POST', url: 'Patient' } },
            {
              resource: { ...buildPatient(), birthDate: 'yesterday' } as Patient,
              request: { method: 'POST', url: 'Patient' },
            },
            { resource: buildPatient(), request: { method: 'POST', url: 'Patient' } },
          ],
        },
        { baseUrl: base },
      );
      expect(response.type).toBe('batch-response');
      expect(response.entry?.map((e) => e.response?.status)).toEqual(['201', '400', '201']);
      const outcome = response.entry![1]!.response!.outcome as unknown as {
        issue: { expression?: string[] }[];
      };
      expect(outcome.issue[0]?.expression?.[0]).toBe('Patient.birthDate');
      expect(await count(store, 'Patient')).toBe(patients + 2);
    },
  );

  it.runIf(available)('rejects a bundle that is neither transaction nor batch', async () => {
    const err = await processBundle(
      store,
      { resourceType: 'Bundle', type: 'collection', entry: [] },
      { baseUrl: base },
    ).catch((e: unknown) => e as FhirError);
    expect((err as FhirError).status).toBe(400);
    expect((err as FhirError).issues[0]?.expression).toBe('Bundle.type');
  });

  it.runIf(available)(
    'answers 400 for a resource nested thousands of levels deep, which overflowed the reference rewrite',
    async () => {
      let extension: Record<string, unknown> = { url: 'http://example.org/leaf', valueString: 'x' };
      for (let i = 0; i < 20_000; i++) extension = { url: 'http://example.org/x', extension: [extension] };
      const patients = await count(store, 'Patient');
      const err = await processBundle(
        store,
        transaction([
          {
            resource: { ...buildPatient(), extension: [extension] } as unknown as Patient,
            request: { method: 'POST', url: 'Patient' },
          },
        ]),
        { baseUrl: base },
      ).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(FhirError);
      expect((err as FhirError).status).toBe(400);
      expect((err as FhirError).issues[0]).toMatchObject({
        expression: 'Patient',
        diagnostics: expect.stringMatching(/nested too deeply/),
      });
      expect(await count(store, 'Patient')).toBe(patients);
    },
  );

  describe('an envelope of the wrong shape answers 400 naming the path, not a 500, and stores nothing', () => {
    const patient = () => ({ resource: buildPatient(), request: { method: 'POST', url: 'Patient' } });
    const cases: [string, unknown, string][] = [
      ['entry is an object', {}, 'Bundle.entry'],
      ['entry is a string', 'x', 'Bundle.entry'],
      ['an entry is null', [patient(), null], 'Bundle.entry[1]'],
      ['request is a string', [{ request: 'POST Patient' }], 'Bundle.entry[0].request'],
      [
        'request.url is a number',
        [{ ...patient(), request: { method: 'POST', url: 5 } }],
        'Bundle.entry[0].request.url',
      ],
      [
        'request.method is a number',
        [{ ...patient(), request: { method: 1, url: 'Patient' } }],
        'Bundle.entry[0].request.method',
      ],
      [
        'request.ifMatch is a number',
        [{ request: { method: 'DELETE', url: 'Patient/x', ifMatch: 5 } }],
        'Bundle.entry[0].request.ifMatch',
      ],
      [
        'request.ifNoneExist is an object',
        [{ ...patient(), request: { method: 'POST', url: 'Patient', ifNoneExist: {} } }],
        'Bundle.entry[0].request.ifNoneExist',
      ],
      ['fullUrl is a number', [{ ...patient(), fullUrl: 7 }], 'Bundle.entry[0].fullUrl'],
      [
        'resource is a string',
        [{ resource: 'Patient', request: { method: 'POST', url: 'Patient' } }],
        'Bundle.entry[0].resource',
      ],
      [
        'method is an inherited property name',
        [{ ...patient(), request: { method: 'constructor', url: 'Patient' } }],
        'Bundle.entry[0].request.method',
      ],
      [
        'a PUT url past Type/id',
        [{ ...patient(), request: { method: 'PUT', url: 'Patient/a/_history/2' } }],
        'Bundle.entry[0].request.url',
      ],
    ];
    for (const type of ['transaction', 'batch'] as const)
      for (const [title, entry, expression] of cases)
        it.runIf(available)(`${type}: ${title}`, async () => {
          const patients = await count(store, 'Patient');
          const err = await processBundle(store, { resourceType: 'Bundle', type, entry } as Bundle, {
            baseUrl: base,
          }).catch((e: unknown) => e);
          expect(err).toBeInstanceOf(FhirError);
          expect((err as FhirError).status).toBe(400);
          expect((err as FhirError).issues[0]?.expression).toBe(expression);
          expect(await count(store, 'Patient')).toBe(patients);
        });
  });
});
