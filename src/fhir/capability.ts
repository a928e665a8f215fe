/**
 * The CapabilityStatement at /fhir/metadata, built from the same tables the store uses, so it lists
 * exactly what is supported: every R4 resource type, its interactions, the search parameters the
 * index holds, the modifiers and the operations.
 */
import type { CapabilityStatement, CapabilityStatementRestResource } from 'fhir/r4.js';
import { fhirResourceTypes } from './definitions.js';
import { patientCompartmentUrl } from './search/compartment.js';
import { indexedParams } from './search/index-rows.js';

const interactions: CapabilityStatementRestResource['interaction'] = [
  'read',
  'vread',
  'update',
  'patch',
  'delete',
  'history-instance',
  'history-type',
  'create',
  'search-type',
].map((code) => ({ code: code as 'read' }));

/** Builds the CapabilityStatement (R4 capabilitystatement.html). */
export function capabilityStatement(options: {
  baseUrl: string;
  version: string;
  now: Date;
}): CapabilityStatement {
  const resource: CapabilityStatementRestResource[] = fhirResourceTypes().map((type) => {
    const params = indexedParams(type);
    const referenceParams = params.filter((p) => p.type === 'reference');
    return {
      type: type as CapabilityStatementRestResource['type'],
      profile: `http://hl7.org/fhir/StructureDefinition/${type}`,
      interaction: interactions,
      versioning: 'versioned-update',
      readHistory: true,
      updateCreate: true,
      conditionalCreate: true,
      conditionalRead: 'not-supported',
      conditionalUpdate: true,
      conditionalDelete: 'not-supported',
      searchInclude: referenceParams.map((p) => `${type}:${p.code}`),
      searchRevInclude: [],
      searchParam: [
        { name: '_id', type: 'token', definition: 'http://hl7.org/fhir/SearchParameter/Resource-id' },
        {
          name: '_lastUpdated',
          type: 'date',
          definition: 'http://hl7.org/fhir/SearchParameter/Resource-lastUpdated',
        },
        ...params.map((p) => ({
          name: p.code,
          type: p.type as 'token',
          ...(p.definition.url ? { definition: p.definition.url } : {}),
          documentation: p.definition.description,
        })),
      ],
      ...(type === 'Patient'
        ? {
            operation: [
              {
                name: 'everything',
                definition: 'http://hl7.org/fhir/OperationDefinition/Patient-everything',
              },
            ],
          }
        : {}),
    };
  });
  // _revinclude targets: every reference parameter of any type that can point at this type.
  const byTarget = new Map<string, string[]>();
  for (const type of fhirResourceTypes()) {
    for (const p of indexedParams(type)) {
      if (p.type !== 'reference') continue;
      for (const target of p.definition.target ?? [])
        byTarget.set(target, [...(byTarget.get(target) ?? []), `${type}:${p.code}`]);
    }
  }
  for (const r of resource) r.searchRevInclude = byTarget.get(r.type) ?? [];

  return {
    resourceType: 'CapabilityStatement',
    status: 'active',
    date: options.now.toISOString(),
    publisher: 'CareLoop',
    kind: 'instance',
    software: { name: 'CareLoop', version: options.version },
    implementation: { description: 'CareLoop FHIR R4 server', url: options.baseUrl },
    fhirVersion: '4.0.1',
    format: ['application/fhir+json', 'application/json'],
    patchFormat: ['application/json-patch+json', 'application/fhir+json'],
    rest: [
      {
        mode: 'server',
        documentation:
          'Search supports the modifiers :missing, :not (token), :exact, :contains (string), :identifier and :[type] (reference), :below (uri); prefixes eq ne gt lt ge le sa eb ap; one level of chaining; _include, _revinclude, _sort, _count, _summary, _elements, _total. Compartment search: GET Patient/{id}/{type} (and POST Patient/{id}/{type}/_search) for every type of the Patient compartment.',
        // Compartment search is offered for this one (R4 CapabilityStatement.rest.compartment).
        compartment: [patientCompartmentUrl],
        resource,
        interaction: [{ code: 'transaction' }, { code: 'batch' }, { code: 'history-system' }],
        searchParam: [
          { name: '_count', type: 'number', documentation: 'Page size' },
          { name: '_sort', type: 'string', documentation: 'Sort order' },
        ],
      },
    ],
  };
}
