import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearerFor } from '../../../test/support/identity.js';
import { openTestApp, type TestApp } from '../../../test/support/test-app.js';
import { databaseTargets } from '../../../test/support/test-databases.js';
import { seedWorklist } from '../worklists/worklist-fixture.js';

describe.each(databaseTargets)('care teams and caseload ($name)', ({ name, available }) => {
  let t: TestApp;
  const auth: Record<string, string> = {};
  beforeAll(async () => {
    if (!available) return;
    t = await openTestApp(name, { timeZone: 'America/New_York' });
    await seedWorklist(t.store);
    for (const who of ['coord', 'nurse1', 'nurse2'])
      auth[who] = (
        await bearerFor(t.db.database, {
          role: who === 'coord' ? 'care-coordinator' : 'nurse',
          resource: `Practitioner/${who}`,
        })
      ).authorization;
  });
  afterAll(async () => t?.close());

  const as = (who: string, method: 'GET' | 'PUT', url: string, payload?: unknown) =>
    t.app.inject({ method, url, headers: { authorization: auth[who]! }, ...(payload ? { payload } : {}) });

  it.runIf(available)(
    'shows the members by role and the lead (the first case manager when none is marked)',
    async () => {
      const res = await as('coord', 'GET', '/api/patients/pa/care-team');
      expect(res.statusCode, res.body).toBe(200);
      const body = res.json();
      expect(body.careTeam.id).toBe('team-a');
      expect(body.lead).toEqual({ reference: 'Practitioner/coord' });
      expect(
        body.members.map((m: { reference: string; roleCode: string; lead: boolean }) => [
          m.reference,
          m.roleCode,
          m.lead,
        ]),
      ).toEqual([
        ['Practitioner/coord', '768832004', true],
        ['Practitioner/nurse1', '224535009', false],
      ]);
      expect((await as('nurse2', 'GET', '/api/patients/pa/care-team')).statusCode).toBe(404);
    },
  );

  it.runIf(available)(
    'lists the caseload the coordinator leads, with task counts and risk tier',
    async () => {
      const res = await as('coord', 'GET', '/api/caseload');
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json().patients).toEqual([
        // pa: t1 overdue; t2, t3, t4 open (t5 is completed); next due is t2 (23:30 New York tonight).
        {
          id: 'pa',
          name: 'Ana Rivera',
          age: 76,
          openTasks: 4,
          overdueTasks: 1,
          riskTier: 'high',
          nextDue: '2026-12-01T04:30:00.000Z',
        },
        { id: 'pb', name: 'Bo Stone', age: 56, openTasks: 1, overdueTasks: 1 },
      ]);
      expect((await as('nurse1', 'GET', '/api/caseload')).json().patients).toEqual([]);
    },
  );

  it.runIf(available)(
    'rejects roles CareLoop does not offer and a family caregiver who is not a RelatedPerson',
    async () => {
      const bad = await as('coord', 'PUT', '/api/patients/pa/care-team', {
        members: [{ reference: 'Practitioner/coord', role: '999999' }],
      });
      expect(bad.statusCode).toBe(400);
      expect(bad.json().error.message).toContain('members[0].role');
      const family = await as('coord', 'PUT', '/api/patients/pa/care-team', {
        members: [{ reference: 'Practitioner/nurse2', role: '133932002' }],
      });
      expect(family.statusCode).toBe(400);
      const twoLeads = await as('coord', 'PUT', '/api/patients/pa/care-team', {
        members: [
          { reference: 'Practitioner/coord', role: '768832004', lead: true },
          { reference: 'Practitioner/nurse1', role: '224535009', lead: true },
        ],
      });
      expect(twoLeads.statusCode).toBe(400);
    },
  );

  it.runIf(available)('a PUT changes who reaches the patient at once, and the lead', async () => {
    const res = await as('coord', 'PUT', '/api/patients/pa/care-team', {
      members: [
        { reference: 'Practitioner/coord', role: '768832004' },
        { reference: 'Practitioner/nurse2', role: '224535009', lead: true, period: { start: '2026-11-01' } },
      ],
      reason: 'nurse change',
    });
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    expect(body.lead).toEqual({ reference: 'Practitioner/nurse2', display: 'Ife Ode' });
    expect(body.members.find((m: { lead: boolean }) => m.lead).reference).toBe('Practitioner/nurse2');
    // nurse2 now sees pa's tasks; nurse1, off the team, sees none of them.
    const team = async (who: string) =>
      (await as(who, 'GET', '/api/worklist?view=team'))
        .json()
        .items.map((i: { taskId: string }) => i.taskId)
        .sort();
    expect(await team('nurse2')).toEqual(['t1', 't2', 't3', 't4']);
    expect(await team('nurse1')).toEqual([]);
    expect((await as('nurse2', 'GET', '/api/patients/pa/care-team')).statusCode).toBe(200);
    // The coordinator no longer leads pa.
    expect(
      (await as('coord', 'GET', '/api/caseload')).json().patients.map((p: { id: string }) => p.id),
    ).toEqual(['pb']);
    const audit = await t.db.database.db
      .selectFrom('audit_events')
      .select(['action', 'entry'])
      .where('action', '=', 'update')
      .orderBy('seq', 'desc')
      .limit(1)
      .executeTakeFirstOrThrow();
    expect(JSON.parse(audit.entry).detail).toContain('nurse change');
  });
});
