/**
 * Wires assessments into the app (one call from src/server/app.ts): the /fhir write guard on
 * QuestionnaireResponse, the after-commit listener that scores and follows up, and the routes.
 * Seeding the shipped Questionnaires is separate (`ensureInstruments`), called by `careloop serve`.
 */
import type { FastifyInstance } from 'fastify';
import type { ResourceStore } from '../../fhir/store/store.js';
import { assessmentsRoutes } from './assessments.routes.js';
import { assessmentListener } from './assessments.service.js';
import { questionnaireResponseGuard } from './response-guard.js';

export async function installAssessments(
  app: FastifyInstance,
  store: ResourceStore,
  timeZone: string,
): Promise<void> {
  store.guardWrites('QuestionnaireResponse', questionnaireResponseGuard(timeZone));
  store.onChange(
    assessmentListener(store, timeZone, (err) =>
      app.log.error({ err: { message: (err as Error).message } }, 'assessment scoring failed'),
    ),
  );
  await app.register(assessmentsRoutes, { store, timeZone });
}
