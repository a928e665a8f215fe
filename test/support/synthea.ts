/** The Synthea fixture bundles (test/fixtures/synthea), and their resources as the store keeps them. */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Bundle, Resource } from 'fhir/r4.js';

const synthea = fileURLToPath(new URL('../fixtures/synthea/', import.meta.url));

/** Every Synthea bundle: the hospital and practitioner information first, then one per patient. */
export function syntheaBundles(): { file: string; bundle: Bundle }[] {
  const files = [
    ...readdirSync(synthea)
      .filter((f) => f.endsWith('.json'))
      .sort(),
    ...readdirSync(join(synthea, 'patients'))
      .sort()
      .map((f) => join('patients', f)),
  ];
  return files.map((file) => ({ file, bundle: JSON.parse(readFileSync(join(synthea, file), 'utf8')) }));
}

/**
 * A bundle's resources with `urn:uuid:` references turned into `Type/id`, as an import stores them
 * (the entry's UUID is its id).
 */
export function storedResources(bundle: Bundle): Resource[] {
  const typeOf = new Map<string, string>();
  for (const e of bundle.entry ?? [])
    if (e.fullUrl && e.resource) typeOf.set(e.fullUrl, e.resource.resourceType);
  const text = JSON.stringify(bundle.entry?.map((e) => e.resource) ?? []).replace(
    /"(urn:uuid:([^"]+))"/g,
    (whole, url: string, id: string) => (typeOf.has(url) ? `"${typeOf.get(url)}/${id}"` : whole),
  );
  return JSON.parse(text);
}
