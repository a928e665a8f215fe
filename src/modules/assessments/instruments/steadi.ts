/**
 * CDC STEADI (Stopping Elderly Accidents, Deaths & Injuries): the three key fall-risk questions of
 * the STEADI algorithm for adults 65 and older ("Fallen in the past year? Feels unsteady when
 * standing or walking? Worries about falling?"; yes to any = screened at risk, go on to assess).
 * Source: CDC, STEADI Algorithm for Fall Risk Screening, Assessment, and Intervention (2019),
 * https://www.cdc.gov/steadi/. The questions are coded in a CareLoop code system: we could not
 * verify LOINC codes for these three questions (docs/assessments.md); the answers are LOINC Yes/No.
 */
import { type Answer, choice, instrument } from './build.js';

export const STEADI_SYSTEM = 'https://careloop.org/fhir/CodeSystem/steadi';

const yesNo: readonly Answer[] = [
  { code: 'LA33-6', display: 'Yes', points: 1 },
  { code: 'LA32-8', display: 'No', points: 0 },
];

const question = (linkId: string, text: string) =>
  choice(linkId, text, yesNo, { code: [{ system: STEADI_SYSTEM, code: linkId, display: text }] });

export const steadi = instrument({
  id: 'steadi',
  name: 'STEADIKeyQuestions',
  title: 'CDC STEADI fall risk screening: three key questions',
  version: '1.0.0',
  description:
    'For adults 65 and older: screen for fall risk yearly, or any time the patient presents with an acute fall.',
  copyright:
    'CDC STEADI (Stopping Elderly Accidents, Deaths & Injuries), Centers for Disease Control and Prevention, a work of the US government, free to use (https://www.cdc.gov/steadi/).',
  code: [{ system: STEADI_SYSTEM, code: 'steadi-key-questions', display: 'STEADI three key questions' }],
  item: [
    question('fallen-past-year', 'Have you fallen in the past year?'),
    question('unsteady', 'Do you feel unsteady when standing or walking?'),
    question('worried-falling', 'Do you worry about falling?'),
  ],
});
