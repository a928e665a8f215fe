/**
 * Responses as other systems send them, on both databases through HTTP: written out here as a
 * vendor's interface or LHC-Forms produces them (not by the test factories). The difficulty item left
 * out, items without text, answers with other displays or no system, the canonical with |version or
 * as Questionnaire/<id>, another publisher's PHQ-9, no Questionnaire at all; and the safety rule
 * (PHQ-9 item 9 above "Not at all") read from any response that gives it, whatever else is missing.
 */
import { readFileSync } from 'node:fs';
import type {
  Bundle,
  Flag,
  Observation,
  OperationOutcome,
  QuestionnaireResponse,
  QuestionnaireResponseItem,
  Task,
} from 'fhir/r4.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildPatient, buildPractitioner } from '../../../test/support/factories.js';
import { bearerFor, type ClockedTestApp, openClockedTestApp } from '../../../test/support/identity.js';
import { databaseTargets } from '../../../test/support/test-databases.js';
import { GAD7_ITEMS, PHQ9_ITEMS, screeningCareTeam } from './assessment-fixture.js';
import { ensureInstruments } from './questionnaires.js';

const LOINC = 'http://loinc.org';
const PHQ9 = 'https://careloop.org/fhir/Questionnaire/phq-9';
const SAFETY_RULE = 'phq9-item9-suicide-risk';
// The LOINC frequency answers, as a vendor's interface labels them.
const FREQUENCY = [
  ['LA6568-5', 'Not at all (0)'],
  ['LA6569-3', 'Several days (1)'],
  ['LA6570-1', 'More than half the days (2)'],
  ['LA6571-9', 'Nearly every day (3)'],
] as const;

/** A vendor's item: linkId and a LOINC-coded answer with the vendor's display, no question text. */
const vendorItem = (linkId: string, points: number, prefix = ''): QuestionnaireResponseItem => ({
  linkId: `${prefix}${linkId}`,
  answer: [{ valueCoding: { system: LOINC, code: FREQUENCY[points]![0], display: FREQUENCY[points]![1] } }],
});
const vendorItems = (points: (number | undefined)[], prefix = ''): QuestionnaireResponseItem[] =>
  PHQ9_ITEMS.flatMap((linkId, i) =>
    points[i] === undefined ? [] : [vendorItem(linkId, points[i]!, prefix)],
  );

