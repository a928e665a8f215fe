/**
 * Care-team notifications of transitions (emergency visit, admission, discharge, death, readmission):
 * one FHIR Communication per (encounter, kind), addressed to every current member of the patient's
 * active care teams and to the teams themselves. Readers see them through the store as themselves,
 * so a user who may not see the patient sees none; who has read which is kept per user in
 * `notification_reads` (migration 010).
 */
import type { CareTeam, Communication, Encounter, Reference } from 'fhir/r4.js';
import { sql } from 'kysely';
import type { AccessContext } from '../../access/access-context.js';
import { sensitivityOf, withLabelsOf } from '../../access/policy/access-facts.js';
import { FhirError } from '../../fhir/outcome.js';
import type { ResourceStore } from '../../fhir/store/store.js';
import { identifierQuery, searchEscape } from './adt-fields.js';
import { NOTIFICATION_ID_SYSTEM, type NotificationKind, TRANSITION_SYSTEM } from './transitions.rules.js';

export const COMMUNICATION_CATEGORY = 'http://terminology.hl7.org/CodeSystem/communication-category';

/** The patient's active care teams and their current people (Practitioner / PractitionerRole members). */
export async function activeCareTeams(
  store: ResourceStore,
  patientId: string,
): Promise<{ teams: CareTeam[]; members: Reference[] }> {
  const bundle = await store.search(
    'CareTeam',
    [
      ['patient', `Patient/${patientId}`],
      ['status', 'active'],
    ],
    '',
  );
  const now = store.options.clock.now().getTime();
  const teams = (bundle.entry ?? []).map((e) => e.resource as CareTeam);
  const members = new Map<string, Reference>();
  for (const team of teams)
    for (const p of team.participant ?? []) {
      const ref = p.member?.reference ?? '';
      const ended = p.period?.end && Date.parse(p.period.end) < now;
      if (/^(Practitioner|PractitionerRole)\//.test(ref) && !ended) members.set(ref, { reference: ref });
    }
  return { teams, members: [...members.values()] };
}

/**
 * Tells the patient's care team about a transition, once per (encounter, kind): a resend finds the
 * Communication already made; one withdrawn by a cancel event (A11, A13) is restored. Undefined when
 * the patient has no active care team. `text` says what happened without more PHI than needed (the
 * subject reference identifies the patient to those allowed to see them). The notification tells of
 * the encounter (and of `alsoAbout`, the stays its text names): it carries their sensitivity labels,
 * so a team member who may not see the stay is not told of it; a resend brings them up to date.
 */
export async function notifyCareTeam(
  store: ResourceStore,
  input: { encounter: Encounter; kind: NotificationKind; text: string; at: string; alsoAbout?: Encounter[] },
): Promise<Communication | undefined> {
  const patient = input.encounter.subject!.reference!;
  const sources = [input.encounter, ...(input.alsoAbout ?? [])];
  const identifier = { system: NOTIFICATION_ID_SYSTEM, value: `${input.encounter.id}:${input.kind}` };
  const [existingId] = await store.matchIds('Communication', identifierQuery(identifier), 1);
  if (existingId) {
    const existing = (await store.read('Communication', existingId)) as Communication;
    const labelled = withLabelsOf(existing, sources);
    if (existing.status !== 'entered-in-error' && sensitivityOf(labelled) === sensitivityOf(existing))
      return existing;
    return (await store.update('Communication', existingId, { ...labelled, status: 'completed' }))
      .resource as Communication;
  }
  const { teams, members } = await activeCareTeams(store, patient.slice('Patient/'.length));
  if (teams.length === 0) return undefined;
  const communication: Communication = {
    resourceType: 'Communication',
    identifier: [identifier],
    status: 'completed',
    category: [{ coding: [{ system: COMMUNICATION_CATEGORY, code: 'notification' }] }],
    priority: input.kind === 'discharge' || input.kind === 'admission' ? 'routine' : 'urgent',
    topic: { coding: [{ system: TRANSITION_SYSTEM, code: input.kind }] },
    subject: { reference: patient },
    encounter: { reference: `Encounter/${input.encounter.id}` },
    about: [{ reference: `Encounter/${input.encounter.id}` }],
    sent: input.at,
    recipient: [...members, ...teams.map((t) => ({ reference: `CareTeam/${t.id}` }))],
    ...(input.encounter.serviceProvider ? { sender: input.encounter.serviceProvider } : {}),
    payload: [{ contentString: input.text }],
  };
  return (await store.create(withLabelsOf(communication, sources))).resource as Communication;
}

/** Withdraws the encounter's notifications of these kinds (entered-in-error): the event they told of was cancelled. */
export async function withdrawNotifications(
  store: ResourceStore,
  encounterId: string,
  kinds: readonly NotificationKind[],
): Promise<void> {
  for (const kind of kinds) {
    const [id] = await store.matchIds(
      'Communication',
      identifierQuery({ system: NOTIFICATION_ID_SYSTEM, value: `${encounterId}:${kind}` }),
      1,
    );
    if (!id) continue;
    const c = (await store.read('Communication', id)) as Communication;
    if (c.status !== 'entered-in-error')
      await store.update('Communication', id, { ...c, status: 'entered-in-error' });
  }
}

export interface NotificationView {
  id: string;
  kind: string;
  text: string;
  sentAt?: string;
  patientId?: string;
  encounterId?: string;
  read: boolean;
}

/**
 * The signed-in user's notifications, newest first: those addressed to them or to a care team they
 * are on, among the patients they may see (`store` acts as the user).
 */
export async function listNotifications(
  store: ResourceStore,
  access: AccessContext,
  options: { unread?: boolean; limit?: number } = {},
): Promise<NotificationView[]> {
  const me = access.resource;
  if (!me || !access.userId) return [];
  const addressees = await addresseesOf(store, access);
  const bundle = await store.search(
    'Communication',
    [
      ['category', `${COMMUNICATION_CATEGORY}|notification`],
      ['recipient', addressees.map(searchEscape).join(',')],
      ['_sort', '-sent'],
      ['_count', String(options.limit ?? 100)],
    ],
    '',
  );
  const communications = (bundle.entry ?? [])
    .map((e) => e.resource as Communication)
    .filter((c) => c.resourceType === 'Communication' && c.status !== 'entered-in-error');
  const read = await readIds(
    store,
    access.userId,
    communications.map((c) => c.id!),
  );
  return communications
    .map((c) => ({
      id: c.id!,
      kind: c.topic?.coding?.find((x) => x.system === TRANSITION_SYSTEM)?.code ?? 'notification',
      text: c.payload?.[0]?.contentString ?? '',
      ...(c.sent ? { sentAt: c.sent } : {}),
      ...(c.subject?.reference ? { patientId: c.subject.reference.replace(/^Patient\//, '') } : {}),
      ...(c.encounter?.reference ? { encounterId: c.encounter.reference.replace(/^Encounter\//, '') } : {}),
      read: read.has(c.id!),
    }))
    .filter((n) => !options.unread || !n.read);
}

/** The references a notification may be addressed to for this user: themselves and their care teams. */
async function addresseesOf(store: ResourceStore, access: AccessContext): Promise<string[]> {
  const me = access.resource;
  if (!me) return [];
  const teams = await store.search(
    'CareTeam',
    [
      ['participant', me],
      ['_count', '200'],
    ],
    '',
  );
  return [me, ...(teams.entry ?? []).map((e) => `CareTeam/${e.resource!.id}`)];
}

async function readIds(store: ResourceStore, userId: string, ids: string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const rows = await sql<{
    communication_id: string;
  }>`select communication_id from notification_reads where user_id = ${userId} and communication_id in (${sql.join(ids)})`.execute(
    store.database.db,
  );
  return new Set(rows.rows.map((r) => r.communication_id));
}

/**
 * Marks one notification read for the signed-in user. 404 when the user may not see it or it is
 * not addressed to them or their teams (the store's read, as the user, decides the first).
 */
export async function markNotificationRead(
  store: ResourceStore,
  access: AccessContext,
  id: string,
): Promise<{ id: string; read: true; readAt: string }> {
  const communication = (await store.read('Communication', id)) as Communication;
  const addressees = await addresseesOf(store, access);
  const isNotification = communication.category?.some((c) =>
    c.coding?.some((x) => x.system === COMMUNICATION_CATEGORY && x.code === 'notification'),
  );
  const forMe = (communication.recipient ?? []).some((r) => addressees.includes(r.reference ?? ''));
  if (!isNotification || !forMe || communication.status === 'entered-in-error')
    throw new FhirError(404, [{ code: 'not-found', diagnostics: `no notification ${id} for you` }]);
  const readAt = store.options.clock.now().toISOString();
  await sql`insert into notification_reads (communication_id, user_id, read_at) values (${id}, ${access.userId!}, ${readAt}) on conflict do nothing`.execute(
    store.database.db,
  );
  return { id, read: true, readAt };
}
