/**
 * Who is on which care team, for every active CareTeam whether or not it has a patient
 * (`team_members`, kept by syncRelationships beside access_relationships). A task owned by a team is
 * claimable by the team's members: the worklist's `claimable` view and `claimTask` both ask this
 * table, so a task the view offers can be claimed and one it does not offer cannot. Before, the view
 * knew only the teams of patients (their care-team relationships) and claimTask read the team itself,
 * so a task owned by a team without a patient (a program's or a clinic's team) could be claimed but
 * was never offered. Filled here from the stored CareTeams.
 */
import type { CareTeam } from 'fhir/r4.js';
import { type Kysely, sql } from 'kysely';
import { teamMemberRows } from '../../access/policy/relationships.js';
import type { Dialect } from '../database.js';
import type { DB } from '../database-schema.js';

export async function up(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  const text = dialect === 'postgres' ? sql`text collate "C"` : sql`text`;
  const double = dialect === 'postgres' ? sql`double precision` : sql`real`;
  await db.schema
    .createTable('team_members')
    /** The team, as `CareTeam/<id>`. */
    .addColumn('team_ref', text, (c) => c.notNull())
    /** Who is on it: `Practitioner/1`, `PractitionerRole/2`, `Organization/3`, `RelatedPerson/4`. */
    .addColumn('principal', text, (c) => c.notNull())
    .addColumn('starts_ms', double)
    .addColumn('expires_ms', double)
    /** The CareTeam's resources.rid (its rows are rewritten with it). */
    .addColumn('source_rid', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('team_members_principal')
    .on('team_members')
    .columns(['principal', 'team_ref'])
    .execute();
  await db.schema.createIndex('team_members_source').on('team_members').column('source_rid').execute();

  const k = db as unknown as Kysely<DB>;
  let after = -1;
  for (;;) {
    const teams = await k
      .selectFrom('resources')
      .select(['rid', 'content'])
      .where('resource_type', '=', 'CareTeam')
      .where('deleted', '=', 0)
      .where('rid', '>', after)
      .orderBy('rid')
      .limit(200)
      .execute();
    if (teams.length === 0) return;
    const rows = teams.flatMap((t) => teamMemberRows(JSON.parse(t.content) as CareTeam, Number(t.rid)));
    // In statements of at most 500 rows (five parameters each: well within either database's limit).
    for (let i = 0; i < rows.length; i += 500)
      await k
        .insertInto('team_members')
        .values(rows.slice(i, i + 500))
        .execute();
    after = Number(teams.at(-1)!.rid);
  }
}
