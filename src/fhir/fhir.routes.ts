/**
 * The FHIR R4 REST API under /fhir (R4 http.html). Handlers only parse the request, call the store,
 * and present the result with the headers the spec asks for (Location, ETag, Last-Modified).
 */

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Bundle, Resource } from 'fhir/r4.js';
import { requireUser } from '../access/identity/authenticate.js';
import { capabilityStatement } from './capability.js';
import { badRequest, operationOutcome } from './outcome.js';
import { wholeNumber } from './search/limits.js';
import { parseQueryString } from './search/query-string.js';
import { parseEtag, processBundle } from './store/bundle.js';
import { patientEverything } from './store/everything.js';
import type { Query, ResourceStore, SaveResult } from './store/store.js';

export { parseQueryString };

export const FHIR_JSON = 'application/fhir+json; charset=utf-8';

export interface FhirRoutesOptions {
  store: ResourceStore;
  version: string;
  /** Configured public base URL of the FHIR API; derived from the request when absent. */
  baseUrl?: string;
}

/** Reads the query string as ordered pairs, keeping repeats (AND) and a literal `+` (as in +01:00). */
export function queryPairs(url: string): Query {
  const i = url.indexOf('?');
  if (i < 0) return [];
  return parseQueryString(url.slice(i + 1));
}

/** Registers the FHIR routes on `app` (mount with prefix /fhir). */
export async function fhirRoutes(app: FastifyInstance, options: FhirRoutesOptions): Promise<void> {
  const { store: serverStore } = options;
  // Every interaction acts as the signed-in user (401 without one): the store decides what they may
  // see and do, and audits it. Only the CapabilityStatement is public.
  const as = (request: FastifyRequest) => serverStore.as(requireUser(request));
  const base = (request: FastifyRequest) => options.baseUrl ?? `${request.protocol}://${request.host}/fhir`;
  const tags = ['FHIR R4'];

  app.get('/metadata', { schema: { tags, summary: 'CapabilityStatement' } }, async (request, reply) =>
    send(
      reply,
      200,
      capabilityStatement({
        baseUrl: base(request),
        version: options.version,
        now: serverStore.options.clock.now(),
      }),
    ),
  );

  app.post('/', { schema: { tags, summary: 'Transaction or batch Bundle' } }, async (request, reply) =>
    send(reply, 200, await processBundle(as(request), request.body, { baseUrl: base(request) })),
  );

  app.get('/_history', { schema: { tags, summary: 'History of all resources' } }, async (request, reply) =>
    send(reply, 200, await as(request).history({}, historyOptions(request, serverStore), base(request))),
  );

  app.get<{ Params: { type: string } }>(
    '/:type',
    { schema: { tags, summary: 'Search' } },
    async (request, reply) =>
      send(reply, 200, await as(request).search(request.params.type, queryPairs(request.url), base(request))),
  );

  app.post<{ Params: { type: string } }>(
    '/:type/_search',
    { schema: { tags, summary: 'Search (form post)' } },
    async (request, reply) => {
      const form = typeof request.body === 'string' ? parseQueryString(request.body) : [];
      return send(
        reply,
        200,
        await as(request).search(request.params.type, [...queryPairs(request.url), ...form], base(request)),
      );
    },
  );

  app.post<{ Params: { type: string } }>(
    '/:type',
    { schema: { tags, summary: 'Create' } },
    async (request, reply) => {
      const resource = bodyResource(request);
      if (resource.resourceType !== request.params.type)
        throw badRequest(
          `resourceType "${resource.resourceType}" does not match the URL's ${request.params.type}`,
          'resourceType',
        );
      const ifNoneExist = header(request, 'if-none-exist');
      const result = await as(request).create(resource, { ifNoneExist: ifNoneExist?.replace(/^.*\?/, '') });
      return saved(request, reply, result, base(request));
    },
  );

  app.put<{ Params: { type: string } }>(
    '/:type',
    { schema: { tags, summary: 'Conditional update' } },
    async (request, reply) => {
      const qs = request.url.includes('?') ? request.url.slice(request.url.indexOf('?') + 1) : '';
      const result = await as(request).conditionalUpdate(request.params.type, qs, bodyResource(request));
      return saved(request, reply, result, base(request));
    },
  );

  app.get<{ Params: { type: string } }>(
    '/:type/_history',
    { schema: { tags, summary: 'Type history' } },
    async (request, reply) =>
      send(
        reply,
        200,
        await as(request).history(
          { resourceType: request.params.type },
          historyOptions(request, serverStore),
          base(request),
        ),
      ),
  );

  app.get<{ Params: { type: string; id: string } }>(
    '/:type/:id',
    { schema: { tags, summary: 'Read' } },
    async (request, reply) => {
      const resource = await as(request).read(request.params.type, request.params.id);
      return withVersionHeaders(reply, resource).code(200).type(FHIR_JSON).send(resource);
    },
  );

  app.put<{ Params: { type: string; id: string } }>(
    '/:type/:id',
    { schema: { tags, summary: 'Update' } },
    async (request, reply) => {
      const ifMatch = header(request, 'if-match');
      const result = await as(request).update(request.params.type, request.params.id, bodyResource(request), {
        ifMatch: ifMatch ? parseEtag(ifMatch) : undefined,
      });
      return saved(request, reply, result, base(request));
    },
  );

  app.patch<{ Params: { type: string; id: string } }>(
    '/:type/:id',
    { schema: { tags, summary: 'Patch (JSON Patch or FHIR Patch)' } },
    async (request, reply) => {
      const contentType = String(request.headers['content-type'] ?? '');
      const kind = contentType.includes('json-patch') ? 'json-patch' : 'fhir-patch';
      if (kind === 'fhir-patch' && (request.body as Resource | undefined)?.resourceType !== 'Parameters')
        throw badRequest(
          'a FHIR Patch body must be a Parameters resource (or send application/json-patch+json)',
          'resourceType',
        );
      const ifMatch = header(request, 'if-match');
      const result = await as(request).patch(request.params.type, request.params.id, request.body, kind, {
        ifMatch: ifMatch ? parseEtag(ifMatch) : undefined,
      });
      return saved(request, reply, result, base(request));
    },
  );

  app.delete<{ Params: { type: string; id: string } }>(
    '/:type/:id',
    { schema: { tags, summary: 'Delete' } },
    async (request, reply) => {
      const ifMatch = header(request, 'if-match');
      await as(request).delete(request.params.type, request.params.id, {
        ifMatch: ifMatch ? parseEtag(ifMatch) : undefined,
      });
      return reply.code(204).send();
    },
  );

  app.get<{ Params: { type: string; id: string } }>(
    '/:type/:id/_history',
    { schema: { tags, summary: 'Instance history' } },
    async (request, reply) =>
      send(
        reply,
        200,
        await as(request).history(
          { resourceType: request.params.type, id: request.params.id },
          historyOptions(request, serverStore),
          base(request),
        ),
      ),
  );

  app.get<{ Params: { type: string; id: string; vid: string } }>(
    '/:type/:id/_history/:vid',
    { schema: { tags, summary: 'Version read' } },
    async (request, reply) => {
      const resource = await as(request).vread(request.params.type, request.params.id, request.params.vid);
      return withVersionHeaders(reply, resource).code(200).type(FHIR_JSON).send(resource);
    },
  );

  app.get<{ Params: { id: string } }>(
    '/Patient/:id/$everything',
    { schema: { tags, summary: 'Patient $everything' } },
    async (request, reply) => {
      const query = queryPairs(request.url);
      const types = query.filter(([k]) => k === '_type').flatMap(([, v]) => v.split(','));
      const since = query.find(([k]) => k === '_since')?.[1];
      return send(
        reply,
        200,
        await patientEverything(as(request), request.params.id, {
          types: types.length ? types : undefined,
          since,
          baseUrl: base(request),
        }),
      );
    },
  );
}

