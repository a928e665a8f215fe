/**
 * Assessments end to end on both databases, through the real HTTP API with a fixed clock: staff and
 * patients submit through /api, an integration posts QuestionnaireResponses through /fhir; invalid
 * responses are refused naming the linkId with nothing written; completed ones are scored into
 * Observations and make their follow-ups once, for the right owner, due at the right instant.
 */
import { readFileSync } from 'node:fs';
import type { Bundle, Condition, Flag, Goal, Observation, QuestionnaireResponse, Task } from 'fhir/r4.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildPatient, buildPractitioner, buildPrivacyConsent } from '../../../test/support/factories.js';
import {
  bearerFor,
  type ClockedTestApp,
  openClockedTestApp,
  TEST_NOW,
} from '../../../test/support/identity.js';
import { databaseTargets } from '../../../test/support/test-databases.js';
import {
  AHC_NEGATIVE,
  frequencyPositions,
  GAD7_ITEMS,
  PHQ9_ITEMS,
  responseTo,
  screeningCareTeam,
  spread,
} from './assessment-fixture.js';
import { ASSESSMENT_FOLLOW_UP } from './follow-up.service.js';
import { ensureInstruments } from './questionnaires.js';

const PHQ9 = 'https://careloop.org/fhir/Questionnaire/phq-9';

