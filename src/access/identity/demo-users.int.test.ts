import type { CareTeam, Consent, ServiceRequest, Task } from 'fhir/r4.js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  databaseTargets,
  openTestDatabase,
  type TestDatabase,
  testStore,
} from '../../../test/support/test-databases.js';
import type { ResourceStore } from '../../fhir/store/store.js';
import { loadDemoData } from '../../generator/demo-data.js';
import { fixedClock } from '../../platform/clock.js';
import { roles } from '../access-context.js';
import { createDemoUsers, DEMO_PASSWORD } from './demo-users.js';
import { verifyPassword } from './passwords.js';

const clock = fixedClock('2026-11-30T12:00:00Z');

describe.each(databaseTargets)('demo users on $name', ({ name, available }) => {
  let db: TestDatabase;
  let store: ResourceStore;
  beforeAll(async () => {
    if (!available) return;
    db = await openTestDatabase(name);
    store = testStore(db.database, { clock });
    await loadDemoData(store, { patients: 40, seed: 'demo-users', now: clock.now() });
  });
  afterAll(async () => db?.cleanup());
  afterEach(() => {
    delete process.env.NODE_ENV;
  });

  it.runIf(available)('refuses to create demo users under NODE_ENV=production', async () => {
    process.env.NODE_ENV = 'production';
    await expect(createDemoUsers(db.database, store, clock)).rejects.toThrow(
      'demo users are not created when NODE_ENV=production',
    );
    expect(await db.database.db.selectFrom('users').select('id').execute()).toEqual([]);
  });

  it.runIf(available)('creates one user per role, linked to the demo population, once', async () => {
    const created = await createDemoUsers(db.database, store, clock);
    expect(created?.password).toBe(DEMO_PASSWORD);
    expect(created!.users.map((u) => u.role).sort()).toEqual([...roles].sort());
    const byRole = Object.fromEntries(created!.users.map((u) => [u.role, u]));
    expect(byRole['care-coordinator'].email).toBe('coordinator@demo.careloop.org');
    expect(byRole['community-health-worker'].email).toBe('chw@demo.careloop.org');
    expect(byRole.integration.resource).toBeUndefined();
    expect(byRole.caregiver.resource).toMatch(/^RelatedPerson\//);
    expect(byRole['community-organization'].resource).toMatch(/^PractitionerRole\//);

    // The coordinator is on the most active care teams as case manager; the patient is one of theirs.
    const teams = await store.search(
      'CareTeam',
      [
        ['participant', byRole['care-coordinator'].resource!],
        ['status', 'active'],
        ['_count', '1000'],
      ],
      'urn:test',
    );
    expect(teams.entry?.length).toBeGreaterThan(0);
    const subjects = teams.entry!.map((e) => (e.resource as CareTeam).subject?.reference);
    expect(subjects).toContain(byRole.patient.resource);

    const consent = (await store.search('Consent', [['patient', byRole.patient.resource!]], 'urn:test'))
      .entry![0].resource as Consent;
    expect(consent.status).toBe('active');
    expect(consent.provision?.actor?.[0].reference.reference).toBe(byRole.caregiver.resource);
    const tasks = await store.search(
      'Task',
      [
        ['status', 'requested'],
        ['code', 'fulfill'],
      ],
      'urn:test',
    );
    expect(tasks.entry).toHaveLength(3);
    const task = tasks.entry![0].resource as Task;
    expect(task.requester?.reference).toBe(byRole['care-coordinator'].resource);
    const referral = (await store.read(
      'ServiceRequest',
      task.focus!.reference!.split('/')[1],
    )) as ServiceRequest;
    expect(referral.performer?.[0].reference).toBe(task.owner?.reference);

    const stored = await db.database.db
      .selectFrom('users')
      .selectAll()
      .where('role', '=', 'nurse')
      .executeTakeFirstOrThrow();
    expect(await verifyPassword(stored.password_hash!, DEMO_PASSWORD)).toBe(true);
    expect(await createDemoUsers(db.database, store, clock)).toBeUndefined();
    expect(await db.database.db.selectFrom('users').select('id').execute()).toHaveLength(roles.length);
  });
});
