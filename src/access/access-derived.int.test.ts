/**
 * Records the server derives must not tell a reader what the reader may not see (docs/security.md,
 * "Records the server derives"). For each kind of derived record: a source with a sensitivity label a
 * care coordinator lacks (HIV; R on a restricted patient), the derived record as the coordinator (and,
 * for goals, a caregiver) sees it, and as a physician, who may see the source, sees it, so that no test
 * passes merely because nothing was derived. On SQLite and PostgreSQL.
 */
import type { Bundle, CarePlan, Communication, Encounter, Goal, Patient, Resource, Task } from 'fhir/r4.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildCondition,
  buildObservation,
  buildPatient,
  buildPractitioner,
  buildPrivacyConsent,
  buildTask,
  securityLabels,
} from '../../test/support/factories.js';
import { adtSender } from '../../test/support/hl7.js';
import { bearerFor, type ClockedTestApp, openClockedTestApp } from '../../test/support/identity.js';
import { databaseTargets } from '../../test/support/test-databases.js';
import { frequencyPositions, PHQ9_ITEMS, responseTo } from '../modules/assessments/assessment-fixture.js';
import { ensureInstruments } from '../modules/assessments/questionnaires.js';
import { createDueReviewTasks } from '../modules/care-plans/care-plans.review.js';
import { extensionUrls, TEMPLATE_ITEM_SYSTEM } from '../modules/care-plans/care-plans.rules.js';
import { createMatchReviewTask } from '../modules/patient-matching/patient-matching.service.js';
import { escalateOverdue } from '../modules/tasks/escalation.service.js';
import { adtMessage } from '../modules/transitions/adt-fixture.js';

type Who = 'coordinator' | 'physician' | 'caregiver' | 'integration';
const TZ = 'America/New_York';
const HIV = securityLabels('HIV');
const snomed = (code: string) => ({ coding: [{ system: 'http://snomed.info/sct', code }] });
const loinc = (code: string) => ({ coding: [{ system: 'http://loinc.org', code }] });
const labels = (r: Resource) => (r.meta?.security ?? []).map((l) => l.code).sort();

