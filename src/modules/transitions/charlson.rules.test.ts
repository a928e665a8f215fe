import { describe, expect, it } from 'vitest';
import { charlsonIndex } from './charlson.rules.js';

const names = (codes: string[]) => charlsonIndex(codes).conditions.map((c) => c.name);

describe('charlsonIndex', () => {
  it.each([
    ['I21.4', 'Myocardial infarction', 1],
    ['I25.2', 'Myocardial infarction', 1],
    ['I50.9', 'Congestive heart failure', 1],
    ['I42.9', 'Congestive heart failure', 1],
    ['I11.0', 'Congestive heart failure', 1],
    ['I70.0', 'Peripheral vascular disease', 1],
    ['Z95.8', 'Peripheral vascular disease', 1],
    ['I63.9', 'Cerebrovascular disease', 1],
    ['G45.9', 'Cerebrovascular disease', 1],
    ['F03.90', 'Dementia', 1],
    ['G30.9', 'Dementia', 1],
    ['J44.1', 'Chronic pulmonary disease', 1],
    ['I27.8', 'Chronic pulmonary disease', 1],
    ['M05.79', 'Rheumatic disease', 1],
    ['M35.3', 'Rheumatic disease', 1],
    ['K25.9', 'Peptic ulcer disease', 1],
    ['K70.30', 'Mild liver disease', 1],
    ['B18.2', 'Mild liver disease', 1],
    ['E11.9', 'Diabetes without chronic complications', 1],
    ['E11.65', 'Diabetes without chronic complications', 1],
    ['E11.22', 'Diabetes with chronic complications', 2],
    ['E10.3', 'Diabetes with chronic complications', 2],
    ['G81.90', 'Hemiplegia or paraplegia', 2],
    ['G83.4', 'Hemiplegia or paraplegia', 2],
    ['N18.4', 'Renal disease', 2],
    ['Z99.2', 'Renal disease', 2],
    ['I12.0', 'Renal disease', 2],
    ['C34.90', 'Any malignancy, including lymphoma and leukemia, except malignant neoplasm of skin', 2],
    ['C91.10', 'Any malignancy, including lymphoma and leukemia, except malignant neoplasm of skin', 2],
    ['K72.10', 'Moderate or severe liver disease', 3],
    ['I85.00', 'Moderate or severe liver disease', 3],
    ['C78.00', 'Metastatic solid tumor', 6],
    ['C80.1', 'Metastatic solid tumor', 6],
    ['B20', 'AIDS/HIV', 6],
  ])('%s counts as %s (weight %s)', (code, name, weight) => {
    expect(charlsonIndex([code])).toEqual({ score: weight, conditions: [{ name, weight, codes: [code] }] });
  });

  it('matches dotted and undotted, upper and lower case codes alike', () => {
    expect(charlsonIndex(['E1122']).score).toBe(2);
    expect(charlsonIndex(['e11.22']).score).toBe(2);
    expect(charlsonIndex([' I50.9 ']).score).toBe(1);
  });

  it('counts the ICD-10-CM diabetes families E08, E09 and E13', () => {
    expect(charlsonIndex(['E08.9']).score).toBe(1);
    expect(charlsonIndex(['E09.22']).score).toBe(2);
    expect(charlsonIndex(['E13.8']).score).toBe(1);
  });

  it('ignores codes outside the table (skin cancer C44, hypertension I10, a bare E11, I25.1, K76.1)', () => {
    expect(charlsonIndex(['C44.91', 'I10', 'E11', 'I25.10', 'K76.1', 'Z00.00', '', 'not-a-code'])).toEqual({
      score: 0,
      conditions: [],
    });
  });

  it('counts only the severe form when both are present (liver, diabetes, cancer)', () => {
    expect(charlsonIndex(['K70.30', 'K72.10'])).toEqual({
      score: 3,
      conditions: [{ name: 'Moderate or severe liver disease', weight: 3, codes: ['K72.10'] }],
    });
    expect(charlsonIndex(['E11.9', 'E11.22']).score).toBe(2);
    expect(names(['E11.9', 'E11.22'])).toEqual(['Diabetes with chronic complications']);
    expect(charlsonIndex(['C34.90', 'C78.00']).score).toBe(6);
    expect(names(['C34.90', 'C78.00'])).toEqual(['Metastatic solid tumor']);
  });

  it('adds different conditions and counts each once however many codes match it', () => {
    const result = charlsonIndex(['I21.4', 'I50.9', 'I50.23', 'N18.4', 'E11.22', 'J44.1', 'I21.4']);
    expect(result.score).toBe(1 + 1 + 2 + 2 + 1);
    expect(result.conditions.find((c) => c.name === 'Congestive heart failure')!.codes).toEqual([
      'I50.9',
      'I50.23',
    ]);
    expect(result.conditions.find((c) => c.name === 'Myocardial infarction')!.codes).toEqual(['I21.4']);
  });

  it('keeps range ends inside and neighbours outside (I60–I69, I42.5–I42.9, C81–C85 vs C86)', () => {
    expect(charlsonIndex(['I60.9']).score).toBe(1);
    expect(charlsonIndex(['I69.30']).score).toBe(1);
    expect(charlsonIndex(['I42.5']).score).toBe(1);
    expect(charlsonIndex(['I42.1']).score).toBe(0);
    expect(charlsonIndex(['C85.90']).score).toBe(2);
    expect(charlsonIndex(['C86.0']).score).toBe(0);
  });
});
