/**
 * Reading the audit trail: filtered pages for auditors, the AuditEvent view, and a patient's own
 * "who accessed my record" list. Reading the trail is itself audited (action `audit-read`).
 */
import type { Bundle } from 'fhir/r4.js';
import type { Executor } from '../../platform/database.js';
import { toAuditEvent } from './audit-event.js';
import type { AuditEntry } from './audit-trail.js';

export interface AuditQuery {
  patient?: string;
  actor?: string;
  action?: string;
  outcome?: string;
  /** Only entries recorded at or after this instant. */
  since?: string;
  /** Only entries with a position below this one (the next page of a newest-first list). */
  before?: number;
  limit: number;
}

/** One entry as the audit viewer shows it. */
export interface AuditListItem extends AuditEntry {
  seq: number;
  recorded: string;
}

/** A newest-first page of the trail and the cursor of the next one. */
export async function listAuditEvents(
  ex: Executor,
  query: AuditQuery,
): Promise<{
  events: AuditListItem[];
  rows: { seq: number; recorded: string; hash: string; entry: string }[];
  next?: number;
}> {
  let q = ex.selectFrom('audit_events as a').select(['a.seq', 'a.recorded', 'a.entry', 'a.hash']);
  if (query.patient)
    q = q.where('a.seq', 'in', (eb) =>
      eb.selectFrom('audit_event_patients').select('seq').where('patient_id', '=', query.patient!),
    );
  if (query.actor) q = q.where('a.actor', '=', query.actor);
  if (query.action) q = q.where('a.action', '=', query.action);
  if (query.outcome) q = q.where('a.outcome', '=', query.outcome);
  if (query.since) q = q.where('a.recorded', '>=', new Date(query.since).toISOString());
  if (query.before !== undefined) q = q.where('a.seq', '<', query.before);
  const rows = (
    await q
      .orderBy('a.seq', 'desc')
      .limit(query.limit + 1)
      .execute()
  ).map((r) => ({
    ...r,
    seq: Number(r.seq),
  }));
  const page = rows.slice(0, query.limit);
  return {
    rows: page,
    events: page.map((r) => ({ seq: r.seq, recorded: r.recorded, ...(JSON.parse(r.entry) as AuditEntry) })),
    ...(rows.length > query.limit ? { next: page.at(-1)!.seq } : {}),
  };
}

/** A page of the trail as a FHIR searchset of AuditEvent. */
export async function auditEventBundle(ex: Executor, query: AuditQuery, baseUrl: string): Promise<Bundle> {
  const { rows, next } = await listAuditEvents(ex, query);
  const params = new URLSearchParams();
  if (query.patient) params.set('patient', query.patient);
  if (query.actor) params.set('agent', query.actor);
  if (query.action) params.set('subtype', query.action);
  if (query.since) params.set('date', `ge${query.since}`);
  params.set('_count', String(query.limit));
  return {
    resourceType: 'Bundle',
    type: 'searchset',
    link: [
      { relation: 'self', url: `${baseUrl}/AuditEvent?${params}` },
      ...(next !== undefined
        ? [{ relation: 'next', url: `${baseUrl}/AuditEvent?${params}&_before=${next}` }]
        : []),
    ],
    entry: rows.map((r) => ({
      fullUrl: `${baseUrl}/AuditEvent/${r.seq}`,
      resource: toAuditEvent(r),
      search: { mode: 'match' as const },
    })),
  };
}

/** Who accessed a patient's record: people and systems other than the patient, newest first. */
export async function accessLog(
  ex: Executor,
  patientId: string,
  options: { limit: number; before?: number },
): Promise<{
  events: {
    seq: number;
    recorded: string;
    actor?: string;
    actorName?: string;
    role?: string;
    action: string;
    purposeOfUse?: string;
  }[];
  next?: number;
}> {
  const { events, next } = await listAuditEvents(ex, { patient: patientId, outcome: 'success', ...options });
  // Names of the staff who acted, from their Practitioner records (the patient may know who they are).
  const practitioners = [
    ...new Set(events.map((e) => e.actor).filter((a): a is string => !!a?.startsWith('Practitioner/'))),
  ];
  const names = new Map<string, string>();
  if (practitioners.length > 0) {
    const rows = await ex
      .selectFrom('resources')
      .select(['id', 'content'])
      .where('resource_type', '=', 'Practitioner')
      .where(
        'id',
        'in',
        practitioners.map((p) => p.slice('Practitioner/'.length)),
      )
      .execute();
    for (const r of rows) {
      const name = (
        JSON.parse(r.content) as {
          name?: { text?: string; given?: string[]; family?: string; prefix?: string[] }[];
        }
      ).name?.[0];
      if (name)
        names.set(
          `Practitioner/${r.id}`,
          name.text ?? [name.prefix?.join(' '), name.given?.join(' '), name.family].filter(Boolean).join(' '),
        );
    }
  }
  return {
    events: events.map((e) => ({
      seq: e.seq,
      recorded: e.recorded,
      actor: e.actor,
      actorName: e.actor
        ? (names.get(e.actor) ?? (e.actor === `Patient/${patientId}` ? 'You' : undefined))
        : undefined,
      role: e.role,
      action: e.action,
      purposeOfUse: e.purposeOfUse,
    })),
    ...(next !== undefined ? { next } : {}),
  };
}
