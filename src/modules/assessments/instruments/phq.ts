/**
 * PHQ-9 and PHQ-2 (Patient Health Questionnaire), as FHIR Questionnaires with their LOINC codes
 * (panels 44249-1 and 55757-9; items 44250-9 … 44260-8; difficulty 69722-7). Item wording from
 * the PHQ-9 form published by Pfizer (no permission required to reproduce); LOINC codes as in the
 * LOINC panel 44249-1 and the LHC-Forms PHQ-9 Questionnaire (test/fixtures/questionnaires/phq9.json).
 */
import type { QuestionnaireItem } from 'fhir/r4.js';
import { type Answer, choice, instrument, LOINC } from './build.js';

/** Over the last 2 weeks, how often…: 0–3 points (LOINC answer list LL358-3). */
export const frequencyAnswers: readonly Answer[] = [
  { code: 'LA6568-5', display: 'Not at all', points: 0 },
  { code: 'LA6569-3', display: 'Several days', points: 1 },
  { code: 'LA6570-1', display: 'More than half the days', points: 2 },
  { code: 'LA6571-9', display: 'Nearly every day', points: 3 },
];

/** The PHQ/GAD functional question's answers (LOINC answer list LL358-3's companion, not scored). */
export const difficultyAnswers: readonly Answer[] = [
  { code: 'LA6572-7', display: 'Not difficult at all' },
  { code: 'LA6573-5', display: 'Somewhat difficult' },
  { code: 'LA6575-0', display: 'Very difficult' },
  { code: 'LA6574-3', display: 'Extremely difficult' },
];

const PHQ_COPYRIGHT =
  'PHQ-9 and PHQ-2: developed by Drs. Robert L. Spitzer, Janet B.W. Williams, Kurt Kroenke and colleagues, with an educational grant from Pfizer Inc. No permission required to reproduce, translate, display or distribute. LOINC codes © Regenstrief Institute (loinc.org), used under the LOINC licence.';

export const phqItems: [linkId: string, text: string][] = [
  ['44250-9', 'Little interest or pleasure in doing things'],
  ['44255-8', 'Feeling down, depressed, or hopeless'],
  ['44259-0', 'Trouble falling or staying asleep, or sleeping too much'],
  ['44254-1', 'Feeling tired or having little energy'],
  ['44251-7', 'Poor appetite or overeating'],
  [
    '44258-2',
    'Feeling bad about yourself, or that you are a failure or have let yourself or your family down',
  ],
  ['44252-5', 'Trouble concentrating on things, such as reading the newspaper or watching television'],
  [
    '44253-3',
    'Moving or speaking so slowly that other people could have noticed; or the opposite, being so fidgety or restless that you have been moving around a lot more than usual',
  ],
  ['44260-8', 'Thoughts that you would be better off dead, or of hurting yourself in some way'],
];

/**
 * The difficulty question, asked when any problem was checked ("If you checked off any problems"):
 * enabled when any of `problemLinkIds` is answered other than "Not at all"; required then.
 */
export function difficultyItem(problemLinkIds: readonly string[]): QuestionnaireItem {
  return choice(
    '69722-7',
    'How difficult have these problems made it for you to do your work, take care of things at home, or get along with other people?',
    difficultyAnswers,
    {
      enableWhen: problemLinkIds.map((question) => ({
        question,
        operator: '!=',
        answerCoding: { system: LOINC, code: 'LA6568-5' },
      })),
      enableBehavior: 'any',
    },
  );
}

const intro = 'Over the last 2 weeks, how often have you been bothered by any of the following problems?';

export const phq9 = instrument({
  id: 'phq-9',
  name: 'PHQ9',
  title: 'PHQ-9 quick depression assessment panel',
  version: '1.0.0',
  description: intro,
  copyright: PHQ_COPYRIGHT,
  code: [{ system: LOINC, code: '44249-1', display: 'PHQ-9 quick depression assessment panel' }],
  item: [
    ...phqItems.map(([linkId, text]) => choice(linkId, text, frequencyAnswers)),
    difficultyItem(phqItems.map(([linkId]) => linkId)),
  ],
});

export const phq2 = instrument({
  id: 'phq-2',
  name: 'PHQ2',
  title: 'Patient Health Questionnaire 2 item (PHQ-2)',
  version: '1.0.0',
  description: intro,
  copyright: PHQ_COPYRIGHT,
  code: [
    { system: LOINC, code: '55757-9', display: 'Patient Health Questionnaire 2 item (PHQ-2) [Reported]' },
  ],
  item: phqItems.slice(0, 2).map(([linkId, text]) => choice(linkId, text, frequencyAnswers)),
});
