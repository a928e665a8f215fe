/**
 * The shape of a care-plan template: a typed, PlanDefinition-like table (goals with measurable targets,
 * activities with the role that does them, a review interval) that names the clinical source of every
 * target and activity. Templates are data; `care-plans.service.ts` turns one into FHIR resources.
 */

/** A published source a template (or one of its rules) follows. */
export interface TemplateSource {
  title: string;
  url: string;
}

/** Who does an activity: a CareLoop role (docs/security.md), or the patient themselves. */
export type CareRole =
  | 'care-coordinator'
  | 'physician'
  | 'nurse'
  | 'pharmacist'
  | 'dietitian'
  | 'social-worker'
  | 'community-health-worker'
  | 'patient';

/** An observation a target is measured by (LOINC), with the precision its values are reported at. */
export interface Measure {
  loinc: string;
  /** Short name used in explanations ("HbA1c"). */
  display: string;
  /** UCUM unit code. */
  unit: string;
  /** Decimals shown in explanations (HbA1c 7.0 %, PHQ-9 12). */
  decimals: number;
}

/** A measurable target: a bound (`< 7 %`), a range, or a reduction relative to the patient's baseline. */
export type GoalTarget =
  | { kind: 'bound'; measure: Measure; comparator: '<' | '<=' | '>=' | '>'; value: number }
  | { kind: 'range'; measure: Measure; low: number; high: number }
  | { kind: 'reduction'; measure: Measure; fraction: number };

export interface TemplateGoal {
  id: string;
  description: string;
  /** Every target must be met for the goal to be achieved (blood pressure: systolic and diastolic). */
  targets: GoalTarget[];
  /** A goal without a measurable target states it in words. */
  text?: string;
  dueInDays: number;
  source: TemplateSource;
}

export type ActivityKind =
  | 'education'
  | 'medication-review'
  | 'follow-up'
  | 'referral'
  | 'self-monitoring'
  | 'assessment'
  | 'care-review';

export interface TemplateActivity {
  id: string;
  title: string;
  kind: ActivityKind;
  role: CareRole;
  /**
   * Due this many days after the plan starts: such an activity becomes a Task owned by the care team
   * (someone must do it by a date). Without it the activity is a standing instruction
   * (CarePlan.activity.detail), e.g. the patient's daily weights.
   */
  dueInDays?: number;
  /** How often it repeats, in words ("every 4 weeks"), as the source says it. */
  recurrence?: string;
  /**
   * The same as a number: when one occurrence's task is completed, the next is due this many days
   * later (care-plans.recurrence.ts). A range in the source ("every 3–6 months") takes its shorter
   * end: an early reminder can be postponed, a late one is a missed visit. Absent when the repeat is
   * tied to something else ("at every review": the review task brings it up).
   */
  repeatEveryDays?: number;
  /** For standing instructions: FHIR Timing.repeat. */
  timing?: { frequency: number; period: number; periodUnit: 'd' | 'wk' | 'mo' };
  source: TemplateSource;
}

export interface CarePlanTemplate {
  id: string;
  title: string;
  /** The condition the plan addresses; its Condition resources are linked when the patient has them. */
  condition?: { text: string; icd10Prefixes: string[]; snomed: string[] };
  source: TemplateSource;
  /** The plan is reviewed this often; the next-review date is start + this. */
  reviewIntervalDays: number;
  goals: TemplateGoal[];
  activities: TemplateActivity[];
}

/** LOINC measures used by the templates (codes as in the demo population, src/generator/observations.ts). */
export const measures = {
  hba1c: { loinc: '4548-4', display: 'HbA1c', unit: '%', decimals: 1 },
  systolic: { loinc: '8480-6', display: 'Systolic BP', unit: 'mm[Hg]', decimals: 0 },
  diastolic: { loinc: '8462-4', display: 'Diastolic BP', unit: 'mm[Hg]', decimals: 0 },
  phq9: { loinc: '44261-6', display: 'PHQ-9', unit: '{score}', decimals: 0 },
  weight: { loinc: '29463-7', display: 'Body weight', unit: 'kg', decimals: 1 },
  bmi: { loinc: '39156-5', display: 'BMI', unit: 'kg/m2', decimals: 1 },
  ldl: { loinc: '13457-7', display: 'LDL cholesterol', unit: 'mg/dL', decimals: 0 },
} as const satisfies Record<string, Measure>;
