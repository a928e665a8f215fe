/** Factories for test resources: valid by default, overridable field by field. */
import type {
  CarePlan,
  CareTeam,
  Condition,
  Consent,
  Coverage,
  Encounter,
  Group,
  Observation,
  Patient,
  Practitioner,
  Task,
} from 'fhir/r4.js';

export function buildPatient(overrides: Partial<Patient> = {}): Patient {
  return {
    resourceType: 'Patient',
    identifier: [{ system: 'http://careloop.example/mrn', value: 'MRN-1' }],
    name: [{ family: 'Rivera', given: ['Ana', 'Lucia'] }],
    gender: 'female',
    birthDate: '1956-04-12',
    ...overrides,
  };
}

export function buildPractitioner(overrides: Partial<Practitioner> = {}): Practitioner {
  return {
    resourceType: 'Practitioner',
    name: [{ family: 'Okafor', given: ['Chidi'], prefix: ['Dr'] }],
    ...overrides,
  };
}

export function buildObservation(patientId: string, overrides: Partial<Observation> = {}): Observation {
  return {
    resourceType: 'Observation',
    status: 'final',
    category: [
      {
        coding: [
          { system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'laboratory' },
        ],
      },
    ],
    code: {
      coding: [
        { system: 'http://loinc.org', code: '4548-4', display: 'Hemoglobin A1c/Hemoglobin.total in Blood' },
      ],
    },
    subject: { reference: `Patient/${patientId}` },
    effectiveDateTime: '2026-10-01T09:30:00Z',
    valueQuantity: { value: 7.2, unit: '%', system: 'http://unitsofmeasure.org', code: '%' },
    ...overrides,
  };
}

export function buildEncounter(patientId: string, overrides: Partial<Encounter> = {}): Encounter {
  return {
    resourceType: 'Encounter',
    status: 'finished',
    class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'IMP' },
    subject: { reference: `Patient/${patientId}` },
    period: { start: '2026-11-20T08:00:00Z', end: '2026-11-24T15:00:00Z' },
    ...overrides,
  };
}

export function buildCondition(patientId: string, overrides: Partial<Condition> = {}): Condition {
  return {
    resourceType: 'Condition',
    clinicalStatus: {
      coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: 'active' }],
    },
    code: {
      coding: [
        { system: 'http://hl7.org/fhir/sid/icd-10-cm', code: 'E11.9', display: 'Type 2 diabetes mellitus' },
      ],
    },
    subject: { reference: `Patient/${patientId}` },
    recordedDate: '2026-10-01',
    ...overrides,
  };
}

/** An actual Group of persons with these members (Patient/…). */
export function buildGroup(members: string[], overrides: Partial<Group> = {}): Group {
  return {
    resourceType: 'Group',
    type: 'person',
    actual: true,
    name: 'Diabetes clinic cohort',
    member: members.map((reference) => ({ entity: { reference } })),
    ...overrides,
  };
}

export function buildTask(patientId: string, overrides: Partial<Task> = {}): Task {
  return {
    resourceType: 'Task',
    status: 'requested',
    intent: 'order',
    priority: 'routine',
    code: { text: 'Follow-up call after discharge' },
    for: { reference: `Patient/${patientId}` },
    authoredOn: '2026-11-24T16:00:00Z',
    restriction: { period: { end: '2026-11-26T23:59:59Z' } },
    ...overrides,
  };
}

export function buildCarePlan(patientId: string, overrides: Partial<CarePlan> = {}): CarePlan {
  return {
    resourceType: 'CarePlan',
    status: 'active',
    intent: 'plan',
    title: 'Diabetes care plan',
    subject: { reference: `Patient/${patientId}` },
    ...overrides,
  };
}

export function buildCoverage(patientId: string, overrides: Partial<Coverage> = {}): Coverage {
  return {
    resourceType: 'Coverage',
    status: 'active',
    beneficiary: { reference: `Patient/${patientId}` },
    payor: [{ display: 'State Medicaid' }],
    ...overrides,
  };
}

/** An active CareTeam for the patient with these members (Practitioner/…, PractitionerRole/…, Organization/…). */
export function buildCareTeam(
  patientId: string,
  members: string[],
  overrides: Partial<CareTeam> = {},
): CareTeam {
  return {
    resourceType: 'CareTeam',
    status: 'active',
    subject: { reference: `Patient/${patientId}` },
    participant: members.map((reference) => ({ member: { reference } })),
    ...overrides,
  };
}

/**
 * An active privacy Consent of the patient: `permit` (or `deny`) for the actors and security labels
 * given (v3 ActCode codes such as ETH, PSY).
 */
export function buildPrivacyConsent(
  patientId: string,
  provision: { type: 'permit' | 'deny'; actors?: string[]; labels?: string[] },
  overrides: Partial<Consent> = {},
): Consent {
  return {
    resourceType: 'Consent',
    status: 'active',
    scope: {
      coding: [{ system: 'http://terminology.hl7.org/CodeSystem/consentscope', code: 'patient-privacy' }],
    },
    category: [{ coding: [{ system: 'http://loinc.org', code: '59284-0' }] }],
    patient: { reference: `Patient/${patientId}` },
    dateTime: '2026-11-01T10:00:00Z',
    // ppc-1: a privacy consent names its policy; OPTIN is the v3 "opt-in" basis.
    policyRule: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'OPTIN' }] },
    provision: {
      type: provision.type,
      ...(provision.actors
        ? {
            actor: provision.actors.map((reference) => ({
              role: {
                coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-RoleCode', code: 'PRS' }],
              },
              reference: { reference },
            })),
          }
        : {}),
      ...(provision.labels
        ? {
            securityLabel: provision.labels.map((code) => ({
              system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode',
              code,
            })),
          }
        : {}),
    },
    ...overrides,
  };
}

/** meta.security with v3 ActCode sensitivity labels (ETH, PSY, HIV, ...). */
export function securityLabels(...codes: string[]) {
  return {
    security: codes.map((code) => ({ system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code })),
  };
}
