/** Request bodies of the identity routes, validated at the boundary: a bad field is a 400 naming it. */
import { z } from 'zod';
import { badRequest } from '../../fhir/outcome.js';

// Upper bounds keep a hostile body from costing argon2 time or storage.
const password = z.string().min(1, 'is required').max(1024);

export const loginBody = z.object({ email: z.string().min(1, 'is required').max(320), password });
export const mfaBody = z.object({ code: z.string().regex(/^\s*\d{6}\s*$/, 'must be the 6-digit code') });
export const passwordBody = z.object({ currentPassword: password.optional(), newPassword: password });
export const newUserBody = z.object({
  email: z.string().max(320),
  name: z.string().max(200),
  role: z.string(),
  resource: z.string().max(200).optional(),
  password: password.optional(),
});
export const newTokenBody = z.object({
  scopes: z.union([z.string(), z.array(z.string())]).optional(),
  expiresInDays: z.number().positive().max(3650).optional(),
  label: z.string().max(200).optional(),
});

/** Parses a body with `schema`; the first issue becomes a 400 naming its field. */
export function parseBody<T extends z.ZodType>(schema: T, body: unknown): z.infer<T> {
  const parsed = schema.safeParse(body ?? {});
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const field = issue.path.join('.');
  const message = issue.code === 'invalid_type' && issue.input === undefined ? 'is required' : issue.message;
  throw badRequest(message, field || undefined);
}
