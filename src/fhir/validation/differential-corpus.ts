/**
 * The corpus of the differential test (test support only): valid resources from the repository's
 * fixtures (FHIR R4 specification examples, every resource of the Synthea bundles) and from the
 * population generator, plus a seeded PRNG for the mutations made of them.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateBundles } from '../../generator/generate-population.js';

export type Json = Record<string, unknown>;

/** A valid resource and where it came from. */
export interface CorpusEntry {
  source: 'example' | 'synthea' | 'generator';
  name: string;
  resource: Json;
}

const fixtures = fileURLToPath(new URL('../../../test/fixtures/', import.meta.url));

function jsonFiles(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((f) => {
      const path = join(dir, f);
      if (statSync(path).isDirectory()) return jsonFiles(path);
      return f.endsWith('.json') ? [path] : [];
    });
}

/** The 321 specification examples, then every resource in the Synthea bundles, in a fixed order. */
export function fixtureCorpus(): CorpusEntry[] {
  const entries: CorpusEntry[] = [];
  for (const path of jsonFiles(join(fixtures, 'fhir-r4-examples'))) {
    const name = path.slice(path.lastIndexOf('/') + 1);
    entries.push({ source: 'example', name, resource: JSON.parse(readFileSync(path, 'utf8')) });
  }
  for (const path of jsonFiles(join(fixtures, 'synthea'))) {
    const bundle = JSON.parse(readFileSync(path, 'utf8')) as { entry?: { resource: Json }[] };
    const file = path.slice(path.lastIndexOf('/') + 1);
    bundle.entry?.forEach((e, i) => {
      entries.push({ source: 'synthea', name: `${file}#${i}`, resource: e.resource });
    });
  }
  return entries;
}

/** Every resource of the generator's bundles for a small population (and the bundles themselves). */
export function generatorCorpus(patients: number, seed: string): CorpusEntry[] {
  const entries: CorpusEntry[] = [];
  let n = 0;
  for (const bundle of generateBundles({ patients, seed })) {
    const b = bundle as unknown as Json & { entry?: { resource: Json }[] };
    entries.push({ source: 'generator', name: `bundle-${n}`, resource: b });
    b.entry?.forEach((e, i) => {
      entries.push({ source: 'generator', name: `bundle-${n}#${i}`, resource: e.resource });
    });
    n++;
  }
  return entries;
}

/** mulberry32: a small, fast, seeded PRNG returning numbers in [0, 1). */
export function seededRandom(seed: number): () => number {
  let state = seed | 0;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A random element of a non-empty array. */
export function pick<T>(random: () => number, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)];
}
