/**
 * Chronic and acute conditions of the synthetic population, each coded in ICD-10-CM and SNOMED CT, with
 * prevalence by age. Figures are *diagnosed* (problem-list) prevalence, which is what an EHR shows; where a
 * source reports total prevalence (measured), it is scaled by the share of people who know their diagnosis.
 */
import type { CodeDisplay } from './codes.js';

export type ChronicKey =
  | 'hypertension'
  | 'diabetes2'
  | 'diabetes1'
  | 'hyperlipidemia'
  | 'obesity'
  | 'cad'
  | 'heartFailure'
  | 'afib'
  | 'ckd'
  | 'copd'
  | 'asthma'
  | 'depression'
  | 'anxiety'
  | 'adhd';

export interface ChronicDef {
  readonly key: ChronicKey;
  readonly icd: CodeDisplay;
  readonly snomed: CodeDisplay;
  readonly text: string;
  /** [age upper bound (exclusive), prevalence] bands, in increasing age order. */
  readonly bands: readonly (readonly [number, number])[];
  /** Earliest plausible age at diagnosis. */
  readonly minOnsetAge: number;
  /** Weight of the condition in the patient's care burden (drives utilization, care teams, mortality). */
  readonly burden: number;
}

const c = (def: ChronicDef): ChronicDef => def;

