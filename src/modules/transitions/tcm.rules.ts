/**
 * Transitional Care Management (CPT 99495 / 99496) as data and plain functions: which discharges
 * qualify, when the contact, visit and medication reconciliation are due, and which code the
 * complexity points to. Source: CMS MLN908628 "Transitional Care Management Services" (fact sheet)
 * and the CMS TCM FAQs; discharge disposition codes from HL7 v2 table 0112 (in the US the NUBC
 * UB-04 patient discharge status codes) and the FHIR discharge-disposition code system.
 */
import { addBusinessDays, addCalendarDays, type BusinessCalendar } from '../../platform/business-calendar.js';
import { endOfLocalDay, localDateString } from '../tasks/due-dates.js';

export const TCM_SOURCE = {
  title: 'CMS MLN908628 Transitional Care Management Services (fact sheet)',
  url: 'https://www.cms.gov/outreach-and-education/medicare-learning-network-mln/mlnproducts/downloads/transitional-care-management-services-fact-sheet-icn908628.pdf',
} as const;

export const DISCHARGE_DISPOSITION_SOURCE = {
  title:
    'HL7 v2 table 0112 Discharge Disposition (US: NUBC UB-04 patient discharge status) and FHIR discharge-disposition',
  url: 'https://terminology.hl7.org/CodeSystem-v2-0112.html',
  fhir: 'http://terminology.hl7.org/CodeSystem/discharge-disposition',
} as const;

/**
 * Encounter classes (v3 ActCode) that are a facility stay CMS counts: inpatient acute (IMP, ACUTE),
 * inpatient non-acute (NONAC: psychiatric, rehabilitation, long-term care hospital, SNF) and
 * observation (OBSENC). EMER, AMB, SS, HH, VR and the rest are not, unless `hospitalizationType`
 * says observation or partial hospitalization (feeds often send those as outpatient classes).
 */
export const QUALIFYING_ENCOUNTER_CLASSES: Readonly<Record<string, string>> = {
  IMP: 'inpatient stay',
  ACUTE: 'inpatient acute stay',
  NONAC: 'inpatient non-acute stay (psychiatric, rehabilitation, long-term care hospital, SNF)',
  OBSENC: 'observation stay',
};

/** Hospitalization types (lower case, spaces and underscores as hyphens) that name a CMS facility setting. */
export const QUALIFYING_HOSPITALIZATION_TYPES: Readonly<Record<string, string>> = {
  'inpatient-acute': 'inpatient acute care hospital',
  acute: 'inpatient acute care hospital',
  psychiatric: 'inpatient psychiatric hospital',
  'inpatient-psychiatric': 'inpatient psychiatric hospital',
  psych: 'inpatient psychiatric hospital',
  rehabilitation: 'inpatient rehabilitation facility',
  'inpatient-rehabilitation': 'inpatient rehabilitation facility',
  irf: 'inpatient rehabilitation facility',
  'long-term-care-hospital': 'long-term care hospital',
  ltch: 'long-term care hospital',
  'skilled-nursing': 'skilled nursing facility',
  'skilled-nursing-facility': 'skilled nursing facility',
  snf: 'skilled nursing facility',
  observation: 'hospital outpatient observation',
  obs: 'hospital outpatient observation',
  'partial-hospitalization': 'partial hospitalization',
  php: 'partial hospitalization',
};

