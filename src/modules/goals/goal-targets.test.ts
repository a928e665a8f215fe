/**
 * Every shape R4 allows for Goal.target.detail[x], at its boundaries: equal to the bound, just above,
 * just below, and a result in another unit; and what the server writes into the Goal (no values).
 */
import type { Goal, GoalTarget, Observation, Quantity } from 'fhir/r4.js';
import { describe, expect, it } from 'vitest';
import { assessGoal } from './goal-progress.js';
import { targetSpecs } from './goal-targets.js';

const LOINC = 'http://loinc.org';
const UCUM = 'http://unitsofmeasure.org';
const HBA1C = '4548-4';
const EGFR = '33914-3';
const WEIGHT = '29463-7';
const PHQ9 = '44261-6';

const result = (code: string, date: string, value: Partial<Observation>): Observation => ({
  resourceType: 'Observation',
  status: 'final',
  code: { coding: [{ system: LOINC, code }] },
  subject: { reference: 'Patient/p1' },
  effectiveDateTime: date,
  ...value,
});
const quantity = (value: number, code?: string): Partial<Observation> => ({
  valueQuantity: { value, ...(code ? { unit: code, system: UCUM, code } : {}) },
});
const q = (value: number, code: string, comparator?: Quantity['comparator']): Quantity => ({
  value,
  ...(comparator ? { comparator } : {}),
  unit: code,
  system: UCUM,
  code,
});
const goal = (code: string, detail: Omit<GoalTarget, 'measure'>): Goal => ({
  resourceType: 'Goal',
  lifecycleStatus: 'active',
  description: { text: 'goal' },
  subject: { reference: 'Patient/p1' },
  target: [{ measure: { coding: [{ system: LOINC, code }] }, ...detail }],
});
/** The status of `g` after `values` (oldest first, one a month), each in `unit`. */
const statusAfter = (g: Goal, code: string, values: number[], unit?: string) =>
  assessGoal(
    g,
    values.map((v, i) => result(code, `2026-0${i + 1}-01`, quantity(v, unit))),
  ).status;

