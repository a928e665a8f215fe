/**
 * Resource groups: the columns of the permission matrix. Every R4 resource type falls in exactly one,
 * so a new type is governed the moment it is stored. Types in the patient compartment that are not
 * listed count as clinical; types outside it that are not listed count as directory data.
 */
import { patientCompartment } from '../../fhir/search/compartment.js';

export const resourceGroups = [
  'demographics',
  'clinical',
  'care-coordination',
  'consent',
  'financial',
  'directory',
  'audit',
] as const;
export type ResourceGroup = (typeof resourceGroups)[number];

/** What each group holds: the resource-groups table of docs/security.md (`renderResourceGroups`). */
export const groupDescriptions: Record<ResourceGroup, string> = {
  demographics: 'Patient, RelatedPerson, Person',
  clinical:
    'Condition, Observation, MedicationRequest, Encounter, Procedure, DiagnosticReport, AllergyIntolerance, Immunization, DocumentReference, QuestionnaireResponse, Flag, RiskAssessment, Provenance (of clinical data, in the compartment of the patient it targets) and every other patient-compartment type not listed elsewhere',
  'care-coordination':
    'CarePlan, CareTeam, Goal, Task, ServiceRequest, Appointment, Communication, CommunicationRequest, EpisodeOfCare, Group (a cohort names many patients, so only roles with `all` reach see one)',
  consent: 'Consent',
  financial: 'Coverage, Claim, ClaimResponse, ExplanationOfBenefit, Account, Invoice, ChargeItem',
  directory:
    'Practitioner, PractitionerRole, Organization, Location, HealthcareService, Medication, Questionnaire, PlanDefinition, ValueSet and other shared, non-patient resources',
  audit: "AuditEvent (the server's own audit trail, read-only, served from the chain)",
};

const listed: Record<string, ResourceGroup> = {
  Patient: 'demographics',
  RelatedPerson: 'demographics',
  Person: 'demographics',
  CarePlan: 'care-coordination',
  CareTeam: 'care-coordination',
  Goal: 'care-coordination',
  Task: 'care-coordination',
  ServiceRequest: 'care-coordination',
  Appointment: 'care-coordination',
  AppointmentResponse: 'care-coordination',
  Communication: 'care-coordination',
  CommunicationRequest: 'care-coordination',
  EpisodeOfCare: 'care-coordination',
  RequestGroup: 'care-coordination',
  Consent: 'consent',
  Coverage: 'financial',
  CoverageEligibilityRequest: 'financial',
  CoverageEligibilityResponse: 'financial',
  Claim: 'financial',
  ClaimResponse: 'financial',
  ExplanationOfBenefit: 'financial',
  Account: 'financial',
  Invoice: 'financial',
  ChargeItem: 'financial',
  EnrollmentRequest: 'financial',
  // The audit group is the server's own trail. Provenance says where clinical data came from (a
  // Synthea or EHR export carries one per patient): clinical data of the patient it targets (R4's
  // patient compartment, through Provenance.patient = a target that is a Patient), so it is not listed.
  AuditEvent: 'audit',
  // A cohort lists patients (a registry, a program roster): coordination data, and with no single
  // patient of its own, reached only with `all`.
  Group: 'care-coordination',
  Schedule: 'directory',
};

let compartmentTypes: Set<string> | undefined;

/** The group a resource type belongs to. */
export function groupOf(resourceType: string): ResourceGroup {
  const group = listed[resourceType];
  if (group) return group;
  compartmentTypes ??= new Set(patientCompartment().map((c) => c.type));
  return compartmentTypes.has(resourceType) ? 'clinical' : 'directory';
}

/**
 * The resource types a caregiver (proxy) may see for the patients they act for: what a patient portal
 * shows. Encounters, notes, results and financial records stay with the patient.
 */
export const patientFacingTypes = new Set([
  'Patient',
  'RelatedPerson',
  'CareTeam',
  'CarePlan',
  'Goal',
  'Appointment',
  'Communication',
  'Task',
  'Condition',
  'AllergyIntolerance',
  'MedicationRequest',
  'MedicationStatement',
  'Immunization',
  'Consent',
]);

/** The resource-groups table in docs/security.md. */
export function renderResourceGroups(): string {
  const rows = resourceGroups.map((g) => `| ${g} | ${groupDescriptions[g]} |`);
  return ['| group | resource types |', '| --- | --- |', ...rows].join('\n');
}
