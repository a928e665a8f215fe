/**
 * HTTP routes of transitions of care (docs/transitions.md): the board, one transition, contact
 * attempts and the clinician's complexity call. Handlers parse, call the service as the signed-in
 * user, and present; access and audit happen in the store.
 */
import type { FastifyInstance } from 'fastify';
import { requireUser } from '../../access/identity/authenticate.js';
import type { ResourceStore } from '../../fhir/store/store.js';
import type { BusinessCalendar } from '../../platform/business-calendar.js';
import { parse } from '../tasks/tasks.schema.js';
import { listNotifications, markNotificationRead } from './notifications.service.js';
import { recordContactAttempt, setTcmComplexity } from './tcm-contact.service.js';
import {
  boardQuery,
  complexityBody,
  contactAttemptBody,
  encounterParams,
  idParams,
  notificationsQuery,
} from './transitions.schema.js';
import { transitionBoard, transitionDetail } from './transitions.service.js';

export interface TransitionsRoutesOptions {
  store: ResourceStore;
  timeZone: string;
  calendar: BusinessCalendar;
}

/** Registers /api/transitions and /api/notifications routes. */
export async function transitionsRoutes(
  app: FastifyInstance,
  options: TransitionsRoutesOptions,
): Promise<void> {
  const { store, timeZone, calendar } = options;
  const tags = ['transitions'];

  app.get(
    '/api/transitions',
    { schema: { tags, summary: 'Recent discharges with TCM deadlines and risk' } },
    async (request) => {
      const as = store.as(requireUser(request));
      const { days } = parse(boardQuery, request.query);
      return { days, transitions: await transitionBoard(as, days) };
    },
  );

  app.get(
    '/api/transitions/:encounterId',
    { schema: { tags, summary: 'One transition with risk factors' } },
    async (request) => {
      const as = store.as(requireUser(request));
      const { encounterId } = parse(encounterParams, request.params);
      return { transition: await transitionDetail(as, encounterId) };
    },
  );

  app.post(
    '/api/transitions/:encounterId/contact-attempts',
    {
      schema: { tags, summary: 'Record a TCM contact attempt' },
      config: { access: { writes: ['Communication', 'Task'] } },
    },
    async (request, reply) => {
      const as = store.as(requireUser(request));
      const { encounterId } = parse(encounterParams, request.params);
      const input = parse(contactAttemptBody, request.body);
      const { attempt, task } = await recordContactAttempt(as, encounterId, input);
      return reply.code(201).send({ attempt, task });
    },
  );

  app.put(
    '/api/transitions/:encounterId/complexity',
    {
      schema: { tags, summary: 'Set TCM complexity (moves the visit deadline)' },
      config: { access: { writes: ['Task'] } },
    },
    async (request) => {
      const as = store.as(requireUser(request));
      const { encounterId } = parse(encounterParams, request.params);
      const input = parse(complexityBody, request.body);
      return setTcmComplexity(as, encounterId, input, { timeZone, calendar });
    },
  );

  app.get(
    '/api/notifications',
    { schema: { tags, summary: 'My care-team notifications' } },
    async (request) => {
      const access = requireUser(request);
      const { unread } = parse(notificationsQuery, request.query);
      return {
        notifications: await listNotifications(store.as(access), access, { unread: unread === 'true' }),
      };
    },
  );

  app.post(
    '/api/notifications/:id/read',
    {
      schema: { tags, summary: 'Mark a notification read' },
      // What the user has read is kept beside the notification (a Communication), not in it.
      config: { access: { writes: ['Communication'] } },
    },
    async (request) => {
      const access = requireUser(request);
      const { id } = parse(idParams, request.params);
      return markNotificationRead(store.as(access), access, id);
    },
  );
}
