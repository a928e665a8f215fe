/**
 * The task workflow over HTTP on both databases: the state machine (every move of the table, allowed
 * and refused), claiming, reassignment and its audit entry, notes and history, and access (a nurse
 * off the patient's care team sees nothing and changes nothing).
 */
import type { Task } from 'fhir/r4.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildCareTeam,
  buildPatient,
  buildPractitioner,
  buildTask,
} from '../../../test/support/factories.js';
import { bearerFor } from '../../../test/support/identity.js';
import { openTestApp, type TestApp } from '../../../test/support/test-app.js';
import { databaseTargets } from '../../../test/support/test-databases.js';
import type { AuditEntry } from '../../access/audit/audit-trail.js';
import { roleCodes, taskStatuses, taskTransitions } from './tasks.rules.js';

const snomed = (code: string) => ({ coding: [{ system: 'http://snomed.info/sct', code }] });

describe.each(databaseTargets)('task workflow ($name)', ({ name, available }) => {
  let t: TestApp;
  const as: Record<string, string> = {};

  beforeAll(async () => {
    if (!available) return;
    t = await openTestApp(name);
    const s = t.store;
    for (const id of ['pr-coord', 'pr-nurse', 'pr-nurse2', 'pr-out', 'pr-doc'])
      await s.update('Practitioner', id, { ...buildPractitioner({ name: [{ family: id }] }), id });
    await s.update('Patient', 'p1', { ...buildPatient(), id: 'p1' });
    await s.update('CareTeam', 'ct1', {
      ...buildCareTeam('p1', []),
      id: 'ct1',
      participant: [
        { role: [snomed('768832004')], member: { reference: 'Practitioner/pr-coord' } },
        { role: [snomed('224535009')], member: { reference: 'Practitioner/pr-nurse' } },
        { role: [snomed('446050000')], member: { reference: 'Practitioner/pr-doc' } },
      ],
    });
    // pr-nurse2 reaches p1 through an assignment-free route: the patient's second team, of which ct1 is not.
    await s.update('CareTeam', 'ct2', { ...buildCareTeam('p1', ['Practitioner/pr-nurse2']), id: 'ct2' });
    const token = async (role: Parameters<typeof bearerFor>[1]['role'], resource: string) =>
      (await bearerFor(t.db.database, { role, resource })).authorization;
    as.coord = await token('care-coordinator', 'Practitioner/pr-coord');
    as.nurse = await token('nurse', 'Practitioner/pr-nurse');
    as.nurse2 = await token('nurse', 'Practitioner/pr-nurse2');
    as.outsider = await token('nurse', 'Practitioner/pr-out');
  }, 60_000);
  afterAll(async () => t?.close());

  const req = (who: string, method: 'GET' | 'POST', url: string, payload?: object) =>
    t.app.inject({ method, url, headers: { authorization: as[who]! }, ...(payload ? { payload } : {}) });
  const putTask = async (id: string, overrides: Partial<Task> = {}) =>
    (await t.store.update('Task', id, { ...buildTask('p1', overrides), id })).resource as Task;
  const lastAudit = async (): Promise<AuditEntry> => {
    const row = await t.db.database.db
      .selectFrom('audit_events')
      .select('entry')
      .orderBy('seq', 'desc')
      .limit(1)
      .executeTakeFirstOrThrow();
    return JSON.parse(row.entry) as AuditEntry;
  };

  for (const from of taskStatuses) {
    it.runIf(available)(
      `allows exactly the table's moves from ${from} and refuses the rest with 409`,
      async () => {
        for (const to of taskStatuses) {
          const id = `tr-${from}-${to}`;
          await putTask(id, { status: from });
          const res = await req('coord', 'POST', `/api/tasks/${id}/transition`, { to, reason: 'per plan' });
          if (taskTransitions[from].includes(to)) {
            expect(res.statusCode, `${from} → ${to}`).toBe(200);
            expect(res.json().task.status).toBe(to);
            expect(res.json().allowedTransitions).toEqual([...taskTransitions[to]]);
          } else {
            expect(res.statusCode, `${from} → ${to}`).toBe(409);
            expect(res.json().error).toMatchObject({
              code: 'conflict',
              details: { from, to, allowed: [...taskTransitions[from]] },
            });
            const stored = (await t.store.read('Task', id)) as Task;
            expect(stored.status).toBe(from);
          }
        }
      },
    );
  }

  it.runIf(available)(
    'asks for a reason when a task is cancelled, and changes nothing without one',
    async () => {
      await putTask('t-reason');
      const res = await req('coord', 'POST', '/api/tasks/t-reason/transition', { to: 'cancelled' });
      expect(res.statusCode).toBe(400);
      expect(((await t.store.read('Task', 't-reason')) as Task).status).toBe('requested');
    },
  );

  it.runIf(available)(
    'creates a task for a patient with due date, priority, reason, owner role',
    async () => {
      const res = await req('coord', 'POST', '/api/tasks', {
        patientId: 'p1',
        title: 'Call about glucose log',
        priority: 'urgent',
        dueAt: '2026-12-02T17:00:00Z',
        ownerRole: 'nurse',
        owner: 'CareTeam/ct1',
        reason: 'A1c rising',
      });
      expect(res.statusCode).toBe(201);
      const task = res.json().task as Task;
      expect(task).toMatchObject({
        status: 'requested',
        priority: 'urgent',
        code: { text: 'Call about glucose log' },
        for: { reference: 'Patient/p1' },
        owner: { reference: 'CareTeam/ct1' },
        requester: { reference: 'Practitioner/pr-coord' },
        restriction: { period: { end: '2026-12-02T17:00:00.000Z' } },
        reasonCode: { text: 'A1c rising' },
      });
      expect(task.performerType?.[0]?.coding?.[0]?.code).toBe(roleCodes.nurse!.code);
    },
  );

  it.runIf(available)(
    'holds a FHIR PUT or PATCH of a Task by a user to the state machine (409), while the server may load history',
    async () => {
      const task = await putTask('fhir-guarded', { status: 'requested' });
      const put = await t.app.inject({
        method: 'PUT',
        url: '/fhir/Task/fhir-guarded',
        headers: { authorization: as.coord! },
        payload: { ...task, status: 'completed' },
      });
      expect(put.statusCode).toBe(409);
      expect(put.json().resourceType).toBe('OperationOutcome');
      expect(put.json().issue[0].diagnostics).toBe(
        'a task cannot move from requested to completed; allowed: ' +
          (await import('./tasks.rules.js')).allowedTransitions('requested').join(', '),
      );
      const patch = await t.app.inject({
        method: 'PATCH',
        url: '/fhir/Task/fhir-guarded',
        headers: { authorization: as.coord!, 'content-type': 'application/json-patch+json' },
        payload: [{ op: 'replace', path: '/status', value: 'completed' }],
      });
      expect(patch.statusCode).toBe(409);
      const allowed = await t.app.inject({
        method: 'PUT',
        url: '/fhir/Task/fhir-guarded',
        headers: { authorization: as.coord! },
        payload: { ...task, status: 'accepted' },
      });
      expect(allowed.statusCode).toBe(200);
      // The server's own write (an import of a finished task's history) is not a move by a user.
      await t.store.update('Task', 'fhir-guarded', { ...task, status: 'completed' });
    },
  );

  it.runIf(available)('rejects a task without a due time with 400 naming the field', async () => {
    const res = await req('coord', 'POST', '/api/tasks', { patientId: 'p1', title: 'x' });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.message).toContain('dueAt');
  });

  it.runIf(available)('lets a nurse on the team claim a task for nurses owned by the team', async () => {
    await putTask('t-claim', { owner: { reference: 'CareTeam/ct1' }, performerType: [snomed('224535009')] });
    const res = await req('nurse', 'POST', '/api/tasks/t-claim/claim');
    expect(res.statusCode).toBe(200);
    expect(res.json().task).toMatchObject({
      owner: { reference: 'Practitioner/pr-nurse' },
      status: 'accepted',
    });
    expect(await lastAudit()).toMatchObject({
      action: 'claim',
      outcome: 'success',
      actor: 'Practitioner/pr-nurse',
      detail: 'owner CareTeam/ct1 → Practitioner/pr-nurse',
    });
  });

  it.runIf(available)(
    'refuses a claim by the wrong role (403), off the team (403) or out of reach (404)',
    async () => {
      await putTask('t-claim2', {
        owner: { reference: 'CareTeam/ct1' },
        performerType: [snomed('224535009')],
      });
      expect((await req('coord', 'POST', '/api/tasks/t-claim2/claim')).statusCode).toBe(403);
      // pr-nurse2 sees p1 (on ct2) but is not on ct1, which owns the task.
      expect((await req('nurse2', 'POST', '/api/tasks/t-claim2/claim')).statusCode).toBe(403);
      expect((await req('outsider', 'POST', '/api/tasks/t-claim2/claim')).statusCode).toBe(404);
      const stored = (await t.store.read('Task', 't-claim2')) as Task;
      expect(stored.owner?.reference).toBe('CareTeam/ct1');
    },
  );

  it.runIf(available)(
    "lets staff claim a task owned by an organization one of their roles is in, as the worklist's claimable view offers it",
    async () => {
      await t.store.update('Organization', 'org-clinic', {
        resourceType: 'Organization',
        id: 'org-clinic',
        name: 'Eastside clinic',
      });
      // pr-nurse2 signs in as the Practitioner; her role at the clinic makes it one of her organizations.
      await t.store.update('PractitionerRole', 'role-nurse2', {
        resourceType: 'PractitionerRole',
        id: 'role-nurse2',
        practitioner: { reference: 'Practitioner/pr-nurse2' },
        organization: { reference: 'Organization/org-clinic' },
      });
      await putTask('t-org', { owner: { reference: 'Organization/org-clinic' }, priority: 'stat' });
      const claimable = await req('nurse2', 'GET', '/api/worklist?view=claimable&priority=stat');
      expect(claimable.json().items.map((i: { taskId: string }) => i.taskId)).toContain('t-org');
      const refused = await req('nurse', 'POST', '/api/tasks/t-org/claim');
      expect(refused.statusCode).toBe(403);
      expect(refused.body).toContain('you do not belong to Organization/org-clinic');
      const claimed = await req('nurse2', 'POST', '/api/tasks/t-org/claim');
      expect(claimed.statusCode, claimed.body).toBe(200);
      expect(claimed.json().task.owner).toEqual({ reference: 'Practitioner/pr-nurse2' });
    },
  );

  it.runIf(available)(
    "lets only the patient's care team claim a task that names no owner or role, as the claimable view offers it",
    async () => {
      // p2's general practitioner (pr-out) sees p2's tasks but is not on p2's care team (pr-nurse is).
      await t.store.update('Patient', 'p2', {
        ...buildPatient({ generalPractitioner: [{ reference: 'Practitioner/pr-out' }] }),
        id: 'p2',
      });
      await t.store.update('CareTeam', 'ct3', {
        ...buildCareTeam('p2', ['Practitioner/pr-nurse']),
        id: 'ct3',
      });
      await t.store.update('Task', 't-open', { ...buildTask('p2', { priority: 'stat' }), id: 't-open' });
      const offered = async (who: string) =>
        (await req(who, 'GET', '/api/worklist?view=claimable&priority=stat&patient=p2'))
          .json()
          .items.map((i: { taskId: string }) => i.taskId);
      expect(await offered('outsider')).toEqual([]);
      expect(await offered('nurse')).toEqual(['t-open']);
      const refused = await req('outsider', 'POST', '/api/tasks/t-open/claim');
      expect(refused.statusCode).toBe(403);
      expect(refused.body).toContain("it is for the patient's care team, and you are not on it");
      const claimed = await req('nurse', 'POST', '/api/tasks/t-open/claim');
      expect(claimed.statusCode, claimed.body).toBe(200);
      expect(claimed.json().task.owner).toEqual({ reference: 'Practitioner/pr-nurse' });
    },
  );

  it.runIf(available)('refuses to claim a task another person owns (409)', async () => {
    await putTask('t-owned', { owner: { reference: 'Practitioner/pr-doc' } });
    expect((await req('nurse', 'POST', '/api/tasks/t-owned/claim')).statusCode).toBe(409);
  });

  it.runIf(available)('audits a reassignment with the old and new owner and the acting user', async () => {
    await putTask('t-re', { owner: { reference: 'Practitioner/pr-nurse' } });
    const res = await req('coord', 'POST', '/api/tasks/t-re/reassign', {
      owner: 'Practitioner/pr-doc',
      reason: 'needs a physician',
    });
    expect(res.statusCode).toBe(200);
    expect(res.json().task.owner).toEqual({ reference: 'Practitioner/pr-doc' });
    expect(await lastAudit()).toMatchObject({
      action: 'reassign',
      outcome: 'success',
      actor: 'Practitioner/pr-coord',
      role: 'care-coordinator',
      patientIds: ['p1'],
      resources: ['Task/t-re'],
      detail: 'owner Practitioner/pr-nurse → Practitioner/pr-doc; reason: needs a physician',
    });
  });

  it.runIf(available)(
    'shows a task with its patient, next moves and history (who, status, note)',
    async () => {
      await putTask('t-view', { owner: { reference: 'Practitioner/pr-nurse' } });
      expect(
        (await req('nurse', 'POST', '/api/tasks/t-view/transition', { to: 'accepted' })).statusCode,
      ).toBe(200);
      const noted = await req('coord', 'POST', '/api/tasks/t-view/notes', {
        text: 'Patient prefers mornings',
      });
      expect(noted.statusCode).toBe(200);
      expect(noted.json().task.note[0]).toMatchObject({
        authorReference: { reference: 'Practitioner/pr-coord' },
        text: 'Patient prefers mornings',
      });
      const res = await req('nurse', 'GET', '/api/tasks/t-view');
      expect(res.statusCode).toBe(200);
      const body = res.json();
      expect(body.patient).toEqual({ id: 'p1', name: 'Ana Lucia Rivera' });
      expect(body.allowedTransitions).toEqual([...taskTransitions.accepted]);
      expect(body.history).toMatchObject([
        { version: 1, status: 'requested', by: 'Device/careloop-server' },
        { version: 2, status: 'accepted', by: 'Practitioner/pr-nurse' },
        { version: 3, status: 'accepted', by: 'Practitioner/pr-coord', note: 'Patient prefers mornings' },
      ]);
    },
  );

  it.runIf(available)(
    'answers 404 to a nurse off the care team, who cannot move the task either',
    async () => {
      await putTask('t-hidden');
      expect((await req('outsider', 'GET', '/api/tasks/t-hidden')).statusCode).toBe(404);
      const res = await req('outsider', 'POST', '/api/tasks/t-hidden/transition', { to: 'accepted' });
      expect(res.statusCode).toBe(404);
      expect(await lastAudit()).toMatchObject({ outcome: 'denied', actor: 'Practitioner/pr-out' });
      expect(((await t.store.read('Task', 't-hidden')) as Task).status).toBe('requested');
    },
  );
});
