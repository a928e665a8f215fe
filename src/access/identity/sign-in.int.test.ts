import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type ClockedTestApp,
  createTestUser,
  openClockedTestApp,
  sessionCookie,
  TEST_NOW,
  totpCode,
} from '../../../test/support/identity.js';
import { databaseTargets } from '../../../test/support/test-databases.js';

const login = (t: ClockedTestApp, email: string, password: string, remote = '10.0.0.1') =>
  t.app.inject({ method: 'POST', url: '/auth/login', payload: { email, password }, remoteAddress: remote });

describe.each(databaseTargets)('sign-in on $name', ({ name, available }) => {
  let t: ClockedTestApp;
  beforeEach(async () => {
    if (available) t = await openClockedTestApp(name);
  });
  afterEach(async () => t?.close());

  const auditRows = () => t.db.database.db.selectFrom('audit_events').selectAll().orderBy('seq').execute();

  it.runIf(available)('signs a nurse in with a session cookie and a CSRF token', async () => {
    const nurse = await createTestUser(t.db.database, { role: 'nurse', email: 'Nurse.One@Clinic.org' });
    const res = await login(t, 'nurse.one@clinic.ORG', nurse.password);
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({ step: 'signed-in', user: { email: 'nurse.one@clinic.org', role: 'nurse' } });
    expect(body.csrfToken).toMatch(/^[\w-]{43}$/);
    const setCookie = String(res.headers['set-cookie']);
    expect(setCookie).toMatch(/^careloop_session=[\w-]+\.[\w-]{43};/);
    expect(setCookie).toContain('HttpOnly');
    expect(setCookie).toContain('SameSite=Lax');
    expect(setCookie).toContain('Path=/');
    expect(setCookie).not.toContain('Secure');

    const session = await t.app.inject({ url: '/auth/session', headers: { cookie: sessionCookie(res)! } });
    expect(session.statusCode).toBe(200);
    expect(session.json()).toEqual({
      user: {
        id: nurse.user.id,
        email: 'nurse.one@clinic.org',
        name: 'Test nurse',
        role: 'nurse',
        resource: null,
        mfaEnabled: false,
      },
      csrfToken: body.csrfToken,
    });
  });

  it.runIf(available)(
    'marks the cookie Secure when the request came over HTTPS (behind a proxy)',
    async () => {
      const nurse = await createTestUser(t.db.database, { role: 'nurse' });
      const res = await t.app.inject({
        method: 'POST',
        url: '/auth/login',
        headers: { 'x-forwarded-proto': 'https' },
        payload: { email: nurse.email, password: nurse.password },
      });
      expect(String(res.headers['set-cookie'])).toContain('Secure');
    },
  );

  it.runIf(available)(
    'answers a wrong password and an unknown email with the same 401 and message',
    async () => {
      const nurse = await createTestUser(t.db.database, { role: 'nurse' });
      const wrong = await login(t, nurse.email, 'not the password at all');
      const unknown = await login(t, 'nobody@clinic.org', 'not the password at all');
      for (const res of [wrong, unknown]) {
        expect(res.statusCode).toBe(401);
        expect(res.json()).toEqual({
          error: {
            code: 'unauthorized',
            message: 'Email or password is incorrect.',
            details: expect.any(Array),
          },
        });
        expect(res.headers['set-cookie']).toBeUndefined();
      }
      expect(await t.app.inject({ url: '/auth/session' }).then((r) => r.statusCode)).toBe(401);
    },
  );

  it.runIf(available)('refuses a disabled user with the same message as a wrong password', async () => {
    const nurse = await createTestUser(t.db.database, { role: 'nurse' });
    await t.db.database.db.updateTable('users').set({ disabled: 1 }).execute();
    const res = await login(t, nurse.email, nurse.password);
    expect(res.statusCode).toBe(401);
    expect(res.json().error.message).toBe('Email or password is incorrect.');
  });

  it.runIf(available)('names the missing field of a bad body with 400', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/auth/login', payload: { email: 'a@b.org' } });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({ code: 'bad_request', message: 'password: is required' });
  });

  it.runIf(available)(
    'locks an account for 15 minutes after 5 failures, with Retry-After, then lets it in',
    async () => {
      const nurse = await createTestUser(t.db.database, { role: 'nurse' });
      for (let i = 0; i < 5; i++)
        expect((await login(t, nurse.email, 'wrong password here')).statusCode).toBe(401);
      const locked = await login(t, nurse.email, nurse.password);
      expect(locked.statusCode).toBe(429);
      expect(locked.headers['retry-after']).toBe('900');
      expect(locked.json().error).toMatchObject({
        code: 'too_many_requests',
        message: 'Too many failed sign-ins for this account. Try again in 15 minutes.',
      });
      // An unknown email is locked the same way: a lockout does not tell which accounts exist.
      for (let i = 0; i < 5; i++) await login(t, 'ghost@clinic.org', 'wrong password here', '10.0.0.2');
      expect((await login(t, 'ghost@clinic.org', 'x', '10.0.0.3')).statusCode).toBe(429);

      t.clock.advance(14 * 60_000);
      expect((await login(t, nurse.email, nurse.password)).statusCode).toBe(429);
      t.clock.advance(60_000);
      expect((await login(t, nurse.email, nurse.password)).statusCode).toBe(200);
      const actions = (await auditRows()).map((r) => r.action);
      expect(actions.filter((a) => a === 'lockout')).toHaveLength(2);
    },
  );

  it.runIf(available)(
    'clears the account counter on success: failures do not add up across sign-ins',
    async () => {
      const nurse = await createTestUser(t.db.database, { role: 'nurse' });
      for (let i = 0; i < 4; i++) await login(t, nurse.email, 'wrong password here');
      expect((await login(t, nurse.email, nurse.password)).statusCode).toBe(200);
      for (let i = 0; i < 4; i++) await login(t, nurse.email, 'wrong password here');
      expect((await login(t, nurse.email, nurse.password)).statusCode).toBe(200);
    },
  );

  it.runIf(available)('blocks an address after 20 failures across accounts, for every account', async () => {
    const nurse = await createTestUser(t.db.database, { role: 'nurse' });
    for (let i = 0; i < 20; i++) await login(t, `user${i}@clinic.org`, 'wrong password here', '10.9.9.9');
    const blocked = await login(t, nurse.email, nurse.password, '10.9.9.9');
    expect(blocked.statusCode).toBe(429);
    expect(blocked.json().error.message).toBe(
      'Too many failed sign-ins from this address. Try again in 15 minutes.',
    );
    expect((await login(t, nurse.email, nurse.password, '10.1.1.1')).statusCode).toBe(200);
  });

  it.runIf(available)('audits sign-in and failed sign-in without the email or the password', async () => {
    const nurse = await createTestUser(t.db.database, {
      role: 'nurse',
      email: 'secret.nurse@clinic.org',
      password: 'very-secret-password-1',
    });
    await login(t, nurse.email, 'wrong-password-guess');
    await login(t, 'unknown.person@clinic.org', 'wrong-password-guess');
    await login(t, nurse.email, nurse.password);
    const rows = await auditRows();
    expect(rows.map((r) => [r.action, r.outcome, r.actor])).toEqual([
      ['sign-in-failed', 'failure', `User/${nurse.user.id}`],
      ['sign-in-failed', 'failure', null],
      ['sign-in', 'success', `User/${nurse.user.id}`],
    ]);
    expect(JSON.parse(rows[1].entry)).toMatchObject({ detail: 'unknown account', clientAddress: '10.0.0.1' });
    for (const row of rows) {
      expect(row.entry).not.toMatch(/secret\.nurse|unknown\.person|clinic\.org/);
      expect(row.entry).not.toMatch(/password-guess|very-secret/);
    }
  });

  it.runIf(available)(
    'makes an admin without TOTP enrol before anything else, then asks for a code each time',
    async () => {
      const admin = await createTestUser(t.db.database, { role: 'admin', mfa: false });
      const first = await login(t, admin.email, admin.password);
      expect(first.statusCode).toBe(200);
      const setup = first.json();
      expect(setup.step).toBe('mfa-setup-required');
      expect(setup.otpauthUrl).toMatch(
        /^otpauth:\/\/totp\/CareLoop:.+\?issuer=CareLoop&secret=[A-Z2-7]+&algorithm=SHA1&digits=6&period=30$/,
      );
      const pending = sessionCookie(first)!;
      // A pending session opens nothing.
      expect((await t.app.inject({ url: '/admin/users', headers: { cookie: pending } })).statusCode).toBe(
        401,
      );
      expect((await t.app.inject({ url: '/auth/session', headers: { cookie: pending } })).statusCode).toBe(
        401,
      );

      const wrong = await t.app.inject({
        method: 'POST',
        url: '/auth/mfa',
        headers: { cookie: pending },
        payload: { code: '000000' },
      });
      expect(wrong.statusCode).toBe(401);
      const done = await t.app.inject({
        method: 'POST',
        url: '/auth/mfa',
        headers: { cookie: pending },
        payload: { code: totpCode(setup.secret) },
      });
      expect(done.statusCode).toBe(200);
      expect(done.json()).toMatchObject({ step: 'signed-in', user: { role: 'admin', mfaEnabled: true } });
      // The pending cookie was replaced: the old one no longer works.
      expect((await t.app.inject({ url: '/auth/session', headers: { cookie: pending } })).statusCode).toBe(
        401,
      );
      const cookie = sessionCookie(done)!;
      expect((await t.app.inject({ url: '/admin/users', headers: { cookie } })).statusCode).toBe(200);

      t.clock.advance(30_000);
      const again = await login(t, admin.email, admin.password);
      expect(again.json()).toEqual({ step: 'mfa-required' });
      expect(
        (
          await t.app.inject({
            method: 'POST',
            url: '/auth/mfa',
            headers: { cookie: sessionCookie(again)! },
            payload: { code: totpCode(setup.secret, t.clock.now()) },
          })
        ).json().step,
      ).toBe('signed-in');
      expect((await auditRows()).map((r) => r.action)).toContain('mfa-enrolled');
    },
  );

  it.runIf(available)(
    'rejects a TOTP code used once already, and counts wrong codes as failures',
    async () => {
      const nurse = await createTestUser(t.db.database, { role: 'nurse', mfa: true });
      const mfa = async (code: string) => {
        const step = await login(t, nurse.email, nurse.password);
        expect(step.json()).toEqual({ step: 'mfa-required' });
        return t.app.inject({
          method: 'POST',
          url: '/auth/mfa',
          headers: { cookie: sessionCookie(step)! },
          payload: { code },
        });
      };
      const code = totpCode(nurse.totpSecret!);
      expect((await mfa(code)).statusCode).toBe(200);
      const reused = await mfa(code);
      expect(reused.statusCode).toBe(401);
      expect(reused.json().error.message).toBe(
        'The code is not valid. Enter the current code from your authenticator app.',
      );
      // The previous step's code is inside the window but older than the one used: refused too.
      expect((await mfa(totpCode(nurse.totpSecret!, TEST_NOW, -1))).statusCode).toBe(401);
      // The next step's code is newer: accepted (clock drift of one step).
      expect((await mfa(totpCode(nurse.totpSecret!, TEST_NOW, 1))).statusCode).toBe(200);
      // Five wrong codes lock the account, although each attempt began with the right password.
      for (let i = 0; i < 5; i++) expect((await mfa('123456')).statusCode).toBe(401);
      expect((await login(t, nurse.email, nurse.password)).statusCode).toBe(429);
    },
  );

  it.runIf(available)('lets a user enrol TOTP optionally while signed in, confirmed by a code', async () => {
    const nurse = await createTestUser(t.db.database, { role: 'nurse' });
    const res = await login(t, nurse.email, nurse.password);
    const headers = { cookie: sessionCookie(res)!, 'x-csrf-token': res.json().csrfToken };
    const enrol = await t.app.inject({ method: 'POST', url: '/auth/mfa/enroll', headers });
    expect(enrol.statusCode).toBe(200);
    const { secret } = enrol.json();
    const bad = await t.app.inject({
      method: 'POST',
      url: '/auth/mfa/confirm',
      headers,
      payload: { code: '111111' },
    });
    expect(bad.statusCode).toBe(400);
    const ok = await t.app.inject({
      method: 'POST',
      url: '/auth/mfa/confirm',
      headers,
      payload: { code: totpCode(secret) },
    });
    expect(ok.json()).toMatchObject({ user: { mfaEnabled: true } });
    t.clock.advance(30_000);
    expect((await login(t, nurse.email, nurse.password)).json()).toEqual({ step: 'mfa-required' });
  });

  it.runIf(available)('lets a signed-in user change their own password, given the current one', async () => {
    const nurse = await createTestUser(t.db.database, { role: 'nurse' });
    const res = await login(t, nurse.email, nurse.password);
    const headers = { cookie: sessionCookie(res)!, 'x-csrf-token': res.json().csrfToken };
    const missing = await t.app.inject({
      method: 'POST',
      url: '/auth/password',
      headers,
      payload: { newPassword: 'a brand new password' },
    });
    expect(missing.json().error.message).toBe('currentPassword: is required to change your password');
    const short = await t.app.inject({
      method: 'POST',
      url: '/auth/password',
      headers,
      payload: { currentPassword: nurse.password, newPassword: 'short' },
    });
    expect(short.json().error.message).toBe('newPassword: must be at least 12 characters long');
    const ok = await t.app.inject({
      method: 'POST',
      url: '/auth/password',
      headers,
      payload: { currentPassword: nurse.password, newPassword: 'a brand new password' },
    });
    expect(ok.statusCode).toBe(200);
    expect((await login(t, nurse.email, nurse.password)).statusCode).toBe(401);
    expect((await login(t, nurse.email, 'a brand new password')).statusCode).toBe(200);
  });
});
