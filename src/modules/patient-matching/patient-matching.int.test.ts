/**
 * Patient matching through a real store on SQLite and PostgreSQL: identifier first, then the
 * probabilistic link / review / new decisions, the data steward's review Task (made once), linking a
 * duplicate, and the quality floor on a small generated labeled set.
 */
import type { Patient } from 'fhir/r4.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  databaseTargets,
  openTestDatabase,
  type TestDatabase,
  testStore,
} from '../../../test/support/test-databases.js';
import { systemContext } from '../../access/access-context.js';
import { FhirError } from '../../fhir/outcome.js';
import type { ResourceStore } from '../../fhir/store/store.js';
import { evaluateMatching, loadPersons } from './evaluate.js';
import { generateLabeledSet } from './labeled-set.js';
import type { Demographics } from './matcher.js';
import {
  createMatchReviewTask,
  findPatientMatch,
  linkPatients,
  MATCH_REVIEW_SYSTEM,
} from './patient-matching.service.js';

const MRN = 'http://careloop.example/mrn';

interface Traits {
  family: string;
  given: string;
  birthDate: string;
  sex: 'male' | 'female';
  line: string;
  zip: string;
  phone: string;
  mrn: string;
}

function patient(id: string, d: Traits): Patient {
  return {
    resourceType: 'Patient',
    id,
    identifier: [{ system: MRN, value: d.mrn }],
    name: [{ use: 'official', family: d.family, given: [d.given] }],
    gender: d.sex,
    birthDate: d.birthDate,
    telecom: [{ system: 'phone', value: d.phone }],
    address: [{ use: 'home', line: [d.line], city: 'Columbus', postalCode: d.zip }],
  };
}

const ana: Traits = {
  family: 'Rivera',
  given: 'Ana',
  birthDate: '1956-04-12',
  sex: 'female',
  line: '410 Oak St',
  zip: '43201',
  phone: '(614) 555-0101',
  mrn: 'M-1',
};
const twinA: Traits = {
  family: 'Novak',
  given: 'Peter',
  birthDate: '1990-09-15',
  sex: 'male',
  line: '77 Elm Ave',
  zip: '43214',
  phone: '(614) 555-0150',
  mrn: 'M-2',
};
const twinB: Traits = { ...twinA, given: 'Paul', mrn: 'M-3' };
const other: Traits = {
  family: 'Okafor',
  given: 'Grace',
  birthDate: '1971-01-30',
  sex: 'female',
  line: '9 Hickory Ln',
  zip: '43055',
  phone: '(740) 555-0199',
  mrn: 'M-4',
};

/** A registration from facility B (its own MRN) for the traits given. */
function registration(d: Traits, overrides: Partial<Demographics> = {}): Demographics {
  return {
    identifiers: [{ system: 'http://careloop.example/facility-b/mrn', value: `B-${d.mrn}` }],
    family: d.family.toUpperCase(),
    given: [d.given.toUpperCase()],
    birthDate: d.birthDate.replace(/-/g, ''),
    sex: d.sex === 'female' ? 'F' : 'M',
    addressLine: d.line,
    postalCode: d.zip,
    phone: d.phone.replace(/\D/g, ''),
    ...overrides,
  };
}

