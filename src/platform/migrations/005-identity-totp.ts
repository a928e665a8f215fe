/**
 * The last TOTP time step each user signed in with, so that a code seen once (over a shoulder, in a
 * phishing proxy) cannot be replayed within its 90-second window (RFC 6238 section 5.2).
 */
import type { Kysely } from 'kysely';
import type { Dialect } from '../database.js';

export async function up(db: Kysely<unknown>, _dialect: Dialect): Promise<void> {
  await db.schema.alterTable('users').addColumn('totp_last_counter', 'bigint').execute();
}
