/**
 * Builds the Fastify app from a config and its parts (database, clock). Tests build their own with
 * `buildApp` and talk to it through `app.inject()` or a real port.
 */
import { readFileSync } from 'node:fs';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyInstance } from 'fastify';
import { accessRoutes } from '../access/access.routes.js';
import { authRoutes } from '../access/identity/auth.routes.js';
import { installAuthentication } from '../access/identity/authenticate.js';
import { credentialCheck } from '../access/identity/credential-check.js';
import { sessionPolicy } from '../access/identity/sessions.js';
import { usersRoutes } from '../access/identity/users.routes.js';
import { loadFhirDefinitions } from '../fhir/definitions.js';
import { fhirRoutes } from '../fhir/fhir.routes.js';
import { badRequest } from '../fhir/outcome.js';
import { createStore, type ResourceStore } from '../fhir/store/store.js';
import { hl7Routes } from '../integrations/hl7/hl7.routes.js';
import type { Hl7Handlers } from '../integrations/hl7/hl7-handler.js';
import { hl7HandlersFor } from '../integrations/hl7/hl7-handlers.js';
import { installAssessments } from '../modules/assessments/assessments.install.js';
import { repeatRecurringActivities } from '../modules/care-plans/care-plans.recurrence.js';
import { carePlansRoutes } from '../modules/care-plans/care-plans.routes.js';
import { careTeamRoutes } from '../modules/care-teams/care-teams.routes.js';
import { goalsRoutes } from '../modules/goals/goals.routes.js';
import { trackGoalAchievement } from '../modules/goals/goals.service.js';
import { medicationReconciliationRoutes } from '../modules/medication-reconciliation/medication-reconciliation.routes.js';
import { followUpListener } from '../modules/tasks/follow-up.service.js';
import { tasksRoutes } from '../modules/tasks/tasks.routes.js';
import { taskStatusGuard } from '../modules/tasks/tasks.service.js';
import { transitionsRoutes } from '../modules/transitions/transitions.routes.js';
import { worklistRoutes } from '../modules/worklists/worklists.routes.js';
import { createBusinessCalendar } from '../platform/business-calendar.js';
import type { Clock } from '../platform/clock.js';
import type { Config } from '../platform/config.js';
import type { Database } from '../platform/database.js';
import { installErrorHandlers } from './errors.js';
import { installHardening } from './hardening.js';
import { homeRoutes } from './home.routes.js';
import { webRoutes } from './web.routes.js';

export interface AppParts {
  database: Database;
  clock: Clock;
  /** Log to stdout (pino); tests pass false. */
  logger?: boolean;
  /** Log to this stream instead of stdout (the log-privacy test reads what the server would log). */
  logStream?: NodeJS.WritableStream;
  /** HL7 v2 handlers by message type (default: src/integrations/hl7/hl7-handlers.ts); tests pass their own. */
  hl7Handlers?: Hl7Handlers;
}

export interface App {
  app: FastifyInstance;
  store: ResourceStore;
}

/** The package version, shown in the CapabilityStatement. */
export const version: string = JSON.parse(
  readFileSync(new URL('../../package.json', import.meta.url), 'utf8'),
).version;

const jsonTypes = ['application/json', 'application/fhir+json', 'application/json-patch+json'];

/**
 * One line when the database is lost and one when it is back (a restart, a failover): codes and
 * durations only, never a query or its values.
 */
function logDatabaseAvailability(app: FastifyInstance, database: Database): void {
  const stop = database.availability.onChange((event) => {
    if (event.state === 'lost')
      app.log.warn(
        { database: { state: 'lost', code: event.code } },
        'database connection lost: requests answer 503 and HL7 messages are not acknowledged until it is back',
      );
    else
      app.log.info(
        { database: { state: 'regained', downSeconds: event.downSeconds } },
        'database connection regained',
      );
  });
  app.addHook('onClose', async () => {
    stop();
  });
}

