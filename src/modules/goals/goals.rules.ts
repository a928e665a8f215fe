/**
 * The rules goal tracking applies: how a goal's status follows from its target and the patient's
 * observations, and how that status is written to Goal.achievementStatus. docs/care-plans.md and
 * docs/clinical-rules.md describe them with their sources.
 */
import type { Measure } from '../care-plans/templates/template-types.js';
import { measures } from '../care-plans/templates/template-types.js';

export const LOINC = 'http://loinc.org';
export const UCUM = 'http://unitsofmeasure.org';
/** HL7 goal-achievement code system (R4 valueset-goal-achievement). */
export const GOAL_ACHIEVEMENT = 'http://terminology.hl7.org/CodeSystem/goal-achievement';
/** A target stated relative to the patient's baseline (PHQ-9 response: ≥ 50% reduction). */
export const RELATIVE_TARGET_URL = 'https://careloop.org/fhir/StructureDefinition/goal-relative-target';
/** Goal.category of the patient's own priorities ("what matters to me"). */
export const GOAL_CATEGORY_SYSTEM = 'https://careloop.org/fhir/CodeSystem/goal-category';

/** What the progress of a goal is, in the contract's words. */
export type ProgressStatus = 'achieved' | 'improving' | 'worsening' | 'no-change' | 'no-data';

/**
 * Progress → Goal.achievementStatus. "no-data" is still in progress. An achieved goal that was already
 * achieved is "sustaining" (R4: "the goal was achieved and is being sustained").
 */
export function achievementCode(status: ProgressStatus, previous: string | undefined): string {
  if (status === 'achieved')
    return previous === 'achieved' || previous === 'sustaining' ? 'sustaining' : 'achieved';
  if (status === 'no-data') return 'in-progress';
  return status;
}

/** Display text of the goal-achievement codes used. */
export const achievementDisplay: Record<string, string> = {
  'in-progress': 'In Progress',
  improving: 'Improving',
  worsening: 'Worsening',
  'no-change': 'No Change',
  achieved: 'Achieved',
  sustaining: 'Sustaining',
  'not-achieved': 'Not Achieved',
  'no-progress': 'No Progress',
  'not-attainable': 'Not Attainable',
};

/** Observation statuses whose values count: a preliminary, cancelled or mistaken result is no progress. */
export const countedObservationStatuses = ['final', 'amended', 'corrected'] as const;

/** The known measures by LOINC code (names and precision for explanations). */
export const measureByLoinc: ReadonlyMap<string, Measure> = new Map(
  Object.values(measures).map((m) => [m.loinc, m]),
);

/** How many readings a progress report shows at most (the latest ones). */
export const SERIES_LIMIT = 100;
