/**
 * Depression in collaborative care (the AIMS Center model, endorsed by the APA): measurement-based
 * treatment to target with the PHQ-9, a behavioral health care manager and a psychiatric consultant.
 */
import { type CarePlanTemplate, measures, type TemplateSource } from './template-types.js';

const aims: TemplateSource = {
  title: 'AIMS Center (University of Washington): Collaborative Care — measurement-based treatment to target',
  url: 'https://aims.uw.edu/collaborative-care/',
};
const remission: TemplateSource = {
  title: 'CMS159 Depression Remission at Twelve Months (remission = PHQ-9 < 5)',
  url: 'https://ecqi.healthit.gov/ecqm/ec/2025/cms0159v13',
};

export const depressionCollaborativeCare: CarePlanTemplate = {
  id: 'depression-collaborative-care',
  title: 'Depression collaborative care plan',
  condition: { text: 'Depression', icd10Prefixes: ['F32', 'F33'], snomed: ['36923009', '35489007'] },
  source: aims,
  // PHQ-9 every 4 weeks (at least monthly); the plan is looked at with each score.
  reviewIntervalDays: 28,
  goals: [
    {
      id: 'response',
      // Response = PHQ-9 reduced by at least 50% from the baseline score; computed from the latest
      // PHQ-9 before the plan starts (or the first one after it, when there is none).
      description: 'PHQ-9 response: at least 50% lower than baseline',
      targets: [{ kind: 'reduction', measure: measures.phq9, fraction: 0.5 }],
      dueInDays: 84,
      source: aims,
    },
    {
      id: 'remission',
      description: 'PHQ-9 remission: score below 5',
      targets: [{ kind: 'bound', measure: measures.phq9, comparator: '<', value: 5 }],
      dueInDays: 180,
      source: remission,
    },
  ],
  activities: [
    {
      id: 'phq9',
      title: 'PHQ-9 with the patient',
      kind: 'assessment',
      role: 'care-coordinator',
      dueInDays: 28,
      recurrence: 'every 4 weeks',
      repeatEveryDays: 28,
      source: aims,
    },
    {
      id: 'caseload-review',
      title: 'Caseload review with the psychiatric consultant',
      kind: 'care-review',
      role: 'care-coordinator',
      dueInDays: 7,
      recurrence: 'weekly',
      repeatEveryDays: 7,
      source: aims,
    },
    {
      id: 'medication-review',
      title: 'Antidepressant review: adherence, side effects, dose (adjust if not improving)',
      kind: 'medication-review',
      role: 'physician',
      dueInDays: 28,
      source: aims,
    },
    {
      id: 'behavioral-activation',
      title: 'Brief psychotherapy or behavioral activation sessions',
      kind: 'follow-up',
      role: 'social-worker',
      dueInDays: 14,
      recurrence: 'every 1–2 weeks',
      repeatEveryDays: 7,
      source: aims,
    },
  ],
};
