/**
 * Who works in the synthetic health system and how many of them: roles, their NUCC/SNOMED codes and
 * head counts that grow (mildly) with the population size.
 */
import type { CodeDisplay } from './codes.js';

export type StaffRole =
  | 'pcp'
  | 'cardiology'
  | 'endocrinology'
  | 'nephrology'
  | 'hospitalist'
  | 'emergency'
  | 'nurse'
  | 'pharmacist'
  | 'socialWorker'
  | 'dietitian'
  | 'chw'
  | 'caseManager';

export interface StaffMember {
  readonly id: string;
  readonly display: string;
  readonly role: StaffRole;
}

export interface Site {
  readonly id: string;
  readonly name: string;
  readonly locationId: string;
}

export interface Practice extends Site {
  readonly staff: Record<'pcp' | 'nurse' | 'caseManager' | 'chw', StaffMember[]>;
}

export interface Directory {
  readonly hospital: Site & { readonly edId: string; readonly wardId: string; readonly icuId: string };
  readonly specialtyClinics: Record<'cardiology' | 'endocrinology' | 'nephrology', string>;
  readonly practices: readonly Practice[];
  readonly pharmacy: Site;
  readonly community: Record<'foodBank' | 'housing' | 'transport', Site>;
  readonly payers: { readonly medicare: Site; readonly medicaid: Site; readonly commercial: readonly Site[] };
  readonly staff: Record<StaffRole, StaffMember[]>;
}

export interface RoleDef {
  /** NUCC Health Care Provider Taxonomy code (what US Core binds PractitionerRole.code to). */
  readonly nucc: CodeDisplay;
  /** SNOMED CT practice-setting specialty, for physicians. */
  readonly specialty?: CodeDisplay;
  readonly suffix: readonly string[];
  readonly doctor: boolean;
  /** Head count as a function of the population size: max(min, ceil(patients / perPatients)), capped. */
  readonly perPatients: number;
  readonly min: number;
  readonly max: number;
}

/**
 * Staffing ratios. A US primary-care physician's panel is ~1,200-2,000 patients (AAFP); the other ratios are
 * set so that a 2,000-patient population has a small but complete interdisciplinary team.
 */
export const ROLES: Record<StaffRole, RoleDef> = {
  pcp: {
    nucc: ['207Q00000X', 'Family Medicine'],
    specialty: ['394814009', 'General practice'],
    suffix: ['MD', 'DO'],
    doctor: true,
    perPatients: 1500,
    min: 4,
    max: 100,
  },
  cardiology: {
    nucc: ['207RC0000X', 'Cardiovascular Disease'],
    specialty: ['394579002', 'Cardiology'],
    suffix: ['MD'],
    doctor: true,
    perPatients: 15000,
    min: 1,
    max: 8,
  },
  endocrinology: {
    nucc: ['207RE0101X', 'Endocrinology, Diabetes & Metabolism'],
    specialty: ['394583002', 'Endocrinology'],
    suffix: ['MD'],
    doctor: true,
    perPatients: 25000,
    min: 1,
    max: 5,
  },
  nephrology: {
    nucc: ['207RN0300X', 'Nephrology'],
    specialty: ['394589003', 'Nephrology'],
    suffix: ['MD'],
    doctor: true,
    perPatients: 25000,
    min: 1,
    max: 5,
  },
  hospitalist: {
    nucc: ['208M00000X', 'Hospitalist'],
    specialty: ['394802001', 'General medicine'],
    suffix: ['MD', 'DO'],
    doctor: true,
    perPatients: 6000,
    min: 2,
    max: 20,
  },
  emergency: {
    nucc: ['207P00000X', 'Emergency Medicine'],
    suffix: ['MD', 'DO'],
    doctor: true,
    perPatients: 8000,
    min: 2,
    max: 15,
  },
  nurse: {
    nucc: ['163W00000X', 'Registered Nurse'],
    suffix: ['RN'],
    doctor: false,
    perPatients: 2000,
    min: 3,
    max: 60,
  },
  pharmacist: {
    nucc: ['183500000X', 'Pharmacist'],
    suffix: ['PharmD'],
    doctor: false,
    perPatients: 20000,
    min: 1,
    max: 5,
  },
  socialWorker: {
    nucc: ['104100000X', 'Social Worker'],
    suffix: ['LCSW', 'LISW'],
    doctor: false,
    perPatients: 5000,
    min: 1,
    max: 20,
  },
  dietitian: {
    nucc: ['133V00000X', 'Dietitian, Registered'],
    suffix: ['RDN'],
    doctor: false,
    perPatients: 10000,
    min: 1,
    max: 10,
  },
  chw: {
    nucc: ['172V00000X', 'Community Health Worker'],
    suffix: ['CHW'],
    doctor: false,
    perPatients: 4000,
    min: 1,
    max: 25,
  },
  caseManager: {
    nucc: ['171M00000X', 'Case Manager/Care Coordinator'],
    suffix: ['RN, CCM', 'LSW'],
    doctor: false,
    perPatients: 2500,
    min: 2,
    max: 40,
  },
};

export const PRACTICE_NAMES = [
  'Northside Family Medicine',
  'Eastgate Primary Care',
  'Southfield Internal Medicine',
];

/** How many practices serve a population: two for small demos, three from 1,000 patients up. */
export function practiceCount(patients: number): number {
  return patients < 1000 ? 2 : 3;
}

/** Staff head count for a role and population size. */
export function staffCount(role: StaffRole, patients: number): number {
  const def = ROLES[role];
  return Math.min(def.max, Math.max(def.min, Math.ceil(patients / def.perPatients)));
}
