/**
 * A derived relationship names its source resource (`source_ref`, e.g. `CareTeam/42`) beside its row
 * id (`source_rid`). The worklist's `claimable` view asks which care teams the user is on (a task
 * owned by a team is claimable by its members) on every request: with the reference in the row that
 * is an index range over the user's relationships, instead of one lookup into `resources` per team
 * (about 1 ms of a 5 ms statement for a coordinator on 200 teams, bench/results/NOTES.md).
 * Relationships written by workflows (assignments, break-the-glass) have no source.
 */
import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table access_relationships add column source_ref text`.execute(db);
  await sql`update access_relationships set source_ref = (select r.resource_type || '/' || r.id from resources r where r.rid = access_relationships.source_rid) where source_rid is not null`.execute(
    db,
  );
}
