/**
 * Plans a patient's care over the last ~3 years: hospital stays (with their emergency-department arrivals,
 * readmissions and in-hospital deaths), treat-and-release ED visits, and office visits (check-ups, chronic
 * follow-ups, specialist consults, post-discharge follow-ups). Only timing and reasons here; resources are
 * built in encounters.ts.
 */
import { ACUTE, type AcuteDef } from './acute-conditions-data.js';
import type { ChronicKey } from './conditions-data.js';
import { hadBy, has, type PatientContext } from './patient-context.js';
import { Weighted } from './prng.js';
import { atLocalTime, DAY, HOUR, toWeekday, YEAR } from './time.js';

export type Disposition = readonly [string, string];

export interface PlannedStay {
  readonly kind: 'stay';
  readonly start: number;
  end?: number;
  readonly reason: AcuteDef;
  disposition?: Disposition;
  readonly admitSource: Disposition;
  readonly viaEd: boolean;
  readonly icu: boolean;
}

export interface PlannedEdVisit {
  readonly kind: 'ed';
  readonly start: number;
  readonly end: number;
  readonly reason: AcuteDef;
  /** The stay this ED visit led to, if any. */
  readonly admitted?: PlannedStay;
}

export type VisitKind =
  | 'checkup'
  | 'followup'
  | 'symptom'
  | 'postDischarge'
  | 'cardiology'
  | 'endocrinology'
  | 'nephrology';

export interface PlannedVisit {
  readonly kind: 'visit';
  readonly start: number;
  readonly end: number;
  visitKind: VisitKind;
  readonly after?: PlannedStay;
}

export type PlannedEncounter = PlannedStay | PlannedEdVisit | PlannedVisit;

/**
 * Problem-oriented office visits per person-year by age (NAMCS 2019 physician office visits); well-child
 * visits in the first three years follow the Bright Futures schedule instead (WELL_CHILD_MONTHS).
 */
function officeRate(age: number): number {
  if (age < 3) return 2;
  if (age < 18) return 1.5;
  if (age < 45) return 1.7;
  if (age < 65) return 2.8;
  if (age < 75) return 4;
  return 5;
}

/** AAP Bright Futures well-child visits before age 3, in months (3-5 days, 1, 2, 4, ... 30 months). */
const WELL_CHILD_MONTHS = [0.13, 1, 2, 4, 6, 9, 12, 15, 18, 24, 30];

/** ED visits per person-year by age (NHAMCS 2021 emergency department summary tables). */
function edRate(age: number): number {
  if (age < 15) return 0.33;
  if (age < 25) return 0.41;
  if (age < 45) return 0.45;
  if (age < 65) return 0.37;
  if (age < 75) return 0.38;
  return 0.62;
}

/** Hospital stays per person-year by age, excluding childbirth (HCUP NIS 2019 statistical briefs). */
function stayRate(age: number): number {
  if (age < 18) return 0.012;
  if (age < 45) return 0.035;
  if (age < 65) return 0.085;
  if (age < 75) return 0.18;
  if (age < 85) return 0.26;
  return 0.36;
}

function admissionReason(ctx: PatientContext): AcuteDef {
  const female = ctx.sex === 'female';
  const entries: [AcuteDef, number][] = [
    [ACUTE.pneumonia, 1.5 + (has(ctx, 'copd') || has(ctx, 'heartFailure') ? 1 : 0)],
    [ACUTE.sepsis, ctx.age >= 65 ? 1.2 : 0.6],
    [ACUTE.uti, female ? 0.8 : 0.4],
    [ACUTE.cellulitis, has(ctx, 'diabetes2') ? 0.9 : 0.5],
    [ACUTE.chestPain, ctx.age < 30 ? 0.1 : has(ctx, 'cad') ? 1.8 : 0.8],
    [ACUTE.stroke, ctx.age < 40 ? 0.05 : has(ctx, 'afib') || has(ctx, 'hypertension') ? 0.8 : 0.3],
    [ACUTE.giBleed, 0.4],
    [ACUTE.aki, has(ctx, 'ckd') ? 1.1 : 0.3],
    [ACUTE.dehydration, ctx.age < 5 || ctx.age >= 75 ? 0.8 : 0.3],
    [ACUTE.covid, 0.4],
    [ACUTE.syncope, ctx.age >= 60 ? 0.4 : 0.1],
    [ACUTE.hipFracture, ctx.age >= 70 ? 0.5 : 0],
    [ACUTE.heartFailureExacerbation, has(ctx, 'heartFailure') ? 3 : 0],
    [ACUTE.copdExacerbation, has(ctx, 'copd') ? 2.5 : 0],
    [ACUTE.afibRvr, has(ctx, 'afib') ? 1 : 0],
  ];
  return new Weighted(entries).pick(ctx.rng);
}

