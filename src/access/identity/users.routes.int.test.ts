import type { Patient, Practitioner } from 'fhir/r4.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type ClockedTestApp,
  createTestUser,
  openClockedTestApp,
  type SignedIn,
  signIn,
} from '../../../test/support/identity.js';
import { databaseTargets } from '../../../test/support/test-databases.js';

describe.each(databaseTargets)('user administration on $name', ({ name, available }) => {
  let t: ClockedTestApp;
  let admin: SignedIn;
  let adminId: string;
  beforeEach(async () => {
    if (!available) return;
    t = await openClockedTestApp(name);
    const a = await createTestUser(t.db.database, { role: 'admin' });
    adminId = a.user.id;
    admin = await signIn(t.app, a.email, a.password, { totpSecret: a.totpSecret });
  });
  afterEach(async () => t?.close());

  const post = (url: string, payload?: object, headers = admin.headers) =>
    t.app.inject({ method: 'POST', url, headers, payload });

  it.runIf(available)('answers 403 to a nurse and 401 to nobody on every admin route', async () => {
    const nurse = await createTestUser(t.db.database, { role: 'nurse' });
    const session = await signIn(t.app, nurse.email, nurse.password);
    const routes: [string, string][] = [
      ['GET', '/admin/users'],
      ['POST', '/admin/users'],
      ['POST', `/admin/users/${nurse.user.id}/reset-password`],
      ['POST', `/admin/users/${nurse.user.id}/revoke-sessions`],
      ['POST', `/admin/users/${nurse.user.id}/disable`],
      ['POST', `/admin/users/${nurse.user.id}/enable`],
      ['GET', `/admin/users/${nurse.user.id}/tokens`],
      ['POST', `/admin/users/${nurse.user.id}/tokens`],
      ['DELETE', '/admin/tokens/abc'],
    ];
    for (const [method, url] of routes) {
      const asNurse = await t.app.inject({
        method: method as 'GET',
        url,
        headers: session.headers,
        payload: {},
      });
      expect(asNurse.statusCode, `${method} ${url}`).toBe(403);
      expect(asNurse.json().error).toEqual({
        code: 'forbidden',
        message: 'this needs the admin role',
        details: expect.any(Array),
      });
      const anonymous = await t.app.inject({ method: method as 'GET', url, payload: {} });
      expect(anonymous.statusCode, `${method} ${url}`).toBe(401);
    }
  });

  it.runIf(available)(
    'creates a user linked to an existing resource, with a temporary password shown once',
    async () => {
      const { resource } = await t.store.create({
        resourceType: 'Practitioner',
        name: [{ family: 'Okafor' }],
      } as Practitioner);
      const res = await post('/admin/users', {
        email: 'A.Okafor@Clinic.org',
        name: 'Ada Okafor',
        role: 'physician',
        resource: `Practitioner/${resource.id}`,
      });
      expect(res.statusCode).toBe(201);
      const body = res.json();
      expect(body.user).toMatchObject({
        email: 'a.okafor@clinic.org',
        role: 'physician',
        resource: `Practitioner/${resource.id}`,
      });
      expect(body.temporaryPassword).toMatch(/^[\w]{4}(-\w{4}){3}$/);
      const list = await t.app.inject({ url: '/admin/users', headers: admin.headers });
      const row = list.json().users.find((u: { id: string }) => u.id === body.user.id);
      expect(row).toEqual({
        ...body.user,
        disabled: false,
        mustChangePassword: true,
        createdAt: '2026-11-30T12:00:00.000Z',
        activeSessions: 0,
        activeTokens: 0,
      });
      expect(list.body).not.toContain(body.temporaryPassword);
      expect(list.json().users.find((u: { id: string }) => u.id === adminId).activeSessions).toBe(1);
    },
  );

  it.runIf(available)(
    'names the field of a bad user: role, resource type, missing resource, duplicate email',
    async () => {
      const { resource } = await t.store.create({
        resourceType: 'Patient',
        name: [{ family: 'Lee' }],
      } as Patient);
      const cases: [object, number, string][] = [
        [
          { email: 'x@c.org', name: 'X', role: 'wizard' },
          400,
          'role: must be one of: admin, care-coordinator',
        ],
        [{ email: 'not-an-email', name: 'X', role: 'nurse' }, 400, 'email: must be an email address'],
        [
          { email: 'x@c.org', name: 'X', role: 'nurse', resource: `Patient/${resource.id}` },
          400,
          'resource: a nurse can be linked to Practitioner or PractitionerRole, not Patient',
        ],
        [
          { email: 'x@c.org', name: 'X', role: 'patient', resource: 'Patient/nope' },
          400,
          'resource: Patient/nope does not exist',
        ],
        [
          { email: 'x@c.org', name: 'X', role: 'nurse', password: 'x@c.org' },
          400,
          'password: must be at least 12',
        ],
        [{ name: 'X', role: 'nurse' }, 400, 'email: is required'],
      ];
      for (const [payload, status, message] of cases) {
        const res = await post('/admin/users', payload);
        expect(res.statusCode, JSON.stringify(payload)).toBe(status);
        expect(res.json().error.message).toContain(message);
      }
      expect(
        (
          await post('/admin/users', {
            email: 'p@c.org',
            name: 'P',
            role: 'patient',
            resource: `Patient/${resource.id}`,
            password: 'a long password!',
          })
        ).statusCode,
      ).toBe(201);
      const dup = await post('/admin/users', { email: 'P@C.org', name: 'P', role: 'nurse' });
      expect(dup.statusCode).toBe(409);
      expect(dup.json().error).toMatchObject({
        code: 'conflict',
        message: 'a user with this email already exists',
      });
    },
  );

  it.runIf(available)(
    'disables and re-enables a user; disabling ends their sessions; an admin cannot disable themself',
    async () => {
      const nurse = await createTestUser(t.db.database, { role: 'nurse' });
      const session = await signIn(t.app, nurse.email, nurse.password);
      const off = await post(`/admin/users/${nurse.user.id}/disable`);
      expect(off.json().user).toMatchObject({ id: nurse.user.id, disabled: true });
      expect((await t.app.inject({ url: '/auth/session', headers: session.headers })).statusCode).toBe(401);
      const login = () =>
        t.app.inject({
          method: 'POST',
          url: '/auth/login',
          payload: { email: nurse.email, password: nurse.password },
        });
      expect((await login()).statusCode).toBe(401);
      await post(`/admin/users/${nurse.user.id}/enable`);
      expect((await login()).statusCode).toBe(200);
      expect((await post(`/admin/users/${adminId}/disable`)).statusCode).toBe(409);
      const actions = await t.db.database.db.selectFrom('audit_events').select('action').execute();
      expect(actions.map((a) => a.action)).toEqual(expect.arrayContaining(['user-disabled', 'user-enabled']));
    },
  );
});
