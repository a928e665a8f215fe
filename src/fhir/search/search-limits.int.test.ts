import type { Bundle, OperationOutcome, Patient } from 'fhir/r4.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildPatient } from '../../../test/support/factories.js';
import { openTestApp, type TestApp } from '../../../test/support/test-app.js';
import { databaseTargets } from '../../../test/support/test-databases.js';
import { searchLimits } from './limits.js';

const json = { 'content-type': 'application/fhir+json' };
const repeat = (n: number, make: (i: number) => string, separator: string) =>
  Array.from({ length: n }, (_, i) => make(i)).join(separator);

describe.each(databaseTargets)('search limits and numeric parameters on $name', ({ name, available }) => {
  let t: TestApp;
  let patient: Patient;
  beforeAll(async () => {
    if (!available) return;
    t = await openTestApp(name);
    const res = await t.app.inject({
      method: 'POST',
      url: '/fhir/Patient',
      headers: json,
      payload: JSON.stringify(buildPatient()),
    });
    patient = JSON.parse(res.body) as Patient;
  });
  afterAll(async () => t?.close());

  const get = (url: string) => t.app.inject({ url });
  /** The single issue of a 400 answer; fails unless the status is 400. */
  const refusal = async (res: Awaited<ReturnType<typeof get>>) => {
    expect(res.statusCode, res.body.slice(0, 300)).toBe(400);
    const outcome = JSON.parse(res.body) as OperationOutcome;
    expect(outcome.resourceType).toBe('OperationOutcome');
    return outcome.issue[0]!;
  };

  describe('repetition that grows the cost of a search answers 400 naming the parameter and the limit', () => {
    it.runIf(available)('a _sort key named twice (600 of them held the server for 23 s)', async () => {
      for (const url of [
        `/fhir/Observation?_sort=${repeat(600, () => 'date', ',')}`,
        '/fhir/Observation?_sort=date,-date',
        '/fhir/Observation?_sort=date&_sort=code&_sort=-date',
      ]) {
        const issue = await refusal(await get(url));
        expect(issue).toMatchObject({
          expression: ['_sort'],
          diagnostics: '_sort names "date" more than once',
        });
      }
    });

    it.runIf(available)(`more than ${searchLimits.sortKeys} _sort keys`, async () => {
      const keys = ['date', 'code', 'status', 'category', 'subject', 'performer'];
      expect((await get(`/fhir/Observation?_sort=${keys.slice(0, 5).join(',')}`)).statusCode).toBe(200);
      const issue = await refusal(await get(`/fhir/Observation?_sort=${keys.join(',')}`));
      expect(issue).toMatchObject({
        code: 'too-costly',
        expression: ['_sort'],
        diagnostics: 'too many sort keys: a search takes at most 5',
      });
    });

    it.runIf(available)(
      `more than ${searchLimits.criteria} search parameters, a repeat counting each time`,
      async () => {
        expect((await get(`/fhir/Patient?${repeat(20, () => 'gender=male', '&')}`)).statusCode).toBe(200);
        const issue = await refusal(await get(`/fhir/Patient?${repeat(21, () => 'gender=male', '&')}`));
        expect(issue).toMatchObject({
          code: 'too-costly',
          expression: ['gender'],
          diagnostics:
            'too many search parameters (a repeated one counts each time): a search takes at most 20',
        });
      },
    );

    it.runIf(available)(
      `more than ${searchLimits.values} comma-separated values of one parameter`,
      async () => {
        const ids = (n: number) => repeat(n, (i) => `id${i}`, ',');
        expect((await get(`/fhir/Patient?_id=${ids(100)}`)).statusCode).toBe(200);
        for (const key of ['_id', 'name', 'subject:Patient.name']) {
          const type = key.startsWith('subject') ? 'Observation' : 'Patient';
          const issue = await refusal(await get(`/fhir/${type}?${key}=${ids(101)}`));
          expect(issue).toMatchObject({
            code: 'too-costly',
            expression: [key],
            diagnostics: '101 comma-separated values: a search takes at most 100',
          });
        }
      },
    );

    it.runIf(available)(
      `more than ${searchLimits.totalValues} values in all, a chain counting once per type it follows`,
      async () => {
        const names = (n: number) => repeat(n, (i) => `n${i}`, ',');
        expect((await get(`/fhir/Patient?name=${names(100)}&family=${names(100)}`)).statusCode).toBe(200);
        const issue = await refusal(
          await get(`/fhir/Patient?name=${names(100)}&family=${names(100)}&given=${names(1)}`),
        );
        expect(issue).toMatchObject({
          code: 'too-costly',
          expression: ['given'],
          diagnostics:
            '201 values in all (a chain counts its values once per type it may follow): a search takes at most 200',
        });
        // subject.name may follow a Patient or a Location: 2 × 100 values, and one more value is past the limit.
        expect((await get(`/fhir/Observation?subject.name=${names(100)}`)).statusCode).toBe(200);
        const chained = await refusal(await get(`/fhir/Observation?subject.name=${names(100)}&code=x`));
        expect(chained.diagnostics).toMatch(/^201 values in all/);
      },
    );

    it.runIf(available)(`more than ${searchLimits.chains} chained parameters`, async () => {
      const chain = [
        'subject:Patient.name=a',
        'subject:Patient.gender=male',
        'performer:Practitioner.name=b',
      ];
      expect((await get(`/fhir/Observation?${chain.join('&')}`)).statusCode).toBe(200);
      const issue = await refusal(
        await get(`/fhir/Observation?${chain.join('&')}&encounter.status=finished`),
      );
      expect(issue).toMatchObject({
        code: 'too-costly',
        expression: ['encounter.status'],
        diagnostics: 'too many chained parameters: a search takes at most 3',
      });
    });

    it.runIf(available)(
      `more than ${searchLimits.includes} _include and _revinclude rules; a repeated rule counts once`,
      async () => {
        const same = await get(`/fhir/Observation?${repeat(50, () => '_include=Observation:subject', '&')}`);
        expect(same.statusCode).toBe(200);
        const rules = [
          'Observation:subject',
          'Condition:subject',
          'Encounter:subject',
          'Procedure:subject',
          'Immunization:patient',
          'AllergyIntolerance:patient',
          'CarePlan:subject',
          'CareTeam:subject',
          'Goal:subject',
          'Task:patient',
          'ServiceRequest:subject',
        ];
        const issue = await refusal(
          await get(`/fhir/Patient?${rules.map((r) => `_revinclude=${r}`).join('&')}`),
        );
        expect(issue).toMatchObject({
          code: 'too-costly',
          expression: ['_revinclude'],
          diagnostics: 'too many _include and _revinclude rules: a search takes at most 10',
        });
      },
    );

    it.runIf(available)(`more than ${searchLimits.elements} names in _elements`, async () => {
      const issue = await refusal(await get(`/fhir/Patient?_elements=${repeat(51, (i) => `e${i}`, ',')}`));
      expect(issue).toMatchObject({
        expression: ['_elements'],
        diagnostics: '51 element names: a search takes at most 50',
      });
    });

    it.runIf(available)(
      `more than ${searchLimits.parameters} query parameters, in a URL or a _search form as large as the body limit`,
      async () => {
        const issue = await refusal(await get(`/fhir/Patient?${repeat(101, () => '_format=json', '&')}`));
        expect(issue).toMatchObject({
          expression: ['_format'],
          diagnostics: 'too many query parameters: a search takes at most 100',
        });
        const form = await t.app.inject({
          method: 'POST',
          url: '/fhir/Patient/_search',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          payload: repeat(500_000, () => 'code=abc', '&'),
        });
        expect((await refusal(form)).diagnostics).toBe(
          'too many query parameters: a search takes at most 100',
        );
      },
    );
  });

  describe('numbers out of range or not whole answer 400 (or 404 for a version), never 500', () => {
    const huge = '9223372036854775808';

    it.runIf(available)('_count and _offset of a search, sorted or not', async () => {
      for (const [param, value] of [
        ['_offset', huge],
        ['_offset', '-1'],
        ['_count', huge],
        ['_count', '1e2'],
        ['_count', '0x10'],
        ['_count', '1.5'],
        ['_count', ''],
      ]) {
        for (const sort of ['', '&_sort=birthdate']) {
          const issue = await refusal(await get(`/fhir/Patient?${param}=${value}${sort}`));
          expect(issue.expression).toEqual([param]);
          expect(issue.diagnostics).toMatch(
            new RegExp(`^${param} must be a whole number from 0 to 9007199254740991`),
          );
        }
      }
      expect((await get('/fhir/Patient?_offset=9007199254740991&_sort=birthdate')).statusCode).toBe(200);
    });

    it.runIf(available)('_count and _offset of history', async () => {
      for (const url of [
        `/fhir/Patient/_history?_offset=${huge}`,
        `/fhir/_history?_count=${huge}`,
        `/fhir/Patient/${patient.id}/_history?_count=1e3`,
      ]) {
        const issue = await refusal(await get(url));
        expect(issue.diagnostics).toMatch(/must be a whole number from/);
      }
    });

    it.runIf(available)(
      'a version past the version column in vread (404) and in If-Match (400)',
      async () => {
        for (const version of ['99999999999999999999', '2147483648', huge]) {
          const res = await get(`/fhir/Patient/${patient.id}/_history/${version}`);
          expect(res.statusCode).toBe(404);
        }
        const put = await t.app.inject({
          method: 'PUT',
          url: `/fhir/Patient/${patient.id}`,
          headers: { ...json, 'if-match': 'W/"99999999999999999999"' },
          payload: JSON.stringify(patient),
        });
        expect((await refusal(put)).expression).toEqual(['If-Match']);
      },
    );

    it.runIf(available)('number and quantity values a double cannot hold', async () => {
      for (const url of [
        '/fhir/RiskAssessment?probability=1e400',
        '/fhir/RiskAssessment?probability=gt-1e400',
        '/fhir/RiskAssessment?probability=1e-400',
        '/fhir/Observation?value-quantity=1e400',
        '/fhir/Observation?component-code-value-quantity=8480-6$lt1e400',
      ]) {
        const issue = await refusal(await get(url));
        expect(issue.diagnostics).toMatch(/outside the range of numbers the server compares/);
      }
      expect((await get('/fhir/RiskAssessment?probability=1e300')).statusCode).toBe(200);
    });

    it.runIf(available)('a search inside a bundle, named at its entry', async () => {
      const res = await t.app.inject({
        method: 'POST',
        url: '/fhir',
        headers: json,
        payload: JSON.stringify({
          resourceType: 'Bundle',
          type: 'transaction',
          entry: [{ request: { method: 'GET', url: `Patient?_offset=${huge}` } }],
        }),
      });
      const issue = await refusal(res);
      expect(issue.expression).toEqual(['Bundle.entry[0].request.url']);
      expect(issue.diagnostics).toMatch(/^_offset: _offset must be a whole number/);
      const batch = JSON.parse(
        (
          await t.app.inject({
            method: 'POST',
            url: '/fhir',
            headers: json,
            payload: JSON.stringify({
              resourceType: 'Bundle',
              type: 'batch',
              entry: [{ request: { method: 'GET', url: `Patient?_count=${huge}` } }],
            }),
          })
        ).body,
      ) as Bundle;
      expect(batch.entry![0]!.response).toMatchObject({
        status: '400',
        outcome: { issue: [{ expression: ['Bundle.entry[0].request.url'] }] },
      });
    });
  });
});
