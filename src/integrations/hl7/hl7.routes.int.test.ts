/**
 * HL7 v2 over HTTP and the dead letters, on SQLite and PostgreSQL: POST /hl7/v2 needs an integration
 * or admin account and answers the ACK (200 even for AE/AR), the dead-letter list never shows raw
 * text, one message shows it to administrators only, and a replay through the API or the
 * `careloop hl7` command processes a dead letter once its cause is fixed.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ackSegment,
  adtMessage,
  patientWritingHandlers,
  TEST_NPI_SYSTEM,
} from '../../../test/support/hl7.js';
import { bearerFor } from '../../../test/support/identity.js';
import {
  databaseTargets,
  openTestDatabase,
  type TestDatabase,
} from '../../../test/support/test-databases.js';
import type { ResourceStore } from '../../fhir/store/store.js';
import { fixedClock } from '../../platform/clock.js';
import { loadConfig } from '../../platform/config.js';
import { buildApp } from '../../server/app.js';
import { hl7HandlersFor } from './hl7-handlers.js';
import { createHl7Intake } from './hl7-intake.js';

const bin = join(import.meta.dirname, '../../../bin/careloop.js');

/** The DATABASE_URL another process uses to reach a test database (its own schema on PostgreSQL). */
function urlFor(db: TestDatabase): string {
  return db.schema ? `${db.url}?options=${encodeURIComponent(`-c search_path=${db.schema}`)}` : db.url;
}

