/** Request shapes of the medication-reconciliation routes (docs/medication-reconciliation.md). */
import { z } from 'zod';
import { decisions } from './reconciliation-list.js';

const id = z.string().regex(/^[A-Za-z0-9\-.]{1,64}$/, 'must be a FHIR id');

export const dosageBody = z
  .object({
    text: z.string().trim().min(1).max(1000).optional(),
    dose: z
      .object({ value: z.number().positive(), unit: z.string().trim().min(1).max(40) })
      .strict()
      .optional(),
    frequency: z.number().int().positive().max(48).optional(),
    period: z.number().positive().max(365).optional(),
    periodUnit: z.enum(['h', 'd', 'wk']).optional(),
    asNeeded: z.boolean().optional(),
    route: z.string().trim().min(1).max(100).optional(),
  })
  .strict()
  .refine((d) => d.text || d.dose || d.frequency !== undefined, {
    message: 'give the directions as text, or a dose or frequency',
  });

export const lineDecisionBody = z
  .object({
    decision: z.enum(decisions),
    dosage: dosageBody.optional(),
    note: z.string().trim().min(1).max(2000).optional(),
  })
  .strict();

export const dischargeMedicationBody = z
  .object({
    rxnorm: z
      .string()
      .regex(/^\d{1,10}$/, 'must be an RxNorm concept id (digits)')
      .optional(),
    name: z.string().trim().min(1).max(300),
    dosage: dosageBody,
    note: z.string().trim().min(1).max(2000).optional(),
  })
  .strict();

export const taskParams = z.object({ taskId: id });
export const lineParams = z.object({
  taskId: id,
  lineId: z.string().regex(/^(med|dup)-[0-9a-f]{16}$/, 'must be a line id'),
});
