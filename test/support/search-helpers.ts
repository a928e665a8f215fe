/** Helpers shared by the search and store suites: seeded stores per describe block, searching as the API does. */
import type { Bundle, Resource } from 'fhir/r4.js';
import { afterAll, beforeAll } from 'vitest';
import { parseQueryString } from '../../src/fhir/fhir.routes.js';
import { FhirError } from '../../src/fhir/outcome.js';
import type { ResourceStore } from '../../src/fhir/store/store.js';
import { openTestDatabase, type TestDatabase, type TestDatabaseTarget, testStore } from './test-databases.js';

/** The base URL tests search under. */
export const BASE = 'http://careloop.test/fhir';

/** A fresh database for one describe block, seeded once in beforeAll. */
export function seededStore(
  target: TestDatabaseTarget,
  seed: (store: ResourceStore) => Promise<void>,
  options: Parameters<typeof testStore>[1] = {},
): { store: ResourceStore } {
  const ctx = {} as { store: ResourceStore; db?: TestDatabase };
  beforeAll(async () => {
    if (!target.available) return;
    ctx.db = await openTestDatabase(target.name);
    ctx.store = testStore(ctx.db.database, options);
    await seed(ctx.store);
  });
  afterAll(async () => ctx.db?.cleanup());
  return ctx;
}

/** Writes resources with their own ids (PUT), in one transaction. */
export async function put(store: ResourceStore, resources: Resource[]): Promise<void> {
  await store.write(
    resources.map((resource) => ({
      method: 'PUT' as const,
      resourceType: resource.resourceType,
      id: resource.id!,
      resource,
    })),
  );
}

/** `Type?query` as the REST API parses the query string. */
export function search(store: ResourceStore, resourceType: string, query: string): Promise<Bundle> {
  return store.search(resourceType, parseQueryString(query), BASE);
}

/** Ids of the matches (not the includes) in the order the server returned them. */
export function matchIds(bundle: Bundle): string[] {
  return (bundle.entry ?? []).filter((e) => e.search?.mode === 'match').map((e) => e.resource!.id!);
}

/** Ids of the matches of `Type?query`, sorted. */
export async function matches(store: ResourceStore, resourceType: string, query: string): Promise<string[]> {
  return matchIds(await search(store, resourceType, query)).sort();
}

/** The FhirError a call fails with (and a test failure when it succeeds or throws something else). */
export async function failure(promise: Promise<unknown>): Promise<FhirError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof FhirError) return err;
    throw err;
  }
  throw new Error('expected the call to fail');
}