/** Assembles the app: parsers, error handling, OpenAPI docs, FHIR API and the home page. */
export async function buildApp(config: Config, parts: AppParts): Promise<App> {
  loadFhirDefinitions();
  const store = createStore(parts.database, {
    clock: parts.clock,
    referentialIntegrity: config.referentialIntegrity,
    defaultPageSize: config.defaultPageSize,
    maxPageSize: config.maxPageSize,
  });
  const app = Fastify({
    bodyLimit: config.bodyLimitBytes,
    logger:
      parts.logger || parts.logStream
        ? {
            level: config.logLevel,
            ...(parts.logStream ? { stream: parts.logStream } : {}),
            serializers: {
              // The query string of a FHIR search holds names, birth dates and identifiers: log the path only.
              req: (req) => ({ method: req.method, path: req.url.split('?')[0], remote: req.ip }),
            },
          }
        : false,
    trustProxy: true,
  });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(jsonTypes, { parseAs: 'string' }, (_request, body, done) => {
    try {
      done(null, body === '' ? undefined : JSON.parse(body as string));
    } catch (err) {
      done(
        badRequest(`the body is not valid JSON: ${(err as Error).message}`, undefined, 'structure'),
        undefined,
      );
    }
  });
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_r, body, done) =>
    done(null, body),
  );
  installErrorHandlers(app);
  logDatabaseAvailability(app, parts.database);
  // Before any route: helmet, request limits, authentication and the scope gate apply to routes
  // registered after them. Requests are counted once authentication knows whose they are.
  const throttle = await installHardening(app, config);
  const identity = {
    database: parts.database,
    clock: parts.clock,
    policy: sessionPolicy(config.sessionIdleMinutes),
  };
  await installAuthentication(app, { ...identity, throttle });

  await app.register(swagger, {
    openapi: {
      info: { title: 'CareLoop API', version, description: 'FHIR R4 REST API and CareLoop workflows' },
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  await app.register(fhirRoutes, {
    prefix: '/fhir',
    store,
    version,
    baseUrl: config.baseUrl ? `${config.baseUrl}/fhir` : undefined,
  });
  await app.register(homeRoutes, { store, database: parts.database });
  await app.register(authRoutes, identity);
  await app.register(accessRoutes, { database: parts.database, clock: parts.clock, store });
  await app.register(usersRoutes, identity);
  await app.register(tasksRoutes, { store });
  // A Task's status moves along its state machine whichever way a user writes it (routes, /fhir, bundles).
  store.guardWrites('Task', taskStatusGuard);
  // Finished encounters make their follow-up tasks (after commit, as the server's own account).
  store.onChange(followUpListener(store, config.timeZone));
  // The live event stream ends with its session or token (checked every config.streamCheckMs).
  const credentials = credentialCheck({ ...identity, intervalMs: config.streamCheckMs });
  await app.register(worklistRoutes, { store, timeZone: config.timeZone, credentials });
  await app.register(careTeamRoutes, { store });
  await app.register(carePlansRoutes, { store, timeZone: config.timeZone });
  await app.register(goalsRoutes, { store });
  // Assessments: /fhir QuestionnaireResponses checked against their Questionnaire; completed ones
  // scored and followed up after commit; /api/assessments and /api/patients/:id/assessments.
  await installAssessments(app, store, config.timeZone);
  await app.register(medicationReconciliationRoutes, { store });
  // Transitions of care: the board, TCM contact attempts and complexity, care-team notifications.
  await app.register(transitionsRoutes, {
    store,
    timeZone: config.timeZone,
    calendar: createBusinessCalendar({ holidays: config.holidays.calendar, extra: config.holidays.extra }),
  });
  // A completed occurrence of a recurring plan activity makes the next one (after commit).
  repeatRecurringActivities(store, config.timeZone, (err) =>
    app.log.error({ err: { message: (err as Error).message } }, 'recurring activity failed'),
  );
  // New results keep Goal.achievementStatus current (after commit, as Device/careloop-goals).
  trackGoalAchievement(store, (err) =>
    app.log.error({ err: { message: (err as Error).message } }, 'goal tracking failed'),
  );
  // HL7 v2 over HTTP and the dead-letter list (the MLLP listener is started by `careloop serve`).
  await app.register(hl7Routes, {
    intake: {
      store,
      handlers: parts.hl7Handlers ?? hl7HandlersFor(config),
      timeZone: config.timeZone,
      clock: parts.clock,
      log: (entry) => app.log.info({ hl7: entry }, 'hl7 message'),
    },
  });
  // Last: the web app answers `/` and, for HTML requests, any path no route above claims.
  await app.register(webRoutes);
  return { app, store };
}
