/**
 * Vital signs, laboratory results and questionnaire scores, LOINC-coded with UCUM units, each tied to the
 * encounter where it was taken. Values follow the patient's profile (hypertension raises blood pressure,
 * diabetes drives HbA1c and glucose, CKD raises creatinine) plus measurement noise.
 */
import type { Observation, ObservationReferenceRange } from 'fhir/r4.js';
import { CHILD_BMI, CHILD_HEIGHT } from './clinical-profile.js';
import { concept, ref, round, SYS, ucum } from './codes.js';
import { type EncounterRecord, has, type PatientContext, patientRef, put } from './patient-context.js';
import { DAY, fhirDateTime, HOUR, YEAR } from './time.js';

type Category = 'vital-signs' | 'laboratory' | 'survey' | 'social-history';
const CATEGORY_DISPLAY: Record<Category, string> = {
  'vital-signs': 'Vital Signs',
  laboratory: 'Laboratory',
  survey: 'Survey',
  'social-history': 'Social History',
};

function observation(
  ctx: PatientContext,
  enc: EncounterRecord,
  at: number,
  category: Category,
  code: string,
  display: string,
  text: string,
): Observation & { id: string } {
  const obs: Observation & { id: string } = {
    resourceType: 'Observation',
    id: ctx.ids.uuid(),
    status: 'final',
    category: [concept(SYS.observationCategory, category, CATEGORY_DISPLAY[category])],
    code: { coding: [{ system: SYS.loinc, code, display }], text },
    subject: patientRef(ctx),
    encounter: ref('Encounter', enc.id),
    effectiveDateTime: fhirDateTime(at),
  };
  if (category === 'laboratory') obs.issued = fhirDateTime(at + 3 * HOUR);
  return obs;
}

function interpolate(table: readonly number[], age: number): number {
  const i = Math.min(table.length - 2, Math.floor(age));
  return table[i] + (table[i + 1] - table[i]) * (age - i);
}

/** Height (cm), weight (kg) and BMI at an instant, following growth in children and weight drift in adults. */
export function bodySize(ctx: PatientContext, at: number): { height: number; weight: number; bmi?: number } {
  const ageYears = (at - ctx.birth) / YEAR;
  if (ageYears < 2) {
    // CDC/WHO growth standards, approximated: ~3.4 kg / 50 cm at birth, ~9.5 kg / 75 cm at one year.
    const months = ageYears * 12;
    const weight = months <= 6 ? 3.4 + 0.7 * months : 7.6 + 0.25 * (months - 6);
    const height = months <= 6 ? 50 + 2.5 * months : 65 + 1.15 * (months - 6);
    return { height: round(height), weight: round(weight) };
  }
  if (ctx.age < 18) {
    // Follow the child's own centile back along the growth curves.
    const height = interpolate(CHILD_HEIGHT, ageYears) * (ctx.heightCm / CHILD_HEIGHT[ctx.age]);
    const bmi = interpolate(CHILD_BMI, ageYears) * (ctx.bmi / CHILD_BMI[ctx.age]);
    return { height: round(height), weight: round((bmi * height * height) / 10000), bmi: round(bmi) };
  }
  const years = (at - ctx.windowStart) / YEAR;
  const bmi = ctx.bmi * (1 + ctx.weightDrift * (years - 3));
  const weight = (bmi * ctx.heightCm * ctx.heightCm) / 10000;
  return { height: round(ctx.heightCm), weight: round(weight), bmi: round(bmi) };
}

/** Blood pressure panel, weight, BMI and (when asked) height. */
export function addVitals(ctx: PatientContext, enc: EncounterRecord, at: number, withHeight: boolean): void {
  const { rng } = ctx;
  const ageYears = (at - ctx.birth) / YEAR;
  if (ageYears >= 3) {
    // AAP 2017 and ACC/AHA 2017 guidelines: blood pressure at every visit from age 3.
    const systolic = Math.round(rng.clampedNormal(ctx.bpBase, 8, 80, 210));
    const diastolic = Math.round(rng.clampedNormal(0.45 * systolic + 20, 6, 45, 125));
    const bp = observation(
      ctx,
      enc,
      at,
      'vital-signs',
      '85354-9',
      'Blood pressure panel with all children optional',
      'Blood pressure',
    );
    bp.component = [
      {
        code: { coding: [{ system: SYS.loinc, code: '8480-6', display: 'Systolic blood pressure' }] },
        valueQuantity: ucum(systolic, 'mm[Hg]'),
      },
      {
        code: { coding: [{ system: SYS.loinc, code: '8462-4', display: 'Diastolic blood pressure' }] },
        valueQuantity: ucum(diastolic, 'mm[Hg]'),
      },
    ];
    put(ctx, bp);
  }
  const size = bodySize(ctx, at);
  const noisyWeight = round(size.weight + rng.normal(0, size.weight * 0.01));
  const weight = observation(ctx, enc, at, 'vital-signs', '29463-7', 'Body weight', 'Body weight');
  weight.valueQuantity = ucum(noisyWeight, 'kg');
  put(ctx, weight);
  if (withHeight || ageYears < 18) {
    const height = observation(ctx, enc, at, 'vital-signs', '8302-2', 'Body height', 'Body height');
    height.valueQuantity = ucum(size.height, 'cm');
    put(ctx, height);
  }
  if (size.bmi !== undefined) {
    const bmi = observation(ctx, enc, at, 'vital-signs', '39156-5', 'Body mass index (BMI) [Ratio]', 'BMI');
    bmi.valueQuantity = ucum(round((noisyWeight * 10000) / (size.height * size.height)), 'kg/m2');
    put(ctx, bmi);
  }
}

