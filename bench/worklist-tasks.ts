/**
 * Worklist-shaped data for the search benchmark: open and closed Tasks per patient, owned by
 * practitioners, with due dates around "now", written in batches through the store (validated and
 * indexed like any other write).
 */
import type { Task } from 'fhir/r4.js';
import { sql } from 'kysely';
import type { ResourceStore } from '../src/fhir/store/store.js';

const statuses: Task['status'][] = [
  'requested',
  'ready',
  'in-progress',
  'completed',
  'completed',
  'cancelled',
];
const priorities: Task['priority'][] = ['routine', 'routine', 'urgent', 'asap', 'stat'];

/** Adds `perPatient` Tasks for every patient; returns how many. Deterministic for the same data. */
export async function addWorklistTasks(store: ResourceStore, perPatient: number): Promise<number> {
  if (perPatient <= 0) return 0;
  const ex = store.executor;
  const patients = (
    await sql<{
      id: string;
    }>`select id from resources where resource_type = 'Patient' and deleted = 0 order by id`.execute(ex)
  ).rows.map((r) => r.id);
  const practitioners = (
    await sql<{
      id: string;
    }>`select id from resources where resource_type = 'Practitioner' and deleted = 0 order by id`.execute(ex)
  ).rows.map((r) => r.id);
  let written = 0;
  let batch: Task[] = [];
  const flush = async () => {
    await store.write(
      batch.map((t) => ({ method: 'PUT' as const, resourceType: 'Task', id: t.id!, resource: t })),
    );
    written += batch.length;
    batch = [];
  };
  const day = 86_400_000;
  const now = Date.parse('2026-11-30T12:00:00Z');
  for (const [p, patientId] of patients.entries()) {
    for (let k = 0; k < perPatient; k++) {
      const n = p * perPatient + k;
      const due = new Date(now + ((n % 29) - 14) * day);
      batch.push({
        resourceType: 'Task',
        id: `bench-task-${n}`,
        status: statuses[n % statuses.length]!,
        intent: 'order',
        priority: priorities[n % priorities.length],
        code: {
          coding: [{ system: 'http://snomed.info/sct', code: '386053000', display: 'Evaluation procedure' }],
          text: 'Follow-up call',
        },
        for: { reference: `Patient/${patientId}` },
        owner: { reference: `Practitioner/${practitioners[n % practitioners.length]}` },
        authoredOn: new Date(due.getTime() - 7 * day).toISOString(),
        executionPeriod: { start: new Date(due.getTime() - 7 * day).toISOString(), end: due.toISOString() },
      });
      if (batch.length >= 1000) await flush();
    }
  }
  if (batch.length) await flush();
  return written;
}
