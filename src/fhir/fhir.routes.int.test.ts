import type { Bundle, OperationOutcome, Patient } from 'fhir/r4.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildObservation, buildPatient } from '../../test/support/factories.js';
import { openTestApp, type TestApp } from '../../test/support/test-app.js';
import { databaseTargets } from '../../test/support/test-databases.js';

const json = { 'content-type': 'application/fhir+json' };

describe.each(databaseTargets)('FHIR REST API on $name', ({ name, available }) => {
  let t: TestApp;
  beforeAll(async () => {
    if (available) t = await openTestApp(name, { bodyLimitBytes: 64 * 1024 });
  });
  afterAll(async () => t?.close());

  const post = (url: string, payload: unknown, headers: Record<string, string> = json) =>
    t.app.inject({
      method: 'POST',
      url,
      headers,
      payload: typeof payload === 'string' ? payload : JSON.stringify(payload),
    });
  const outcome = (body: string) => JSON.parse(body) as OperationOutcome;
  const patientCount = async () =>
    (JSON.parse((await t.app.inject({ url: '/fhir/Patient?_summary=count' })).body) as Bundle).total;

  it.runIf(available)(
    'create answers 201 with Location, ETag and Last-Modified; read answers the same content',
    async () => {
      const res = await post('/fhir/Patient', buildPatient());
      expect(res.statusCode).toBe(201);
      const created = JSON.parse(res.body) as Patient;
      expect(res.headers.location).toBe(`http://localhost:80/fhir/Patient/${created.id}/_history/1`);
      expect(res.headers.etag).toBe('W/"1"');
      expect(res.headers['last-modified']).toBe('Mon, 30 Nov 2026 12:00:00 GMT');
      expect(res.headers['content-type']).toContain('application/fhir+json');
      const read = await t.app.inject({ url: `/fhir/Patient/${created.id}` });
      expect(read.statusCode).toBe(200);
      expect(JSON.parse(read.body)).toEqual(created);
    },
  );

  it.runIf(available)('accepts application/json as well as application/fhir+json', async () => {
    const res = await post('/fhir/Patient', buildPatient(), { 'content-type': 'application/json' });
    expect(res.statusCode).toBe(201);
  });

  it.runIf(available)('update with a stale If-Match answers 412; delete then read answers 410', async () => {
    const created = JSON.parse((await post('/fhir/Patient', buildPatient())).body) as Patient;
    const put = (ifMatch: string) =>
      t.app.inject({
        method: 'PUT',
        url: `/fhir/Patient/${created.id}`,
        headers: { ...json, 'if-match': ifMatch },
        payload: JSON.stringify({ ...created, gender: 'male' }),
      });
    expect((await put('W/"1"')).statusCode).toBe(200);
    const stale = await put('W/"1"');
    expect(stale.statusCode).toBe(412);
    expect(outcome(stale.body).issue[0]?.code).toBe('conflict');
    expect((await t.app.inject({ method: 'DELETE', url: `/fhir/Patient/${created.id}` })).statusCode).toBe(
      204,
    );
    const gone = await t.app.inject({ url: `/fhir/Patient/${created.id}` });
    expect(gone.statusCode).toBe(410);
    expect(outcome(gone.body).resourceType).toBe('OperationOutcome');
    const history = JSON.parse(
      (await t.app.inject({ url: `/fhir/Patient/${created.id}/_history` })).body,
    ) as Bundle;
    expect(history.entry?.map((e) => e.request?.method)).toEqual(['DELETE', 'PUT', 'POST']);
  });

  it.runIf(available)(
    'If-None-Exist on create returns the existing resource instead of a duplicate',
    async () => {
      const patient = buildPatient({ identifier: [{ system: 'urn:test:http', value: 'INE-1' }] });
      const first = await post('/fhir/Patient', patient, {
        ...json,
        'if-none-exist': 'identifier=urn:test:http|INE-1',
      });
      const second = await post('/fhir/Patient', patient, {
        ...json,
        'if-none-exist': 'identifier=urn:test:http|INE-1',
      });
      expect([first.statusCode, second.statusCode]).toEqual([201, 200]);
      expect(JSON.parse(second.body).id).toBe(JSON.parse(first.body).id);
    },
  );

  it.runIf(available)('PATCH applies JSON Patch and FHIR Patch and makes new versions', async () => {
    const created = JSON.parse((await post('/fhir/Patient', buildPatient())).body) as Patient;
    const jsonPatch = await t.app.inject({
      method: 'PATCH',
      url: `/fhir/Patient/${created.id}`,
      headers: { 'content-type': 'application/json-patch+json' },
      payload: JSON.stringify([{ op: 'replace', path: '/gender', value: 'other' }]),
    });
    expect(jsonPatch.statusCode).toBe(200);
    expect(JSON.parse(jsonPatch.body)).toMatchObject({ gender: 'other', meta: { versionId: '2' } });
    const fhirPatch = await t.app.inject({
      method: 'PATCH',
      url: `/fhir/Patient/${created.id}`,
      headers: json,
      payload: JSON.stringify({
        resourceType: 'Parameters',
        parameter: [
          {
            name: 'operation',
            part: [
              { name: 'type', valueCode: 'add' },
              { name: 'path', valueString: 'Patient' },
              { name: 'name', valueString: 'active' },
              { name: 'value', valueBoolean: true },
            ],
          },
        ],
      }),
    });
    expect(fhirPatch.statusCode).toBe(200);
    expect(JSON.parse(fhirPatch.body)).toMatchObject({
      active: true,
      gender: 'other',
      meta: { versionId: '3' },
    });
  });

  it.runIf(available)(
    'a patch naming __proto__, constructor or prototype answers 400 naming the path and changes nothing',
    async () => {
      const created = JSON.parse((await post('/fhir/Patient', buildPatient())).body) as Patient;
      const fhirAdd = (path: string, name: string) => ({
        resourceType: 'Parameters',
        parameter: [
          {
            name: 'operation',
            part: [
              { name: 'type', valueCode: 'add' },
              { name: 'path', valueString: path },
              { name: 'name', valueString: name },
              { name: 'value', valueString: 'yes' },
            ],
          },
        ],
      });
      const cases: [string, unknown, string][] = [
        [
          'application/json-patch+json',
          [{ op: 'add', path: '/__proto__/polluted', value: 1 }],
          '/__proto__/polluted',
        ],
        [
          'application/json-patch+json',
          [{ op: 'replace', path: '/name/0/__proto__', value: {} }],
          '/name/0/__proto__',
        ],
        [
          'application/json-patch+json',
          [{ op: 'add', path: '/constructor/prototype/polluted', value: 1 }],
          '/constructor/prototype/polluted',
        ],
        ['application/fhir+json', fhirAdd('Patient.__proto__', 'polluted'), 'Patient.__proto__'],
        ['application/fhir+json', fhirAdd('Patient', '__proto__'), 'Parameters.parameter[0].part[2]'],
      ];
      for (const [contentType, patch, expression] of cases) {
        const res = await t.app.inject({
          method: 'PATCH',
          url: `/fhir/Patient/${created.id}`,
          headers: { 'content-type': contentType },
          payload: JSON.stringify(patch),
        });
        expect(res.statusCode, res.body).toBe(400);
        expect(outcome(res.body).issue[0]).toMatchObject({ code: 'invalid', expression: [expression] });
      }
      const read = JSON.parse((await t.app.inject({ url: `/fhir/Patient/${created.id}` })).body) as Patient;
      expect(read.meta?.versionId).toBe('1');
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    },
  );

  it.runIf(available)('a patch that makes the resource invalid is refused and changes nothing', async () => {
    const created = JSON.parse((await post('/fhir/Patient', buildPatient())).body) as Patient;
    const res = await t.app.inject({
      method: 'PATCH',
      url: `/fhir/Patient/${created.id}`,
      headers: { 'content-type': 'application/json-patch+json' },
      payload: JSON.stringify([{ op: 'replace', path: '/gender', value: 'nonsense' }]),
    });
    expect(res.statusCode).toBe(400);
    expect(outcome(res.body).issue[0]?.expression).toEqual(['Patient.gender']);
    expect(JSON.parse((await t.app.inject({ url: `/fhir/Patient/${created.id}` })).body).meta.versionId).toBe(
      '1',
    );
  });

  describe('bad input: the right status, an OperationOutcome naming the path, and nothing stored', () => {
    const cases: {
      title: string;
      url?: string;
      body: unknown;
      status: number;
      code: string;
      expression?: string;
      diagnostics?: RegExp;
    }[] = [
      {
        title: 'malformed JSON',
        body: '{"resourceType": "Patient", ',
        status: 400,
        code: 'structure',
        diagnostics: /not valid JSON/,
      },
      {
        title: 'wrong resourceType for the URL',
        body: { resourceType: 'Observation', status: 'final', code: { text: 'x' } },
        status: 400,
        code: 'invalid',
        expression: 'resourceType',
      },
      {
        title: 'unknown resourceType',
        url: '/fhir/Patient',
        body: { resourceType: 'Patientt' },
        status: 400,
        code: 'invalid',
        expression: 'resourceType',
      },
      {
        title: 'unknown element',
        body: { resourceType: 'Patient', nickname: 'Ana' },
        status: 400,
        code: 'structure',
        expression: 'Patient.nickname',
      },
      {
        title: 'invalid code in a required binding',
        body: { resourceType: 'Patient', gender: 'F' },
        status: 400,
        code: 'code-invalid',
        expression: 'Patient.gender',
      },
      {
        title: 'wrong type',
        body: { resourceType: 'Patient', active: 'yes' },
        status: 400,
        code: 'structure',
        expression: 'Patient.active',
      },
      {
        title: 'invalid date',
        body: { resourceType: 'Patient', birthDate: '12/04/1956' },
        status: 400,
        code: 'value',
        expression: 'Patient.birthDate',
      },
      {
        title: 'a body that is not an object',
        body: '[1,2,3]',
        status: 400,
        code: 'structure',
        expression: 'resourceType',
      },
    ];
    for (const c of cases) {
      it.runIf(available)(`${c.title} → ${c.status}`, async () => {
        const before = await patientCount();
        const res = await post(c.url ?? '/fhir/Patient', c.body);
        expect(res.statusCode).toBe(c.status);
        const issue = outcome(res.body).issue[0]!;
        expect(issue.severity).toBe('error');
        expect(issue.code).toBe(c.code);
        if (c.expression) expect(issue.expression).toEqual([c.expression]);
        if (c.diagnostics) expect(issue.diagnostics).toMatch(c.diagnostics);
        expect(await patientCount()).toBe(before);
      });
    }

    it.runIf(available)('missing required element → 400 naming it', async () => {
      const res = await post('/fhir/Observation', { resourceType: 'Observation', code: { text: 'HbA1c' } });
      expect(res.statusCode).toBe(400);
      expect(outcome(res.body).issue.map((i) => i.expression?.[0])).toContain('Observation.status');
    });

    it.runIf(available)('body over the configured limit → 413', async () => {
      const before = await patientCount();
      const big = buildPatient({ name: [{ family: 'x'.repeat(70 * 1024) }] });
      const res = await post('/fhir/Patient', big);
      expect(res.statusCode).toBe(413);
      expect(outcome(res.body).issue[0]?.code).toBe('too-costly');
      expect(await patientCount()).toBe(before);
    });

    it.runIf(available)(
      'reference to a missing resource in a transaction → 400 naming the entry path',
      async () => {
        const before = await patientCount();
        const res = await post('/fhir', {
          resourceType: 'Bundle',
          type: 'transaction',
          entry: [
            { resource: buildPatient(), request: { method: 'POST', url: 'Patient' } },
            { resource: buildObservation('ghost'), request: { method: 'POST', url: 'Observation' } },
          ],
        });
        expect(res.statusCode).toBe(400);
        const issue = outcome(res.body).issue[0]!;
        expect(issue.code).toBe('not-found');
        expect(issue.expression).toEqual(['Observation.subject.reference']);
        expect(issue.diagnostics).toContain('Bundle.entry[1]');
        expect(await patientCount()).toBe(before);
      },
    );

    it.runIf(available)('unknown resource type in the URL → 404 OperationOutcome', async () => {
      const res = await t.app.inject({ url: '/fhir/Patientt/1' });
      expect(res.statusCode).toBe(404);
      expect(outcome(res.body).issue[0]?.code).toBe('not-found');
    });

    it.runIf(available)('unknown search parameter → 400 naming it', async () => {
      const res = await t.app.inject({ url: '/fhir/Patient?nickname=ana' });
      expect(res.statusCode).toBe(400);
      expect(outcome(res.body).issue[0]?.expression).toEqual(['nickname']);
    });

    it.runIf(available)('id in the body differing from the URL → 400', async () => {
      const res = await t.app.inject({
        method: 'PUT',
        url: '/fhir/Patient/abc',
        headers: json,
        payload: JSON.stringify({ ...buildPatient(), id: 'xyz' }),
      });
      expect(res.statusCode).toBe(400);
      expect(outcome(res.body).issue[0]?.expression).toEqual(['Patient.id']);
    });
  });

  it.runIf(available)('searches through HTTP, keeping a literal + in time-zone offsets', async () => {
    const patient = JSON.parse((await post('/fhir/Patient', buildPatient())).body) as Patient;
    await post(
      '/fhir/Observation',
      buildObservation(patient.id!, { effectiveDateTime: '2026-05-01T10:00:00+02:00' }),
    );
    const hit = JSON.parse(
      (
        await t.app.inject({
          url: `/fhir/Observation?subject=Patient/${patient.id}&date=ge2026-05-01T09:00:00+02:00`,
        })
      ).body,
    ) as Bundle;
    expect(hit.total).toBe(1);
    const miss = JSON.parse(
      (
        await t.app.inject({
          url: `/fhir/Observation?subject=Patient/${patient.id}&date=gt2026-05-01T10:00:00+02:00`,
        })
      ).body,
    ) as Bundle;
    expect(miss.total).toBe(0);
  });

  it.runIf(available)(
    '$everything returns the patient, their compartment and the practitioners they refer to',
    async () => {
      const practitioner = JSON.parse(
        (await post('/fhir/Practitioner', { resourceType: 'Practitioner', name: [{ family: 'Lee' }] })).body,
      );
      const patient = JSON.parse(
        (
          await post(
            '/fhir/Patient',
            buildPatient({ generalPractitioner: [{ reference: `Practitioner/${practitioner.id}` }] }),
          )
        ).body,
      ) as Patient;
      const other = JSON.parse((await post('/fhir/Patient', buildPatient())).body) as Patient;
      await post('/fhir/Observation', buildObservation(patient.id!));
      await post('/fhir/Observation', buildObservation(other.id!));
      const everything = JSON.parse(
        (await t.app.inject({ url: `/fhir/Patient/${patient.id}/$everything` })).body,
      ) as Bundle;
      const keys = everything.entry?.map((e) => e.resource?.resourceType).sort();
      expect(keys).toEqual(['Observation', 'Patient', 'Practitioner']);
    },
  );

  it.runIf(available)(
    'metadata lists every resource type with the search parameters the index holds',
    async () => {
      const res = await t.app.inject({ url: '/fhir/metadata' });
      const cs = JSON.parse(res.body);
      expect(cs.fhirVersion).toBe('4.0.1');
      const patient = cs.rest[0].resource.find((r: { type: string }) => r.type === 'Patient');
      expect(patient.searchParam.map((p: { name: string }) => p.name)).toEqual(
        expect.arrayContaining([
          '_id',
          '_lastUpdated',
          'name',
          'birthdate',
          'identifier',
          'general-practitioner',
        ]),
      );
      expect(patient.interaction.map((i: { code: string }) => i.code)).toEqual(
        expect.arrayContaining([
          'read',
          'vread',
          'update',
          'patch',
          'delete',
          'create',
          'search-type',
          'history-instance',
        ]),
      );
      expect(cs.rest[0].resource.length).toBeGreaterThan(140);
    },
  );
});
