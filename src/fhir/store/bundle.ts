/**
 * Transaction and batch bundles (R4 http.html#transaction). A transaction is atomic: every entry
 * succeeds or nothing is stored, and entries are processed in the spec's order (DELETE, POST,
 * PUT/PATCH, GET) with `urn:uuid:` full URLs and conditional references (`Organization?identifier=x`)
 * replaced by real ids everywhere. A batch processes each entry on its own.
 */
import type { Bundle, BundleEntry, BundleEntryResponse, Resource } from 'fhir/r4.js';
import { isResourceType } from '../definitions.js';
import { badRequest, FhirError, operationOutcome, preconditionFailed } from '../outcome.js';
import { isObject } from '../patch/fhir-patch-operations.js';
import { parseQueryString } from '../search/query-string.js';
import { rewriteReferences } from './references.js';
import type { ResourceStore } from './store.js';
import { isValidId, newId, parseVersion, type Write } from './write.js';

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'HEAD';
const processingOrder: Record<Method, number> = { DELETE: 0, POST: 1, PUT: 2, PATCH: 2, GET: 3, HEAD: 3 };

interface ParsedEntry {
  index: number;
  method: Method;
  resourceType: string;
  id?: string;
  /** Query string of a conditional URL (`Patient?identifier=x`). */
  condition?: string;
  /** A GET's query or an operation path we pass on. */
  url: string;
  entry: BundleEntry;
  ifMatch?: number;
  /** A conditional update that matched nothing and names no id: a create with a server-assigned id. */
  creates?: boolean;
}

export interface BundleOptions {
  baseUrl: string;
}

/** Processes a transaction or batch Bundle and returns the response Bundle. */
export async function processBundle(
  store: ResourceStore,
  bundle: unknown,
  options: BundleOptions,
): Promise<Bundle> {
  const b = bundle as Bundle;
  if (!b || typeof b !== 'object' || b.resourceType !== 'Bundle')
    throw badRequest('expected a Bundle resource', 'resourceType');
  if (b.type !== 'transaction' && b.type !== 'batch')
    throw badRequest(
      `only transaction and batch bundles can be posted to the base URL, not "${b.type}"`,
      'Bundle.type',
      'value',
    );
  const entries = bundleEntries(b.entry).map((e, i) => parseEntry(e, i));
  // A transaction is one audited operation: one entry naming every resource it touched, or (when it
  // fails, whatever failed inside) one failure entry after the rollback. A batch's entries stand
  // alone, and so are audited one by one.
  if (b.type === 'transaction')
    return store.audited(
      'transaction',
      (s) => s.transaction((tx) => processTransaction(tx, entries, options)),
      (response) => ({ resources: touchedBy(response), detail: `transaction of ${entries.length} entries` }),
      { detail: `transaction of ${entries.length} entries` },
    );
  return processBatch(store, entries, options);
}

/** The resources a transaction's response names: written ones by location, read ones by content. */
function touchedBy(response: Bundle): string[] {
  const out = new Set<string>();
  for (const e of response.entry ?? []) {
    const location = e.response?.location?.match(/^([A-Za-z]+\/[A-Za-z0-9\-.]{1,64})/)?.[1];
    if (location) out.add(location);
    const r = e.resource;
    if (r?.resourceType === 'Bundle')
      for (const inner of (r as Bundle).entry ?? [])
        if (inner.resource?.id) out.add(`${inner.resource.resourceType}/${inner.resource.id}`);
    if (r?.id && r.resourceType !== 'Bundle') out.add(`${r.resourceType}/${r.id}`);
  }
  return [...out];
}

/**
 * The entries of a posted Bundle, with the JSON types of what this file reads checked first: the
 * resources themselves are validated when written, but the envelope is read before that, and
 * `"entry": {}` or a numeric `request.url` crashed the request with a 500.
 */
function bundleEntries(entry: unknown): BundleEntry[] {
  if (entry === undefined) return [];
  if (!Array.isArray(entry)) throw wrongType('Bundle.entry', 'an array', entry);
  entry.forEach((e: unknown, i) => {
    const where = `Bundle.entry[${i}]`;
    if (!isObject(e)) throw wrongType(where, 'an object', e);
    expectString(e, 'fullUrl', where);
    if (e.resource !== undefined && !isObject(e.resource))
      throw wrongType(`${where}.resource`, 'a resource (an object)', e.resource);
    if (e.request === undefined) return;
    if (!isObject(e.request)) throw wrongType(`${where}.request`, 'an object', e.request);
    for (const key of ['method', 'url', 'ifNoneMatch', 'ifModifiedSince', 'ifMatch', 'ifNoneExist'])
      expectString(e.request, key, `${where}.request`);
  });
  return entry as BundleEntry[];
}

