import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  databaseTargets,
  openTestDatabase,
  type TestDatabase,
} from '../../../test/support/test-databases.js';
import { type AuditEntry, appendAudit, appendsInOneStatement, verifyAuditChain } from './audit-trail.js';

const entry = (n: number): AuditEntry => ({
  action: n % 2 ? 'read' : 'search',
  outcome: 'success',
  actor: `Practitioner/p${n % 3}`,
  role: 'care-coordinator',
  patientIds: [`pat-${n}`],
  resources: [`Patient/pat-${n}`],
  purposeOfUse: 'TREAT',
  clientAddress: '127.0.0.1',
});

describe.each(databaseTargets)('audit trail on $name', ({ name, available }) => {
  let db: TestDatabase;
  beforeEach(async () => {
    if (!available) return;
    db = await openTestDatabase(name);
    for (let n = 1; n <= 25; n++) {
      await db.database.db
        .transaction()
        .execute((trx) => appendAudit(db.database, trx, entry(n), new Date(Date.UTC(2026, 10, 30, 9, 0, n))));
    }
  });
  afterEach(async () => db?.cleanup());

  /** What an intruder with database access would do: lift the append-only guard, then edit. */
  async function tamper(statement: ReturnType<typeof sql>): Promise<void> {
    if (name === 'postgres') {
      await sql`alter table audit_events disable trigger audit_events_no_update`.execute(db.database.db);
    } else {
      await sql`drop trigger if exists audit_events_no_update`.execute(db.database.db);
      await sql`drop trigger if exists audit_events_no_delete`.execute(db.database.db);
    }
    await statement.execute(db.database.db);
  }

  it.runIf(available)('chains every entry and verifies the whole trail', async () => {
    expect(await verifyAuditChain(db.database.db)).toEqual({ entries: 25 });
  });

  it.runIf(available)('keeps one unbroken chain when many append at once', async () => {
    const at = new Date(Date.UTC(2026, 10, 30, 10));
    // Transactions that hold the head while they do more work, and (on PostgreSQL, where an append
    // is one statement) appends on their own, all at once.
    const appends = Array.from({ length: 40 }, (_, i) =>
      i % 2 && appendsInOneStatement(db.database)
        ? appendAudit(db.database, db.database.db, entry(100 + i), at)
        : db.database.db.transaction().execute(async (trx) => {
            const added = await appendAudit(db.database, trx, entry(100 + i), at);
            await sql`select 1`.execute(trx);
            return added;
          }),
    );
    const seqs = (await Promise.all(appends)).map((a) => a.seq).sort((a, b) => a - b);
    expect(seqs).toEqual(Array.from({ length: 40 }, (_, i) => 26 + i));
    expect(await verifyAuditChain(db.database.db)).toEqual({ entries: 65 });
  });

  it.runIf(available)(
    'records emergency treatment when a break-the-glass grant reaches a patient',
    async () => {
      const now = Date.UTC(2026, 10, 30, 10);
      await db.database.db
        .insertInto('access_relationships')
        .values({
          patient_id: 'pat-7',
          principal: 'User/u1',
          kind: 'break-the-glass',
          source_rid: null,
          starts_ms: now - 60_000,
          expires_ms: now + 3_600_000,
          created_at: new Date(now).toISOString(),
          created_by: 'User/u1',
          reason: 'unconscious in the emergency department',
        })
        .execute();
      const check = { principal: 'User/u1', now };
      const append = (n: number, at: number) =>
        db.database.db
          .transaction()
          .execute((trx) => appendAudit(db.database, trx, entry(n), new Date(now), { ...check, now: at }));
      await append(7, now); // the granted patient
      await append(8, now); // another patient
      await append(7, now + 7_200_000); // the grant has expired
      const rows = await db.database.db
        .selectFrom('audit_events')
        .select(['seq', 'entry'])
        .where('seq', '>', 25)
        .orderBy('seq')
        .execute();
      expect(rows.map((r) => JSON.parse(r.entry).purposeOfUse)).toEqual(['ETREAT', 'TREAT', 'TREAT']);
      // The hash covers what was stored.
      expect(await verifyAuditChain(db.database.db)).toEqual({ entries: 28 });
    },
  );

  it.runIf(available)('refuses updates and deletes of entries', async () => {
    await expect(
      sql`update audit_events set outcome = 'failure' where seq = 3`.execute(db.database.db),
    ).rejects.toThrow(/append-only/);
    await expect(sql`delete from audit_events where seq = 3`.execute(db.database.db)).rejects.toThrow(
      /append-only/,
    );
    expect(await verifyAuditChain(db.database.db)).toEqual({ entries: 25 });
  });

  it.runIf(available)('names the first entry whose content was changed', async () => {
    const row = await db.database.db
      .selectFrom('audit_events')
      .select('entry')
      .where('seq', '=', 7)
      .executeTakeFirstOrThrow();
    const forged = row.entry.replace('"pat-7"', '"pat-99"');
    await tamper(sql`update audit_events set entry = ${forged} where seq = 7`);
    expect(await verifyAuditChain(db.database.db)).toEqual({
      entries: 6,
      broken: { seq: 7, reason: 'its content does not match its hash' },
    });
  });

  it.runIf(available)('notices a searchable column changed without the hashed entry', async () => {
    await tamper(sql`update audit_events set actor = 'Practitioner/someone-else' where seq = 12`);
    expect((await verifyAuditChain(db.database.db)).broken).toEqual({
      seq: 12,
      reason: 'its searchable columns differ from the hashed entry',
    });
  });

  it.runIf(available)('notices a removed entry', async () => {
    await tamper(sql`delete from audit_events where seq = 10`);
    expect((await verifyAuditChain(db.database.db)).broken).toEqual({
      seq: 10,
      reason: 'entry 10 is missing',
    });
  });

  it.runIf(available)('notices two entries swapped (reordered) with their hashes', async () => {
    const rows = await db.database.db
      .selectFrom('audit_events')
      .selectAll()
      .where('seq', 'in', [8, 9])
      .orderBy('seq')
      .execute();
    // Move entry 9's content, chain fields and columns into position 8 and the reverse.
    for (const [target, source] of [
      [rows[0]!, rows[1]!],
      [rows[1]!, rows[0]!],
    ] as const)
      await tamper(
        sql`update audit_events set recorded = ${source.recorded}, action = ${source.action}, outcome = ${source.outcome}, actor = ${source.actor}, patient_ids = ${source.patient_ids}, entry = ${source.entry}, prev_hash = ${source.prev_hash}, hash = ${source.hash} where seq = ${target.seq}`,
      );
    expect(await verifyAuditChain(db.database.db)).toEqual({
      entries: 7,
      broken: { seq: 8, reason: 'its link to the previous entry does not match that entry' },
    });
  });

  it.runIf(available)('notices an entry recomputed in place: the next link no longer matches', async () => {
    // A forger who rewrites entry 5 and its own hash still breaks entry 6's link to it.
    await tamper(sql`update audit_events set hash = ${'f'.repeat(64)} where seq = 5`);
    const report = await verifyAuditChain(db.database.db);
    expect(report.broken?.seq).toBe(5);
  });

  it.runIf(available)(
    'careloop audit verify exits 0 on an intact trail and 1 naming the broken entry',
    async () => {
      const bin = join(import.meta.dirname, '../../../bin/careloop.js');
      // The test's own PostgreSQL schema, named the way operators do it (docs/operations.md).
      const url = db.schema ? `${db.url}?options=-c%20search_path%3D${db.schema}` : db.url;
      const run = () =>
        spawnSync(process.execPath, [bin, 'audit', 'verify'], {
          env: { ...process.env, DATABASE_URL: url },
          encoding: 'utf8',
        });
      const ok = run();
      expect(ok.status).toBe(0);
      expect(ok.stdout.trim()).toBe('audit trail intact: 25 entries');
      await tamper(sql`update audit_events set outcome = 'failure' where seq = 4`);
      const bad = run();
      expect(bad.status).toBe(1);
      expect(bad.stderr.trim()).toBe(
        'careloop: audit trail broken at entry 4: its searchable columns differ from the hashed entry (3 entries before it hold)',
      );
    },
  );
});
