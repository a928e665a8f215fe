/**
 * The real ADT handler behind the intake, on every ADT sample of test/fixtures/hl7v2 (Microsoft
 * FHIR-Converter, versions 2.3 and 2.8, LF-separated): each one is answered and recorded, never
 * thrown; an AE/AR names its field in ERR and is kept as a dead letter; sending the set again
 * answers the processed ones with their first ACK. What each event makes is the transitions module's to test
 * (docs/transitions.md); this checks the transport's promises with real content.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ackSegment } from '../../../test/support/hl7.js';
import {
  databaseTargets,
  openTestDatabase,
  type TestDatabase,
  testStore,
} from '../../../test/support/test-databases.js';
import { fixedClock } from '../../platform/clock.js';
import { loadConfig } from '../../platform/config.js';
import { hl7HandlersFor } from './hl7-handlers.js';
import { createHl7Intake, type Hl7Intake } from './hl7-intake.js';

const fixtures = join(import.meta.dirname, '../../../test/fixtures/hl7v2');
// Several samples share a control id (MSG00001) from the same sender: each gets its own.
const samples = readdirSync(fixtures)
  .filter((f) => f.startsWith('ADT') && f.endsWith('.hl7'))
  .map((file, i) => {
    const raw = readFileSync(join(fixtures, file), 'utf8');
    const controlId = raw
      .replace(/^\uFEFF/, '')
      .split('\n')[0]!
      .split('|')[9]!;
    return {
      file,
      raw: raw.replace(`|${controlId}|`, `|FX${i}-${controlId}|`),
      controlId: `FX${i}-${controlId}`,
    };
  });

describe.each(databaseTargets)('ADT fixtures through the intake ($name)', ({ name, available }) => {
  let db: TestDatabase;
  let intake: Hl7Intake;

  beforeAll(async () => {
    if (!available) return;
    db = await openTestDatabase(name);
    const clock = fixedClock('2026-11-30T17:00:00Z');
    const config = loadConfig({}, { databaseUrl: db.url });
    intake = createHl7Intake({
      store: testStore(db.database, { clock }),
      handlers: hl7HandlersFor(config),
      timeZone: config.timeZone,
      clock,
    });
  }, 60_000);
  afterAll(async () => db?.cleanup());

  it.runIf(available)('answers and records every sample, and a second pass redoes nothing', async () => {
    const outcomes = [];
    for (const sample of samples) {
      const attempt = await intake.process(sample.raw);
      const [, code, echoed] = ackSegment(attempt.ack, 'MSA');
      expect(echoed, sample.file).toBe(sample.controlId);
      const row = await db.database.db
        .selectFrom('hl7_messages')
        .selectAll()
        .where('id', '=', attempt.id)
        .executeTakeFirstOrThrow();
      expect(row.raw).toBe(sample.raw);
      expect(row.ack).toBe(attempt.ack);
      if (code === 'AA') expect(row.status, sample.file).toBe('processed');
      else {
        expect(['AE', 'AR'], sample.file).toContain(code);
        expect(['failed', 'rejected']).toContain(row.status);
        // A dead letter says which field and why.
        expect(ackSegment(attempt.ack, 'ERR')[3], sample.file).toMatch(/^\d{3}\^/);
        expect(row.error_text, sample.file).toBeTruthy();
      }
      outcomes.push({ file: sample.file, code, status: row.status, ack: attempt.ack });
    }
    // The core events of a transition are processed.
    for (const file of ['ADT-A01-01.hl7', 'ADT-A04-01.hl7', 'ADT01-23.hl7', 'ADT04-23.hl7'])
      expect(outcomes.find((o) => o.file === file)?.code, file).toBe('AA');

    // Sent again (a sender that lost the ACKs): processed ones answered with their ACK, not redone.
    for (const [i, sample] of samples.entries()) {
      const again = await intake.process(sample.raw);
      if (outcomes[i]!.code === 'AA') {
        expect(again.duplicate, sample.file).toBe(true);
        expect(again.ack).toBe(outcomes[i]!.ack);
      }
    }
  });
});
