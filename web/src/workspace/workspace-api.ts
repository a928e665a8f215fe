/**
 * The coordinator workspace API (docs/workspace-api.md) as the web app sees it: the answer shapes,
 * the query keys, and the task moves shared by the worklist, the side panel, the task page and the
 * chart. Every call goes through api.ts, so errors arrive as ApiError with the server's message.
 */
import { ApiError, get, post, query, request } from '../api';
import type { CodeableConcept, Reference, Resource } from '../fhir-format';

export type Priority = 'routine' | 'urgent' | 'asap' | 'stat';
export const priorities: Priority[] = ['stat', 'asap', 'urgent', 'routine'];

/** The saved views of the worklist, in side-bar order. */
export const worklistViews = [
  { id: 'mine', label: 'My work' },
  { id: 'team', label: 'Team' },
  { id: 'claimable', label: 'Claimable' },
  { id: 'overdue', label: 'Overdue' },
  { id: 'today', label: 'Due today' },
  { id: 'week', label: 'This week' },
] as const;
export type WorklistView = (typeof worklistViews)[number]['id'];

export interface RankFactor {
  name: string;
  points: number;
  detail: string;
}

export interface WorklistItem {
  taskId: string;
  patient: { id: string; name: string; age?: number; language?: string; interpreter?: boolean };
  title: string;
  reasons: { code: string; label: string }[];
  dueAt?: string;
  overdueDays: number;
  owner?: { reference: string; display: string };
  ownerRole?: string;
  priority: Priority;
  status: string;
  riskTier?: string;
  score: number;
  factors: RankFactor[];
}

export interface WorklistAnswer {
  items: WorklistItem[];
  counts: Partial<Record<WorklistView, number>>;
  next?: string;
}

export interface WorklistFilter {
  view: WorklistView;
  priority?: string;
  patient?: string;
  sort: 'rank' | 'due';
}

export function worklistPath(f: WorklistFilter): string {
  return `/api/worklist${query({ view: f.view, priority: f.priority, patient: f.patient, sort: f.sort, limit: 100 })}`;
}

/** The FHIR Task as the task routes return it (only the parts the screens read). */
export interface Task extends Resource {
  resourceType: 'Task';
  id: string;
  status: string;
  priority?: Priority;
  description?: string;
  code?: CodeableConcept;
  for?: Reference;
  owner?: Reference;
  focus?: Reference;
  authoredOn?: string;
  lastModified?: string;
  reasonCode?: CodeableConcept;
  executionPeriod?: { start?: string; end?: string };
  restriction?: { period?: { end?: string } };
  note?: { text: string; time?: string; authorReference?: Reference; authorString?: string }[];
  meta?: { versionId?: string; lastUpdated?: string };
}

export interface TaskHistoryEntry {
  version: string | number;
  at: string;
  by?: string;
  byName?: string;
  status: string;
  owner?: string | { reference?: string; display?: string };
  priority?: string;
  note?: string;
  reason?: string;
}

export interface TaskDetail {
  task: Task;
  /** The name is absent when the task is visible but its patient is not (a referral partner). */
  patient: { id: string; name?: string };
  allowedTransitions: string[];
  history: TaskHistoryEntry[];
}

/** A task's title: its code text (what to do), else its description. */
export function taskTitle(task: Task): string {
  return task.code?.text ?? task.code?.coding?.[0]?.display ?? task.description ?? 'Untitled task';
}

/** When a task is due: FHIR puts the deadline in restriction.period.end (or executionPeriod.end). */
export function taskDue(task: Task): string | undefined {
  return task.restriction?.period?.end ?? task.executionPeriod?.end;
}

/** Words for the FHIR Task statuses; an unknown one is shown as the server sends it. */
export const statusLabels: Record<string, string> = {
  draft: 'Draft',
  requested: 'Requested',
  received: 'Received',
  accepted: 'Accepted',
  rejected: 'Rejected',
  ready: 'Ready',
  cancelled: 'Cancelled',
  'in-progress': 'In progress',
  'on-hold': 'On hold',
  failed: 'Failed',
  completed: 'Completed',
  'entered-in-error': 'Entered in error',
};

