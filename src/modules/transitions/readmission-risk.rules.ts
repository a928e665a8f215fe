/**
 * Readmission risk at discharge: LACE (van Walraven 2010) always, HOSPITAL (Donzé 2013) when the
 * discharge hemoglobin and sodium exist. Point tables are data with their source; each score
 * returns its factors so a coordinator sees why, not only the total.
 */

import { parseIsoDate } from '../../platform/business-calendar.js';
import { localDateString } from '../tasks/due-dates.js';

export interface RiskFactor {
  code: string;
  label: string;
  value: string | number | boolean;
  points: number;
}

export interface RiskScore {
  instrument: 'LACE' | 'HOSPITAL';
  total: number;
  max: number;
  band: 'low' | 'moderate' | 'intermediate' | 'high';
  factors: RiskFactor[];
  source: { title: string; url: string };
}

export const LACE_SOURCE = {
  title:
    'van Walraven C et al. Derivation and validation of an index to predict early death or unplanned readmission after discharge from hospital to the community. CMAJ 2010;182(6):551-557',
  url: 'https://doi.org/10.1503/cmaj.091117',
} as const;

export const HOSPITAL_SOURCE = {
  title:
    'Donzé J et al. Potentially avoidable 30-day hospital readmissions in medical patients: derivation and validation of a prediction model. JAMA Intern Med 2013;173(8):632-638',
  url: 'https://doi.org/10.1001/jamainternmed.2013.3023',
} as const;

/** Points for a value: the first row whose `below` bound the value is under (the last row has none). */
type PointRow = { below?: number; points: number };

function pointsFor(rows: readonly PointRow[], value: number): number {
  return rows.find((r) => r.below === undefined || value < r.below)!.points;
}

/** LACE L: length of stay in days: <1 0, 1 1, 2 2, 3 3, 4–6 4, 7–13 5, >= 14 7. */
export const LACE_LENGTH_OF_STAY: readonly PointRow[] = [
  { below: 1, points: 0 },
  { below: 2, points: 1 },
  { below: 3, points: 2 },
  { below: 4, points: 3 },
  { below: 7, points: 4 },
  { below: 14, points: 5 },
  { points: 7 },
];
/** LACE A: acute (emergent) admission 3, elective 0. */
export const LACE_ACUTE_POINTS = 3;
/** LACE C: Charlson index 0–3 as is, >= 4 → 5. */
export const LACE_CHARLSON: readonly PointRow[] = [
  { below: 1, points: 0 },
  { below: 2, points: 1 },
  { below: 3, points: 2 },
  { below: 4, points: 3 },
  { points: 5 },
];
/** LACE E: emergency visits in the 6 months before the admission (not the index visit): 0–3 as is, >= 4 → 4. */
export const LACE_EMERGENCY_VISITS: readonly PointRow[] = [
  { below: 1, points: 0 },
  { below: 2, points: 1 },
  { below: 3, points: 2 },
  { below: 4, points: 3 },
  { points: 4 },
];
/** Bands in common use (van Walraven 2010 and later validations): 0–4 low, 5–9 moderate, >= 10 high. */
export const LACE_BANDS = { moderateFrom: 5, highFrom: 10 } as const;

function requireCount(field: string, value: number): void {
  if (!Number.isFinite(value) || value < 0) {
    throw new RangeError(`${field} must be a number >= 0 (got ${value})`);
  }
}

/** The LACE index (0–19) with its four factors. Throws RangeError naming a negative or non-numeric input. */
export function laceScore(input: {
  lengthOfStayDays: number;
  acuteAdmission: boolean;
  charlson: number;
  emergencyVisits6Months: number;
}): RiskScore {
  requireCount('lengthOfStayDays', input.lengthOfStayDays);
  requireCount('charlson', input.charlson);
  requireCount('emergencyVisits6Months', input.emergencyVisits6Months);
  const factors: RiskFactor[] = [
    {
      code: 'L',
      label: 'Length of stay (days)',
      value: input.lengthOfStayDays,
      points: pointsFor(LACE_LENGTH_OF_STAY, input.lengthOfStayDays),
    },
    {
      code: 'A',
      label: 'Acute (emergent) admission',
      value: input.acuteAdmission,
      points: input.acuteAdmission ? LACE_ACUTE_POINTS : 0,
    },
    {
      code: 'C',
      label: 'Charlson comorbidity index',
      value: input.charlson,
      points: pointsFor(LACE_CHARLSON, input.charlson),
    },
    {
      code: 'E',
      label: 'Emergency department visits in the previous 6 months',
      value: input.emergencyVisits6Months,
      points: pointsFor(LACE_EMERGENCY_VISITS, input.emergencyVisits6Months),
    },
  ];
  const total = factors.reduce((sum, f) => sum + f.points, 0);
  const band = total >= LACE_BANDS.highFrom ? 'high' : total >= LACE_BANDS.moderateFrom ? 'moderate' : 'low';
  return { instrument: 'LACE', total, max: 19, band, factors, source: LACE_SOURCE };
}