function send(reply: FastifyReply, status: number, body: Resource | Bundle) {
  return reply.code(status).type(FHIR_JSON).send(body);
}

function header(request: FastifyRequest, name: string): string | undefined {
  const v = request.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function bodyResource(request: FastifyRequest): Resource {
  const body = request.body as Resource | undefined;
  if (!body || typeof body !== 'object' || Array.isArray(body))
    throw badRequest('the request body must be a FHIR resource (a JSON object)', 'resourceType', 'structure');
  if (typeof body.resourceType !== 'string')
    throw badRequest('the resource has no resourceType', 'resourceType', 'required');
  return body;
}

function historyOptions(request: FastifyRequest, store: ResourceStore) {
  const query = Object.fromEntries(queryPairs(request.url));
  const count = query._count ? wholeNumber(query._count, '_count', 1) : store.options.defaultPageSize;
  const offset = query._offset ? wholeNumber(query._offset, '_offset', 0) : 0;
  return { count: Math.min(count, store.options.maxPageSize), offset, since: query._since };
}

function withVersionHeaders(reply: FastifyReply, resource: Resource): FastifyReply {
  if (resource.meta?.versionId) reply.header('ETag', `W/"${resource.meta.versionId}"`);
  if (resource.meta?.lastUpdated)
    reply.header('Last-Modified', new Date(resource.meta.lastUpdated).toUTCString());
  return reply;
}

function saved(request: FastifyRequest, reply: FastifyReply, result: SaveResult, baseUrl: string) {
  const { resource, status } = result;
  withVersionHeaders(reply, resource);
  reply.header(
    'Location',
    `${baseUrl}/${resource.resourceType}/${resource.id}/_history/${resource.meta?.versionId}`,
  );
  const prefer = header(request, 'prefer') ?? '';
  if (prefer.includes('return=minimal')) return reply.code(status).send();
  if (prefer.includes('return=OperationOutcome'))
    return send(
      reply,
      status,
      operationOutcome([
        {
          code: 'informational',
          severity: 'information',
          diagnostics: `${resource.resourceType}/${resource.id} saved`,
        },
      ]),
    );
  return send(reply, status, resource);
}
