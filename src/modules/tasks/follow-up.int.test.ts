/**
 * Follow-up rules on both databases: a finished Encounter written through /fhir makes the task its
 * rule calls for, for the right role and owner, due at the right time (fixed clock, business days in
 * the organization's zone), and replaying the Encounter makes nothing twice.
 */
import type { Bundle, Task } from 'fhir/r4.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildCareTeam,
  buildEncounter,
  buildPatient,
  buildPractitioner,
} from '../../../test/support/factories.js';
import { openTestApp, type TestApp } from '../../../test/support/test-app.js';
import { databaseTargets } from '../../../test/support/test-databases.js';
import { FOLLOW_UP_SYSTEM } from './follow-up.service.js';
import { TASK_RULE } from './tasks.rules.js';

const snomed = (code: string) => ({ coding: [{ system: 'http://snomed.info/sct', code }] });
const actClass = (code: string) => ({ system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code });

describe.each(databaseTargets)('follow-up rules ($name)', ({ name, available }) => {
  let t: TestApp;

  beforeAll(async () => {
    if (!available) return;
    t = await openTestApp(name, { timeZone: 'America/New_York' });
    const s = t.store;
    for (const id of ['pr-coord', 'pr-nurse'])
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
  }, 60_000);
  afterAll(async () => t?.close());

  const putEncounter = async (id: string, patient: string, overrides: object) => {
    const res = await t.app.inject({
      method: 'PUT',
      url: `/fhir/Encounter/${id}`,
      headers: { 'content-type': 'application/fhir+json' },
      payload: { ...buildEncounter(patient, overrides), id },
    });
    expect(res.statusCode, res.body).toBeLessThan(300);
  };
  const tasksOf = async (encounterId: string): Promise<Task[]> => {
    const res = await t.app.inject(`/fhir/Task?focus=Encounter/${encounterId}`);
    return ((res.json() as Bundle).entry ?? []).map((e) => e.resource as Task);
  };
  const ruleOf = (task: Task) => task.extension?.find((e) => e.url === TASK_RULE)?.valueString;

  it.runIf(available)(
    'gives an emergency visit a coordinator call due 2 days after, owned by the lead',
    async () => {
      await putEncounter('e-er', 'p1', {
        class: actClass('EMER'),
        period: { start: '2026-11-28T02:00:00Z', end: '2026-11-28T06:00:00Z' },
      });
      const [task, ...more] = await tasksOf('e-er');
      expect(more).toHaveLength(0);
      expect(task).toMatchObject({
        status: 'requested',
        priority: 'urgent',
        for: { reference: 'Patient/p1' },
        owner: { reference: 'Practitioner/pr-coord' },
        restriction: { period: { end: '2026-11-30T06:00:00.000Z' } },
        identifier: [{ system: FOLLOW_UP_SYSTEM, value: 'e-er:ed-follow-up-call' }],
      });
      expect(task!.performerType?.[0]?.coding?.[0]?.code).toBe('768832004');
      expect(ruleOf(task!)).toBe('ed-follow-up-call');
      expect(task!.reasonCode?.text).toContain('HEDIS');
    },
  );

  it.runIf(available)(
    'leaves an inpatient discharge to the TCM workflow (src/modules/transitions): no follow-up-rule tasks',
    async () => {
      await putEncounter('e-imp', 'p1', {
        class: actClass('IMP'),
        period: { start: '2026-11-20T08:00:00Z', end: '2026-11-27T20:00:00Z' },
      });
      expect(await tasksOf('e-imp')).toHaveLength(0);
    },
  );

  it.runIf(available)(
    'gives a consultation a PCP review in 7 days and a procedure a nurse check in 3',
    async () => {
      await putEncounter('e-consult', 'p1', {
        class: actClass('AMB'),
        type: [snomed('11429006')],
        period: { start: '2026-11-25T14:00:00Z', end: '2026-11-25T15:00:00Z' },
      });
      await putEncounter('e-proc', 'p1', {
        class: actClass('SS'),
        period: { start: '2026-11-25T14:00:00Z', end: '2026-11-25T18:00:00Z' },
      });
      const [review] = await tasksOf('e-consult');
      expect(ruleOf(review!)).toBe('specialist-consult-review');
      expect(review!.restriction?.period?.end).toBe('2026-12-02T15:00:00.000Z');
      const [check] = await tasksOf('e-proc');
      expect(ruleOf(check!)).toBe('post-procedure-check');
      expect(check).toMatchObject({ owner: { reference: 'CareTeam/ct1' } });
      expect(check!.performerType?.[0]?.coding?.[0]?.code).toBe('224535009');
      expect(check!.restriction?.period?.end).toBe('2026-11-28T18:00:00.000Z');
    },
  );

  it.runIf(available)('creates nothing twice when the same encounter is sent again', async () => {
    const encounter = {
      class: actClass('EMER'),
      period: { start: '2026-11-29T01:00:00Z', end: '2026-11-29T03:00:00Z' },
    };
    await putEncounter('e-again', 'p1', encounter);
    await putEncounter('e-again', 'p1', { ...encounter, serviceType: { text: 'Emergency medicine' } });
    await putEncounter('e-again', 'p1', encounter);
    expect(await tasksOf('e-again')).toHaveLength(1);
  });

  it.runIf(available)(
    'waits for the encounter to finish, and leaves a patient without a team a role task',
    async () => {
      await putEncounter('e-later', 'p2', {
        class: actClass('EMER'),
        status: 'in-progress',
        period: { start: '2026-11-29T01:00:00Z' },
      });
      expect(await tasksOf('e-later')).toHaveLength(0);
      await putEncounter('e-later', 'p2', {
        class: actClass('EMER'),
        period: { start: '2026-11-29T01:00:00Z', end: '2026-11-29T05:00:00Z' },
      });
      const [task] = await tasksOf('e-later');
      expect(task!.owner).toBeUndefined();
      expect(task!.performerType?.[0]?.coding?.[0]?.code).toBe('768832004');
    },
  );
});
