/**
 * Per-resource cost of write validation: the store's single-pass walk (validateFhirResource) against the
 * old path, @medplum/core's full validateResource plus the gap walk (validateWithMedplum), on the
 * factory mix (Patient/Observation/Encounter/Condition) and on every resource of the Synthea fixtures.
 * Run: `npx tsx src/fhir/validation/validate-resource.bench.ts [rounds]`. Not part of the test run.
 */
import { fixtureCorpus, type Json } from './differential-corpus.js';
import { validateWithMedplum } from './medplum-reference.js';
import { validateFhirResource } from './validate-resource.js';
import { buildCondition, buildEncounter, buildObservation, buildPatient } from './validation-factories.js';

const rounds = Number(process.argv[2] ?? 5);
const builders = [buildPatient, buildObservation, buildEncounter, buildCondition];
const factoryMix = Array.from(
  { length: 4000 },
  (_, i) => builders[i % builders.length](i) as unknown as Json,
);
const synthea = fixtureCorpus()
  .filter((e) => e.source === 'synthea')
  .map((e) => e.resource);

/** Microseconds per resource for passes of `fn` over `resources` lasting at least `minMs`. */
function perResource(resources: Json[], fn: (r: Json) => unknown, minMs = 300): number {
  let done = 0;
  const start = performance.now();
  do {
    for (const r of resources) fn(r);
    done += resources.length;
  } while (performance.now() - start < minMs);
  return ((performance.now() - start) * 1000) / done;
}

for (const r of [...factoryMix, ...synthea]) {
  if (validateFhirResource(r).length > 0)
    throw new Error(`invalid benchmark resource ${r.resourceType}/${r.id}`);
}

const sets: [string, Json[]][] = [
  ['factory mix', factoryMix],
  ['Synthea (all)', synthea],
  ...['Patient', 'Observation', 'Encounter', 'Claim', 'ExplanationOfBenefit', 'Practitioner'].map(
    (t): [string, Json[]] => [`Synthea ${t}`, synthea.filter((r) => r.resourceType === t)],
  ),
];
// The old path is ~50x slower: a tenth of each set is enough for it.
const sample = (resources: Json[]) => resources.filter((_, i) => i % 10 === 0 || resources.length < 50);
for (let round = 1; round <= rounds; round++) {
  const rows = sets.map(([name, resources]) => {
    const walk = perResource(resources, validateFhirResource);
    const old =
      round === 1 ? perResource(sample(resources), (r) => validateWithMedplum(r, false), 200) : Number.NaN;
    const oldText = Number.isNaN(old) ? '' : `, old ${old.toFixed(0)} µs (${(old / walk).toFixed(0)}x)`;
    return `  ${name} (${resources.length}): walk ${walk.toFixed(1)} µs${oldText}`;
  });
  console.log(`round ${round} (µs per resource)\n${rows.join('\n')}`);
}
