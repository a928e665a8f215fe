/**
 * A coordinator's caseload: the patients whose active care team the user leads (lead.ts decides the
 * lead), with their open and overdue task counts from the worklist projection, their risk tier and
 * the next due time. Audited as one search naming the patients.
 */
import type { CareTeam, Patient } from 'fhir/r4.js';
import { sql } from 'kysely';
import { visibilityCondition } from '../../access/policy/visibility.js';
import type { ResourceStore } from '../../fhir/store/store.js';
import { displayName, loadPatientSources, riskTierOf } from '../worklists/worklist-projection.js';
import { leadOfTeam } from './lead.js';

export interface CaseloadPatient {
  id: string;
  name?: string;
  age?: number;
  openTasks: number;
  overdueTasks: number;
  riskTier?: string;
  nextDue?: string;
}

function age(birthDate: string | undefined, now: Date): number | undefined {
  if (!birthDate) return undefined;
  const [y, m = 1, d = 1] = birthDate.split('-').map(Number) as [number, number?, number?];
  let years = now.getUTCFullYear() - y;
  if (now.getUTCMonth() + 1 < m || (now.getUTCMonth() + 1 === m && now.getUTCDate() < d)) years--;
  return years;
}

/** The caseload of the store's user. */
export async function caseload(store: ResourceStore): Promise<{ patients: CaseloadPatient[] }> {
  return store.audited(
    'search',
    async (s) => {
      const grants = await s.grants();
      const now = s.options.clock.now();
      const ms = now.getTime();
      const people = new Set(grants.principals.filter((p) => /^(Practitioner|PractitionerRole)\//.test(p)));
      if (people.size === 0) return { patients: [] };
      // The teams the user is on (their derived care-team relationships), then those the user leads.
      const teams = await sql<{
        patient_id: string;
        content: string;
      }>`select distinct a.patient_id, r.content from access_relationships a join resources r on r.rid = a.source_rid where a.principal in (${sql.join([...people])}) and a.kind = 'care-team' and r.resource_type = 'CareTeam' and r.deleted = 0 and (a.starts_ms is null or a.starts_ms <= ${ms}) and (a.expires_ms is null or a.expires_ms > ${ms})`.execute(
        s.executor,
      );
      const led = new Set<string>();
      for (const row of teams.rows) {
        const lead = leadOfTeam(JSON.parse(row.content) as CareTeam, now);
        if (lead && people.has(lead.reference)) led.add(row.patient_id);
      }
      const visible = await s.visibleKeys([...led].map((id) => ({ type: 'Patient', id })));
      const ids = [...led].filter((id) => visible.has(`Patient/${id}`));
      if (ids.length === 0) return { patients: [] };
      // The risk tier from the RiskAssessments the user may see (one computed from a labelled
      // condition is not theirs to quote).
      const sources = await loadPatientSources(s.executor, ids);
      const assessments = [...sources.values()].flatMap((x) => x.assessments.map((a) => a.resource));
      const seen = await s.visibleKeys(assessments.map((a) => ({ type: 'RiskAssessment', id: a.id! })));
      const risk = new Map(
        ids.map((id) => [
          id,
          riskTierOf(
            (sources.get(id)?.assessments ?? [])
              .map((a) => a.resource)
              .filter((a) => seen.has(`RiskAssessment/${a.id}`)),
          ),
        ]),
      );
      const patients = new Map<string, Patient>();
      const counts = new Map<string, { open: number; overdue: number; next: number | null }>();
      const taskAccess = visibilityCondition(grants, 'Task', 'w', ms);
      for (let i = 0; i < ids.length; i += 500) {
        const chunk = ids.slice(i, i + 500);
        const rows = await s.executor
          .selectFrom('resources')
          .select(['id', 'content'])
          .where('resource_type', '=', 'Patient')
          .where('id', 'in', chunk)
          .execute();
        for (const r of rows) patients.set(r.id, JSON.parse(r.content) as Patient);
        const taskRows = await sql<{
          patient_id: string;
          open: number;
          overdue: number;
          next: number | null;
        }>`select w.patient_id, count(*) as open, sum(case when w.due_ms < ${ms} then 1 else 0 end) as overdue, min(case when w.due_ms >= ${ms} then w.due_ms end) as next from worklist_items w where w.patient_id in (${sql.join(chunk)}) and ${taskAccess} group by w.patient_id`.execute(
          s.executor,
        );
        for (const r of taskRows.rows)
          counts.set(r.patient_id, {
            open: Number(r.open),
            overdue: Number(r.overdue ?? 0),
            next: r.next === null ? null : Number(r.next),
          });
      }
      const list = ids.map((id): CaseloadPatient => {
        const patient = patients.get(id);
        const c = counts.get(id);
        const name = patient ? displayName(patient) : null;
        const years = age(patient?.birthDate, now);
        const tier = risk.get(id);
        return {
          id,
          ...(name ? { name } : {}),
          ...(years !== undefined ? { age: years } : {}),
          openTasks: c?.open ?? 0,
          overdueTasks: c?.overdue ?? 0,
          ...(tier ? { riskTier: tier } : {}),
          ...(c?.next != null ? { nextDue: new Date(c.next).toISOString() } : {}),
        };
      });
      // Most overdue work first, then the most open work, then by name.
      list.sort(
        (a, b) =>
          b.overdueTasks - a.overdueTasks ||
          b.openTasks - a.openTasks ||
          (a.name ?? '').localeCompare(b.name ?? ''),
      );
      return { patients: list };
    },
    (result) => ({ resources: result.patients.map((p) => `Patient/${p.id}`), detail: 'caseload' }),
    { detail: 'caseload' },
  );
}
