import { describe, expect, it } from 'vitest';
import { hospitalScore, laceScore, lengthOfStayDays } from './readmission-risk.rules.js';

const lace = (over: Partial<Parameters<typeof laceScore>[0]> = {}) =>
  laceScore({ lengthOfStayDays: 0, acuteAdmission: false, charlson: 0, emergencyVisits6Months: 0, ...over });
const points = (score: { factors: { code: string; points: number }[] }, code: string) =>
  score.factors.find((f) => f.code === code)!.points;

describe('laceScore', () => {
  it.each([
    [0, 0],
    [0.5, 0],
    [1, 1],
    [2, 2],
    [3, 3],
    [4, 4],
    [6, 4],
    [7, 5],
    [13, 5],
    [14, 7],
    [40, 7],
  ])('length of stay %s days scores %s', (days, expected) => {
    expect(points(lace({ lengthOfStayDays: days }), 'L')).toBe(expected);
  });

  it('scores an acute (emergent) admission 3 and an elective one 0', () => {
    expect(points(lace({ acuteAdmission: true }), 'A')).toBe(3);
    expect(points(lace({ acuteAdmission: false }), 'A')).toBe(0);
  });

  it.each([
    [0, 0],
    [1, 1],
    [2, 2],
    [3, 3],
    [4, 5],
    [12, 5],
  ])('Charlson %s scores %s', (charlson, expected) => {
    expect(points(lace({ charlson }), 'C')).toBe(expected);
  });

  it.each([
    [0, 0],
    [1, 1],
    [2, 2],
    [3, 3],
    [4, 4],
    [9, 4],
  ])('%s emergency visits score %s', (visits, expected) => {
    expect(points(lace({ emergencyVisits6Months: visits }), 'E')).toBe(expected);
  });

  it('bands 0–4 low, 5–9 moderate, >= 10 high', () => {
    expect(lace({ lengthOfStayDays: 4 })).toMatchObject({ total: 4, band: 'low' });
    expect(lace({ lengthOfStayDays: 4, emergencyVisits6Months: 1 })).toMatchObject({
      total: 5,
      band: 'moderate',
    });
    expect(lace({ lengthOfStayDays: 4, acuteAdmission: true, charlson: 2 })).toMatchObject({
      total: 9,
      band: 'moderate',
    });
    expect(lace({ lengthOfStayDays: 4, acuteAdmission: true, charlson: 3 })).toMatchObject({
      total: 10,
      band: 'high',
    });
  });

  it('reaches the maximum of 19', () => {
    const max = lace({ lengthOfStayDays: 14, acuteAdmission: true, charlson: 4, emergencyVisits6Months: 4 });
    expect(max).toMatchObject({ instrument: 'LACE', total: 19, max: 19, band: 'high' });
    expect(max.source.url).toBe('https://doi.org/10.1503/cmaj.091117');
  });

  // Worked examples from the cliot R package's documentation of lace_readmission_index:
  // https://www.rdocumentation.org/packages/cliot/versions/1.0.0/topics/lace_readmission_index
  it('matches the published worked examples (5-day acute stay, Charlson 5, 2 ED visits = 14; 2-day elective = 2)', () => {
    const high = laceScore({
      lengthOfStayDays: 5,
      acuteAdmission: true,
      charlson: 5,
      emergencyVisits6Months: 2,
    });
    expect(high.factors.map((f) => f.points)).toEqual([4, 3, 5, 2]);
    expect(high).toMatchObject({ total: 14, band: 'high' });
    const low = laceScore({
      lengthOfStayDays: 2,
      acuteAdmission: false,
      charlson: 0,
      emergencyVisits6Months: 0,
    });
    expect(low).toMatchObject({ total: 2, band: 'low' });
  });

  it('refuses a negative or non-numeric input, naming the field', () => {
    expect(() => lace({ charlson: -1 })).toThrow(/charlson must be a number >= 0/);
    expect(() => lace({ lengthOfStayDays: Number.NaN })).toThrow(/lengthOfStayDays/);
  });
});

const hospital = (over: Partial<Parameters<typeof hospitalScore>[0]> = {}) =>
  hospitalScore({
    hemoglobinGdl: 13,
    sodiumMmolL: 140,
    oncologyDischarge: false,
    procedureDuringStay: false,
    nonElectiveAdmission: false,
    admissionsPrior12Months: 0,
    lengthOfStayDays: 1,
    ...over,
  })!;

