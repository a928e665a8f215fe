/**
 * What a scored screening sets in motion, as data with sources: tasks (for whom, how soon), the
 * suicide-risk Flag, the social-needs Condition, Goal and referral suggestion per positive domain,
 * and rescreen reminders. follow-up.service.ts applies them once per response; docs/assessments.md
 * lists them.
 */
import type { CodeableConcept, Coding } from 'fhir/r4.js';
import type { Role } from '../../access/access-context.js';
import type { Priority } from '../tasks/tasks.rules.js';
import type { ScoreResult } from './scoring.js';
import { itemPoints } from './scoring.js';
import type { DomainRule, InstrumentId, Source } from './scoring.rules.js';

/**
 * Who owns the task: the patient's care-team physician ("responsible clinician"), or the lead
 * coordinator; when the team names none, the task goes to the role (performerType) unowned, or to
 * the team for coordinator work, as the encounter follow-up rules do.
 */
export type OwnerKind = 'responsible-clinician' | 'lead-coordinator';

export interface TaskAction {
  title: string;
  role: Role;
  owner: OwnerKind;
  priority: Priority;
  /** `endOfDay`: 23:59:59 of the response's local day (config.timeZone); else this many calendar days after it. */
  due: { endOfDay: true } | { days: number };
  /** A care-plan template the task suggests (src/modules/care-plans/templates). */
  carePlanTemplate?: string;
}

export interface ScoreRule {
  id: string;
  instrument: InstrumentId;
  applies(score: ScoreResult): boolean;
  task: TaskAction;
  /** A Flag on the patient as well, active from now. */
  flag?: { code: CodeableConcept };
  /** The task is done when a response to this instrument is scored (PHQ-2's "complete the PHQ-9"). */
  doneBy?: InstrumentId;
  /**
   * The rule reads one answer, so it applies to any response that gives it, whatever else is
   * missing: in progress, stopped, or refused for its other answers (then its task and Flag are
   * raised although the response is not saved).
   */
  anyResponse?: true;
  source: Source;
}

const SNOMED = 'http://snomed.info/sct';
const total = (s: ScoreResult) => s.total ?? -1;

const aims: Source = {
  title:
    'AIMS Center (University of Washington), Collaborative Care: measurement-based treatment to target, PHQ-9/GAD-7 at least monthly; Unützer J et al., JAMA 2002;288:2836–2845 (IMPACT)',
  url: 'https://aims.uw.edu/collaborative-care/',
};