interface LabDef {
  readonly loinc: string;
  readonly display: string;
  readonly text: string;
  readonly unit: string;
  readonly digits: number;
  /** Reference interval by sex (Mayo Clinic Laboratories adult ranges); undefined bound = open. */
  readonly range: (female: boolean) => readonly [number | undefined, number | undefined];
}

const LABS = {
  hemoglobin: {
    loinc: '718-7',
    display: 'Hemoglobin [Mass/volume] in Blood',
    text: 'Hemoglobin',
    unit: 'g/dL',
    digits: 1,
    range: (f: boolean) => (f ? [12.0, 15.5] : [13.5, 17.5]),
  },
  sodium: {
    loinc: '2951-2',
    display: 'Sodium [Moles/volume] in Serum or Plasma',
    text: 'Sodium',
    unit: 'mmol/L',
    digits: 0,
    range: () => [135, 145],
  },
  potassium: {
    loinc: '2823-3',
    display: 'Potassium [Moles/volume] in Serum or Plasma',
    text: 'Potassium',
    unit: 'mmol/L',
    digits: 1,
    range: () => [3.6, 5.2],
  },
  creatinine: {
    loinc: '2160-0',
    display: 'Creatinine [Mass/volume] in Serum or Plasma',
    text: 'Creatinine',
    unit: 'mg/dL',
    digits: 2,
    range: (f: boolean) => (f ? [0.59, 1.04] : [0.74, 1.35]),
  },
  egfr: {
    loinc: '98979-8',
    display:
      'Glomerular filtration rate/1.73 sq M.predicted [Volume Rate/Area] in Serum, Plasma or Blood by Creatinine-based formula (CKD-EPI 2021)',
    text: 'eGFR (CKD-EPI 2021)',
    unit: 'mL/min/{1.73_m2}',
    digits: 0,
    range: () => [60, undefined],
  },
  glucose: {
    loinc: '2345-7',
    display: 'Glucose [Mass/volume] in Serum or Plasma',
    text: 'Glucose',
    unit: 'mg/dL',
    digits: 0,
    range: () => [70, 99],
  },
  ldl: {
    loinc: '13457-7',
    display: 'Cholesterol in LDL [Mass/volume] in Serum or Plasma by calculation',
    text: 'LDL cholesterol',
    unit: 'mg/dL',
    digits: 0,
    range: () => [undefined, 99],
  },
  a1c: {
    loinc: '4548-4',
    display: 'Hemoglobin A1c/Hemoglobin.total in Blood',
    text: 'Hemoglobin A1c',
    unit: '%',
    digits: 1,
    range: () => [undefined, 5.6],
  },
} as const satisfies Record<string, LabDef>;

export type LabKey = keyof typeof LABS;

/** HbA1c on the patient's trajectory at an instant (diabetics), or a normal-range value. */
export function a1cAt(ctx: PatientContext, at: number): number {
  if (!ctx.a1c) return ctx.rng.clampedNormal(ctx.bmi >= 30 ? 5.6 : 5.3, 0.3, 4.4, 6.4);
  const years = (at - ctx.windowStart) / YEAR;
  return Math.min(13.5, Math.max(5.5, ctx.a1c.start + ctx.a1c.slope * years + ctx.rng.normal(0, 0.2)));
}

/** CKD-EPI 2021 race-free creatinine equation (Inker et al., NEJM 2021). */
function ckdEpi2021(creatinine: number, age: number, female: boolean): number {
  const k = female ? 0.7 : 0.9;
  const alpha = female ? -0.241 : -0.302;
  const ratio = creatinine / k;
  const egfr = 142 * Math.min(ratio, 1) ** alpha * Math.max(ratio, 1) ** -1.2 * 0.9938 ** age;
  return female ? egfr * 1.012 : egfr;
}

