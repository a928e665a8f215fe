/**
 * The health check. The landing page at `/` is the web app now (web.routes.ts).
 */
import type { FastifyInstance } from 'fastify';
import type { ResourceStore } from '../fhir/store/store.js';
import type { Database } from '../platform/database.js';

/** Registers `/health`. */
export async function homeRoutes(
  app: FastifyInstance,
  options: { store: ResourceStore; database: Database },
): Promise<void> {
  const { database } = options;
  app.get(
    '/health',
    { schema: { summary: 'Liveness and database check', tags: ['operations'] } },
    async () => {
      await database.db.selectFrom('resources').select('id').limit(1).execute();
      return { status: 'ok', database: database.dialect };
    },
  );
}
