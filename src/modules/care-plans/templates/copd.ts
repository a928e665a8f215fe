/** COPD, after the GOLD 2025 Report (Global Strategy for Prevention, Diagnosis and Management of COPD). */
import type { CarePlanTemplate, TemplateSource } from './template-types.js';

const gold: TemplateSource = {
  title: 'Global Initiative for Chronic Obstructive Lung Disease (GOLD) 2025 Report',
  url: 'https://goldcopd.org/2025-gold-report/',
};

export const copd: CarePlanTemplate = {
  id: 'copd',
  title: 'COPD care plan',
  condition: { text: 'Chronic obstructive pulmonary disease', icd10Prefixes: ['J44'], snomed: ['13645005'] },
  source: gold,
  reviewIntervalDays: 90,
  goals: [
    {
      id: 'no-exacerbation',
      description: 'No moderate or severe exacerbation',
      targets: [],
      text: 'No exacerbation needing antibiotics, oral corticosteroids, an ED visit or admission before the due date',
      dueInDays: 90,
      source: gold,
    },
    {
      id: 'inhaler-technique',
      description: 'Correct inhaler technique at every check',
      targets: [],
      text: 'Inhaler technique observed and correct',
      dueInDays: 30,
      source: gold,
    },
  ],
  activities: [
    {
      id: 'action-plan',
      title: 'Written exacerbation action plan agreed with the patient',
      kind: 'education',
      role: 'nurse',
      dueInDays: 14,
      source: gold,
    },
    {
      id: 'inhaler-check',
      title: 'Check inhaler technique and adherence',
      kind: 'medication-review',
      role: 'pharmacist',
      dueInDays: 14,
      recurrence: 'at every review',
      source: gold,
    },
    {
      id: 'pulmonary-rehab',
      title: 'Refer to pulmonary rehabilitation',
      kind: 'referral',
      role: 'care-coordinator',
      dueInDays: 30,
      source: gold,
    },
    {
      id: 'vaccinations',
      title: 'Vaccinations: influenza, COVID-19, RSV, pneumococcal, Tdap (and zoster) as indicated',
      kind: 'assessment',
      role: 'nurse',
      dueInDays: 30,
      recurrence: 'influenza yearly',
      repeatEveryDays: 365,
      source: gold,
    },
    {
      id: 'smoking',
      title: 'Assess smoking status; offer cessation support',
      kind: 'assessment',
      role: 'physician',
      dueInDays: 14,
      source: gold,
    },
  ],
};
