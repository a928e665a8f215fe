/**
 * HTTP routes of care teams: a patient's team (read and replace) and the signed-in coordinator's
 * caseload. Handlers parse, call the service as the user, and present.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { requireUser } from '../../access/identity/authenticate.js';
import { badRequest } from '../../fhir/outcome.js';
import type { ResourceStore } from '../../fhir/store/store.js';
import { getCareTeam, putCareTeam } from './care-teams.service.js';
import { caseload } from './caseload.service.js';

export interface CareTeamRoutesOptions {
  store: ResourceStore;
}

const params = z.object({ id: z.string().regex(/^[A-Za-z0-9\-.]{1,64}$/, 'must be a FHIR id') });
const period = z.object({ start: z.string().max(40).optional(), end: z.string().max(40).optional() });
const careTeamBody = z.object({
  members: z
    .array(
      z.object({
        reference: z.string().max(200),
        role: z.string().max(40),
        period: period.optional(),
        lead: z.boolean().optional(),
      }),
    )
    .max(100),
  reason: z.string().max(500).optional(),
});

function parse<T extends z.ZodType>(schema: T, value: unknown): z.infer<T> {
  const result = schema.safeParse(value ?? {});
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  throw badRequest(`${issue.path.join('.') || 'body'}: ${issue.message}`, issue.path.join('.'));
}

/** Registers /api/patients/:id/care-team and /api/caseload. */
export async function careTeamRoutes(app: FastifyInstance, options: CareTeamRoutesOptions): Promise<void> {
  const { store } = options;
  app.get(
    '/api/patients/:id/care-team',
    { schema: { tags: ['care-teams'], summary: "A patient's care team and lead" } },
    async (request) => {
      const context = requireUser(request);
      const { id } = parse(params, request.params);
      return getCareTeam(store.as(context), id);
    },
  );
  app.put(
    '/api/patients/:id/care-team',
    {
      schema: { tags: ['care-teams'], summary: "Replace a patient's care team members" },
      config: { access: { writes: ['CareTeam'] } },
    },
    async (request) => {
      const context = requireUser(request);
      const { id } = parse(params, request.params);
      return putCareTeam(store.as(context), id, parse(careTeamBody, request.body));
    },
  );
  app.get(
    '/api/caseload',
    { schema: { tags: ['care-teams'], summary: 'The patients whose care team the user leads' } },
    async (request) => caseload(store.as(requireUser(request))),
  );
}
