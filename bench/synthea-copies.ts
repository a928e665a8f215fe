/**
 * Makes the Synthea patient bundles of test/fixtures/synthea repeatable: `--copies N` writes each
 * bundle N times, each copy with ids and identifiers of its own, so the copies load side by side as
 * different patients instead of finding the first copy's resources (import turns a `urn:uuid:` POST
 * into a PUT of that id, so an unchanged copy would be a no-op update).
 *
 * Copy 0 is the bundle as it is. In copy k > 0, every UUID the bundle itself defines (its entries'
 * `urn:uuid:` full URLs and ids) becomes a UUID derived from (k, UUID) wherever it appears — full URLs,
 * ids, references, Synthea's identifiers, which carry the same UUIDs — and the Patient's other
 * identifiers (SSN, driver's licence, passport) get the copy's number appended. UUIDs the bundle only
 * refers to (the Organizations, Locations and Practitioners of the information bundles, referred to
 * conditionally by identifier) stay as they are: every copy shares them, as patients of one region do.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { Bundle, Patient } from 'fhir/r4.js';

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;

/** The UUID copy `copy` uses for `uuid`: derived, so every run writes the same copies. */
export function copyUuid(copy: number, uuid: string): string {
  const h = createHash('sha1').update(`${copy}:${uuid.toLowerCase()}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/** Copy `copy` of a patient bundle's JSON text (copy 0: the bundle unchanged). */
export function copyBundle(text: string, copy: number): Bundle {
  const original = JSON.parse(text) as Bundle;
  if (copy === 0) return original;
  const own = new Set<string>();
  for (const entry of original.entry ?? []) {
    const uuid = /^urn:uuid:(.+)$/.exec(entry.fullUrl ?? '')?.[1];
    if (uuid) own.add(uuid.toLowerCase());
    if (entry.resource?.id) own.add(entry.resource.id.toLowerCase());
  }
  const bundle = JSON.parse(
    text.replace(UUID, (uuid) => (own.has(uuid.toLowerCase()) ? copyUuid(copy, uuid) : uuid)),
  ) as Bundle;
  for (const entry of bundle.entry ?? []) {
    if (entry.resource?.resourceType !== 'Patient') continue;
    for (const identifier of (entry.resource as Patient).identifier ?? [])
      if (identifier.value && !new RegExp(`^${UUID.source}$`, 'i').test(identifier.value))
        identifier.value = `${identifier.value}-${copy}`;
  }
  return bundle;
}

/** The information bundles (loaded first, by conditional create) and the patient bundles of a Synthea folder. */
export function syntheaFiles(fixtures: string): { info: string[]; patients: string[] } {
  const json = (dir: string) =>
    readdirSync(dir)
      .filter((f) => f.endsWith('.json'))
      .sort()
      .map((f) => join(dir, f));
  return {
    info: json(fixtures).filter((f) => /information/i.test(basename(f))),
    patients: json(join(fixtures, 'patients')),
  };
}

/**
 * The information bundles cut down to the entries `patientFiles` refer to (conditional references
 * `Type?identifier=system|value`), written into `outDir`: for a quick run of a few bundles, which
 * would otherwise spend most of its time creating thousands of Practitioners nobody refers to.
 */
export function referredInfo(infoFiles: string[], patientFiles: string[], outDir: string): string[] {
  const referred = new Set<string>();
  for (const file of patientFiles)
    for (const [, target] of readFileSync(file, 'utf8').matchAll(/"reference":\s*"(\w+\?identifier=[^"]+)"/g))
      referred.add(target!);
  mkdirSync(outDir, { recursive: true });
  return infoFiles.map((file) => {
    const bundle = JSON.parse(readFileSync(file, 'utf8')) as Bundle;
    bundle.entry = (bundle.entry ?? []).filter((e) =>
      referred.has(`${e.request?.url}?${e.request?.ifNoneExist ?? ''}`),
    );
    const out = join(outDir, basename(file));
    writeFileSync(out, JSON.stringify(bundle));
    return out;
  });
}

/**
 * Writes `copies` copies of `patientFiles` into `outDir` (emptied first); returns the files written
 * and the number of resources in them.
 */
export function writeCopies(
  patientFiles: string[],
  copies: number,
  outDir: string,
): { files: string[]; resources: number } {
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  const files: string[] = [];
  let resources = 0;
  for (const file of patientFiles) {
    const text = readFileSync(file, 'utf8');
    for (let copy = 0; copy < copies; copy++) {
      const bundle = copyBundle(text, copy);
      const out = join(outDir, `c${copy}-${basename(file)}`);
      writeFileSync(out, JSON.stringify(bundle));
      files.push(out);
      resources += bundle.entry?.length ?? 0;
    }
  }
  return { files: files.sort(), resources };
}
