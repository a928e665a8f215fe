/**
 * Versioned migrations that run on both dialects. Each migration is a module in ./migrations with
 * `up(db, dialect)`; applied versions are recorded in `careloop_migrations`, and each runs in its own
 * transaction (PostgreSQL and SQLite both have transactional DDL).
 */
import { type Kysely, sql } from 'kysely';
import type { Database, Dialect } from './database.js';
import * as resourceStore from './migrations/001-resource-store.js';
import * as auditTrail from './migrations/002-audit-trail.js';
import * as identity from './migrations/003-identity.js';
import * as access from './migrations/004-access.js';
import * as identityTotp from './migrations/005-identity-totp.js';
import * as jobs from './migrations/006-jobs.js';
import * as worklist from './migrations/007-worklist.js';
import * as hl7Messages from './migrations/008-hl7-messages.js';
import * as notificationReads from './migrations/010-notification-reads.js';
import * as worklistRanking from './migrations/013-worklist-ranking.js';
import * as auditHead from './migrations/014-audit-head.js';
import * as relationshipSource from './migrations/015-relationship-source.js';
import * as teamMembers from './migrations/016-team-members.js';

interface Migration {
  name: string;
  up(db: Kysely<unknown>, dialect: Dialect): Promise<void>;
}

/** Every migration, in order. Never edit one that has shipped: add the next. */
export const migrations: Migration[] = [
  { name: '001-resource-store', up: resourceStore.up },
  { name: '002-audit-trail', up: auditTrail.up },
  { name: '003-identity', up: identity.up },
  { name: '004-access', up: access.up },
  { name: '005-identity-totp', up: identityTotp.up },
  { name: '006-jobs', up: jobs.up },
  { name: '007-worklist', up: worklist.up },
  { name: '008-hl7-messages', up: hl7Messages.up },
  { name: '010-notification-reads', up: notificationReads.up },
  { name: '013-worklist-ranking', up: worklistRanking.up },
  { name: '014-audit-head', up: auditHead.up },
  { name: '015-relationship-source', up: relationshipSource.up },
  { name: '016-team-members', up: teamMembers.up },
];

/** Applies the migrations not yet applied; returns their names. */
export async function migrate(database: Database): Promise<string[]> {
  const db = database.db as unknown as Kysely<unknown>;
  await db.schema
    .createTable('careloop_migrations')
    .ifNotExists()
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('applied_at', 'text', (c) => c.notNull())
    .execute();
  const applied: string[] = [];
  for (const migration of migrations) {
    const done = await db.transaction().execute(async (trx) => {
      if (database.dialect === 'postgres') {
        // Two processes starting together (several servers on one database) apply each migration once.
        await sql`select pg_advisory_xact_lock(7320411)`.execute(trx);
      }
      const existing = await sql<{
        name: string;
      }>`select name from careloop_migrations where name = ${migration.name}`.execute(trx);
      if (existing.rows.length > 0) return false;
      await migration.up(trx, database.dialect);
      await sql`insert into careloop_migrations (name, applied_at) values (${migration.name}, ${new Date().toISOString()})`.execute(
        trx,
      );
      return true;
    });
    if (done) applied.push(migration.name);
  }
  return applied;
}
