/** A blank plan: the team writes goals and activities themselves. */
import type { CarePlanTemplate } from './template-types.js';

export const blank: CarePlanTemplate = {
  id: 'blank',
  title: 'Care plan',
  source: {
    title: 'HL7 FHIR R4 CarePlan (no clinical template)',
    url: 'https://hl7.org/fhir/R4/careplan.html',
  },
  reviewIntervalDays: 90,
  goals: [],
  activities: [],
};
