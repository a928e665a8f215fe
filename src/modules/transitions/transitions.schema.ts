/** Request shapes of the transitions and notifications routes (docs/transitions.md). */
import { z } from 'zod';
import { contactChannels, contactOutcomes } from './tcm-contact.service.js';

const id = z.string().regex(/^[A-Za-z0-9\-.]{1,64}$/, 'must be a FHIR id');

export const boardQuery = z.object({ days: z.coerce.number().int().min(1).max(365).default(30) }).strict();
export const encounterParams = z.object({ encounterId: id });
export const idParams = z.object({ id });

export const contactAttemptBody = z
  .object({
    at: z.iso.datetime({ offset: true }),
    channel: z.enum(contactChannels),
    outcome: z.enum(contactOutcomes),
    note: z.string().trim().min(1).max(4000).optional(),
  })
  .strict();

export const complexityBody = z
  .object({ level: z.enum(['high', 'moderate']), reason: z.string().trim().min(1).max(1000) })
  .strict();

export const notificationsQuery = z.object({ unread: z.enum(['true', 'false']).optional() }).strict();
