import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type ClockedTestApp,
  createTestUser,
  openClockedTestApp,
  type SignedIn,
  signIn,
} from '../../../test/support/identity.js';
import { databaseTargets } from '../../../test/support/test-databases.js';

describe.each(databaseTargets)('sessions on $name', ({ name, available }) => {
  let t: ClockedTestApp;
  beforeEach(async () => {
    if (available) t = await openClockedTestApp(name);
  });
  afterEach(async () => t?.close());

  const whoami = (cookie: string) => t.app.inject({ url: '/auth/session', headers: { cookie } });
  const signedInNurse = async (): Promise<SignedIn> => {
    const nurse = await createTestUser(t.db.database, { role: 'nurse' });
    return signIn(t.app, nurse.email, nurse.password);
  };
  const signedInAdmin = async () => {
    const admin = await createTestUser(t.db.database, { role: 'admin' });
    return signIn(t.app, admin.email, admin.password, { totpSecret: admin.totpSecret });
  };

  it.runIf(available)('slides the 30-minute idle timeout with each request', async () => {
    const { cookie } = await signedInNurse();
    for (let i = 0; i < 4; i++) {
      t.clock.advance(29 * 60_000);
      expect((await whoami(cookie)).statusCode).toBe(200);
    }
    t.clock.advance(30 * 60_000);
    expect((await whoami(cookie)).statusCode).toBe(401);
  });

  it.runIf(available)('ends a session 12 hours after sign-in however busy it is', async () => {
    const { cookie } = await signedInNurse();
    for (let minutes = 20; minutes < 12 * 60; minutes += 20) {
      t.clock.advance(20 * 60_000);
      expect((await whoami(cookie)).statusCode).toBe(200);
    }
    t.clock.advance(20 * 60_000);
    expect((await whoami(cookie)).statusCode).toBe(401);
  });

  it.runIf(available)(
    'signs out: the session is revoked, the cookie cleared and no longer accepted',
    async () => {
      const { cookie, headers } = await signedInNurse();
      const out = await t.app.inject({ method: 'POST', url: '/auth/logout', headers });
      expect(out.statusCode).toBe(204);
      expect(String(out.headers['set-cookie'])).toMatch(/^careloop_session=;.*Expires=Thu, 01 Jan 1970/);
      expect((await whoami(cookie)).statusCode).toBe(401);
      const actions = await t.db.database.db.selectFrom('audit_events').select('action').execute();
      expect(actions.map((a) => a.action)).toContain('sign-out');
    },
  );

  it.runIf(available)(
    'refuses a cookie write without the CSRF token with 403, and passes it with one',
    async () => {
      const { cookie, headers } = await signedInNurse();
      const bare = await t.app.inject({ method: 'POST', url: '/auth/logout', headers: { cookie } });
      expect(bare.statusCode).toBe(403);
      expect(bare.json()).toEqual({
        error: {
          code: 'forbidden',
          message: 'missing or wrong CSRF token (send the x-csrf-token header)',
          details: expect.any(Array),
        },
      });
      const wrong = await t.app.inject({
        method: 'POST',
        url: '/auth/logout',
        headers: { cookie, 'x-csrf-token': 'x'.repeat(43) },
      });
      expect(wrong.statusCode).toBe(403);
      expect((await whoami(cookie)).statusCode).toBe(200);
      expect((await t.app.inject({ method: 'POST', url: '/auth/logout', headers })).statusCode).toBe(204);
    },
  );

  it.runIf(available)(
    'enforces the CSRF token on FHIR writes too, answering with an OperationOutcome',
    async () => {
      const { cookie, headers } = await signedInNurse();
      const patient = { resourceType: 'Patient', name: [{ family: 'Test' }] };
      const bare = await t.app.inject({
        method: 'POST',
        url: '/fhir/Patient',
        headers: { cookie },
        payload: patient,
      });
      expect(bare.statusCode).toBe(403);
      expect(bare.json()).toMatchObject({
        resourceType: 'OperationOutcome',
        issue: [
          { code: 'forbidden', diagnostics: 'missing or wrong CSRF token (send the x-csrf-token header)' },
        ],
      });
      // With the token the request is authenticated; whether a nurse may create it is the policy's call.
      const ok = await t.app.inject({ method: 'POST', url: '/fhir/Patient', headers, payload: patient });
      expect(ok.body).not.toContain('CSRF');
    },
  );

  it.runIf(available)("revokes all of a user's sessions on an admin's request", async () => {
    const nurse = await createTestUser(t.db.database, { role: 'nurse' });
    const a = await signIn(t.app, nurse.email, nurse.password);
    const b = await signIn(t.app, nurse.email, nurse.password);
    const admin = await signedInAdmin();
    const res = await t.app.inject({
      method: 'POST',
      url: `/admin/users/${nurse.user.id}/revoke-sessions`,
      headers: admin.headers,
    });
    expect(res.json()).toEqual({ revoked: 2 });
    expect((await whoami(a.cookie)).statusCode).toBe(401);
    expect((await whoami(b.cookie)).statusCode).toBe(401);
    expect((await whoami(admin.cookie)).statusCode).toBe(200);
  });

  it.runIf(available)(
    'resets a password: sessions end, and the user must change it before anything else',
    async () => {
      const nurse = await createTestUser(t.db.database, { role: 'nurse' });
      const old = await signIn(t.app, nurse.email, nurse.password);
      const admin = await signedInAdmin();
      const reset = await t.app.inject({
        method: 'POST',
        url: `/admin/users/${nurse.user.id}/reset-password`,
        headers: admin.headers,
      });
      expect(reset.statusCode).toBe(200);
      const { temporaryPassword } = reset.json();
      expect((await whoami(old.cookie)).statusCode).toBe(401);
      expect(
        (
          await t.app.inject({
            method: 'POST',
            url: '/auth/login',
            payload: { email: nurse.email, password: nurse.password },
          })
        ).statusCode,
      ).toBe(401);

      const step = await t.app.inject({
        method: 'POST',
        url: '/auth/login',
        payload: { email: nurse.email, password: temporaryPassword },
      });
      expect(step.json()).toEqual({ step: 'password-change-required', csrfToken: expect.any(String) });
      const cookie = String(step.headers['set-cookie']).split(';')[0];
      const headers = { cookie, 'x-csrf-token': step.json().csrfToken };
      expect((await whoami(cookie)).statusCode).toBe(401);
      const enrol = await t.app.inject({ method: 'POST', url: '/auth/mfa/enroll', headers });
      expect(enrol.statusCode).toBe(401);
      expect(enrol.json().error.message).toBe(
        'sign in first: finish the second factor or the password change',
      );
      const same = await t.app.inject({
        method: 'POST',
        url: '/auth/password',
        headers,
        payload: { newPassword: temporaryPassword },
      });
      expect(same.json().error.message).toBe('newPassword: must differ from the current password');
      const changed = await t.app.inject({
        method: 'POST',
        url: '/auth/password',
        headers,
        payload: { newPassword: 'my own new passphrase' },
      });
      expect(changed.statusCode).toBe(200);
      expect(changed.json()).toMatchObject({ step: 'signed-in', user: { id: nurse.user.id } });
      const fresh = String(changed.headers['set-cookie']).split(';')[0];
      expect((await whoami(fresh)).statusCode).toBe(200);
      const audit = await t.db.database.db
        .selectFrom('audit_events')
        .selectAll()
        .where('action', '=', 'password-reset')
        .execute();
      expect(audit).toHaveLength(1);
      expect(JSON.parse(audit[0].entry)).toMatchObject({ detail: `user ${nurse.user.id}`, role: 'admin' });
      expect(audit[0].entry).not.toContain(temporaryPassword);
    },
  );
});
