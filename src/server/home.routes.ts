/**
 * The landing page and health check. The coordinator web app replaces the landing page once the
 * sign-in shell lands; until then it shows what is loaded and where the API is.
 */
import type { FastifyInstance } from 'fastify';
import type { ResourceStore } from '../fhir/store/store.js';
import type { Database } from '../platform/database.js';

/** Registers `/` and `/health`. */
export async function homeRoutes(
  app: FastifyInstance,
  options: { store: ResourceStore; database: Database },
): Promise<void> {
  const { database } = options;
  const counts = () =>
    database.db
      .selectFrom('resources')
      .select(['resource_type', (eb) => eb.fn.countAll<number>().as('n')])
      .where('deleted', '=', 0)
      .groupBy('resource_type')
      .orderBy('resource_type')
      .execute();

  app.get(
    '/health',
    { schema: { summary: 'Liveness and database check', tags: ['operations'] } },
    async () => {
      await database.db.selectFrom('resources').select('id').limit(1).execute();
      return { status: 'ok', database: database.dialect };
    },
  );

  app.get('/', { schema: { hide: true } }, async (_request, reply) => {
    const rows = await counts();
    const list = rows
      .map(
        (r) =>
          `<tr><td><a href="/fhir/${r.resource_type}?_count=20">${r.resource_type}</a></td><td>${Number(r.n).toLocaleString('en-US')}</td></tr>`,
      )
      .join('');
    reply.type('text/html; charset=utf-8').send(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>CareLoop</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:52rem;margin:2rem auto;padding:0 1rem;color:#1a1a1a}
table{border-collapse:collapse}td,th{padding:.25rem 1rem .25rem 0;text-align:left}a{color:#0b5394}</style></head>
<body><h1>CareLoop</h1>
<p>Care coordination on a FHIR R4 store (${database.dialect === 'sqlite' ? 'embedded SQLite' : 'PostgreSQL'}).</p>
<ul><li><a href="/fhir/metadata">FHIR CapabilityStatement</a> (base URL <code>/fhir</code>)</li>
<li><a href="/docs">API documentation (OpenAPI)</a></li><li><a href="/health">Health check</a></li></ul>
<h2>Resources stored</h2>
${rows.length ? `<table><thead><tr><th scope="col">Type</th><th scope="col">Count</th></tr></thead><tbody>${list}</tbody></table>` : '<p>The store is empty. Load data with <code>npx careloop import PATH</code>.</p>'}
</body></html>`);
  });
}
