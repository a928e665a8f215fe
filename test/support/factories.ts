/** Factories for test resources: valid by default, overridable field by field. */
import type { Encounter, Observation, Patient, Practitioner, Task } from 'fhir/r4.js';

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
