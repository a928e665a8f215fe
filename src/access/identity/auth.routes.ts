/**
 * The sign-in API under /auth: password, second factor, password change, sign-out, the current
 * session, and TOTP enrolment for signed-in users. Handlers parse, call sign-in.ts, set the cookie.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { badRequest, conflict } from '../../fhir/outcome.js';
import { appendAudit } from '../audit/audit-trail.js';
import { authRequired, requireUser } from './authenticate.js';
import { loginBody, mfaBody, parseBody, passwordBody } from './identity.schema.js';
import { unauthorized } from './identity-errors.js';
import { SESSION_COOKIE } from './sessions.js';
import {
  changePassword,
  completeMfa,
  type IdentityDeps,
  type SignInResult,
  signInWithPassword,
  signOut,
  ThrottledError,
} from './sign-in.js';
import { startTotpEnrolment, verifyTotp } from './totp.js';
import { getUser, presentUser, userActor } from './users.service.js';

/**
 * Every route here signs in or changes how an account signs in: a signed-in session only, never a
 * bearer token (a leaked read-only token must not turn on a second factor and lock its owner out).
 */
const sessionOnly = { config: { access: { sessionOnly: true } } } as const;

/** Stricter than the global limit: sign-in is where guessing happens. */
export const LOGIN_RATE_LIMIT_PER_MINUTE = 30;

const client = (request: FastifyRequest) => ({
  clientAddress: request.ip,
  userAgent: request.headers['user-agent'],
});

/** Sends a step, setting its cookie (never in the body). */
function sendStep(request: FastifyRequest, reply: FastifyReply, deps: IdentityDeps, result: SignInResult) {
  const { cookie, ...body } = result;
  reply.setCookie(SESSION_COOKIE, cookie, {
    httpOnly: true,
    sameSite: 'lax',
    path: '/',
    secure: request.protocol === 'https',
    maxAge: Math.round(deps.policy.absoluteMs / 1000),
  });
  return reply.code(200).send(body);
}

/** Adds Retry-After to a throttled answer before the global handler sends it. */
async function throttled<T>(reply: FastifyReply, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof ThrottledError) reply.header('retry-after', String(err.retryAfterSeconds));
    throw err;
  }
}

/** Registers /auth routes. */
export async function authRoutes(app: FastifyInstance, deps: IdentityDeps): Promise<void> {
  const { database, clock } = deps;
  const tags = ['authentication'];

  app.post(
    '/auth/login',
    {
      schema: { tags, summary: 'Sign in with email and password' },
      config: {
        rateLimit: { max: LOGIN_RATE_LIMIT_PER_MINUTE, timeWindow: '1 minute' },
        ...sessionOnly.config,
      },
    },
    async (request, reply) => {
      const body = parseBody(loginBody, request.body);
      const result = await throttled(reply, () => signInWithPassword(deps, body, client(request)));
      return sendStep(request, reply, deps, result);
    },
  );

  app.post(
    '/auth/mfa',
    { schema: { tags, summary: 'Second sign-in step: TOTP code' }, ...sessionOnly },
    async (request, reply) => {
      const { code } = parseBody(mfaBody, request.body);
      const result = await throttled(reply, () =>
        completeMfa(deps, request.authSession, code, client(request)),
      );
      return sendStep(request, reply, deps, result);
    },
  );

  app.post(
    '/auth/password',
    { schema: { tags, summary: 'Change the password (required after an admin reset)' }, ...sessionOnly },
    async (request, reply) => {
      const body = parseBody(passwordBody, request.body);
      const result = await throttled(reply, () =>
        changePassword(deps, request.authSession, body, client(request)),
      );
      return sendStep(request, reply, deps, result);
    },
  );

  app.post(
    '/auth/logout',
    { schema: { tags, summary: 'Sign out' }, ...sessionOnly },
    async (request, reply) => {
      if (request.authSession) await signOut(deps, request.authSession, client(request));
      reply.clearCookie(SESSION_COOKIE, { path: '/' });
      return reply.code(204).send();
    },
  );

  app.get('/auth/session', { schema: { tags, summary: 'The signed-in user' } }, async (request) => {
    const session = request.authSession;
    if (session?.state !== 'active' || !request.access) throw unauthorized('sign in first');
    return { user: presentUser(session.user), csrfToken: session.csrfToken };
  });

  app.post(
    '/auth/mfa/enroll',
    { schema: { tags, summary: 'Start TOTP enrolment' }, preHandler: authRequired, ...sessionOnly },
    async (request) => {
      const access = requireUser(request);
      const user = await getUser(database.db, access.userId!);
      if (user.totp_enabled === 1) throw conflict('two-factor sign-in is already enabled for this account');
      return startTotpEnrolment(database.db, clock, user);
    },
  );

  app.post(
    '/auth/mfa/confirm',
    {
      schema: { tags, summary: 'Confirm TOTP enrolment with a code' },
      preHandler: authRequired,
      ...sessionOnly,
    },
    async (request) => {
      const access = requireUser(request);
      const { code } = parseBody(mfaBody, request.body);
      const user = await getUser(database.db, access.userId!);
      if (user.totp_enabled === 1) throw conflict('two-factor sign-in is already enabled for this account');
      if (!user.totp_secret) throw conflict('start enrolment first: POST /auth/mfa/enroll');
      if (!(await verifyTotp(database.db, clock, user, code.trim(), { enable: true })))
        // 400, not 401: the caller is signed in; only the code is wrong.
        throw badRequest('is not valid: enter the current code from your authenticator app', 'code');
      // In a transaction: on PostgreSQL the append lock is held until commit.
      await database.db.transaction().execute((trx) =>
        appendAudit(
          database,
          trx,
          {
            action: 'mfa-enrolled',
            outcome: 'success',
            actor: userActor(user),
            role: user.role,
            clientAddress: request.ip,
          },
          clock.now(),
        ),
      );
      return { user: presentUser({ ...user, totp_enabled: 1 }) };
    },
  );
}
