/**
 * Follow-up tasks from finished encounters: after an Encounter is committed as finished, each rule it
 * triggers (follow-up.rules.ts) yields one Task, identified by (encounter, rule) so that replaying the
 * same Encounter (an ADT resend, a re-import) creates nothing twice. Runs as the server's own account.
 */
import type { CareTeam, Encounter, Task } from 'fhir/r4.js';
import { systemContext } from '../../access/access-context.js';
import { withLabelsOf } from '../../access/policy/access-facts.js';
import type { ChangeListener, ResourceStore } from '../../fhir/store/store.js';
import { leadCoordinatorOf } from '../care-teams/lead.js';
import { dueAfter } from './due-dates.js';
import { type FollowUpRule, rulesFor } from './follow-up.rules.js';
import { roleCodes, TASK_RULE, TASK_TRIGGERED_AT } from './tasks.rules.js';

/**
 * Encounters that ended longer ago make no tasks: the TCM service period is 30 days (discharge day +
 * 29), after which a follow-up is no longer follow-up.
 */
export const FOLLOW_UP_WINDOW_DAYS = 30;
const DAY_MS = 24 * 60 * 60 * 1000;

/** Task.identifier system of rule-made tasks; the value is `<encounter id>:<rule id>`. */
export const FOLLOW_UP_SYSTEM = 'https://careloop.org/fhir/follow-up-task';

/** Creates the follow-up tasks a finished encounter calls for (none twice); returns them. */
export async function applyFollowUpRules(
  store: ResourceStore,
  encounter: Encounter,
  timeZone: string,
): Promise<Task[]> {
  const rules = rulesFor(encounter);
  const patient = encounter.subject?.reference;
  if (rules.length === 0 || !patient?.startsWith('Patient/')) return [];
  const now = store.options.clock.now().getTime();
  const ended = Date.parse(encounter.period?.end ?? '');
  // History (an import, demo data, a back-load) is not a new discharge: follow-up is for recent care.
  if (!Number.isNaN(ended) && now - ended > FOLLOW_UP_WINDOW_DAYS * DAY_MS) return [];
  const system = store.as(systemContext('follow-up'));
  const patientId = patient.slice('Patient/'.length);
  const team = await activeTeam(system, patientId);
  const lead = team ? await leadCoordinatorOf(system, patientId) : undefined;
  const tasks: Task[] = [];
  for (const rule of rules) {
    const owner =
      rule.role === 'care-coordinator' && lead ? lead.reference : team ? `CareTeam/${team.id}` : undefined;
    // The task tells of the encounter (an emergency visit, a procedure): it carries its labels.
    const task = withLabelsOf(followUpTask(system, encounter, rule, owner, timeZone), [encounter]);
    const value = task.identifier![0]!.value!;
    const { resource } = await system.create(task, {
      ifNoneExist: `identifier=${FOLLOW_UP_SYSTEM}|${value}`,
    });
    tasks.push(resource as Task);
  }
  return tasks;
}

async function activeTeam(store: ResourceStore, patientId: string): Promise<CareTeam | undefined> {
  const bundle = await store.search(
    'CareTeam',
    [
      ['patient', `Patient/${patientId}`],
      ['status', 'active'],
    ],
    '',
  );
  return bundle.entry?.[0]?.resource as CareTeam | undefined;
}

function followUpTask(
  store: ResourceStore,
  encounter: Encounter,
  rule: FollowUpRule,
  owner: string | undefined,
  timeZone: string,
): Task {
  const now = store.options.clock.now();
  const ended = encounter.period?.end ? new Date(encounter.period.end) : now;
  const role = roleCodes[rule.role];
  return {
    resourceType: 'Task',
    // The rule is recorded on the task: which rule made it, and the authority for its deadline.
    // The rule that made it, and when the event that triggered it happened (the discharge, the
    // visit): the worklist shows "discharged 3 days ago" from this, not from when the task was made.
    extension: [
      { url: TASK_RULE, valueString: rule.id },
      { url: TASK_TRIGGERED_AT, valueDateTime: ended.toISOString() },
    ],
    identifier: [{ system: FOLLOW_UP_SYSTEM, value: `${encounter.id}:${rule.id}` }],
    status: 'requested',
    intent: 'order',
    priority: rule.priority,
    code: { text: rule.title },
    focus: { reference: `Encounter/${encounter.id}` },
    for: { reference: encounter.subject!.reference! },
    encounter: { reference: `Encounter/${encounter.id}` },
    authoredOn: now.toISOString(),
    lastModified: now.toISOString(),
    performerType: [role ? { coding: [{ ...role }], text: rule.role } : { text: rule.role }],
    ...(owner ? { owner: { reference: owner } } : {}),
    restriction: { period: { end: dueAfter(ended, rule.due, timeZone).toISOString() } },
    reasonCode: { text: `${rule.title} (rule ${rule.id}; source: ${rule.source.title})` },
  };
}

/** The store listener: applies the rules to every Encounter committed as finished. */
export function followUpListener(store: ResourceStore, timeZone: string): ChangeListener {
  return async (changes) => {
    for (const change of changes) {
      if (change.resourceType !== 'Encounter' || change.action === 'delete') continue;
      const encounter = change.resource as Encounter | undefined;
      if (encounter?.status !== 'finished') continue;
      try {
        await applyFollowUpRules(store, encounter, timeZone);
      } catch {
        // One encounter's failure must not keep the others' tasks from being made; reprocessing the
        // encounter (an ADT resend, a re-import, `PUT` again) is safe and makes what is missing.
      }
    }
  };
}
