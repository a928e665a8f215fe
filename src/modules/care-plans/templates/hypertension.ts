/** Hypertension, after the 2017 ACC/AHA High Blood Pressure Guideline. */
import { type CarePlanTemplate, measures, type TemplateSource } from './template-types.js';

const acc: TemplateSource = {
  title:
    '2017 ACC/AHA Guideline for the Prevention, Detection, Evaluation, and Management of High Blood Pressure in Adults (Whelton et al., Hypertension 2018;71:e13–e115)',
  url: 'https://doi.org/10.1161/HYP.0000000000000065',
};

export const hypertension: CarePlanTemplate = {
  id: 'hypertension',
  title: 'Hypertension care plan',
  condition: {
    text: 'Hypertension',
    icd10Prefixes: ['I10', 'I11', 'I12', 'I13', 'I15'],
    snomed: ['59621000', '38341003'],
  },
  source: acc,
  // Sec. 8.3: monthly follow-up after starting or changing treatment until the target is reached.
  reviewIntervalDays: 30,
  goals: [
    {
      id: 'blood-pressure',
      // Sec. 8.1.5: target < 130/80 mmHg for adults with confirmed hypertension and CVD or ≥ 10% risk,
      // and reasonable for those at lower risk.
      description: 'Blood pressure below 130/80 mmHg',
      targets: [
        { kind: 'bound', measure: measures.systolic, comparator: '<', value: 130 },
        { kind: 'bound', measure: measures.diastolic, comparator: '<', value: 80 },
      ],
      dueInDays: 90,
      source: acc,
    },
  ],
  activities: [
    {
      id: 'follow-up',
      title: 'Blood pressure follow-up visit',
      kind: 'follow-up',
      role: 'nurse',
      dueInDays: 30,
      recurrence: 'monthly until at target',
      repeatEveryDays: 30,
      source: acc,
    },
    {
      id: 'medication-review',
      title: 'Medication review: adherence, side effects, dose',
      kind: 'medication-review',
      role: 'pharmacist',
      dueInDays: 30,
      source: acc,
    },
    {
      id: 'lifestyle',
      title: 'Lifestyle education: DASH diet, sodium, activity, alcohol, weight',
      kind: 'education',
      role: 'dietitian',
      dueInDays: 30,
      source: acc,
    },
    {
      id: 'home-bp',
      // Sec. 6.2: out-of-office (home) BP monitoring to confirm the diagnosis and titrate treatment.
      title: 'Measure blood pressure at home (seated, rested, 2 readings) and record',
      kind: 'self-monitoring',
      role: 'patient',
      timing: { frequency: 2, period: 1, periodUnit: 'd' },
      source: acc,
    },
  ],
};
