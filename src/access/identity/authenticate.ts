/**
 * Authentication: who is calling. An onRequest hook resolves `request.access` from an
 * `Authorization: Bearer` token or the session cookie; it never refuses a request for lacking
 * credentials (public routes need none). Routes that need a person add the `authRequired` preHandler,
 * and `requireRole` for role checks. Cookie-authenticated writes must carry the session's CSRF token.
 */
import cookie from '@fastify/cookie';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Clock } from '../../platform/clock.js';
import type { Database } from '../../platform/database.js';
import type { AccessContext, Role } from '../access-context.js';
import { appendAudit } from '../audit/audit-trail.js';
import { primeGrants } from '../policy/visibility.js';
import { forbidden, unauthorized } from './identity-errors.js';
import {
  type ResolvedSession,
  resolveSession,
  SESSION_COOKIE,
  type SessionPolicy,
  safeEqual,
  sessionPolicy,
} from './sessions.js';
import { authenticateToken } from './tokens.js';
import { type User, userActor } from './users.service.js';
import { installWriteScopes } from './write-scopes.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Who is acting: set by authentication for a valid token or a fully signed-in session. */
    access?: AccessContext;
    /** The session the cookie names, in any state (pending sign-in steps included). */
    authSession?: ResolvedSession;
  }
}

export const CSRF_HEADER = 'x-csrf-token';
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
/**
 * Cookie writes exempt from the CSRF check: signing in starts a new session (and SameSite=Lax keeps
 * cross-site posts from carrying the cookie anyway), and the code step has no token yet to send.
 */
const CSRF_EXEMPT = new Set(['/auth/login', '/auth/mfa']);

/** The access context of a user acting through a session or a token. */
export function accessFor(
  user: User,
  via: 'session' | 'token',
  credentialId: string,
  clientAddress: string | undefined,
  scopes?: string[],
): AccessContext {
  return {
    kind: 'user',
    role: user.role as Role,
    userId: user.id,
    ...(user.resource ? { resource: user.resource } : {}),
    actor: userActor(user),
    ...(scopes ? { scopes } : {}),
    via,
    credentialId,
    purposeOfUse: purposeOfUseFor(user.role as Role),
    clientAddress,
  };
}

/**
 * The purpose of use a role acts under by default (HL7 v3 PurposeOfUse): clinical and coordination
 * staff treat (TREAT), patients and their proxies ask for their own record (PATRQT), administrators
 * and auditors run the operation (HOPERAT). Break-the-glass access is recorded as ETREAT.
 */
export function purposeOfUseFor(role: Role): string {
  if (role === 'patient' || role === 'caregiver') return 'PATRQT';
  if (role === 'admin' || role === 'auditor') return 'HOPERAT';
  return 'TREAT';
}

export interface AuthenticationOptions {
  database: Database;
  clock: Clock;
  /** Session lifetimes; default 30 minutes idle, 12 hours absolute. */
  policy?: SessionPolicy;
  /** Request limits (server/hardening.ts), applied once the caller is known; none when limits are off. */
  throttle?: (request: FastifyRequest, reply: FastifyReply) => Promise<void>;
}

/**
 * Registers cookie parsing, the hook that sets `request.access` on every request (and applies the
 * request limits), and the gate that holds every route to the token's scopes (write-scopes.ts).
 */
export async function installAuthentication(
  app: FastifyInstance,
  options: AuthenticationOptions,
): Promise<void> {
  const { database, clock } = options;
  const policy = options.policy ?? sessionPolicy();
  await app.register(cookie);
  /** Sets `request.access` (and `request.authSession`) from the request's token or cookie. */
  const identify = async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const authorization = request.headers.authorization;
    if (authorization !== undefined) {
      // A token request ignores any cookie: and needs no CSRF token, since a browser never adds
      // an Authorization header to a cross-site request on its own.
      const match = /^Bearer +(\S+)$/i.exec(authorization.trim());
      if (!match) {
        reply.header('www-authenticate', 'Bearer');
        throw unauthorized('the Authorization header must be "Bearer <token>"');
      }
      try {
        const found = await authenticateToken(database, clock, match[1]);
        const access = accessFor(found.user, 'token', found.tokenId, request.ip, found.scopes);
        primeGrants(access, found.roles);
        request.access = access;
        // One token-use entry per token per minute at most (with the last_used_at write): enough to
        // show when and from where a token was used without an entry for every request.
        if (found.recorded)
          // In a transaction: on PostgreSQL the append lock is held until commit.
          await database.db.transaction().execute((trx) =>
            appendAudit(
              database,
              trx,
              {
                action: 'token-use',
                outcome: 'success',
                actor: access.actor,
                role: found.user.role,
                clientAddress: request.ip,
                detail: `token ${found.tokenId}`,
              },
              clock.now(),
            ),
          );
      } catch (err) {
        reply.header('www-authenticate', 'Bearer error="invalid_token"');
        throw err;
      }
      return;
    }
    const value = request.cookies[SESSION_COOKIE];
    if (!value) return;
    const session = await resolveSession(database, clock, value, policy);
    if (!session) return;
    request.authSession = session;
    if (session.state === 'active') {
      request.access = accessFor(session.user, 'session', session.id, request.ip);
      primeGrants(request.access, session.roles);
    }
  };

  app.addHook('onRequest', async (request, reply) => {
    let failure: unknown;
    try {
      await identify(request, reply);
    } catch (err) {
      failure = err;
    }
    // Counted once the caller is known (its user's budget), and before credentials that do not hold
    // are refused: those count against the address, so guessing tokens is throttled like signing in.
    await options.throttle?.(request, reply);
    if (failure) throw failure;
    const session = request.authSession;
    const csrfIssued = session?.state === 'active' || session?.state === 'pending-password-change';
    const path = request.url.split('?')[0];
    if (csrfIssued && !SAFE_METHODS.has(request.method) && !CSRF_EXEMPT.has(path)) {
      const sent = request.headers[CSRF_HEADER];
      if (typeof sent !== 'string' || !safeEqual(sent, session.csrfToken))
        throw forbidden('missing or wrong CSRF token (send the x-csrf-token header)');
    }
  });
  installWriteScopes(app, { database, clock });
}

/** The caller's access context; 401 when the request is not authenticated. */
export function requireUser(request: FastifyRequest): AccessContext {
  if (!request.access) {
    if (request.authSession)
      throw unauthorized('sign in first: finish the second factor or the password change');
    throw unauthorized('sign in first');
  }
  return request.access;
}

/** preHandler: answers 401 unless the request is signed in (a session or a token). */
export async function authRequired(request: FastifyRequest, _reply: FastifyReply): Promise<void> {
  requireUser(request);
}

/** preHandler factory: answers 403 unless the caller has one of `allowed` (401 when not signed in). */
export function requireRole(...allowed: Role[]) {
  return async (request: FastifyRequest, _reply: FastifyReply): Promise<void> => {
    const access = requireUser(request);
    if (!allowed.includes(access.role as Role))
      throw forbidden(`this needs the ${allowed.join(' or ')} role`);
  };
}