describe.each(databaseTargets)('assessments from other systems ($name)', ({ name, available }) => {
  let t: ClockedTestApp;
  let integration: string;
  let coordinator: string;
  let patientV3: string;
  let phq9Id: string;

  beforeAll(async () => {
    if (!available) return;
    t = await openClockedTestApp(name, { timeZone: 'America/New_York', rateLimitPerMinute: 1_000_000 });
    const s = t.store;
    const stored = await ensureInstruments(s);
    phq9Id = stored.find((q) => q.url === PHQ9)!.id!;
    for (const id of ['pr-doc', 'pr-coord'])
      await s.update('Practitioner', id, { ...buildPractitioner({ name: [{ family: id }] }), id });
    for (const id of ['v1', 'v2', 'v3', 'v4', 'v5', 'v6', 'v7']) {
      await s.update('Patient', id, { ...buildPatient(), id });
      await s.update('CareTeam', `ct-${id}`, screeningCareTeam(id));
    }
    const bearer = (options: Parameters<typeof bearerFor>[1]) =>
      bearerFor(t.db.database, { ...options, clock: t.clock }).then((b) => b.authorization);
    integration = await bearer({ role: 'integration' });
    coordinator = await bearer({ role: 'care-coordinator', resource: 'Practitioner/pr-coord' });
    patientV3 = await bearer({ role: 'patient', resource: 'Patient/v3' });
  }, 120_000);
  afterAll(async () => t?.close());

  const fhir = (method: 'GET' | 'POST' | 'PUT', url: string, payload?: object) =>
    t.app.inject({
      method,
      url: `/fhir/${url}`,
      headers: { authorization: integration, 'content-type': 'application/fhir+json' },
      ...(payload ? { payload } : {}),
    });
  const api = (method: 'GET' | 'POST', url: string, authorization: string, payload?: object) =>
    t.app.inject({ method, url, headers: { authorization }, ...(payload ? { payload } : {}) });
  const search = async <T>(query: string): Promise<T[]> => {
    const res = await fhir('GET', query);
    expect(res.statusCode, res.body).toBe(200);
    return ((res.json() as Bundle).entry ?? []).map((e) => e.resource as T);
  };
  const rule = (task: Task) => task.identifier?.[0]?.value?.split(':').slice(1).join(':');
  const safetyTasks = async (patient: string) =>
    (await search<Task>(`Task?patient=Patient/${patient}`)).filter((x) => rule(x) === SAFETY_RULE);
  const flags = async (patient: string) =>
    (await search<Flag>(`Flag?subject=Patient/${patient}`)).filter((f) => f.status === 'active');
  const totals = (patient: string) =>
    search<Observation>(`Observation?subject=Patient/${patient}&code=${LOINC}|44261-6`);
  const vendorResponse = (patient: string, items: QuestionnaireResponseItem[], extra: object = {}) => ({
    resourceType: 'QuestionnaireResponse',
    questionnaire: `${PHQ9}|1.0.0`,
    status: 'completed',
    subject: { reference: `Patient/${patient}` },
    authored: '2026-11-30T08:15:00-05:00',
    item: items,
    ...extra,
  });

  /** The urgent same-day task for the care-team physician and the active Flag: once each. */
  const expectSafetyFollowUp = async (patient: string) => {
    const tasks = await safetyTasks(patient);
    expect(tasks).toHaveLength(1);
    expect(tasks[0]).toMatchObject({
      status: 'requested',
      priority: 'urgent',
      for: { reference: `Patient/${patient}` },
      owner: { reference: 'Practitioner/pr-doc' },
      // End of 30 November in New York (EST, UTC-5).
      restriction: { period: { end: '2026-12-01T04:59:59.000Z' } },
    });
    const active = await flags(patient);
    expect(active).toHaveLength(1);
    expect(active[0]!.code.coding?.[0]?.code).toBe('6471006');
    return tasks[0]!;
  };

  it.runIf(available)(
    "scores another system's PHQ-9 without the difficulty item (no item text, its own answer displays, canonical|version) and raises the urgent task and Flag for item 9",
    async () => {
      const res = await fhir(
        'POST',
        'QuestionnaireResponse',
        vendorResponse('v1', vendorItems([2, 1, 1, 0, 0, 0, 0, 0, 1])),
      );
      expect(res.statusCode, res.body).toBe(201);
      const id = (res.json() as QuestionnaireResponse).id;
      const [total] = await totals('v1');
      expect(total).toMatchObject({
        valueInteger: 5,
        derivedFrom: [{ reference: `QuestionnaireResponse/${id}` }],
      });
      expect(total!.interpretation?.[0]?.coding?.map((c) => c.code)).toEqual(['NEG', 'phq-9-mild']);
      const task = await expectSafetyFollowUp('v1');
      expect(task.focus?.reference).toBe(`QuestionnaireResponse/${id}`);
    },
  );

  it.runIf(available)(
    'scores a PHQ-9 that names the form by its bare url or as Questionnaire/<id>',
    async () => {
      // With the difficulty item this time: only the way the form is named differs from a shipped response.
      const difficulty = {
        linkId: '69722-7',
        answer: [{ valueCoding: { system: LOINC, code: 'LA6573-5' } }],
      };
      for (const questionnaire of [PHQ9, `Questionnaire/${phq9Id}`]) {
        const res = await fhir(
          'POST',
          'QuestionnaireResponse',
          vendorResponse('v2', [...vendorItems([3, 3, 3, 0, 0, 0, 0, 0, 0]), difficulty], { questionnaire }),
        );
        expect(res.statusCode, res.body).toBe(201);
        const id = (res.json() as QuestionnaireResponse).id;
        const scored = (await totals('v2')).filter(
          (o) => o.derivedFrom?.[0]?.reference === `QuestionnaireResponse/${id}`,
        );
        expect(scored.map((o) => o.valueInteger)).toEqual([9]);
      }
    },
  );

  it.runIf(available)(
    "scores a response to another publisher's PHQ-9 (LHC-Forms: linkIds /44250-9…, options without a system) by its LOINC codes",
    async () => {
      const lhc = JSON.parse(
        readFileSync(new URL('../../../test/fixtures/questionnaires/phq9.json', import.meta.url), 'utf8'),
      );
      // The fixture breaks R4 in two ways the store refuses: optionPrefix values given as numbers, and
      // variable names with "_" (Expression.name is an id). The copy loaded is repaired there only.
      const repaired = JSON.parse(JSON.stringify(lhc), (key, value) =>
        key === 'valueString' && typeof value === 'number'
          ? String(value)
          : key === 'name' && typeof value === 'string'
            ? value.replaceAll('_', '-')
            : value,
      );
      const loaded = await fhir('PUT', `Questionnaire/${lhc.id}`, repaired);
      expect(loaded.statusCode, loaded.body).toBeLessThan(300);
      // As LHC-Forms' getFormFHIRData writes it: the form's linkIds and texts, codes without a system.
      const items = vendorItems([1, 1, 1, 1, 1, 0, 0, 0, 2], '/').map((item, i) => ({
        ...item,
        text: lhc.item[i].text,
        answer: item.answer!.map((a) => ({
          valueCoding: { code: a.valueCoding!.code, display: a.valueCoding!.display },
        })),
      }));
      const res = await fhir(
        'POST',
        'QuestionnaireResponse',
        vendorResponse('v4', items, { questionnaire: `Questionnaire/${lhc.id}` }),
      );
      expect(res.statusCode, res.body).toBe(201);
      expect((await totals('v4')).map((o) => o.valueInteger)).toEqual([7]);
      await expectSafetyFollowUp('v4');
      const list = await api('GET', '/api/patients/v4/assessments', coordinator);
      expect(list.json().assessments[0]).toMatchObject({
        instrument: 'phq-9',
        total: 7,
        band: { code: 'mild' },
      });
      expect(list.json().assessments[0].factors.at(-1)).toMatchObject({ linkId: '/44260-8', points: 2 });
    },
  );

  it.runIf(available)(
    'takes a PHQ-9 and a GAD-7 from the patient portal without the difficulty item; item 9 raises the urgent task and Flag',
    async () => {
      const items = vendorItems([0, 0, 0, 0, 0, 0, 0, 0, 3]);
      const res = await api('POST', '/api/patients/v3/assessments', patientV3, {
        questionnaire: `${PHQ9}|1.0.0`,
        items,
      });
      expect(res.statusCode, res.body).toBe(201);
      expect(res.json().assessment).toMatchObject({ total: 3, band: { code: 'minimal' } });
      expect(res.json().followUps.flags).toHaveLength(1);
      await expectSafetyFollowUp('v3');

      const anxiety = await api('POST', '/api/patients/v3/assessments', coordinator, {
        questionnaire: 'https://careloop.org/fhir/Questionnaire/gad-7',
        items: GAD7_ITEMS.map((linkId) => vendorItem(linkId, 2)),
      });
      expect(anxiety.statusCode, anxiety.body).toBe(201);
      expect(anxiety.json().assessment).toMatchObject({ total: 14, band: { code: 'moderate' } });
    },
  );

  it.runIf(available)(
    'the check endpoint asks for the difficulty item with a warning, not an error',
    async () => {
      const res = await api('POST', '/api/assessments/check', coordinator, {
        questionnaire: PHQ9,
        items: vendorItems([1, 0, 0, 0, 0, 0, 0, 0, 0]),
      });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json().issues).toEqual([
        expect.objectContaining({ linkId: '69722-7', severity: 'warning', code: 'required' }),
      ]);
      expect(res.json().total).toBe(1);
    },
  );

  it.runIf(available)(
    'a response in progress with item 9 positive raises the urgent task and Flag at once; completing it makes neither twice',
    async () => {
      const started = await fhir(
        'POST',
        'QuestionnaireResponse',
        vendorResponse(
          'v5',
          vendorItems([
            undefined,
            undefined,
            undefined,
            undefined,
            undefined,
            undefined,
            undefined,
            undefined,
            1,
          ]),
          {
            status: 'in-progress',
          },
        ),
      );
      expect(started.statusCode, started.body).toBe(201);
      const stored = started.json() as QuestionnaireResponse;
      expect(await totals('v5')).toHaveLength(0);
      await expectSafetyFollowUp('v5');

      const done = await fhir('PUT', `QuestionnaireResponse/${stored.id}`, {
        ...vendorResponse('v5', vendorItems([1, 1, 0, 0, 0, 0, 0, 0, 1])),
        id: stored.id,
      });
      expect(done.statusCode, done.body).toBe(200);
      expect((await totals('v5')).map((o) => o.valueInteger)).toEqual([3]);
      await expectSafetyFollowUp('v5');
    },
  );

  it.runIf(available)(
    'refuses a completed PHQ-9 missing scored items, naming them, and saves nothing; its positive item 9 still raises the urgent task and Flag, once',
    async () => {
      const refused = vendorResponse('v6', vendorItems([1, 1, undefined, undefined, 0, 0, 0, 0, 2]));
      for (let attempt = 0; attempt < 2; attempt++) {
        const res = await fhir('POST', 'QuestionnaireResponse', refused);
        expect(res.statusCode, res.body).toBe(400);
        const outcome = res.json() as OperationOutcome;
        expect(outcome.issue.filter((i) => i.severity === 'error')).toEqual([
          expect.objectContaining({ code: 'required', expression: ['44259-0'] }),
          expect.objectContaining({ code: 'required', expression: ['44254-1'] }),
        ]);
        expect(outcome.issue.find((i) => i.severity === 'information')?.diagnostics).toContain(
          'Same-day suicide risk assessment',
        );
      }
      expect(await search<QuestionnaireResponse>('QuestionnaireResponse?subject=Patient/v6')).toHaveLength(0);
      const task = await expectSafetyFollowUp('v6');
      // The response was not saved: the task points at the patient and says why.
      expect(task.focus?.reference).toBe('Patient/v6');
      expect(task.reasonReference).toBeUndefined();
      expect(task.note?.[0]?.text).toMatch(/refused and not saved .*44259-0, 44254-1/);

      // The same through the API, from the care coordinator: refused, the follow-ups already there.
      const viaApi = await api('POST', '/api/patients/v6/assessments', coordinator, {
        questionnaire: PHQ9,
        items: refused.item,
      });
      expect(viaApi.statusCode, viaApi.body).toBe(400);
      expect(viaApi.json().error.details.map((d: { expression?: string }) => d.expression)).toEqual([
        '44259-0',
        '44254-1',
        undefined,
      ]);
      expect(await safetyTasks('v6')).toHaveLength(2);
    },
  );

  it.runIf(available)(
    'keeps the required check for items a score needs: a PHQ-9 without item 2 and a negative item 9 is refused and sets nothing in motion',
    async () => {
      const res = await fhir(
        'POST',
        'QuestionnaireResponse',
        vendorResponse('v7', vendorItems([1, undefined, 0, 0, 0, 0, 0, 0, 0])),
      );
      expect(res.statusCode, res.body).toBe(400);
      expect((res.json() as OperationOutcome).issue).toEqual([
        expect.objectContaining({ code: 'required', expression: ['44255-8'] }),
      ]);
      expect(await search<QuestionnaireResponse>('QuestionnaireResponse?subject=Patient/v7')).toHaveLength(0);
      expect(await search<Task>('Task?patient=Patient/v7')).toHaveLength(0);
      expect(await flags('v7')).toHaveLength(0);
    },
  );

  it.runIf(available)(
    'stores a QuestionnaireResponse that names no Questionnaire (R4 0..1), unchecked and unscored',
    async () => {
      const res = await fhir('POST', 'QuestionnaireResponse', {
        resourceType: 'QuestionnaireResponse',
        status: 'completed',
        subject: { reference: 'Patient/v7' },
        authored: '2026-11-29T10:00:00Z',
        item: [{ linkId: 'mood', text: 'How is your mood today?', answer: [{ valueString: 'low' }] }],
      });
      expect(res.statusCode, res.body).toBe(201);
      const id = (res.json() as QuestionnaireResponse).id;
      expect((await fhir('GET', `QuestionnaireResponse/${id}`)).statusCode).toBe(200);
      expect(await search<Observation>(`Observation?derived-from=QuestionnaireResponse/${id}`)).toHaveLength(
        0,
      );
      const list = await api('GET', '/api/patients/v7/assessments', coordinator);
      expect(list.json().assessments).toEqual([
        expect.objectContaining({ id, questionnaire: '', factors: [], domains: [] }),
      ]);
    },
  );
});
