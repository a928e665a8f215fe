/**
 * Paging through a search by following its `next` links, as a client does: every match comes back
 * exactly once and nothing else does, in the default order (keyset by id), in an explicit `_sort`
 * (offset), and while new resources are being written between pages.
 */
import { randomUUID } from 'node:crypto';
import type { Bundle, Observation } from 'fhir/r4.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildObservation, buildPatient } from '../../../test/support/factories.js';
import {
  databaseTargets,
  openTestDatabase,
  type TestDatabase,
  testStore,
} from '../../../test/support/test-databases.js';
import { parseQueryString } from '../fhir.routes.js';
import type { Query, ResourceStore } from '../store/store.js';
import type { Write } from '../store/write.js';

const BASE = 'http://careloop.test/fhir';
const MATCHES = 137;
const PAGE = 10;
const WEIGHT = { system: 'http://loinc.org', code: '29463-7', display: 'Body weight' };

function weight(patientId: string, day: number): Observation {
  return buildObservation(patientId, {
    code: { coding: [WEIGHT] },
    // Several observations share each day, so the sort needs its tie-breaker to be stable.
    effectiveDateTime: new Date(Date.UTC(2026, 0, 1 + Math.floor(day / 3))).toISOString(),
    valueQuantity: { value: 70 + (day % 10), unit: 'kg', system: 'http://unitsofmeasure.org', code: 'kg' },
  });
}

interface Walk {
  ids: string[];
  pages: Bundle[];
}

/** Follows `next` links from `Type?query` to the end, calling `between` after each page. */
async function walk(
  store: ResourceStore,
  resourceType: string,
  query: Query,
  between: (page: number) => Promise<void> = async () => {},
): Promise<Walk> {
  const ids: string[] = [];
  const pages: Bundle[] = [];
  let next: Query | undefined = query;
  while (next) {
    const bundle = await store.search(resourceType, next, BASE);
    pages.push(bundle);
    for (const e of bundle.entry ?? []) if (e.search?.mode === 'match') ids.push(e.resource!.id!);
    const link = bundle.link?.find((l) => l.relation === 'next')?.url;
    expect(link === undefined || link.startsWith(`${BASE}/${resourceType}?`)).toBe(true);
    next = link ? parseQueryString(new URL(link).search.slice(1)) : undefined;
    if (pages.length > 100) throw new Error('the next links do not end');
    if (next) await between(pages.length);
  }
  return { ids, pages };
}

function duplicates(ids: string[]): string[] {
  return ids.filter((id, i) => ids.indexOf(id) !== i);
}

