/**
 * The patient's health profile: smoking, body size, chronic conditions (correlated with each other and with
 * age, sex and race as in US surveillance data), survival, and insurance. Also emits the problem-list Conditions.
 */
import type { Condition } from 'fhir/r4.js';
import { concept, dualCoded, ref, SYS } from './codes.js';
import { basePrevalence, CHRONIC, type ChronicKey, MORBID_OBESITY } from './conditions-data.js';
import { type PatientContext, type Payer, patientRef, put } from './patient-context.js';
import { Weighted } from './prng.js';
import { fhirDate, YEAR } from './time.js';

/** Median height (cm) by age for children, CDC 2000 growth charts (50th percentile, boys; girls ~2% less from 12). */
export const CHILD_HEIGHT = [
  50, 76, 88, 96, 103, 110, 116, 122, 128, 134, 139, 144, 150, 157, 164, 170, 173, 175, 176,
];
/** Median BMI by age 2-18, CDC BMI-for-age charts (50th percentile). */
export const CHILD_BMI = [
  0, 0, 16.4, 16, 15.6, 15.4, 15.4, 15.5, 15.8, 16.2, 16.6, 17.2, 17.8, 18.5, 19.2, 19.8, 20.5, 21.1, 21.7,
];

/**
 * Current and former cigarette smoking by age, CDC NHIS 2021 (MMWR 2023;72:475): current 5.3% at 18-24,
 * 12.6% at 25-44, 14.9% at 45-64, 8.3% at 65+; about one adult in five is a former smoker, more with age.
 */
function smokingShares(age: number): [number, number] {
  if (age < 13) return [0, 0];
  if (age < 18) return [0.02, 0.01];
  if (age < 25) return [0.053, 0.03];
  if (age < 45) return [0.126, 0.12];
  if (age < 65) return [0.149, 0.24];
  return [0.083, 0.38];
}

/** Relative diabetes risk by race/ethnicity (CDC NDSR 2023, age-adjusted diagnosed diabetes vs. the total). */
function diabetesRaceFactor(ctx: PatientContext): number {
  if (ctx.race === 'aian') return 1.5;
  if (ctx.hispanic) return 1.3;
  if (ctx.race === 'black') return 1.35;
  if (ctx.race === 'asian') return 1.0;
  return 0.8;
}

/**
 * Annual all-cause death rate by age (CDC NCHS, Deaths: Final Data for 2019, per person-year). Only ages 40+
 * are modelled, so the deceased are the "few older patients" a real panel carries.
 */
function annualMortality(age: number): number {
  if (age < 40) return 0;
  if (age < 45) return 0.0019;
  if (age < 55) return 0.0041;
  if (age < 65) return 0.0089;
  if (age < 75) return 0.018;
  if (age < 85) return 0.043;
  return 0.132;
}