/** Draws a lab value for the patient's profile; `acute` marks a hospital admission (sicker values). */
function labValue(ctx: PatientContext, key: LabKey, at: number, acute: boolean, creatinine: number): number {
  const { rng } = ctx;
  const female = ctx.sex === 'female';
  switch (key) {
    case 'hemoglobin':
      return rng.clampedNormal(
        (female ? 13.0 : 14.6) - (has(ctx, 'ckd') ? 1.2 : 0) - (acute ? 0.8 : 0),
        1.1,
        6.5,
        18.5,
      );
    case 'sodium':
      return rng.clampedNormal(acute && has(ctx, 'heartFailure') ? 135 : 139.5, acute ? 3.5 : 2.2, 120, 152);
    case 'potassium':
      return rng.clampedNormal(has(ctx, 'ckd') ? 4.6 : 4.2, 0.35, 2.8, 6.4);
    case 'creatinine':
      return creatinine;
    case 'egfr':
      return Math.min(120, ckdEpi2021(creatinine, (at - ctx.birth) / YEAR, female));
    case 'glucose':
      return ctx.a1c
        ? rng.clampedNormal(28.7 * a1cAt(ctx, at) - 46.7, 25, 60, 450)
        : rng.clampedNormal(93, 10, 65, 125);
    case 'ldl':
      return has(ctx, 'hyperlipidemia') || has(ctx, 'cad')
        ? rng.clampedNormal(ctx.htnTreated || ctx.age > 50 ? 98 : 150, 28, 40, 240)
        : rng.clampedNormal(112, 28, 40, 200);
    case 'a1c':
      return a1cAt(ctx, at);
  }
}

function interpretation(value: number, low?: number, high?: number): Observation['interpretation'] {
  const [code, display] =
    low !== undefined && value < low
      ? ['L', 'Low']
      : high !== undefined && value > high
        ? ['H', 'High']
        : ['N', 'Normal'];
  return [concept(SYS.interpretation, code, display)];
}

/** Adds laboratory results drawn at `at`. */
export function addLabs(
  ctx: PatientContext,
  enc: EncounterRecord,
  at: number,
  keys: readonly LabKey[],
  acute = false,
): void {
  const female = ctx.sex === 'female';
  const baseCreatinine = has(ctx, 'ckd') ? ctx.rng.clampedNormal(female ? 1.5 : 1.9, 0.25, 1.1, 3.2) : 0;
  const creatinine = round(
    (baseCreatinine || ctx.rng.clampedNormal(female ? 0.8 : 1.0, 0.14, 0.45, 1.45)) * (acute ? 1.2 : 1),
    2,
  );
  for (const key of keys) {
    const def: LabDef = LABS[key];
    const value = round(labValue(ctx, key, at, acute, creatinine), def.digits);
    const obs = observation(ctx, enc, at, 'laboratory', def.loinc, def.display, def.text);
    obs.valueQuantity = ucum(value, def.unit);
    const [low, high] = def.range(female);
    obs.interpretation = interpretation(value, low, high);
    const range: ObservationReferenceRange = {};
    if (low !== undefined) range.low = ucum(low, def.unit);
    if (high !== undefined) range.high = ucum(high, def.unit);
    obs.referenceRange = [range];
    put(ctx, obs);
  }
}

/** PHQ-9 total score (0-27) for a patient with depression: moderate when active, minimal in remission. */
export function addPhq9(ctx: PatientContext, enc: EncounterRecord, at: number): void {
  const state = ctx.chronic.get('depression');
  const mean = state?.status === 'remission' ? 4 : 12 - 2 * Math.min(2, (at - (state?.onset ?? at)) / YEAR);
  const score = Math.round(ctx.rng.clampedNormal(mean, 4, 0, 27));
  const obs = observation(
    ctx,
    enc,
    at,
    'survey',
    '44261-6',
    'Patient Health Questionnaire 9 item (PHQ-9) total score [Reported]',
    'PHQ-9 total score',
  );
  obs.valueInteger = score;
  put(ctx, obs);
}

const SMOKING: Record<'current' | 'former' | 'never', readonly [string, string]> = {
  current: ['449868002', 'Smokes tobacco daily (finding)'],
  former: ['8517006', 'Ex-smoker (finding)'],
  never: ['266919005', 'Never smoked tobacco (finding)'],
};

/** Tobacco smoking status (US Core smoking-status codes). */
export function addSmokingStatus(ctx: PatientContext, enc: EncounterRecord, at: number): void {
  if (!ctx.smoking) return;
  const obs = observation(
    ctx,
    enc,
    at,
    'social-history',
    '72166-2',
    'Tobacco smoking status',
    'Tobacco smoking status',
  );
  const [code, display] = SMOKING[ctx.smoking];
  obs.valueCodeableConcept = concept(SYS.snomed, code, display);
  put(ctx, obs);
}

/** Days between two instants. */
export function daysBetween(a: number, b: number): number {
  return Math.abs(b - a) / DAY;
}
