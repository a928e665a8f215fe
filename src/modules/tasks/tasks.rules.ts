/**
 * The rules of a Task's life as data: its statuses and the moves between them, which roles perform it,
 * and when an overdue task is escalated. Each table names its source; docs/tasks.md renders them.
 */
import type { Role } from '../../access/access-context.js';

/** R4 task-status (http://hl7.org/fhir/task-status), all twelve codes. */
export const taskStatuses = [
  'draft',
  'requested',
  'received',
  'accepted',
  'rejected',
  'ready',
  'cancelled',
  'in-progress',
  'on-hold',
  'failed',
  'completed',
  'entered-in-error',
] as const;
export type TaskStatus = (typeof taskStatuses)[number];

export function isTaskStatus(value: string): value is TaskStatus {
  return (taskStatuses as readonly string[]).includes(value);
}

/**
 * The allowed moves. Source: the R4 Task state machine (hl7.org/fhir/R4/task.html#statemachine):
 * draft → requested; requested → received | accepted | rejected; received → accepted | rejected;
 * accepted → in-progress; ready → in-progress; in-progress → completed | failed | on-hold;
 * on-hold → in-progress; any state before completion may be cancelled, and any state may become
 * entered-in-error. Refined by the Gravity SDOH Clinical Care IG task transitions (accepted and
 * on-hold may also complete or fail, accepted may pause), and `ready` is reachable from draft and
 * requested because R4 defines it as "used in place of requested/received/accepted when assignment
 * and acceptance are a given". Terminal: rejected, cancelled, failed, completed, entered-in-error.
 */
export const taskTransitions: Record<TaskStatus, readonly TaskStatus[]> = {
  draft: ['requested', 'ready', 'cancelled', 'entered-in-error'],
  requested: ['received', 'accepted', 'rejected', 'ready', 'cancelled', 'entered-in-error'],
  received: ['accepted', 'rejected', 'cancelled', 'entered-in-error'],
  accepted: ['ready', 'in-progress', 'on-hold', 'completed', 'failed', 'cancelled', 'entered-in-error'],
  ready: ['in-progress', 'cancelled', 'entered-in-error'],
  'in-progress': ['on-hold', 'completed', 'failed', 'cancelled', 'entered-in-error'],
  'on-hold': ['in-progress', 'completed', 'failed', 'cancelled', 'entered-in-error'],
  rejected: ['entered-in-error'],
  cancelled: ['entered-in-error'],
  failed: ['entered-in-error'],
  completed: ['entered-in-error'],
  'entered-in-error': [],
};

/** The next states a task in `from` may move to. */
export function allowedTransitions(from: string): readonly TaskStatus[] {
  return isTaskStatus(from) ? taskTransitions[from] : [];
}

/** True when `from` → `to` is an allowed move. */
export function mayTransition(from: string, to: string): boolean {
  return allowedTransitions(from).includes(to as TaskStatus);
}

/**
 * Moves that must say why (Task.statusReason). Source: Gravity SDOH Clinical Care IG, "statusReason
 * SHALL be present when status is rejected, cancelled, on-hold or failed".
 */
export const reasonRequired: readonly TaskStatus[] = ['rejected', 'cancelled', 'on-hold', 'failed'];

/** Work is still expected: these count for worklists and overdue detection. */
export const openStatuses: readonly TaskStatus[] = [
  'requested',
  'received',
  'accepted',
  'ready',
  'in-progress',
  'on-hold',
];

/** Statuses with no further work (only entered-in-error may follow). */
export const terminalStatuses: readonly TaskStatus[] = [
  'rejected',
  'cancelled',
  'failed',
  'completed',
  'entered-in-error',
];

/** R4 request-priority, lowest first. */
export const priorities = ['routine', 'urgent', 'asap', 'stat'] as const;
export type Priority = (typeof priorities)[number];

/**
 * One escalation step up. Escalation stops at asap: stat means "immediately, with all other work
 * on hold" (R4 request-priority), a clinical judgement a timer should not make.
 */
export const escalatedPriority: Record<Priority, Priority> = {
  routine: 'urgent',
  urgent: 'asap',
  asap: 'asap',
  stat: 'stat',
};

export const SNOMED = 'http://snomed.info/sct';
export const NUCC = 'http://nucc.org/provider-taxonomy';

/**
 * The occupation code a role performs as (Task.performerType, CareTeam.participant.role). Source: US
 * Core Care Team Member Function value set (SNOMED CT occupations); SNOMED has no community health
 * worker occupation, so the NUCC taxonomy code stands in (as in src/generator/care-team.ts).
 */
export const roleCodes: Partial<Record<Role, { system: string; code: string; display: string }>> = {
  'care-coordinator': { system: SNOMED, code: '768832004', display: 'Case manager (occupation)' },
  physician: { system: SNOMED, code: '446050000', display: 'Primary care physician (occupation)' },
  nurse: { system: SNOMED, code: '224535009', display: 'Registered nurse (occupation)' },
  pharmacist: { system: SNOMED, code: '46255001', display: 'Pharmacist (occupation)' },
  'social-worker': { system: SNOMED, code: '106328005', display: 'Social worker (occupation)' },
  dietitian: { system: SNOMED, code: '159033005', display: 'Dietitian (occupation)' },
  'community-health-worker': { system: NUCC, code: '172V00000X', display: 'Community Health Worker' },
};

/** The CareLoop role an occupation code stands for (undefined for codes CareLoop does not map). */
export function roleOfCode(code: string | undefined): Role | undefined {
  return (Object.entries(roleCodes) as [Role, { code: string }][]).find(([, c]) => c.code === code)?.[0];
}

/**
 * When an overdue task is escalated: hours past its due time, by priority. CareLoop policy (no
 * published standard): routine work gets two days' grace, matching the 2-day windows of the TCM
 * contact and ED follow-up rules it mostly carries; urgent work escalates after half a shift.
 */
export const escalationAfterHours: Record<Priority, number> = {
  routine: 48,
  urgent: 4,
  asap: 4,
  stat: 4,
};

/** Extension URLs CareLoop puts on Tasks. */
export const TASK_ESCALATED = 'https://careloop.org/fhir/StructureDefinition/task-escalated';
export const TASK_RULE = 'https://careloop.org/fhir/StructureDefinition/task-rule';
/** When the event that a rule-made task follows up happened (an encounter's end). */
export const TASK_TRIGGERED_AT = 'https://careloop.org/fhir/StructureDefinition/task-triggered-at';
export const BUSINESS_STATUS = 'https://careloop.org/fhir/CodeSystem/task-business-status';
