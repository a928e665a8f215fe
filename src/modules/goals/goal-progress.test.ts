/** Goal progress rules on observation series: each status, BP components, PHQ-9 response and remission. */
import type { Goal, Observation } from 'fhir/r4.js';
import { describe, expect, it } from 'vitest';
import { assessGoal } from './goal-progress.js';
import { achievementCode, RELATIVE_TARGET_URL } from './goals.rules.js';

const LOINC = 'http://loinc.org';
const obs = (
  code: string,
  date: string,
  value: number,
  status: Observation['status'] = 'final',
): Observation => ({
  resourceType: 'Observation',
  status,
  code: { coding: [{ system: LOINC, code }] },
  subject: { reference: 'Patient/p1' },
  effectiveDateTime: date,
  valueQuantity: { value },
});
const bp = (date: string, systolic: number, diastolic: number): Observation => ({
  resourceType: 'Observation',
  status: 'final',
  code: { coding: [{ system: LOINC, code: '85354-9' }] },
  subject: { reference: 'Patient/p1' },
  effectiveDateTime: date,
  component: [
    { code: { coding: [{ system: LOINC, code: '8480-6' }] }, valueQuantity: { value: systolic } },
    { code: { coding: [{ system: LOINC, code: '8462-4' }] }, valueQuantity: { value: diastolic } },
  ],
});
const goal = (target: Goal['target']): Goal => ({
  resourceType: 'Goal',
  lifecycleStatus: 'active',
  description: { text: 'goal' },
  subject: { reference: 'Patient/p1' },
  target,
});
const bound = (code: string, comparator: '<' | '<=', value: number, unit: string) => ({
  measure: { coding: [{ system: LOINC, code }] },
  detailQuantity: { value, comparator, unit },
});
const hba1c = goal([bound('4548-4', '<', 7, '%')]);