function edReason(ctx: PatientContext): AcuteDef {
  const age = ctx.age;
  const entries: [AcuteDef, number][] = [
    [ACUTE.abdominalPain, 1.2],
    [ACUTE.chestPain, age >= 30 ? 1 : 0.3],
    [ACUTE.backPain, age >= 18 ? 0.8 : 0.1],
    [ACUTE.headache, 0.6],
    [ACUTE.uri, age < 18 ? 1.5 : 0.8],
    [ACUTE.uti, ctx.sex === 'female' ? 0.7 : 0.25],
    [ACUTE.ankleSprain, age >= 8 && age < 50 ? 0.7 : 0.2],
    [ACUTE.dizziness, age >= 50 ? 0.5 : 0.2],
    [ACUTE.syncope, age >= 60 ? 0.4 : 0.1],
    [ACUTE.otitis, age < 10 ? 1.2 : 0],
    [ACUTE.covid, 0.3],
    [ACUTE.copdExacerbation, has(ctx, 'copd') ? 1.5 : 0],
    [ACUTE.heartFailureExacerbation, has(ctx, 'heartFailure') ? 0.6 : 0],
  ];
  return new Weighted(entries).pick(ctx.rng);
}

/**
 * Discharge status of hospital stays (HCUP NIS 2018: ~66% routine, ~17% home health, ~13% to skilled
 * nursing or other facilities, ~1% against medical advice); older patients go to facilities more often.
 */
function disposition(ctx: PatientContext): Disposition {
  const old = ctx.age >= 75;
  return new Weighted<Disposition>([
    [['home', 'Home'], old ? 68 : 85],
    [['snf', 'Skilled nursing facility'], old ? 22 : 7],
    [['rehab', 'Rehabilitation'], old ? 4 : 2],
    [['hosp', 'Hospice'], old ? 3 : 1],
    [['other-hcf', 'Other healthcare facility'], 2],
    [['aadvice', 'Left against advice'], old ? 0.3 : 1.5],
  ]).pick(ctx.rng);
}

function planStay(ctx: PatientContext, at: number, reason?: AcuteDef): PlannedStay {
  const { rng } = ctx;
  // ~70% of non-maternal admissions arrive through the emergency department (HCUP 2018).
  const viaEd = rng.chance(0.7);
  const start = viaEd ? at : atLocalTime(toWeekday(at), rng.range(9, 17));
  const why = reason ?? admissionReason(ctx);
  // Length of stay is right-skewed: mean ~4.6 days (HCUP NIS 2019), median ~3.
  const days = Math.max(1, Math.round(Math.exp(rng.normal(Math.log(3.2), 0.6))));
  const stay: PlannedStay = {
    kind: 'stay',
    start,
    end: atLocalTime(start + days * DAY, rng.range(10, 16)),
    reason: why,
    admitSource: viaEd
      ? ['emd', 'From accident/emergency department']
      : rng.chance(0.1)
        ? ['hosp-trans', 'Transferred from other hospital']
        : ['mp', 'Medical Practitioner/physician referral'],
    viaEd,
    icu: rng.chance(why === ACUTE.sepsis || why === ACUTE.stroke ? 0.4 : 0.08),
  };
  stay.disposition = disposition(ctx);
  return stay;
}

