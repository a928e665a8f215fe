/**
 * Request limits count per principal: a signed-in session or a token against its user (an
 * integration against its own, higher limit), anything without valid credentials against its
 * address. Many users behind one address, and an interface loading resources one request at a time,
 * are not throttled as one client; anonymous callers and token guessing still are.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  bearerFor,
  type ClockedTestApp,
  createTestUser,
  openClockedTestApp,
  signIn,
} from '../../test/support/identity.js';
import { databaseTargets } from '../../test/support/test-databases.js';

const ADDRESS = '10.20.30.40';

describe.each(databaseTargets)('request limits by principal ($name)', ({ name, available }) => {
  let t: ClockedTestApp;
  afterEach(async () => t?.close());

  const get = (url: string, headers: Record<string, string> = {}, remoteAddress = ADDRESS) =>
    t.app.inject({ url, headers, remoteAddress });

  it.runIf(available)(
    'an integration token makes more than 600 requests a minute from one address without a 429 (default limits)',
    async () => {
      t = await openClockedTestApp(name);
      const { authorization } = await bearerFor(t.db.database, { role: 'integration', clock: t.clock });
      const statuses = new Set<number>();
      for (let i = 0; i < 650; i++) statuses.add((await get('/health', { authorization })).statusCode);
      expect([...statuses]).toEqual([200]);
      // The address's own budget (600) was never touched: an anonymous caller there is still served.
      expect((await get('/health')).statusCode).toBe(200);
    },
    120_000,
  );

  it.runIf(available)('an integration is held to its own limit when one is configured', async () => {
    t = await openClockedTestApp(name, { rateLimitPerMinute: 5, integrationRateLimitPerMinute: 20 });
    const { authorization } = await bearerFor(t.db.database, { role: 'integration', clock: t.clock });
    for (let i = 0; i < 20; i++)
      expect((await get('/fhir/metadata', { authorization })).statusCode).toBe(200);
    const limited = await get('/fhir/metadata', { authorization });
    expect(limited.statusCode).toBe(429);
    expect(limited.headers['retry-after']).toMatch(/^\d+$/);
    expect(limited.json()).toMatchObject({
      resourceType: 'OperationOutcome',
      issue: [
        { code: 'throttled', diagnostics: expect.stringMatching(/^too many requests for this account/) },
      ],
    });
  });

  it.runIf(available)(
    'a user token is limited per user: two users at one address each have their own budget, and an anonymous caller there its own',
    async () => {
      t = await openClockedTestApp(name, { rateLimitPerMinute: 5 });
      const first = await bearerFor(t.db.database, { role: 'nurse', clock: t.clock });
      const second = await bearerFor(t.db.database, { role: 'nurse', clock: t.clock });
      for (let i = 0; i < 5; i++)
        expect((await get('/api/notifications', { authorization: first.authorization })).statusCode).toBe(
          200,
        );
      const limited = await get('/api/notifications', { authorization: first.authorization });
      expect(limited.statusCode).toBe(429);
      expect(limited.headers['retry-after']).toMatch(/^\d+$/);
      expect(limited.json().error).toMatchObject({
        code: 'too_many_requests',
        message: expect.stringMatching(/^too many requests for this account; retry in \d+ seconds$/),
      });
      // The user's budget follows them to another address...
      expect(
        (await get('/api/notifications', { authorization: first.authorization }, '10.9.9.9')).statusCode,
      ).toBe(429);
      // ...and is theirs alone: another user and an anonymous caller at the same address are served.
      for (let i = 0; i < 5; i++)
        expect((await get('/api/notifications', { authorization: second.authorization })).statusCode).toBe(
          200,
        );
      expect((await get('/health')).statusCode).toBe(200);
    },
  );

  it.runIf(available)('a signed-in session counts against its user, from whatever address', async () => {
    t = await openClockedTestApp(name, { rateLimitPerMinute: 5 });
    const nurse = await createTestUser(t.db.database, { role: 'nurse' });
    const session = await signIn(t.app, nurse.email, nurse.password);
    for (let i = 0; i < 5; i++)
      expect((await get('/auth/session', session.headers, `10.0.0.${i + 1}`)).statusCode).toBe(200);
    expect((await get('/auth/session', session.headers, '10.0.0.99')).statusCode).toBe(429);
  });

  it.runIf(available)(
    'requests without valid credentials count against their address: a made-up token is throttled like no token',
    async () => {
      t = await openClockedTestApp(name, { rateLimitPerMinute: 5 });
      for (let i = 0; i < 4; i++) expect((await get('/health')).statusCode).toBe(200);
      const guess = { authorization: `Bearer clt_${'0'.repeat(24)}_${'A'.repeat(43)}` };
      expect((await get('/fhir/Patient', guess)).statusCode).toBe(401);
      const limited = await get('/fhir/Patient', guess);
      expect(limited.statusCode).toBe(429);
      expect(limited.json().issue[0].diagnostics).toMatch(/^too many requests from this address/);
      // Another address is not affected.
      expect((await get('/health', {}, '10.1.1.1')).statusCode).toBe(200);
    },
  );
});
