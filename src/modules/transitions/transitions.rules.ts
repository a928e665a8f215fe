/**
 * The ADT → FHIR mapping tables and CareLoop's own code systems for transitions of care, as data with
 * their sources. adt-*.ts apply them; docs/transitions.md renders them.
 */
import type { Coding } from 'fhir/r4.js';

/** Where each mapping comes from. */
export const sources = {
  v2: {
    title: 'HL7 Version 2.5.1, chapter 3 (Patient Administration) and chapter 2A (data types)',
    url: 'https://www.hl7.org/implement/standards/product_brief.cfm?product_id=144',
  },
  v2ToFhir: {
    title:
      'HL7 v2-to-FHIR Implementation Guide (segment and vocabulary maps: PID → Patient, PV1 → Encounter)',
    url: 'https://build.fhir.org/ig/HL7/v2-to-fhir/',
  },
} as const;

const ACT_CODE = 'http://terminology.hl7.org/CodeSystem/v3-ActCode';

/** Identifier systems made from an HL7 assigning authority (CX-4 / XCN-9 / EI-2). */
export const HL7_AUTHORITY_PREFIX = 'urn:careloop:hl7-authority:';
/** Encounter.identifier system prefix of visit numbers (PV1-19), per assigning authority. */
export const HL7_VISIT_PREFIX = 'urn:careloop:hl7-visit:';
/** Encounter.identifier system prefix of patient account numbers (PID-18), the visit key's fallback. */
export const HL7_ACCOUNT_PREFIX = 'urn:careloop:hl7-account:';
/** Location.identifier system of point-of-care/room/bed keys (PV1-3). */
export const HL7_LOCATION_SYSTEM = 'urn:careloop:hl7-location';
/** Organization.identifier system of facility names (PV1-39, MSH-4). */
export const HL7_FACILITY_SYSTEM = 'urn:careloop:hl7-facility';
/** Assigning authorities with a published FHIR system (CX-4 ^ CX-5) instead of the urn above. */
export const knownAuthorities: Record<string, string> = {
  'USSSA|SS': 'http://hl7.org/fhir/sid/us-ssn',
  // CareLoop's own medical record numbers (the demo population's, src/generator/codes.ts): a feed
  // that sends PID-3 `<mrn>^^^CARELOOP^MR` finds the patients CareLoop already holds.
  'CARELOOP|MR': 'http://careloop.example/mrn',
};

/** CareLoop code systems and extensions of this module. */
export const TRANSITION_SYSTEM = 'https://careloop.org/fhir/CodeSystem/transition';
export const TASK_CODE_SYSTEM = 'https://careloop.org/fhir/CodeSystem/task-code';
export const RISK_SCORE_SYSTEM = 'https://careloop.org/fhir/CodeSystem/readmission-risk-score';
export const CONTACT_OUTCOME_SYSTEM = 'https://careloop.org/fhir/CodeSystem/tcm-contact-outcome';
export const CONTACT_OUTCOME_EXTENSION = 'https://careloop.org/fhir/StructureDefinition/tcm-contact-outcome';
export const TCM_PERIOD_EXTENSION = 'https://careloop.org/fhir/StructureDefinition/tcm-service-period';
export const TCM_COMPLEXITY_EXTENSION = 'https://careloop.org/fhir/StructureDefinition/tcm-complexity';
export const RISK_FACTOR_EXTENSION = 'https://careloop.org/fhir/StructureDefinition/risk-factor';
export const RELATED_ENCOUNTER_EXTENSION = 'https://careloop.org/fhir/StructureDefinition/related-encounter';
/** Identifier systems that make the module's writes idempotent (value `<encounter id>:<kind>`). */
export const DIAGNOSIS_ID_SYSTEM = 'https://careloop.org/fhir/encounter-diagnosis';
export const TCM_TASK_ID_SYSTEM = 'https://careloop.org/fhir/tcm-task';
export const NOTIFICATION_ID_SYSTEM = 'https://careloop.org/fhir/transition-notification';
export const RISK_ID_SYSTEM = 'https://careloop.org/fhir/readmission-risk';
export const READMISSION_ID_SYSTEM = 'https://careloop.org/fhir/readmission';
/** meta.tag on Encounters: discharged by an A03, readmitted / a readmission within 30 days. */
export const DISCHARGE_TAG: Coding = { system: TRANSITION_SYSTEM, code: 'discharge' };
export const READMITTED_TAG: Coding = { system: TRANSITION_SYSTEM, code: 'readmitted-within-30-days' };
export const READMISSION_TAG: Coding = { system: TRANSITION_SYSTEM, code: 'readmission-within-30-days' };