/** The button that moves a task to a status. */
export const transitionLabels: Record<string, string> = {
  accepted: 'Accept',
  rejected: 'Reject',
  ready: 'Mark ready',
  'in-progress': 'Start',
  'on-hold': 'Put on hold',
  completed: 'Complete',
  cancelled: 'Cancel task',
  failed: 'Mark failed',
  requested: 'Reopen',
  'entered-in-error': 'Entered in error',
};

export const priorityLabels: Record<string, string> = {
  stat: 'Stat',
  asap: 'ASAP',
  urgent: 'Urgent',
  routine: 'Routine',
};

/** The 409 of an invalid move names the statuses the task may move to from where it is. */
export function allowedFromConflict(err: unknown): string[] | undefined {
  if (!(err instanceof ApiError) || err.status !== 409) return undefined;
  const allowed = (err.details as { allowed?: unknown } | undefined)?.allowed;
  return Array.isArray(allowed) ? allowed.map(String) : undefined;
}

export function transitionTask(
  id: string,
  to: string,
  extra: { note?: string; reason?: string } = {},
): Promise<{ task: Task; allowedTransitions: string[] }> {
  return post(`/api/tasks/${encodeURIComponent(id)}/transition`, { to, ...extra });
}

/**
 * Completes a task in one step for the coordinator. The R4 state machine completes only an accepted,
 * in-progress or on-hold task, so a task still requested or ready is first moved along the shortest
 * allowed path (accept, or start); every move lands in its history.
 */
export async function completeTask(id: string): Promise<{ task: Task; allowedTransitions: string[] }> {
  let allowed: string[];
  try {
    return await transitionTask(id, 'completed');
  } catch (err) {
    const fromConflict = allowedFromConflict(err);
    if (!fromConflict) throw err;
    allowed = fromConflict;
  }
  for (let step = 0; step < 3; step++) {
    if (allowed.includes('completed')) return transitionTask(id, 'completed');
    const next = ['accepted', 'in-progress', 'ready'].find((s) => allowed.includes(s));
    if (!next)
      throw new ApiError(
        409,
        'conflict',
        `This task cannot be completed from where it is (it may move to: ${allowed.join(', ') || 'nothing'}).`,
      );
    allowed = (await transitionTask(id, next)).allowedTransitions;
  }
  throw new ApiError(409, 'conflict', 'This task cannot be completed from where it is.');
}

export function claimTask(id: string): Promise<{ task: Task }> {
  return post(`/api/tasks/${encodeURIComponent(id)}/claim`);
}

export function reassignTasks(taskIds: string[], owner: string, reason?: string): Promise<unknown> {
  if (taskIds.length === 1)
    return post(`/api/tasks/${encodeURIComponent(taskIds[0])}/reassign`, {
      owner,
      reason: reason || undefined,
    });
  return post('/api/worklist/reassign', { taskIds, owner });
}

export function addTaskNote(id: string, text: string): Promise<{ task: Task }> {
  return post(`/api/tasks/${encodeURIComponent(id)}/notes`, { text });
}

export function getTask(id: string, signal?: AbortSignal): Promise<TaskDetail> {
  return get(`/api/tasks/${encodeURIComponent(id)}`, signal);
}

// ---- care teams ------------------------------------------------------------------------------

export interface CareTeamMember {
  reference: string;
  display: string;
  role: string;
  roleCode?: string;
  period?: { start?: string; end?: string };
  lead: boolean;
}

export interface CareTeamAnswer {
  careTeam?: Resource;
  lead?: { reference: string; display: string };
  members: CareTeamMember[];
}

export function careTeamPath(patientId: string): string {
  return `/api/patients/${encodeURIComponent(patientId)}/care-team`;
}

export function saveCareTeam(
  patientId: string,
  body: {
    members: { reference: string; role: string; period?: { start?: string; end?: string }; lead?: boolean }[];
    reason?: string;
  },
): Promise<CareTeamAnswer> {
  return request('PUT', careTeamPath(patientId), body);
}

