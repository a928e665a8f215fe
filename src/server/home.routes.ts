/**
 * The health check. The landing page at `/` is the web app now (web.routes.ts).
 */
import type { FastifyInstance } from 'fastify';
import type { ResourceStore } from '../fhir/store/store.js';
import type { Database } from '../platform/database.js';
import { isDatabaseUnavailable, RETRY_AFTER_SECONDS } from '../platform/database-availability.js';

/** Registers `/health`: 200 while the database answers, 503 (database down) while it does not. */
export async function homeRoutes(
  app: FastifyInstance,
  options: { store: ResourceStore; database: Database },
): Promise<void> {
  const { database } = options;
  app.get(
    '/health',
    { schema: { summary: 'Liveness and database check', tags: ['operations'] } },
    async (_request, reply) => {
      try {
        await database.db.selectFrom('resources').select('id').limit(1).execute();
      } catch (err) {
        if (!isDatabaseUnavailable(err)) throw err;
        // A load balancer takes this process out of rotation until the database is back.
        return reply.code(503).header('retry-after', String(RETRY_AFTER_SECONDS)).send({
          status: 'unavailable',
          database: database.dialect,
          message: 'the database cannot be reached',
        });
      }
      return { status: 'ok', database: database.dialect };
    },
  );
}