/**
 * PV1-2 patient class (HL7 table 0004) → Encounter.class (v3 ActCode), per the v2-to-FHIR vocabulary
 * map "PatientClass": E emergency, I inpatient, O outpatient → ambulatory, P preadmit → pre-admission,
 * R recurring patient → ambulatory, B obstetrics → inpatient, U unknown → no class known.
 */
export const patientClassMap: Record<string, Coding> = {
  E: { system: ACT_CODE, code: 'EMER', display: 'emergency' },
  I: { system: ACT_CODE, code: 'IMP', display: 'inpatient encounter' },
  O: { system: ACT_CODE, code: 'AMB', display: 'ambulatory' },
  P: { system: ACT_CODE, code: 'PRENC', display: 'pre-admission' },
  R: { system: ACT_CODE, code: 'AMB', display: 'ambulatory' },
  B: { system: ACT_CODE, code: 'IMP', display: 'inpatient encounter' },
};
/** Encounter.class is required: an unknown or absent PV1-2 is recorded as v3 NullFlavor UNK. */
export const unknownClass: Coding = {
  system: 'http://terminology.hl7.org/CodeSystem/v3-NullFlavor',
  code: 'UNK',
  display: 'unknown',
};

/**
 * PV1-4 admission type (HL7 table 0007) → Encounter.priority (v3 ActPriority). E emergency, U urgent
 * and A accident are acute/emergent admissions (LACE "A", HOSPITAL "non-elective"); C elective and R
 * routine are not.
 */
export const admissionTypeMap: Record<string, { priority: Coding; acute: boolean }> = {
  E: {
    priority: {
      system: 'http://terminology.hl7.org/CodeSystem/v3-ActPriority',
      code: 'EM',
      display: 'emergency',
    },
    acute: true,
  },
  U: {
    priority: {
      system: 'http://terminology.hl7.org/CodeSystem/v3-ActPriority',
      code: 'UR',
      display: 'urgent',
    },
    acute: true,
  },
  A: {
    priority: {
      system: 'http://terminology.hl7.org/CodeSystem/v3-ActPriority',
      code: 'EM',
      display: 'emergency',
    },
    acute: true,
  },
  C: {
    priority: {
      system: 'http://terminology.hl7.org/CodeSystem/v3-ActPriority',
      code: 'EL',
      display: 'elective',
    },
    acute: false,
  },
  R: {
    priority: {
      system: 'http://terminology.hl7.org/CodeSystem/v3-ActPriority',
      code: 'R',
      display: 'routine',
    },
    acute: false,
  },
};
export const V2_ADMISSION_TYPE = 'http://terminology.hl7.org/CodeSystem/v2-0007';

