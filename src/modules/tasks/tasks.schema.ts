/** Request shapes of the task routes (docs/workspace-api.md, Tasks). */
import { z } from 'zod';
import { roles } from '../../access/access-context.js';
import { badRequest } from '../../fhir/outcome.js';
import { priorities, taskStatuses } from './tasks.rules.js';

const id = z.string().regex(/^[A-Za-z0-9\-.]{1,64}$/, 'must be a FHIR id');
const ownerRef = z
  .string()
  .regex(
    /^(Practitioner|PractitionerRole|CareTeam|Organization)\/[A-Za-z0-9\-.]{1,64}$/,
    'must be Practitioner/x, PractitionerRole/x, CareTeam/x or Organization/x',
  );

export const createTaskBody = z
  .object({
    patientId: id,
    title: z.string().trim().min(1).max(200),
    description: z.string().max(4000).optional(),
    priority: z.enum(priorities).default('routine'),
    dueAt: z.iso.datetime({ offset: true }),
    owner: ownerRef.optional(),
    ownerRole: z.enum(roles).optional(),
    reason: z.string().max(1000).optional(),
    focus: z
      .string()
      .regex(/^[A-Z][A-Za-z]+\/[A-Za-z0-9\-.]{1,64}$/, 'must be Type/id')
      .optional(),
  })
  .strict();
export type CreateTaskInput = z.infer<typeof createTaskBody>;

export const transitionBody = z
  .object({
    to: z.enum(taskStatuses),
    note: z.string().trim().min(1).max(4000).optional(),
    reason: z.string().trim().min(1).max(1000).optional(),
  })
  .strict();

export const reassignBody = z.object({ owner: ownerRef, reason: z.string().max(1000).optional() }).strict();

export const noteBody = z.object({ text: z.string().trim().min(1).max(4000) }).strict();

export const taskParams = z.object({ id });

/** Parses `value` with `schema`, or answers 400 naming the field and the reason. */
export function parse<T extends z.ZodType>(schema: T, value: unknown): z.infer<T> {
  const result = schema.safeParse(value ?? {});
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const path = issue.path.join('.');
  throw badRequest(`${path || 'body'}: ${issue.message}`, path || undefined);
}
