/**
 * The CMS Accountable Health Communities Health-Related Social Needs screening tool, core questions
 * (LOINC panel 96777-8): living situation (71802-3, 96778-6), food (Hunger Vital Sign 88122-7,
 * 88123-5), transportation (93030-5), utilities (96779-4) and interpersonal safety (95618-5,
 * 95617-7, 95616-9, 95615-1; total 95614-4). Wording and answers from the CMS AHC HRSN Screening
 * Tool (Billioux et al., NAM Perspectives 2017; public domain, a US government work); LOINC answer
 * codes as published with panel 96777-8.
 */
import type { QuestionnaireItem } from 'fhir/r4.js';
import { type Answer, choice, instrument, LOINC } from './build.js';

const often: readonly Answer[] = [
  { code: 'LA28397-0', display: 'Often true' },
  { code: 'LA6729-3', display: 'Sometimes true' },
  { code: 'LA28398-8', display: 'Never true' },
];
const yesNo: readonly Answer[] = [
  { code: 'LA33-6', display: 'Yes' },
  { code: 'LA32-8', display: 'No' },
];
/** Never 1 … Frequently 5 (the HITS scale the safety questions come from). */
const frequency5: readonly Answer[] = [
  { code: 'LA6270-8', display: 'Never', points: 1 },
  { code: 'LA10066-1', display: 'Rarely', points: 2 },
  { code: 'LA10082-8', display: 'Sometimes', points: 3 },
  { code: 'LA16644-9', display: 'Fairly often', points: 4 },
  { code: 'LA6482-9', display: 'Frequently', points: 5 },
];

const safetyItems: [string, string][] = [
  ['95618-5', 'How often does anyone, including family and friends, physically hurt you?'],
  ['95617-7', 'How often does anyone, including family and friends, insult or talk down to you?'],
  ['95616-9', 'How often does anyone, including family and friends, threaten you with harm?'],
  ['95615-1', 'How often does anyone, including family and friends, scream or curse at you?'],
];

const safety: QuestionnaireItem = {
  linkId: 'safety',
  text: 'Safety: because violence and abuse happen to a lot of people and affect their health, we are asking the following questions.',
  type: 'group',
  required: true,
  item: safetyItems.map(([linkId, text]) => choice(linkId, text, frequency5)),
};

export const ahcHrsn = instrument({
  id: 'ahc-hrsn',
  name: 'AHCHRSNCore',
  title:
    'Accountable health communities (AHC) health-related social needs screening (HRSN) tool: core questions',
  version: '1.0.0',
  description: 'The 10 core questions of the CMS AHC HRSN Screening Tool.',
  copyright:
    'AHC Health-Related Social Needs Screening Tool: Centers for Medicare & Medicaid Services (CMS), a work of the US government, free to use (https://www.cms.gov/priorities/innovation/files/worksheets/ahcm-screeningtool.pdf). Food questions: the Hunger Vital Sign (Hager et al., Pediatrics 2010). Safety questions: adapted from HITS (Sherin et al., Fam Med 1998). LOINC codes © Regenstrief Institute.',
  code: [
    {
      system: LOINC,
      code: '96777-8',
      display: 'Accountable health communities (AHC) health-related social needs screening (HRSN) tool',
    },
  ],
  item: [
    choice('71802-3', 'What is your living situation today?', [
      { code: 'LA31993-1', display: 'I have a steady place to live' },
      {
        code: 'LA31994-9',
        display: 'I have a place to live today, but I am worried about losing it in the future',
      },
      {
        code: 'LA31995-6',
        display:
          'I do not have a steady place to live (I am temporarily staying with others, in a hotel, in a shelter, living outside on the street, on a beach, in a car, abandoned building, bus or train station, or in a park)',
      },
    ]),
    choice(
      '96778-6',
      'Think about the place you live. Do you have problems with any of the following? (choose all that apply)',
      [
        { code: 'LA31996-4', display: 'Pests such as bugs, ants, or mice' },
        { code: 'LA28580-1', display: 'Mold' },
        { code: 'LA31997-2', display: 'Lead paint or pipes' },
        { code: 'LA31998-0', display: 'Lack of heat' },
        { code: 'LA31999-8', display: 'Oven or stove not working' },
        { code: 'LA32000-4', display: 'Smoke detectors missing or not working' },
        { code: 'LA32001-2', display: 'Water leaks' },
        { code: 'LA9-3', display: 'None of the above' },
      ],
      { repeats: true },
    ),
    choice(
      '88122-7',
      'Within the past 12 months, you worried that your food would run out before you got money to buy more.',
      often,
    ),
    choice(
      '88123-5',
      "Within the past 12 months, the food you bought just didn't last and you didn't have money to get more.",
      often,
    ),
    choice(
      '93030-5',
      'In the past 12 months, has lack of reliable transportation kept you from medical appointments, meetings, work or from getting things needed for daily living?',
      yesNo,
    ),
    choice(
      '96779-4',
      'In the past 12 months has the electric, gas, oil, or water company threatened to shut off services in your home?',
      [...yesNo, { code: 'LA32002-0', display: 'Already shut off' }],
    ),
    safety,
  ],
});
