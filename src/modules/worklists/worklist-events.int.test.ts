/**
 * The worklist's live event stream ends with its credential: signed out, token revoked, token
 * expired, account disabled. Over a real HTTP port (the stream is a long-lived response, which
 * `inject` cannot hold open); each test waits for the stream's end, never for a fixed time.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildPatient } from '../../../test/support/factories.js';
import {
  type ClockedTestApp,
  createTestUser,
  openClockedTestApp,
  type SignedIn,
  signIn,
} from '../../../test/support/identity.js';
import { databaseTargets } from '../../../test/support/test-databases.js';
import { createToken, revokeToken } from '../../access/identity/tokens.js';
import { task } from './worklist-fixture.js';

interface Stream {
  /** Everything the stream sent so far. */
  text(): string;
  /** Resolves with everything the stream sent, once the server ends it. */
  ended: Promise<string>;
  /** Resolves once the stream has sent something matching `pattern`. */
  until(pattern: RegExp): Promise<string>;
}

/** Opens GET /api/worklist/events on `app`'s port; resolves once the stream says it is connected. */
function openStream(t: ClockedTestApp, headers: Record<string, string>): Promise<Stream> {
  const { port } = t.app.server.address() as AddressInfo;
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path: '/api/worklist/events', headers }, (res) => {
      if (res.statusCode !== 200) return reject(new Error(`stream answered ${res.statusCode}`));
      resolve(follow(res));
    });
    req.on('error', reject);
    req.end();
  });
}

function follow(res: IncomingMessage): Stream {
  let text = '';
  const waiting: { pattern: RegExp; done: (text: string) => void }[] = [];
  res.setEncoding('utf8');
  res.on('data', (chunk: string) => {
    text += chunk;
    for (const w of [...waiting])
      if (w.pattern.test(text)) {
        waiting.splice(waiting.indexOf(w), 1);
        w.done(text);
      }
  });
  const ended = new Promise<string>((done) => res.on('end', () => done(text)));
  return {
    text: () => text,
    ended,
    until: (pattern) =>
      pattern.test(text) ? Promise.resolve(text) : new Promise((done) => waiting.push({ pattern, done })),
  };
}

const lastEvent = (text: string) => text.trim().split('\n\n').at(-1);

describe.each(databaseTargets)(
  'worklist event stream ends with its credential ($name)',
  ({ name, available }) => {
    /** Checks credentials every 50 ms; `onEvent` checks only before an event (the timer is an hour). */
    let timed: ClockedTestApp;
    let onEvent: ClockedTestApp;
    let admin: SignedIn;

    beforeAll(async () => {
      if (!available) return;
      timed = await openClockedTestApp(name, { streamCheckMs: 50, rateLimitPerMinute: 1_000_000 });
      onEvent = await openClockedTestApp(name, { streamCheckMs: 3600_000, rateLimitPerMinute: 1_000_000 });
      for (const t of [timed, onEvent]) {
        await t.store.update('Patient', 'pa', { ...buildPatient(), id: 'pa' });
        await t.app.listen({ port: 0, host: '127.0.0.1' });
      }
      const a = await createTestUser(timed.db.database, { role: 'admin' });
      admin = await signIn(timed.app, a.email, a.password, {
        totpSecret: a.totpSecret,
        at: timed.clock.now(),
      });
    }, 120_000);
    afterAll(async () => {
      await timed?.close();
      await onEvent?.close();
    });

    const tokenFor = async (t: ClockedTestApp, expiresInMs?: number) => {
      const { user } = await createTestUser(t.db.database, { role: 'integration', clock: t.clock });
      const created = await createToken(t.db.database.db, t.clock, { userId: user.id, expiresInMs });
      return { ...created, authorization: `Bearer ${created.token}` };
    };

    it.runIf(available)('ends a session’s stream when the user signs out, saying why', async () => {
      const nurse = await createTestUser(timed.db.database, { role: 'nurse' });
      const session = await signIn(timed.app, nurse.email, nurse.password);
      const stream = await openStream(timed, { cookie: session.cookie });
      const out = await timed.app.inject({ method: 'POST', url: '/auth/logout', headers: session.headers });
      expect(out.statusCode).toBe(204);
      expect(lastEvent(await stream.ended)).toBe(
        'event: signed-out\ndata: {"reason":"the session was signed out or revoked"}',
      );
    });

    it.runIf(available)('ends a token’s stream when an administrator revokes the token', async () => {
      const token = await tokenFor(timed);
      const stream = await openStream(timed, { authorization: token.authorization });
      const revoked = await timed.app.inject({
        method: 'DELETE',
        url: `/admin/tokens/${token.id}`,
        headers: admin.headers,
      });
      expect(revoked.statusCode).toBe(204);
      expect(lastEvent(await stream.ended)).toBe(
        'event: signed-out\ndata: {"reason":"the token was revoked"}',
      );
    });

    it.runIf(available)(
      'ends the streams of a user an administrator disables: their sessions are revoked, their tokens no longer hold',
      async () => {
        const nurse = await createTestUser(timed.db.database, { role: 'nurse' });
        const session = await signIn(timed.app, nurse.email, nurse.password);
        const { token } = await createToken(timed.db.database.db, timed.clock, { userId: nurse.user.id });
        const bySession = await openStream(timed, { cookie: session.cookie });
        const byToken = await openStream(timed, { authorization: `Bearer ${token}` });
        const disabled = await timed.app.inject({
          method: 'POST',
          url: `/admin/users/${nurse.user.id}/disable`,
          headers: admin.headers,
        });
        expect(disabled.statusCode).toBe(200);
        expect(lastEvent(await bySession.ended)).toBe(
          'event: signed-out\ndata: {"reason":"the session was signed out or revoked"}',
        );
        expect(lastEvent(await byToken.ended)).toBe(
          'event: signed-out\ndata: {"reason":"the account was disabled"}',
        );
      },
    );

    it.runIf(available)(
      'checks the credential before each event: after revocation the next change ends the stream instead of reaching it',
      async () => {
        const token = await tokenFor(onEvent);
        const stream = await openStream(onEvent, { authorization: token.authorization });
        await onEvent.store.update('Task', 'live-1', task('live-1', 'pa', {}));
        expect(await stream.until(/tasks-changed/)).toContain('data: {"taskIds":["live-1"]}');

        await revokeToken(onEvent.db.database.db, onEvent.clock, token.id);
        await onEvent.store.update('Task', 'live-2', task('live-2', 'pa', {}));
        const text = await stream.ended;
        expect(text).not.toContain('live-2');
        expect(lastEvent(text)).toBe('event: signed-out\ndata: {"reason":"the token was revoked"}');
      },
    );

    // Last: it moves the clock an hour on (the administrator's session expires with it).
    it.runIf(available)('ends a token’s stream when the token expires on the clock', async () => {
      const token = await tokenFor(timed, 3600_000);
      const stream = await openStream(timed, { authorization: token.authorization });
      // Still open at the last millisecond of its lifetime: the stream is not ended early.
      timed.clock.advance(3600_000 - 1);
      await timed.store.update('Task', 'late-1', task('late-1', 'pa', {}));
      await stream.until(/late-1/);
      timed.clock.advance(1);
      expect(lastEvent(await stream.ended)).toBe('event: signed-out\ndata: {"reason":"the token expired"}');
    });
  },
);
