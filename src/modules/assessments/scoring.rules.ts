/**
 * Scoring as data: one definition per instrument: which items count, how many points each answer
 * gives (by the answer's position in the item's option list, so a reworded answer scores the same:
 * "key on option position, not wording"), the total, the bands with their interpretation, and (for
 * social needs) the domain rules. scoring.ts applies them; docs/assessments.md renders them.
 */
import type { Coding } from 'fhir/r4.js';
import { ahcHrsn } from './instruments/ahc-hrsn.js';
import { LOINC } from './instruments/build.js';
import { gad7, gad7Items } from './instruments/gad-7.js';
import { phq2, phq9, phqItems } from './instruments/phq.js';
import { STEADI_SYSTEM, steadi } from './instruments/steadi.js';

export const instrumentIds = ['phq-2', 'phq-9', 'gad-7', 'ahc-hrsn', 'steadi'] as const;
export type InstrumentId = (typeof instrumentIds)[number];

export interface Source {
  title: string;
  url?: string;
}

export interface ScoredItem {
  linkId: string;
  /** The item Observation's code. */
  code: Coding;
  /** Answer codes in the order the instrument lists them. */
  options: readonly string[];
  /** Points per option position; absent = the item is recorded, not scored. */
  points?: readonly number[];
}

export interface Band {
  /** Inclusive range of the total. */
  min: number;
  max: number;
  code: string;
  label: string;
  /** What the band means for care (the instrument authors' proposed action). */
  interpretation: string;
  /** A positive screen. */
  positive: boolean;
}

/** A social-needs domain: positive when any listed answer position is chosen, or a sum is exceeded. */
export interface DomainRule {
  id: 'living-situation' | 'food' | 'transportation' | 'utilities' | 'safety';
  label: string;
  anyOf?: { linkId: string; positions: readonly number[] }[];
  sumAbove?: { linkIds: readonly string[]; above: number };
  source: Source;
}

export interface ScoringDefinition {
  instrument: InstrumentId;
  title: string;
  questionnaireUrl: string;
  questionnaireVersion: string;
  /**
   * The Questionnaire.code that names the instrument (its LOINC panel): how another publisher's form of
   * it (LHC-Forms, a vendor's) is recognised, its items then matched by their codes (scored-forms.ts).
   */
  panel: Coding;
  /** The total's Observation code. */
  total: Coding;
  items: readonly ScoredItem[];
  /** linkIds whose points make the total (default: every item with points). */
  totalFrom?: readonly string[];
  bands: readonly Band[];
  domains?: readonly DomainRule[];
  source: Source;
}

const loinc = (code: string, display: string): Coding => ({ system: LOINC, code, display });
const FREQUENCY = ['LA6568-5', 'LA6569-3', 'LA6570-1', 'LA6571-9'];
const ZERO_TO_THREE = [0, 1, 2, 3];
const DIFFICULTY = ['LA6572-7', 'LA6573-5', 'LA6575-0', 'LA6574-3'];

const phqSource: Source = {
  title:
    'Kroenke K, Spitzer RL, Williams JB. The PHQ-9: validity of a brief depression severity measure. J Gen Intern Med 2001;16:606–613; bands and proposed actions from Kroenke & Spitzer, Psychiatric Annals 2002;32:509–515',
  url: 'https://pubmed.ncbi.nlm.nih.gov/11556941/',
};
const gadSource: Source = {
  title:
    'Spitzer RL, Kroenke K, Williams JB, Löwe B. A brief measure for assessing generalized anxiety disorder: the GAD-7. Arch Intern Med 2006;166:1092–1097 (cut-points 5, 10, 15; 10 = further evaluation)',
  url: 'https://pubmed.ncbi.nlm.nih.gov/16717171/',
};
const ahcSource: Source = {
  title:
    'CMS, The Accountable Health Communities Health-Related Social Needs Screening Tool (2017), scoring guidance',
  url: 'https://www.cms.gov/priorities/innovation/files/worksheets/ahcm-screeningtool.pdf',
};

const frequencyItems = (items: [string, string][]): ScoredItem[] =>
  items.map(([linkId, text]) => ({
    linkId,
    code: loinc(linkId, text),
    options: FREQUENCY,
    points: ZERO_TO_THREE,
  }));
const difficulty: ScoredItem = {
  linkId: '69722-7',
  code: loinc(
    '69722-7',
    'How difficult have these problems made it for you to do your work, take care of things at home, or get along with other people?',
  ),
  options: DIFFICULTY,
};

