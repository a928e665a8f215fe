/**
 * The task workflow: create, move through the state machine, claim, reassign, annotate, and the view
 * of one task with its history. Every function takes a store already acting for someone
 * (`store.as(context)`), so access is checked and each step audited in the store.
 */
import type { Annotation, Patient, Reference, Task } from 'fhir/r4.js';
import { sql } from 'kysely';
import type { AccessContext } from '../../access/access-context.js';
import { careTeamPatientsOf, forbidden, teamsOf } from '../../access/policy/visibility.js';
import { conflict, FhirError } from '../../fhir/outcome.js';
import type { ResourceStore, WriteGuard } from '../../fhir/store/store.js';
import {
  allowedTransitions,
  BUSINESS_STATUS,
  mayTransition,
  openStatuses,
  reasonRequired,
  roleCodes,
  type TaskStatus,
  terminalStatuses,
} from './tasks.rules.js';
import type { CreateTaskInput } from './tasks.schema.js';

/** 409 for a move the state machine does not allow; the route presents from, to and the allowed list. */
export class TransitionError extends FhirError {
  constructor(
    readonly from: string,
    readonly to: string,
    readonly allowed: readonly string[],
  ) {
    super(409, [
      {
        code: 'conflict',
        diagnostics: `a task cannot move from ${from} to ${to}; allowed: ${allowed.join(', ') || 'none (final state)'}`,
        expression: 'Task.status',
      },
    ]);
  }
}

const PERSON = /^(Practitioner|PractitionerRole)\//;
const REQUESTER = /^(Practitioner|PractitionerRole|Organization|Patient|RelatedPerson|Device)\//;

const nowIso = (store: ResourceStore) => store.options.clock.now().toISOString();
const versionOf = (task: Task) => Number(task.meta?.versionId);

/** A note by the acting person, stamped with the time. */
function noteBy(context: AccessContext, text: string, time: string): Annotation {
  return context.resource && REQUESTER.test(context.resource)
    ? { authorReference: { reference: context.resource }, time, text }
    : { authorString: context.actor, time, text };
}

async function readTask(store: ResourceStore, id: string): Promise<Task> {
  return (await store.read('Task', id)) as Task;
}

/** Creates a task (status requested) for a patient, owned by a person, team, organization or role. */
export async function createTask(store: ResourceStore, input: CreateTaskInput): Promise<Task> {
  const now = nowIso(store);
  const { resource: requester } = store.context;
  const role = input.ownerRole ? roleCodes[input.ownerRole] : undefined;
  const task: Task = {
    resourceType: 'Task',
    status: 'requested',
    intent: 'order',
    priority: input.priority,
    code: { text: input.title },
    ...(input.description ? { description: input.description } : {}),
    ...(input.focus ? { focus: { reference: input.focus } } : {}),
    for: { reference: `Patient/${input.patientId}` },
    authoredOn: now,
    lastModified: now,
    ...(requester && REQUESTER.test(requester) ? { requester: { reference: requester } } : {}),
    ...(input.ownerRole
      ? {
          performerType: [
            role ? { coding: [{ ...role }], text: input.ownerRole } : { text: input.ownerRole },
          ],
        }
      : {}),
    ...(input.owner ? { owner: { reference: input.owner } } : {}),
    restriction: { period: { end: new Date(input.dueAt).toISOString() } },
    ...(input.reason ? { reasonCode: { text: input.reason } } : {}),
  };
  const { resource } = await store.create(task);
  return resource as Task;
}

/** Moves a task to `to` when the state machine allows it (else 409 with the allowed moves). */
export async function transitionTask(
  store: ResourceStore,
  id: string,
  input: { to: TaskStatus; note?: string; reason?: string },
): Promise<Task> {
  let from = '';
  return store.audited(
    'update',
    async (s) => {
      const task = await readTask(s, id);
      from = task.status;
      if (!mayTransition(from, input.to)) throw new TransitionError(from, input.to, allowedTransitions(from));
      if (reasonRequired.includes(input.to) && !input.reason)
        throw new FhirError(400, [
          {
            code: 'required',
            diagnostics: `reason: a move to ${input.to} needs a reason`,
            expression: 'reason',
          },
        ]);
      const now = nowIso(s);
      const next: Task = { ...task, status: input.to, lastModified: now };
      if (input.reason) next.statusReason = { text: input.reason };
      else delete next.statusReason;
      if (input.note) next.note = [...(task.note ?? []), noteBy(s.context, input.note, now)];
      if (input.to === 'in-progress' && !task.executionPeriod?.start)
        next.executionPeriod = { ...task.executionPeriod, start: now };
      if (terminalStatuses.includes(input.to)) {
        next.executionPeriod = { ...next.executionPeriod, end: now };
        // A finished task is no longer overdue, whatever its due date was.
        if (isOverdueMarked(task)) delete next.businessStatus;
      }
      const saved = await s.update('Task', id, next, { ifMatch: versionOf(task) });
      return saved.resource as Task;
    },
    () => ({ resources: [`Task/${id}`], detail: `status ${from} → ${input.to}` }),
    { resources: [`Task/${id}`], detail: `status → ${input.to}` },
  );
}

