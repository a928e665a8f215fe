/**
 * `Patient/{id}/$everything` (R4 patient-operation-everything): the patient, every resource in the
 * patient's compartment (per the spec's CompartmentDefinition), and the resources those refer to
 * that are not patient-specific (practitioners, organizations, locations, medications).
 */
import type { Bundle, Resource } from 'fhir/r4.js';
import { sql } from 'kysely';
import { badRequest } from '../outcome.js';
import { patientCompartment } from '../search/compartment.js';
import { localReference } from '../search/criteria-sql.js';
import { loadResources, loadResourcesByRid } from '../search/search.js';
import { findReferences, parseRelativeReference } from './references.js';
import type { ResourceStore } from './store.js';

/** Runs $everything for one patient; `_type` limits types, `_since` limits by last update. */
export async function patientEverything(
  store: ResourceStore,
  patientId: string,
  options: { types?: string[]; since?: string; baseUrl: string },
): Promise<Bundle> {
  return store.audited(
    'everything',
    (s) => everything(s, patientId, options),
    (bundle) => ({
      resources: (bundle.entry ?? []).map((e) => `${e.resource!.resourceType}/${e.resource!.id}`),
    }),
    { resources: [`Patient/${patientId}`] },
  );
}

async function everything(
  store: ResourceStore,
  patientId: string,
  options: { types?: string[]; since?: string; baseUrl: string },
): Promise<Bundle> {
  const patient = await store.read('Patient', patientId);
  const ex = store.executor;
  const since = options.since ? Date.parse(options.since) : undefined;
  if (options.since && Number.isNaN(since))
    throw badRequest(`_since must be an instant, not "${options.since}"`, '_since');
  const wanted = new Set(options.types ?? []);
  const pairs = patientCompartment().filter((c) => wanted.size === 0 || wanted.has(c.type));
  const rows = await sql<{
    resource_type: string;
    rid: number;
    param: string;
  }>`select distinct resource_type, rid, param from sp_reference where target_id = ${patientId} and target_type = 'Patient' and ${localReference(options.baseUrl)}`.execute(
    ex,
  );
  const allowed = new Map(pairs.map((p) => [p.type, new Set(p.params)]));
  const rids = rows.rows.filter((r) => allowed.get(r.resource_type)?.has(r.param)).map((r) => Number(r.rid));
  // Only what the acting user may see of the record (the patient itself was checked by the read),
  // before following references, so hidden records do not reveal whom they name.
  let resources = await store.filterVisible(await loadResourcesByRid(ex, rids));
  if (since !== undefined)
    resources = resources.filter((r) => Date.parse(r.meta?.lastUpdated ?? '') >= since);
  // Shaped for the user before references are followed (a Patient linked to this one, seen through a
  // referral, is trimmed, and its general practitioner is neither shown nor fetched).
  resources = await Promise.all(resources.map((r) => store.present(r)));

  // One hop out to the shared resources the record refers to, so the bundle reads on its own.
  const shared = new Set([
    'Practitioner',
    'PractitionerRole',
    'Organization',
    'Location',
    'Medication',
    'Device',
    'RelatedPerson',
  ]);
  const seen = new Set([`Patient/${patientId}`, ...resources.map((r) => `${r.resourceType}/${r.id}`)]);
  const referenced: { type: string; id: string }[] = [];
  if (resources.length > 0 || patient) {
    const ids = [patient, ...resources];
    for (const r of ids) {
      for (const { reference } of findReferences(r)) {
        const target = parseRelativeReference(reference);
        if (!target) continue;
        const key = `${target.type}/${target.id}`;
        if (shared.has(target.type) && !seen.has(key) && (wanted.size === 0 || wanted.has(target.type))) {
          seen.add(key);
          referenced.push(target);
        }
      }
    }
  }
  const extra = await store.filterVisible(await loadResources(ex, referenced));
  const all: Resource[] = [patient, ...resources, ...extra];
  return {
    resourceType: 'Bundle',
    type: 'searchset',
    total: all.length,
    entry: all.map((resource) => ({
      fullUrl: `${options.baseUrl}/${resource.resourceType}/${resource.id}`,
      resource,
      search: { mode: resource === patient || resources.includes(resource) ? 'match' : 'include' },
    })),
  };
}