/** HOSPITAL thresholds (Donzé 2013, table 2). */
export const HOSPITAL_RULES = {
  /** Hemoglobin at discharge below this (g/dL): 1 point. */
  hemoglobinBelowGdl: 12,
  /** Sodium at discharge below this (mmol/L): 1 point. */
  sodiumBelowMmolL: 135,
  oncologyPoints: 2,
  procedurePoints: 1,
  nonElectivePoints: 1,
  /** Hospital admissions in the 12 months before: 0–1 0, 2–5 2, > 5 5. */
  priorAdmissions: [{ below: 2, points: 0 }, { below: 6, points: 2 }, { points: 5 }] as readonly PointRow[],
  /** Length of stay of at least this many days: 2 points. */
  lengthOfStayFromDays: 5,
  lengthOfStayPoints: 2,
  /** Bands: 0–4 low, 5–6 intermediate, >= 7 high. */
  bands: { intermediateFrom: 5, highFrom: 7 },
} as const;

/** The HOSPITAL score (0–13), or undefined when the discharge hemoglobin or sodium is missing. */
export function hospitalScore(input: {
  hemoglobinGdl?: number;
  sodiumMmolL?: number;
  oncologyDischarge: boolean;
  procedureDuringStay: boolean;
  nonElectiveAdmission: boolean;
  admissionsPrior12Months: number;
  lengthOfStayDays: number;
}): RiskScore | undefined {
  if (input.hemoglobinGdl === undefined || input.sodiumMmolL === undefined) return undefined;
  requireCount('hemoglobinGdl', input.hemoglobinGdl);
  requireCount('sodiumMmolL', input.sodiumMmolL);
  requireCount('admissionsPrior12Months', input.admissionsPrior12Months);
  requireCount('lengthOfStayDays', input.lengthOfStayDays);
  const r = HOSPITAL_RULES;
  const factors: RiskFactor[] = [
    {
      code: 'H',
      label: 'Hemoglobin at discharge < 12 g/dL',
      value: input.hemoglobinGdl,
      points: input.hemoglobinGdl < r.hemoglobinBelowGdl ? 1 : 0,
    },
    {
      code: 'O',
      label: 'Discharge from an oncology service',
      value: input.oncologyDischarge,
      points: input.oncologyDischarge ? r.oncologyPoints : 0,
    },
    {
      code: 'S',
      label: 'Sodium at discharge < 135 mmol/L',
      value: input.sodiumMmolL,
      points: input.sodiumMmolL < r.sodiumBelowMmolL ? 1 : 0,
    },
    {
      code: 'P',
      label: 'Procedure during the stay',
      value: input.procedureDuringStay,
      points: input.procedureDuringStay ? r.procedurePoints : 0,
    },
    {
      code: 'IT',
      label: 'Index admission type: non-elective',
      value: input.nonElectiveAdmission,
      points: input.nonElectiveAdmission ? r.nonElectivePoints : 0,
    },
    {
      code: 'A',
      label: 'Hospital admissions in the previous 12 months',
      value: input.admissionsPrior12Months,
      points: pointsFor(r.priorAdmissions, input.admissionsPrior12Months),
    },
    {
      code: 'L',
      label: 'Length of stay >= 5 days',
      value: input.lengthOfStayDays,
      points: input.lengthOfStayDays >= r.lengthOfStayFromDays ? r.lengthOfStayPoints : 0,
    },
  ];
  const total = factors.reduce((sum, f) => sum + f.points, 0);
  const band =
    total >= r.bands.highFrom ? 'high' : total >= r.bands.intermediateFrom ? 'intermediate' : 'low';
  return { instrument: 'HOSPITAL', total, max: 13, band, factors, source: HOSPITAL_SOURCE };
}

/**
 * Length of stay as LACE counts it: local discharge date minus local admission date, in days (a stay
 * that starts and ends on the same day is 0). Throws RangeError when discharge precedes admission.
 */
export function lengthOfStayDays(admittedAt: Date, dischargedAt: Date, timeZone: string): number {
  if (dischargedAt.getTime() < admittedAt.getTime()) {
    throw new RangeError('dischargedAt must not be before admittedAt');
  }
  const from = parseIsoDate(localDateString(admittedAt, timeZone)).getTime();
  const to = parseIsoDate(localDateString(dischargedAt, timeZone)).getTime();
  return Math.round((to - from) / 86_400_000);
}
