/**
 * The demo population `npm start` loads into an empty database: a generated population imported
 * bundle by bundle through the same transaction path as any client's.
 */

import { prepareBundle } from '../fhir/import/import-files.js';
import { processBundle } from '../fhir/store/bundle.js';
import type { ResourceStore } from '../fhir/store/store.js';
import { generateBundles } from './generate-population.js';

/** Loads `patients` generated patients when the store holds no Patient; returns undefined otherwise. */
export async function loadDemoData(
  store: ResourceStore,
  options: { patients: number; seed?: string; now?: Date },
): Promise<{ patients: number; resources: number; seconds: number } | undefined> {
  const existing = await store.executor
    .selectFrom('resources')
    .select('id')
    .where('resource_type', '=', 'Patient')
    .limit(1)
    .execute();
  if (existing.length > 0) return undefined;
  const started = performance.now();
  let resources = 0;
  for (const bundle of generateBundles({
    patients: options.patients,
    seed: options.seed ?? 'careloop-demo',
    now: options.now ?? store.options.clock.now(),
  })) {
    await processBundle(store, prepareBundle(bundle), { baseUrl: 'urn:careloop:demo' });
    resources += bundle.entry?.length ?? 0;
  }
  return { patients: options.patients, resources, seconds: (performance.now() - started) / 1000 };
}
