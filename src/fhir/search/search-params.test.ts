/**
 * Search parsing and value semantics without a database: how a query string becomes criteria, what
 * interval a date or number names (R4 search.html#prefix), which requests are refused and how the
 * refusal names the parameter, and what index rows a resource yields.
 */
import type { Observation, Task } from 'fhir/r4.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildObservation, buildPatient } from '../../../test/support/factories.js';
import { loadFhirDefinitions } from '../definitions.js';
import { FhirError } from '../outcome.js';
import { indexRows } from './index-rows.js';
import { parseSearch, splitPrefix, splitUnescaped, splitValues, unescapeValue } from './parse.js';
import { dateRange, numberRange } from './values.js';

const limits = { defaultCount: 20, maxCount: 100 };
const iso = (ms: number) => new Date(ms).toISOString();

function refusal(work: () => unknown): FhirError {
  try {
    work();
  } catch (err) {
    if (err instanceof FhirError) return err;
    throw err;
  }
  throw new Error('expected a FhirError');
}

beforeAll(() => loadFhirDefinitions());

describe('search value syntax', () => {
  it('splits a value on commas (OR) but keeps escaped commas', () => {
    expect(splitValues('a,b\\,c,d')).toEqual(['a', 'b\\,c', 'd']);
    expect(unescapeValue('b\\,c\\|d\\$e\\\\f')).toBe('b,c|d$e\\f');
  });

  it('splits tokens on | and composites on $, except where escaped', () => {
    expect(splitUnescaped('http://loinc.org|8480-6', '|')).toEqual(['http://loinc.org', '8480-6']);
    expect(splitUnescaped('a\\|b|c', '|')).toEqual(['a\\|b', 'c']);
    expect(splitUnescaped('http://loinc.org|8480-6$gt140', '$')).toEqual([
      'http://loinc.org|8480-6',
      'gt140',
    ]);
  });

  it('reads a prefix only when a value follows it', () => {
    expect(splitPrefix('gt2026-01-01')).toEqual({ prefix: 'gt', value: '2026-01-01' });
    expect(splitPrefix('ne-5')).toEqual({ prefix: 'ne', value: '-5' });
    expect(splitPrefix('2026')).toEqual({ prefix: 'eq', value: '2026' });
    expect(splitPrefix('ge')).toEqual({ prefix: 'eq', value: 'ge' });
  });
});

describe('dates as ranges', () => {
  it('names the whole year, month or day it is written to', () => {
    const year = dateRange('1956', 'birthdate');
    expect([iso(year.low), iso(year.high)]).toEqual(['1956-01-01T00:00:00.000Z', '1956-12-31T23:59:59.999Z']);
    const april = dateRange('1956-04', 'birthdate');
    expect([iso(april.low), iso(april.high)]).toEqual([
      '1956-04-01T00:00:00.000Z',
      '1956-04-30T23:59:59.999Z',
    ]);
    const leapFebruary = dateRange('2024-02', 'birthdate');
    expect(iso(leapFebruary.high)).toBe('2024-02-29T23:59:59.999Z');
    const day = dateRange('1956-04-12', 'birthdate');
    expect([iso(day.low), iso(day.high)]).toEqual(['1956-04-12T00:00:00.000Z', '1956-04-12T23:59:59.999Z']);
  });

  it('names a second, or a millisecond, when the time is written to that precision', () => {
    const second = dateRange('2026-04-01T04:30:00Z', 'date');
    expect([iso(second.low), iso(second.high)]).toEqual([
      '2026-04-01T04:30:00.000Z',
      '2026-04-01T04:30:00.999Z',
    ]);
    const ms = dateRange('2026-04-01T04:30:00.123Z', 'date');
    expect([iso(ms.low), iso(ms.high)]).toEqual(['2026-04-01T04:30:00.123Z', '2026-04-01T04:30:00.123Z']);
  });

  it('applies a time-zone offset of either sign', () => {
    expect(iso(dateRange('2026-03-31T23:30:00-05:00', 'date').low)).toBe('2026-04-01T04:30:00.000Z');
    expect(iso(dateRange('2026-04-01T06:30:00+02:00', 'date').low)).toBe('2026-04-01T04:30:00.000Z');
  });

  it('refuses dates that do not exist, naming the parameter', () => {
    for (const bad of [
      '2026-02-30',
      '2025-02-29',
      '2026-13',
      '2026-00-10',
      '2026-04-31',
      '2026-01-01T24:00:00Z',
      '1/2/2026',
    ]) {
      const err = refusal(() => dateRange(bad, 'birthdate'));
      expect(err.status, bad).toBe(400);
      expect(err.issues[0]?.expression, bad).toBe('birthdate');
    }
    expect(() => dateRange('2024-02-29', 'birthdate')).not.toThrow();
  });
});

describe('numbers as ranges of their significant digits', () => {
  it('widens a value by half its last digit', () => {
    expect(numberRange('100', 'probability')).toEqual({ value: 100, low: 99.5, high: 100.5 });
    expect(numberRange('0.25', 'probability')).toMatchObject({ low: 0.245, high: 0.255 });
  });

  it('refuses what is not a number', () => {
    expect(refusal(() => numberRange('ten', 'probability')).issues[0]?.expression).toBe('probability');
  });
});

