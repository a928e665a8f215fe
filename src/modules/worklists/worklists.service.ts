/**
 * The worklist: a user's open tasks, ranked and explained, read from the worklist_items projection
 * with the store's own access rule (`visibilityCondition` over the row's patient and sensitivity, so a
 * nurse not related to a patient sees none of that patient's tasks), and audited as one search entry
 * naming the tasks and patients returned (written before the page is returned). Also bulk
 * reassignment, task by task through the store.
 */
import { type RawBuilder, sql } from 'kysely';
import type { Role } from '../../access/access-context.js';
import {
  careTeamPatientsOf,
  type Grants,
  inForce,
  reachFor,
  relatedKinds,
  teamsOf,
  visibilityCondition,
} from '../../access/policy/visibility.js';
import { badRequest } from '../../fhir/outcome.js';
import type { ResourceStore } from '../../fhir/store/store.js';
import { jsonMember, parseJsonColumn } from '../../platform/database.js';
import type { WorklistItemTable } from '../../platform/database-schema.js';
import { roleCodes } from '../tasks/tasks.rules.js';
import { reassignTask } from '../tasks/tasks.service.js';
import { displayName } from './worklist-projection.js';
import {
  explainRank,
  type Factor,
  type RankFacts,
  type RankTime,
  type Reason,
  rankTime,
  scoreSql,
} from './worklists.rules.js';

export const views = ['mine', 'team', 'claimable', 'overdue', 'today', 'week'] as const;
export type View = (typeof views)[number];

export interface WorklistQuery {
  view: View;
  patient?: string;
  priority?: string[];
  sort: 'rank' | 'due';
  limit: number;
  cursor?: string;
}

export interface WorklistItem {
  taskId: string;
  patient: { id: string; name?: string; age?: number; language?: string; interpreter?: boolean };
  title: string;
  reasons: Reason[];
  dueAt?: string;
  overdueDays: number;
  owner?: { reference: string; display?: string };
  ownerRole?: string;
  priority: string;
  status: string;
  riskTier?: string;
  score: number;
  factors: Factor[];
}

export interface WorklistPage {
  items: WorklistItem[];
  counts: Record<View, number>;
  next?: string;
}

/**
 * The SQL condition of each view over a worklist_items row `w`; `onTeam` says whether the user is on
 * the care team of the row's patient.
 */
