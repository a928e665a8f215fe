/**
 * Who is acting, for whom and why: the one request context that travels from the edge (an HTTP
 * request, an MLLP message, a CLI command, a job) to the store, where access is decided and the audit
 * trail is written. Built by authentication (identity/) for people and tokens, by `systemContext` for
 * the server's own work.
 */

/** The roles CareLoop knows; docs/security.md gives each one's permissions. */
export const roles = [
  'admin',
  'care-coordinator',
  'physician',
  'nurse',
  'pharmacist',
  'social-worker',
  'dietitian',
  'community-health-worker',
  'community-organization',
  'patient',
  'caregiver',
  'auditor',
  'integration',
] as const;
export type Role = (typeof roles)[number];

/** What each role is called on screen and in docs. */
export const roleLabels: Record<Role, string> = {
  admin: 'Administrator',
  'care-coordinator': 'Care coordinator / case manager',
  physician: 'Physician',
  nurse: 'Nurse',
  pharmacist: 'Pharmacist',
  'social-worker': 'Social worker',
  dietitian: 'Dietitian',
  'community-health-worker': 'Community health worker',
  'community-organization': 'Community-organization staff',
  patient: 'Patient',
  caregiver: 'Caregiver (proxy)',
  auditor: 'Privacy officer / auditor',
  integration: 'Integration (system)',
};

export function isRole(value: string): value is Role {
  return (roles as readonly string[]).includes(value);
}

/** The FHIR resource types a user account may be linked to, by role. */
export const linkableTypes: Record<Role, readonly string[]> = {
  admin: ['Practitioner'],
  'care-coordinator': ['Practitioner', 'PractitionerRole'],
  physician: ['Practitioner', 'PractitionerRole'],
  nurse: ['Practitioner', 'PractitionerRole'],
  pharmacist: ['Practitioner', 'PractitionerRole'],
  'social-worker': ['Practitioner', 'PractitionerRole'],
  dietitian: ['Practitioner', 'PractitionerRole'],
  'community-health-worker': ['Practitioner', 'PractitionerRole'],
  'community-organization': ['Practitioner', 'PractitionerRole'],
  patient: ['Patient'],
  caregiver: ['RelatedPerson'],
  auditor: ['Practitioner'],
  integration: ['Device', 'Organization'],
};

/** The acting party of a request. */
export interface AccessContext {
  /** A signed-in person or a token holder (`user`), or the server acting on its own (`system`). */
  kind: 'user' | 'system';
  role: Role | 'system';
  /** users.id of the person or token owner. */
  userId?: string;
  /** The FHIR resource the user is (`Practitioner/12`, `Patient/7`, `RelatedPerson/3`), when linked. */
  resource?: string;
  /** For audit: the reference recorded as the actor (`Practitioner/12`, `User/<id>`, `Device/careloop-import`). */
  actor: string;
  /**
   * Scopes of a bearer token, SMART-style (`user/*.read`, `user/Observation.write`, `user/*.*`). They
   * narrow the role's permissions, never widen them. Absent for a session: the role applies whole.
   */
  scopes?: string[];
  /** How the request was authenticated. */
  via: 'session' | 'token' | 'system';
  /** The session or token id (never the secret), for audit and revocation. */
  credentialId?: string;
  /** v3 PurposeOfUse code: TREAT by default, ETREAT under break-the-glass, HOPERAT for operations. */
  purposeOfUse: string;
  /** Client IP address, for the audit trail. */
  clientAddress?: string;
  /** For a caregiver: the patient currently acted for (`Patient/7`). */
  onBehalfOf?: string;
  /**
   * Resource types a module's workflow lets this user write as far as they may read them (a patient:
   * their own record; a caregiver: the patients they act for), where the matrix gives their role no
   * write: a patient's own answers to a questionnaire. Set only by the server's code, never from a
   * request; the store checks, matches and audits the write as this user like any other.
   */
  serviceWrites?: readonly string[];
}

/** The server acting on its own account (imports, migrations, demo data, scheduled jobs): sees all, audited as a device. */
export function systemContext(component: string, purposeOfUse = 'HOPERAT'): AccessContext {
  return {
    kind: 'system',
    role: 'system',
    actor: `Device/careloop-${component}`,
    via: 'system',
    purposeOfUse,
  };
}