describe('parsing a search', () => {
  it('keeps repeated parameters as separate criteria (AND) and commas as values (OR)', () => {
    const parsed = parseSearch(
      'Observation',
      [
        ['date', 'ge2026-01-01'],
        ['date', 'lt2026-02-01'],
        ['code', 'http://loinc.org|4548-4,http://loinc.org|2339-0'],
      ],
      limits,
    );
    expect(parsed.criteria.map((c) => [c.param, c.type, c.values])).toEqual([
      ['date', 'date', ['ge2026-01-01']],
      ['date', 'date', ['lt2026-02-01']],
      ['code', 'token', ['http://loinc.org|4548-4', 'http://loinc.org|2339-0']],
    ]);
  });

  it('reads a chain into its target types and the criterion on them', () => {
    const [chained] = parseSearch('Observation', [['subject:Patient.name', 'rivera']], limits).criteria;
    expect(chained?.chain?.targetTypes).toEqual(['Patient']);
    expect(chained?.chain?.criterion).toMatchObject({ param: 'name', type: 'string', values: ['rivera'] });
  });

  it('reads _sort keys in order with their direction', () => {
    const parsed = parseSearch('Patient', [['_sort', 'family,-birthdate,_id']], limits);
    expect(parsed.sort).toEqual([
      { param: 'family', type: 'string', descending: false },
      { param: 'birthdate', type: 'date', descending: true },
      { param: '_id', type: 'token', descending: false },
    ]);
  });

  it('caps _count at the largest page and defaults it otherwise', () => {
    expect(parseSearch('Patient', [['_count', '5000']], limits).count).toBe(100);
    expect(parseSearch('Patient', [], limits).count).toBe(20);
  });

  it('refuses, with a 400 naming the parameter, what it cannot answer', () => {
    const cases: [string, [string, string][], string][] = [
      ['Patient', [['shoe-size', '42']], 'shoe-size'],
      ['Patient', [['birthdate:exact', '1956']], 'birthdate:exact'],
      ['Patient', [['name:text', 'ana']], 'name:text'],
      ['Patient', [['_id:missing', 'true']], '_id:missing'],
      ['Patient', [['_lastUpdated:missing', 'true']], '_lastUpdated:missing'],
      ['Patient', [['gender.name', 'x']], 'gender.name'],
      ['Observation', [['subject:Patient.organization.name', 'x']], 'subject:Patient.organization.name'],
      ['Patient', [['_sort', 'shoe-size']], '_sort'],
      ['Patient', [['_include', '*']], '_include'],
      ['Patient', [['_revinclude', 'Observation:code']], '_revinclude'],
      ['Patient', [['_count', '1.5']], '_count'],
      ['Patient', [['_offset', '-10']], '_offset'],
      ['Patient', [['identifier', 'a,']], 'identifier'],
    ];
    for (const [type, query, expression] of cases) {
      const err = refusal(() => parseSearch(type, query, limits));
      expect(err.status, expression).toBe(400);
      expect(err.issues[0]?.expression, expression).toBe(expression);
    }
  });
});

describe('index rows', () => {
  it('stores a month-precision date as exactly that month', () => {
    const rows = indexRows(buildPatient({ id: 'p', birthDate: '1956-04' }), 1);
    const birthdate = rows.sp_date.find((r) => r.param === 'birthdate')!;
    expect([iso(birthdate.low as number), iso(birthdate.high as number)]).toEqual([
      '1956-04-01T00:00:00.000Z',
      '1956-04-30T23:59:59.999Z',
    ]);
  });

  it('indexes a quantity component only as a quantity, never as a code or a string', () => {
    const panel: Observation = buildObservation('p', {
      id: 'bp',
      component: [
        {
          code: { coding: [{ system: 'http://loinc.org', code: '8480-6' }] },
          valueQuantity: { value: 150, system: 'http://unitsofmeasure.org', code: 'mm[Hg]' },
        },
      ],
    });
    const rows = indexRows(panel, 1).sp_composite;
    expect(rows.filter((r) => String(r.c2_code).includes('object'))).toEqual([]);
    expect(rows.filter((r) => r.param === 'component-code-value-concept')).toEqual([]);
    expect(rows.filter((r) => r.param === 'code-value-string')).toEqual([]);
    expect(rows.find((r) => r.param === 'component-code-value-quantity')).toMatchObject({
      c1_code: '8480-6',
      c2_low: 150,
      c2_code: 'mm[Hg]',
    });
  });

  it('indexes the identifier of a reference, with or without a reference beside it', () => {
    const task: Task = {
      resourceType: 'Task',
      id: 't',
      status: 'requested',
      intent: 'order',
      owner: { identifier: { value: 'nurse-7' } },
      requester: { reference: 'Practitioner/dr', identifier: { system: 'urn:npi', value: '123' } },
    };
    const refs = indexRows(task, 1).sp_reference.map((r) => [r.param, r.reference]);
    expect(refs).toContainEqual(['owner', 'identifier:|nurse-7']);
    expect(refs).toContainEqual(['requester', 'Practitioner/dr']);
    expect(refs).toContainEqual(['requester', 'identifier:urn:npi|123']);
  });
});