function viewConditions(
  grants: Grants,
  time: RankTime,
  onTeam: RawBuilder<unknown>,
): Record<View, RawBuilder<unknown>> {
  const people = grants.principals.filter((p) => /^(Practitioner|PractitionerRole)\//.test(p));
  const role = grants.role === 'system' ? undefined : (grants.role as Role);
  const occupation = role ? roleCodes[role]?.code : undefined;
  const mineRoles = [role ?? '-', ...(occupation ? [occupation] : [])];
  const groups = grants.organizations.length ? grants.organizations : ['-'];
  return {
    mine: people.length ? sql`w.owner_ref in (${sql.join(people)})` : sql`1 = 0`,
    team: onTeam,
    // As claimTask decides: meant for the user's role (or any role), and owned by no one (then: meant
    // for a role, or a patient of the user's team), by an organization the user belongs to, or by a team
    // they are on. A task a person owns matches none of these; the cheap tests come first.
    claimable: sql`((w.owner_role is null or w.owner_role in (${sql.join(mineRoles)})) and ((w.owner_ref is null and (w.owner_role is not null or ${onTeam})) or w.owner_ref in (${sql.join(groups)}) or w.owner_ref in (${teamsOf(grants.principals, time.now)})))`,
    overdue: sql`w.due_ms < ${time.now}`,
    today: sql`(w.due_ms >= ${time.dayStarts[0]!} and w.due_ms < ${time.tomorrow})`,
    week: sql`(w.due_ms >= ${time.dayStarts[0]!} and w.due_ms < ${time.weekEnd})`,
  };
}

interface Cursor {
  /** The instant the first page was ranked at: later pages rank at the same instant, so none repeat or go missing. */
  at: number;
  score: number;
  due: number;
  rid: number;
}

/** Sorts tasks without a due time after all the others. */
const NO_DUE = 9e15;

function encodeCursor(c: Cursor): string {
  return Buffer.from(JSON.stringify(c)).toString('base64url');
}

function decodeCursor(value: string): Cursor {
  try {
    const c = JSON.parse(Buffer.from(value, 'base64url').toString('utf8')) as Cursor;
    if ([c.at, c.score, c.due, c.rid].every((n) => typeof n === 'number' && Number.isFinite(n))) return c;
  } catch {
    // answered below
  }
  throw badRequest('cursor: not a cursor this server handed out', 'cursor');
}

/**
 * The worklist rows the user may see, as a FROM … WHERE: the store's access rule on every row
 * (`visibilityCondition`), led by the user's related patients when that is their reach, so that their
 * rows are reached through the (patient_id, due_ms …) covering index for sure (PostgreSQL, seeing the
 * rule's IN-subqueries alone, may scan the whole table). Also whether the user is on the care team of
 * a row's patient (the `team` view).
 */
function visibleRows(
  dialect: 'sqlite' | 'postgres',
  grants: Grants,
  now: number,
): { from: RawBuilder<unknown>; onTeam: RawBuilder<unknown> } {
  const visible = visibilityCondition(grants, 'Task', 'w', now);
  const onTeam = sql`w.patient_id in (${careTeamPatientsOf(grants.principals, now)})`;
  if (reachFor(grants, 'Task', 'read') !== 'related' || grants.principals.length === 0)
    return { from: sql`worklist_items w where ${visible}`, onTeam };
  const relationships = sql`access_relationships a where a.principal in (${sql.join(grants.principals)}) and a.kind in (${sql.join(relatedKinds)}) and ${inForce(now, 'a')}`;
  if (dialect === 'sqlite') {
    // The related patients as a derived table, one row each with whether the user is on their care
    // team: the team flag then costs no lookup per row (about 15 % of the statement).
    const patients = sql`select a.patient_id, max(case when a.kind = 'care-team' then 1 else 0 end) as on_team from ${relationships} group by a.patient_id`;
    return {
      from: sql`(${patients}) r join worklist_items w on w.patient_id = r.patient_id where ${visible}`,
      onTeam: sql`r.on_team = 1`,
    };
  }
  // PostgreSQL: the related patients as `= any(array(…))`, which it runs once (an InitPlan) and then
  // walks the index with; a join to them is planned as a hash join over the whole table once plans are
  // generic (database.ts, `reader`). The rule inside a CASE: PostgreSQL otherwise turns its IN-subquery
  // into a semi-join probing access_relationships once per row; inside a CASE it stays a hashed
  // subplan, run once. Same truth value: NULL counts as not visible either way.
  return {
    from: sql`worklist_items w where w.patient_id = any(array(select a.patient_id from ${relationships})) and (case when ${visible} then 1 else 0 end) = 1`,
    onTeam,
  };
}

/** The type and the id of a `Type/id` reference column, as SQL (for the join to the owner's resource). */
function referenceParts(
  dialect: 'sqlite' | 'postgres',
  column: RawBuilder<unknown>,
): { type: RawBuilder<string>; id: RawBuilder<string> } {
  return dialect === 'postgres'
    ? { type: sql`split_part(${column}, '/', 1)`, id: sql`split_part(${column}, '/', 2)` }
    : {
        type: sql`substr(${column}, 1, instr(${column}, '/') - 1)`,
        id: sql`substr(${column}, instr(${column}, '/') + 1)`,
      };
}

type Row = WorklistItemTable & { score: number; due_key: number; owner_name: string | null };

/** One page of a worklist view for the store's user, with the counts of every view; audited. */
export async function queryWorklist(
  store: ResourceStore,
  timeZone: string,
  query: WorklistQuery,
): Promise<WorklistPage> {
  const cursor = query.cursor ? decodeCursor(query.cursor) : undefined;
  const time = rankTime(cursor?.at ?? store.options.clock.now().getTime(), timeZone);
  // A read outside any transaction (store.auditedRead), through `database.reader`: on PostgreSQL a
  // plan prepared once per connection; on SQLite the one connection, not held past the statement.
  return store.auditedRead(
    'search',
    async (s) => {
      const grants = await s.grants();
      const ex = s.readExecutor;
      const dialect = s.database.dialect;
      const source = visibleRows(dialect, grants, time.now);
      const conditions = viewConditions(grants, time, source.onTeam);
      // One statement: the visible rows once (with each view's condition as a flag), then the page
      // and the counts of every view over them, so the access rule runs once per request.
      const owner = referenceParts(dialect, sql.ref('w.owner_ref'));
      const flag = (v: View) => sql.ref(`v.in_${v}`);
      const filters: RawBuilder<unknown>[] = [sql`${flag(query.view)} = 1`];
      if (query.patient) filters.push(sql`v.patient_id = ${query.patient}`);
      if (query.priority?.length) filters.push(sql`v.priority in (${sql.join(query.priority)})`);
      const score = scoreSql('v', time);
      const keyset = !cursor
        ? sql`1 = 1`
        : query.sort === 'rank'
          ? sql`(v.score < ${cursor.score} or (v.score = ${cursor.score} and (v.due_key > ${cursor.due} or (v.due_key = ${cursor.due} and v.rid > ${cursor.rid}))))`
          : sql`(v.due_key > ${cursor.due} or (v.due_key = ${cursor.due} and v.rid > ${cursor.rid}))`;
      const order = (a: string) =>
        query.sort === 'rank'
          ? sql`${sql.ref(`${a}.score`)} desc, ${sql.ref(`${a}.due_key`)}, ${sql.ref(`${a}.rid`)}`
          : sql`${sql.ref(`${a}.due_key`)}, ${sql.ref(`${a}.rid`)}`;
      const flags = sql.join(
        views.map((v) => sql`case when ${conditions[v]} then 1 else 0 end as ${sql.ref(`in_${v}`)}`),
        sql`, `,
      );
      const counted = sql.join(
        views.map((v) => sql`coalesce(sum(${flag(v)}), 0) as ${sql.ref(`count_${v}`)}`),
        sql`, `,
      );
      const result = (
        await sql<
          Row & Record<`count_${View}`, number | string>
        >`with v as materialized (select w.rid, w.patient_id, w.priority, w.due_ms, w.risk_tier, w.contact_from, w.contact_to, ${flags} from ${source.from}), c as (select ${counted} from v), z as (select v.* from (select v.rid, ${score} as score, coalesce(v.due_ms, ${NO_DUE}) as due_key from v where ${sql.join(filters, sql` and `)}) v where ${keyset} order by ${order('v')} limit ${query.limit + 1}), p as (select w.*, z.score, z.due_key, ${jsonMember(dialect, sql.ref('o.content'), 'name')} as owner_name from z join worklist_items w on w.rid = z.rid left join resources o on w.owner_display is null and o.resource_type = ${owner.type} and o.id = ${owner.id} and o.deleted = 0) select p.*, c.* from c left join p on 1 = 1 order by ${order('p')}`.execute(
          ex,
        )
      ).rows;
      const countRow = result[0];
      const counts = Object.fromEntries(
        views.map((v) => [v, Number(countRow?.[`count_${v}`] ?? 0)]),
      ) as Record<View, number>;
      const rows = result.filter((r) => r.rid !== null && r.rid !== undefined);
      const page = rows.slice(0, query.limit);
      const last = page.at(-1);
      const names = ownerNames(page);
      return {
        items: page.map((row) => present(row, time, names)),
        counts,
        ...(rows.length > query.limit && last
          ? {
              next: encodeCursor({
                at: time.now,
                score: Number(last.score),
                due: Number(last.due_key),
                rid: Number(last.rid),
              }),
            }
          : {}),
      };
    },
    (result) => ({
      resources: result.items.map((i) => `Task/${i.taskId}`),
      patientIds: result.items.map((i) => i.patient.id),
      detail: `worklist view=${query.view}`,
    }),
    { detail: `worklist view=${query.view}` },
  );
}

/** Names of the owners on a page whose Task did not carry a display, from the owner resources the statement joined. */
function ownerNames(rows: Row[]): Map<string, string> {
  const names = new Map<string, string>();
  for (const r of rows) {
    if (!r.owner_ref || r.owner_display || !r.owner_name || names.has(r.owner_ref)) continue;
    const given = parseJsonColumn<unknown>(r.owner_name);
    const name =
      typeof given === 'string' ? given : Array.isArray(given) ? displayName({ name: given }) : null;
    if (name) names.set(r.owner_ref, name);
  }
  return names;
}

function ageOn(birthDate: string | null, now: number): number | undefined {
  const m = birthDate?.match(/^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?/);
  if (!m) return undefined;
  const today = new Date(now);
  let age = today.getUTCFullYear() - Number(m[1]);
  const month = Number(m[2] ?? 1);
  const day = Number(m[3] ?? 1);
  if (today.getUTCMonth() + 1 < month || (today.getUTCMonth() + 1 === month && today.getUTCDate() < day))
    age--;
  return age;
}

function numberOrNull(value: number | string | null): number | null {
  return value === null ? null : Number(value);
}

function present(row: Row, time: RankTime, names: Map<string, string>): WorklistItem {
  // What the ranking reads, as numbers (pg hands int8 back as strings).
  const facts: RankFacts = {
    priority: row.priority,
    due_ms: numberOrNull(row.due_ms),
    risk_tier: row.risk_tier,
    contact_from: numberOrNull(row.contact_from),
    contact_to: numberOrNull(row.contact_to),
    interpreter: Number(row.interpreter),
    language: row.language,
    reason: row.reason,
    discharged_ms: numberOrNull(row.discharged_ms),
  };
  const rank = explainRank(facts, time);
  const age = ageOn(row.birth_date, time.now);
  return {
    taskId: row.task_id,
    patient: {
      id: row.patient_id,
      ...(row.patient_name ? { name: row.patient_name } : {}),
      ...(age !== undefined ? { age } : {}),
      ...(row.language ? { language: row.language } : {}),
      ...(facts.interpreter ? { interpreter: true } : {}),
    },
    title: row.title,
    reasons: rank.reasons,
    ...(facts.due_ms !== null ? { dueAt: new Date(facts.due_ms).toISOString() } : {}),
    overdueDays: rank.overdueDays,
    ...(row.owner_ref
      ? {
          owner: {
            reference: row.owner_ref,
            ...((row.owner_display ?? names.get(row.owner_ref))
              ? { display: (row.owner_display ?? names.get(row.owner_ref))! }
              : {}),
          },
        }
      : {}),
    ...(row.owner_role ? { ownerRole: row.owner_role } : {}),
    priority: row.priority,
    status: row.status,
    ...(row.risk_tier ? { riskTier: row.risk_tier } : {}),
    score: rank.score,
    factors: rank.factors,
  };
}

/** Owners a task may be given to. */
export const ownerPattern = /^(Practitioner|PractitionerRole|CareTeam|Organization)\/[A-Za-z0-9\-.]{1,64}$/;

/**
 * Gives each task to `owner` through the tasks workflow (`reassignTask`: one audited `reassign` per
 * task, naming the old and new owner), all in one transaction: every task moves or none does.
 */
export async function reassignTasks(
  store: ResourceStore,
  taskIds: string[],
  owner: string,
  reason?: string,
): Promise<{ updated: number }> {
  if (!ownerPattern.test(owner))
    throw badRequest(
      'owner: must be a Practitioner, PractitionerRole, CareTeam or Organization reference',
      'owner',
    );
  const ids = [...new Set(taskIds)];
  return store.transaction(async (tx) => {
    for (const id of ids) await reassignTask(tx, id, { owner, ...(reason ? { reason } : {}) });
    return { updated: ids.length };
  });
}
