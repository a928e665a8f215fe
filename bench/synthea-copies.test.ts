import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Bundle, Patient } from 'fhir/r4.js';
import { afterAll, describe, expect, it } from 'vitest';
import { copyBundle, referredInfo, syntheaFiles } from './synthea-copies.js';

const fixtures = join(import.meta.dirname, '../test/fixtures/synthea');
const { info, patients } = syntheaFiles(fixtures);
const text = readFileSync(patients[0]!, 'utf8');
const scratch = mkdtempSync(join(tmpdir(), 'synthea-copies-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const fullUrls = (b: Bundle) => new Set((b.entry ?? []).map((e) => e.fullUrl));
const references = (b: Bundle) => [...JSON.stringify(b).matchAll(/"reference":"([^"]+)"/g)].map((m) => m[1]!);
const patientOf = (b: Bundle) =>
  b.entry!.find((e) => e.resource?.resourceType === 'Patient')!.resource as Patient;

describe('Synthea bundle copies for the import benchmark', () => {
  it('keeps copy 0 as the fixture is, so one copy imports exactly the fixture', () => {
    expect(copyBundle(text, 0)).toEqual(JSON.parse(text));
  });

  it('gives copy 1 ids and full URLs of its own, and points its references at its own resources, so the copies load as different patients', () => {
    const original = copyBundle(text, 0);
    const copy = copyBundle(text, 1);
    expect(copy.entry).toHaveLength(original.entry!.length);
    const own = fullUrls(copy);
    expect([...own].filter((u) => fullUrls(original).has(u))).toEqual([]);
    for (const e of copy.entry!) expect(e.fullUrl).toBe(`urn:uuid:${e.resource!.id}`);
    const local = references(copy).filter((r) => r.startsWith('urn:uuid:'));
    expect(local.length).toBeGreaterThan(100);
    for (const r of local) expect(own.has(r), r).toBe(true);
    // What the information bundles define is shared, as patients of one region share their hospitals.
    const conditional = (b: Bundle) => references(b).filter((r) => r.includes('?identifier='));
    expect(conditional(copy)).toEqual(conditional(original));
  });

  it("changes every identifier of the copy's Patient (MRN, SSN, licence, passport), so no two copies are one person", () => {
    const before = patientOf(copyBundle(text, 0)).identifier!.map((i) => i.value);
    const after = patientOf(copyBundle(text, 2)).identifier!.map((i) => i.value);
    expect(after).toHaveLength(before.length);
    for (const [i, value] of after.entries()) expect(value).not.toBe(before[i]);
    expect(patientOf(copyBundle(text, 2)).identifier!.map((i) => i.value)).toEqual(after);
  });

  it('cuts the information bundles down to exactly the entries the patient bundles refer to', () => {
    const files = referredInfo(info, [patients[0]!], scratch);
    const kept = files.flatMap((f) => (JSON.parse(readFileSync(f, 'utf8')) as Bundle).entry ?? []);
    const keys = new Set(kept.map((e) => `${e.request!.url}?${e.request!.ifNoneExist}`));
    const referred = new Set(
      references(JSON.parse(text) as Bundle).filter((r) => r.includes('?identifier=')),
    );
    expect(keys).toEqual(referred);
  });
});