/** Plans every encounter of the patient's window, sorted by start. */
export function planEncounters(ctx: PatientContext): PlannedEncounter[] {
  const { rng, windowStart: from, windowEnd: to } = ctx;
  const years = (to - from) / YEAR;
  if (years <= 0) return [];
  // Utilization rates are taken at the patient's age in the middle of the window.
  const age = ((from + to) / 2 - ctx.birth) / YEAR;
  const random = (): number => rng.range(from, to);

  // Hospital stays.
  let stays: PlannedStay[] = [];
  const stayCount = rng.poisson(stayRate(age) * (0.6 + 0.4 * ctx.burden) * years);
  for (let i = 0; i < stayCount; i++) stays.push(planStay(ctx, random()));
  // About a third of US deaths occur in hospital (CDC NCHS, place of death 2019).
  if (ctx.death !== undefined && rng.chance(0.35)) {
    const terminal = planStay(ctx, Math.max(from, ctx.death - rng.range(1, 8) * DAY));
    terminal.end = ctx.death + DAY; // trimmed to the death below, with disposition "expired"
    stays.push(terminal);
  }
  // HCUP: ~14% of stays are followed by a readmission within 30 days.
  for (const stay of [...stays]) {
    if (stay.end !== undefined && rng.chance(0.13)) {
      stays.push(planStay(ctx, stay.end + rng.range(2, 30) * DAY));
    }
  }
  stays.sort((a, b) => a.start - b.start);
  const kept: PlannedStay[] = [];
  for (const stay of stays) {
    if (stay.start >= to - 3 * HOUR) continue; // admission labs need a few hours before "now" or death
    const last = kept[kept.length - 1];
    if (last && (last.end === undefined || stay.start < last.end + DAY)) continue;
    if (stay.end !== undefined && stay.end >= to) {
      if (ctx.death !== undefined) {
        stay.end = ctx.death;
        stay.disposition = ['exp', 'Expired'];
      } else {
        stay.end = undefined; // still in hospital today
        stay.disposition = undefined;
      }
    }
    kept.push(stay);
  }
  stays = kept;
  const inStay = (t: number, margin = 0): boolean =>
    stays.some((s) => t >= s.start - margin && (s.end === undefined || t <= s.end + margin));

  const planned: PlannedEncounter[] = [...stays];
  for (const stay of stays) {
    const start = stay.start - rng.range(2, 7) * HOUR;
    if (stay.viaEd && start > ctx.birth) {
      planned.push({ kind: 'ed', start, end: stay.start, reason: stay.reason, admitted: stay });
    }
  }

  const medicaid = ctx.payer === 'medicaid' ? 1.6 : 1; // Medicaid enrollees visit EDs about 1.5-2x as often
  const edCount = rng.poisson(edRate(age) * (0.7 + 0.35 * ctx.burden) * medicaid * years);
  for (let i = 0; i < edCount; i++) {
    const start = random();
    const end = start + rng.range(2, 6) * HOUR;
    if (end < to && !inStay(start, DAY)) planned.push({ kind: 'ed', start, end, reason: edReason(ctx) });
  }

  // Office visits: primary care, with specialist consults for the conditions specialists co-manage once
  // they have been diagnosed.
  const specialties: [VisitKind, ChronicKey[], number][] = [
    ['cardiology', ['heartFailure', 'afib', 'cad'], 0.25],
  ];
  if (has(ctx, 'diabetes1') || (ctx.a1c && ctx.a1c.start > 8.5)) {
    specialties.push(['endocrinology', ['diabetes1', 'diabetes2'], 0.2]);
  }
  specialties.push(['nephrology', ['ckd'], 0.15]);
  const visitCount = Math.min(40, rng.poisson(officeRate(age) * (0.75 + 0.3 * ctx.burden) * years));
  const visits: PlannedVisit[] = [];
  const addVisit = (at: number, visitKind: VisitKind | undefined, after?: PlannedStay): void => {
    const start = atLocalTime(toWeekday(at), 8 + rng.int(0, 34) * 0.25);
    const end = start + rng.int(2, 5) * 10 * 60_000; // 20-50 minutes
    if (start <= from || end >= to || inStay(start)) return;
    let kind = visitKind;
    if (!kind) {
      kind = [...ctx.chronic.values()].some((c) => c.onset <= start) ? 'followup' : 'symptom';
      for (const [specialty, keys, p] of specialties) {
        if (keys.some((k) => hadBy(ctx, k, start)) && rng.chance(p)) {
          kind = specialty;
          break;
        }
      }
    }
    visits.push({ kind: 'visit', start, end, visitKind: kind, after });
  };
  for (let i = 0; i < visitCount; i++) addVisit(random(), undefined);
  for (const months of WELL_CHILD_MONTHS) {
    if (rng.chance(0.9)) addVisit(ctx.birth + months * 30.44 * DAY, 'checkup');
  }
  // Transitional care: about half of patients discharged home see their PCP within 14 days (CMS TCM data).
  for (const stay of stays) {
    if (stay.end !== undefined && stay.disposition?.[0] === 'home' && rng.chance(0.55)) {
      addVisit(stay.end + rng.range(3, 14) * DAY, 'postDischarge', stay);
    }
  }
  // The first primary-care visit of every 12 months is the annual check-up (well-child visit for minors).
  visits.sort((a, b) => a.start - b.start);
  let nextCheckup = from;
  for (const visit of visits) {
    if (visit.visitKind === 'checkup') nextCheckup = visit.start + 330 * DAY;
    else if (
      (visit.visitKind === 'followup' || visit.visitKind === 'symptom') &&
      visit.start >= nextCheckup
    ) {
      visit.visitKind = 'checkup';
      nextCheckup = visit.start + 330 * DAY;
    }
  }
  planned.push(...visits);
  return planned.sort((a, b) => a.start - b.start);
}