describe.each(databaseTargets)('paging through search results on $name', ({ name, available }) => {
  const run = it.runIf(available);
  let db: TestDatabase;
  let store: ResourceStore;
  const matchIds: string[] = [];

  beforeAll(async () => {
    if (!available) return;
    db = await openTestDatabase(name);
    store = testStore(db.database);
    const writes: Write[] = [
      { method: 'PUT', resourceType: 'Patient', id: 'weighed', resource: buildPatient() },
      { method: 'PUT', resourceType: 'Patient', id: 'other', resource: buildPatient() },
    ];
    for (let day = 0; day < MATCHES; day++) {
      const id = randomUUID();
      matchIds.push(id);
      writes.push({ method: 'PUT', resourceType: 'Observation', id, resource: weight('weighed', day) });
    }
    // Non-matches of both kinds: the same code for another patient, and another code for this one.
    for (let i = 0; i < 25; i++) {
      writes.push({
        method: 'PUT',
        resourceType: 'Observation',
        id: randomUUID(),
        resource: weight('other', i),
      });
      writes.push({
        method: 'PUT',
        resourceType: 'Observation',
        id: randomUUID(),
        resource: buildObservation('weighed'),
      });
    }
    await store.write(writes);
  });
  afterAll(async () => db?.cleanup());

  const query: Query = [
    ['subject', 'Patient/weighed'],
    ['code', `${WEIGHT.system}|${WEIGHT.code}`],
    ['_count', String(PAGE)],
  ];

  run(
    'in the default order, _offset pages by position too (a caller paging by offset is not stuck on page one)',
    async () => {
      const sorted = [...matchIds].sort();
      const ids: string[] = [];
      for (let offset = 0; offset < MATCHES + PAGE; offset += PAGE) {
        const bundle = await store.search('Observation', [...query, ['_offset', String(offset)]], BASE);
        const page = (bundle.entry ?? []).map((e) => e.resource!.id!);
        ids.push(...page);
        if (page.length < PAGE) break;
      }
      expect(ids).toEqual(sorted);
    },
  );

  run('in the default order, the next links return every match exactly once and nothing else', async () => {
    const { ids, pages } = await walk(store, 'Observation', query);
    expect(duplicates(ids)).toEqual([]);
    expect([...ids].sort()).toEqual([...matchIds].sort());
    expect(pages).toHaveLength(Math.ceil(MATCHES / PAGE));
    expect(pages.every((p) => p.total === MATCHES)).toBe(true);
    expect(pages.slice(0, -1).every((p) => p.entry?.length === PAGE)).toBe(true);
    // The default order is by id, so the walk sees ids ascending across pages.
    expect(ids).toEqual([...ids].sort());
  });

  run('the next link carries the criteria and a cursor, and the last page has none', async () => {
    const first = await store.search('Observation', query, BASE);
    const next = new URL(first.link!.find((l) => l.relation === 'next')!.url);
    expect(next.searchParams.get('subject')).toBe('Patient/weighed');
    expect(next.searchParams.get('code')).toBe(`${WEIGHT.system}|${WEIGHT.code}`);
    expect(next.searchParams.get('_count')).toBe(String(PAGE));
    expect(next.searchParams.get('_after')).toBe(first.entry!.at(-1)!.resource!.id);
    const { pages } = await walk(store, 'Observation', query);
    expect(pages.at(-1)!.link?.some((l) => l.relation === 'next')).toBe(false);
    expect(pages.at(-1)!.entry).toHaveLength(MATCHES % PAGE);
  });

  run('sorted by -date, offset paging returns every match once, newest first', async () => {
    const { ids, pages } = await walk(store, 'Observation', [...query, ['_sort', '-date']]);
    expect(duplicates(ids)).toEqual([]);
    expect([...ids].sort()).toEqual([...matchIds].sort());
    const dates = pages.flatMap((p) =>
      (p.entry ?? []).map((e) => (e.resource as Observation).effectiveDateTime!),
    );
    expect(dates).toEqual([...dates].sort().reverse());
    const second = pages[1]!;
    expect(second.link?.find((l) => l.relation === 'previous')?.url).toContain('_offset=0');
    expect(second.link?.find((l) => l.relation === 'next')?.url).toContain(`_offset=${2 * PAGE}`);
  });

  run('sorted by date ascending with a tie-breaker, pages neither repeat nor skip', async () => {
    const { ids } = await walk(store, 'Observation', [...query, ['_sort', 'date,value-quantity']]);
    expect(duplicates(ids)).toEqual([]);
    expect(ids).toHaveLength(MATCHES);
  });

  run('criteria with spaces and + signs survive the next link', async () => {
    // Both patients are named Ana Lucia Rivera; the + is a time-zone offset in a date.
    const { ids } = await walk(store, 'Patient', [
      ['name', 'ana lucia'],
      ['_lastUpdated', 'le2026-11-30T13:00:00+01:00'],
      ['_count', '1'],
    ]);
    expect(ids.sort()).toEqual(['other', 'weighed']);
  });

  run('resources written between pages do not make an original match repeat or go missing', async () => {
    const added: string[] = [];
    const { ids } = await walk(store, 'Observation', query, async () => {
      // Random ids land both before and after the cursor.
      const writes = Array.from({ length: 4 }, () => {
        const id = randomUUID();
        added.push(id);
        return { method: 'PUT' as const, resourceType: 'Observation', id, resource: weight('weighed', 5) };
      });
      await store.write(writes);
    });
    expect(duplicates(ids)).toEqual([]);
    for (const id of matchIds) expect(ids.filter((x) => x === id)).toHaveLength(1);
    // Anything else the walk returned is one of the resources added during it.
    expect(ids.filter((id) => !matchIds.includes(id)).every((id) => added.includes(id))).toBe(true);
    expect(added.length).toBeGreaterThan(0);
  });
});
