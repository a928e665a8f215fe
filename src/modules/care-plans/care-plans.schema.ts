/** Request shapes of the care-plan and goal routes (docs/workspace-api.md, Care plans and goals). */
import { z } from 'zod';

export { parse } from '../tasks/tasks.schema.js';

export const idParams = z.object({ id: z.string().regex(/^[A-Za-z0-9\-.]{1,64}$/, 'must be a FHIR id') });

const text = (max: number) => z.string().trim().min(1).max(max);

const preferences = z
  .object({ language: text(100).optional(), contact: text(200).optional(), times: text(200).optional() })
  .strict();
const agreement = z.object({ agreed: z.boolean(), note: text(2000).optional() }).strict();

export const createCarePlanBody = z
  .object({
    templateId: text(64),
    title: text(200).optional(),
    priorities: z.array(text(500)).max(20).optional(),
    preferences: preferences.optional(),
    barriers: z.array(text(500)).max(20).optional(),
    agreement: agreement.optional(),
    reason: text(1000).optional(),
  })
  .strict();

export const reviseCarePlanBody = z
  .object({
    title: text(200).optional(),
    status: z
      .enum(['draft', 'active', 'on-hold', 'revoked', 'completed', 'entered-in-error', 'unknown'])
      .optional(),
    priorities: z.array(text(500)).max(20).optional(),
    barriers: z.array(text(500)).max(20).optional(),
    preferences: preferences.optional(),
    agreement: agreement.optional(),
    nextReview: z.iso.date().optional(),
    // Why the plan changed is part of the record (Provenance.reason): required.
    reason: text(1000),
  })
  .strict();

const loinc = z.string().regex(/^\d{1,7}-\d$/, 'must be a LOINC code such as 4548-4');
const dueDate = z.iso.date().optional();
export const targetInput = z.union([
  z
    .object({
      loinc,
      display: text(100).optional(),
      comparator: z.enum(['<', '<=', '>=', '>']),
      value: z.number(),
      unit: text(40),
      dueDate,
    })
    .strict(),
  z
    .object({
      loinc,
      display: text(100).optional(),
      low: z.number(),
      high: z.number(),
      unit: text(40),
      dueDate,
    })
    .strict(),
  z.object({ text: text(1000), dueDate }).strict(),
]);

export const addGoalBody = z
  .object({ description: text(500), target: targetInput.optional(), reason: text(1000).optional() })
  .strict();

export const updateGoalBody = z
  .object({ description: text(500).optional(), target: targetInput.optional(), reason: text(1000) })
  .strict();