/** Discharge disposition → does the patient go to a community setting (home, domiciliary, assisted living)? */
export const DISCHARGE_DISPOSITIONS: Readonly<Record<string, { meaning: string; community: boolean }>> = {
  // HL7 v2 table 0112 / NUBC patient discharge status. Assisted living and domiciliary are coded 01.
  '01': { meaning: 'home or self care (includes assisted living, domiciliary)', community: true },
  '02': { meaning: 'transfer to a short-term general hospital', community: false },
  '03': { meaning: 'transfer to a skilled nursing facility', community: false },
  '04': { meaning: 'transfer to an intermediate care facility', community: false },
  '05': { meaning: 'transfer to another type of institution', community: false },
  '06': { meaning: 'home under the care of a home health service', community: true },
  '07': { meaning: 'left against medical advice (goes home)', community: true },
  '08': { meaning: 'home under the care of a home IV provider', community: true },
  '09': { meaning: 'admitted as an inpatient to this hospital', community: false },
  '20': { meaning: 'expired', community: false },
  '21': { meaning: 'discharged to court or law enforcement', community: false },
  '30': { meaning: 'still a patient', community: false },
  '40': { meaning: 'expired at home (hospice)', community: false },
  '41': { meaning: 'expired in a medical facility (hospice)', community: false },
  '42': { meaning: 'expired, place unknown (hospice)', community: false },
  '43': { meaning: 'transfer to a federal health care facility', community: false },
  '50': { meaning: 'hospice at home', community: true },
  '51': { meaning: 'hospice in a medical facility', community: false },
  '61': { meaning: 'transfer to a hospital swing bed', community: false },
  '62': { meaning: 'transfer to an inpatient rehabilitation facility', community: false },
  '63': { meaning: 'transfer to a long-term care hospital', community: false },
  '64': { meaning: 'transfer to a Medicaid-certified nursing facility', community: false },
  '65': { meaning: 'transfer to a psychiatric hospital', community: false },
  '66': { meaning: 'transfer to a critical access hospital', community: false },
  '69': { meaning: 'transfer to a designated disaster alternative care site', community: false },
  '70': { meaning: 'transfer to another type of health care institution', community: false },
  '81': { meaning: 'home or self care, planned readmission', community: true },
  '86': { meaning: 'home health, planned readmission', community: true },
  // FHIR R4 discharge-disposition codes, for Encounters that arrive as FHIR rather than HL7 v2.
  home: { meaning: 'home', community: true },
  'alt-home': { meaning: 'alternative home (e.g. a relative’s home)', community: true },
  aadvice: { meaning: 'left against advice (goes home)', community: true },
  'other-hcf': { meaning: 'other health care facility', community: false },
  hosp: { meaning: 'hospice (facility)', community: false },
  long: { meaning: 'long-term care', community: false },
  psy: { meaning: 'psychiatric hospital', community: false },
  rehab: { meaning: 'rehabilitation', community: false },
  snf: { meaning: 'skilled nursing facility', community: false },
  exp: { meaning: 'expired', community: false },
};

export interface TcmQualificationInput {
  /** v3 ActCode: IMP, ACUTE, NONAC, OBSENC, EMER, AMB, SS, HH … */
  encounterClass: string;
  /** Admit source (PV1-14); CMS's rule does not depend on it, so it is not used. */
  admitSource?: string;
  /** HL7 table 0112 code (e.g. '01' home) or FHIR discharge-disposition code. */
  dischargeDisposition?: string;
  /** Setting of the stay when the class alone does not say it (e.g. 'observation', 'snf', 'partial-hospitalization'). */
  hospitalizationType?: string;
}

/** Whether a discharge starts a TCM period, and why (in words a coordinator can read). */
export function tcmQualification(input: TcmQualificationInput): { qualifies: boolean; reason: string } {
  const encounterClass = input.encounterClass.trim().toUpperCase();
  const typeKey = input.hospitalizationType
    ?.trim()
    .toLowerCase()
    .replace(/[\s_]+/g, '-');
  const setting =
    (typeKey ? QUALIFYING_HOSPITALIZATION_TYPES[typeKey] : undefined) ??
    QUALIFYING_ENCOUNTER_CLASSES[encounterClass];
  if (!setting) {
    const what = input.hospitalizationType
      ? `class ${encounterClass}, type ${input.hospitalizationType}`
      : `class ${encounterClass}`;
    return {
      qualifies: false,
      reason: `Not a qualifying facility stay (${what}): TCM follows inpatient, psychiatric, rehabilitation, long-term care hospital, SNF, observation or partial hospitalization stays.`,
    };
  }
  const code = input.dischargeDisposition?.trim();
  if (!code) {
    return {
      qualifies: true,
      reason: `Discharge from ${setting}; no discharge disposition was sent, so a return to the community (home) is assumed.`,
    };
  }
  const disposition = DISCHARGE_DISPOSITIONS[code] ?? DISCHARGE_DISPOSITIONS[code.toLowerCase()];
  if (!disposition) {
    return {
      qualifies: false,
      reason: `Discharge from ${setting} with an unknown discharge disposition ${code}: check where the patient went.`,
    };
  }
  return disposition.community
    ? {
        qualifies: true,
        reason: `Discharge from ${setting} to the community: ${disposition.meaning} (${code}).`,
      }
    : {
        qualifies: false,
        reason: `Discharge from ${setting} but not to a community setting: ${disposition.meaning} (${code}).`,
      };
}

