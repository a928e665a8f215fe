/**
 * The demo's hospital stays (what `careloop serve --demo` feeds through the HL7 intake on a fresh
 * database), on SQLite and PostgreSQL: every message is accepted, and the demo coordinator's board
 * shows the discharges with their TCM steps — one step overdue, one readmission flagged on both stays.
 */

import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearerFor } from '../../../test/support/identity.js';
import {
  databaseTargets,
  openTestDatabase,
  type TestDatabase,
} from '../../../test/support/test-databases.js';
import { createDemoUsers } from '../../access/identity/demo-users.js';
import type { ResourceStore } from '../../fhir/store/store.js';
import { loadDemoData } from '../../generator/demo-data.js';
import { hl7HandlersFor } from '../../integrations/hl7/hl7-handlers.js';
import { createHl7Intake } from '../../integrations/hl7/hl7-intake.js';
import { fixedClock } from '../../platform/clock.js';
import { loadConfig } from '../../platform/config.js';
import { buildApp } from '../../server/app.js';
import { feedDemoTransitions } from './demo-transitions.js';
import type { TransitionView } from './transition-view.js';

describe.each(databaseTargets)('demo transitions ($name)', ({ name, available }) => {
  let t: { app: FastifyInstance; store: ResourceStore; db: TestDatabase; close(): Promise<void> };
  let coordinator: string;
  let accepted = 0;

  beforeAll(async () => {
    if (!available) return;
    // As `careloop serve --demo` on a fresh database: the demo users are made before any other user.
    const db = await openTestDatabase(name);
    const config = loadConfig({}, { databaseUrl: db.url, rateLimitPerMinute: 1_000_000 });
    const built = await buildApp(config, {
      database: db.database,
      clock: fixedClock('2026-11-30T12:00:00Z'),
    });
    t = {
      ...built,
      db,
      close: async () => {
        await built.app.close();
        await db.cleanup();
      },
    };
    await loadDemoData(t.store, { patients: 30, now: new Date('2026-11-30T12:00:00Z') });
    const demo = await createDemoUsers(t.db.database, t.store, t.store.options.clock);
    coordinator = demo!.users.find((u) => u.role === 'care-coordinator')!.resource!;
    const intake = createHl7Intake({
      store: t.store,
      handlers: hl7HandlersFor({ holidays: { calendar: 'us-federal', extra: [] } }),
      timeZone: 'America/New_York',
      clock: t.store.options.clock,
    });
    accepted = await feedDemoTransitions(t.store, intake, coordinator);
  }, 120_000);
  afterAll(async () => t?.close());

  it.runIf(available)('feeds every message and fills the coordinator’s transitions board', async () => {
    // 2 + 2 + 4 + 1 + 2 messages for five patients.
    expect(accepted).toBe(11);
    const { authorization } = await bearerFor(t.db.database, {
      role: 'care-coordinator',
      resource: coordinator,
    });
    const res = await t.app.inject({
      method: 'GET',
      url: '/api/transitions?days=30',
      headers: { authorization },
    });
    expect(res.statusCode).toBe(200);
    const board = res.json().transitions as TransitionView[];
    const inpatient = board.filter((x) => x.class === 'IMP');
    // Heart failure yesterday, COPD five days ago, and both pneumonia stays (the second a readmission).
    expect(inpatient).toHaveLength(4);
    for (const x of inpatient)
      expect(x.tasks.map((task) => task.kind).sort()).toEqual([
        'medication-reconciliation',
        'tcm-face-to-face',
        'tcm-interactive-contact',
      ]);
    const contactOverdue = inpatient.filter((x) =>
      x.tasks.some((task) => task.kind === 'tcm-interactive-contact' && task.overdue),
    );
    expect(contactOverdue.length).toBeGreaterThanOrEqual(1);
    expect(
      inpatient
        .filter((x) => x.readmission)
        .map((x) => x.readmission!.role)
        .sort(),
    ).toEqual(['index', 'readmission']);
    // Each discharge's LACE is shown with its four factors (on the transition's page).
    for (const x of inpatient) {
      const one = await t.app.inject({
        method: 'GET',
        url: `/api/transitions/${x.encounterId}`,
        headers: { authorization },
      });
      expect(one.json().transition.risk.lace.factors).toHaveLength(4);
    }
  });
});
