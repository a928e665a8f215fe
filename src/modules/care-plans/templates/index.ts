/** Every care-plan template, by id. */
import { blank } from './blank.js';
import { copd } from './copd.js';
import { depressionCollaborativeCare } from './depression-collaborative-care.js';
import { diabetesType2 } from './diabetes-type-2.js';
import { heartFailure } from './heart-failure.js';
import { hypertension } from './hypertension.js';
import type { CarePlanTemplate } from './template-types.js';

export const carePlanTemplates: readonly CarePlanTemplate[] = [
  diabetesType2,
  heartFailure,
  copd,
  hypertension,
  depressionCollaborativeCare,
  blank,
];

/** The template with this id, or undefined. */
export function findTemplate(id: string): CarePlanTemplate | undefined {
  return carePlanTemplates.find((t) => t.id === id);
}
