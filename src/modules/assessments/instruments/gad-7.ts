/**
 * GAD-7 (Generalized Anxiety Disorder 7-item scale) as a FHIR Questionnaire: LOINC panel 69737-5,
 * items 69725-0 … 69736-7, total 70274-6, difficulty 69722-7. Item wording from Spitzer et al., Arch
 * Intern Med 2006;166:1092–1097 (the form published by Pfizer, no permission required); the panel
 * and item codes as found in public FHIR GAD-7 Questionnaires (HL7 PHR format IG example) and LOINC.
 */
import { choice, instrument, LOINC } from './build.js';
import { difficultyItem, frequencyAnswers } from './phq.js';

export const gad7Items: [linkId: string, text: string][] = [
  ['69725-0', 'Feeling nervous, anxious, or on edge'],
  ['68509-9', 'Not being able to stop or control worrying'],
  ['69733-4', 'Worrying too much about different things'],
  ['69734-2', 'Trouble relaxing'],
  ['69735-9', 'Being so restless that it is hard to sit still'],
  ['69689-8', 'Becoming easily annoyed or irritable'],
  ['69736-7', 'Feeling afraid, as if something awful might happen'],
];

export const gad7 = instrument({
  id: 'gad-7',
  name: 'GAD7',
  title: 'Generalized anxiety disorder 7 item (GAD-7)',
  version: '1.0.0',
  description: 'Over the last 2 weeks, how often have you been bothered by the following problems?',
  copyright:
    'GAD-7: developed by Drs. Robert L. Spitzer, Janet B.W. Williams, Kurt Kroenke and colleagues, with an educational grant from Pfizer Inc. No permission required to reproduce, translate, display or distribute. LOINC codes © Regenstrief Institute (loinc.org).',
  code: [{ system: LOINC, code: '69737-5', display: 'Generalized anxiety disorder 7 item (GAD-7)' }],
  item: [
    ...gad7Items.map(([linkId, text]) => choice(linkId, text, frequencyAnswers)),
    difficultyItem(gad7Items.map(([linkId]) => linkId)),
  ],
});
