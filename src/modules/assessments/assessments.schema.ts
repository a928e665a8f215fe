/** Request shapes of the assessment routes (docs/assessments.md, API). */
import type { QuestionnaireResponseItem } from 'fhir/r4.js';
import { z } from 'zod';
import { trendInstruments } from './trends.js';

const id = z.string().regex(/^[A-Za-z0-9\-.]{1,64}$/, 'must be a FHIR id');

/**
 * A response: the Questionnaire's canonical, the status, and the items as FHIR
 * QuestionnaireResponse.item (linkId, answer[].value[x], nested item). The items' content is checked
 * against the Questionnaire by the engine, which names the offending linkId.
 */
export const responseBody = z
  .object({
    questionnaire: z.string().trim().min(1).max(1000),
    status: z.enum(['completed', 'in-progress']).default('completed'),
    items: z.array(z.looseObject({ linkId: z.string().min(1).max(255) })).max(500),
    authored: z.iso.datetime({ offset: true }).optional(),
    identifier: z
      .object({ system: z.string().max(1000).optional(), value: z.string().min(1).max(255) })
      .strict()
      .optional(),
  })
  .strict()
  .transform((body) => ({ ...body, items: body.items as unknown as QuestionnaireResponseItem[] }));

export const patientParams = z.object({ id });
export const responseParams = z.object({ id, responseId: id });
export const trendQuery = z.object({ instrument: z.enum(trendInstruments) });

export { parse } from '../tasks/tasks.schema.js';