export interface TcmDeadlines {
  /** End of the 2nd business day after the discharge day: interactive contact (phone, direct, electronic). */
  contactDue: Date;
  /** End of the discharge day + 7 (99496) or + 14 (99495) calendar days: face-to-face visit. */
  visitDue: Date;
  /** Medication reconciliation: no later than the face-to-face visit. */
  medicationReconciliationDue: Date;
  /** End of the 30-day service period: discharge day + 29. */
  periodEnd: Date;
  cpt: '99495' | '99496';
  visitDays: 7 | 14;
}

/** The TCM deadlines of a discharge, as instants at the end of the local day (23:59:59.999 in `timeZone`). */
export function tcmDeadlines(input: {
  dischargedAt: Date;
  timeZone: string;
  calendar: BusinessCalendar;
  highComplexity: boolean;
}): TcmDeadlines {
  const dischargeDay = localDateString(input.dischargedAt, input.timeZone);
  const end = (date: string) => endOfLocalDayMs(date, input.timeZone);
  const visitDays = input.highComplexity ? 7 : 14;
  const visitDue = end(addCalendarDays(dischargeDay, visitDays));
  return {
    contactDue: end(addBusinessDays(input.calendar, dischargeDay, 2)),
    visitDue,
    medicationReconciliationDue: new Date(visitDue.getTime()),
    periodEnd: end(addCalendarDays(dischargeDay, 29)),
    cpt: input.highComplexity ? '99496' : '99495',
    visitDays,
  };
}

/** 23:59:59.999 local time on `date` (the last instant of that day in the zone). */
function endOfLocalDayMs(date: string, timeZone: string): Date {
  const [year, month, day] = date.split('-').map(Number) as [number, number, number];
  return new Date(endOfLocalDay(year, month, day, timeZone).getTime() + 999);
}

/** LACE and HOSPITAL levels that count as high risk (see readmission-risk.rules.ts for their bands). */
export const HIGH_COMPLEXITY_THRESHOLDS = { lace: 10, hospital: 7 } as const;

/**
 * Whether to plan for high-complexity TCM (99496: visit within 7 days). CMS leaves complexity to
 * medical decision making; CareLoop proposes high when a readmission score is in its high band
 * (LACE >= 10, HOSPITAL >= 7) and the clinician's call overrides in either direction.
 */
export function tcmComplexity(input: {
  lace?: number;
  hospital?: number;
  clinicianSays?: 'high' | 'moderate';
}): { high: boolean; reason: string } {
  if (input.clinicianSays === 'high') return { high: true, reason: 'Clinician assessed high complexity.' };
  if (input.clinicianSays === 'moderate') {
    return { high: false, reason: 'Clinician assessed moderate complexity.' };
  }
  // The reason names the band, not the scores: the task is read by people who may not see the
  // RiskAssessment (it carries the labels of what it was computed from); the scores are on it.
  const { lace, hospital } = HIGH_COMPLEXITY_THRESHOLDS;
  const reasons: string[] = [];
  if (input.lace !== undefined && input.lace >= lace) reasons.push(`LACE ≥ ${lace}`);
  if (input.hospital !== undefined && input.hospital >= hospital) reasons.push(`HOSPITAL ≥ ${hospital}`);
  if (reasons.length > 0) return { high: true, reason: `High readmission risk: ${reasons.join(', ')}.` };
  const scores = [
    input.lace !== undefined ? `LACE < ${lace}` : undefined,
    input.hospital !== undefined ? `HOSPITAL < ${hospital}` : undefined,
  ].filter(Boolean);
  return {
    high: false,
    reason:
      scores.length > 0
        ? `Readmission risk below the high band (${scores.join(', ')}): moderate complexity until a clinician says otherwise.`
        : 'No readmission score: moderate complexity until a clinician says otherwise.',
  };
}