function expectString(holder: Record<string, unknown>, key: string, where: string): void {
  if (holder[key] !== undefined && typeof holder[key] !== 'string')
    throw wrongType(`${where}.${key}`, 'a string', holder[key]);
}

function wrongType(expression: string, expected: string, got: unknown): FhirError {
  const described = got === null ? 'null' : Array.isArray(got) ? 'an array' : `a ${typeof got}`;
  return badRequest(`${expression} must be ${expected}, but ${described} was given`, expression, 'structure');
}

function parseEntry(entry: BundleEntry, index: number): ParsedEntry {
  const where = `Bundle.entry[${index}]`;
  const request = entry.request;
  if (!request?.method || !request.url)
    throw badRequest('each entry needs request.method and request.url', `${where}.request`, 'required');
  const method = request.method as Method;
  // An own key only: "constructor" or "toString" are in every object.
  if (!Object.hasOwn(processingOrder, method))
    throw badRequest(`unsupported method "${request.method}"`, `${where}.request.method`, 'value');
  const url = request.url.replace(/^\//, '');
  const [path, query] = splitOnce(url, '?');
  const [resourceType, id, ...rest] = path.split('/');
  if (!resourceType || !isResourceType(resourceType))
    throw badRequest(`"${resourceType}" is not a FHIR R4 resource type`, `${where}.request.url`, 'value');
  if (id !== undefined && !isValidId(id))
    throw badRequest(`"${id}" is not a valid id`, `${where}.request.url`, 'value');
  if (['POST', 'PUT'].includes(method)) {
    if (!entry.resource)
      throw badRequest(`${method} entries need a resource`, `${where}.resource`, 'required');
    if (entry.resource.resourceType !== resourceType)
      throw badRequest(
        `resource is a ${entry.resource.resourceType} but the URL names ${resourceType}`,
        `${where}.resource.resourceType`,
        'value',
      );
  }
  if (method !== 'GET' && method !== 'HEAD' && rest.length > 0)
    throw badRequest(
      `${method} entries name Type or Type/id, not "${path}"`,
      `${where}.request.url`,
      'value',
    );
  if (method === 'PUT' && !id && !query)
    throw badRequest('PUT entries need an id or search criteria in the URL', `${where}.request.url`, 'value');
  if ((method === 'DELETE' || method === 'PATCH') && !id)
    throw badRequest(`${method} entries need Type/id in the URL`, `${where}.request.url`, 'not-supported');
  const ifMatch = request.ifMatch ? parseEtag(request.ifMatch, `${where}.request.ifMatch`) : undefined;
  return {
    index,
    method,
    resourceType,
    id: rest.length === 0 ? id : undefined,
    condition: method !== 'GET' && method !== 'HEAD' ? query || undefined : undefined,
    url,
    entry,
    ifMatch,
  };
}

function splitOnce(value: string, separator: string): [string, string] {
  const i = value.indexOf(separator);
  return i < 0 ? [value, ''] : [value.slice(0, i), value.slice(i + 1)];
}

/** Reads a version from an ETag (`W/"3"` or `3`). */
export function parseEtag(value: string, expression = 'If-Match'): number {
  const version = parseVersion(/^(?:W\/)?"?(\d+)"?$/.exec(value.trim())?.[1] ?? '', 0);
  if (version === undefined) throw badRequest(`"${value}" is not a version ETag like W/"3"`, expression);
  return version;
}

async function processTransaction(
  store: ResourceStore,
  entries: ParsedEntry[],
  options: BundleOptions,
): Promise<Bundle> {
  const references = new Map<string, string>(); // fullUrl → Type/id
  const responses: BundleEntryResponse[] = [];
  const resultResources: (Resource | undefined)[] = [];
  const writes: (Write & { index: number })[] = [];
  const matched = new Set<number>(); // conditional creates that found an existing resource

  // 1. Decide every entry's target id, so references between entries can be rewritten first.
  for (const e of entries) {
    const fullUrl = e.entry.fullUrl;
    if (e.method === 'POST') {
      if (e.entry.request?.ifNoneExist) {
        const ifNoneExist = e.entry.request.ifNoneExist;
        const ids = await at(`Bundle.entry[${e.index}].request.ifNoneExist`, () =>
          store.matchIds(e.resourceType, ifNoneExist, 2),
        );
        if (ids.length > 1)
          throw preconditionFailed(
            `ifNoneExist "${e.entry.request.ifNoneExist}" matches more than one ${e.resourceType}`,
            `Bundle.entry[${e.index}].request.ifNoneExist`,
          );
        if (ids.length === 1) {
          e.id = ids[0];
          matched.add(e.index);
        }
      }
      e.id ??= newId();
    } else if (e.method === 'PUT' && e.condition) {
      const condition = e.condition;
      const ids = await at(`Bundle.entry[${e.index}].request.url`, () =>
        store.matchIds(e.resourceType, condition, 2),
      );
      if (ids.length > 1)
        throw preconditionFailed(
          `conditional update "${e.url}" matches more than one resource`,
          `Bundle.entry[${e.index}].request.url`,
        );
      e.id = ids[0] ?? e.entry.resource?.id;
      if (!e.id) {
        e.id = newId();
        e.creates = true;
      }
    }
    if (fullUrl && e.id && (e.method === 'POST' || e.method === 'PUT'))
      references.set(fullUrl, `${e.resourceType}/${e.id}`);
  }

  // 2. Rewrite urn:uuid and conditional references (each distinct condition is searched once).
  const conditional = new Map<string, string>();
  for (const e of entries) {
    const resource = e.entry.resource;
    if (!resource || (e.method !== 'POST' && e.method !== 'PUT')) continue;
    const pending: string[] = [];
    rewriteReferences(resource, (ref) => {
      if (references.has(ref)) return references.get(ref);
      if (ref.startsWith('urn:uuid:') || ref.startsWith('urn:oid:'))
        throw badRequest(
          `reference "${ref}" names no entry of this bundle`,
          `Bundle.entry[${e.index}].resource`,
          'not-found',
        );
      if (/^[A-Z][A-Za-z]+\?/.test(ref) && !conditional.has(ref)) pending.push(ref);
      return undefined;
    });
    for (const ref of pending) {
      const [type, query] = splitOnce(ref, '?');
      if (!isResourceType(type))
        throw badRequest(
          `"${ref}" names an unknown resource type`,
          `Bundle.entry[${e.index}].resource`,
          'value',
        );
      const ids = await at(`Bundle.entry[${e.index}].resource`, () => store.matchIds(type, query, 2));
      if (ids.length !== 1)
        throw new FhirError(ids.length === 0 ? 400 : 412, [
          {
            code: ids.length === 0 ? 'not-found' : 'multiple-matches',
            diagnostics: `conditional reference "${ref}" matches ${ids.length === 0 ? 'no resource' : 'more than one resource'}`,
            expression: `Bundle.entry[${e.index}].resource`,
          },
        ]);
      conditional.set(ref, `${type}/${ids[0]}`);
    }
    if (conditional.size > 0) rewriteReferences(resource, (ref) => conditional.get(ref));
  }

  // 3. Writes in the spec's processing order, as one batch.
  const ordered = [...entries].sort(
    (a, b) => processingOrder[a.method] - processingOrder[b.method] || a.index - b.index,
  );
  for (const e of ordered) {
    const location = `Bundle.entry[${e.index}]`;
    if (e.method === 'DELETE')
      writes.push({
        index: e.index,
        method: 'DELETE',
        resourceType: e.resourceType,
        id: e.id!,
        ifMatch: e.ifMatch,
        location,
      });
    else if (e.method === 'POST' && !matched.has(e.index))
      writes.push({
        index: e.index,
        method: 'POST',
        resourceType: e.resourceType,
        id: e.id!,
        resource: { ...e.entry.resource!, id: e.id },
        location,
      });
    else if (e.method === 'PUT') {
      const resource = e.entry.resource!;
      if (resource.id && resource.id !== e.id && !e.condition)
        throw badRequest(
          `the resource id "${resource.id}" does not match the URL's id "${e.id}"`,
          `${location}.resource.id`,
        );
      writes.push({
        index: e.index,
        // R4: a conditional update that matches nothing creates, so it is written (and checked) as one.
        method: e.creates ? 'POST' : 'PUT',
        resourceType: e.resourceType,
        id: e.id!,
        resource: { ...resource, id: e.id },
        ifMatch: e.ifMatch,
        location,
      });
    }
  }
  // PATCH entries need the current content: run them after the batch of other writes.
  const patchEntries = ordered.filter((e) => e.method === 'PATCH');
  const results = await store.write(writes);
  const byIndex = new Map(writes.map((w, i) => [w.index, results[i]!]));
  for (const e of patchEntries) {
    const kind = e.entry.resource?.resourceType === 'Parameters' ? 'fhir-patch' : 'json-patch';
    const body = kind === 'fhir-patch' ? e.entry.resource : decodeBinaryPatch(e);
    const saved = await store.patch(e.resourceType, e.id!, body, kind, { ifMatch: e.ifMatch });
    resultResources[e.index] = saved.resource;
    responses[e.index] = entryResponse(saved.resource, '200');
  }
  for (const e of entries) {
    const r = byIndex.get(e.index);
    if (r) {
      resultResources[e.index] = r.resource;
      responses[e.index] = r.deleted
        ? { status: '204' }
        : entryResponse(r.resource!, r.created ? '201' : '200');
    } else if (e.method === 'POST' && matched.has(e.index)) {
      const existing = await store.read(e.resourceType, e.id!);
      resultResources[e.index] = existing;
      responses[e.index] = entryResponse(existing, '200');
    }
  }
  for (const e of ordered.filter((x) => x.method === 'GET' || x.method === 'HEAD')) {
    const result = await at(`Bundle.entry[${e.index}].request.url`, () => readEntry(store, e, options));
    resultResources[e.index] = result;
    responses[e.index] = { status: '200' };
  }
  return {
    resourceType: 'Bundle',
    type: 'transaction-response',
    entry: entries.map((e) => ({
      ...(resultResources[e.index]
        ? {
            fullUrl: `${options.baseUrl}/${resultResources[e.index]!.resourceType}/${resultResources[e.index]!.id}`,
            resource: resultResources[e.index],
          }
        : {}),
      response: responses[e.index]!,
    })),
  };
}

/**
 * Runs a search or read that an entry names at `expression`: a query the search refuses (400) is
 * reported at that place in the Bundle, with the parameter it names in the diagnostics.
 */
async function at<T>(expression: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (!(err instanceof FhirError) || err.status !== 400) throw err;
    throw new FhirError(
      400,
      err.issues.map((i) => ({
        ...i,
        diagnostics: i.expression ? `${i.expression}: ${i.diagnostics}` : i.diagnostics,
        expression,
      })),
    );
  }
}

