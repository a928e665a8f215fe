/**
 * `npm run bench:matching`: patient-matching quality on a generated labeled set
 * (src/modules/patient-matching/labeled-set.ts). Loads the persons as Patients into a real store,
 * runs findPatientMatch on every incoming registration, and reports precision and recall of automatic
 * links, the review rate and the confusion overall and per corruption kind, plus what other link
 * thresholds would have given. Writes bench/results/<date>-matching.json.
 *
 *   npm run bench:matching -- [--persons 2000] [--seed 1] [--db sqlite|postgres]
 *   npm run bench:matching -- --estimate [--persons 2000] [--seed weights]   (count m and u, no store)
 *
 * The weights in patient-matching.rules.ts were counted on seed "weights"; measure on another seed.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { systemContext } from '../src/access/access-context.js';
import { loadFhirDefinitions } from '../src/fhir/definitions.js';
import { createStore } from '../src/fhir/store/store.js';
import { estimateWeights } from '../src/modules/patient-matching/estimate-weights.js';
import { evaluateMatching, loadPersons } from '../src/modules/patient-matching/evaluate.js';
import { generateLabeledSet } from '../src/modules/patient-matching/labeled-set.js';
import { thresholds } from '../src/modules/patient-matching/patient-matching.rules.js';
import { systemClock } from '../src/platform/clock.js';
import { dropPostgresSchema, openDatabase } from '../src/platform/database.js';
import { migrate } from '../src/platform/migrate.js';
import { machine } from './bench-support.js';

const { values } = parseArgs({
  options: {
    persons: { type: 'string', default: '2000' },
    seed: { type: 'string', default: '1' },
    db: { type: 'string', default: 'sqlite' },
    estimate: { type: 'boolean', default: false },
  },
});
const persons = Number(values.persons);
if (!Number.isInteger(persons) || persons < 1) throw new Error('--persons must be a positive integer');
const set = generateLabeledSet({ persons, seed: values.seed! });

if (values.estimate) {
  console.log(
    `m and u counted on ${set.persons.length} persons, ${set.registrations.length} registrations (seed ${values.seed})`,
  );
  console.log('field      level              m          u   log2(m/u)');
  for (const e of estimateWeights(set))
    console.log(
      `${e.field.padEnd(10)} ${e.level.padEnd(12)} ${e.m.toPrecision(2).padStart(8)} ${e.u.toPrecision(2).padStart(10)} ${Math.log2(
        e.m / e.u,
      )
        .toFixed(2)
        .padStart(10)}`,
    );
  process.exit(0);
}

const db = values.db === 'postgres' ? 'postgres' : 'sqlite';
const dataDir = join(import.meta.dirname, '.data');
const sqlitePath = join(dataDir, 'matching.db');
const pgUrl = process.env.CARELOOP_BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const pgSchema = 'matching_bench';

loadFhirDefinitions();
mkdirSync(dataDir, { recursive: true });
if (db === 'sqlite') for (const s of ['', '-wal', '-shm']) rmSync(sqlitePath + s, { force: true });
else await dropPostgresSchema(pgUrl, pgSchema);
const database =
  db === 'sqlite'
    ? await openDatabase(`sqlite:${sqlitePath}`)
    : await openDatabase(pgUrl, { schema: pgSchema });
await migrate(database);
const store = createStore(database, {
  clock: systemClock,
  referentialIntegrity: true,
  defaultPageSize: 50,
  maxPageSize: 1000,
}).as(systemContext('matching-bench'));

const loadStarted = performance.now();
await loadPersons(store, set);
const loadSeconds = Math.round((performance.now() - loadStarted) / 100) / 10;
console.log(
  `loaded ${set.persons.length} persons in ${loadSeconds} s; matching ${set.registrations.length} registrations…`,
);
const evaluation = await evaluateMatching(store, set);
await database.close();

const o = evaluation.overall;
console.log(
  `precision ${o.precision}  recall ${o.recall}  review rate ${o.reviewRate}  (${evaluation.msPerRegistration} ms/registration)`,
);
console.log('kind                 total  linked✓ linked✗ review  new✗  new✓  precision recall');
for (const [kind, c] of Object.entries({ overall: o, ...evaluation.byKind }))
  console.log(
    `${kind.padEnd(20)} ${String(c.total).padStart(5)} ${String(c.linkedCorrect).padStart(8)} ${String(c.linkedWrong).padStart(7)} ${String(c.review).padStart(6)} ${String(c.newWhenShouldLink).padStart(5)} ${String(c.newCorrect).padStart(5)} ${String(c.precision).padStart(10)} ${String(c.recall).padStart(6)}`,
  );

const date = new Date().toISOString().slice(0, 10);
const file = join(import.meta.dirname, 'results', `${date}-matching.json`);
writeFileSync(
  file,
  `${JSON.stringify(
    {
      command: `npm run bench:matching -- --persons ${persons} --seed ${values.seed} --db ${db}`,
      date: new Date().toISOString(),
      machine: machine(),
      database: db,
      thresholds,
      loadSeconds,
      ...evaluation,
    },
    null,
    2,
  )}\n`,
);
console.log(`wrote ${file}`);