/** Draws smoking, height, BMI, chronic conditions, death, HbA1c trajectory and payer. */
export function sampleClinicalProfile(ctx: PatientContext): void {
  const { rng, age } = ctx;
  const female = ctx.sex === 'female';
  const adult = age >= 18;

  const [current, former] = smokingShares(age);
  if (age >= 13) {
    const sexFactor = female ? 0.89 : 1.13;
    const r = rng.next();
    ctx.smoking = r < current * sexFactor ? 'current' : r < current * sexFactor + former ? 'former' : 'never';
  }

  // NHANES 2015-2018 (NCHS Vital Health Stat 3(46)): adult height 175.4 +/- 7.6 cm (men), 161.7 +/- 7.1 (women).
  const z = rng.clampedNormal(0, 1, -2.5, 2.5);
  if (adult) {
    ctx.heightCm = female ? 161.7 + 7.1 * z : 175.4 + 7.6 * z;
  } else {
    const median = CHILD_HEIGHT[age] * (female && age >= 12 ? 0.97 : 1);
    ctx.heightCm = median * (1 + 0.04 * z);
  }
  // Adult BMI is log-normal; NHANES 2017-2020: 41.9% obese (BMI >= 30), 9.2% severely obese (>= 40).
  const bmiZ = rng.normal(0, 1);
  if (adult) ctx.bmi = (age < 20 ? 25 : age < 40 ? 28 : age < 60 ? 29 : 28.5) * Math.exp(0.23 * bmiZ);
  else if (age >= 2) ctx.bmi = CHILD_BMI[age] * Math.exp(0.15 * bmiZ);
  // Children: ~95th percentile (z > 1.645) approximates the CDC obesity cut-off; adults use BMI 30.
  const obese = adult ? ctx.bmi >= 30 : age >= 6 && bmiZ > 1.645;

  const present = new Set<ChronicKey>();
  const p = (key: ChronicKey, factor: number): void => {
    const def = CHRONIC[key];
    if (age >= def.minOnsetAge && rng.chance(Math.min(0.95, basePrevalence(def, age) * factor)))
      present.add(key);
  };
  // Obesity is under-coded: roughly half to two thirds of obese adults carry the diagnosis.
  if (obese && rng.chance(adult ? (ctx.bmi >= 40 ? 0.8 : 0.6) : 0.4)) present.add('obesity');
  p('diabetes1', 1);
  if (!present.has('diabetes1')) p('diabetes2', diabetesRaceFactor(ctx) * (obese ? 1.7 : 0.55));
  const dm = present.has('diabetes2') || present.has('diabetes1');
  const smokeFactor = ctx.smoking === 'current' ? 1.6 : ctx.smoking === 'former' ? 1.2 : 0.8;
  p('hypertension', (obese ? 1.3 : 0.8) * (ctx.race === 'black' ? 1.25 : 1) * (dm ? 1.3 : 1));
  const htn = present.has('hypertension');
  p('hyperlipidemia', (dm ? 1.5 : 0.95) * (obese ? 1.15 : 0.9));
  p('cad', ((female ? 0.65 : 1.4) * smokeFactor * (dm ? 1.6 : 1) * (htn ? 1.3 : 0.9)) / 1.3);
  p('heartFailure', (present.has('cad') ? 2.5 : 0.8) * (htn ? 1.4 : 0.7) * (dm ? 1.3 : 1));
  p('afib', (htn ? 1.3 : 0.8) * (present.has('heartFailure') ? 3 : 0.9) * (female ? 0.85 : 1.2));
  p('ckd', (dm ? 2 : 0.75) * (htn ? 1.5 : 0.7));
  p('copd', ctx.smoking === 'current' ? 3 : ctx.smoking === 'former' ? 2 : 0.3);
  p('asthma', (adult ? (female ? 1.3 : 0.7) : female ? 0.8 : 1.2) * (obese ? 1.3 : 0.9));
  p('depression', (female ? 1.35 : 0.65) * (present.size >= 3 ? 1.4 : 1));
  p('anxiety', (female ? 1.4 : 0.6) * (present.has('depression') ? 2.2 : 0.85));
  p('adhd', female ? 0.6 : 1.4);

  let burden = 0;
  for (const key of present) burden += CHRONIC[key].burden;
  ctx.burden = burden;

  // Deaths in the last three years, more likely with a heavier disease burden.
  if (rng.chance(annualMortality(age) * ((1 + 0.25 * burden) / 1.3))) {
    ctx.death = ctx.now - rng.range(2, 1090) * 86_400_000;
  }
  ctx.windowEnd = ctx.death ?? ctx.now;
  ctx.windowStart = Math.max(ctx.now - 3 * YEAR, ctx.birth);

  for (const key of Object.keys(CHRONIC) as ChronicKey[]) {
    if (!present.has(key)) continue;
    const def = CHRONIC[key];
    const ageAtEnd = (ctx.windowEnd - ctx.birth) / YEAR;
    const years = Math.min(ageAtEnd - def.minOnsetAge, 30) * rng.next() ** 1.4;
    const onset = Math.max(ctx.birth + def.minOnsetAge * YEAR, ctx.windowEnd - years * YEAR - 86_400_000);
    const status = key === 'depression' && rng.chance(0.15) ? 'remission' : 'active';
    ctx.chronic.set(key, { def, id: ctx.ids.uuid(), onset, status });
  }

  if (dm) {
    const t1 = present.has('diabetes1');
    const r = rng.next();
    const slope = r < 0.3 ? rng.normal(-0.5, 0.2) : r < 0.55 ? rng.normal(0.45, 0.2) : rng.normal(0, 0.15);
    ctx.a1c = { start: rng.clampedNormal(t1 ? 8.0 : 7.6, 1.1, 5.8, 12.5), slope };
  }

  ctx.weightDrift = rng.normal(0, 0.02);
  ctx.htnTreated = htn && rng.chance(0.9);
  if (htn) ctx.bpBase = rng.clampedNormal(ctx.htnTreated ? 133 : 146, 10, 115, 175);
  else if (adult) ctx.bpBase = rng.clampedNormal(110 + 0.35 * (age - 20), 8, 95, 139);
  else ctx.bpBase = rng.clampedNormal(98 + 1.2 * Math.max(0, age - 3), 6, 85, 125);

  ctx.payer = samplePayer(ctx);
}

/** Health insurance by age, KFF analysis of the 2022 ACS (employer/non-group, Medicaid/CHIP, uninsured). */
function samplePayer(ctx: PatientContext): Payer {
  if (ctx.age >= 65) return 'medicare';
  // Medicaid and uninsurance are more common among Black and Hispanic Americans (KFF 2022: ~1.5-2x).
  const disparity = ctx.hispanic || ctx.race === 'black' || ctx.race === 'aian' ? 1.7 : 1;
  const table =
    ctx.age < 18
      ? new Weighted<Payer>([
          ['commercial', 54],
          ['medicaid', 41 * disparity],
          ['uninsured', 5 * disparity],
        ])
      : new Weighted<Payer>([
          ['commercial', 68],
          ['medicaid', 19 * disparity],
          // Medicare before 65 is disability coverage (SSDI), concentrated among the chronically ill.
          ['medicare', ctx.burden >= 3 ? 8 : 1],
          ['uninsured', 11 * disparity],
        ]);
  return table.pick(ctx.rng);
}

/** Adds a problem-list Condition for every chronic condition. */
export function addChronicConditions(ctx: PatientContext): void {
  for (const state of ctx.chronic.values()) {
    const { def } = state;
    const morbid = def.key === 'obesity' && ctx.bmi >= 40;
    const condition: Condition = {
      resourceType: 'Condition',
      id: state.id,
      clinicalStatus: concept(
        SYS.conditionClinical,
        state.status,
        state.status === 'active' ? 'Active' : 'Remission',
      ),
      verificationStatus: concept(SYS.conditionVerStatus, 'confirmed', 'Confirmed'),
      category: [concept(SYS.conditionCategory, 'problem-list-item', 'Problem List Item')],
      code: dualCoded(
        morbid ? MORBID_OBESITY.icd : def.icd,
        morbid ? MORBID_OBESITY.snomed : def.snomed,
        morbid ? MORBID_OBESITY.text : def.text,
      ),
      subject: patientRef(ctx),
      onsetDateTime: fhirDate(state.onset),
      recordedDate: fhirDate(Math.min(ctx.windowEnd, state.onset + ctx.rng.int(0, 20) * 86_400_000)),
      recorder: ref('Practitioner', ctx.pcp.id, ctx.pcp.display),
    };
    put(ctx, condition as Condition & { id: string });
  }
}