function decodeBinaryPatch(e: ParsedEntry): unknown {
  // JSON Patch inside a bundle travels as a Binary with base64 data (R4 http.html#patch).
  const binary = e.entry.resource as { resourceType?: string; data?: string } | undefined;
  if (binary?.resourceType !== 'Binary' || !binary.data)
    throw badRequest(
      'PATCH entries carry a FHIR Patch Parameters or a JSON Patch as Binary',
      `Bundle.entry[${e.index}].resource`,
    );
  try {
    return JSON.parse(Buffer.from(binary.data, 'base64').toString('utf8'));
  } catch {
    throw badRequest(
      'the Binary of a PATCH entry is not base64 JSON Patch',
      `Bundle.entry[${e.index}].resource.data`,
    );
  }
}

function entryResponse(resource: Resource, status: string): BundleEntryResponse {
  return {
    status,
    location: `${resource.resourceType}/${resource.id}/_history/${resource.meta?.versionId}`,
    etag: `W/"${resource.meta?.versionId}"`,
    lastModified: resource.meta?.lastUpdated,
  };
}

async function readEntry(store: ResourceStore, e: ParsedEntry, options: BundleOptions): Promise<Resource> {
  const [path, query] = splitOnce(e.url, '?');
  const parts = path.split('/');
  if (parts.length === 1) return store.search(e.resourceType, parseQueryString(query), options.baseUrl);
  if (parts.length === 2) return store.read(e.resourceType, parts[1]!);
  if (parts.length === 4 && parts[2] === '_history') return store.vread(e.resourceType, parts[1]!, parts[3]!);
  throw badRequest(`unsupported GET "${e.url}" in a bundle`, `Bundle.entry[${e.index}].request.url`);
}