export const scoringDefinitions: Record<InstrumentId, ScoringDefinition> = {
  'phq-2': {
    instrument: 'phq-2',
    title: 'PHQ-2',
    questionnaireUrl: phq2.url!,
    questionnaireVersion: phq2.version!,
    panel: phq2.code![0]!,
    total: loinc('55758-7', 'Patient Health Questionnaire 2 item (PHQ-2) total score [Reported]'),
    items: frequencyItems(phqItems.slice(0, 2)),
    bands: [
      {
        min: 0,
        max: 2,
        code: 'negative',
        label: 'Negative',
        interpretation: 'Negative depression screen',
        positive: false,
      },
      {
        min: 3,
        max: 6,
        code: 'positive',
        label: 'Positive',
        interpretation: 'Positive depression screen: complete the PHQ-9',
        positive: true,
      },
    ],
    source: {
      title:
        'Kroenke K, Spitzer RL, Williams JB. The Patient Health Questionnaire-2: validity of a two-item depression screener. Med Care 2003;41:1284–1292 (cut-point 3)',
      url: 'https://pubmed.ncbi.nlm.nih.gov/14583691/',
    },
  },
  'phq-9': {
    instrument: 'phq-9',
    title: 'PHQ-9',
    questionnaireUrl: phq9.url!,
    questionnaireVersion: phq9.version!,
    panel: phq9.code![0]!,
    total: loinc('44261-6', 'Patient Health Questionnaire 9 item (PHQ-9) total score [Reported]'),
    items: [...frequencyItems(phqItems), difficulty],
    bands: [
      {
        min: 0,
        max: 4,
        code: 'minimal',
        label: 'Minimal',
        interpretation: 'Minimal or none: no treatment action',
        positive: false,
      },
      {
        min: 5,
        max: 9,
        code: 'mild',
        label: 'Mild',
        interpretation: 'Mild: watchful waiting; repeat the PHQ-9 at follow-up',
        positive: false,
      },
      {
        min: 10,
        max: 14,
        code: 'moderate',
        label: 'Moderate',
        interpretation: 'Moderate: treatment plan, consider counselling, follow-up and/or pharmacotherapy',
        positive: true,
      },
      {
        min: 15,
        max: 19,
        code: 'moderately-severe',
        label: 'Moderately severe',
        interpretation: 'Moderately severe: active treatment with pharmacotherapy and/or psychotherapy',
        positive: true,
      },
      {
        min: 20,
        max: 27,
        code: 'severe',
        label: 'Severe',
        interpretation:
          'Severe: immediate pharmacotherapy and, if severe impairment or poor response, expedited referral to a mental health specialist',
        positive: true,
      },
    ],
    source: phqSource,
  },
  'gad-7': {
    instrument: 'gad-7',
    title: 'GAD-7',
    questionnaireUrl: gad7.url!,
    questionnaireVersion: gad7.version!,
    panel: gad7.code![0]!,
    total: loinc('70274-6', 'Generalized anxiety disorder 7 item (GAD-7) total score [Reported.PHQ]'),
    items: [...frequencyItems(gad7Items), difficulty],
    bands: [
      {
        min: 0,
        max: 4,
        code: 'minimal',
        label: 'Minimal',
        interpretation: 'Minimal anxiety',
        positive: false,
      },
      {
        min: 5,
        max: 9,
        code: 'mild',
        label: 'Mild',
        interpretation: 'Mild anxiety: monitor',
        positive: false,
      },
      {
        min: 10,
        max: 14,
        code: 'moderate',
        label: 'Moderate',
        interpretation: 'Moderate anxiety: probable anxiety disorder, evaluate further',
        positive: true,
      },
      {
        min: 15,
        max: 21,
        code: 'severe',
        label: 'Severe',
        interpretation: 'Severe anxiety: evaluate further and treat',
        positive: true,
      },
    ],
    source: gadSource,
  },
  'ahc-hrsn': {
    instrument: 'ahc-hrsn',
    title: 'AHC HRSN core',
    questionnaireUrl: ahcHrsn.url!,
    questionnaireVersion: ahcHrsn.version!,
    panel: ahcHrsn.code![0]!,
    // The tool has no overall score; its one total is the interpersonal safety score (4–20).
    total: loinc('95614-4', 'Interpersonal safety [Score]'),
    items: [
      {
        linkId: '71802-3',
        code: loinc('71802-3', 'Housing status'),
        options: ['LA31993-1', 'LA31994-9', 'LA31995-6'],
      },
      {
        linkId: '96778-6',
        code: loinc('96778-6', 'Problems with place where you live'),
        options: [
          'LA31996-4',
          'LA28580-1',
          'LA31997-2',
          'LA31998-0',
          'LA31999-8',
          'LA32000-4',
          'LA32001-2',
          'LA9-3',
        ],
      },
      {
        linkId: '88122-7',
        code: loinc(
          '88122-7',
          'Within the past 12 months we worried whether our food would run out before we got money to buy more',
        ),
        options: ['LA28397-0', 'LA6729-3', 'LA28398-8'],
      },
      {
        linkId: '88123-5',
        code: loinc(
          '88123-5',
          "Within the past 12 months the food we bought just didn't last and we didn't have money to get more",
        ),
        options: ['LA28397-0', 'LA6729-3', 'LA28398-8'],
      },
      {
        linkId: '93030-5',
        code: loinc(
          '93030-5',
          'Has lack of transportation kept you from medical appointments, meetings, work, or from getting things needed for daily living',
        ),
        options: ['LA33-6', 'LA32-8'],
      },
      {
        linkId: '96779-4',
        code: loinc(
          '96779-4',
          'Has the electric, gas, oil, or water company threatened to shut off services in your home in past 12 months',
        ),
        options: ['LA33-6', 'LA32-8', 'LA32002-0'],
      },
      ...(
        [
          ['95618-5', 'Physically hurt you [HITS]'],
          ['95617-7', 'Insult or talk down to you [HITS]'],
          ['95616-9', 'Threaten you with physical harm [HITS]'],
          ['95615-1', 'Scream or curse at you [HITS]'],
        ] as const
      ).map(([linkId, display]) => ({
        linkId,
        code: loinc(linkId, display),
        options: ['LA6270-8', 'LA10066-1', 'LA10082-8', 'LA16644-9', 'LA6482-9'],
        points: [1, 2, 3, 4, 5],
      })),
    ],
    bands: [
      {
        min: 4,
        max: 10,
        code: 'safety-negative',
        label: 'Safety: negative',
        interpretation: 'No interpersonal safety need identified',
        positive: false,
      },
      {
        min: 11,
        max: 20,
        code: 'safety-positive',
        label: 'Safety: positive',
        interpretation: 'Interpersonal safety need: score above 10',
        positive: true,
      },
    ],
    domains: [
      {
        id: 'living-situation',
        label: 'Living situation',
        // Question 1: answer 2 or 3; question 2: any problem (every option but the last, "None").
        anyOf: [
          { linkId: '71802-3', positions: [1, 2] },
          { linkId: '96778-6', positions: [0, 1, 2, 3, 4, 5, 6] },
        ],
        source: ahcSource,
      },
      {
        id: 'food',
        label: 'Food insecurity',
        // Hunger Vital Sign: "often" or "sometimes true" to either question.
        anyOf: [
          { linkId: '88122-7', positions: [0, 1] },
          { linkId: '88123-5', positions: [0, 1] },
        ],
        source: {
          title:
            'Hager ER et al. Development and validity of a 2-item screen to identify families at risk for food insecurity. Pediatrics 2010;126:e26–e32',
          url: 'https://pubmed.ncbi.nlm.nih.gov/20595453/',
        },
      },
      {
        id: 'transportation',
        label: 'Transportation',
        anyOf: [{ linkId: '93030-5', positions: [0] }],
        source: ahcSource,
      },
      // "Yes" or "Already shut off".
      {
        id: 'utilities',
        label: 'Utilities',
        anyOf: [{ linkId: '96779-4', positions: [0, 2] }],
        source: ahcSource,
      },
      {
        id: 'safety',
        label: 'Interpersonal safety',
        sumAbove: { linkIds: ['95618-5', '95617-7', '95616-9', '95615-1'], above: 10 },
        source: ahcSource,
      },
    ],
    source: ahcSource,
  },
  steadi: {
    instrument: 'steadi',
    title: 'STEADI key questions',
    questionnaireUrl: steadi.url!,
    questionnaireVersion: steadi.version!,
    panel: steadi.code![0]!,
    total: { system: STEADI_SYSTEM, code: 'key-questions-yes', display: 'STEADI key questions answered yes' },
    items: [
      ['fallen-past-year', 'Have you fallen in the past year?'],
      ['unsteady', 'Do you feel unsteady when standing or walking?'],
      ['worried-falling', 'Do you worry about falling?'],
    ].map(([linkId, display]) => ({
      linkId: linkId!,
      code: { system: STEADI_SYSTEM, code: linkId!, display: display! },
      options: ['LA33-6', 'LA32-8'],
      points: [1, 0],
    })),
    bands: [
      {
        min: 0,
        max: 0,
        code: 'not-at-risk',
        label: 'Not at risk',
        interpretation: 'Screened not at risk: rescreen yearly',
        positive: false,
      },
      {
        min: 1,
        max: 3,
        code: 'at-risk',
        label: 'At risk',
        interpretation:
          'Screened at risk of falls: assess gait, strength and balance, medications, home hazards',
        positive: true,
      },
    ],
    source: {
      title:
        'CDC STEADI Algorithm for Fall Risk Screening, Assessment, and Intervention (2019): yes to any key question = at risk',
      url: 'https://www.cdc.gov/steadi/',
    },
  },
};

/** The definition scoring responses to the Questionnaire `url` (any version: scoring keys on option positions). */
export function definitionFor(url: string | undefined): ScoringDefinition | undefined {
  const bare = url?.split('|')[0];
  return Object.values(scoringDefinitions).find((d) => d.questionnaireUrl === bare);
}

export const BAND_SYSTEM = 'https://careloop.org/fhir/CodeSystem/assessment-band';