describe.each(databaseTargets)('patient matching ($name)', ({ name, available }) => {
  let db: TestDatabase;
  let store: ResourceStore;

  beforeAll(async () => {
    if (!available) return;
    db = await openTestDatabase(name);
    store = testStore(db.database).as(systemContext('adt'));
    for (const [id, d] of [
      ['ana', ana],
      ['twin-a', twinA],
      ['twin-b', twinB],
      ['grace', other],
    ] as const)
      await store.update('Patient', id, patient(id, d));
  }, 60_000);
  afterAll(async () => db?.cleanup());

  it.runIf(available)('matches on an identifier of the same assigning authority first', async () => {
    const result = await findPatientMatch(store, {
      identifiers: [{ system: MRN, value: 'M-1' }],
      family: 'Completely Different',
    });
    expect(result.decision).toBe('identifier');
    expect(result.patientId).toBe('ana');
  });

  it.runIf(available)('sends an identifier carried by two patients to review', async () => {
    await store.update(
      'Patient',
      'dup-id-1',
      patient('dup-id-1', { ...other, mrn: 'SHARED', family: 'Aaa' }),
    );
    await store.update(
      'Patient',
      'dup-id-2',
      patient('dup-id-2', { ...other, mrn: 'SHARED', family: 'Bbb' }),
    );
    const result = await findPatientMatch(store, { identifiers: [{ system: MRN, value: 'SHARED' }] });
    expect(result.decision).toBe('review');
    expect(result.patientId).toBeUndefined();
    expect(result.candidates.map((c) => c.patientId).sort()).toEqual(['dup-id-1', 'dup-id-2']);
  });

  it.runIf(available)('links a registration with a typo, a day/month swap and a new phone', async () => {
    const result = await findPatientMatch(
      store,
      registration(ana, { family: 'RIVIERA', birthDate: '19561204', phone: '6145550177' }),
    );
    expect(result.decision).toBe('link');
    expect(result.patientId).toBe('ana');
    expect(result.score).toBeGreaterThanOrEqual(22);
    expect(result.candidates[0]!.factors.find((f) => f.field === 'birthDate')?.agreement).toBe('transposed');
  });

  it.runIf(available)('links each twin to themself, never to the other', async () => {
    const a = await findPatientMatch(store, registration(twinA));
    const b = await findPatientMatch(store, registration(twinB, { given: ['PAUL'] }));
    expect([a.decision, a.patientId]).toEqual(['link', 'twin-a']);
    expect([b.decision, b.patientId]).toEqual(['link', 'twin-b']);
    // A third sibling born the same day is not linked to either.
    const third = await findPatientMatch(store, registration(twinA, { given: ['SIMON'] }));
    expect(third.decision).toBe('review');
  });

  it.runIf(available)(
    'reviews a married-name change after a move, and makes the steward one task',
    async () => {
      const incoming = registration(ana, {
        family: 'THOMPSON',
        addressLine: '88 Walnut Dr',
        postalCode: '43130',
        phone: '7405550123',
      });
      const result = await findPatientMatch(store, incoming);
      expect(result.decision).toBe('review');
      expect(result.candidates[0]!.patientId).toBe('ana');

      // The ADT side creates the new Patient, then asks for the review.
      const { resource } = await store.create({
        ...patient('x', { ...ana, family: 'Thompson', mrn: 'B-9' }),
        id: undefined,
      });
      const newId = resource.id!;
      const task = await createMatchReviewTask(store, {
        incomingPatientId: newId,
        candidates: result.candidates,
        source: 'ADT^A04 from facility B',
      });
      expect(task.code?.coding?.[0]?.code).toBe('patient-match-review');
      expect(task.status).toBe('requested');
      expect(task.focus?.reference).toBe(`Patient/${newId}`);
      expect(task.performerType?.[0]?.coding?.[0]?.code).toBe('768832004'); // care coordinator
      expect(task.input?.map((i) => i.valueReference?.reference)).toContain('Patient/ana');
      expect(task.description).toContain('Patient/ana: score');
      expect(task.description).toContain('family disagree');
      expect(task.description).not.toMatch(/rivera|thompson|1956/i); // levels only, no values

      const again = await createMatchReviewTask(store, {
        incomingPatientId: newId,
        candidates: result.candidates,
        source: 'resend',
      });
      expect(again.id).toBe(task.id);
      const tasks = await store.search('Task', [['identifier', `${MATCH_REVIEW_SYSTEM}|${newId}`]], '');
      expect(tasks.entry).toHaveLength(1);
    },
  );

  it.runIf(available)('refuses a review task without candidates, naming the field', async () => {
    const error = await createMatchReviewTask(store, {
      incomingPatientId: 'ana',
      candidates: [],
      source: 'x',
    }).catch((e) => e);
    expect(error).toBeInstanceOf(FhirError);
    expect((error as FhirError).status).toBe(400);
    expect((error as FhirError).issues[0]?.expression).toBe('candidates');
  });

  it.runIf(available)(
    'creates a new patient for a stranger and for a namesake born elsewhere that year',
    async () => {
      const stranger = await findPatientMatch(
        store,
        registration({
          ...other,
          family: 'Lindqvist',
          given: 'Ingrid',
          birthDate: '1988-06-02',
          line: '5 Lake Rd',
          zip: '43016',
          phone: '6145550133',
          mrn: 'Z',
        }),
      );
      expect(stranger.decision).toBe('new');
      const namesake = await findPatientMatch(
        store,
        registration({
          ...ana,
          birthDate: '1956-11-28',
          line: '12 Park Pl',
          zip: '43123',
          phone: '6145550188',
          mrn: 'Y',
        }),
      );
      expect(namesake.decision).toBe('new');
    },
  );

  it.runIf(available)(
    'links a duplicate to the record kept; the duplicate is no longer a match target',
    async () => {
      await store.update('Patient', 'ana-dup', patient('ana-dup', { ...ana, mrn: 'DUP' }));
      const before = await findPatientMatch(store, registration(ana));
      expect(before.decision).toBe('review'); // two equally good records: not clearly ahead
      const { keep, duplicate } = await linkPatients(store, { keep: 'ana', duplicate: 'ana-dup' });
      expect(keep.link).toEqual([{ other: { reference: 'Patient/ana-dup' }, type: 'replaces' }]);
      expect(duplicate.link).toEqual([{ other: { reference: 'Patient/ana' }, type: 'replaced-by' }]);
      expect(duplicate.active).toBe(false);
      const after = await findPatientMatch(store, registration(ana));
      expect([after.decision, after.patientId]).toEqual(['link', 'ana']);
      await expect(linkPatients(store, { keep: 'ana', duplicate: 'ana' })).rejects.toThrow(/itself/);
    },
  );

  it.runIf(available)(
    'keeps automatic links precise on a generated labeled set of 200 persons',
    async () => {
      const set = generateLabeledSet({ persons: 200, seed: 'int-test' });
      const fresh = await openTestDatabase(name);
      try {
        const s = testStore(fresh.database).as(systemContext('matching-test'));
        await loadPersons(s, set);
        const { overall } = await evaluateMatching(s, set);
        console.log(
          `[${name}] labeled set: precision ${overall.precision}, recall ${overall.recall}, review rate ${overall.reviewRate}`,
        );
        expect(overall.precision).toBeGreaterThanOrEqual(0.99);
        // Floor from the measured recall on this seed (RECALL_MEASURED below), less 2 points of slack so
        // a weight retune that costs a little recall is a decision, not a failure; a real regression fails.
        expect(overall.recall).toBeGreaterThanOrEqual(RECALL_FLOOR);
      } finally {
        await fresh.cleanup();
      }
    },
    180_000,
  );
});

/** Recall measured on seed "int-test", 200 persons (both databases give the same decisions). */
const RECALL_MEASURED = 0.96;
const RECALL_FLOOR = RECALL_MEASURED - 0.02;