async function processBatch(
  store: ResourceStore,
  entries: ParsedEntry[],
  options: BundleOptions,
): Promise<Bundle> {
  // Each entry of a batch succeeds or fails on its own (a savepoint each), and the batch commits
  // once: thousands of entries (Synthea's practitioner bundles) cost one commit, not thousands.
  return store.transaction(async (tx) => {
    const out: BundleEntry[] = [];
    for (const e of entries) out.push(await processBatchEntry(tx, e, options));
    return { resourceType: 'Bundle', type: 'batch-response', entry: out };
  });
}

async function processBatchEntry(
  store: ResourceStore,
  e: ParsedEntry,
  options: BundleOptions,
): Promise<BundleEntry> {
  try {
    const response = await store.savepoint((tx) => processTransaction(tx, [{ ...e, index: 0 }], options));
    return response.entry![0]!;
  } catch (err) {
    if (!(err instanceof FhirError)) throw err;
    const here = `Bundle.entry[${e.index}]`;
    const outcome = operationOutcome(
      err.issues.map((i) => ({
        ...i,
        diagnostics: i.diagnostics.replaceAll('Bundle.entry[0]', here),
        expression: i.expression?.replace('Bundle.entry[0]', here),
      })),
    );
    return { response: { status: String(err.status), outcome } };
  }
}
