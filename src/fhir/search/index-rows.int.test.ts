/**
 * Index rows through the store, on both databases: what a search finds because of how a parameter's
 * values are extracted (index-rows.ts).
 */
import { describe, expect, it } from 'vitest';
import { buildPatient } from '../../../test/support/factories.js';
import { matches, put, seededStore } from '../../../test/support/search-helpers.js';
import { databaseTargets } from '../../../test/support/test-databases.js';

describe.each(databaseTargets)('index rows on $name', (target) => {
  const run = it.runIf(target.available);
  const ctx = seededStore(target, (store) =>
    put(store, [
      buildPatient({ id: 'no-deceased-element' }),
      buildPatient({ id: 'deceased-false', deceasedBoolean: false }),
      buildPatient({ id: 'deceased-true', deceasedBoolean: true }),
      buildPatient({ id: 'deceased-date', deceasedDateTime: '2026-02-01' }),
    ]),
  );

  run(
    'finds a patient without deceased[x] with deceased=false (R4: deceased.exists() and deceased != false)',
    async () => {
      expect(await matches(ctx.store, 'Patient', 'deceased=false')).toEqual([
        'deceased-false',
        'no-deceased-element',
      ]);
      expect(await matches(ctx.store, 'Patient', 'deceased=true')).toEqual([
        'deceased-date',
        'deceased-true',
      ]);
      expect(await matches(ctx.store, 'Patient', 'deceased:missing=true')).toEqual([]);
    },
  );
});
