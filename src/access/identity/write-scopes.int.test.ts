/**
 * A token's scopes hold on every write, whichever route makes it, and account security takes a
 * signed-in session: the writes a security review made with read-only tokens (an assessment with its
 * scores, a second factor that locked the owner out, a notification marked read) are refused before
 * anything is written, while the same requests with a token that may write go through.
 */
import type { Bundle, Communication } from 'fhir/r4.js';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildCondition,
  buildObservation,
  buildPatient,
  buildPractitioner,
} from '../../../test/support/factories.js';
import {
  bearerFor,
  type ClockedTestApp,
  createTestUser,
  openClockedTestApp,
  signIn,
} from '../../../test/support/identity.js';
import { databaseTargets } from '../../../test/support/test-databases.js';
import { frequencyPositions, PHQ9_ITEMS, responseTo } from '../../modules/assessments/assessment-fixture.js';
import { ensureInstruments } from '../../modules/assessments/questionnaires.js';
import { COMMUNICATION_CATEGORY } from '../../modules/transitions/notifications.service.js';
import type { AuditEntry } from '../audit/audit-trail.js';
import { createToken } from './tokens.js';

const SESSION_NEEDED = /^this needs a signed-in session, not a bearer token/;

describe.each(databaseTargets)('scopes on writes and session-only routes ($name)', ({ name, available }) => {
  let t: ClockedTestApp;
  /** Tokens of the patient's care coordinator: read-only, and allowed to write. */
  let readOnly: string;
  let readWrite: string;
  let coordinatorId: string;

  beforeAll(async () => {
    if (!available) return;
    t = await openClockedTestApp(name, { rateLimitPerMinute: 1_000_000 });
    await ensureInstruments(t.store);
    await t.store.update('Practitioner', 'pr-coord', { ...buildPractitioner(), id: 'pr-coord' });
    await t.store.update('Patient', 'p1', { ...buildPatient(), id: 'p1' });
    await t.store.update('CareTeam', 'ct-p1', {
      resourceType: 'CareTeam',
      id: 'ct-p1',
      status: 'active',
      subject: { reference: 'Patient/p1' },
      participant: [{ member: { reference: 'Practitioner/pr-coord' } }],
    });
    await t.store.update('Communication', 'note-1', {
      resourceType: 'Communication',
      id: 'note-1',
      status: 'completed',
      category: [{ coding: [{ system: COMMUNICATION_CATEGORY, code: 'notification' }] }],
      subject: { reference: 'Patient/p1' },
      recipient: [{ reference: 'Practitioner/pr-coord' }],
      payload: [{ contentString: 'Discharged from hospital' }],
    } as Communication);
    const coordinator = await createTestUser(t.db.database, {
      role: 'care-coordinator',
      resource: 'Practitioner/pr-coord',
    });
    coordinatorId = coordinator.user.id;
    const token = async (scopes: string) =>
      `Bearer ${(await createToken(t.db.database.db, t.clock, { userId: coordinatorId, scopes })).token}`;
    readOnly = await token('user/*.read');
    readWrite = await token('user/*.read user/QuestionnaireResponse.write user/Communication.write');
  }, 120_000);
  afterAll(async () => t?.close());

  const send = (authorization: string, method: 'POST' | 'PUT', url: string, payload?: object) =>
    t.app.inject({ method, url, headers: { authorization }, ...(payload ? { payload } : {}) });
  /** Rows of `table` (of one resource type, for `resources`). */
  const count = async (table: 'resources' | 'notification_reads' | 'api_tokens', type?: string) => {
    const where = type ? sql`resource_type = ${type} and deleted = 0` : sql`1 = 1`;
    const { rows } = await sql<{
      n: number;
    }>`select count(*) as n from ${sql.table(table)} where ${where}`.execute(t.db.database.db);
    return Number(rows[0]!.n);
  };
  const lastAudit = async (): Promise<AuditEntry> =>
    JSON.parse(
      (
        await t.db.database.db
          .selectFrom('audit_events')
          .select('entry')
          .orderBy('seq', 'desc')
          .executeTakeFirstOrThrow()
      ).entry,
    );

  it.runIf(available)(
    'a read-only token cannot submit an assessment: 403 naming user/QuestionnaireResponse.write, no response or score stored, the refusal audited',
    async () => {
      const r = responseTo('phq-9', frequencyPositions(PHQ9_ITEMS, [1, 1, 1, 1, 1, 1, 1, 1, 0]));
      const body = { questionnaire: r.questionnaire, status: 'completed', items: r.item };
      const responses = await count('resources', 'QuestionnaireResponse');
      const observations = await count('resources', 'Observation');

      const refused = await send(readOnly, 'POST', '/api/patients/p1/assessments', body);
      expect(refused.statusCode).toBe(403);
      expect(refused.json().error.message).toBe(
        "insufficient_scope: this token's scopes (user/*.read) do not allow writing QuestionnaireResponse; " +
          'it needs user/QuestionnaireResponse.write (or user/*.write)',
      );
      expect(refused.headers['www-authenticate']).toBe(
        'Bearer error="insufficient_scope", scope="user/QuestionnaireResponse.write"',
      );
      expect(await count('resources', 'QuestionnaireResponse')).toBe(responses);
      expect(await count('resources', 'Observation')).toBe(observations);
      expect(await lastAudit()).toMatchObject({
        action: 'token-refused',
        outcome: 'denied',
        actor: 'Practitioner/pr-coord',
        detail: expect.stringMatching(
          /^token [0-9a-f]{24}: POST \/api\/patients\/:id\/assessments needs user\/QuestionnaireResponse\.write$/,
        ),
      });

      // The same request from a token that may write QuestionnaireResponses is scored and stored.
      const accepted = await send(readWrite, 'POST', '/api/patients/p1/assessments', body);
      expect(accepted.statusCode, accepted.body).toBe(201);
      expect(await count('resources', 'QuestionnaireResponse')).toBe(responses + 1);
      expect(await count('resources', 'Observation')).toBeGreaterThan(observations);
    },
  );

  it.runIf(available)(
    'a read-only token cannot mark a notification read; a token that may write Communications can',
    async () => {
      const refused = await send(readOnly, 'POST', '/api/notifications/note-1/read');
      expect(refused.statusCode).toBe(403);
      expect(refused.json().error.message).toMatch(/it needs user\/Communication\.write/);
      expect(await count('notification_reads')).toBe(0);
      const read = await send(readWrite, 'POST', '/api/notifications/note-1/read');
      expect(read.statusCode, read.body).toBe(200);
      expect(await count('notification_reads')).toBe(1);
    },
  );

  it.runIf(available)(
    'a second factor and a password are changed in a signed-in session only: any bearer token is refused, so a leaked token cannot lock its owner out',
    async () => {
      const totp = () =>
        t.db.database.db
          .selectFrom('users')
          .select(['totp_secret', 'totp_enabled'])
          .where('id', '=', coordinatorId)
          .executeTakeFirstOrThrow();
      const full = (await bearerFor(t.db.database, { role: 'nurse', clock: t.clock })).authorization;
      for (const authorization of [readOnly, full])
        for (const [url, payload] of [
          ['/auth/mfa/enroll', undefined],
          ['/auth/mfa/confirm', { code: '123456' }],
          ['/auth/password', { currentPassword: 'x'.repeat(12), newPassword: 'y'.repeat(16) }],
        ] as const) {
          const response = await send(authorization, 'POST', url, payload);
          expect(response.statusCode, url).toBe(403);
          expect(response.json().error.message, url).toMatch(SESSION_NEEDED);
        }
      expect(await totp()).toEqual({ totp_secret: null, totp_enabled: 0 });

      // Signed in, the person enrols.
      const nurse = await createTestUser(t.db.database, { role: 'nurse' });
      const session = await signIn(t.app, nurse.email, nurse.password);
      const enrol = await t.app.inject({ method: 'POST', url: '/auth/mfa/enroll', headers: session.headers });
      expect(enrol.statusCode, enrol.body).toBe(200);
    },
  );

  it.runIf(available)(
    'an administrator makes tokens and temporary passwords signed in, never with a token',
    async () => {
      const admin = (await bearerFor(t.db.database, { role: 'admin', clock: t.clock })).authorization;
      const tokens = await count('api_tokens');
      for (const url of [
        `/admin/users/${coordinatorId}/tokens`,
        `/admin/users/${coordinatorId}/reset-password`,
      ]) {
        const response = await send(admin, 'POST', url, {});
        expect(response.statusCode, url).toBe(403);
        expect(response.json().error.message).toMatch(SESSION_NEEDED);
      }
      expect(await count('api_tokens')).toBe(tokens);
    },
  );

  it.runIf(available)(
    'per-type write scopes hold for FHIR writes and for every entry of a transaction or batch',
    async () => {
      const feed = (
        await bearerFor(t.db.database, {
          role: 'integration',
          scopes: 'user/*.read user/Observation.write',
          clock: t.clock,
        })
      ).authorization;
      const fhir = (method: 'POST' | 'PUT', url: string, payload: object) =>
        t.app.inject({
          method,
          url,
          payload,
          headers: { authorization: feed, 'content-type': 'application/fhir+json' },
        });
      const observation = buildObservation('p1');
      const condition = buildCondition('p1');
      expect((await fhir('POST', '/fhir/Observation', observation)).statusCode).toBe(201);
      const single = await fhir('PUT', '/fhir/Condition/c-1', { ...condition, id: 'c-1' });
      expect(single.statusCode).toBe(403);
      expect(single.json()).toMatchObject({
        resourceType: 'OperationOutcome',
        issue: [{ code: 'forbidden', diagnostics: expect.stringMatching(/it needs user\/Condition\.write/) }],
      });

      const observations = await count('resources', 'Observation');
      const bundle = (type: 'transaction' | 'batch', withCondition: boolean): Bundle => ({
        resourceType: 'Bundle',
        type,
        entry: [
          { resource: observation, request: { method: 'POST', url: 'Observation' } },
          { request: { method: 'GET', url: 'Patient/p1' } },
          ...(withCondition
            ? [{ resource: condition, request: { method: 'POST' as const, url: 'Condition' } }]
            : []),
        ],
      });
      for (const type of ['transaction', 'batch'] as const) {
        const refused = await fhir('POST', '/fhir', bundle(type, true));
        expect(refused.statusCode, type).toBe(403);
        expect(refused.json().issue[0].diagnostics).toMatch(
          /do not allow writing Condition; it needs user\/Condition\.write/,
        );
      }
      expect(await count('resources', 'Observation')).toBe(observations);
      expect(await count('resources', 'Condition')).toBe(0);
      const accepted = await fhir('POST', '/fhir', bundle('transaction', false));
      expect(accepted.statusCode, accepted.body).toBe(200);
      expect(await count('resources', 'Observation')).toBe(observations + 1);
    },
  );
});
