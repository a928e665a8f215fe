/**
 * Index use: the SQL a selective search runs is answered from the index tables' lookup indexes and the
 * resources primary key, never by scanning a table. The plans are read from the databases themselves
 * (EXPLAIN QUERY PLAN on SQLite, EXPLAIN on PostgreSQL) over a few thousand analysed rows, with the
 * planner free to choose (no enable_seqscan tricks).
 */
import { randomUUID } from 'node:crypto';
import type { Observation } from 'fhir/r4.js';
import { type RawBuilder, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildObservation, buildPatient } from '../../../test/support/factories.js';
import {
  databaseTargets,
  openTestDatabase,
  type TestDatabase,
  testStore,
} from '../../../test/support/test-databases.js';
import type { Query, ResourceStore } from '../store/store.js';
import { matchCondition } from './search.js';

const BASE = 'http://careloop.test/fhir';
const PATIENTS = 1500;

describe.each(databaseTargets)('search index use on $name', ({ name, available }) => {
  const run = it.runIf(available);
  let db: TestDatabase;
  let store: ResourceStore;
  const patientIds = Array.from({ length: PATIENTS }, () => randomUUID());

  beforeAll(async () => {
    if (!available) return;
    db = await openTestDatabase(name);
    store = testStore(db.database);
    await store.write(
      patientIds.map((id, i) => ({
        method: 'PUT' as const,
        resourceType: 'Patient',
        id,
        resource: buildPatient({
          identifier: [{ system: 'urn:test:mrn', value: `MRN-${i}` }],
          name: [{ family: `Family${i}`, given: ['Ana'] }],
          birthDate: new Date(Date.UTC(1930, 0, 1 + i * 9)).toISOString().slice(0, 10),
        }),
      })),
    );
    await store.write(
      patientIds.map((patientId) => ({
        method: 'PUT' as const,
        resourceType: 'Observation',
        id: randomUUID(),
        resource: buildObservation(patientId),
      })),
    );
    // Statistics as a running system has them, so the planner costs real row counts.
    await sql`analyze`.execute(db.database.db);
  });
  afterAll(async () => db?.cleanup());

  /** The plans of the two statements runSearch issues for `query`: the page and the total. */
  async function plans(resourceType: string, query: Query): Promise<string[]> {
    const where = matchCondition(store.parse(resourceType, query), 'r', new Date(), BASE);
    const statements: RawBuilder<unknown>[] = [
      sql`select r.id, r.content from resources r where ${where} order by r.id limit ${51} offset ${0}`,
      sql`select count(*) as n from resources r where ${where}`,
    ];
    const out: string[] = [];
    for (const statement of statements) {
      const explained = name === 'sqlite' ? sql`explain query plan ${statement}` : sql`explain ${statement}`;
      const rows = await explained.execute(db.database.db);
      out.push(
        (rows.rows as Record<string, unknown>[]).map((r) => String(r.detail ?? r['QUERY PLAN'])).join('\n'),
      );
    }
    return out;
  }

  /**
   * Asserts that no table is scanned and that `table` is searched through its lookup index by value
   * (`column`), not merely by resource type and parameter, which would read every row of the parameter.
   */
  function expectIndexed(plan: string, table: string, column: string): void {
    if (name === 'sqlite') {
      // SQLite writes SCAN for a full pass over a table or a whole index, SEARCH for an index lookup,
      // with the columns it constrains in parentheses.
      expect(plan).not.toMatch(/^\s*SCAN /m);
      expect(plan).toMatch(
        new RegExp(
          // Either lookup index that constrains the parameter and the value column will do.
          `SEARCH ${table} USING (COVERING )?INDEX ${table}_lookup_\\d+ \\((?=[^)]*param=\\?)(?=[^)]*${column}[=<>])`,
        ),
      );
      // The matches are then fetched by their integer key.
      expect(plan).toMatch(/SEARCH r USING (COVERING )?INDEX resources_rid \(rid=\?\)/);
    } else {
      expect(plan).not.toMatch(/Seq Scan/);
      // An index scan, or a bitmap index scan feeding a heap scan of the rows it found, whose index
      // condition constrains the value column.
      expect(plan).toMatch(
        new RegExp(
          `(Index (Only )?Scan using ${table}_lookup_\\d+ on ${table}|Bitmap Index Scan on ${table}_lookup_\\d+)[^\\n]*\\n\\s*(Index Cond: [^\\n]*\\(${column} [=<>])`,
        ),
      );
      expect(plan).toMatch(/Index Scan using resources_rid on resources r/);
    }
  }

  run('a token search reads sp_token by its lookup index', async () => {
    const query: Query = [['identifier', 'urn:test:mrn|MRN-42']];
    for (const plan of await plans('Patient', query)) expectIndexed(plan, 'sp_token', 'code');
    const found = await store.search('Patient', query, BASE);
    expect(found.entry?.map((e) => e.resource?.id)).toEqual([patientIds[42]]);
  });

  run('a reference search, by Type/id or bare id, reads sp_reference by its lookup index', async () => {
    for (const value of [`Patient/${patientIds[7]}`, patientIds[7]!]) {
      const query: Query = [['subject', value]];
      for (const plan of await plans('Observation', query)) expectIndexed(plan, 'sp_reference', 'target_id');
      const found = await store.search('Observation', query, BASE);
      expect(found.total).toBe(1);
    }
  });

  run('a chained search uses the indexes at both ends of the chain', async () => {
    const query: Query = [['subject:Patient.identifier', 'urn:test:mrn|MRN-1234']];
    for (const plan of await plans('Observation', query)) {
      expectIndexed(plan, 'sp_reference', 'target_id');
      expectIndexed(plan, 'sp_token', 'code');
    }
    const found = await store.search('Observation', query, BASE);
    const observation = found.entry?.[0]?.resource as Observation | undefined;
    expect(observation?.subject?.reference).toBe(`Patient/${patientIds[1234]}`);
  });

  run('a date search and a string prefix search read their index tables by range', async () => {
    for (const plan of await plans('Patient', [['birthdate', '1931-03-12']]))
      expectIndexed(plan, 'sp_date', '(low|high)');
    for (const plan of await plans('Patient', [['family', 'family1499']]))
      expectIndexed(plan, 'sp_string', 'value');
    const found = await store.search('Patient', [['family', 'family1499']], BASE);
    expect(found.entry?.map((e) => e.resource?.id)).toEqual([patientIds[1499]]);
  });

  run('the check tells an index lookup from a pass over every row of the parameter', async () => {
    // :contains cannot use the value index (LIKE '%x%'); the same check must reject its plan.
    for (const plan of await plans('Patient', [['family:contains', 'ily19']]))
      expect(() => expectIndexed(plan, 'sp_string', 'value')).toThrow();
  });
});
