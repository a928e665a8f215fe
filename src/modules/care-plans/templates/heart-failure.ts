/** Heart failure, after the 2022 AHA/ACC/HFSA Guideline for the Management of Heart Failure. */
import { type CarePlanTemplate, measures, type TemplateSource } from './template-types.js';

const hf: TemplateSource = {
  title:
    '2022 AHA/ACC/HFSA Guideline for the Management of Heart Failure (Heidenreich et al., Circulation 2022;145:e895–e1032)',
  url: 'https://doi.org/10.1161/CIR.0000000000001063',
};
const hypertension: TemplateSource = {
  title:
    '2017 ACC/AHA Guideline for the Prevention, Detection, Evaluation, and Management of High Blood Pressure in Adults (Whelton et al., Hypertension 2018;71:e13–e115)',
  url: 'https://doi.org/10.1161/HYP.0000000000000065',
};

export const heartFailure: CarePlanTemplate = {
  id: 'heart-failure',
  title: 'Heart failure care plan',
  condition: {
    text: 'Heart failure',
    icd10Prefixes: ['I50', 'I11.0', 'I13.0', 'I13.2'],
    snomed: ['84114007'],
  },
  source: hf,
  // Monthly while guideline-directed medical therapy (GDMT) is titrated.
  reviewIntervalDays: 30,
  goals: [
    {
      id: 'blood-pressure',
      // 2017 ACC/AHA (sec. 9.2): in HFrEF and HFpEF with hypertension, treat to SBP < 130 mmHg.
      description: 'Blood pressure below 130/80 mmHg',
      targets: [
        { kind: 'bound', measure: measures.systolic, comparator: '<', value: 130 },
        { kind: 'bound', measure: measures.diastolic, comparator: '<', value: 80 },
      ],
      dueInDays: 90,
      source: hypertension,
    },
    {
      id: 'gdmt',
      description: 'On guideline-directed medical therapy at target or maximally tolerated doses',
      targets: [],
      text: 'GDMT for the HF type (e.g. ARNI/ACEi/ARB, evidence-based beta blocker, MRA, SGLT2i for HFrEF) at target or maximally tolerated doses',
      dueInDays: 180,
      source: hf,
    },
  ],
  activities: [
    {
      id: 'post-discharge-visit',
      // 2022 guideline (sec. 11.1): an early follow-up visit, generally within 7 days of discharge.
      title: 'Follow-up visit within 7 days of hospital discharge',
      kind: 'follow-up',
      role: 'physician',
      dueInDays: 7,
      source: hf,
    },
    {
      id: 'gdmt-review',
      title: 'Medication review: GDMT doses, titration and adherence',
      kind: 'medication-review',
      role: 'pharmacist',
      dueInDays: 7,
      recurrence: 'every 2–4 weeks until target doses',
      repeatEveryDays: 14,
      source: hf,
    },
    {
      id: 'self-care-education',
      title: 'Self-care education: daily weights, symptoms, fluid and sodium, when to call',
      kind: 'education',
      role: 'nurse',
      dueInDays: 7,
      source: hf,
    },
    {
      id: 'cardiac-rehab',
      title: 'Refer to cardiac rehabilitation',
      kind: 'referral',
      role: 'care-coordinator',
      dueInDays: 30,
      source: hf,
    },
    {
      id: 'daily-weights',
      title: 'Weigh every morning and record; call the team on a rapid gain',
      kind: 'self-monitoring',
      role: 'patient',
      timing: { frequency: 1, period: 1, periodUnit: 'd' },
      source: hf,
    },
  ],
};