/** True when the escalation job marked the task overdue (Task.businessStatus). */
export function isOverdueMarked(task: Task): boolean {
  return (task.businessStatus?.coding ?? []).some(
    (c) => c.system === BUSINESS_STATUS && c.code === 'overdue',
  );
}

/**
 * Whether the store's user may claim a task of `patientId` owned by `owner` (none: the patient's), as
 * the worklist's `claimable` view asks: on the owning CareTeam now (`teamsOf`), in the owning
 * organization, or, for a task nobody owns, on the patient's care team (`careTeamPatientsOf`).
 */
async function belongsTo(
  store: ResourceStore,
  owner: string | undefined,
  patientId: string,
): Promise<boolean> {
  const grants = await store.grants();
  if (owner?.startsWith('Organization/')) return grants.organizations.includes(owner);
  const now = store.options.clock.now().getTime();
  const [value, among] = owner
    ? [owner, teamsOf(grants.principals, now)]
    : [patientId, careTeamPatientsOf(grants.principals, now)];
  const { rows } = await sql<{
    one: number;
  }>`select 1 as one where ${value} in (${among})`.execute(store.executor);
  return rows.length > 0;
}

/**
 * The acting person takes a task owned by a role, team or organization they belong to: they become
 * its owner and a requested or received task becomes accepted (claiming from a worklist commits to
 * doing the work). A task owned by another person is not claimable (reassign it instead).
 */