export const scoreRules: readonly ScoreRule[] = [
  {
    id: 'phq9-item9-suicide-risk',
    instrument: 'phq-9',
    // Whatever the total: a PHQ-9 of 1 made only of item 9 still triggers it; and whatever else is
    // missing: a response in progress, stopped, or refused for other answers does too.
    applies: (s) => (itemPoints(s, '44260-8') ?? 0) > 0,
    anyResponse: true,
    task: {
      title: 'Same-day suicide risk assessment (PHQ-9 item 9 answered above "Not at all")',
      role: 'physician',
      owner: 'responsible-clinician',
      priority: 'urgent',
      due: { endOfDay: true },
    },
    flag: {
      code: {
        // SNOMED CT 6471006 Suicidal thoughts (finding); the code is from secondary sources (docs/assessments.md).
        coding: [{ system: SNOMED, code: '6471006', display: 'Suicidal thoughts' }],
        text: 'Suicide risk: PHQ-9 item 9 positive, assess today',
      },
    },
    source: {
      title:
        'PHQ-9 instructions (Kroenke, Spitzer & Williams 2001): a positive item 9 calls for assessment of suicide risk, whatever the total; The Joint Commission NPSG 15.01.01 (screen with a validated tool, act on a positive screen)',
      url: 'https://www.jointcommission.org/resources/patient-safety-topics/suicide-prevention/',
    },
  },
  {
    id: 'phq2-positive-give-phq9',
    instrument: 'phq-2',
    applies: (s) => total(s) >= 3,
    task: {
      title: 'Complete the PHQ-9 (positive PHQ-2)',
      role: 'care-coordinator',
      owner: 'lead-coordinator',
      priority: 'routine',
      // CareLoop policy: a week, well inside the 30 days HEDIS DSF-E allows for follow-up of a positive screen.
      due: { days: 7 },
    },
    doneBy: 'phq-9',
    source: {
      title:
        'Kroenke K et al., Med Care 2003;41:1284–1292 (PHQ-2 >= 3: give the PHQ-9); NCQA HEDIS DSF-E (follow-up within 30 days of a positive depression screen)',
      url: 'https://www.ncqa.org/hedis/measures/depression-screening-and-follow-up-for-adolescents-and-adults/',
    },
  },
  {
    id: 'phq9-consider-collaborative-care',
    instrument: 'phq-9',
    applies: (s) => total(s) >= 10,
    task: {
      title: 'Consider the depression collaborative-care plan (PHQ-9 10 or more)',
      role: 'physician',
      owner: 'responsible-clinician',
      priority: 'routine',
      due: { days: 7 },
      carePlanTemplate: 'depression-collaborative-care',
    },
    source: aims,
  },
  {
    id: 'gad7-consider-collaborative-care',
    instrument: 'gad-7',
    applies: (s) => total(s) >= 10,
    task: {
      title: 'Consider the depression collaborative-care plan (GAD-7 10 or more)',
      role: 'physician',
      owner: 'responsible-clinician',
      priority: 'routine',
      due: { days: 7 },
      carePlanTemplate: 'depression-collaborative-care',
    },
    source: aims,
  },
  {
    id: 'steadi-at-risk-assess',
    instrument: 'steadi',
    applies: (s) => total(s) >= 1,
    task: {
      title: 'Fall risk assessment: gait, strength and balance, medications, home hazards (STEADI at risk)',
      role: 'nurse',
      owner: 'lead-coordinator',
      priority: 'routine',
      // CareLoop policy (the algorithm gives no deadline): within a month.
      due: { days: 30 },
    },
    source: {
      title: 'CDC STEADI Algorithm (2019): screened at risk -> assess key fall risk factors',
      url: 'https://www.cdc.gov/steadi/',
    },
  },
];

/** When to screen again, by instrument and result. */
export interface RescreenRule {
  instrument: InstrumentId;
  when: 'positive' | 'negative' | 'always';
  days: number;
  source: Source;
}

const annualDepression: Source = {
  title:
    'USPSTF 2023 (screen adults for depression) and NCQA HEDIS DSF-E (a screen each measurement year): rescreen annually',
  url: 'https://www.uspreventiveservicestaskforce.org/uspstf/recommendation/screening-depression-suicide-risk-adults',
};

export const rescreenRules: readonly RescreenRule[] = [
  { instrument: 'phq-2', when: 'negative', days: 365, source: annualDepression },
  { instrument: 'phq-9', when: 'negative', days: 365, source: annualDepression },
  { instrument: 'phq-9', when: 'positive', days: 28, source: aims },
  {
    instrument: 'gad-7',
    when: 'negative',
    days: 365,
    source: {
      title:
        'USPSTF 2023 (screen adults under 65 for anxiety; no interval set): CareLoop policy, annually with depression screening',
      url: 'https://www.uspreventiveservicestaskforce.org/uspstf/recommendation/anxiety-adults-screening',
    },
  },
  { instrument: 'gad-7', when: 'positive', days: 28, source: aims },
  {
    instrument: 'ahc-hrsn',
    when: 'always',
    days: 365,
    source: {
      title:
        'CMS Screening for Social Drivers of Health measure (SDOH-1) and the AHC model: screen at least annually',
      url: 'https://www.cms.gov/priorities/innovation/innovation-models/ahcm',
    },
  },
  {
    instrument: 'steadi',
    when: 'always',
    days: 365,
    source: {
      title: 'CDC STEADI Algorithm (2019): screen for fall risk yearly',
      url: 'https://www.cdc.gov/steadi/',
    },
  },
];

