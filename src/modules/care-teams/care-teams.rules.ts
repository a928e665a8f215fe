/**
 * Who may sit on a care team, as data: the roles CareLoop offers with their codes. Occupations are
 * SNOMED CT (the US Core Care Team Member Function value set, as the generator uses them); SNOMED has
 * no community-health-worker occupation, so that one is the NUCC taxonomy code, and a family
 * caregiver is a RelatedPerson with SNOMED 133932002 Caregiver (person).
 */
export const SNOMED = 'http://snomed.info/sct';
export const NUCC = 'http://nucc.org/provider-taxonomy';

export interface CareTeamRole {
  code: string;
  system: string;
  display: string;
  /** What a person in this role is on the team: staff (Practitioner, PractitionerRole, Organization) or family. */
  member: 'staff' | 'family';
}

export const careTeamRoles: CareTeamRole[] = [
  { code: '768832004', system: SNOMED, display: 'Case manager', member: 'staff' },
  { code: '446050000', system: SNOMED, display: 'Primary care physician', member: 'staff' },
  { code: '309343006', system: SNOMED, display: 'Physician', member: 'staff' },
  { code: '17561000', system: SNOMED, display: 'Cardiologist', member: 'staff' },
  { code: '61894003', system: SNOMED, display: 'Endocrinologist', member: 'staff' },
  { code: '11911009', system: SNOMED, display: 'Nephrologist', member: 'staff' },
  { code: '224535009', system: SNOMED, display: 'Registered nurse', member: 'staff' },
  { code: '46255001', system: SNOMED, display: 'Pharmacist', member: 'staff' },
  { code: '106328005', system: SNOMED, display: 'Social worker', member: 'staff' },
  { code: '159033005', system: SNOMED, display: 'Dietitian', member: 'staff' },
  { code: '172V00000X', system: NUCC, display: 'Community health worker', member: 'staff' },
  { code: '133932002', system: SNOMED, display: 'Family caregiver', member: 'family' },
];

/** The role of a code, or undefined when CareLoop does not offer it. */
export function careTeamRole(code: string): CareTeamRole | undefined {
  return careTeamRoles.find((r) => r.code === code);
}

/** Reference types a member may have. */
export const staffMemberTypes = /^(Practitioner|PractitionerRole|Organization)\/[A-Za-z0-9\-.]{1,64}$/;
export const familyMemberTypes = /^RelatedPerson\/[A-Za-z0-9\-.]{1,64}$/;
