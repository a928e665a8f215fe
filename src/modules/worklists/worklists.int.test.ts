import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearerFor } from '../../../test/support/identity.js';
import { openTestApp, type TestApp } from '../../../test/support/test-app.js';
import { databaseTargets } from '../../../test/support/test-databases.js';
import { seedWorklist, task } from './worklist-fixture.js';

interface Item {
  taskId: string;
  score: number;
  factors: { name: string; points: number; detail: string }[];
  reasons: { code: string; label: string }[];
  overdueDays: number;
  patient: { id: string; name?: string; interpreter?: boolean; language?: string };
  riskTier?: string;
}

describe.each(databaseTargets)('worklist ($name)', ({ name, available }) => {
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

  const view = async (who: string, query: string) => {
    const res = await t.app.inject({ url: `/api/worklist?${query}`, headers: { authorization: auth[who]! } });
    expect(res.statusCode, res.body).toBe(200);
    return res.json() as { items: Item[]; counts: Record<string, number>; next?: string };
  };
  const ids = (items: Item[]) => items.map((i) => i.taskId).sort();

  it.runIf(available)(
    'returns exactly the tasks of each view, with day boundaries in the organization zone',
    async () => {
      expect(ids((await view('coord', 'view=mine')).items)).toEqual(['t1', 't6']);
      expect(ids((await view('coord', 'view=team')).items)).toEqual(['t1', 't2', 't3', 't4', 't6']);
      expect(ids((await view('coord', 'view=claimable')).items)).toEqual(['t3']);
      expect(ids((await view('coord', 'view=overdue')).items)).toEqual(['t1', 't6']);
      // t2 is due 23:30 in New York today (1 Dec in UTC); t6 at 23:59 yesterday there.
      expect(ids((await view('coord', 'view=today')).items)).toEqual(['t2']);
      expect(ids((await view('coord', 'view=week')).items)).toEqual(['t2', 't3']);
      const { counts } = await view('coord', 'view=mine');
      expect(counts).toEqual({ mine: 2, team: 5, claimable: 1, overdue: 2, today: 1, week: 2 });
      expect(ids((await view('nurse1', 'view=mine')).items)).toEqual(['t2']);
      // The team's task and the task any nurse may take.
      expect(ids((await view('nurse1', 'view=claimable')).items)).toEqual(['t3', 't4']);
      expect(ids((await view('coord', 'view=team&patient=pb')).items)).toEqual(['t6']);
      expect(ids((await view('coord', 'view=team&priority=stat,asap')).items)).toEqual(['t2', 't6']);
    },
  );

  it.runIf(available)('orders by score, and each score is the sum of its factors', async () => {
    const { items } = await view('coord', 'view=team&sort=rank');
    expect(items.map((i) => i.taskId)).toEqual(['t2', 't3', 't6', 't1', 't4']);
    for (const item of items) expect(item.factors.reduce((s, f) => s + f.points, 0)).toBe(item.score);
    const scores = items.map((i) => i.score);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
    const t2 = items.find((i) => i.taskId === 't2')!;
    // stat 40 + due today 15 + high risk 20
    expect(t2.score).toBe(75);
    expect(t2.reasons.map((r) => r.label)).toEqual(
      expect.arrayContaining([
        'stat',
        'due today',
        'high risk',
        'interpreter: Spanish',
        'discharged 2 days ago',
      ]),
    );
    expect(t2.patient).toMatchObject({ id: 'pa', name: 'Ana Rivera', interpreter: true });
    const t1 = items.find((i) => i.taskId === 't1')!;
    expect(t1.overdueDays).toBe(3);
    expect(t1.reasons.map((r) => r.label)).toContain('overdue 3 d');
    const byDue = (await view('coord', 'view=team&sort=due')).items.map((i) => i.taskId);
    expect(byDue).toEqual(['t1', 't6', 't2', 't3', 't4']);
  });

  it.runIf(available)('pages with a cursor without repeating or skipping a task', async () => {
    const seen: string[] = [];
    let page = await view('coord', 'view=team&limit=2');
    seen.push(...page.items.map((i) => i.taskId));
    while (page.next) {
      page = await view('coord', `view=team&limit=2&cursor=${page.next}`);
      seen.push(...page.items.map((i) => i.taskId));
    }
    expect(seen).toEqual(['t2', 't3', 't6', 't1', 't4']);
    const bad = await t.app.inject({
      url: '/api/worklist?cursor=nonsense',
      headers: { authorization: auth.coord! },
    });
    expect(bad.statusCode).toBe(400);
  });

  it.runIf(available)("shows a nurse who is not on the team none of the patient's tasks", async () => {
    for (const v of ['mine', 'team', 'claimable', 'overdue', 'today', 'week'])
      expect((await view('nurse2', `view=${v}`)).items).toEqual([]);
    expect((await view('nurse2', 'view=team')).counts).toEqual({
      mine: 0,
      team: 0,
      claimable: 0,
      overdue: 0,
      today: 0,
      week: 0,
    });
  });

  it.runIf(available)('records one search audit entry naming the tasks and patients returned', async () => {
    await view('coord', 'view=mine');
    const last = await t.db.database.db
      .selectFrom('audit_events')
      .select(['action', 'entry'])
      .orderBy('seq', 'desc')
      .limit(1)
      .executeTakeFirstOrThrow();
    const entry = JSON.parse(last.entry);
    expect(last.action).toBe('search');
    expect(entry.resources.sort()).toEqual(['Task/t1', 'Task/t6']);
    expect(entry.patientIds).toEqual(['pa', 'pb']);
  });

  it.runIf(available)(
    "names each task's owner from the owner's resource and indexes the audit entry by patient",
    async () => {
      const page = await view('coord', 'view=team');
      const owners = Object.fromEntries(
        (page.items as unknown as { taskId: string; owner?: { reference: string; display?: string } }[]).map(
          (i) => [i.taskId, i.owner],
        ),
      );
      expect(owners.t1).toEqual({ reference: 'Practitioner/coord', display: 'Dana Lee' });
      expect(owners.t2).toEqual({ reference: 'Practitioner/nurse1', display: 'Kim Ng' });
      // A CareTeam without a name: the reference alone.
      expect(owners.t3).toEqual({ reference: 'CareTeam/team-a' });
      const last = await t.db.database.db
        .selectFrom('audit_events')
        .select(['seq', 'entry'])
        .orderBy('seq', 'desc')
        .limit(1)
        .executeTakeFirstOrThrow();
      const byPatient = await t.db.database.db
        .selectFrom('audit_event_patients')
        .select('patient_id')
        .where('seq', '=', last.seq)
        .orderBy('patient_id')
        .execute();
      expect(byPatient.map((r) => r.patient_id)).toEqual(JSON.parse(last.entry).patientIds);
      expect(byPatient.map((r) => r.patient_id)).toEqual(['pa', 'pb']);
    },
  );

  it.runIf(available)(
    'keeps the projection in step with Task create, update, completion and delete',
    async () => {
      const rows = async () =>
        (
          await t.db.database.db
            .selectFrom('worklist_items')
            .select(['task_id', 'priority'])
            .where('task_id', 'like', 'p%')
            .execute()
        ).map((r) => `${r.task_id}:${r.priority}`);
      const task = {
        resourceType: 'Task',
        id: 'p1',
        status: 'requested',
        intent: 'order',
        priority: 'routine',
        for: { reference: 'Patient/pb' },
        owner: { reference: 'Practitioner/coord' },
      };
      expect((await t.app.inject({ method: 'PUT', url: '/fhir/Task/p1', payload: task })).statusCode).toBe(
        201,
      );
      expect(await rows()).toEqual(['p1:routine']);
      await t.app.inject({ method: 'PUT', url: '/fhir/Task/p1', payload: { ...task, priority: 'urgent' } });
      expect(await rows()).toEqual(['p1:urgent']);
      await t.app.inject({ method: 'PUT', url: '/fhir/Task/p1', payload: { ...task, status: 'completed' } });
      expect(await rows()).toEqual([]);
      await t.app.inject({
        method: 'PUT',
        url: '/fhir/Task/p1',
        payload: { ...task, status: 'in-progress' },
      });
      expect(await rows()).toEqual(['p1:routine']);
      expect((await t.app.inject({ method: 'DELETE', url: '/fhir/Task/p1' })).statusCode).toBeLessThan(300);
      expect(await rows()).toEqual([]);
    },
  );

  it.runIf(available)('reassigns several tasks, each through the store and audited', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/worklist/reassign',
      headers: { authorization: auth.coord! },
      payload: { taskIds: ['t1', 't6'], owner: 'Practitioner/nurse1', reason: 'coverage' },
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({ updated: 2 });
    const audits = await t.db.database.db
      .selectFrom('audit_events')
      .select(['entry'])
      .where('action', '=', 'reassign')
      .execute();
    expect(audits.map((a) => JSON.parse(a.entry).resources[0]).sort()).toEqual(['Task/t1', 'Task/t6']);
    expect(ids((await view('coord', 'view=mine')).items)).toEqual([]);
    // nurse1 is not on pb's team: t6 is hers but out of her reach, so her list shows t1 and t2 only.
    expect(ids((await view('nurse1', 'view=mine')).items)).toEqual(['t1', 't2']);
    const denied = await t.app.inject({
      method: 'POST',
      url: '/api/worklist/reassign',
      headers: { authorization: auth.nurse2! },
      payload: { taskIds: ['t2'], owner: 'Practitioner/nurse2' },
    });
    expect(denied.statusCode).toBe(404);
  });

  it.runIf(available)('streams tasks-changed events for tasks the user may see', async () => {
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    const address = t.app.server.address() as { port: number };
    const open = async (who: string) => {
      const controller = new AbortController();
      const res = await fetch(`http://127.0.0.1:${address.port}/api/worklist/events`, {
        headers: { authorization: auth[who]! },
        signal: controller.signal,
      });
      expect(res.headers.get('content-type')).toContain('text/event-stream');
      const reader = res.body!.getReader();
      const decoder = new TextDecoder();
      let text = '';
      const until = async (pattern: RegExp, ms: number) => {
        const deadline = Date.now() + ms;
        while (!pattern.test(text) && Date.now() < deadline) {
          const chunk = await Promise.race([
            reader.read(),
            new Promise<undefined>((r) => setTimeout(() => r(undefined), deadline - Date.now())),
          ]);
          if (!chunk || chunk.done) break;
          text += decoder.decode(chunk.value);
        }
        return text;
      };
      await until(/connected/, 2000);
      return { until, close: () => controller.abort() };
    };
    const coord = await open('coord');
    const outsider = await open('nurse2');
    await t.app.inject({
      method: 'PUT',
      url: '/fhir/Task/t3',
      payload: {
        resourceType: 'Task',
        id: 't3',
        status: 'ready',
        intent: 'order',
        priority: 'urgent',
        for: { reference: 'Patient/pa' },
        owner: { reference: 'CareTeam/team-a' },
      },
    });
    expect(await coord.until(/event: tasks-changed\ndata: .*\n\n/, 3000)).toContain(
      'data: {"taskIds":["t3"]}',
    );
    expect(await outsider.until(/tasks-changed/, 300)).not.toContain('tasks-changed');
    coord.close();
    outsider.close();
  });

  it.runIf(available)(
    "offers a task owned by a team without a patient to the team's current members, who alone may claim it",
    async () => {
      // A program's team (no patient): nurse1 is on it now; the coordinator's membership ended.
      const program = (status: 'active' | 'inactive') => ({
        resourceType: 'CareTeam' as const,
        id: 'chw-program',
        status,
        name: 'Diabetes outreach program',
        participant: [
          { member: { reference: 'Practitioner/nurse1' } },
          { member: { reference: 'Practitioner/coord' }, period: { end: '2026-11-01T00:00:00Z' } },
        ],
      });
      const outreach = task('t-program', 'pa', {
        code: { text: 'Outreach call' },
        owner: { reference: 'CareTeam/chw-program' },
      });
      await t.store.update('CareTeam', 'chw-program', program('active'));
      await t.store.update('Task', 't-program', outreach);
      expect(ids((await view('nurse1', 'view=claimable')).items)).toContain('t-program');
      // The coordinator sees the patient's task on the patient's team view, named by the team's name,
      // but may not claim it.
      const onTeamView = (await view('coord', 'view=team')).items.find((i) => i.taskId === 't-program');
      expect((onTeamView as unknown as { owner: object }).owner).toEqual({
        reference: 'CareTeam/chw-program',
        display: 'Diabetes outreach program',
      });
      expect(ids((await view('coord', 'view=claimable')).items)).not.toContain('t-program');
      const claim = (who: string) =>
        t.app.inject({
          method: 'POST',
          url: '/api/tasks/t-program/claim',
          headers: { authorization: auth[who]! },
        });
      const refused = await claim('coord');
      expect(refused.statusCode).toBe(403);
      expect(refused.body).toContain('you are not on CareTeam/chw-program');

      // An inactive team has no members to claim for.
      await t.store.update('CareTeam', 'chw-program', program('inactive'));
      expect(ids((await view('nurse1', 'view=claimable')).items)).not.toContain('t-program');
      expect((await claim('nurse1')).statusCode).toBe(403);

      await t.store.update('CareTeam', 'chw-program', program('active'));
      const claimed = await claim('nurse1');
      expect(claimed.statusCode, claimed.body).toBe(200);
      expect(claimed.json().task).toMatchObject({
        owner: { reference: 'Practitioner/nurse1' },
        status: 'accepted',
      });
      expect(ids((await view('nurse1', 'view=mine')).items)).toContain('t-program');
      expect(ids((await view('nurse1', 'view=claimable')).items)).not.toContain('t-program');
    },
  );
});
