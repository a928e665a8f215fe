/**
 * PostgreSQL: the audit chain's head (the last entry's position and hash) as one row that every
 * append updates. The row's lock orders appenders as the advisory lock did, and a waiting UPDATE
 * re-reads the row once the holder commits, so the head can be read, the entry hashed and inserted
 * in ONE statement: an audited read's entry is then one round trip instead of five (begin, lock,
 * insert, commit and the statement itself; src/access/audit/audit-trail.ts). SQLite has one writer
 * and reads its head from the last entry, so it has no such row.
 */
import { type Kysely, sql } from 'kysely';
import type { Dialect } from '../database.js';

export async function up(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  if (dialect !== 'postgres') return;
  await sql`create table audit_head (
    id integer primary key check (id = 1),
    seq bigint not null,
    hash text not null,
    prev_hash text not null
  )`.execute(db);
  const genesis = '0'.repeat(64);
  await sql`insert into audit_head (id, seq, hash, prev_hash)
    select 1, coalesce(last.seq, 0), coalesce(last.hash, ${genesis}), coalesce(last.prev_hash, ${genesis})
    from (select 1) as one left join (select seq, hash, prev_hash from audit_events order by seq desc limit 1) as last on true`.execute(
    db,
  );
}