/** The rescreen rule for a score (first match). */
export function rescreenFor(score: ScoreResult): RescreenRule | undefined {
  const positive = score.band?.positive === true || score.domains.some((d) => d.positive);
  return rescreenRules.find(
    (r) =>
      r.instrument === score.instrument &&
      (r.when === 'always' || (r.when === 'positive') === positive) &&
      (r.when !== 'negative' || score.total !== undefined || score.domains.length > 0),
  );
}

/** A positive social-needs domain's Condition, Goal and referral suggestion (Gravity SDOH Clinical Care). */
export interface SocialNeedRule {
  domain: DomainRule['id'];
  /** SDOHCC category code (http://hl7.org/fhir/us/sdoh-clinicalcare/CodeSystem/SDOHCC-CodeSystemTemporaryCodes). */
  category: Coding;
  condition: CodeableConcept;
  goal: string;
  task: TaskAction;
  source: Source;
}

export const SDOHCC_CATEGORY =
  'http://hl7.org/fhir/us/sdoh-clinicalcare/CodeSystem/SDOHCC-CodeSystemTemporaryCodes';
const gravity: Source = {
  title:
    'HL7 SDOH Clinical Care IG (Gravity Project) 2.x: SDOHCC Condition / Goal / referral; Gravity-vetted condition value sets (VSAC steward: The Gravity Project)',
  url: 'https://hl7.org/fhir/us/sdoh-clinicalcare/',
};
const referral = (need: string): TaskAction => ({
  title: `Suggest a community referral: ${need} (AHC HRSN screen positive)`,
  role: 'care-coordinator',
  owner: 'lead-coordinator',
  priority: 'routine',
  // CareLoop policy (AHC navigation offers help at or soon after the screen): within two weeks.
  due: { days: 14 },
});
const category = (code: string, display: string): Coding => ({ system: SDOHCC_CATEGORY, code, display });

export const socialNeedRules: readonly SocialNeedRule[] = [
  {
    domain: 'living-situation',
    category: category('housing-instability', 'Housing Instability'),
    condition: {
      coding: [{ system: SNOMED, code: '1156191002', display: 'Housing instability (finding)' }],
      text: 'Housing instability or unsafe housing (AHC HRSN living situation)',
    },
    goal: 'Housing stability',
    task: referral('housing'),
    source: gravity,
  },
  {
    domain: 'food',
    category: category('food-insecurity', 'Food Insecurity'),
    condition: {
      coding: [{ system: SNOMED, code: '733423003', display: 'Food insecurity' }],
      text: 'Food insecurity',
    },
    goal: 'Food security',
    task: referral('food'),
    source: gravity,
  },
  {
    domain: 'transportation',
    category: category('transportation-insecurity', 'Transportation Insecurity'),
    condition: {
      // From secondary sources (docs/assessments.md): SNOMED CT 713458007 Lack of access to transportation.
      coding: [{ system: SNOMED, code: '713458007', display: 'Lack of access to transportation (finding)' }],
      text: 'Transportation insecurity',
    },
    goal: 'Reliable transportation',
    task: referral('transportation'),
    source: gravity,
  },
  {
    domain: 'utilities',
    category: category('utility-insecurity', 'Utility Insecurity'),
    // Gravity's utility domain was not finished when this was written: no vetted code, text only.
    condition: { text: 'Utility insecurity: shut-off threatened or already shut off' },
    goal: 'Utilities kept on',
    task: referral('utilities'),
    source: gravity,
  },
  {
    domain: 'safety',
    category: category('intimate-partner-violence', 'Intimate Partner Violence'),
    // The AHC safety questions ask about anyone, not partners only: text, no code claimed.
    condition: { text: 'Interpersonal safety concern (AHC HRSN safety score above 10)' },
    goal: 'Safety at home and in relationships',
    task: referral('interpersonal safety'),
    source: gravity,
  },
];
