/**
 * The FHIR R4 REST API under /fhir (R4 http.html). Handlers only parse the request, call the store,
 * and present the result with the headers the spec asks for (Location, ETag, Last-Modified).
 */

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Bundle, Resource } from 'fhir/r4.js';
import { requireUser } from '../access/identity/authenticate.js';
import type { RouteAccess } from '../access/identity/write-scopes.js';
import { capabilityStatement } from './capability.js';
import { isResourceType } from './definitions.js';
import { badRequest, notFound, notSupported, operationOutcome } from './outcome.js';
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

/**
 * The resource types a transaction or batch Bundle writes (its entries other than GET and HEAD), for
 * the scope gate: the type its URL names, else its resource's; `*` when neither says (or the body is
 * no Bundle), so that only a token that may write anything gets past the gate to be told why.
 */
export function bundleWriteTypes(body: unknown): string[] {
  const entries = (body as Bundle | undefined)?.entry;
  if (!Array.isArray(entries)) return ['*'];
  const types = new Set<string>();
  for (const entry of entries) {
    const method = entry?.request?.method;
    if (method === 'GET' || method === 'HEAD') continue;
    const named = String(entry?.request?.url ?? '')
      .replace(/^\//, '')
      .split(/[/?]/)[0];
    const type = named && isResourceType(named) ? named : entry?.resource?.resourceType;
    types.add(type && isResourceType(type) ? type : '*');
  }
  return [...types];
}

/** Writes the resource type the path names (`/fhir/:type`, `/fhir/:type/:id`). */
const writesPathType: { access: RouteAccess } = {
  access: { writes: (request) => [(request.params as { type: string }).type] },
};

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

  app.post(
    '/',
    {
      schema: { tags, summary: 'Transaction or batch Bundle' },
      // A token needs write scope for every type the Bundle writes: each entry of a transaction, and
      // a batch too (refused whole rather than entry by entry).
      config: { access: { writes: (request) => bundleWriteTypes(request.body) } },
    },
    async (request, reply) =>
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
    { schema: { tags, summary: 'Search (form post)' }, config: { access: { readOnly: true } } },
    async (request, reply) =>
      send(reply, 200, await as(request).search(request.params.type, postedQuery(request), base(request))),
  );

  app.post<{ Params: { type: string } }>(
    '/:type',
    { schema: { tags, summary: 'Create' }, config: writesPathType },
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
    { schema: { tags, summary: 'Conditional update' }, config: writesPathType },
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
    { schema: { tags, summary: 'Update' }, config: writesPathType },
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
    { schema: { tags, summary: 'Patch (JSON Patch or FHIR Patch)' }, config: writesPathType },
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
    { schema: { tags, summary: 'Delete' }, config: writesPathType },
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

  // Compartment search (R4 http.html#search, compartmentdefinition.html): `Patient/{id}/{type}`. Static
  // segments win (`_history`, `$everything`), so these see only a type in the third place.
  app.get<{ Params: CompartmentParams }>(
    '/:type/:id/:target',
    { schema: { tags, summary: 'Compartment search' } },
    async (request, reply) =>
      send(
        reply,
        200,
        await compartmentSearch(as(request), request.params, queryPairs(request.url), base(request)),
      ),
  );

  app.post<{ Params: CompartmentParams }>(
    '/:type/:id/:target/_search',
    { schema: { tags, summary: 'Compartment search (form post)' }, config: { access: { readOnly: true } } },
    async (request, reply) =>
      send(
        reply,
        200,
        await compartmentSearch(as(request), request.params, postedQuery(request), base(request)),
      ),
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

/** A `_search` form post's query: the URL's parameters and the form body's (R4 http.html#search). */
function postedQuery(request: FastifyRequest): Query {
  const form = typeof request.body === 'string' ? parseQueryString(request.body) : [];
  return [...queryPairs(request.url), ...form];
}

interface CompartmentParams {
  type: string;
  id: string;
  target: string;
}

/** `GET /fhir/Patient/{id}/{type}`: the Patient compartment is the one CareLoop defines searches for. */
function compartmentSearch(store: ResourceStore, params: CompartmentParams, query: Query, baseUrl: string) {
  if (params.type !== 'Patient')
    throw notFound(
      `compartment search is supported for the Patient compartment only, not ${params.type}/${params.id}/${params.target}`,
    );
  if (params.target === '*')
    throw notSupported(
      `Patient/${params.id}/* (every type of the compartment) is not supported; name a type, or use Patient/${params.id}/$everything`,
    );
  return store.search(params.target, query, baseUrl, { patientId: params.id });
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
