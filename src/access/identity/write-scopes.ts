/**
 * Scopes on every route: one gate, for every route of the app, decides whether a request writes and
 * whether its bearer token may. A write is any method but GET, HEAD and OPTIONS, unless the route says
 * it only reads (`config.access.readOnly`: a FHIR `_search` by POST). A token needs a write scope for
 * each resource type the route writes (`config.access.writes`; a route that names none needs
 * `user/*.write`), else 403 insufficient_scope naming the scope, before the handler runs: nothing is
 * written. Routes of sign-in and account security (`config.access.sessionOnly`: password, second
 * factor, tokens) take a signed-in session only, never a bearer token, whatever its scopes: a token
 * that leaks must not be able to lock its owner out or mint more credentials.
 *
 * Handlers check nothing of this themselves, so a route added later is held to its token's scopes
 * without a line of its own; the scope test walks every route the app has (`routesOf`).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Clock } from '../../platform/clock.js';
import type { Database } from '../../platform/database.js';
import type { AccessContext } from '../access-context.js';
import { appendAudit } from '../audit/audit-trail.js';
import { scopeAllows } from '../policy/scopes.js';
import { forbidden } from './identity-errors.js';

/** What a route tells the scope gate about itself, as its `config.access`. */
export interface RouteAccess {
  /** A POST that only reads (a FHIR `_search`, a check that saves nothing): read scopes suffice. */
  readOnly?: true;
  /** Sign-in and account security (password, second factor, tokens): a signed-in session only. */
  sessionOnly?: true;
  /**
   * The resource types the route writes, or a function of the request that says (FHIR: the type in
   * the path, or the types a Bundle's entries write); the token needs a write scope for each.
   * Absent: the route writes what no one type names, and needs `user/*.write`.
   */
  writes?: readonly string[] | ((request: FastifyRequest) => readonly string[]);
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** What the route does, for the scope gate (access/identity/write-scopes.ts). */
    access?: RouteAccess;
  }
}

/** One route of the app as the gate saw it registered. */
export interface RouteEntry {
  methods: string[];
  url: string;
  access: RouteAccess;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const routeTables = new WeakMap<FastifyInstance, RouteEntry[]>();

/** Every route registered on `app` after the gate was installed (all of them, in buildApp). */
export function routesOf(app: FastifyInstance): RouteEntry[] {
  return routeTables.get(app) ?? [];
}

/** The scope a write of `type` needs (`*`: every type). */
export const writeScope = (type: string) => `user/${type}.write`;

/** The types of `needed` the token's scopes do not let it write. */
function unwritable(access: AccessContext, needed: readonly string[]): string[] {
  const scopes = access.scopes ?? [];
  return [...new Set(needed)].filter((type) => !scopeAllows(scopes, type, 'write'));
}

/** Installs the gate; call before any route is registered (installAuthentication does). */
export function installWriteScopes(app: FastifyInstance, deps: { database: Database; clock: Clock }): void {
  const routes: RouteEntry[] = [];
  routeTables.set(app, routes);
  app.addHook('onRoute', (route) => {
    routes.push({ methods: [route.method].flat(), url: route.url, access: route.config?.access ?? {} });
  });

  /** Records the refusal: a write a token tried and was not allowed is an access decision too. */
  const refuse = async (request: FastifyRequest, access: AccessContext, why: string) => {
    const route = `${request.method} ${request.routeOptions.url}`;
    await deps.database.db.transaction().execute((trx) =>
      appendAudit(
        deps.database,
        trx,
        {
          action: 'token-refused',
          outcome: 'denied',
          actor: access.actor,
          role: access.role,
          clientAddress: request.ip,
          // The route's pattern, never its URL: ids and query strings stay out of the trail's text.
          detail: `token ${access.credentialId}: ${route} ${why}`,
        },
        deps.clock.now(),
      ),
    );
  };

  // preValidation: the route and its body (a Bundle's entries) are known, the handler has not run.
  app.addHook('preValidation', async (request, reply) => {
    const access = request.access;
    if (access?.via !== 'token' || request.is404) return;
    const route = request.routeOptions.config.access ?? {};
    if (route.sessionOnly) {
      await refuse(request, access, 'needs a signed-in session');
      throw forbidden(
        'this needs a signed-in session, not a bearer token: sign-in, passwords, second factors and ' +
          'tokens are changed by the person, signed in to CareLoop',
      );
    }
    if (SAFE_METHODS.has(request.method) || route.readOnly) return;
    const writes = typeof route.writes === 'function' ? route.writes(request) : (route.writes ?? ['*']);
    const missing = unwritable(access, writes);
    if (missing.length === 0) return;
    const needed = missing.map(writeScope);
    await refuse(request, access, `needs ${needed.join(' ')}`);
    // RFC 6750 section 3.1: the scope the request needs travels in the challenge too.
    reply.header('www-authenticate', `Bearer error="insufficient_scope", scope="${needed.join(' ')}"`);
    const what = missing.includes('*') ? 'this write' : `writing ${missing.join(', ')}`;
    throw forbidden(
      `insufficient_scope: this token's scopes (${(access.scopes ?? []).join(' ')}) do not allow ${what}; ` +
        `it needs ${needed.join(' and ')}${missing.includes('*') ? '' : ` (or ${writeScope('*')})`}`,
    );
  });
}
