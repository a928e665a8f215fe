/**
 * Ordered search parameters (date, number, quantity) on both databases: values are ranges at their
 * precision, prefixes compare ranges as R4 search.html#prefix defines, commas are OR and repeated
 * parameters AND. Each block seeds its own database so that every assertion lists the exact matches.
 */
import type { Encounter, Observation, Patient, RiskAssessment } from 'fhir/r4.js';
import { describe, expect, it } from 'vitest';
import { buildEncounter, buildObservation, buildPatient } from '../../../test/support/factories.js';
import { BASE, failure, matches, put, search, seededStore } from '../../../test/support/search-helpers.js';
import { databaseTargets } from '../../../test/support/test-databases.js';
import { fixedClock } from '../../platform/clock.js';

function withoutBirthDate(patient: Patient): Patient {
  const { birthDate: _omit, ...rest } = patient;
  return rest;
}

function observationAt(id: string, effective: Partial<Observation>): Observation {
  const { effectiveDateTime: _omit, ...rest } = buildObservation('dates-subject', { id });
  return { ...rest, ...effective } as Observation;
}

function encounter(id: string, period?: Encounter['period']): Encounter {
  const { period: _omit, ...rest } = buildEncounter('dates-subject', { id });
  return period ? { ...rest, period } : { ...rest, status: 'planned' };
}

