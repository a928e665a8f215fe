/**
 * Identity: user accounts (linked to the FHIR resource each person is), server-side sessions, bearer
 * tokens for integrations and the sign-in throttle. Secrets are never stored: passwords as argon2id
 * hashes, session and token secrets as SHA-256 hashes (they are long random values, so a fast hash is
 * enough), TOTP secrets as the shared key the authenticator app also holds.
 */
import { type Kysely, sql } from 'kysely';
import type { Dialect } from '../database.js';

export async function up(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  const text = dialect === 'postgres' ? sql`text collate "C"` : sql`text`;
  const double = dialect === 'postgres' ? sql`double precision` : sql`real`;

  await db.schema
    .createTable('users')
    .addColumn('id', text, (c) => c.primaryKey())
    .addColumn('email', text, (c) => c.notNull().unique())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('role', text, (c) => c.notNull())
    .addColumn('resource', text)
    .addColumn('password_hash', 'text')
    .addColumn('must_change_password', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('totp_secret', 'text')
    .addColumn('totp_enabled', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('disabled', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', text, (c) => c.notNull())
    .addColumn('updated_at', text, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('users_resource').on('users').column('resource').execute();

  await db.schema
    .createTable('sessions')
    .addColumn('id', text, (c) => c.primaryKey())
    .addColumn('secret_hash', text, (c) => c.notNull().unique())
    .addColumn('user_id', text, (c) => c.notNull().references('users.id'))
    .addColumn('csrf_token', text, (c) => c.notNull())
    // 'pending-mfa' after the password, 'active' after the second factor (or when none is needed).
    .addColumn('state', text, (c) => c.notNull())
    .addColumn('created_at', text, (c) => c.notNull())
    .addColumn('last_seen_ms', double, (c) => c.notNull())
    .addColumn('expires_ms', double, (c) => c.notNull())
    .addColumn('revoked_at', text)
    .addColumn('client_address', text)
    .addColumn('user_agent', 'text')
    .execute();
  await db.schema.createIndex('sessions_user').on('sessions').column('user_id').execute();

  await db.schema
    .createTable('api_tokens')
    .addColumn('id', text, (c) => c.primaryKey())
    .addColumn('secret_hash', text, (c) => c.notNull().unique())
    .addColumn('user_id', text, (c) => c.notNull().references('users.id'))
    .addColumn('label', 'text')
    /** Space-separated SMART-style scopes. */
    .addColumn('scopes', 'text', (c) => c.notNull())
    .addColumn('created_at', text, (c) => c.notNull())
    .addColumn('expires_ms', double)
    .addColumn('revoked_at', text)
    .addColumn('last_used_at', text)
    .execute();
  await db.schema.createIndex('api_tokens_user').on('api_tokens').column('user_id').execute();

  // Failed sign-ins per account (`account:<email>`) and per client address (`address:<ip>`), kept in
  // the database so that every server process sees the same counts.
  await db.schema
    .createTable('sign_in_throttle')
    .addColumn('key', text, (c) => c.primaryKey())
    .addColumn('failures', 'integer', (c) => c.notNull())
    .addColumn('window_start_ms', double, (c) => c.notNull())
    .addColumn('locked_until_ms', double)
    .execute();
}