describe('hospitalScore', () => {
  it('is undefined without a discharge hemoglobin or sodium', () => {
    expect(hospitalScore({ ...baseHospital(), hemoglobinGdl: undefined })).toBeUndefined();
    expect(hospitalScore({ ...baseHospital(), sodiumMmolL: undefined })).toBeUndefined();
  });

  it('scores hemoglobin below 12 g/dL and sodium below 135 mmol/L, not at the threshold', () => {
    expect(points(hospital({ hemoglobinGdl: 11.9 }), 'H')).toBe(1);
    expect(points(hospital({ hemoglobinGdl: 12 }), 'H')).toBe(0);
    expect(points(hospital({ sodiumMmolL: 134.9 }), 'S')).toBe(1);
    expect(points(hospital({ sodiumMmolL: 135 }), 'S')).toBe(0);
  });

  it('scores oncology 2, a procedure 1 and a non-elective admission 1', () => {
    expect(points(hospital({ oncologyDischarge: true }), 'O')).toBe(2);
    expect(points(hospital({ procedureDuringStay: true }), 'P')).toBe(1);
    expect(points(hospital({ nonElectiveAdmission: true }), 'IT')).toBe(1);
  });

  it.each([
    [0, 0],
    [1, 0],
    [2, 2],
    [5, 2],
    [6, 5],
  ])('%s admissions in the prior 12 months score %s', (admissions, expected) => {
    expect(points(hospital({ admissionsPrior12Months: admissions }), 'A')).toBe(expected);
  });

  it('scores a stay of 5 days or more 2, of 4 days 0', () => {
    expect(points(hospital({ lengthOfStayDays: 4 }), 'L')).toBe(0);
    expect(points(hospital({ lengthOfStayDays: 5 }), 'L')).toBe(2);
  });

  it('bands 0–4 low, 5–6 intermediate, >= 7 high, max 13', () => {
    expect(hospital({ admissionsPrior12Months: 2, lengthOfStayDays: 5 })).toMatchObject({
      total: 4,
      band: 'low',
    });
    expect(hospital({ admissionsPrior12Months: 6 })).toMatchObject({ total: 5, band: 'intermediate' });
    expect(hospital({ admissionsPrior12Months: 6, procedureDuringStay: true })).toMatchObject({
      total: 6,
      band: 'intermediate',
    });
    expect(hospital({ admissionsPrior12Months: 6, oncologyDischarge: true })).toMatchObject({
      total: 7,
      band: 'high',
    });
    const max = hospital({
      hemoglobinGdl: 9,
      sodiumMmolL: 130,
      oncologyDischarge: true,
      procedureDuringStay: true,
      nonElectiveAdmission: true,
      admissionsPrior12Months: 8,
      lengthOfStayDays: 10,
    });
    expect(max).toMatchObject({ instrument: 'HOSPITAL', total: 13, max: 13, band: 'high' });
  });

  it('works a typical medical discharge through: Hb 10.8, Na 133, urgent, 3 prior admissions, 6 days = 7 (high)', () => {
    const score = hospital({
      hemoglobinGdl: 10.8,
      sodiumMmolL: 133,
      nonElectiveAdmission: true,
      admissionsPrior12Months: 3,
      lengthOfStayDays: 6,
    });
    // H 1 + O 0 + S 1 + P 0 + IT 1 + A 2 + L 2 = 7, the lowest total of the high band.
    expect(score.factors.map((f) => [f.code, f.points])).toEqual([
      ['H', 1],
      ['O', 0],
      ['S', 1],
      ['P', 0],
      ['IT', 1],
      ['A', 2],
      ['L', 2],
    ]);
    expect(score).toMatchObject({ total: 7, band: 'high' });
  });
});

function baseHospital() {
  return {
    hemoglobinGdl: 13,
    sodiumMmolL: 140,
    oncologyDischarge: false,
    procedureDuringStay: false,
    nonElectiveAdmission: false,
    admissionsPrior12Months: 0,
    lengthOfStayDays: 1,
  };
}

describe('lengthOfStayDays', () => {
  const NY = 'America/New_York';
  it('is 0 for a same-day stay and counts local midnights crossed', () => {
    expect(lengthOfStayDays(new Date('2026-11-20T14:00:00Z'), new Date('2026-11-20T22:00:00Z'), NY)).toBe(0);
    // 23:00 to 01:00 the next day, New York time.
    expect(lengthOfStayDays(new Date('2026-11-21T04:00:00Z'), new Date('2026-11-21T06:00:00Z'), NY)).toBe(1);
  });

  it('uses the local dates of the zone, not UTC', () => {
    const admitted = new Date('2026-11-20T03:00:00Z'); // 19 Nov 22:00 EST
    const discharged = new Date('2026-11-20T20:00:00Z'); // 20 Nov 15:00 EST
    expect(lengthOfStayDays(admitted, discharged, NY)).toBe(1);
    expect(lengthOfStayDays(admitted, discharged, 'UTC')).toBe(0);
  });

  it('counts whole days across a DST change', () => {
    // 31 Oct 10:00 EDT to 7 Nov 10:00 EST: 7 days although 169 hours passed.
    expect(lengthOfStayDays(new Date('2026-10-31T14:00:00Z'), new Date('2026-11-07T15:00:00Z'), NY)).toBe(7);
  });

  it('refuses a discharge before the admission', () => {
    expect(() =>
      lengthOfStayDays(new Date('2026-11-20T14:00:00Z'), new Date('2026-11-19T14:00:00Z'), NY),
    ).toThrow(/dischargedAt/);
  });
});