describe.each(databaseTargets)('date, number and quantity search on $name', (target) => {
  const run = it.runIf(target.available);

  describe('birthdate at year, month and day precision', () => {
    const ctx = seededStore(target, (store) =>
      put(store, [
        buildPatient({ id: 'born-1956-04-12', birthDate: '1956-04-12' }),
        buildPatient({ id: 'born-1956-04', birthDate: '1956-04' }),
        buildPatient({ id: 'born-1956', birthDate: '1956' }),
        buildPatient({ id: 'born-1956-05-01', birthDate: '1956-05-01' }),
        buildPatient({ id: 'born-1955-12-31', birthDate: '1955-12-31' }),
        buildPatient({ id: 'born-2024-02', birthDate: '2024-02' }),
        withoutBirthDate(buildPatient({ id: 'born-unknown' })),
      ]),
    );

    run('a year finds every birth date that lies wholly inside that year', async () => {
      expect(await matches(ctx.store, 'Patient', 'birthdate=1956')).toEqual([
        'born-1956',
        'born-1956-04',
        'born-1956-04-12',
        'born-1956-05-01',
      ]);
    });

    run('a month finds days of that month and the month itself, not the vaguer year', async () => {
      expect(await matches(ctx.store, 'Patient', 'birthdate=1956-04')).toEqual([
        'born-1956-04',
        'born-1956-04-12',
      ]);
    });

    run('a day finds only that day: a month-precision date is not known to be that day', async () => {
      expect(await matches(ctx.store, 'Patient', 'birthdate=1956-04-12')).toEqual(['born-1956-04-12']);
    });

    run('a month-precision date ends with its month, however many days the month has', async () => {
      // April has 30 days and February 2024 has 29: neither may spill into the next month.
      expect(await matches(ctx.store, 'Patient', 'birthdate=gt1956-04-30')).toEqual([
        'born-1956',
        'born-1956-05-01',
        'born-2024-02',
      ]);
      expect(await matches(ctx.store, 'Patient', 'birthdate=2024-02')).toEqual(['born-2024-02']);
      expect(await matches(ctx.store, 'Patient', 'birthdate=ge2024-03-01')).toEqual([]);
      expect(await matches(ctx.store, 'Patient', 'birthdate=le2024-02-29')).toEqual([
        'born-1955-12-31',
        'born-1956',
        'born-1956-04',
        'born-1956-04-12',
        'born-1956-05-01',
        'born-2024-02',
      ]);
    });

    run('ne finds dates with a value outside the range, never those without a birth date', async () => {
      expect(await matches(ctx.store, 'Patient', 'birthdate=ne1956')).toEqual([
        'born-1955-12-31',
        'born-2024-02',
      ]);
    });

    run('gt and lt find ranges that reach beyond the value, at any precision', async () => {
      // The year 1956 reaches past April 12th, so it is gt; it also starts before, so it is lt.
      expect(await matches(ctx.store, 'Patient', 'birthdate=gt1956-04-12')).toEqual([
        'born-1956',
        'born-1956-04',
        'born-1956-05-01',
        'born-2024-02',
      ]);
      expect(await matches(ctx.store, 'Patient', 'birthdate=lt1956-04-12')).toEqual([
        'born-1955-12-31',
        'born-1956',
        'born-1956-04',
      ]);
    });

    run('ge and le add the dates inside the value to gt and lt', async () => {
      expect(await matches(ctx.store, 'Patient', 'birthdate=ge1956-04-12')).toEqual([
        'born-1956',
        'born-1956-04',
        'born-1956-04-12',
        'born-1956-05-01',
        'born-2024-02',
      ]);
      expect(await matches(ctx.store, 'Patient', 'birthdate=le1956-04-12')).toEqual([
        'born-1955-12-31',
        'born-1956',
        'born-1956-04',
        'born-1956-04-12',
      ]);
    });

    run('sa and eb find only ranges wholly after or wholly before the value', async () => {
      expect(await matches(ctx.store, 'Patient', 'birthdate=sa1956-04-30')).toEqual([
        'born-1956-05-01',
        'born-2024-02',
      ]);
      expect(await matches(ctx.store, 'Patient', 'birthdate=eb1956')).toEqual(['born-1955-12-31']);
    });

    run('ap finds dates near the value and not those decades away', async () => {
      const near = await matches(ctx.store, 'Patient', 'birthdate=ap1956-04-12');
      expect(near).toContain('born-1956-04-12');
      expect(near).toContain('born-1956-04');
      expect(near).not.toContain('born-2024-02');
    });

    run('a comma is OR and a repeated parameter is AND', async () => {
      expect(await matches(ctx.store, 'Patient', 'birthdate=1955-12-31,1956-05-01')).toEqual([
        'born-1955-12-31',
        'born-1956-05-01',
      ]);
      // Both conditions hold for every range overlapping January–April, the year 1956 included.
      expect(await matches(ctx.store, 'Patient', 'birthdate=ge1956-01-01&birthdate=lt1956-05-01')).toEqual([
        'born-1956',
        'born-1956-04',
        'born-1956-04-12',
      ]);
    });

    run(':missing finds patients with and without a birth date', async () => {
      expect(await matches(ctx.store, 'Patient', 'birthdate:missing=true')).toEqual(['born-unknown']);
      expect(await matches(ctx.store, 'Patient', 'birthdate:missing=false')).toHaveLength(6);
    });
  });

  describe('instants, time zones and boundaries', () => {
    const ctx = seededStore(target, (store) =>
      put(store, [
        buildPatient({ id: 'dates-subject' }),
        // 23:30 in New York on March 31st is 04:30 UTC on April 1st.
        observationAt('evening-in-new-york', { effectiveDateTime: '2026-03-31T23:30:00-05:00' }),
        observationAt('to-the-millisecond', { effectiveInstant: '2026-05-10T10:00:00.123Z' }),
        observationAt('during-a-day', {
          effectivePeriod: { start: '2026-01-10T08:00:00Z', end: '2026-01-10T20:00:00Z' },
        }),
        observationAt('mid-january', { effectiveDateTime: '2026-01-15T12:00:00Z' }),
        observationAt('last-second-of-january', { effectiveDateTime: '2026-01-31T23:59:59Z' }),
        observationAt('first-second-of-february', { effectiveDateTime: '2026-02-01T00:00:00Z' }),
        observationAt('undated', {}),
      ]),
    );

    run('a dateTime with an offset falls on its UTC day', async () => {
      expect(await matches(ctx.store, 'Observation', 'date=2026-04-01')).toEqual(['evening-in-new-york']);
      expect(await matches(ctx.store, 'Observation', 'date=2026-03-31')).toEqual([]);
      expect(await matches(ctx.store, 'Observation', 'date=2026-03')).toEqual([]);
      expect(await matches(ctx.store, 'Observation', 'date=2026-04-01T04:30:00Z')).toEqual([
        'evening-in-new-york',
      ]);
    });

    run('a search value with a negative offset is compared as the instant it names', async () => {
      expect(await matches(ctx.store, 'Observation', 'date=ge2026-03-31T23:00:00-05:00')).toEqual([
        'evening-in-new-york',
        'to-the-millisecond',
      ]);
      expect(await matches(ctx.store, 'Observation', 'date=2026-03-31T23:30:00-05:00')).toEqual([
        'evening-in-new-york',
      ]);
      expect(await matches(ctx.store, 'Observation', 'date=lt2026-03-31T23:30:00-05:00')).not.toContain(
        'evening-in-new-york',
      );
    });

    run('a positive offset is read the same whether the + arrives encoded or literal', async () => {
      // 06:30+02:00 is 04:30Z: the observation's own second.
      for (const plus of ['%2B', '+']) {
        expect(await matches(ctx.store, 'Observation', `date=2026-04-01T06:30:00${plus}02:00`)).toEqual([
          'evening-in-new-york',
        ]);
        expect(
          await matches(ctx.store, 'Observation', `date=lt2026-04-01T06:30:00${plus}02:00`),
        ).not.toContain('evening-in-new-york');
        expect(await matches(ctx.store, 'Observation', `date=le2026-04-01T06:30:00${plus}02:00`)).toContain(
          'evening-in-new-york',
        );
      }
    });

    run('gt and lt exclude the boundary second itself; ge and le include it', async () => {
      const at = '2026-04-01T04:30:00Z';
      expect(await matches(ctx.store, 'Observation', `date=gt${at}`)).toEqual(['to-the-millisecond']);
      expect(await matches(ctx.store, 'Observation', `date=ge${at}`)).toEqual([
        'evening-in-new-york',
        'to-the-millisecond',
      ]);
      expect(await matches(ctx.store, 'Observation', `date=lt${at}`)).not.toContain('evening-in-new-york');
      expect(await matches(ctx.store, 'Observation', `date=le${at}`)).toContain('evening-in-new-york');
      expect(await matches(ctx.store, 'Observation', 'date=gt2026-04-01T04:29:59Z')).toContain(
        'evening-in-new-york',
      );
      expect(await matches(ctx.store, 'Observation', 'date=lt2026-04-01T04:30:01Z')).toContain(
        'evening-in-new-york',
      );
    });

    run('an instant is compared to the millisecond', async () => {
      const found = (q: string) => matches(ctx.store, 'Observation', q);
      expect(await found('date=2026-05-10T10:00:00.123Z')).toEqual(['to-the-millisecond']);
      expect(await found('date=2026-05-10T10:00:00Z')).toEqual(['to-the-millisecond']);
      expect(await found('date=2026-05-10T10:00:00.122Z')).toEqual([]);
      expect(await found('date=gt2026-05-10T10:00:00.122Z')).toEqual(['to-the-millisecond']);
      expect(await found('date=gt2026-05-10T10:00:00.123Z')).toEqual([]);
      expect(await found('date=ge2026-05-10T10:00:00.123Z')).toEqual(['to-the-millisecond']);
      expect(await found('date=lt2026-05-10T10:00:00.123Z')).not.toContain('to-the-millisecond');
      expect(await found('date=lt2026-05-10T10:00:00.124Z')).toContain('to-the-millisecond');
    });

    run('a month boundary puts the last second of January in January and the next in February', async () => {
      expect(await matches(ctx.store, 'Observation', 'date=2026-01')).toEqual([
        'during-a-day',
        'last-second-of-january',
        'mid-january',
      ]);
      expect(await matches(ctx.store, 'Observation', 'date=2026-02')).toEqual(['first-second-of-february']);
      expect(await matches(ctx.store, 'Observation', 'date=ge2026-01-01&date=lt2026-02-01')).toEqual([
        'during-a-day',
        'last-second-of-january',
        'mid-january',
      ]);
    });

    run('an effectivePeriod within a day is found by that day but not by an instant inside it', async () => {
      expect(await matches(ctx.store, 'Observation', 'date=2026-01-10')).toEqual(['during-a-day']);
      expect(await matches(ctx.store, 'Observation', 'date=2026-01-10T12:00:00Z')).toEqual([]);
      expect(await matches(ctx.store, 'Observation', 'date=ap2026-01-10T12:00:00Z')).toContain(
        'during-a-day',
      );
    });

    run('the undated observation is found only by :missing', async () => {
      expect(await matches(ctx.store, 'Observation', 'date:missing=true')).toEqual(['undated']);
      expect(await matches(ctx.store, 'Observation', 'date=ne2026-01-15')).not.toContain('undated');
    });

    run('an impossible or malformed date is a 400 naming the parameter', async () => {
      for (const bad of ['date=2026-13-01', 'date=2026-02-30', 'date=yesterday', 'date=gt2026-1-5']) {
        const err = await failure(search(ctx.store, 'Observation', bad));
        expect(err.status, bad).toBe(400);
        expect(err.issues[0]?.expression, bad).toBe('date');
      }
    });
  });

  describe('periods (Encounter.period)', () => {
    const ctx = seededStore(target, (store) =>
      put(store, [
        buildPatient({ id: 'dates-subject' }),
        encounter('mid-march', { start: '2026-03-10T08:00:00Z', end: '2026-03-12T15:00:00Z' }),
        encounter('across-month-end', { start: '2026-02-27T10:00:00Z', end: '2026-03-02T09:00:00Z' }),
        { ...encounter('still-open', { start: '2026-03-30T00:00:00Z' }), status: 'in-progress' } as Encounter,
        encounter('unscheduled'),
      ]),
    );
    const found = (q: string) => matches(ctx.store, 'Encounter', q);

    run('eq finds periods wholly inside the value', async () => {
      expect(await found('date=2026-03')).toEqual(['mid-march']);
      expect(await found('date=2026-03-11')).toEqual([]);
      expect(await found('date=2026')).toEqual(['across-month-end', 'mid-march']);
    });

    run('an open-ended period reaches into the future', async () => {
      expect(await found('date=gt2026-04-01')).toEqual(['still-open']);
      expect(await found('date=sa2026-03-15')).toEqual(['still-open']);
      expect(await found('date=ge2030-01-01')).toEqual(['still-open']);
    });

    run('gt, lt, sa and eb compare the period ends with the value', async () => {
      expect(await found('date=lt2026-03-01')).toEqual(['across-month-end']);
      expect(await found('date=eb2026-03-05')).toEqual(['across-month-end']);
      expect(await found('date=eb2026-03-02')).toEqual([]);
      expect(await found('date=gt2026-03-01')).toEqual(['across-month-end', 'mid-march', 'still-open']);
      expect(await found('date=ne2026-03')).toEqual(['across-month-end', 'still-open']);
    });

    run('ge and le together find the periods that overlap a month', async () => {
      expect(await found('date=ge2026-03-01&date=le2026-03-31')).toEqual([
        'across-month-end',
        'mid-march',
        'still-open',
      ]);
      expect(await found('date=ge2026-03-05&date=le2026-03-20')).toEqual(['mid-march']);
    });

    run('an encounter without a period is found only by :missing', async () => {
      expect(await found('date:missing=true')).toEqual(['unscheduled']);
    });
  });

  describe('_lastUpdated', () => {
    const clock = fixedClock('2026-11-30T10:00:00Z');
    const ctx = seededStore(
      target,
      async (store) => {
        for (const [id, at] of [
          ['ten', '2026-11-30T10:00:00Z'],
          ['eleven', '2026-11-30T11:00:00Z'],
          ['noon', '2026-11-30T12:00:00Z'],
          ['next-day', '2026-12-01T09:15:30.250Z'],
        ] as const) {
          clock.set(at);
          await put(store, [buildPatient({ id })]);
        }
      },
      { clock },
    );
    const found = (q: string) => matches(ctx.store, 'Patient', q);

    run('compares the time of the last write with every prefix', async () => {
      expect(await found('_lastUpdated=gt2026-11-30T10:30:00Z')).toEqual(['eleven', 'next-day', 'noon']);
      expect(await found('_lastUpdated=2026-11-30T11:00:00Z')).toEqual(['eleven']);
      expect(await found('_lastUpdated=2026-11-30')).toEqual(['eleven', 'noon', 'ten']);
      expect(await found('_lastUpdated=lt2026-11-30T11:00:00Z')).toEqual(['ten']);
      expect(await found('_lastUpdated=le2026-11-30T11:00:00Z')).toEqual(['eleven', 'ten']);
      expect(await found('_lastUpdated=ge2026-11-30T11:00:00Z&_lastUpdated=lt2026-11-30T12:00:00Z')).toEqual([
        'eleven',
      ]);
      expect(await found('_lastUpdated=sa2026-11-30')).toEqual(['next-day']);
      expect(await found('_lastUpdated=2026-12-01T09:15:30.250Z')).toEqual(['next-day']);
      expect(await found('_lastUpdated=2026-11-30T10:00:00Z,2026-12')).toEqual(['next-day', 'ten']);
    });

    run('an update moves a resource to the time of the update', async () => {
      clock.set('2026-12-02T08:00:00Z');
      await ctx.store.update('Patient', 'ten', buildPatient({ gender: 'other' }));
      expect(await found('_lastUpdated=2026-12-02')).toEqual(['ten']);
      expect(await found('_lastUpdated=2026-11-30T10:00:00Z')).toEqual([]);
    });
  });

  describe('number (RiskAssessment.probability)', () => {
    const risk = (id: string, prediction?: RiskAssessment['prediction']): RiskAssessment => ({
      resourceType: 'RiskAssessment',
      id,
      status: 'final',
      subject: { reference: 'Patient/dates-subject' },
      ...(prediction ? { prediction } : {}),
    });
    const ctx = seededStore(target, (store) =>
      put(store, [
        buildPatient({ id: 'dates-subject' }),
        risk('p9.4', [{ probabilityDecimal: 9.4 }]),
        risk('p9.5', [{ probabilityDecimal: 9.5 }]),
        risk('p10', [{ probabilityDecimal: 10 }]),
        risk('p10.4', [{ probabilityDecimal: 10.4 }]),
        risk('p10.5', [{ probabilityDecimal: 10.5 }]),
        risk('p20', [{ probabilityDecimal: 20 }]),
        risk('range-12-18', [
          {
            probabilityRange: {
              low: { value: 12, unit: '%', system: 'http://unitsofmeasure.org', code: '%' },
              high: { value: 18, unit: '%', system: 'http://unitsofmeasure.org', code: '%' },
            },
          },
        ]),
        risk('at-least-12', [
          {
            probabilityRange: {
              low: { value: 12, unit: '%', system: 'http://unitsofmeasure.org', code: '%' },
            },
          },
        ]),
        risk('at-most-5', [
          {
            probabilityRange: {
              high: { value: 5, unit: '%', system: 'http://unitsofmeasure.org', code: '%' },
            },
          },
        ]),
        risk('no-prediction'),
      ]),
    );
    const found = (q: string) => matches(ctx.store, 'RiskAssessment', q);

    run('eq matches the interval of the significant digits given', async () => {
      // 10 means [9.5, 10.5); 10.0 means [9.95, 10.05).
      expect(await found('probability=10')).toEqual(['p10', 'p10.4', 'p9.5']);
      expect(await found('probability=10.0')).toEqual(['p10']);
      expect(await found('probability=eq20')).toEqual(['p20']);
    });

    run('ne, gt, lt, ge and le compare with the value', async () => {
      expect(await found('probability=ne10')).toEqual([
        'at-least-12',
        'at-most-5',
        'p10.5',
        'p20',
        'p9.4',
        'range-12-18',
      ]);
      expect(await found('probability=gt10')).toEqual([
        'at-least-12',
        'p10.4',
        'p10.5',
        'p20',
        'range-12-18',
      ]);
      expect(await found('probability=lt10')).toEqual(['at-most-5', 'p9.4', 'p9.5']);
      expect(await found('probability=ge10')).toEqual([
        'at-least-12',
        'p10',
        'p10.4',
        'p10.5',
        'p20',
        'range-12-18',
      ]);
      expect(await found('probability=le10')).toEqual(['at-most-5', 'p10', 'p9.4', 'p9.5']);
    });

    run('sa and eb find values after and before, ap values near', async () => {
      expect(await found('probability=sa10.5')).toEqual(['at-least-12', 'p20', 'range-12-18']);
      expect(await found('probability=eb9.5')).toEqual(['at-most-5', 'p9.4']);
      expect(await found('probability=ap10')).toEqual(['p10', 'p10.4', 'p10.5', 'p9.4', 'p9.5']);
    });

    run('a range value matches the values it reaches', async () => {
      expect(await found('probability=gt15')).toEqual(['at-least-12', 'p20', 'range-12-18']);
      expect(await found('probability=lt15')).toEqual([
        'at-least-12',
        'at-most-5',
        'p10',
        'p10.4',
        'p10.5',
        'p9.4',
        'p9.5',
        'range-12-18',
      ]);
      expect(await found('probability=15')).toEqual([]);
    });

    run('a range open at one end reaches without limit on that side', async () => {
      expect(await found('probability=gt1000')).toEqual(['at-least-12']);
      expect(await found('probability=lt0')).toEqual(['at-most-5']);
      expect(await found('probability=ne5')).toContain('at-least-12');
    });

    run('a comma is OR and a repeated parameter is AND', async () => {
      expect(await found('probability=9.4,20')).toEqual(['p20', 'p9.4']);
      expect(await found('probability=gt9.5&probability=lt10.5')).toEqual(['p10', 'p10.4']);
      expect(await found('probability:missing=true')).toEqual(['no-prediction']);
    });

    run('a value that is not a number is a 400 naming the parameter', async () => {
      const err = await failure(ctx.store.search('RiskAssessment', [['probability', 'gtten']], BASE));
      expect(err.status).toBe(400);
      expect(err.issues[0]?.expression).toBe('probability');
    });
  });

  describe('quantity (Observation.valueQuantity)', () => {
    const ucum = 'http://unitsofmeasure.org';
    const valued = (id: string, valueQuantity?: Observation['valueQuantity']): Observation => {
      const { valueQuantity: _omit, ...rest } = buildObservation('dates-subject', { id });
      return valueQuantity
        ? { ...rest, valueQuantity }
        : {
            ...rest,
            dataAbsentReason: {
              coding: [{ system: 'http://terminology.hl7.org/CodeSystem/data-absent-reason', code: 'error' }],
            },
          };
    };
    const ctx = seededStore(target, (store) =>
      put(store, [
        buildPatient({ id: 'dates-subject' }),
        valued('a1c-7.2', { value: 7.2, unit: '%', system: ucum, code: '%' }),
        valued('a1c-6.5', { value: 6.5, unit: '%', system: ucum, code: '%' }),
        valued('a1c-8', { value: 8, unit: '%', system: ucum, code: '%' }),
        valued('a1c-64-ifcc', { value: 64, unit: 'mmol/mol', system: ucum, code: 'mmol/mol' }),
        valued('bp-140', { value: 140, unit: 'mmHg', system: ucum, code: 'mm[Hg]' }),
        valued('unit-only-8', { value: 8, unit: 'percent' }),
        valued('no-value'),
      ]),
    );
    const found = (q: string) => matches(ctx.store, 'Observation', q);

    run('system|code narrows the number to that unit', async () => {
      expect(await found(`value-quantity=gt7|${ucum}|%25`)).toEqual(['a1c-7.2', 'a1c-8']);
      expect(await found('value-quantity=gt7||%25')).toEqual(['a1c-7.2', 'a1c-8']);
      expect(await found('value-quantity=gt7|http://other.example|%25')).toEqual([]);
      expect(await found(`value-quantity=140|${ucum}|mm[Hg]`)).toEqual(['bp-140']);
    });

    run('a number alone matches any unit', async () => {
      expect(await found('value-quantity=gt7')).toEqual([
        'a1c-64-ifcc',
        'a1c-7.2',
        'a1c-8',
        'bp-140',
        'unit-only-8',
      ]);
      expect(await found('value-quantity=7')).toEqual(['a1c-6.5', 'a1c-7.2']);
      expect(await found('value-quantity=7.2')).toEqual(['a1c-7.2']);
    });

    run('without a system the code also matches a quantity that has only a unit', async () => {
      expect(await found('value-quantity=8||percent')).toEqual(['unit-only-8']);
    });

    run('every prefix compares the quantity value', async () => {
      const pct = `|${ucum}|%25`;
      expect(await found(`value-quantity=ne7.2${pct}`)).toEqual(['a1c-6.5', 'a1c-8']);
      expect(await found(`value-quantity=lt7.2${pct}`)).toEqual(['a1c-6.5']);
      expect(await found(`value-quantity=le7.2${pct}`)).toEqual(['a1c-6.5', 'a1c-7.2']);
      expect(await found(`value-quantity=ge7.2${pct}`)).toEqual(['a1c-7.2', 'a1c-8']);
      expect(await found(`value-quantity=sa7.2${pct}`)).toEqual(['a1c-8']);
      expect(await found(`value-quantity=eb7.2${pct}`)).toEqual(['a1c-6.5']);
      expect(await found(`value-quantity=ap7.2${pct}`)).toEqual(['a1c-6.5', 'a1c-7.2']);
    });

    run('a comma is OR, a repeated parameter AND, and :missing finds the unvalued', async () => {
      expect(await found('value-quantity=6.5||%25,140||mm[Hg]')).toEqual(['a1c-6.5', 'bp-140']);
      expect(await found('value-quantity=gt7||%25&value-quantity=lt8||%25')).toEqual(['a1c-7.2']);
      expect(await found('value-quantity:missing=true')).toEqual(['no-value']);
    });
  });
});
