/**
 * Overdue escalation on both databases, with a clock the test moves: overdue tasks are marked, past
 * the threshold escalated once (priority one step up, one Communication to the lead coordinator,
 * the time on the task), and running the job again changes nothing. Runs through the scheduler.
 */
import type { Bundle, Communication, Task } from 'fhir/r4.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildCareTeam,
  buildPatient,
  buildPractitioner,
  buildTask,
} from '../../../test/support/factories.js';
import { type ClockedTestApp, openClockedTestApp } from '../../../test/support/identity.js';
import { databaseTargets } from '../../../test/support/test-databases.js';
import { TableScheduler } from '../../platform/jobs/table-scheduler.js';
import { CARE_TEAM_LEAD, leadCoordinatorOf } from '../care-teams/lead.js';
import { escalateOverdue } from './escalation.service.js';
import { taskJobs } from './tasks.jobs.js';
import { TASK_ESCALATED } from './tasks.rules.js';

const snomed = (code: string) => ({ coding: [{ system: 'http://snomed.info/sct', code }] });
const HOUR = 60 * 60 * 1000;

describe.each(databaseTargets)('overdue escalation ($name)', ({ name, available }) => {
  let t: ClockedTestApp;

  beforeAll(async () => {
    if (!available) return;
    t = await openClockedTestApp(name);
    const s = t.store;
    for (const id of ['pr-coord', 'pr-nurse', 'pr-lead'])
      await s.update('Practitioner', id, { ...buildPractitioner({ name: [{ family: id }] }), id });
    for (const id of ['p1', 'p2']) await s.update('Patient', id, { ...buildPatient(), id });
    await s.update('CareTeam', 'ct1', {
      ...buildCareTeam('p1', []),
      id: 'ct1',
      participant: [
        { role: [snomed('224535009')], member: { reference: 'Practitioner/pr-nurse' } },
        { role: [snomed('768832004')], member: { reference: 'Practitioner/pr-coord' } },
      ],
    });
    // p2's team marks its lead explicitly, ahead of the case manager listed first.
    await s.update('CareTeam', 'ct2', {
      ...buildCareTeam('p2', []),
      id: 'ct2',
      participant: [
        { role: [snomed('768832004')], member: { reference: 'Practitioner/pr-coord' } },
        {
          extension: [{ url: CARE_TEAM_LEAD, valueBoolean: true }],
          role: [snomed('224535009')],
          member: { reference: 'Practitioner/pr-lead' },
        },
      ],
    });
  }, 60_000);
  afterAll(async () => t?.close());

  const task = async (id: string) => (await t.store.read('Task', id)) as Task;
  const alertsAbout = async (id: string): Promise<Communication[]> => {
    // R4 has no Communication search by `about`: read them all (a test database) and filter.
    const bundle: Bundle = await t.store.search('Communication', [['_count', '1000']], '');
    return (bundle.entry ?? [])
      .map((e) => e.resource as Communication)
      .filter((c) => c.about?.some((a) => a.reference === `Task/${id}`));
  };

  it.runIf(available)(
    'finds the lead coordinator: the marked lead first, else the first case manager',
    async () => {
      expect(await leadCoordinatorOf(t.store, 'p1')).toMatchObject({
        reference: 'Practitioner/pr-coord',
        careTeamId: 'ct1',
      });
      expect(await leadCoordinatorOf(t.store, 'p2')).toMatchObject({ reference: 'Practitioner/pr-lead' });
    },
  );

  it.runIf(available)(
    'marks a routine task overdue, escalates it once after 2 days, and tells the lead once',
    async () => {
      const due = new Date(t.clock.now().getTime() - HOUR).toISOString();
      await t.store.update('Task', 'late', {
        ...buildTask('p1', { restriction: { period: { end: due } } }),
        id: 'late',
      });
      await t.store.update('Task', 'done', {
        ...buildTask('p1', { status: 'completed', restriction: { period: { end: due } } }),
        id: 'done',
      });
      const scheduler = new TableScheduler({ database: t.db.database, clock: t.clock });
      for (const job of taskJobs(t.store)) scheduler.every(job.name, job.intervalMs, job.run);

      const first = (await scheduler.runNow('tasks-escalate-overdue')) as {
        marked: number;
        escalated: number;
      };
      expect(first).toMatchObject({ marked: 1, escalated: 0 });
      expect((await task('late')).businessStatus?.text).toBe('Overdue');
      expect((await task('late')).priority).toBe('routine');

      t.clock.advance(48 * HOUR);
      expect(await scheduler.runNow('tasks-escalate-overdue')).toMatchObject({ escalated: 1 });
      expect(await scheduler.runNow('tasks-escalate-overdue')).toMatchObject({ marked: 0, escalated: 0 });
      t.clock.advance(72 * HOUR);
      await escalateOverdue(t.store, t.clock.now());

      const late = await task('late');
      expect(late.priority).toBe('urgent');
      expect(late.extension?.filter((e) => e.url === TASK_ESCALATED)).toHaveLength(1);
      const alerts = await alertsAbout('late');
      expect(alerts).toHaveLength(1);
      expect(alerts[0]).toMatchObject({
        status: 'completed',
        category: [{ coding: [{ code: 'alert' }] }],
        recipient: [{ reference: 'Practitioner/pr-coord' }],
        subject: { reference: 'Patient/p1' },
      });
      expect((await task('done')).businessStatus).toBeUndefined();
      const escalation = await t.db.database.db
        .selectFrom('audit_events')
        .select('actor')
        .where('actor', '=', 'Device/careloop-jobs')
        .executeTakeFirst();
      expect(escalation).toBeDefined();
    },
  );

  it.runIf(available)(
    'escalates an urgent task 4 hours past due to asap, notifying the marked lead',
    async () => {
      const due = new Date(t.clock.now().getTime() - 5 * HOUR).toISOString();
      await t.store.update('Task', 'urgent', {
        ...buildTask('p2', { priority: 'urgent', restriction: { period: { end: due } } }),
        id: 'urgent',
      });
      await escalateOverdue(t.store, t.clock.now());
      await escalateOverdue(t.store, t.clock.now());
      expect((await task('urgent')).priority).toBe('asap');
      const alerts = await alertsAbout('urgent');
      expect(alerts).toHaveLength(1);
      expect(alerts[0]!.recipient).toEqual([{ reference: 'Practitioner/pr-lead' }]);
    },
  );

  it.runIf(available)(
    'runs a due job once per interval through the table scheduler, then waits',
    async () => {
      let runs = 0;
      const scheduler = new TableScheduler({ database: t.db.database, clock: t.clock });
      scheduler.every('count-runs', 15 * 60 * 1000, async () => {
        runs++;
      });
      await scheduler.start();
      await scheduler.stop();
      expect(runs).toBe(1);
      expect(await scheduler.tick()).toEqual([]);
      t.clock.advance(15 * 60 * 1000);
      expect(await scheduler.tick()).toEqual(['count-runs']);
      expect(runs).toBe(2);
    },
  );
});
