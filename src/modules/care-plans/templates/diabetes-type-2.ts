/** Type 2 diabetes, after the ADA Standards of Care in Diabetes—2025 (Diabetes Care 2025;48 Suppl 1). */
import { type CarePlanTemplate, measures, type TemplateSource } from './template-types.js';

const ada = (section: string, title: string): TemplateSource => ({
  title: `ADA Standards of Care in Diabetes—2025, ${section}. ${title}`,
  url: `https://doi.org/10.2337/dc25-${section}`,
});
const glycemic = ada('S006', 'Glycemic Goals and Hypoglycemia');
const cardiovascular = ada('S010', 'Cardiovascular Disease and Risk Management');

export const diabetesType2: CarePlanTemplate = {
  id: 'diabetes-type-2',
  title: 'Type 2 diabetes care plan',
  condition: { text: 'Type 2 diabetes', icd10Prefixes: ['E11'], snomed: ['44054006'] },
  source: { title: 'ADA Standards of Care in Diabetes—2025', url: 'https://doi.org/10.2337/dc25-SINT' },
  // Sec. 6: A1C at least quarterly in people whose therapy changed or who are not meeting goals.
  reviewIntervalDays: 90,
  goals: [
    {
      id: 'hba1c',
      // Sec. 6: < 7% for many nonpregnant adults without significant hypoglycemia; individualize
      // (< 6.5% or < 8% for some) through shared decision-making: the team edits the target.
      description: 'HbA1c below 7% (individualized)',
      targets: [{ kind: 'bound', measure: measures.hba1c, comparator: '<', value: 7 }],
      dueInDays: 180,
      source: glycemic,
    },
    {
      id: 'blood-pressure',
      // Sec. 10: treat to < 130/80 mmHg when it can be reached safely.
      description: 'Blood pressure below 130/80 mmHg',
      targets: [
        { kind: 'bound', measure: measures.systolic, comparator: '<', value: 130 },
        { kind: 'bound', measure: measures.diastolic, comparator: '<', value: 80 },
      ],
      dueInDays: 90,
      source: cardiovascular,
    },
  ],
  activities: [
    {
      id: 'dsmes',
      title: 'Refer to diabetes self-management education and support (DSMES)',
      kind: 'referral',
      role: 'care-coordinator',
      dueInDays: 30,
      source: ada('S005', 'Facilitating Positive Health Behaviors and Well-being to Improve Health Outcomes'),
    },
    {
      id: 'medication-review',
      title: 'Review glucose-lowering, blood pressure and statin medications',
      kind: 'medication-review',
      role: 'pharmacist',
      dueInDays: 14,
      recurrence: 'every 3–6 months',
      repeatEveryDays: 90,
      source: ada('S009', 'Pharmacologic Approaches to Glycemic Treatment'),
    },
    {
      id: 'hba1c-test',
      title: 'HbA1c test',
      kind: 'assessment',
      role: 'nurse',
      dueInDays: 90,
      recurrence: 'every 3 months until at goal, then at least twice a year',
      repeatEveryDays: 90,
      source: glycemic,
    },
    {
      id: 'eye-exam',
      title: 'Dilated eye examination (retinopathy screening)',
      kind: 'referral',
      role: 'care-coordinator',
      dueInDays: 90,
      recurrence: 'every 1–2 years',
      repeatEveryDays: 365,
      source: ada('S012', 'Retinopathy, Neuropathy, and Foot Care'),
    },
    {
      id: 'foot-exam',
      title: 'Comprehensive foot examination',
      kind: 'assessment',
      role: 'physician',
      dueInDays: 90,
      recurrence: 'yearly',
      repeatEveryDays: 365,
      source: ada('S012', 'Retinopathy, Neuropathy, and Foot Care'),
    },
    {
      id: 'kidney-check',
      title: 'Kidney check: urine albumin-to-creatinine ratio and eGFR',
      kind: 'assessment',
      role: 'physician',
      dueInDays: 90,
      recurrence: 'yearly',
      repeatEveryDays: 365,
      source: ada('S011', 'Chronic Kidney Disease and Risk Management'),
    },
    {
      id: 'glucose-self-monitoring',
      title: 'Check and record blood glucose as agreed with the care team',
      kind: 'self-monitoring',
      role: 'patient',
      source: ada('S007', 'Diabetes Technology'),
    },
  ],
};