describe('goal progress', () => {
  it('says no-data when the patient has no result of the measure', () => {
    const p = assessGoal(hba1c, [obs('2345-7', '2026-10-01', 120)]);
    expect(p.status).toBe('no-data');
    expect(p.explanation).toBe('HbA1c: no result yet, target < 7.0 %');
  });

  it('explains an improving HbA1c with value, date, target and the change from the previous result', () => {
    const p = assessGoal(hba1c, [obs('4548-4', '2026-10-01', 7.8), obs('4548-4', '2026-07-01', 8.4)]);
    expect(p.status).toBe('improving');
    expect(p.trend).toBe(-0.6);
    expect(p.latest).toEqual({ value: 7.8, unit: '%', date: '2026-10-01' });
    expect(p.series.map((s) => s.value)).toEqual([8.4, 7.8]);
    expect(p.explanation).toBe(
      'HbA1c 7.8 % on 2026-10-01, target < 7.0 %; down 0.6 from 8.4 % on 2026-07-01: improving',
    );
  });

  it('calls a rise away from the target worsening and an equal value no-change', () => {
    expect(
      assessGoal(hba1c, [obs('4548-4', '2026-07-01', 7.5), obs('4548-4', '2026-10-01', 8.1)]).status,
    ).toBe('worsening');
    const same = assessGoal(hba1c, [obs('4548-4', '2026-07-01', 7.5), obs('4548-4', '2026-10-01', 7.5)]);
    expect(same.status).toBe('no-change');
    expect(same.explanation).toContain('unchanged from 7.5 %');
  });

  it('counts a value just under a strict bound as achieved and the bound itself as not', () => {
    expect(assessGoal(hba1c, [obs('4548-4', '2026-10-01', 6.9)]).status).toBe('achieved');
    expect(assessGoal(hba1c, [obs('4548-4', '2026-10-01', 7.0)]).status).toBe('no-change');
  });

  it('ignores results that do not count (preliminary, entered in error)', () => {
    const p = assessGoal(hba1c, [
      obs('4548-4', '2026-07-01', 8.4),
      obs('4548-4', '2026-10-01', 6.5, 'entered-in-error'),
    ]);
    expect(p.latest?.value).toBe(8.4);
  });

  it('reads blood pressure from panel components; achieved only when systolic and diastolic both are', () => {
    const g = goal([bound('8480-6', '<', 130, 'mm[Hg]'), bound('8462-4', '<', 80, 'mm[Hg]')]);
    const improving = assessGoal(g, [bp('2026-09-01', 142, 88), bp('2026-10-01', 134, 82)]);
    expect(improving.status).toBe('improving');
    expect(improving.measures?.map((m) => m.latest?.value)).toEqual([134, 82]);
    expect(improving.explanation).toContain(
      'Systolic BP 134 mm[Hg] on 2026-10-01, target < 130 mm[Hg]; down 8',
    );
    expect(assessGoal(g, [bp('2026-10-01', 128, 84)]).status).toBe('no-change');
    expect(assessGoal(g, [bp('2026-09-01', 128, 78), bp('2026-10-01', 126, 79)]).status).toBe('achieved');
    expect(assessGoal(g, [bp('2026-09-01', 128, 78), bp('2026-10-01', 131, 79)]).status).toBe('worsening');
  });

  it('PHQ-9 response: achieved at a 50% reduction from the stored baseline, not before', () => {
    const response = goal([
      {
        extension: [
          {
            url: RELATIVE_TARGET_URL,
            extension: [
              { url: 'fraction', valueDecimal: 0.5 },
              { url: 'baseline', valueQuantity: { value: 18 } },
              { url: 'baselineDate', valueDateTime: '2026-08-01' },
            ],
          },
        ],
        measure: { coding: [{ system: LOINC, code: '44261-6' }] },
        detailQuantity: { value: 9, comparator: '<=' },
      },
    ]);
    const partway = assessGoal(response, [
      obs('44261-6', '2026-09-01', 14),
      obs('44261-6', '2026-10-01', 10),
    ]);
    expect(partway.status).toBe('improving');
    expect(partway.explanation).toBe(
      'PHQ-9 10 on 2026-10-01, target ≤ 9 (50% below baseline 18 on 2026-08-01); down 4 from 14 on 2026-09-01: improving',
    );
    expect(assessGoal(response, [obs('44261-6', '2026-10-01', 9)]).status).toBe('achieved');
  });

  it('PHQ-9 response without a stored baseline takes the first result as baseline', () => {
    const response = goal([
      {
        extension: [{ url: RELATIVE_TARGET_URL, extension: [{ url: 'fraction', valueDecimal: 0.5 }] }],
        measure: { coding: [{ system: LOINC, code: '44261-6' }] },
      },
    ]);
    expect(assessGoal(response, [obs('44261-6', '2026-09-01', 17)]).status).toBe('no-data');
    const p = assessGoal(response, [obs('44261-6', '2026-09-01', 17), obs('44261-6', '2026-10-01', 8)]);
    expect(p.status).toBe('achieved');
    expect(p.explanation).toContain('target ≤ 8.5 (50% below baseline 17 on 2026-09-01)');
  });

  it('PHQ-9 remission is a score below 5', () => {
    const remission = goal([bound('44261-6', '<', 5, '{score}')]);
    expect(assessGoal(remission, [obs('44261-6', '2026-10-01', 4)]).status).toBe('achieved');
    expect(
      assessGoal(remission, [obs('44261-6', '2026-09-01', 9), obs('44261-6', '2026-10-01', 5)]).status,
    ).toBe('improving');
  });

  it('maps progress to goal-achievement codes, sustaining a goal already achieved', () => {
    expect(achievementCode('achieved', 'in-progress')).toBe('achieved');
    expect(achievementCode('achieved', 'achieved')).toBe('sustaining');
    expect(achievementCode('no-data', undefined)).toBe('in-progress');
    expect(achievementCode('worsening', 'achieved')).toBe('worsening');
  });
});