export async function claimTask(store: ResourceStore, id: string): Promise<Task> {
  const { context } = store;
  const me = context.resource;
  if (!me || !PERSON.test(me))
    throw forbidden('only staff linked to a Practitioner or PractitionerRole can claim tasks');
  let previous: string | undefined;
  return store.audited(
    'claim',
    async (s) => {
      const task = await readTask(s, id);
      previous = task.owner?.reference;
      if (!openStatuses.includes(task.status as TaskStatus))
        throw conflict(`Task/${id} is ${task.status}; only open tasks can be claimed`);
      if (previous === me) return task;
      if (previous && PERSON.test(previous))
        throw conflict(`Task/${id} is owned by ${previous}; ask for it to be reassigned`);
      const wanted = (task.performerType ?? []).flatMap((t) => (t.coding ?? []).map((c) => c.code));
      const mine = roleCodes[context.role as keyof typeof roleCodes]?.code;
      if (wanted.length > 0 && !(mine && wanted.includes(mine)))
        throw forbidden(`Task/${id} is for the ${taskRoleLabel(task)} role, not ${context.role}`);
      const patientId = task.for?.reference?.replace(/^Patient\//, '') ?? '';
      if (previous?.startsWith('CareTeam/') && !(await belongsTo(s, previous, patientId)))
        throw forbidden(`you are not on ${previous}, which owns Task/${id}`);
      if (previous?.startsWith('Organization/') && !(await belongsTo(s, previous, patientId)))
        throw forbidden(`you do not belong to ${previous}, which owns Task/${id}`);
      if (!previous && wanted.length === 0 && !(await belongsTo(s, undefined, patientId)))
        throw forbidden(
          `Task/${id} names no owner or role: it is for the patient's care team, and you are not on it`,
        );
      const next: Task = {
        ...task,
        owner: { reference: me },
        status: task.status === 'requested' || task.status === 'received' ? 'accepted' : task.status,
        lastModified: nowIso(s),
      };
      return (await s.update('Task', id, next, { ifMatch: versionOf(task) })).resource as Task;
    },
    () => ({ resources: [`Task/${id}`], detail: `owner ${previous ?? 'none'} → ${me}` }),
    { resources: [`Task/${id}`], detail: 'claim' },
  );
}

function taskRoleLabel(task: Task): string {
  const t = task.performerType?.[0];
  return t?.text ?? t?.coding?.[0]?.display ?? t?.coding?.[0]?.code ?? 'named';
}

/** Gives a task to another owner; audited as `reassign` naming the old and the new owner. */
export async function reassignTask(
  store: ResourceStore,
  id: string,
  input: { owner: string; reason?: string },
): Promise<Task> {
  let previous: string | undefined;
  return store.audited(
    'reassign',
    async (s) => {
      const task = await readTask(s, id);
      previous = task.owner?.reference;
      if (!openStatuses.includes(task.status as TaskStatus) && task.status !== 'draft')
        throw conflict(`Task/${id} is ${task.status}; a closed task keeps its owner`);
      const now = nowIso(s);
      const next: Task = { ...task, owner: { reference: input.owner } as Reference, lastModified: now };
      if (input.reason)
        next.note = [
          ...(task.note ?? []),
          noteBy(s.context, `Reassigned to ${input.owner}: ${input.reason}`, now),
        ];
      return (await s.update('Task', id, next, { ifMatch: versionOf(task) })).resource as Task;
    },
    () => ({
      resources: [`Task/${id}`],
      detail: `owner ${previous ?? 'none'} → ${input.owner}${input.reason ? `; reason: ${input.reason}` : ''}`,
    }),
    { resources: [`Task/${id}`], detail: `reassign → ${input.owner}` },
  );
}

/** Adds a note (author and time) to a task. */
export async function addTaskNote(store: ResourceStore, id: string, text: string): Promise<Task> {
  return store.audited(
    'update',
    async (s) => {
      const task = await readTask(s, id);
      const next: Task = { ...task, note: [...(task.note ?? []), noteBy(s.context, text, nowIso(s))] };
      return (await s.update('Task', id, next, { ifMatch: versionOf(task) })).resource as Task;
    },
    () => ({ resources: [`Task/${id}`], detail: 'note added' }),
    { resources: [`Task/${id}`], detail: 'note' },
  );
}

export interface TaskHistoryEntry {
  version: number;
  at: string;
  by?: string;
  status: string;
  owner?: string;
  priority?: string;
  note?: string;
  reason?: string;
}

export interface TaskView {
  task: Task;
  patient: { id: string; name?: string };
  allowedTransitions: readonly string[];
  history: TaskHistoryEntry[];
}

/** One task as the workspace shows it: the patient, the moves open to it and its versions, oldest first. */
export async function taskView(store: ResourceStore, id: string): Promise<TaskView> {
  const task = await readTask(store, id);
  const patientId = task.for?.reference?.startsWith('Patient/') ? task.for.reference.slice(8) : undefined;
  let name: string | undefined;
  if (patientId) {
    try {
      name = patientName((await store.read('Patient', patientId)) as Patient);
    } catch {
      // The task is visible but its patient is not (a referral seen by a community organization).
    }
  }
  const bundle = await store.history({ resourceType: 'Task', id }, { count: 1000, offset: 0 }, '');
  const versions = (bundle.entry ?? [])
    .map((e) => ({
      version: Number(e.response?.etag?.match(/\d+/)?.[0]),
      at: e.response?.lastModified,
      task: e.resource as Task | undefined,
    }))
    .filter((v): v is { version: number; at: string; task: Task } => !!v.task)
    .sort((a, b) => a.version - b.version);
  const actors = patientId ? await writersOf(store, patientId, `Task/${id}`) : [];
  const history = versions.map((v, i): TaskHistoryEntry => {
    const before = i > 0 ? versions[i - 1]!.task : undefined;
    const notes = v.task.note ?? [];
    const newNote = notes.length > (before?.note?.length ?? 0) ? notes.at(-1)?.text : undefined;
    const reason = v.task.statusReason?.text;
    return {
      version: v.version,
      at: v.at,
      ...(actors[v.version - 1] ? { by: actors[v.version - 1] } : {}),
      status: v.task.status,
      ...(v.task.owner?.reference ? { owner: v.task.owner.reference } : {}),
      ...(v.task.priority ? { priority: v.task.priority } : {}),
      ...(newNote ? { note: newNote } : {}),
      ...(reason && reason !== before?.statusReason?.text ? { reason } : {}),
    };
  });
  return {
    task,
    patient: { id: patientId ?? '', ...(name ? { name } : {}) },
    allowedTransitions: allowedTransitions(task.status),
    history,
  };
}

const READ_ACTIONS = new Set(['read', 'vread', 'search', 'history', 'everything', 'export', 'audit-read']);

/**
 * Who wrote each version of `key`, in order: the successful writes the audit trail records for it
 * (the trail is the record of who did what; versions do not carry their author).
 */
async function writersOf(store: ResourceStore, patientId: string, key: string): Promise<string[]> {
  const rows = await store.database.db
    .selectFrom('audit_event_patients as p')
    .innerJoin('audit_events as e', 'e.seq', 'p.seq')
    .select(['e.entry'])
    .where('p.patient_id', '=', patientId)
    .where('e.outcome', '=', 'success')
    .orderBy('e.seq')
    .execute();
  const writers: string[] = [];
  for (const row of rows) {
    const entry = JSON.parse(row.entry) as { action: string; actor?: string; resources?: string[] };
    if (READ_ACTIONS.has(entry.action) || !entry.resources?.includes(key)) continue;
    writers.push(entry.actor ?? 'unknown');
  }
  return writers;
}

function patientName(patient: Patient): string | undefined {
  const n = patient.name?.find((x) => x.use === 'official') ?? patient.name?.[0];
  if (!n) return undefined;
  return n.text ?? [...(n.given ?? []), n.family].filter(Boolean).join(' ');
}

/**
 * The state machine on every person's Task write, whichever way it comes (the workspace routes, a
 * FHIR PUT or PATCH, a bundle): a status change off the table answers 409 with the allowed moves.
 * The server's own writes (imports of history, jobs) and integrations, which mirror the states of
 * another system's tasks, are not held to it.
 */
export const taskStatusGuard: WriteGuard = ({ resource, stored, context }) => {
  if (context.role === 'integration') return;
  const from = (stored as Task | undefined)?.status;
  const to = (resource as Task | undefined)?.status;
  if (!from || !to || from === to) return;
  if (!mayTransition(from, to)) throw new TransitionError(from, to, allowedTransitions(from));
};
