/**
 * `npm run bench:index-rows`: search index extraction alone, side by side. Extracts the index rows of
 * every resource of the Synthea fixtures (as stored: `urn:uuid:` references resolved) with the
 * reference path (@medplum/core's FHIRPath per parameter, index-rows-reference.ts) and with the
 * compiled path (index-rows.ts), in alternating rounds, and reports resources/s of each by wall time
 * and by the process's CPU time (the machine may be shared: CPU time does not count the time the
 * process waited for a core), the medians, and the ratio. Writes bench/results/<date>-index-rows.json.
 *
 * It also measures what handing extraction to a worker thread would cost the importing thread: the
 * structured-clone serialisation of each resource (postMessage to the worker) and deserialisation of
 * its rows (the answer), which the main thread pays instead of extracting.
 *
 *   npm run bench:index-rows -- [--rounds 15] [--only reference|compiled] [--no-write]
 *
 * `--only` runs one path (for a profiler or `valgrind --tool=callgrind`).
 */
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { deserialize, serialize } from 'node:v8';
import type { Resource } from 'fhir/r4.js';
import { loadFhirDefinitions } from '../src/fhir/definitions.js';
import { emptyIndexRows, type IndexRows, indexRows } from '../src/fhir/search/index-rows.js';
import { referenceIndexRows } from '../src/fhir/search/index-rows-reference.js';
import { storedResources, syntheaBundles } from '../test/support/synthea.js';
import { machine, round } from './bench-support.js';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '15' },
    only: { type: 'string' },
    'no-write': { type: 'boolean', default: false },
  },
});
const rounds = Number(values.rounds);
if (!Number.isInteger(rounds) || rounds < 1) throw new Error('--rounds must be a positive integer');

type Extract = (resource: Resource, rid: number, into: IndexRows) => IndexRows;
const paths: Record<string, Extract> = { reference: referenceIndexRows, compiled: indexRows };
const names = values.only ? [values.only] : Object.keys(paths);
for (const name of names) if (!paths[name]) throw new Error(`--only must be one of ${Object.keys(paths)}`);

loadFhirDefinitions();
const resources = syntheaBundles().flatMap(({ bundle }) => storedResources(bundle));
const loadBefore = loadavg()[0]!;

/** One pass over all resources: wall and CPU milliseconds, and the rows made (a check that both agree). */
function pass(extract: Extract) {
  const cpu = process.cpuUsage();
  const started = performance.now();
  let rows = 0;
  resources.forEach((resource, i) => {
    const into = extract(resource, i + 1, emptyIndexRows());
    for (const table of Object.values(into)) rows += table.length;
  });
  const wallMs = performance.now() - started;
  const used = process.cpuUsage(cpu);
  return { wallMs, cpuMs: (used.user + used.system) / 1000, rows };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

// One pass each first, unrecorded: compilation, JIT, parameter tables.
for (const name of names) pass(paths[name]!);
const samples: Record<string, ReturnType<typeof pass>[]> = Object.fromEntries(names.map((n) => [n, []]));
for (let r = 0; r < rounds; r++) {
  // Alternate which path goes first, so that neither always runs on a warmer (or busier) machine.
  const order = r % 2 ? [...names].reverse() : names;
  for (const name of order) samples[name]!.push(pass(paths[name]!));
}

const rowCounts = new Set(Object.values(samples).flatMap((s) => s.map((x) => x.rows)));
if (rowCounts.size !== 1) throw new Error(`the paths made different numbers of rows: ${[...rowCounts]}`);

const results = Object.fromEntries(
  names.map((name) => {
    const s = samples[name]!;
    const wall = median(s.map((x) => x.wallMs));
    const cpu = median(s.map((x) => x.cpuMs));
    return [
      name,
      {
        medianWallMs: round(wall),
        medianCpuMs: round(cpu),
        resourcesPerSecondWall: Math.round((resources.length / wall) * 1000),
        resourcesPerSecondCpu: Math.round((resources.length / cpu) * 1000),
        cpuMsPerRound: s.map((x) => round(x.cpuMs)),
      },
    ];
  }),
);

/**
 * What a worker thread would cost the importing thread per resource (serialising the resource for
 * postMessage, deserialising the rows that come back), next to what extracting costs it now.
 */
function workerTransfer() {
  const cpuUs = (work: () => void) => {
    const before = process.cpuUsage();
    work();
    const used = process.cpuUsage(before);
    return (used.user + used.system) / resources.length;
  };
  const answers = resources.map((resource, i) => serialize(indexRows(resource, i + 1, emptyIndexRows())));
  const postUs = cpuUs(() => {
    for (const resource of resources) serialize(resource);
  });
  const receiveUs = cpuUs(() => {
    for (const answer of answers) deserialize(answer);
  });
  const extractUs = cpuUs(() => {
    resources.forEach((resource, i) => {
      indexRows(resource, i + 1, emptyIndexRows());
    });
  });
  return {
    postResourceMicroseconds: round(postUs),
    receiveRowsMicroseconds: round(receiveUs),
    compiledExtractionMicroseconds: round(extractUs),
  };
}

const summary = {
  command: `npm run bench:index-rows -- --rounds ${rounds}${values.only ? ` --only ${values.only}` : ''}`,
  date: new Date().toISOString(),
  machine: machine(),
  loadAverage: { before: round(loadBefore), after: round(loadavg()[0]!) },
  resources: resources.length,
  rowsPerPass: [...rowCounts][0],
  rounds,
  results,
  ...(results.reference && results.compiled
    ? {
        ratioWall: round(results.reference.medianWallMs / results.compiled.medianWallMs),
        ratioCpu: round(results.reference.medianCpuMs / results.compiled.medianCpuMs),
      }
    : {}),
  ...(values.only ? {} : { workerTransferPerResource: workerTransfer() }),
};
console.log(JSON.stringify(summary, null, 2));
if (!values['no-write'] && !values.only) {
  const file = join(import.meta.dirname, 'results', `${summary.date.slice(0, 10)}-index-rows.json`);
  writeFileSync(file, `${JSON.stringify(summary, null, 2)}\n`);
  console.log(`written to ${file}`);
}
