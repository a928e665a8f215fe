/**
 * HTTP routes of medication reconciliation (docs/medication-reconciliation.md). Handlers parse, call
 * the service as the signed-in user, and present; access and audit happen in the store.
 */
import type { FastifyInstance } from 'fastify';
import { requireUser } from '../../access/identity/authenticate.js';
import type { ResourceStore } from '../../fhir/store/store.js';
import { parse } from '../tasks/tasks.schema.js';
import {
  dischargeMedicationBody,
  lineDecisionBody,
  lineParams,
  taskParams,
} from './medication-reconciliation.schema.js';
import {
  addDischargeMedication,
  loadReconciliation,
  resolveLine,
} from './medication-reconciliation.service.js';

export interface MedicationReconciliationRoutesOptions {
  store: ResourceStore;
}

/** Registers /api/medication-reconciliation routes. */
export async function medicationReconciliationRoutes(
  app: FastifyInstance,
  options: MedicationReconciliationRoutesOptions,
): Promise<void> {
  const { store } = options;
  const tags = ['medication-reconciliation'];

  app.get(
    '/api/medication-reconciliation/:taskId',
    { schema: { tags, summary: 'The reconciliation of a task: lines, resolutions, progress' } },
    async (request) => {
      const as = store.as(requireUser(request));
      const { taskId } = parse(taskParams, request.params);
      return loadReconciliation(as, taskId);
    },
  );

  app.put(
    '/api/medication-reconciliation/:taskId/lines/:lineId',
    {
      schema: { tags, summary: 'Resolve one line (continue, stop, change, keep-both)' },
      config: { access: { writes: ['List'] } },
    },
    async (request) => {
      const as = store.as(requireUser(request));
      const { taskId, lineId } = parse(lineParams, request.params);
      const input = parse(lineDecisionBody, request.body);
      return resolveLine(as, taskId, lineId, input);
    },
  );

  app.post(
    '/api/medication-reconciliation/:taskId/medications',
    {
      schema: { tags, summary: 'Enter a discharge medication' },
      config: { access: { writes: ['MedicationRequest'] } },
    },
    async (request, reply) => {
      const as = store.as(requireUser(request));
      const { taskId } = parse(taskParams, request.params);
      const input = parse(dischargeMedicationBody, request.body);
      return reply.code(201).send(await addDischargeMedication(as, taskId, input));
    },
  );
}
