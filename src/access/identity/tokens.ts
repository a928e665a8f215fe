/**
 * Bearer tokens for integrations and scripts: `clt_<id>_<secret>`, shown once when created. The
 * database keeps the SHA-256 of the secret (the secret is 256 random bits, so a fast hash suffices).
 * Scopes are SMART-style (`user/*.read`, `user/Observation.write`, `user/*.*`): they narrow what the
 * owner's role allows, never widen it.
 */
import { createHash, randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { isResourceType } from '../../fhir/definitions.js';
import { badRequest, notFound } from '../../fhir/outcome.js';
import type { Clock } from '../../platform/clock.js';
import type { Database, Executor } from '../../platform/database.js';
import { SCOPE } from '../policy/scopes.js';
import { userRolesSql } from '../policy/visibility.js';
import { unauthorized } from './identity-errors.js';
import { safeEqual } from './sessions.js';
import type { User } from './users.service.js';

/** The scope a token gets when none is asked for: everything the owner's role allows. */
export const DEFAULT_SCOPE = 'user/*.*';
/** Tokens without an explicit lifetime last 90 days. */
export const DEFAULT_TOKEN_LIFETIME_MS = 90 * 24 * 3600_000;
/** last_used_at (and the token-use audit entry) is written at most this often per token. */
const USE_RECORD_INTERVAL_MS = 60_000;

const TOKEN = /^clt_([0-9a-f]{24})_([A-Za-z0-9_-]{43})$/;

const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');

/**
 * Parses a space-separated scope list (or a list of them); throws 400 naming `field` and the first bad
 * scope. Duplicates are dropped; an empty list means the default scope.
 */
export function parseScopes(input: string | string[] | undefined, field = 'scopes'): string[] {
  const parts = (Array.isArray(input) ? input.join(' ') : (input ?? '')).split(/\s+/).filter(Boolean);
  if (parts.length === 0) return [DEFAULT_SCOPE];
  for (const scope of parts) {
    const match = SCOPE.exec(scope);
    if (!match)
      throw badRequest(
        `"${scope}" is not a scope: use user/<ResourceType or *>.<read, write or *>, e.g. user/*.read`,
        field,
      );
    if (match[1] !== '*' && !isResourceType(match[1]))
      throw badRequest(`"${scope}" names ${match[1]}, which is not a FHIR R4 resource type`, field);
  }
  return [...new Set(parts)];
}

export interface NewToken {
  userId: string;
  scopes?: string | string[];
  /** Lifetime from now; default 90 days. */
  expiresInMs?: number;
  label?: string;
}

/** Creates a token; the returned `token` is the only time its secret is ever available. */
export async function createToken(
  ex: Executor,
  clock: Clock,
  input: NewToken,
): Promise<{ token: string; id: string; scopes: string[]; expiresAt: string }> {
  const scopes = parseScopes(input.scopes);
  const lifetime = input.expiresInMs ?? DEFAULT_TOKEN_LIFETIME_MS;
  if (!Number.isFinite(lifetime) || lifetime <= 0) throw badRequest('must be a positive duration', 'expires');
  const label = input.label?.trim() || null;
  if (label && label.length > 200) throw badRequest('must be at most 200 characters long', 'label');
  const owner = await ex.selectFrom('users').select('id').where('id', '=', input.userId).executeTakeFirst();
  if (!owner) throw notFound(`no user with id ${input.userId}`);
  const now = clock.now();
  const id = randomBytes(12).toString('hex');
  const secret = randomBytes(32).toString('base64url');
  const expiresMs = now.getTime() + lifetime;
  await ex
    .insertInto('api_tokens')
    .values({
      id,
      secret_hash: sha256(secret),
      user_id: input.userId,
      label,
      scopes: scopes.join(' '),
      created_at: now.toISOString(),
      expires_ms: expiresMs,
      revoked_at: null,
      last_used_at: null,
    })
    .execute();
  return { token: `clt_${id}_${secret}`, id, scopes, expiresAt: new Date(expiresMs).toISOString() };
}

/** A token as listed: never its secret or hash. */
export interface TokenView {
  id: string;
  userId: string;
  label: string | null;
  scopes: string[];
  createdAt: string;
  expiresAt: string | null;
  revokedAt: string | null;
  lastUsedAt: string | null;
}

/** A user's tokens, newest first. */
export async function listTokens(ex: Executor, userId: string): Promise<TokenView[]> {
  const rows = await ex
    .selectFrom('api_tokens')
    .selectAll()
    .where('user_id', '=', userId)
    .orderBy('created_at', 'desc')
    .execute();
  return rows.map((r) => ({
    id: r.id,
    userId: r.user_id,
    label: r.label,
    scopes: r.scopes.split(' '),
    createdAt: r.created_at,
    expiresAt: r.expires_ms === null ? null : new Date(Number(r.expires_ms)).toISOString(),
    revokedAt: r.revoked_at,
    lastUsedAt: r.last_used_at,
  }));
}

/** Revokes a token; 404 when unknown; returns its owner (false when it was already revoked). */
export async function revokeToken(
  ex: Executor,
  clock: Clock,
  id: string,
): Promise<{ userId: string; revoked: boolean }> {
  const row = await ex.selectFrom('api_tokens').select('user_id').where('id', '=', id).executeTakeFirst();
  if (!row) throw notFound(`no token with id ${id}`);
  const result = await ex
    .updateTable('api_tokens')
    .set({ revoked_at: clock.now().toISOString() })
    .where('id', '=', id)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return { userId: row.user_id, revoked: Number(result.numUpdatedRows) > 0 };
}

/** What decides whether a token still holds: its row and its owner's disabled flag. */
export interface TokenLifetime {
  revokedAt: string | null;
  expiresMs: number | string | null;
  disabled: number;
}

/** Why a token no longer authenticates at `now`, or undefined while it does: one rule for requests and live streams. */
export function tokenEnd(token: TokenLifetime, now: number): 'revoked' | 'expired' | 'disabled' | undefined {
  if (token.revokedAt !== null) return 'revoked';
  if (token.expiresMs !== null && now >= Number(token.expiresMs)) return 'expired';
  if (token.disabled === 1) return 'disabled';
  return undefined;
}

/**
 * The owner and scopes of a presented token; 401 naming why when it is malformed, unknown, revoked,
 * expired, or its owner is disabled. `recorded` is true when this use was written to last_used_at
 * (at most once a minute per token), which is when callers write the token-use audit entry.
 */
export async function authenticateToken(
  database: Database,
  clock: Clock,
  presented: string,
): Promise<{ user: User; tokenId: string; scopes: string[]; recorded: boolean; roles: unknown }> {
  const invalid = () => unauthorized('the bearer token is not valid', 'login');
  const match = TOKEN.exec(presented);
  if (!match) throw invalid();
  const [, id, secret] = match;
  // The token with its user and the user's roles (for primeGrants), in one round trip of a prepared
  // statement: every API request starts here.
  const found = await database.prepared
    .selectFrom('api_tokens as t')
    .innerJoin('users as u', 'u.id', 't.user_id')
    .selectAll('u')
    .select([
      't.secret_hash as token_secret_hash',
      't.revoked_at as token_revoked_at',
      't.expires_ms as token_expires_ms',
      't.last_used_at as token_last_used_at',
      't.scopes as token_scopes',
      userRolesSql(database.dialect, sql.ref('u.resource')).as('user_roles'),
    ])
    .where('t.id', '=', id)
    .executeTakeFirst();
  if (!found || !safeEqual(found.token_secret_hash, sha256(secret))) throw invalid();
  const {
    token_secret_hash: _secret,
    token_revoked_at: revokedAt,
    token_expires_ms: expiresMs,
    token_last_used_at: lastUsedAt,
    token_scopes: scopes,
    user_roles: roles,
    ...user
  } = found;
  const now = clock.now();
  const end = tokenEnd({ revokedAt, expiresMs, disabled: user.disabled }, now.getTime());
  if (end === 'revoked') throw unauthorized('the bearer token is revoked', 'expired');
  if (end === 'expired') throw unauthorized('the bearer token is expired', 'expired');
  // A disabled owner's token answers as an unknown one: no account enumeration.
  if (end === 'disabled') throw invalid();
  let recorded = false;
  if (lastUsedAt === null || now.getTime() - Date.parse(lastUsedAt) >= USE_RECORD_INTERVAL_MS) {
    await database.db
      .updateTable('api_tokens')
      .set({ last_used_at: now.toISOString() })
      .where('id', '=', id)
      .execute();
    recorded = true;
  }
  return { user, tokenId: id, scopes: scopes.split(' '), recorded, roles };
}
