/** HTTP routes of goals (docs/workspace-api.md, Care plans and goals): progress and edits. */
import type { FastifyInstance } from 'fastify';
import { requireUser } from '../../access/identity/authenticate.js';
import type { ResourceStore } from '../../fhir/store/store.js';
import { idParams, parse, updateGoalBody } from '../care-plans/care-plans.schema.js';
import { readGoalProgress, updateGoal } from './goals.service.js';

export interface GoalsRoutesOptions {
  store: ResourceStore;
}

const tags = ['goals'];

/** Registers the goal routes. */
export async function goalsRoutes(app: FastifyInstance, options: GoalsRoutesOptions): Promise<void> {
  const { store } = options;

  app.get(
    '/api/goals/:id/progress',
    { schema: { tags, summary: 'Progress of a goal from observations' } },
    async (request) => {
      const { id } = parse(idParams, request.params);
      return readGoalProgress(store.as(requireUser(request)), id);
    },
  );

  app.put(
    '/api/goals/:id',
    {
      schema: { tags, summary: 'Edit a goal (a new version with its reason)' },
      config: { access: { writes: ['Goal'] } },
    },
    async (request) => {
      const { id } = parse(idParams, request.params);
      const body = parse(updateGoalBody, request.body);
      return { goal: await updateGoal(store.as(requireUser(request)), id, body) };
    },
  );
}