describe.each(databaseTargets)('HL7 routes and CLI ($name)', ({ name, available }) => {
  let db: TestDatabase;
  let app: FastifyInstance;
  let store: ResourceStore;
  const as: Record<'integration' | 'admin' | 'coordinator', string> = {
    integration: '',
    admin: '',
    coordinator: '',
  };

  beforeAll(async () => {
    if (!available) return;
    db = await openTestDatabase(name);
    const clock = fixedClock('2026-11-30T12:00:00Z');
    const config = loadConfig({}, { databaseUrl: db.url, rateLimitPerMinute: 1_000_000 });
    ({ app, store } = await buildApp(config, {
      database: db.database,
      clock,
      hl7Handlers: patientWritingHandlers(),
    }));
    await app.ready();
    as.integration = (await bearerFor(db.database, { role: 'integration', clock })).authorization;
    as.admin = (await bearerFor(db.database, { role: 'admin', clock })).authorization;
    as.coordinator = (await bearerFor(db.database, { role: 'care-coordinator', clock })).authorization;
  }, 60_000);
  afterAll(async () => {
    await app?.close();
    await db?.cleanup();
  });

  const post = (payload: string, headers: Record<string, string>) =>
    app.inject({ method: 'POST', url: '/hl7/v2', payload, headers });

  it.runIf(available)('refuses POST /hl7/v2 without credentials (401) and to other roles (403)', async () => {
    const anonymous = await post(adtMessage('HTTP-0'), { 'content-type': 'x-application/hl7-v2+er7' });
    expect(anonymous.statusCode).toBe(401);
    const coordinator = await post(adtMessage('HTTP-0'), {
      'content-type': 'x-application/hl7-v2+er7',
      authorization: as.coordinator,
    });
    expect(coordinator.statusCode).toBe(403);
    const rows = await db.database.db
      .selectFrom('hl7_messages')
      .select('id')
      .where('control_id', '=', 'HTTP-0')
      .execute();
    expect(rows).toHaveLength(0);
  });

  it.runIf(available).each(['x-application/hl7-v2+er7', 'application/hl7-v2', 'text/plain; charset=utf-8'])(
    "answers an integration's message sent as %s with its ACK",
    async (contentType) => {
      const controlId = `HTTP-${contentType.length}`;
      const res = await post(adtMessage(controlId, { mrn: `MRN-${controlId}` }), {
        'content-type': contentType,
        authorization: as.integration,
      });
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toMatch(/^x-application\/hl7-v2\+er7/);
      expect(ackSegment(res.body, 'MSA')).toEqual(['MSA', 'AA', controlId]);
      const again = await post(adtMessage(controlId, { mrn: `MRN-${controlId}` }), {
        'content-type': contentType,
        authorization: as.integration,
      });
      expect(again.body).toBe(res.body);
    },
  );

  it.runIf(available)('answers AE and AR with 200 and the ERR, as HL7 over HTTP does', async () => {
    const ae = await post(adtMessage('HTTP-AE', { mrn: '' }), {
      'content-type': 'text/plain',
      authorization: as.admin,
    });
    expect(ae.statusCode).toBe(200);
    expect(ackSegment(ae.body, 'MSA')[1]).toBe('AE');
    expect(ackSegment(ae.body, 'ERR')[2]).toBe('PID^1^3');
    const ar = await post('not an HL7 message', {
      'content-type': 'text/plain',
      authorization: as.integration,
    });
    expect(ar.statusCode).toBe(200);
    expect(ackSegment(ar.body, 'MSA')[1]).toBe('AR');
    expect(ackSegment(ar.body, 'ERR')[3]).toBe('100^Segment sequence error^HL70357');
  });

  it.runIf(available)(
    'lists dead letters without their raw text, and shows it to administrators only',
    async () => {
      await post(adtMessage('HTTP-DL', { mrn: 'MRN-SECRET-77', family: 'ZABRISKIE', attending: 'NPI-501' }), {
        'content-type': 'text/plain',
        authorization: as.integration,
      });
      const list = await app.inject({
        url: '/api/hl7/messages?status=failed',
        headers: { authorization: as.integration },
      });
      expect(list.statusCode).toBe(200);
      const body = list.json();
      const entry = body.messages.find((m: { controlId: string }) => m.controlId === 'HTTP-DL');
      expect(entry).toMatchObject({
        status: 'failed',
        sender: 'EHR|GHH',
        type: 'ADT^A04',
        error: { code: '204', location: 'PV1-7' },
      });
      expect(body.messages.every((m: { status: string }) => m.status === 'failed')).toBe(true);
      expect(body.total).toBeGreaterThanOrEqual(2);
      expect(list.body).not.toContain('ZABRISKIE');
      expect(list.body).not.toContain('MRN-SECRET-77');

      const asIntegration = await app.inject({
        url: `/api/hl7/messages/${entry.id}`,
        headers: { authorization: as.integration },
      });
      expect(asIntegration.statusCode).toBe(200);
      expect(asIntegration.json().message.raw).toBeUndefined();
      expect(asIntegration.json().message.ack).toContain('MSA|AE|HTTP-DL');
      const asAdmin = await app.inject({
        url: `/api/hl7/messages/${entry.id}`,
        headers: { authorization: as.admin },
      });
      expect(asAdmin.json().message.raw).toContain('ZABRISKIE');
      const audited = await db.database.db
        .selectFrom('audit_events')
        .select('entry')
        .where('entry', 'like', `%HL7 message ${entry.id} (raw text)%`)
        .execute();
      expect(audited).toHaveLength(1);

      const forbidden = await app.inject({
        url: '/api/hl7/messages',
        headers: { authorization: as.coordinator },
      });
      expect(forbidden.statusCode).toBe(403);
      const badStatus = await app.inject({
        url: '/api/hl7/messages?status=lost',
        headers: { authorization: as.admin },
      });
      expect(badStatus.statusCode).toBe(400);
      expect(badStatus.json().error.message).toContain('status');
      const missing = await app.inject({
        url: '/api/hl7/messages/nope',
        headers: { authorization: as.admin },
      });
      expect(missing.statusCode).toBe(404);
    },
  );

  it.runIf(available)('replays a dead letter through the API once the doctor is on file', async () => {
    const list = await app.inject({
      url: '/api/hl7/messages?status=failed',
      headers: { authorization: as.integration },
    });
    const entry = list.json().messages.find((m: { controlId: string }) => m.controlId === 'HTTP-DL');
    const early = await app.inject({
      method: 'POST',
      url: `/api/hl7/messages/${entry.id}/replay`,
      headers: { authorization: as.integration },
    });
    expect(early.statusCode).toBe(200);
    expect(early.json().attempt).toMatchObject({ status: 'failed', ackCode: 'AE', replayedFrom: entry.id });
    await store.create({
      resourceType: 'Practitioner',
      identifier: [{ system: TEST_NPI_SYSTEM, value: 'NPI-501' }],
    });
    const replay = await app.inject({
      method: 'POST',
      url: `/api/hl7/messages/${entry.id}/replay`,
      headers: { authorization: as.integration },
    });
    expect(replay.json().attempt).toMatchObject({ status: 'processed', ackCode: 'AA', duplicate: false });
    const processedId = replay.json().attempt.id;
    const again = await app.inject({
      method: 'POST',
      url: `/api/hl7/messages/${processedId}/replay`,
      headers: { authorization: as.integration },
    });
    expect(again.statusCode).toBe(409);
    const after = await app.inject({
      url: '/api/hl7/messages?status=failed',
      headers: { authorization: as.integration },
    });
    const resolved = after.json().messages.find((m: { id: string }) => m.id === entry.id);
    expect(resolved.resolvedBy).toBe(processedId);
    const unknown = await app.inject({
      method: 'POST',
      url: '/api/hl7/messages/no-such-id/replay',
      headers: { authorization: as.integration },
    });
    expect(unknown.statusCode).toBe(404);
  });

  it.runIf(available)(
    "lists and replays from the command line with the server's own handlers",
    async () => {
      // The real ADT handler: cancelling a visit it never saw is a dead letter until the admission arrives.
      const config = loadConfig({}, { databaseUrl: db.url });
      const intake = createHl7Intake({
        store,
        handlers: hl7HandlersFor(config),
        timeZone: config.timeZone,
        clock: fixedClock('2026-11-30T12:00:00Z'),
      });
      const cancel = adtMessage('CLI-A11', {
        event: 'A11',
        mrn: 'MRN-CLI',
        patientClass: 'I',
        visit: 'V-CLI-1',
      });
      const first = await intake.process(cancel);
      expect(first.status).toBe('failed');
      const env = { ...process.env, DATABASE_URL: urlFor(db), CARELOOP_MLLP_PORT: 'off' };
      const run = (args: string[]) =>
        spawnSync(process.execPath, [bin, 'hl7', ...args], { env, encoding: 'utf8', timeout: 120_000 });

      const listed = run(['list', '--status', 'failed']);
      expect(listed.status, listed.stderr).toBe(0);
      const line = listed.stdout.split('\n').find((l) => l.startsWith(first.id))!;
      expect(line).toContain('ADT^A11');
      expect(line).toContain('CLI-A11');
      expect(line).toMatch(/failed/);
      expect(listed.stdout).not.toContain('MRN-CLI');

      const admitted = await intake.process(
        adtMessage('CLI-A01', { event: 'A01', mrn: 'MRN-CLI', patientClass: 'I', visit: 'V-CLI-1' }),
      );
      expect(admitted.status).toBe('processed');
      const replayed = run(['replay', first.id]);
      expect(replayed.stderr).toBe('');
      expect(replayed.stdout).toMatch(
        new RegExp(`^${first.id}: replayed as [0-9a-f-]+: processed, MSA-1 AA`),
      );
      expect(replayed.status).toBe(0);

      const bad = run(['replay', 'no-such-id']);
      expect(bad.status).toBe(1);
      expect(bad.stderr.trim().split('\n')).toEqual(['careloop: no HL7 message has the id "no-such-id"']);
      const usage = run(['list', '--status', 'lost']);
      expect(usage.status).toBe(2);
      expect(usage.stderr.trim()).toBe(
        'careloop: --status must be one of processed, failed, rejected, not "lost"',
      );
    },
    180_000,
  );
});