describe.each(databaseTargets)('assessments ($name)', ({ name, available }) => {
  let t: ClockedTestApp;
  let integration: string;
  let coordinator: string;
  let patient: string;
  let caregiver: string;

  beforeAll(async () => {
    if (!available) return;
    t = await openClockedTestApp(name, { timeZone: 'America/New_York', rateLimitPerMinute: 1_000_000 });
    await ensureInstruments(t.store);
    const s = t.store;
    for (const id of ['pr-doc', 'pr-coord'])
      await s.update('Practitioner', id, { ...buildPractitioner({ name: [{ family: id }] }), id });
    for (const id of ['p1', 'p2', 'p3']) await s.update('Patient', id, { ...buildPatient(), id });
    for (const id of ['p1', 'p3']) await s.update('CareTeam', `ct-${id}`, screeningCareTeam(id));
    integration = (await bearerFor(t.db.database, { role: 'integration', clock: t.clock })).authorization;
    coordinator = (
      await bearerFor(t.db.database, {
        role: 'care-coordinator',
        resource: 'Practitioner/pr-coord',
        clock: t.clock,
      })
    ).authorization;
    patient = (await bearerFor(t.db.database, { role: 'patient', resource: 'Patient/p1', clock: t.clock }))
      .authorization;
    await s.update('RelatedPerson', 'rp-care', {
      resourceType: 'RelatedPerson',
      id: 'rp-care',
      patient: { reference: 'Patient/p3' },
      name: [{ family: 'Carer' }],
    });
    await s.create(buildPrivacyConsent('p3', { type: 'permit', actors: ['RelatedPerson/rp-care'] }));
    caregiver = (
      await bearerFor(t.db.database, { role: 'caregiver', resource: 'RelatedPerson/rp-care', clock: t.clock })
    ).authorization;
  }, 120_000);
  afterAll(async () => t?.close());

  const as = (authorization: string) => ({ authorization });
  const api = (method: 'GET' | 'POST' | 'PUT', url: string, authorization: string, payload?: object) =>
    t.app.inject({ method, url, headers: as(authorization), ...(payload ? { payload } : {}) });
  const fhir = (method: 'GET' | 'POST' | 'PUT', url: string, payload?: object) =>
    t.app.inject({
      method,
      url: `/fhir/${url}`,
      headers: { ...as(integration), 'content-type': 'application/fhir+json' },
      ...(payload ? { payload } : {}),
    });
  const search = async <T>(query: string): Promise<T[]> => {
    const res = await fhir('GET', query);
    expect(res.statusCode, res.body).toBe(200);
    return ((res.json() as Bundle).entry ?? []).map((e) => e.resource as T);
  };
  const body = (
    instrument: Parameters<typeof responseTo>[0],
    positions: Record<string, number>,
    extra: object = {},
  ) => {
    const r = responseTo(instrument, positions);
    return { questionnaire: r.questionnaire, status: 'completed', items: r.item, ...extra };
  };
  const tasksFor = (responseId: string) => search<Task>(`Task?focus=QuestionnaireResponse/${responseId}`);
  const ruleOf = (task: Task) => task.identifier?.[0]?.value?.split(':').slice(1).join(':');

  it.runIf(available)('seeds each instrument once, findable by url, however often it runs', async () => {
    await ensureInstruments(t.store);
    const found = await search<{ version: string; code: { code: string }[] }>(`Questionnaire?url=${PHQ9}`);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ version: '1.0.0', code: [{ code: '44249-1' }] });
    const res = await api('GET', '/api/assessments/instruments', coordinator);
    expect(res.statusCode, res.body).toBe(200);
    const list = res.json().instruments as { id: string; questionnaire: { id?: string } }[];
    expect(list.map((i) => i.id)).toEqual(['phq-2', 'phq-9', 'gad-7', 'ahc-hrsn', 'steadi']);
    expect(list.every((i) => i.questionnaire.id)).toBe(true);
  });

  it.runIf(available)(
    'PHQ-9 with only item 9 = 1 (total 1): urgent same-day task for the care-team physician and a Flag, once',
    async () => {
      const points = [0, 0, 0, 0, 0, 0, 0, 0, 1];
      const res = await api(
        'POST',
        '/api/patients/p1/assessments',
        coordinator,
        body('phq-9', frequencyPositions(PHQ9_ITEMS, points)),
      );
      expect(res.statusCode, res.body).toBe(201);
      const { assessment } = res.json();
      expect(assessment).toMatchObject({ instrument: 'phq-9', total: 1, band: { code: 'minimal' } });
      expect(assessment.factors.find((f: { linkId: string }) => f.linkId === '44260-8').points).toBe(1);

      const tasks = await tasksFor(assessment.id);
      const urgent = tasks.find((x) => ruleOf(x) === 'phq9-item9-suicide-risk')!;
      expect(urgent).toMatchObject({
        status: 'requested',
        priority: 'urgent',
        for: { reference: 'Patient/p1' },
        owner: { reference: 'Practitioner/pr-doc' },
        // End of 30 November in New York (EST, UTC-5).
        restriction: { period: { end: '2026-12-01T04:59:59.000Z' } },
      });
      expect(urgent.performerType?.[0]?.coding?.[0]?.code).toBe('446050000');
      // A negative PHQ-9 is rescreened in a year, by the lead coordinator.
      const rescreen = tasks.find((x) => ruleOf(x) === 'rescreen')!;
      expect(rescreen).toMatchObject({
        owner: { reference: 'Practitioner/pr-coord' },
        restriction: { period: { end: '2027-11-30T12:00:00.000Z' } },
      });
      expect(tasks).toHaveLength(2);

      const flags = await search<Flag>('Flag?subject=Patient/p1');
      expect(flags).toHaveLength(1);
      expect(flags[0]).toMatchObject({
        status: 'active',
        category: [{ coding: [{ code: 'clinical' }] }],
        period: { start: new Date(TEST_NOW).toISOString() },
      });

      const totals = await search<Observation>(
        'Observation?subject=Patient/p1&code=http://loinc.org|44261-6',
      );
      expect(totals).toHaveLength(1);
      expect(totals[0]).toMatchObject({
        valueInteger: 1,
        category: [{ coding: [{ code: 'survey' }] }],
        derivedFrom: [{ reference: `QuestionnaireResponse/${assessment.id}` }],
      });
      expect(totals[0]!.interpretation?.[0]?.coding?.map((c) => c.code)).toEqual(['NEG', 'phq-9-minimal']);
      // Nine scored items and the difficulty answer (asked because an item was above 0).
      expect(totals[0]!.hasMember).toHaveLength(10);
      const item9 = await search<Observation>('Observation?subject=Patient/p1&code=http://loinc.org|44260-8');
      expect(item9[0]!.valueCodeableConcept?.coding?.[0]?.code).toBe('LA6569-3');

      // Saving the same response again (an integration re-sending it) creates nothing twice.
      const stored = (await (
        await fhir('GET', `QuestionnaireResponse/${assessment.id}`)
      ).json()) as QuestionnaireResponse;
      const again = await fhir('PUT', `QuestionnaireResponse/${assessment.id}`, {
        ...stored,
        meta: undefined,
        authored: stored.authored,
      });
      expect(again.statusCode, again.body).toBeLessThan(300);
      expect(await tasksFor(assessment.id)).toHaveLength(2);
      expect(await search<Flag>('Flag?subject=Patient/p1')).toHaveLength(1);
      expect(
        await search<Observation>('Observation?subject=Patient/p1&code=http://loinc.org|44261-6'),
      ).toHaveLength(1);
    },
  );

  it.runIf(available)(
    'gives the item-9 task to the physician role, unowned, when the patient has no care team',
    async () => {
      const res = await api(
        'POST',
        '/api/patients/p2/assessments',
        integration,
        body('phq-9', frequencyPositions(PHQ9_ITEMS, [0, 0, 0, 0, 0, 0, 0, 0, 2])),
      );
      expect(res.statusCode, res.body).toBe(201);
      const urgent = (await tasksFor(res.json().assessment.id)).find(
        (x) => ruleOf(x) === 'phq9-item9-suicide-risk',
      )!;
      expect(urgent.owner).toBeUndefined();
      expect(urgent.performerType?.[0]).toMatchObject({ text: 'physician', coding: [{ code: '446050000' }] });
    },
  );

  it.runIf(available)(
    'submitting the same identifier twice returns the saved response and makes nothing twice',
    async () => {
      const payload = body('phq-9', frequencyPositions(PHQ9_ITEMS, spread(16, 9)), {
        identifier: { system: 'urn:clinic-tablet', value: 'session-77' },
      });
      const first = await api('POST', '/api/patients/p2/assessments', integration, payload);
      const second = await api('POST', '/api/patients/p2/assessments', integration, payload);
      expect(first.statusCode, first.body).toBe(201);
      expect(second.json().assessment.id).toBe(first.json().assessment.id);
      const tasks = await tasksFor(first.json().assessment.id);
      // Moderately severe: collaborative care suggested to the physician role (with the template), rescreen in 4 weeks.
      expect(tasks.map(ruleOf).sort()).toEqual(['phq9-consider-collaborative-care', 'rescreen']);
      const plan = tasks.find((x) => ruleOf(x) === 'phq9-consider-collaborative-care')!;
      expect(plan.input?.[0]?.valueString).toBe('depression-collaborative-care');
      expect(plan.restriction?.period?.end).toBe('2026-12-07T12:00:00.000Z');
      expect(tasks.find((x) => ruleOf(x) === 'rescreen')!.restriction?.period?.end).toBe(
        '2026-12-28T12:00:00.000Z',
      );
      // The new PHQ-9 answers the yearly reminder the earlier one (item 9 only) left: one open rescreen.
      const rescreens = (await search<Task>('Task?patient=Patient/p2')).filter(
        (x) => ruleOf(x) === 'rescreen',
      );
      expect(rescreens.map((x) => x.status).sort()).toEqual(['cancelled', 'requested']);
      expect(rescreens.find((x) => x.status === 'cancelled')!.statusReason?.text).toContain(
        first.json().assessment.id,
      );
    },
  );

  it.runIf(available)(
    'refuses an incomplete response through the API, naming the linkId, and writes nothing',
    async () => {
      const before = (await search<QuestionnaireResponse>('QuestionnaireResponse?subject=Patient/p3')).length;
      const positions = frequencyPositions(PHQ9_ITEMS, spread(3, 9));
      delete positions['44260-8'];
      const res = await api('POST', '/api/patients/p3/assessments', coordinator, body('phq-9', positions));
      expect(res.statusCode, res.body).toBe(400);
      expect(res.json().error.details).toEqual([
        expect.objectContaining({ code: 'required', expression: '44260-8' }),
      ]);
      expect(await search<QuestionnaireResponse>('QuestionnaireResponse?subject=Patient/p3')).toHaveLength(
        before,
      );
    },
  );

  it.runIf(available)(
    'refuses invalid responses posted through /fhir with an OperationOutcome naming the linkId',
    async () => {
      const unknownCode = responseTo('gad-7', frequencyPositions(GAD7_ITEMS, spread(5, 7)), {
        subject: { reference: 'Patient/p3' },
      });
      unknownCode.item![2]!.answer = [{ valueCoding: { system: 'http://loinc.org', code: 'LA0000-0' } }];
      const wrongType = responseTo('gad-7', frequencyPositions(GAD7_ITEMS, spread(5, 7)), {
        subject: { reference: 'Patient/p3' },
      });
      wrongType.item![0]!.answer = [{ valueInteger: 3 }];
      for (const [resource, linkId] of [
        [unknownCode, '69733-4'],
        [wrongType, '69725-0'],
      ] as const) {
        const res = await fhir('POST', 'QuestionnaireResponse', resource);
        expect(res.statusCode, res.body).toBe(400);
        expect(res.json()).toMatchObject({
          resourceType: 'OperationOutcome',
          issue: [{ expression: [linkId] }],
        });
      }
      const unknownForm = await fhir('POST', 'QuestionnaireResponse', {
        ...unknownCode,
        questionnaire: 'https://example.org/Questionnaire/nope',
      });
      expect(unknownForm.statusCode).toBe(422);
      expect(await search<QuestionnaireResponse>('QuestionnaireResponse?subject=Patient/p3')).toHaveLength(0);
    },
  );

  it.runIf(available)(
    'scores a PHQ-2 posted by an integration: 3 asks the lead coordinator for a PHQ-9 within 7 days',
    async () => {
      const res = await fhir(
        'POST',
        'QuestionnaireResponse',
        responseTo(
          'phq-2',
          { '44250-9': 2, '44255-8': 1 },
          { subject: { reference: 'Patient/p1' }, authored: '2026-11-30T09:00:00Z' },
        ),
      );
      expect(res.statusCode, res.body).toBe(201);
      const id = res.json().id;
      const tasks = await tasksFor(id);
      expect(tasks.map(ruleOf).sort()).toEqual(['phq2-positive-give-phq9']);
      expect(tasks[0]).toMatchObject({
        owner: { reference: 'Practitioner/pr-coord' },
        restriction: { period: { end: '2026-12-07T09:00:00.000Z' } },
        identifier: [{ system: ASSESSMENT_FOLLOW_UP, value: `${id}:phq2-positive-give-phq9` }],
      });
      const total = await search<Observation>('Observation?subject=Patient/p1&code=http://loinc.org|55758-7');
      expect(total.map((o) => o.valueInteger)).toEqual([3]);
      // The PHQ-9 it asked for completes the task.
      const phq9 = await api(
        'POST',
        '/api/patients/p1/assessments',
        coordinator,
        body('phq-9', frequencyPositions(PHQ9_ITEMS, spread(6, 8))),
      );
      expect(phq9.statusCode, phq9.body).toBe(201);
      const [done] = await tasksFor(id);
      expect(done).toMatchObject({ status: 'completed' });
      expect(done!.statusReason?.text).toContain(phq9.json().assessment.id);
    },
  );

  it.runIf(available)(
    'turns each positive social-needs domain into a Condition, a Goal and a referral suggestion, once',
    async () => {
      const positions = {
        ...AHC_NEGATIVE,
        '88122-7': 1,
        '95618-5': 2,
        '95617-7': 2,
        '95616-9': 2,
        '95615-1': 1,
      };
      const payload = body('ahc-hrsn', positions);
      const res = await api('POST', '/api/patients/p1/assessments', coordinator, payload);
      expect(res.statusCode, res.body).toBe(201);
      const id = res.json().assessment.id;
      expect(
        res
          .json()
          .assessment.domains.filter((d: { positive: boolean }) => d.positive)
          .map((d: { id: string }) => d.id),
      ).toEqual(['food', 'safety']);
      const conditions = await search<Condition>(
        `Condition?subject=Patient/p1&category=http://hl7.org/fhir/us/core/CodeSystem/us-core-category|sdoh`,
      );
      expect(conditions.map((c) => c.code?.coding?.[0]?.code ?? c.code?.text).sort()).toEqual([
        '733423003',
        'Interpersonal safety concern (AHC HRSN safety score above 10)',
      ]);
      expect(
        conditions.every((c) => c.evidence?.[0]?.detail?.[0]?.reference === `QuestionnaireResponse/${id}`),
      ).toBe(true);
      const goals = await search<Goal>('Goal?subject=Patient/p1');
      expect(goals.map((g) => g.description.text).sort()).toEqual([
        'Food security',
        'Safety at home and in relationships',
      ]);
      const referrals = (await search<Task>('Task?patient=Patient/p1')).filter((x) =>
        ruleOf(x)?.endsWith(':referral'),
      );
      expect(referrals).toHaveLength(2);
      expect(referrals.every((x) => x.owner?.reference === 'Practitioner/pr-coord')).toBe(true);
      expect(referrals[0]!.restriction?.period?.end).toBe('2026-12-14T12:00:00.000Z');
      // Amending the response with the same answers adds nothing.
      const amend = await api('PUT', `/api/patients/p1/assessments/${id}`, coordinator, payload);
      expect(amend.statusCode, amend.body).toBe(200);
      expect(amend.json().assessment.status).toBe('amended');
      expect(
        await search<Condition>(
          'Condition?subject=Patient/p1&category=http://hl7.org/fhir/us/core/CodeSystem/us-core-category|sdoh',
        ),
      ).toHaveLength(2);
      expect(await search<Goal>('Goal?subject=Patient/p1')).toHaveLength(2);
    },
  );

  it.runIf(available)(
    'saves an in-progress response unscored, completes it later, and will not reopen it',
    async () => {
      const partial = body('gad-7', { '69725-0': 2 }, { status: 'in-progress' });
      const started = await api('POST', '/api/patients/p1/assessments', coordinator, partial);
      expect(started.statusCode, started.body).toBe(201);
      const id = started.json().assessment.id;
      expect(started.json().observations).toEqual([]);
      expect(
        await search<Observation>('Observation?subject=Patient/p1&code=http://loinc.org|70274-6'),
      ).toHaveLength(0);

      const done = await api(
        'PUT',
        `/api/patients/p1/assessments/${id}`,
        coordinator,
        body('gad-7', frequencyPositions(GAD7_ITEMS, spread(11, 7))),
      );
      expect(done.statusCode, done.body).toBe(200);
      expect(done.json().assessment).toMatchObject({
        status: 'completed',
        total: 11,
        band: { code: 'moderate' },
      });
      expect(done.json().followUps.tasks.map((x: { title: string }) => x.title)).toEqual(
        expect.arrayContaining([expect.stringContaining('collaborative-care')]),
      );
      const reopen = await api('PUT', `/api/patients/p1/assessments/${id}`, coordinator, partial);
      expect(reopen.statusCode).toBe(409);
    },
  );

  it.runIf(available)('lets a patient answer their own questionnaire, not someone else’s', async () => {
    const own = await api(
      'POST',
      '/api/patients/p1/assessments',
      patient,
      body('steadi', { 'fallen-past-year': 0, unsteady: 1, 'worried-falling': 1 }),
    );
    expect(own.statusCode, own.body).toBe(201);
    expect(own.json().assessment).toMatchObject({ total: 1, band: { code: 'at-risk' } });
    expect(own.json().assessment.response).toMatchObject({
      author: { reference: 'Patient/p1' },
      source: { reference: 'Patient/p1' },
    });
    const other = await api(
      'POST',
      '/api/patients/p2/assessments',
      patient,
      body('steadi', { 'fallen-past-year': 1, unsteady: 1, 'worried-falling': 1 }),
    );
    expect(other.statusCode).toBe(403);
    const mine = await api('GET', '/api/patients/p1/assessments', patient);
    expect(mine.statusCode, mine.body).toBe(200);
    expect(mine.json().assessments.some((a: { instrument: string }) => a.instrument === 'steadi')).toBe(true);
  });

  it.runIf(available)(
    'takes responses to a Questionnaire loaded by others (LHC-Forms Hunger Vital Sign), validated, unscored',
    async () => {
      const q = JSON.parse(
        readFileSync(
          new URL('../../../test/fixtures/questionnaires/hunger-vital-signs.json', import.meta.url),
          'utf8',
        ),
      );
      const loaded = await fhir('PUT', 'Questionnaire/hunger-vital-signs', {
        ...q,
        id: 'hunger-vital-signs',
      });
      expect(loaded.statusCode, loaded.body).toBeLessThan(300);
      const coded = (linkId: string, code: string) => ({
        linkId,
        answer: [{ valueCoding: { system: 'http://loinc.org', code } }],
      });
      const items = [
        coded('/88122-7', 'LA28397-0'),
        coded('/88123-5', 'LA28398-8'),
        coded('/88124-3', 'LA19952-3'),
      ];
      const canonical = q.url as string;
      const ok = await api('POST', '/api/patients/p1/assessments', coordinator, {
        questionnaire: canonical,
        items,
      });
      expect(ok.statusCode, ok.body).toBe(201);
      expect(ok.json().assessment.questionnaire).toBe(canonical);
      expect(ok.json().observations).toEqual([]);
      const wrong = await api('POST', '/api/patients/p1/assessments', coordinator, {
        questionnaire: 'Questionnaire/hunger-vital-signs',
        items: [items[0], items[1], coded('/88124-3', 'LA6729-3')],
      });
      expect(wrong.statusCode).toBe(400);
      expect(wrong.json().error.details[0].expression).toBe('/88124-3');
    },
  );

  it.runIf(available)(
    'lets a caregiver answer for the patient whose proxy Consent names them, and no other',
    async () => {
      const answers = body('steadi', { 'fallen-past-year': 1, unsteady: 1, 'worried-falling': 1 });
      const forP3 = await api('POST', '/api/patients/p3/assessments', caregiver, answers);
      expect(forP3.statusCode, forP3.body).toBe(201);
      expect(forP3.json().assessment.response).toMatchObject({
        subject: { reference: 'Patient/p3' },
        author: { reference: 'RelatedPerson/rp-care' },
      });
      expect((await api('POST', '/api/patients/p1/assessments', caregiver, answers)).statusCode).toBe(403);
    },
  );

  it.runIf(available)(
    'draws the PHQ-9 trend with the baseline, response (>= 50% down) and remission (< 5) marked',
    async () => {
      const series: [string, number][] = [
        ['2026-09-01T15:00:00Z', 18],
        ['2026-09-29T15:00:00Z', 12],
        ['2026-10-27T15:00:00Z', 9],
        ['2026-11-24T15:00:00Z', 4],
      ];
      for (const [authored, total] of series) {
        const res = await api(
          'POST',
          '/api/patients/p3/assessments',
          coordinator,
          body('phq-9', frequencyPositions(PHQ9_ITEMS, spread(total, 8)), { authored }),
        );
        expect(res.statusCode, res.body).toBe(201);
      }
      const res = await api('GET', '/api/patients/p3/assessments/trends?instrument=phq-9', coordinator);
      expect(res.statusCode, res.body).toBe(200);
      expect(
        res
          .json()
          .points.map(
            (p: {
              total: number;
              episodeStart: boolean;
              response: boolean;
              remission: boolean;
              band: string;
            }) => [p.total, p.band, p.episodeStart, p.response, p.remission],
          ),
      ).toEqual([
        [18, 'Moderately severe', true, false, false],
        [12, 'Moderate', false, false, false],
        [9, 'Mild', false, true, false],
        [4, 'Minimal', false, true, true],
      ]);
      const bad = await api('GET', '/api/patients/p3/assessments/trends?instrument=ahc', coordinator);
      expect(bad.statusCode).toBe(400);
      // Responses authored more than 30 days ago are history: scored, but they set nothing in motion.
      const list = (await api('GET', '/api/patients/p3/assessments', coordinator)).json().assessments as {
        id: string;
        authored: string;
      }[];
      const oldest = list.find((a) => a.authored === series[0]![0])!;
      expect(await tasksFor(oldest.id)).toHaveLength(0);
    },
  );
});
