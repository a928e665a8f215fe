/**
 * Valid, realistic FHIR R4 resources for the validation tests and benchmark, shaped like what EHR feeds
 * and Synthea send (US Core extensions, several identifiers, coded values with displays).
 */
import type { Bundle, CarePlan, Condition, Encounter, Observation, Patient, Task } from 'fhir/r4.js';

const US_CORE = 'http://hl7.org/fhir/us/core/StructureDefinition';

/** A Patient with US Core race/ethnicity extensions, contact, telecom and address. */
export function buildPatient(n = 1): Patient {
  return {
    resourceType: 'Patient',
    id: `patient-${n}`,
    meta: { versionId: '1', lastUpdated: '2024-03-01T10:00:00.000Z' },
    text: { status: 'generated', div: '<div xmlns="http://www.w3.org/1999/xhtml">Ada Example</div>' },
    extension: [
      {
        url: `${US_CORE}/us-core-race`,
        extension: [
          {
            url: 'ombCategory',
            valueCoding: { system: 'urn:oid:2.16.840.1.113883.6.238', code: '2106-3', display: 'White' },
          },
          { url: 'text', valueString: 'White' },
        ],
      },
      { url: `${US_CORE}/us-core-birthsex`, valueCode: 'F' },
    ],
    identifier: [
      {
        use: 'usual',
        type: {
          coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0203', code: 'MR' }],
          text: 'MRN',
        },
        system: 'http://hospital.example.org/mrn',
        value: `MRN-${n}`,
      },
    ],
    active: true,
    name: [{ use: 'official', family: 'Example', given: ['Ada', 'M'], prefix: ['Ms.'] }],
    telecom: [
      { system: 'phone', value: '555-0100', use: 'home' },
      { system: 'email', value: 'ada@example.org' },
    ],
    gender: 'female',
    birthDate: '1948-05-17',
    address: [
      {
        use: 'home',
        type: 'physical',
        line: ['1 Main St'],
        city: 'Springfield',
        state: 'MA',
        postalCode: '01101',
      },
    ],
    maritalStatus: {
      coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-MaritalStatus', code: 'M' }],
    },
    contact: [
      {
        relationship: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0131', code: 'N' }] }],
        name: { family: 'Example', given: ['Bob'] },
        telecom: [{ system: 'phone', value: '555-0101' }],
        gender: 'male',
      },
    ],
    communication: [
      { language: { coding: [{ system: 'urn:ietf:bcp:47', code: 'en-US' }] }, preferred: true },
    ],
  };
}

/** A blood pressure panel: two components, each with a code and a Quantity value. */
export function buildObservation(n = 1): Observation {
  const quantity = (value: number) => ({
    value,
    unit: 'mmHg',
    system: 'http://unitsofmeasure.org',
    code: 'mm[Hg]',
  });
  return {
    resourceType: 'Observation',
    id: `obs-${n}`,
    status: 'final',
    category: [
      {
        coding: [
          { system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'vital-signs' },
        ],
      },
    ],
    code: { coding: [{ system: 'http://loinc.org', code: '85354-9', display: 'Blood pressure panel' }] },
    subject: { reference: `Patient/patient-${n}` },
    encounter: { reference: `Encounter/enc-${n}` },
    effectiveDateTime: '2024-03-01T10:15:00-05:00',
    issued: '2024-03-01T10:20:00.000-05:00',
    component: [
      { code: { coding: [{ system: 'http://loinc.org', code: '8480-6' }] }, valueQuantity: quantity(128) },
      { code: { coding: [{ system: 'http://loinc.org', code: '8462-4' }] }, valueQuantity: quantity(82) },
    ],
  };
}

/** A finished ambulatory Encounter. */
export function buildEncounter(n = 1): Encounter {
  return {
    resourceType: 'Encounter',
    id: `enc-${n}`,
    status: 'finished',
    class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'AMB' },
    type: [{ coding: [{ system: 'http://snomed.info/sct', code: '185349003' }], text: 'Check-up' }],
    subject: { reference: `Patient/patient-${n}` },
    participant: [{ individual: { reference: 'Practitioner/pr-1', display: 'Dr. Who' } }],
    period: { start: '2024-03-01T10:00:00-05:00', end: '2024-03-01T10:30:00-05:00' },
    serviceProvider: { reference: 'Organization/org-1' },
  };
}

/** An active, confirmed Condition (required CodeableConcept bindings on both statuses). */
export function buildCondition(n = 1): Condition {
  return {
    resourceType: 'Condition',
    id: `cond-${n}`,
    clinicalStatus: {
      coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: 'active' }],
    },
    verificationStatus: {
      coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-ver-status', code: 'confirmed' }],
    },
    category: [
      {
        coding: [
          { system: 'http://terminology.hl7.org/CodeSystem/condition-category', code: 'problem-list-item' },
        ],
      },
    ],
    code: {
      coding: [{ system: 'http://snomed.info/sct', code: '44054006', display: 'Diabetes mellitus type 2' }],
    },
    subject: { reference: `Patient/patient-${n}` },
    onsetDateTime: '2019-06-01',
    recordedDate: '2019-06-02',
  };
}

/** A requested follow-up Task owned by a practitioner. */
export function buildTask(n = 1): Task {
  return {
    resourceType: 'Task',
    id: `task-${n}`,
    status: 'requested',
    intent: 'order',
    priority: 'routine',
    code: { text: 'Follow-up call after discharge' },
    for: { reference: `Patient/patient-${n}` },
    authoredOn: '2024-03-01T11:00:00Z',
    owner: { reference: 'Practitioner/pr-1' },
    restriction: { period: { end: '2024-03-03T17:00:00Z' } },
  };
}

/** An active CarePlan with one scheduled activity. */
export function buildCarePlan(n = 1): CarePlan {
  return {
    resourceType: 'CarePlan',
    id: `cp-${n}`,
    status: 'active',
    intent: 'plan',
    title: 'Diabetes management',
    subject: { reference: `Patient/patient-${n}` },
    period: { start: '2024-03-01' },
    addresses: [{ reference: `Condition/cond-${n}` }],
    activity: [
      {
        detail: {
          kind: 'ServiceRequest',
          code: { coding: [{ system: 'http://loinc.org', code: '4548-4' }], text: 'HbA1c' },
          status: 'scheduled',
          scheduledTiming: { repeat: { frequency: 1, period: 3, periodUnit: 'mo' } },
        },
      },
    ],
  };
}

/** A transaction Bundle creating a Patient and an Observation that points at it by urn:uuid. */
export function buildTransactionBundle(): Bundle {
  const patientUrl = 'urn:uuid:8c5f2a4e-2b0c-4f41-9f0e-3f1d2f0a9b11';
  // Resources created by a transaction carry no id yet: the server assigns it.
  const { id: _patientId, ...patient } = buildPatient();
  const { id: _observationId, ...observation } = buildObservation();
  const linkedObservation: Observation = { ...observation, subject: { reference: patientUrl } };
  return {
    resourceType: 'Bundle',
    type: 'transaction',
    entry: [
      { fullUrl: patientUrl, resource: patient, request: { method: 'POST', url: 'Patient' } },
      {
        fullUrl: 'urn:uuid:0b4e7a1c-6d2f-4a3e-8c9b-1e2f3a4b5c6d',
        resource: linkedObservation,
        request: { method: 'POST', url: 'Observation' },
      },
    ],
  };
}