describe('goal targets: every R4 shape at its boundaries', () => {
  const GFR = 'mL/min/{1.73_m2}';
  const LB = '[lb_av]';
  const weight = { detailRange: { low: q(160, LB), high: q(180, LB) } };
  const a1c = { detailRange: { high: q(8, '%') } };
  // [shape, measure, detail, unit, bound, met at the bound, just above it, just below it]
  it.each([
    ['detailQuantity < 7 %', HBA1C, { detailQuantity: q(7, '%', '<') }, '%', 7, [false, false, true]],
    ['detailQuantity <= 7 %', HBA1C, { detailQuantity: q(7, '%', '<=') }, '%', 7, [true, false, true]],
    ['detailQuantity > 60', EGFR, { detailQuantity: q(60, GFR, '>') }, GFR, 60, [false, true, false]],
    ['detailQuantity >= 60', EGFR, { detailQuantity: q(60, GFR, '>=') }, GFR, 60, [true, true, false]],
    ['detailRange 160-180 at 160', WEIGHT, weight, LB, 160, [true, true, false]],
    ['detailRange 160-180 at 180', WEIGHT, weight, LB, 180, [true, false, true]],
    ['detailRange with high only (≤ 8 %)', HBA1C, a1c, '%', 8, [true, false, true]],
    [
      'detailRange with low only (≥ 60)',
      EGFR,
      { detailRange: { low: q(60, GFR) } },
      GFR,
      60,
      [true, true, false],
    ],
  ] as const)('%s: at the bound, just above, just below', (_shape, code, detail, unit, bound, expected) => {
    const g = goal(code, detail);
    const achieved = (v: number) => statusAfter(g, code, [v], unit) === 'achieved';
    expect([achieved(bound), achieved(bound + 0.1), achieved(bound - 0.1)]).toEqual(expected);
    // The same value in another unit is not compared.
    expect(statusAfter(g, code, [bound], 'mmol/mol')).toBe('no-data');
  });

  it('counts a one-sided range as a threshold: HbA1c 9.1 then 7.4 against "high 8 %" is achieved', () => {
    const g = goal(HBA1C, { detailRange: { high: q(8, '%') } });
    const p = assessGoal(g, [
      result(HBA1C, '2026-07-01', quantity(9.1, '%')),
      result(HBA1C, '2026-10-01', quantity(7.4, '%')),
    ]);
    expect(p).toMatchObject({ status: 'achieved', target: { comparator: '<=', value: 8, unit: '%' } });
    expect(p.explanation).toContain('target ≤ 8.0 %');
    // eGFR 45 then 52 against "low 60": closer, not there.
    const egfr = goal(EGFR, { detailRange: { low: q(60, 'mL/min/{1.73_m2}') } });
    expect(statusAfter(egfr, EGFR, [45, 52], 'mL/min/{1.73_m2}')).toBe('improving');
    expect(statusAfter(egfr, EGFR, [52, 45], 'mL/min/{1.73_m2}')).toBe('worsening');
  });

  it('reads a quantity without comparator as a value to reach from where the patient started', () => {
    const g = goal(WEIGHT, { detailQuantity: q(150, '[lb_av]') });
    // From above: 150 and below it are reached; on the way down is improving.
    expect(statusAfter(g, WEIGHT, [180, 150], '[lb_av]')).toBe('achieved');
    expect(statusAfter(g, WEIGHT, [180, 149], '[lb_av]')).toBe('achieved');
    expect(statusAfter(g, WEIGHT, [180, 151], '[lb_av]')).toBe('improving');
    // From below: 150 and above are reached.
    expect(statusAfter(g, WEIGHT, [140, 151], '[lb_av]')).toBe('achieved');
    expect(statusAfter(g, WEIGHT, [140, 149], '[lb_av]')).toBe('improving');
    // Starting on it: kept while it stays there (at the target's precision).
    expect(statusAfter(g, WEIGHT, [150, 150.04], '[lb_av]')).toBe('achieved');
    expect(statusAfter(g, WEIGHT, [150, 151], '[lb_av]')).toBe('worsening');
    const p = assessGoal(g, [result(WEIGHT, '2026-01-01', quantity(180, '[lb_av]'))]);
    expect(p.target).toEqual({ comparator: '<=', value: 150, unit: '[lb_av]' });
    expect(assessGoal(g, []).target).toEqual({ comparator: '=', value: 150, unit: '[lb_av]' });
    expect(assessGoal(g, []).explanation).toBe('Body weight: no result yet, target 150.0 [lb_av]');
  });

  it('reads detailInteger as a value to reach, and integer results (a PHQ-9 total as valueInteger)', () => {
    const g = goal(PHQ9, { detailInteger: 4 });
    const phq9 = (date: string, value: number) => result(PHQ9, date, { valueInteger: value });
    expect(assessGoal(g, [phq9('2026-01-01', 12), phq9('2026-02-01', 4)]).status).toBe('achieved');
    expect(assessGoal(g, [phq9('2026-01-01', 12), phq9('2026-02-01', 5)]).status).toBe('improving');
    expect(assessGoal(g, [phq9('2026-01-01', 12), phq9('2026-02-01', 3)]).status).toBe('achieved');
  });

  it('compares no result in another unit (no conversion), and says so', () => {
    const g = goal(HBA1C, { detailQuantity: q(7, '%', '<') });
    const p = assessGoal(g, [
      result(HBA1C, '2026-07-01', quantity(9.1, '%')),
      result(HBA1C, '2026-10-01', quantity(48, 'mmol/mol')),
    ]);
    // 48 mmol/mol is under 7 as a number, not as HbA1c: the latest comparable result is 9.1 %.
    expect(p).toMatchObject({ status: 'no-change', latest: { value: 9.1 } });
    expect(p.explanation).toContain('results in mmol/mol not compared (no unit conversion)');
    expect(assessGoal(g, [result(HBA1C, '2026-10-01', quantity(48, 'mmol/mol'))]).status).toBe('no-data');
    // The same unit written differently, or no unit on the result, is compared.
    const bp = goal('8480-6', { detailQuantity: q(130, 'mm[Hg]', '<') });
    const mmHg = result('8480-6', '2026-10-01', { valueQuantity: { value: 128, unit: 'mmHg' } });
    expect(assessGoal(bp, [mmHg]).status).toBe('achieved');
    expect(statusAfter(bp, '8480-6', [128])).toBe('achieved');
  });

  it.each([
    ['detailCodeableConcept', { detailCodeableConcept: { text: 'non-smoker' } }],
    ['detailString', { detailString: 'walks to the shop' }],
    ['detailBoolean', { detailBoolean: true }],
    ['detailRatio', { detailRatio: { numerator: { value: 1 }, denominator: { value: 2 } } }],
    ['detailRange without bounds', { detailRange: { low: { unit: '%' } } }],
    ['no detail', {}],
  ] as const)('measures nothing for %s: the team records achievement by hand', (_shape, detail) => {
    const g = goal(HBA1C, detail as Omit<GoalTarget, 'measure'>);
    expect(targetSpecs(g)).toEqual([]);
    const p = assessGoal(g, [result(HBA1C, '2026-10-01', quantity(6.5, '%'))]);
    expect(p.status).toBe('no-data');
    expect(p.explanation).toContain('no measurable target; the team records achievement by hand');
  });

  it('summarizes progress without any result value or date (what the Goal itself says)', () => {
    const bp = assessGoal(
      {
        ...goal('8480-6', { detailQuantity: q(130, 'mm[Hg]', '<') }),
        target: [
          { measure: { coding: [{ system: LOINC, code: '8480-6' }] }, detailQuantity: q(130, 'mm[Hg]', '<') },
          { measure: { coding: [{ system: LOINC, code: '8462-4' }] }, detailQuantity: q(80, 'mm[Hg]', '<') },
        ],
      },
      [
        result('85354-9', '2026-09-01', {
          component: [
            { code: { coding: [{ system: LOINC, code: '8480-6' }] }, valueQuantity: { value: 171 } },
            { code: { coding: [{ system: LOINC, code: '8462-4' }] }, valueQuantity: { value: 79 } },
          ],
        }),
      ],
    );
    expect(bp.explanation).toContain('171');
    expect(bp.summary).toBe(
      'Systolic BP: no change, target < 130 mm[Hg]; Diastolic BP: achieved, target < 80 mm[Hg] → no-change',
    );
    expect(bp.summary).not.toMatch(/171|79|2026/);
  });
});