/** SNOMED CT occupations for care-team roles (US Core Care Team Member Function). */
export const careTeamRoles: { value: string; label: string }[] = [
  { value: '768832004', label: 'Case manager' },
  { value: '446050000', label: 'Primary care physician' },
  { value: '224535009', label: 'Registered nurse' },
  { value: '46255001', label: 'Pharmacist' },
  { value: '106328005', label: 'Social worker' },
  { value: '159033005', label: 'Dietitian' },
  { value: '17561000', label: 'Cardiologist' },
  { value: '61894003', label: 'Endocrinologist' },
  { value: '11911009', label: 'Nephrologist' },
];

// ---- care plans and goals ----------------------------------------------------------------------

/**
 * A goal's target as the server states it: a threshold (`<=` 8; `=` a value to reach), a range (both
 * bounds included; a range with one bound is sent as a threshold, but a missing bound is open), or words.
 */
export type Target =
  | { comparator: string; value: number; unit: string }
  | { low?: number; high?: number; unit: string }
  | { text: string };

export interface CarePlanTemplate {
  id: string;
  title: string;
  condition: string;
  source: { title: string; url: string };
  reviewIntervalDays: number;
  goals: { id: string; description: string; measure: { loinc: string; display: string }; target: Target }[];
  activities: { id: string; title: string; role: string; dueInDays?: number; recurrence?: string }[];
}

export type GoalStatus = 'achieved' | 'improving' | 'worsening' | 'no-change' | 'no-data';

export interface GoalProgress {
  measure?: { loinc: string; display: string };
  /** One progress per target when a goal has several (blood pressure: systolic and diastolic). */
  measures?: GoalProgress[];
  status: GoalStatus;
  latest?: { value: number; unit: string; date: string };
  target: Target;
  trend?: number;
  series: { date: string; value: number }[];
  explanation: string;
}

export interface CarePlanView {
  carePlan: Resource & { id: string };
  nextReview?: string;
  goals: { goal: Resource & { id: string }; progress: GoalProgress }[];
  activities: {
    task?: Task;
    title: string;
    status: string;
    owner?: string | { reference?: string; display?: string };
  }[];
}

export interface CarePlanRevision {
  version: string | number;
  at: string;
  by: string;
  byName?: string;
  reason?: string;
  changes: string[];
}

export function carePlansPath(patientId: string): string {
  return `/api/patients/${encodeURIComponent(patientId)}/care-plans`;
}

/** A UCUM unit as people write it: mm[Hg] → mmHg, annotations ({score}) dropped. */
export function unitText(unit: string | undefined): string {
  return (unit ?? '')
    .replace(/\[Hg\]/g, 'Hg')
    .replace(/\{[^}]*\}/g, '')
    .trim();
}

/** Where a target is met, as bounds: `≤ 8` has a high bound only, `≥ 60` a low one, `160–180` both. */
export function targetBounds(target: Target | undefined): { low?: number; high?: number } {
  if (!target || 'text' in target) return {};
  if (!('comparator' in target)) {
    return {
      ...(target.low !== undefined ? { low: target.low } : {}),
      ...(target.high !== undefined ? { high: target.high } : {}),
    };
  }
  if (target.comparator.startsWith('<')) return { high: target.value };
  if (target.comparator.startsWith('>')) return { low: target.value };
  return { low: target.value, high: target.value };
}

/** "≤ 7 %", "160–180 lb", "≥ 60", "150 lb" (a value to reach) or the target's text. */
export function targetText(target: Target | undefined): string {
  if (!target) return 'No target';
  if ('text' in target) return target.text;
  const unit = unitText(target.unit);
  if (!('comparator' in target)) {
    const { low, high } = target;
    const range =
      low !== undefined && high !== undefined
        ? `${low}–${high}`
        : low !== undefined
          ? `≥ ${low}`
          : high !== undefined
            ? `≤ ${high}`
            : '';
    return range ? `${range} ${unit}`.trim() : 'No target';
  }
  const comparators: Record<string, string> = { '<': '< ', '<=': '≤ ', '>': '> ', '>=': '≥ ', '=': '' };
  return `${comparators[target.comparator] ?? `${target.comparator} `}${target.value} ${unit}`.trim();
}

/** Display of an owner given either as a reference object or as a plain string. */
export function ownerText(owner: string | { reference?: string; display?: string } | undefined): string {
  if (!owner) return 'Unassigned';
  if (typeof owner === 'string') return owner;
  return owner.display ?? owner.reference ?? 'Unassigned';
}