describe.each(databaseTargets)(
  "derived records carry their sources' labels ($name)",
  ({ name, available }) => {
    let t: ClockedTestApp;
    const auth = {} as Record<Who, string>;
    const ids = {} as Record<'hiv' | 'enc' | 'vip', string>;

    const get = (who: Who, url: string) => t.app.inject({ url, headers: { authorization: auth[who] } });
    const found = async <T extends Resource>(who: Who, query: string): Promise<T[]> => {
      const res = await get(who, `/fhir/${query}`);
      expect(res.statusCode, res.body).toBe(200);
      return ((res.json() as Bundle).entry ?? []).map((e) => e.resource as T);
    };
    const send = (raw: string) => adtSender(t, TZ)(raw);
    /** A patient from an A31, on the coordinator's (lead) and the physician's care team. */
    const admitted = async (mrn: string): Promise<string> => {
      await send(adtMessage('A31', { patient: { mrn, name: `${mrn}^PAT` }, noPv1: true }));
      const bundle = await t.store.search(
        'Patient',
        [['identifier', `urn:careloop:hl7-authority:CLH|${mrn}`]],
        '',
      );
      const id = bundle.entry![0]!.resource!.id!;
      await onTeam(id);
      return id;
    };
    const onTeam = (patientId: string) =>
      t.store.create({
        resourceType: 'CareTeam',
        status: 'active',
        subject: { reference: `Patient/${patientId}` },
        participant: [
          { role: [snomed('768832004')], member: { reference: 'Practitioner/pr-coord' } },
          { role: [snomed('446050000')], member: { reference: 'Practitioner/pr-doc' } },
        ],
      });
    const visit = async (id: string) =>
      (await t.store.search('Encounter', [['identifier', `urn:careloop:hl7-visit:CLH|${id}`]], '')).entry![0]!
        .resource as Encounter;
    const worklist = async (who: Who, patientId: string) =>
      (await get(who, `/api/worklist?view=team&patient=${patientId}`)).json().items as {
        taskId: string;
        title: string;
        riskTier?: string;
        patient: { name?: string };
        factors: { name: string }[];
      }[];

    beforeAll(async () => {
      if (!available) return;
      t = await openClockedTestApp(name, { timeZone: TZ, rateLimitPerMinute: 1_000_000 });
      await ensureInstruments(t.store);
      for (const id of ['pr-coord', 'pr-doc'])
        await t.store.update('Practitioner', id, { ...buildPractitioner({ name: [{ family: id }] }), id });
      ids.hiv = await admitted('MRN-HIV');
      ids.enc = await admitted('MRN-ENC');
      ids.vip = (
        await t.store.create(
          buildPatient({ name: [{ family: 'Famous', given: ['Vera'] }], meta: securityLabels('R') }),
        )
      ).resource.id!;
      await onTeam(ids.vip);
      await t.store.update('RelatedPerson', 'rp-hiv', {
        resourceType: 'RelatedPerson',
        id: 'rp-hiv',
        patient: { reference: `Patient/${ids.hiv}` },
      });
      await t.store.create(
        buildPrivacyConsent(ids.hiv, { type: 'permit', actors: ['RelatedPerson/rp-hiv'] }),
      );
      const identities: [Who, Parameters<typeof bearerFor>[1]][] = [
        ['coordinator', { role: 'care-coordinator', resource: 'Practitioner/pr-coord' }],
        ['physician', { role: 'physician', resource: 'Practitioner/pr-doc' }],
        ['caregiver', { role: 'caregiver', resource: 'RelatedPerson/rp-hiv' }],
        ['integration', { role: 'integration' }],
      ];
      for (const [who, options] of identities)
        auth[who] = (await bearerFor(t.db.database, { ...options, clock: t.clock })).authorization;
    }, 120_000);
    afterAll(async () => t?.close());

    it.runIf(available)(
      'Goal: the achievement text quotes no result, so an HIV-labelled blood pressure stays unseen',
      async () => {
        const goal = (
          await t.store.create({
            resourceType: 'Goal',
            lifecycleStatus: 'active',
            description: { text: 'Blood pressure under 130' },
            subject: { reference: `Patient/${ids.hiv}` },
            target: [
              {
                measure: loinc('8480-6'),
                detailQuantity: {
                  value: 130,
                  comparator: '<',
                  unit: 'mm[Hg]',
                  system: 'http://unitsofmeasure.org',
                  code: 'mm[Hg]',
                },
              },
            ],
          } as Goal)
        ).resource as Goal;
        await t.store.create(
          buildObservation(ids.hiv, {
            meta: HIV,
            code: loinc('8480-6'),
            effectiveDateTime: '2026-11-27T09:00:00Z',
            valueQuantity: {
              value: 171,
              unit: 'mm[Hg]',
              system: 'http://unitsofmeasure.org',
              code: 'mm[Hg]',
            },
          }),
        );
        for (const who of ['coordinator', 'caregiver'] as const) {
          const seen = (await get(who, `/fhir/Goal/${goal.id}`)).json() as Goal;
          expect(seen.achievementStatus?.coding?.[0]?.code).toBe('no-change');
          expect(seen.achievementStatus?.text).toBe('Systolic BP: no change, target < 130 mm[Hg]');
          expect(JSON.stringify(seen)).not.toMatch(/171|2026-11-27/);
          // Their own progress view is computed from what they may see: nothing.
          if (who === 'coordinator')
            expect((await get(who, `/api/goals/${goal.id}/progress`)).json().status).toBe('no-data');
        }
        expect((await get('physician', `/api/goals/${goal.id}/progress`)).json().explanation).toContain(
          'Systolic BP 171 mm[Hg] on 2026-11-27',
        );
      },
    );

    it.runIf(available)(
      'RiskAssessment: a LACE counting an HIV-labelled condition carries HIV; the worklist, board and TCM task do not quote it',
      async () => {
        await t.store.create(
          buildCondition(ids.hiv, {
            meta: HIV,
            code: { coding: [{ system: 'http://hl7.org/fhir/sid/icd-10-cm', code: 'B20' }] },
          }),
        );
        const stay = { patient: { mrn: 'MRN-HIV', name: 'MRN-HIV^PAT' }, visit: 'V-HIV', admissionType: 'E' };
        await send(adtMessage('A01', { ...stay, admitAt: '20261120080000-0500' }));
        await send(
          adtMessage('A03', {
            ...stay,
            admitAt: '20261120080000-0500',
            dischargeAt: '20261125150000-0500',
            disposition: '01',
          }),
        );
        const encounter = await visit('V-HIV');
        const query = `RiskAssessment?encounter=Encounter/${encounter.id}`;
        const [lace] = await found<
          Resource & {
            prediction?: { qualitativeRisk?: { coding?: { code?: string }[] } }[];
            note?: { text?: string }[];
          }
        >('physician', query);
        expect(labels(lace!)).toEqual(['HIV']);
        expect(lace!.prediction?.[0]?.qualitativeRisk?.coding?.[0]?.code).toBe('high');
        expect(lace!.note?.[0]?.text).toContain('C Charlson');
        expect(await found('coordinator', query)).toEqual([]);
        const items = await worklist('coordinator', ids.hiv);
        expect(items.length).toBeGreaterThan(0);
        for (const item of items) {
          expect(item.riskTier).toBeUndefined();
          expect(item.factors.map((f) => f.name)).not.toContain('risk');
        }
        // The caseload the coordinator leads reads the tier from the assessments they may see: none.
        const mine = (await get('coordinator', '/api/caseload')).json().patients as { id: string }[];
        expect(mine.find((p) => p.id === ids.hiv)).toMatchObject({ id: ids.hiv });
        expect(mine.find((p) => p.id === ids.hiv)).not.toHaveProperty('riskTier');
        const board = (await get('coordinator', `/api/transitions/${encounter.id}`)).json().transition;
        expect(board.risk.lace).toBeNull();
        expect(board.complexity.reason).toBe('High readmission risk: LACE ≥ 10.');
      },
    );

    it.runIf(available)(
      'List: the reconciliation record quoting an HIV-labelled discharge medication carries HIV',
      async () => {
        const stay = await visit('V-HIV');
        const [task] = await found<Task>(
          'physician',
          `Task?encounter=Encounter/${stay.id}&code=https://careloop.org/fhir/CodeSystem/task-code|medication-reconciliation`,
        );
        await t.store.create({
          resourceType: 'MedicationRequest',
          meta: HIV,
          status: 'active',
          intent: 'order',
          subject: { reference: `Patient/${ids.hiv}` },
          encounter: { reference: `Encounter/${stay.id}` },
          authoredOn: '2026-11-25T10:00:00Z',
          medicationCodeableConcept: {
            coding: [{ system: 'http://www.nlm.nih.gov/research/umls/rxnorm', code: '1747691' }],
            text: 'Bictegravir/emtricitabine/tenofovir alafenamide 50/200/25 mg tablet',
          },
        } as Resource);
        const url = `/api/medication-reconciliation/${task!.id}`;
        const [line] = (await get('physician', url)).json().lines as { id: string }[];
        const resolved = await t.app.inject({
          method: 'PUT',
          url: `${url}/lines/${line!.id}`,
          headers: { authorization: auth.physician },
          payload: { decision: 'continue' },
        });
        expect(resolved.statusCode, resolved.body).toBe(200);
        const lists = `List?patient=Patient/${ids.hiv}`;
        const [list] = await found<Resource & { entry?: unknown[] }>('physician', lists);
        expect(JSON.stringify(list!.entry)).toContain('Bictegravir');
        expect(labels(list!)).toEqual(['HIV']);
        expect(await found('coordinator', lists)).toEqual([]);
      },
    );

    it.runIf(available)(
      'Communication, Flag, Task: a stay labelled HIV is not told to the coordinator by notifications, TCM tasks or the readmission flag',
      async () => {
        const stay = { patient: { mrn: 'MRN-ENC', name: 'MRN-ENC^PAT' }, visit: 'V-ENC', admissionType: 'E' };
        await send(adtMessage('A01', { ...stay, admitAt: '20261110080000-0500' }));
        const first = await visit('V-ENC');
        await t.store.update('Encounter', first.id!, { ...first, meta: { ...first.meta, ...HIV } });
        await send(
          adtMessage('A03', {
            ...stay,
            admitAt: '20261110080000-0500',
            dischargeAt: '20261112150000-0500',
            disposition: '01',
          }),
        );
        const again = { ...stay, visit: 'V-ENC2', admitAt: '20261128080000-0500' };
        await send(adtMessage('A01', again));
        const second = await visit('V-ENC2');
        const kinds = async (who: Who) =>
          (
            (await get(who, '/api/notifications')).json().notifications as {
              kind: string;
              patientId: string;
            }[]
          )
            .filter((n) => n.patientId === ids.enc)
            .map((n) => n.kind)
            .sort();
        expect(await kinds('physician')).toEqual(['admission', 'admission', 'discharge', 'readmission']);
        // The first admission was told before the stay was labelled; the discharge and the readmission
        // (which names the labelled stay) are not told to someone who may not see it.
        expect(await kinds('coordinator')).toEqual(['admission', 'admission']);
        const flags = `Flag?patient=Patient/${ids.enc}`;
        expect((await found('physician', flags)).map(labels)).toEqual([['HIV']]);
        expect(await found('coordinator', flags)).toEqual([]);
        // The new stay is no more sensitive than before: it carries no tag telling of the labelled one.
        const seen = (await get('coordinator', `/fhir/Encounter/${second.id}`)).json() as Encounter;
        expect((seen.meta?.tag ?? []).map((tag) => tag.code)).not.toContain('readmission-within-30-days');
        const tcm = `Task?encounter=Encounter/${first.id}`;
        expect((await found<Task>('physician', tcm)).map(labels)).toEqual([['HIV'], ['HIV'], ['HIV']]);
        expect(await found('coordinator', tcm)).toEqual([]);
        const titles = (items: { title: string }[]) => items.map((i) => i.title);
        expect(titles(await worklist('physician', ids.enc))).toContain(
          'TCM interactive contact after discharge',
        );
        expect(titles(await worklist('coordinator', ids.enc))).not.toContain(
          'TCM interactive contact after discharge',
        );
      },
    );

    it.runIf(available)(
      'Task and Communication from jobs and rules: escalation alerts, encounter follow-ups, care-plan reviews and next occurrences',
      async () => {
        const overdue = (
          await t.store.create(
            buildTask(ids.hiv, {
              meta: HIV,
              code: { text: 'Viral load lab draw' },
              restriction: { period: { end: '2026-11-20T12:00:00Z' } },
            }),
          )
        ).resource as Task;
        await escalateOverdue(t.store, t.clock.now());
        const alerts = async (who: Who) =>
          (await found<Communication>(who, `Communication?patient=Patient/${ids.hiv}&category=alert`)).filter(
            (c) => c.about?.some((a) => a.reference === `Task/${overdue.id}`),
          );
        const [alert] = await alerts('physician');
        expect(alert?.payload?.[0]?.contentString).toContain('Viral load lab draw');
        expect(labels(alert!)).toEqual(['HIV']);
        expect(await alerts('coordinator')).toEqual([]);

        const ed = (
          await t.store.create({
            resourceType: 'Encounter',
            meta: HIV,
            status: 'finished',
            class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'EMER' },
            subject: { reference: `Patient/${ids.hiv}` },
            period: { start: '2026-11-29T02:00:00Z', end: '2026-11-29T06:00:00Z' },
          } as Encounter)
        ).resource;
        const followUps = `Task?focus=Encounter/${ed.id}`;
        expect((await found<Task>('physician', followUps)).map((x) => [x.code?.text, ...labels(x)])).toEqual([
          ['Follow-up call after emergency visit', 'HIV'],
        ]);
        expect(await found('coordinator', followUps)).toEqual([]);

        const plan = (
          await t.store.create({
            resourceType: 'CarePlan',
            meta: HIV,
            status: 'active',
            intent: 'plan',
            title: 'HIV care plan',
            subject: { reference: `Patient/${ids.hiv}` },
            extension: [{ url: extensionUrls.nextReview, valueDate: '2026-11-30' }],
          } as CarePlan)
        ).resource;
        await createDueReviewTasks(t.store, t.clock.now(), { timeZone: TZ });
        const reviews = `Task?focus=CarePlan/${plan.id}`;
        expect((await found<Task>('physician', reviews)).map(labels)).toEqual([['HIV']]);
        expect(await found('coordinator', reviews)).toEqual([]);

        // A completed occurrence of a repeating activity (the PHQ-9 every 4 weeks) makes the next one.
        const open = (
          await t.store.create({
            ...plan,
            meta: undefined,
            title: 'Depression care',
            extension: undefined,
          } as CarePlan)
        ).resource;
        const occurrence = (
          await t.store.create(
            buildTask(ids.hiv, {
              meta: HIV,
              code: { text: 'PHQ-9 with the patient' },
              identifier: [{ system: TEMPLATE_ITEM_SYSTEM, value: 'depression-collaborative-care/phq9' }],
              basedOn: [{ reference: `CarePlan/${open.id}` }],
            }),
          )
        ).resource as Task;
        const done = (await t.store.update('Task', occurrence.id!, { ...occurrence, status: 'completed' }))
          .resource as Task;
        const next = `Task?based-on=CarePlan/${open.id}&status=requested`;
        const made = await found<Task>('physician', next);
        expect(made.map((x) => [x.code?.text, ...labels(x)])).toEqual([['PHQ-9 with the patient', 'HIV']]);
        expect(made[0]!.id).not.toBe(done.id);
        expect(await found('coordinator', next)).toEqual([]);
      },
    );

    it.runIf(available)(
      'Observation, Task, Flag: what an HIV-labelled PHQ-9 response is scored into carries HIV',
      async () => {
        const response = responseTo('phq-9', frequencyPositions(PHQ9_ITEMS, [3, 3, 3, 3, 3, 3, 2, 2, 2]), {
          meta: HIV,
          subject: { reference: `Patient/${ids.hiv}` },
          authored: '2026-11-30T10:00:00Z',
        });
        const posted = await t.app.inject({
          method: 'POST',
          url: '/fhir/QuestionnaireResponse',
          payload: response,
          headers: { authorization: auth.integration, 'content-type': 'application/fhir+json' },
        });
        expect(posted.statusCode, posted.body).toBe(201);
        const id = posted.json().id;
        for (const query of [
          `Observation?derived-from=QuestionnaireResponse/${id}`,
          `Task?focus=QuestionnaireResponse/${id}`,
          `Flag?patient=Patient/${ids.hiv}`,
        ]) {
          const derived = await found('physician', query);
          expect(derived.length, query).toBeGreaterThan(0);
          for (const record of derived) expect(labels(record), query).toEqual(['HIV']);
          expect(await found('coordinator', query), query).toEqual([]);
        }
      },
    );

    it.runIf(available)(
      'Goal from a template: a baseline taken from an HIV-labelled PHQ-9 is quoted only on a labelled Goal',
      async () => {
        await t.store.create(
          buildObservation(ids.enc, {
            meta: HIV,
            code: loinc('44261-6'),
            effectiveDateTime: '2026-11-20T10:00:00Z',
            valueQuantity: undefined,
            valueInteger: 18,
          }),
        );
        const res = await t.app.inject({
          method: 'POST',
          url: `/api/patients/${ids.enc}/care-plans`,
          headers: { authorization: auth.physician },
          payload: { templateId: 'depression-collaborative-care' },
        });
        expect(res.statusCode, res.body).toBe(201);
        const [response, remission] = res.json().goals as Goal[];
        expect(JSON.stringify(response!.target)).toContain('"value":18');
        expect(labels(response!)).toEqual(['HIV']);
        expect((await get('coordinator', `/fhir/Goal/${response!.id}`)).statusCode).toBe(404);
        // The remission goal (< 5) quotes nothing of the patient's: everyone on the team sees it.
        expect(labels(remission!)).toEqual([]);
        expect((await get('coordinator', `/fhir/Goal/${remission!.id}`)).statusCode).toBe(200);
      },
    );

    it.runIf(available)(
      'Task and worklist: a restricted patient (R) is not quoted by a duplicate review or by worklist rows',
      async () => {
        const incoming = (await t.store.create(buildPatient({ name: [{ family: 'Famous', given: ['V'] }] })))
          .resource;
        await onTeam(incoming.id!);
        // Restricted records need the patient's permission, a physician's too (docs/security.md).
        for (const id of [incoming.id!, ids.vip])
          await t.store.create(buildPrivacyConsent(id, { type: 'permit', labels: ['R'] }));
        const review = await createMatchReviewTask(t.store, {
          incomingPatientId: incoming.id!,
          candidates: [{ patientId: ids.vip, score: 9.5, factors: [] }],
          source: 'ADT^A04 from facility B',
        });
        expect(labels(review)).toEqual(['R']);
        expect((await get('physician', `/fhir/Task/${review.id}`)).statusCode).toBe(200);
        expect((await get('coordinator', `/fhir/Task/${review.id}`)).statusCode).toBe(404);

        await t.store.create(buildTask(ids.vip, { code: { text: 'Call about the appointment' } }));
        expect((await get('coordinator', `/fhir/Patient/${ids.vip}`)).statusCode).toBe(404);
        expect(
          ((await get('physician', `/fhir/Patient/${ids.vip}`)).json() as Patient).name?.[0]?.family,
        ).toBe('Famous');
        const [item] = await worklist('coordinator', ids.vip);
        expect(item?.title).toBe('Call about the appointment');
        expect(item?.patient.name).toBeUndefined();
      },
    );
  },
);