/** PV1-36 discharge disposition, HL7 table 0112 (user-defined; the standard's suggested values). */
export const V2_DISPOSITION = 'http://terminology.hl7.org/CodeSystem/v2-0112';
export const dispositionNames: Record<string, string> = {
  '01': 'Discharged to home or self care (routine discharge)',
  '02': 'Discharged/transferred to another short-term general hospital for inpatient care',
  '03': 'Discharged/transferred to skilled nursing facility (SNF)',
  '04': 'Discharged/transferred to an intermediate care facility (ICF)',
  '05': 'Discharged/transferred to another type of institution for inpatient care',
  '06': 'Discharged/transferred to home under care of organized home health service organization',
  '07': 'Left against medical advice or discontinued care',
  '08': 'Discharged/transferred to home under care of Home IV provider',
  '09': 'Admitted as an inpatient to this hospital',
  '20': 'Expired',
  '30': 'Still patient or expected to return for outpatient services',
};
/** Table 0112 code 20: the patient died (a death notification follows). */
export const EXPIRED = '20';

/** PID-8 administrative sex (table 0001) → FHIR gender (v2-to-FHIR map "AdministrativeSex"). */
export const sexMap: Record<string, 'male' | 'female' | 'other' | 'unknown'> = {
  F: 'female',
  M: 'male',
  O: 'other',
  A: 'other',
  U: 'unknown',
  N: 'unknown',
};

/** XPN-7 name type (table 0200) → HumanName.use (v2-to-FHIR map "NameType"). */
export const nameUseMap: Record<
  string,
  'official' | 'usual' | 'maiden' | 'nickname' | 'anonymous' | 'temp' | 'old'
> = {
  L: 'official',
  D: 'usual',
  M: 'maiden',
  N: 'nickname',
  S: 'anonymous',
  T: 'temp',
  A: 'usual',
  BAD: 'old',
};

/** XAD-7 address type (table 0190) → Address.use. */
export const addressUseMap: Record<string, 'home' | 'work' | 'temp' | 'old'> = {
  H: 'home',
  B: 'work',
  O: 'work',
  C: 'temp',
  BA: 'old',
};

/** XTN-2 telecom use (table 0201) and XTN-3 equipment (table 0202) → ContactPoint use and system. */
export const telecomUseMap: Record<string, 'home' | 'work' | 'mobile' | 'temp'> = {
  PRN: 'home',
  ORN: 'home',
  VHN: 'home',
  WPN: 'work',
  EMR: 'temp',
};
export const telecomSystemMap: Record<string, 'phone' | 'fax' | 'email' | 'pager' | 'other'> = {
  PH: 'phone',
  CP: 'phone',
  FX: 'fax',
  BP: 'pager',
  Internet: 'email',
  'X.400': 'email',
  TDD: 'other',
  TTY: 'other',
  MD: 'other',
};

/** DG1-3.3 coding systems that mean ICD-10 (HL7 table 0396: I10, I10C (ICD-10-CM), ICD10 as sent by some). */
export const icd10Systems: Record<string, string> = {
  I10: 'http://hl7.org/fhir/sid/icd-10',
  ICD10: 'http://hl7.org/fhir/sid/icd-10',
  I10C: 'http://hl7.org/fhir/sid/icd-10-cm',
  'ICD-10-CM': 'http://hl7.org/fhir/sid/icd-10-cm',
};
/** Other DG1-3.3 / PR1-3.3 systems CareLoop recognises. */
export const otherCodeSystems: Record<string, string> = {
  SCT: 'http://snomed.info/sct',
  SNM: 'http://snomed.info/sct',
  I9: 'http://hl7.org/fhir/sid/icd-9-cm',
  I9C: 'http://hl7.org/fhir/sid/icd-9-cm',
  LN: 'http://loinc.org',
  C4: 'http://www.ama-assn.org/go/cpt',
};
/** DG1-6 diagnosis type (table 0052) → Encounter.diagnosis.use (diagnosis-role). */
export const diagnosisUseMap: Record<string, string> = { A: 'AD', F: 'DD', W: 'CC' };

/** The kinds of care-team notification, one per (encounter, kind). */
export const notificationKinds = ['emergency', 'admission', 'discharge', 'death', 'readmission'] as const;
export type NotificationKind = (typeof notificationKinds)[number];