export const CHRONIC: Record<ChronicKey, ChronicDef> = {
  // NCHS Data Brief 364 (NHANES 2017-2018): hypertension 22.4% at 18-39, 54.5% at 40-59, 74.5% at 60+;
  // about three in four of them have been told they have it, hence the lower problem-list figures.
  hypertension: c({
    key: 'hypertension',
    icd: ['I10', 'Essential (primary) hypertension'],
    snomed: ['59621000', 'Essential hypertension (disorder)'],
    text: 'Hypertension',
    bands: [
      [12, 0],
      [18, 0.01],
      [40, 0.16],
      [60, 0.42],
      [75, 0.58],
      [200, 0.68],
    ],
    minOnsetAge: 14,
    burden: 0.5,
  }),
  // CDC National Diabetes Statistics Report 2023 (2017-2020 data): total diabetes 4.8% at 18-44, 18.9% at
  // 45-64, 29.2% at 65+, of which about 77% is diagnosed; type 2 accounts for 90-95%.
  diabetes2: c({
    key: 'diabetes2',
    icd: ['E11.9', 'Type 2 diabetes mellitus without complications'],
    snomed: ['44054006', 'Diabetes mellitus type 2 (disorder)'],
    text: 'Type 2 diabetes',
    bands: [
      [10, 0],
      [18, 0.002],
      [45, 0.035],
      [65, 0.14],
      [200, 0.21],
    ],
    minOnsetAge: 12,
    burden: 1,
  }),
  // CDC NDSR 2023: about 2 million Americans (0.6%) have type 1 diabetes, including ~300,000 under 20.
  diabetes1: c({
    key: 'diabetes1',
    icd: ['E10.9', 'Type 1 diabetes mellitus without complications'],
    snomed: ['46635009', 'Diabetes mellitus type 1 (disorder)'],
    text: 'Type 1 diabetes',
    bands: [
      [2, 0],
      [200, 0.005],
    ],
    minOnsetAge: 2,
    burden: 1,
  }),
  // CDC High Cholesterol Facts (NHANES 2017-2020): ~25 million adults (10%) have total cholesterol >= 240
  // and about 47% of adults 40+ take or qualify for a statin; problem-list hyperlipidemia rises with age.
  hyperlipidemia: c({
    key: 'hyperlipidemia',
    icd: ['E78.5', 'Hyperlipidemia, unspecified'],
    snomed: ['55822004', 'Hyperlipidemia (disorder)'],
    text: 'Hyperlipidemia',
    bands: [
      [20, 0],
      [40, 0.08],
      [60, 0.27],
      [75, 0.45],
      [200, 0.48],
    ],
    minOnsetAge: 20,
    burden: 0.3,
  }),
  // Obesity is assigned from the body-mass index (see patient-demographics), not from this table.
  obesity: c({
    key: 'obesity',
    icd: ['E66.9', 'Obesity, unspecified'],
    snomed: ['414916001', 'Obesity (disorder)'],
    text: 'Obesity',
    bands: [[200, 0]],
    minOnsetAge: 6,
    burden: 0.3,
  }),
  // AHA Heart Disease & Stroke Statistics 2023 (NHANES 2017-2020): coronary heart disease ~7% of adults 20+,
  // rising from <1% before 40 to ~20% at 80+.
  cad: c({
    key: 'cad',
    icd: ['I25.10', 'Atherosclerotic heart disease of native coronary artery without angina pectoris'],
    snomed: ['53741008', 'Coronary arteriosclerosis (disorder)'],
    text: 'Coronary artery disease',
    bands: [
      [30, 0],
      [40, 0.003],
      [60, 0.04],
      [80, 0.12],
      [200, 0.2],
    ],
    minOnsetAge: 30,
    burden: 1,
  }),
  // AHA 2023 statistics: 6.7 million adults with heart failure; prevalence ~0.3% at 20-39, ~1.5% at 40-59,
  // ~5% at 60-79 and ~11% at 80+.
  heartFailure: c({
    key: 'heartFailure',
    icd: ['I50.9', 'Heart failure, unspecified'],
    snomed: ['84114007', 'Heart failure (disorder)'],
    text: 'Heart failure',
    bands: [
      [20, 0],
      [40, 0.003],
      [60, 0.012],
      [80, 0.045],
      [200, 0.11],
    ],
    minOnsetAge: 20,
    burden: 2,
  }),
  // CDC Atrial Fibrillation fact sheet: about 2% of people younger than 65 and 9% of people 65+ have AFib.
  afib: c({
    key: 'afib',
    icd: ['I48.91', 'Unspecified atrial fibrillation'],
    snomed: ['49436004', 'Atrial fibrillation (disorder)'],
    text: 'Atrial fibrillation',
    bands: [
      [30, 0],
      [40, 0.002],
      [65, 0.015],
      [75, 0.05],
      [85, 0.1],
      [200, 0.15],
    ],
    minOnsetAge: 30,
    burden: 1,
  }),
  // CDC Chronic Kidney Disease in the US 2023: 14% of adults have CKD (34% at 65+) but ~90% do not know it;
  // coded stage-3 CKD on the problem list is far lower.
  ckd: c({
    key: 'ckd',
    icd: ['N18.30', 'Chronic kidney disease, stage 3 unspecified'],
    snomed: ['433144002', 'Chronic kidney disease stage 3 (disorder)'],
    text: 'Chronic kidney disease stage 3',
    bands: [
      [18, 0],
      [45, 0.005],
      [65, 0.03],
      [75, 0.08],
      [200, 0.16],
    ],
    minOnsetAge: 18,
    burden: 1.5,
  }),
  // CDC BRFSS 2021 (MMWR 2023;72:...): COPD 4.6% of adults, ~1.5% at 18-44, ~5.5% at 45-64, ~10% at 65+.
  copd: c({
    key: 'copd',
    icd: ['J44.9', 'Chronic obstructive pulmonary disease, unspecified'],
    snomed: ['13645005', 'Chronic obstructive lung disease (disorder)'],
    text: 'COPD',
    bands: [
      [35, 0],
      [45, 0.012],
      [65, 0.055],
      [75, 0.095],
      [200, 0.11],
    ],
    minOnsetAge: 35,
    burden: 1.5,
  }),
  // CDC NHIS 2021: current asthma in 5.8% of children and 8.0% of adults.
  asthma: c({
    key: 'asthma',
    icd: ['J45.909', 'Unspecified asthma, uncomplicated'],
    snomed: ['195967001', 'Asthma (disorder)'],
    text: 'Asthma',
    bands: [
      [2, 0],
      [18, 0.058],
      [200, 0.08],
    ],
    minOnsetAge: 2,
    burden: 0.5,
  }),
  // CDC BRFSS 2020: 18.4% of adults ever told they have depression; about two thirds carry an active diagnosis.
  depression: c({
    key: 'depression',
    icd: ['F32.9', 'Major depressive disorder, single episode, unspecified'],
    snomed: ['36923009', 'Major depression, single episode (disorder)'],
    text: 'Depression',
    bands: [
      [12, 0],
      [18, 0.05],
      [30, 0.14],
      [65, 0.12],
      [200, 0.09],
    ],
    minOnsetAge: 12,
    burden: 0.5,
  }),
  // NIMH: generalized anxiety disorder lifetime prevalence 5.7%; NHIS 2019: 15.6% report anxiety symptoms.
  anxiety: c({
    key: 'anxiety',
    icd: ['F41.1', 'Generalized anxiety disorder'],
    snomed: ['21897009', 'Generalized anxiety disorder (disorder)'],
    text: 'Generalized anxiety disorder',
    bands: [
      [12, 0],
      [18, 0.05],
      [65, 0.07],
      [200, 0.05],
    ],
    minOnsetAge: 12,
    burden: 0.3,
  }),
  // CDC (NSCH 2016-2019): 9.8% of children 3-17 ever diagnosed with ADHD; adult diagnoses are less common.
  adhd: c({
    key: 'adhd',
    icd: ['F90.9', 'Attention-deficit hyperactivity disorder, unspecified type'],
    snomed: ['406506008', 'Attention deficit hyperactivity disorder (disorder)'],
    text: 'ADHD',
    bands: [
      [4, 0],
      [18, 0.09],
      [40, 0.03],
      [200, 0.01],
    ],
    minOnsetAge: 4,
    burden: 0.2,
  }),
};

/** Severe obesity (BMI >= 40), coded instead of plain obesity. */
export const MORBID_OBESITY = {
  icd: ['E66.01', 'Morbid (severe) obesity due to excess calories'] as CodeDisplay,
  snomed: ['238136002', 'Morbid obesity (disorder)'] as CodeDisplay,
  text: 'Severe obesity',
};

/** Base prevalence of a chronic condition at an age. */
export function basePrevalence(def: ChronicDef, age: number): number {
  for (const [upTo, p] of def.bands) if (age < upTo) return p;
  return 0;
}
