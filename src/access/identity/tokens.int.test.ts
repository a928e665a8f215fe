import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  bearerFor,
  type ClockedTestApp,
  createTestUser,
  openClockedTestApp,
  signIn,
} from '../../../test/support/identity.js';
import { databaseTargets } from '../../../test/support/test-databases.js';
import { createToken } from './tokens.js';

describe.each(databaseTargets)('bearer tokens on $name', ({ name, available }) => {
  let t: ClockedTestApp;
  beforeEach(async () => {
    if (available) t = await openClockedTestApp(name);
  });
  afterEach(async () => t?.close());

  const admin = async () => {
    const a = await createTestUser(t.db.database, { role: 'admin' });
    return signIn(t.app, a.email, a.password, { totpSecret: a.totpSecret, at: t.clock.now() });
  };
  /** A request that needs a signed-in user, and reads only (a read-only token may make it). */
  const probe = (authorization: string) =>
    t.app.inject({ url: '/api/notifications', headers: { authorization } });

  it.runIf(available)(
    'authenticates a token without a CSRF token, and records its use at most once a minute',
    async () => {
      const { authorization, user } = await bearerFor(t.db.database, {
        role: 'nurse',
        scopes: 'user/*.read',
      });
      expect((await probe(authorization)).statusCode).toBe(200);
      expect((await probe(authorization)).statusCode).toBe(200);
      const uses = () =>
        t.db.database.db
          .selectFrom('audit_events')
          .select('actor')
          .where('action', '=', 'token-use')
          .execute();
      expect(await uses()).toEqual([{ actor: `User/${user.id}` }]);
      t.clock.advance(60_000);
      await probe(authorization);
      expect(await uses()).toHaveLength(2);
      const row = await t.db.database.db
        .selectFrom('api_tokens')
        .select('last_used_at')
        .executeTakeFirstOrThrow();
      expect(row.last_used_at).toBe('2026-11-30T12:01:00.000Z');
    },
  );

  it.runIf(available)('answers 401 naming why for an expired, a revoked and an unknown token', async () => {
    const nurse = await createTestUser(t.db.database, { role: 'nurse' });
    const { token, id } = await createToken(t.db.database.db, t.clock, {
      userId: nurse.user.id,
      expiresInMs: 3600_000,
    });
    const call = (tok: string) => probe(`Bearer ${tok}`);
    t.clock.advance(3600_000);
    const expired = await call(token);
    expect(expired.statusCode).toBe(401);
    expect(expired.json().error).toMatchObject({
      code: 'unauthorized',
      message: 'the bearer token is expired',
    });
    expect(expired.headers['www-authenticate']).toBe('Bearer error="invalid_token"');

    const other = await createToken(t.db.database.db, t.clock, { userId: nurse.user.id });
    const signedIn = await admin();
    expect(
      (await t.app.inject({ method: 'DELETE', url: `/admin/tokens/${other.id}`, headers: signedIn.headers }))
        .statusCode,
    ).toBe(204);
    expect((await call(other.token)).json().error.message).toBe('the bearer token is revoked');
    const forged = `${other.token.slice(0, -4)}AAAA`;
    expect((await call(forged)).json().error.message).toBe('the bearer token is not valid');
    expect((await call('nonsense')).json().error.message).toBe('the bearer token is not valid');
    expect(id).toMatch(/^[0-9a-f]{24}$/);
  });

  it.runIf(available)('answers a bad token on /fhir with an OperationOutcome', async () => {
    const res = await t.app.inject({ url: '/fhir/Patient', headers: { authorization: 'Bearer clt_nope' } });
    expect(res.statusCode).toBe(401);
    expect(res.json()).toMatchObject({
      resourceType: 'OperationOutcome',
      issue: [{ severity: 'error', code: 'login', diagnostics: 'the bearer token is not valid' }],
    });
  });

  it.runIf(available)(
    'shows a token once when created; listing shows its scopes and never its secret',
    async () => {
      const nurse = await createTestUser(t.db.database, { role: 'nurse' });
      const signedIn = await admin();
      const created = await t.app.inject({
        method: 'POST',
        url: `/admin/users/${nurse.user.id}/tokens`,
        headers: signedIn.headers,
        payload: { scopes: 'user/Observation.read user/Patient.read', expiresInDays: 30, label: 'lab feed' },
      });
      expect(created.statusCode).toBe(201);
      const { token, id, expiresAt } = created.json();
      expect(token).toMatch(new RegExp(`^clt_${id}_[\\w-]{43}$`));
      expect(expiresAt).toBe('2026-12-30T12:00:00.000Z');
      const list = await t.app.inject({
        url: `/admin/users/${nurse.user.id}/tokens`,
        headers: signedIn.headers,
      });
      expect(list.json()).toEqual({
        tokens: [
          {
            id,
            userId: nurse.user.id,
            label: 'lab feed',
            scopes: ['user/Observation.read', 'user/Patient.read'],
            createdAt: '2026-11-30T12:00:00.000Z',
            expiresAt,
            revokedAt: null,
            lastUsedAt: null,
          },
        ],
      });
      expect(list.body).not.toContain(token.slice(token.indexOf('_', 4) + 1));
      const row = await t.db.database.db.selectFrom('api_tokens').selectAll().executeTakeFirstOrThrow();
      expect(JSON.stringify(row)).not.toContain(token.slice(token.indexOf('_', 4) + 1));

      const bad = await t.app.inject({
        method: 'POST',
        url: `/admin/users/${nurse.user.id}/tokens`,
        headers: signedIn.headers,
        payload: { scopes: 'everything' },
      });
      expect(bad.statusCode).toBe(400);
      expect(bad.json().error.message).toMatch(/^scopes: "everything" is not a scope/);
    },
  );

  it.runIf(available)('stops a token of a disabled user', async () => {
    const { authorization, user } = await bearerFor(t.db.database, { role: 'integration' });
    await t.db.database.db.updateTable('users').set({ disabled: 1 }).where('id', '=', user.id).execute();
    expect((await probe(authorization)).statusCode).toBe(401);
  });
});
