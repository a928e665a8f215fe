/**
 * User administration under /admin, for the admin role only: accounts, password resets, sessions,
 * enable/disable and bearer tokens. Every change is audited with the admin as actor and the target
 * user's id as detail (never an email).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { conflict } from '../../fhir/outcome.js';
import type { Executor } from '../../platform/database.js';
import type { AccessContext } from '../access-context.js';
import { type AuditEntry, appendAudit } from '../audit/audit-trail.js';
import { requireRole, requireUser } from './authenticate.js';
import { newTokenBody, newUserBody, parseBody } from './identity.schema.js';
import { revokeUserSessions } from './sessions.js';
import type { IdentityDeps } from './sign-in.js';
import { createToken, listTokens, revokeToken } from './tokens.js';
import {
  createUser,
  getUser,
  listUsers,
  presentUser,
  resetPassword,
  setUserDisabled,
} from './users.service.js';

type IdParams = { Params: { id: string } };

/** Registers the /admin user and token routes. */
export async function usersRoutes(app: FastifyInstance, deps: IdentityDeps): Promise<void> {
  const { database, clock } = deps;
  const tags = ['administration'];
  const adminOnly = { preHandler: requireRole('admin') };
  // Credentials are made by an administrator signed in with a second factor, never by a token: a
  // token that could mint tokens or passwords would outlive its own revocation.
  const sessionOnly = { config: { access: { sessionOnly: true } } } as const;

  /** Runs `work` and its audit entry in one transaction. */
  const audited = <T>(
    request: FastifyRequest,
    work: (trx: Executor, admin: AccessContext) => Promise<T>,
    entry: (result: T) => Omit<AuditEntry, 'actor' | 'role' | 'clientAddress'>,
  ): Promise<T> => {
    const admin = requireUser(request);
    return database.db.transaction().execute(async (trx) => {
      const result = await work(trx, admin);
      await appendAudit(
        database,
        trx,
        { ...entry(result), actor: admin.actor, role: admin.role, clientAddress: request.ip },
        clock.now(),
      );
      return result;
    });
  };

  app.get('/admin/users', { schema: { tags, summary: 'List users' }, ...adminOnly }, async () => ({
    users: await listUsers(database.db, clock, deps.policy.idleMs),
  }));

  app.post(
    '/admin/users',
    { schema: { tags, summary: 'Create a user' }, ...adminOnly },
    async (request, reply) => {
      const body = parseBody(newUserBody, request.body);
      const created = await audited(
        request,
        (trx) => createUser(trx, clock, body),
        (r) => ({ action: 'user-created', outcome: 'success', detail: `user ${r.user.id} (${r.user.role})` }),
      );
      return reply.code(201).send({
        user: presentUser(created.user),
        ...(created.temporaryPassword ? { temporaryPassword: created.temporaryPassword } : {}),
      });
    },
  );

  app.post<IdParams>(
    '/admin/users/:id/reset-password',
    {
      schema: { tags, summary: 'Set a one-time temporary password' },
      ...adminOnly,
      ...sessionOnly,
    },
    async (request) => ({
      temporaryPassword: await audited(
        request,
        (trx) => resetPassword(trx, clock, request.params.id),
        () => ({ action: 'password-reset', outcome: 'success', detail: `user ${request.params.id}` }),
      ),
    }),
  );

  app.post<IdParams>(
    '/admin/users/:id/revoke-sessions',
    { schema: { tags, summary: "Revoke all of a user's sessions" }, ...adminOnly },
    async (request) => ({
      revoked: await audited(
        request,
        async (trx) => {
          await getUser(trx, request.params.id);
          return revokeUserSessions(trx, clock, request.params.id);
        },
        (n) => ({ action: 'session-revoked', outcome: 'success', detail: `user ${request.params.id}: ${n}` }),
      ),
    }),
  );

  for (const [path, disabled] of [
    ['disable', true],
    ['enable', false],
  ] as const) {
    app.post<IdParams>(
      `/admin/users/:id/${path}`,
      { schema: { tags, summary: `${disabled ? 'Disable' : 'Enable'} a user` }, ...adminOnly },
      async (request) => {
        if (disabled && request.params.id === requireUser(request).userId)
          throw conflict('you cannot disable your own account');
        const user = await audited(
          request,
          (trx) => setUserDisabled(trx, clock, request.params.id, disabled),
          () => ({
            action: disabled ? 'user-disabled' : 'user-enabled',
            outcome: 'success',
            detail: `user ${request.params.id}`,
          }),
        );
        return { user: { ...presentUser(user), disabled: user.disabled === 1 } };
      },
    );
  }

  app.get<IdParams>(
    '/admin/users/:id/tokens',
    { schema: { tags, summary: "A user's bearer tokens (never their secrets)" }, ...adminOnly },
    async (request) => {
      await getUser(database.db, request.params.id);
      return { tokens: await listTokens(database.db, request.params.id) };
    },
  );

  app.post<IdParams>(
    '/admin/users/:id/tokens',
    { schema: { tags, summary: 'Create a bearer token (shown once)' }, ...adminOnly, ...sessionOnly },
    async (request, reply) => {
      const body = parseBody(newTokenBody, request.body);
      const created = await audited(
        request,
        async (trx) => {
          await getUser(trx, request.params.id);
          return createToken(trx, clock, {
            userId: request.params.id,
            scopes: body.scopes,
            expiresInMs: body.expiresInDays === undefined ? undefined : body.expiresInDays * 24 * 3600_000,
            label: body.label,
          });
        },
        (t) => ({
          action: 'token-created',
          outcome: 'success',
          detail: `token ${t.id} for user ${request.params.id}, scopes ${t.scopes.join(' ')}, expires ${t.expiresAt}`,
        }),
      );
      return reply.code(201).send(created);
    },
  );

  app.delete<IdParams>(
    '/admin/tokens/:id',
    { schema: { tags, summary: 'Revoke a bearer token' }, ...adminOnly },
    async (request, reply) => {
      await audited(
        request,
        (trx) => revokeToken(trx, clock, request.params.id),
        (r) => ({
          action: 'token-revoked',
          outcome: 'success',
          detail: `token ${request.params.id} of user ${r.userId}`,
        }),
      );
      return reply.code(204).send();
    },
  );
}
