/**
 * FHIR R4 search (search.html) on both databases: every parameter type and modifier, chaining,
 * `_id`, `_sort`, `_include`/`_revinclude`, `_summary`/`_elements`/`_total`/`_count`, and the errors a
 * client gets for what the server cannot answer. Each block seeds its own database, so every assertion
 * lists exactly the resources that must come back.
 */
import type {
  Bundle,
  Group,
  Location,
  MedicationRequest,
  Observation,
  Patient,
  Provenance,
  Questionnaire,
  QuestionnaireResponse,
  Resource,
  ServiceRequest,
  ValueSet,
} from 'fhir/r4.js';
import { describe, expect, it } from 'vitest';
import {
  buildEncounter,
  buildObservation,
  buildPatient,
  buildPractitioner,
  buildTask,
} from '../../../test/support/factories.js';
import {
  BASE,
  failure,
  matches,
  matchIds,
  put,
  search,
  seededStore,
} from '../../../test/support/search-helpers.js';
import { databaseTargets } from '../../../test/support/test-databases.js';

const LOINC = 'http://loinc.org';
const UCUM = 'http://unitsofmeasure.org';
const MRN = 'http://careloop.example/mrn';

/** `Type/id` of the included resources, sorted. */
function includes(bundle: Bundle): string[] {
  return (bundle.entry ?? [])
    .filter((e) => e.search?.mode === 'include')
    .map((e) => `${e.resource!.resourceType}/${e.resource!.id}`)
    .sort();
}

/** Removes properties a factory sets, for resources that must not have them. */
function without<T extends Resource>(resource: T, ...keys: (keyof T)[]): T {
  const copy = { ...resource };
  for (const k of keys) delete copy[k];
  return copy;
}

function observation(id: string, subject: string, overrides: Partial<Observation> = {}): Observation {
  return { ...buildObservation('unused', { id }), subject: { reference: subject }, ...overrides };
}

describe.each(databaseTargets)('FHIR search on $name', (target) => {
  const run = it.runIf(target.available);

  describe('token parameters', () => {
    const ctx = seededStore(target, (store) =>
      put(store, [
        buildPatient({
          id: 'ana',
          identifier: [
            { system: MRN, value: 'MRN-100' },
            { system: 'http://hl7.org/fhir/sid/us-ssn', value: '123-45-6789' },
          ],
          gender: 'female',
          active: true,
        }),
        buildPatient({
          id: 'ben',
          identifier: [{ system: MRN, value: 'MRN-200' }],
          gender: 'male',
          active: false,
        }),
        buildPatient({ id: 'cal', identifier: [{ value: 'MRN-100' }], gender: 'other' }),
        buildPatient({ id: 'dee', identifier: [{ system: 'http://other.example/ids', value: 'MRN-100' }] }),
        without(buildPatient({ id: 'eve' }), 'identifier', 'gender'),
        buildPatient({
          id: 'odd',
          identifier: [{ system: 'urn:test:odd', value: 'A,B|C' }],
          telecom: [{ system: 'email', value: 'Odd.One@Example.org' }],
          meta: { tag: [{ system: 'urn:test:tags', code: 'vip' }] },
        }),
        observation('a1c', 'Patient/ana'),
        observation('glucose', 'Patient/ana', {
          code: {
            coding: [{ system: LOINC, code: '2339-0', display: 'Glucose [Mass/volume] in Blood' }],
            text: 'Blood sugar',
          },
        }),
        without(
          observation('local-code', 'Patient/ana', {
            code: { coding: [{ system: 'http://careloop.example/codes', code: '4548-4' }] },
          }),
          'category',
        ),
        observation('smoking', 'Patient/ana', {
          code: { text: 'Smoking status' },
          category: [
            {
              coding: [
                {
                  system: 'http://terminology.hl7.org/CodeSystem/observation-category',
                  code: 'social-history',
                },
              ],
            },
          ],
        }),
      ]),
    );

    run('a code alone matches that code in any system', async () => {
      expect(await matches(ctx.store, 'Patient', 'identifier=MRN-100')).toEqual(['ana', 'cal', 'dee']);
      expect(await matches(ctx.store, 'Observation', 'code=4548-4')).toEqual(['a1c', 'local-code']);
    });

    run('system|code matches only that system', async () => {
      expect(await matches(ctx.store, 'Patient', `identifier=${MRN}|MRN-100`)).toEqual(['ana']);
      expect(await matches(ctx.store, 'Observation', `code=${LOINC}|4548-4`)).toEqual(['a1c']);
    });

    run('|code matches only values without a system', async () => {
      expect(await matches(ctx.store, 'Patient', 'identifier=|MRN-100')).toEqual(['cal']);
    });

    run('system| matches any code in that system', async () => {
      expect(await matches(ctx.store, 'Patient', 'identifier=http://other.example/ids|')).toEqual(['dee']);
      expect(await matches(ctx.store, 'Observation', `code=${LOINC}|`)).toEqual(['a1c', 'glucose']);
    });

    run('codes are compared case-sensitively', async () => {
      expect(await matches(ctx.store, 'Patient', `identifier=${MRN}|mrn-100`)).toEqual([]);
    });

    run('a comma is OR; escaped commas and bars are part of the value', async () => {
      expect(await matches(ctx.store, 'Patient', `identifier=${MRN}|MRN-100,${MRN}|MRN-200`)).toEqual([
        'ana',
        'ben',
      ]);
      expect(await matches(ctx.store, 'Patient', 'identifier=urn:test:odd|A\\,B\\|C')).toEqual(['odd']);
    });

    run('an email matches whatever the case of its letters', async () => {
      expect(await matches(ctx.store, 'Patient', 'email=Odd.One@Example.org')).toEqual(['odd']);
      expect(await matches(ctx.store, 'Patient', 'email=odd.one@example.org')).toEqual(['odd']);
      expect(await matches(ctx.store, 'Patient', 'telecom=email|ODD.ONE@EXAMPLE.ORG')).toEqual(['odd']);
    });

    run('_tag searches meta.tag', async () => {
      expect(await matches(ctx.store, 'Patient', '_tag=urn:test:tags|vip')).toEqual(['odd']);
      expect(await matches(ctx.store, 'Patient', '_tag:missing=true')).not.toContain('odd');
    });

    run('booleans are tokens: active=true and active=false find different patients', async () => {
      expect(await matches(ctx.store, 'Patient', 'active=true')).toEqual(['ana']);
      expect(await matches(ctx.store, 'Patient', 'active=false')).toEqual(['ben']);
    });

    run(':missing finds resources with and without the element', async () => {
      expect(await matches(ctx.store, 'Patient', 'active:missing=true')).toEqual([
        'cal',
        'dee',
        'eve',
        'odd',
      ]);
      expect(await matches(ctx.store, 'Patient', 'active:missing=false')).toEqual(['ana', 'ben']);
      expect(await matches(ctx.store, 'Patient', 'identifier:missing=true')).toEqual(['eve']);
    });

    run(':not excludes the matches and keeps resources that lack the element', async () => {
      expect(await matches(ctx.store, 'Patient', 'gender:not=female')).toEqual(['ben', 'cal', 'eve']);
      expect(await matches(ctx.store, 'Patient', 'active:not=true')).toEqual([
        'ben',
        'cal',
        'dee',
        'eve',
        'odd',
      ]);
      const labCategory = 'http://terminology.hl7.org/CodeSystem/observation-category|laboratory';
      expect(await matches(ctx.store, 'Observation', `category:not=${labCategory}`)).toEqual([
        'local-code',
        'smoking',
      ]);
      expect(await matches(ctx.store, 'Observation', `category=${labCategory}`)).toEqual(['a1c', 'glucose']);
    });

    run(':text is not supported (display texts are not indexed) and says so', async () => {
      await expect(matches(ctx.store, 'Observation', 'code:text=glucose')).rejects.toMatchObject({
        status: 400,
        issues: [{ code: 'not-supported', expression: 'code:text' }],
      });
      // A display text is not a code.
      expect(await matches(ctx.store, 'Observation', 'code=hemoglobin')).toEqual([]);
    });

    run('_id matches ids, a comma lists several, :not excludes them', async () => {
      expect(await matches(ctx.store, 'Patient', '_id=ana,cal,nobody')).toEqual(['ana', 'cal']);
      expect(await matches(ctx.store, 'Patient', '_id:not=ana,cal')).toEqual(['ben', 'dee', 'eve', 'odd']);
      expect(await matches(ctx.store, 'Patient', '_id=ana&gender=male')).toEqual([]);
    });
  });

  describe('string parameters', () => {
    const ctx = seededStore(target, (store) =>
      put(store, [
        buildPatient({ id: 'muller', name: [{ family: 'Müller', given: ['Jürgen'] }] }),
        buildPatient({ id: 'mueller', name: [{ family: 'Mueller', given: ['Hans'] }] }),
        buildPatient({ id: 'rivera', name: [{ family: 'Rivera', given: ['Ana', 'Lucia'] }] }),
        buildPatient({ id: 'riviera', name: [{ family: 'Riviera', given: ['Marco'] }] }),
        buildPatient({
          id: 'nickname',
          name: [
            { family: 'Smith', given: ['Robert'] },
            { use: 'nickname', given: ['Bob'] },
          ],
        }),
        buildPatient({ id: 'text-only', name: [{ text: 'Dr. Amelia Earhart' }] }),
        without(buildPatient({ id: 'nameless' }), 'name'),
      ]),
    );
    const found = (q: string) => matches(ctx.store, 'Patient', q);

    run('matches from the start of a value, ignoring case and accents', async () => {
      expect(await found('name=muller')).toEqual(['muller']);
      expect(await found('name=MÜLLER')).toEqual(['muller']);
      expect(await found('family=riv')).toEqual(['rivera', 'riviera']);
      expect(await found('family=rivi')).toEqual(['riviera']);
      expect(await found('given=jur')).toEqual(['muller']);
    });

    run('does not match from the middle of a value', async () => {
      expect(await found('family=vera')).toEqual([]);
      expect(await found('name=ller')).toEqual([]);
    });

    run('name matches any part of any name: family, given, or the whole', async () => {
      expect(await found('name=lucia')).toEqual(['rivera']);
      expect(await found('name=ana lucia')).toEqual(['rivera']);
      expect(await found('name=bob')).toEqual(['nickname']);
      expect(await found('name=dr. amelia')).toEqual(['text-only']);
    });

    run(':exact matches the whole value, with its case and accents', async () => {
      expect(await found('name:exact=Müller')).toEqual(['muller']);
      expect(await found('name:exact=Mueller')).toEqual(['mueller']);
      expect(await found('name:exact=muller')).toEqual([]);
      expect(await found('name:exact=Müll')).toEqual([]);
    });

    run(':contains matches anywhere in the value, ignoring case and accents', async () => {
      expect(await found('name:contains=ller')).toEqual(['mueller', 'muller']);
      expect(await found('family:contains=RA')).toEqual(['rivera', 'riviera']);
      expect(await found('name:contains=ÜRG')).toEqual(['muller']);
    });

    run(':contains treats % and _ in the value literally', async () => {
      expect(await found('name:contains=%25')).toEqual([]);
      expect(await found('name:contains=_')).toEqual([]);
    });

    run('a comma is OR and a repeated parameter is AND', async () => {
      expect(await found('name=rivera,mueller')).toEqual(['mueller', 'rivera']);
      expect(await found('name=ana&name=rivera')).toEqual(['rivera']);
      expect(await found('name=ana&name=muller')).toEqual([]);
    });

    run(':missing finds patients without a name', async () => {
      expect(await found('name:missing=true')).toEqual(['nameless']);
      expect(await found('family:missing=true')).toEqual(['nameless', 'text-only']);
    });
  });

  describe('reference parameters', () => {
    const group: Group = { resourceType: 'Group', id: 'p1', type: 'person', actual: true };
    const ctx = seededStore(target, (store) =>
      put(store, [
        buildPatient({ id: 'p1' }),
        buildPatient({ id: 'p2' }),
        group,
        observation('of-p1', 'Patient/p1'),
        observation('of-p2', 'Patient/p2'),
        observation('of-group-p1', 'Group/p1'),
        observation('of-remote-p1', 'http://other.example/fhir/Patient/p1'),
        observation('of-p2-absolute', `${BASE}/Patient/p2`),
        without(observation('of-nobody', 'Patient/p1'), 'subject'),
        observation('of-mrn-only', 'unused', { subject: { identifier: { system: 'urn:mrn', value: 'M1' } } }),
        observation('of-p1-with-mrn', 'unused', {
          subject: { reference: 'Patient/p1', identifier: { system: 'urn:mrn', value: 'M1' } },
        }),
      ]),
    );
    const found = (q: string) => matches(ctx.store, 'Observation', q);

    run('Type/id matches references to that resource on this server', async () => {
      expect(await found('subject=Patient/p1')).toEqual(['of-p1', 'of-p1-with-mrn']);
      expect(await found('subject=Patient/p2')).toEqual(['of-p2', 'of-p2-absolute']);
    });

    run('a bare id matches that id whatever the type', async () => {
      expect(await found('subject=p1')).toEqual(['of-group-p1', 'of-p1', 'of-p1-with-mrn']);
    });

    run('a :Type modifier narrows a bare id to that type', async () => {
      expect(await found('subject:Patient=p1')).toEqual(['of-p1', 'of-p1-with-mrn']);
      expect(await found('subject:Group=p1')).toEqual(['of-group-p1']);
      expect(await found('subject:Group=Patient/p1')).toEqual([]);
    });

    run('an absolute URL on this server is the same as Type/id', async () => {
      expect(await found(`subject=${BASE}/Patient/p2`)).toEqual(['of-p2', 'of-p2-absolute']);
    });

    run('an absolute URL on another server matches only references to that server', async () => {
      expect(await found('subject=http://other.example/fhir/Patient/p1')).toEqual(['of-remote-p1']);
    });

    run('the patient parameter follows only references that are patients', async () => {
      expect(await found('patient=p1')).toEqual(['of-p1', 'of-p1-with-mrn']);
      // Observation.patient is `subject.where(resolve() is Patient)`; resolve() types relative
      // references only, so the absolute reference to Patient/p2 is not a patient to this parameter.
      expect(await found('patient=Patient/p1,Patient/p2')).toEqual(['of-p1', 'of-p1-with-mrn', 'of-p2']);
    });

    run(':identifier matches the identifier inside the reference', async () => {
      expect(await found('subject:identifier=urn:mrn|M1')).toEqual(['of-mrn-only', 'of-p1-with-mrn']);
      expect(await found('subject:identifier=M1')).toEqual(['of-mrn-only', 'of-p1-with-mrn']);
      expect(await found('subject:identifier=urn:mrn|M2')).toEqual([]);
    });

    run(':missing finds observations without a subject', async () => {
      expect(await found('subject:missing=true')).toEqual(['of-nobody']);
    });
  });

  describe('uri parameters and canonical references', () => {
    const questionnaire = (id: string, url?: string): Questionnaire => ({
      resourceType: 'Questionnaire',
      id,
      status: 'active',
      ...(url ? { url } : {}),
    });
    const valueSet: ValueSet = {
      resourceType: 'ValueSet',
      id: 'care-roles',
      status: 'active',
      url: 'http://careloop.example/fhir/ValueSet/care-roles',
    };
    const response = (id: string, canonical: string): QuestionnaireResponse => ({
      resourceType: 'QuestionnaireResponse',
      id,
      status: 'completed',
      questionnaire: canonical,
    });
    const ctx = seededStore(target, (store) =>
      put(store, [
        questionnaire('phq-9', 'http://careloop.example/fhir/Questionnaire/phq-9'),
        questionnaire('gad-7', 'http://careloop.example/fhir/Questionnaire/gad-7'),
        questionnaire('elsewhere', 'http://careloop.example/fhir/QuestionnaireArchive/old'),
        questionnaire('no-url'),
        valueSet,
        response('answers-v2', 'http://careloop.example/fhir/Questionnaire/phq-9|2.0'),
        response('answers-unversioned', 'http://careloop.example/fhir/Questionnaire/phq-9'),
        response('answers-gad', 'http://careloop.example/fhir/Questionnaire/gad-7|1.0'),
      ]),
    );

    run('a uri matches exactly, not as a prefix', async () => {
      expect(
        await matches(ctx.store, 'Questionnaire', 'url=http://careloop.example/fhir/Questionnaire/phq-9'),
      ).toEqual(['phq-9']);
      expect(
        await matches(ctx.store, 'Questionnaire', 'url=http://careloop.example/fhir/Questionnaire/phq'),
      ).toEqual([]);
      expect(
        await matches(ctx.store, 'ValueSet', 'url=http://careloop.example/fhir/ValueSet/care-roles'),
      ).toEqual(['care-roles']);
    });

    run(':below matches the uri and those under it by whole path segments', async () => {
      expect(
        await matches(ctx.store, 'Questionnaire', 'url:below=http://careloop.example/fhir/Questionnaire'),
      ).toEqual(['gad-7', 'phq-9']);
      expect(await matches(ctx.store, 'Questionnaire', 'url:below=http://careloop.example/fhir/')).toEqual([
        'elsewhere',
        'gad-7',
        'phq-9',
      ]);
    });

    run(':missing finds the questionnaire without a url', async () => {
      expect(await matches(ctx.store, 'Questionnaire', 'url:missing=true')).toEqual(['no-url']);
    });

    run('a canonical without a version matches every version; with one, only that version', async () => {
      const phq9 = 'http://careloop.example/fhir/Questionnaire/phq-9';
      expect(await matches(ctx.store, 'QuestionnaireResponse', `questionnaire=${phq9}`)).toEqual([
        'answers-unversioned',
        'answers-v2',
      ]);
      expect(await matches(ctx.store, 'QuestionnaireResponse', `questionnaire=${phq9}|2.0`)).toEqual([
        'answers-v2',
      ]);
      expect(await matches(ctx.store, 'QuestionnaireResponse', `questionnaire=${phq9}|1.0`)).toEqual([]);
    });
  });

  describe('composite parameters', () => {
    const component = (code: string, value: number) => ({
      code: { coding: [{ system: LOINC, code }] },
      valueQuantity: { value, unit: 'mmHg', system: UCUM, code: 'mm[Hg]' },
    });
    const panel = (id: string, systolic: number, diastolic: number): Observation =>
      without(
        observation(id, 'Patient/bp-patient', {
          code: { coding: [{ system: LOINC, code: '85354-9', display: 'Blood pressure panel' }] },
          component: [component('8480-6', systolic), component('8462-4', diastolic)],
        }),
        'valueQuantity',
      );
    const ctx = seededStore(target, (store) =>
      put(store, [
        buildPatient({ id: 'bp-patient' }),
        panel('bp-high', 150, 95),
        panel('bp-normal', 118, 76),
        // Only the diastolic value is above 140: a composite must pair each code with its own value.
        panel('bp-swapped', 120, 142),
        observation('systolic-alone', 'Patient/bp-patient', {
          code: { coding: [{ system: LOINC, code: '8480-6' }] },
          valueQuantity: { value: 145, unit: 'mmHg', system: UCUM, code: 'mm[Hg]' },
        }),
        observation('a1c', 'Patient/bp-patient'),
        without(
          observation('smoker', 'Patient/bp-patient', {
            code: { coding: [{ system: LOINC, code: '72166-2' }] },
            valueCodeableConcept: { coding: [{ system: 'http://snomed.info/sct', code: '77176002' }] },
          }),
          'valueQuantity',
        ),
      ]),
    );
    const found = (q: string) => matches(ctx.store, 'Observation', q);

    run('code-value-quantity pairs the observation code with its value', async () => {
      expect(await found(`code-value-quantity=${LOINC}|8480-6$gt140`)).toEqual(['systolic-alone']);
      expect(await found(`code-value-quantity=${LOINC}|4548-4$7.2|${UCUM}|%25`)).toEqual(['a1c']);
      expect(await found(`code-value-quantity=${LOINC}|4548-4$gt8`)).toEqual([]);
    });

    run('component-code-value-quantity pairs each component code with its own value', async () => {
      expect(await found(`component-code-value-quantity=${LOINC}|8480-6$gt140`)).toEqual(['bp-high']);
      expect(await found('component-code-value-quantity=8480-6$gt140')).toEqual(['bp-high']);
      expect(await found(`component-code-value-quantity=${LOINC}|8480-6$gt140|${UCUM}|mm[Hg]`)).toEqual([
        'bp-high',
      ]);
      expect(await found(`component-code-value-quantity=${LOINC}|8462-4$gt90`)).toEqual([
        'bp-high',
        'bp-swapped',
      ]);
    });

    run('separate component parameters do not pair, which is why composites exist', async () => {
      expect(await found(`component-code=${LOINC}|8480-6&component-value-quantity=gt140`)).toEqual([
        'bp-high',
        'bp-swapped',
      ]);
    });

    run('combo-code-value-quantity looks at the observation and its components', async () => {
      expect(await found(`combo-code-value-quantity=${LOINC}|8480-6$gt140`)).toEqual([
        'bp-high',
        'systolic-alone',
      ]);
    });

    run('a comma is OR between composite values', async () => {
      expect(
        await found(`component-code-value-quantity=${LOINC}|8480-6$gt140,${LOINC}|8480-6$lt119`),
      ).toEqual(['bp-high', 'bp-normal']);
    });

    run('code-value-concept pairs a code with a coded value', async () => {
      expect(await found(`code-value-concept=${LOINC}|72166-2$http://snomed.info/sct|77176002`)).toEqual([
        'smoker',
      ]);
      expect(await found(`code-value-concept=${LOINC}|72166-2$77176002`)).toEqual(['smoker']);
    });

    run('quantity components are not indexed as coded values', async () => {
      expect(await found('component-code-value-concept:missing=false')).toEqual([]);
    });

    run('a composite value without its $ separator is a 400', async () => {
      const err = await failure(search(ctx.store, 'Observation', `code-value-quantity=${LOINC}|8480-6`));
      expect(err.status).toBe(400);
      expect(err.issues[0]?.expression).toBe('code-value-quantity');
    });
  });

  describe('chaining', () => {
    const clinic: Location = { resourceType: 'Location', id: 'clinic', name: 'Rivera Street Clinic' };
    const ctx = seededStore(target, (store) =>
      put(store, [
        buildPatient({
          id: 'rivera',
          identifier: [{ system: 'urn:mrn', value: 'R-1' }],
          birthDate: '1956-04-12',
        }),
        buildPatient({
          id: 'okafor',
          name: [{ family: 'Okafor', given: ['Ngozi'] }],
          identifier: [{ system: 'urn:mrn', value: 'O-1' }],
          birthDate: '1980-02-02',
        }),
        clinic,
        observation('obs-rivera', 'Patient/rivera'),
        observation('obs-okafor', 'Patient/okafor'),
        observation('obs-clinic', 'Location/clinic'),
        buildTask('rivera', { id: 'task-rivera' }),
        buildTask('okafor', { id: 'task-okafor' }),
        buildEncounter('rivera', { id: 'enc-rivera' }),
        buildEncounter('okafor', { id: 'enc-okafor' }),
      ]),
    );

    run('subject:Patient.name follows the reference to patients of that name', async () => {
      expect(await matches(ctx.store, 'Observation', 'subject:Patient.name=rivera')).toEqual(['obs-rivera']);
      expect(await matches(ctx.store, 'Observation', 'subject:Patient.name=rivera,okafor')).toEqual([
        'obs-okafor',
        'obs-rivera',
      ]);
    });

    run('without a type the chain follows every target type that has the parameter', async () => {
      expect(await matches(ctx.store, 'Observation', 'subject.name=rivera')).toEqual([
        'obs-clinic',
        'obs-rivera',
      ]);
    });

    run('patient.identifier and patient.birthdate chain through Task and Encounter', async () => {
      expect(await matches(ctx.store, 'Task', 'patient.identifier=urn:mrn|R-1')).toEqual(['task-rivera']);
      expect(await matches(ctx.store, 'Task', 'patient.identifier=urn:mrn|nobody')).toEqual([]);
      expect(await matches(ctx.store, 'Encounter', 'patient.birthdate=1956')).toEqual(['enc-rivera']);
      expect(await matches(ctx.store, 'Encounter', 'patient.birthdate=ge1970')).toEqual(['enc-okafor']);
    });

    run('a chain combines with other criteria as AND', async () => {
      expect(
        await matches(ctx.store, 'Observation', `subject:Patient.name=rivera&code=${LOINC}|4548-4`),
      ).toEqual(['obs-rivera']);
      expect(
        await matches(ctx.store, 'Observation', 'subject:Patient.name=rivera&subject=Patient/okafor'),
      ).toEqual([]);
    });

    run('a chain through an unknown parameter or a non-reference is a 400', async () => {
      for (const [type, q, key] of [
        ['Observation', 'subject:Patient.shoe-size=42', 'subject:Patient.shoe-size'],
        ['Observation', 'code.text=x', 'code.text'],
        ['Observation', 'subject:Patient.organization.name=x', 'subject:Patient.organization.name'],
      ] as const) {
        const err = await failure(search(ctx.store, type, q));
        expect(err.status, q).toBe(400);
        expect(err.issues[0]?.expression, q).toBe(key);
      }
    });
  });

  describe('_sort and _count', () => {
    const ctx = seededStore(target, (store) =>
      put(store, [
        buildPatient({ id: 'adams', name: [{ family: 'adams' }], birthDate: '1980-01-01' }),
        buildPatient({ id: 'alvarez', name: [{ family: 'Álvarez' }], birthDate: '1970-05-05' }),
        buildPatient({ id: 'baker', name: [{ family: 'Baker' }], birthDate: '1990-09-09' }),
        buildPatient({ id: 'baker-senior', name: [{ family: 'Baker' }], birthDate: '1950-03-03' }),
        without(buildPatient({ id: 'zimmer', name: [{ family: 'Zimmer' }] }), 'birthDate'),
        without(buildPatient({ id: 'nameless', birthDate: '1960-01-01' }), 'name'),
        observation('code-zzz', 'Patient/adams', {
          code: { coding: [{ system: 'urn:test', code: 'zzz', display: 'Aaa is only the display' }] },
        }),
        observation('code-bbb', 'Patient/adams', { code: { coding: [{ system: 'urn:test', code: 'bbb' }] } }),
      ]),
    );
    const order = async (q: string) => matchIds(await search(ctx.store, 'Patient', q));

    run('sorts strings ignoring case and accents, missing values last', async () => {
      expect(await order('_sort=family')).toEqual([
        'adams',
        'alvarez',
        'baker',
        'baker-senior',
        'zimmer',
        'nameless',
      ]);
    });

    run('a leading - sorts descending, still with missing values last', async () => {
      expect(await order('_sort=-family')).toEqual([
        'zimmer',
        'baker',
        'baker-senior',
        'alvarez',
        'adams',
        'nameless',
      ]);
      expect(await order('_sort=-birthdate')).toEqual([
        'baker',
        'adams',
        'alvarez',
        'nameless',
        'baker-senior',
        'zimmer',
      ]);
    });

    run('sorts dates ascending', async () => {
      expect(await order('_sort=birthdate')).toEqual([
        'baker-senior',
        'nameless',
        'alvarez',
        'adams',
        'baker',
        'zimmer',
      ]);
    });

    run('later sort keys break ties of earlier ones', async () => {
      expect(await order('_sort=family,birthdate')).toEqual([
        'adams',
        'alvarez',
        'baker-senior',
        'baker',
        'zimmer',
        'nameless',
      ]);
      expect(await order('_sort=family,-birthdate')).toEqual([
        'adams',
        'alvarez',
        'baker',
        'baker-senior',
        'zimmer',
        'nameless',
      ]);
    });

    run('sorts by _id and applies the sort to the filtered matches only', async () => {
      expect(await order('_sort=-_id&birthdate=lt1975')).toEqual(['nameless', 'baker-senior', 'alvarez']);
    });

    run('sorts tokens by code, not by display text', async () => {
      expect(matchIds(await search(ctx.store, 'Observation', '_sort=code'))).toEqual([
        'code-bbb',
        'code-zzz',
      ]);
    });

    run('_count limits the page and keeps the total of all matches', async () => {
      const bundle = await search(ctx.store, 'Patient', '_sort=birthdate&_count=2');
      expect(matchIds(bundle)).toEqual(['baker-senior', 'nameless']);
      expect(bundle.total).toBe(6);
      expect(bundle.link?.find((l) => l.relation === 'next')).toBeDefined();
      const zero = await search(ctx.store, 'Patient', '_count=0');
      expect(zero.entry ?? []).toEqual([]);
      expect(zero.total).toBe(6);
    });

    run('_sort on an unknown parameter is a 400 naming _sort', async () => {
      const err = await failure(search(ctx.store, 'Patient', '_sort=shoe-size'));
      expect(err.status).toBe(400);
      expect(err.issues[0]?.expression).toBe('_sort');
    });
  });

  describe('_include and _revinclude', () => {
    const practitioner = buildPractitioner({ id: 'dr' });
    const serviceRequest: ServiceRequest = {
      resourceType: 'ServiceRequest',
      id: 'referral',
      status: 'active',
      intent: 'order',
      subject: { reference: 'Patient/p1' },
    };
    const medicationRequest: MedicationRequest = {
      resourceType: 'MedicationRequest',
      id: 'metformin',
      status: 'active',
      intent: 'order',
      medicationCodeableConcept: { text: 'Metformin 500 mg' },
      subject: { reference: 'Patient/p1' },
    };
    const provenance: Provenance = {
      resourceType: 'Provenance',
      id: 'prov',
      target: [{ reference: 'Patient/p1' }],
      recorded: '2026-11-30T12:00:00Z',
      agent: [{ who: { reference: 'Practitioner/dr' } }],
    };
    const ctx = seededStore(target, (store) =>
      put(store, [
        buildPatient({ id: 'p1' }),
        buildPatient({ id: 'p2' }),
        buildPatient({ id: 'p3' }),
        practitioner,
        observation('o1', 'Patient/p1'),
        observation('o2', 'Patient/p1'),
        observation('o3', 'Patient/p2'),
        observation('o4', 'Patient/p3'),
        serviceRequest,
        medicationRequest,
        provenance,
        buildTask('p1', { id: 't-referral', focus: { reference: 'ServiceRequest/referral' } }),
        buildTask('p1', { id: 't-metformin', focus: { reference: 'MedicationRequest/metformin' } }),
        buildTask('p2', { id: 't-nofocus' }),
      ]),
    );

    run('_include=Observation:patient adds each referenced patient once, marked include', async () => {
      const bundle = await search(ctx.store, 'Observation', '_id=o1,o2,o3&_include=Observation:patient');
      expect(matchIds(bundle).sort()).toEqual(['o1', 'o2', 'o3']);
      expect(includes(bundle)).toEqual(['Patient/p1', 'Patient/p2']);
      expect(bundle.total).toBe(3);
    });

    run('_include with a target type follows only references of that type', async () => {
      const bundle = await search(ctx.store, 'Observation', '_id=o1&_include=Observation:subject:Group');
      expect(includes(bundle)).toEqual([]);
      const patients = await search(ctx.store, 'Observation', '_id=o1&_include=Observation:subject:Patient');
      expect(includes(patients)).toEqual(['Patient/p1']);
    });

    run('_include=Task:focus brings the focus resources of any type', async () => {
      const bundle = await search(ctx.store, 'Task', '_include=Task:focus');
      expect(matchIds(bundle).sort()).toEqual(['t-metformin', 't-nofocus', 't-referral']);
      expect(includes(bundle)).toEqual(['MedicationRequest/metformin', 'ServiceRequest/referral']);
    });

    run('includes follow only the matches of the page', async () => {
      const bundle = await search(
        ctx.store,
        'Observation',
        '_sort=_id&_count=1&_include=Observation:subject',
      );
      expect(matchIds(bundle)).toEqual(['o1']);
      expect(includes(bundle)).toEqual(['Patient/p1']);
    });

    run('_revinclude adds the resources that point at the matches', async () => {
      const bundle = await search(
        ctx.store,
        'Patient',
        '_id=p1&_revinclude=Observation:subject&_revinclude=Provenance:target',
      );
      expect(matchIds(bundle)).toEqual(['p1']);
      expect(includes(bundle)).toEqual(['Observation/o1', 'Observation/o2', 'Provenance/prov']);
    });

    run('_revinclude=Task:patient finds tasks for the matched patients only', async () => {
      const bundle = await search(ctx.store, 'Patient', '_id=p2&_revinclude=Task:patient');
      expect(includes(bundle)).toEqual(['Task/t-nofocus']);
    });

    run('_include that is not a reference parameter of the searched type is a 400', async () => {
      for (const q of [
        '_include=Observation:code',
        '_include=Patient:organization',
        '_include=Observation',
      ]) {
        const err = await failure(search(ctx.store, 'Observation', q));
        expect(err.status, q).toBe(400);
        expect(err.issues[0]?.expression, q).toBe('_include');
      }
    });

    run('deleted resources are neither included nor revincluded', async () => {
      await ctx.store.delete('Patient', 'p3');
      const bundle = await search(ctx.store, 'Observation', '_id=o4&_include=Observation:subject');
      expect(matchIds(bundle)).toEqual(['o4']);
      expect(includes(bundle)).toEqual([]);
      await ctx.store.delete('Observation', 'o2');
      const revinclude = await search(ctx.store, 'Patient', '_id=p1&_revinclude=Observation:subject');
      expect(includes(revinclude)).toEqual(['Observation/o1']);
    });
  });

  describe('_summary, _elements and _total', () => {
    const ctx = seededStore(target, (store) =>
      put(store, [
        buildPatient({
          id: 'full',
          maritalStatus: { text: 'Married' },
          contact: [{ name: { family: 'Rivera', given: ['Marta'] } }],
          communication: [{ language: { text: 'Spanish' } }],
        }),
        buildPatient({ id: 'other' }),
        observation('obs', 'Patient/full', {
          text: { status: 'generated', div: '<div xmlns="http://www.w3.org/1999/xhtml">HbA1c 7.2 %</div>' },
          note: [{ text: 'Fasting sample' }],
          interpretation: [{ text: 'High' }],
        }),
        buildPatient({
          id: 'deceased',
          deceasedBoolean: true,
          _birthDate: { extension: [{ url: 'urn:test:estimated', valueBoolean: true }] },
        } as Patient),
      ]),
    );
    const SUBSETTED = {
      system: 'http://terminology.hl7.org/CodeSystem/v3-ObservationValue',
      code: 'SUBSETTED',
    };

    run('_summary=count answers the number of matches without entries', async () => {
      const bundle = await search(ctx.store, 'Patient', '_summary=count');
      expect(bundle.total).toBe(3);
      expect(bundle.entry ?? []).toEqual([]);
    });

    run('_summary=true keeps the summary elements and marks the resource SUBSETTED', async () => {
      const bundle = await search(ctx.store, 'Patient', '_id=full&_summary=true');
      const patient = bundle.entry?.[0]?.resource as Patient;
      expect(patient.id).toBe('full');
      expect(patient.name?.[0]?.family).toBe('Rivera');
      expect(patient.birthDate).toBe('1956-04-12');
      expect(patient.identifier).toHaveLength(1);
      expect(patient.maritalStatus).toBeUndefined();
      expect(patient.contact).toBeUndefined();
      expect(patient.communication).toBeUndefined();
      expect(patient.meta?.tag).toContainEqual(SUBSETTED);
      expect(patient.meta?.versionId).toBe('1');
    });

    run('_summary=true keeps choice elements such as effective[x], value[x] and deceased[x]', async () => {
      const obs = (await search(ctx.store, 'Observation', '_summary=true')).entry?.[0]
        ?.resource as Observation;
      expect(obs.effectiveDateTime).toBe('2026-10-01T09:30:00Z');
      expect(obs.valueQuantity?.value).toBe(7.2);
      expect(obs.note).toBeUndefined();
      expect(obs.interpretation).toBeUndefined();
      const patient = (await search(ctx.store, 'Patient', '_id=deceased&_summary=true')).entry?.[0]
        ?.resource as Patient;
      expect(patient.deceasedBoolean).toBe(true);
      // The extension of a primitive travels with it.
      expect(patient._birthDate?.extension?.[0]?.url).toBe('urn:test:estimated');
    });

    run(
      '_summary=text keeps the narrative and the mandatory elements; _summary=data drops the narrative',
      async () => {
        const text = (await search(ctx.store, 'Observation', '_summary=text')).entry?.[0]
          ?.resource as Observation;
        expect(text.text?.div).toContain('HbA1c');
        expect([text.status, text.code?.coding?.[0]?.code]).toEqual(['final', '4548-4']);
        expect(text.valueQuantity).toBeUndefined();
        const data = (await search(ctx.store, 'Observation', '_summary=data')).entry?.[0]
          ?.resource as Observation;
        expect(data.text).toBeUndefined();
        expect(data.note).toHaveLength(1);
      },
    );

    run('_summary=true leaves the stored resource whole', async () => {
      await search(ctx.store, 'Patient', '_id=full&_summary=true');
      const stored = (await ctx.store.read('Patient', 'full')) as Patient;
      expect(stored.contact).toHaveLength(1);
      expect(stored.meta?.tag).toBeUndefined();
    });

    run('_elements returns the elements asked for, marked SUBSETTED', async () => {
      const bundle = await search(ctx.store, 'Patient', '_id=full&_elements=name,birthDate');
      const patient = bundle.entry?.[0]?.resource as Patient;
      expect(Object.keys(patient).sort()).toEqual(['birthDate', 'id', 'meta', 'name', 'resourceType']);
      expect(patient.meta?.tag).toContainEqual(SUBSETTED);
    });

    run('_elements names a choice element by its name without the type', async () => {
      const obs = (await search(ctx.store, 'Observation', '_elements=value')).entry?.[0]
        ?.resource as Observation;
      expect(obs.valueQuantity?.value).toBe(7.2);
      expect(obs.effectiveDateTime).toBeUndefined();
    });

    run('_elements keeps the mandatory elements so the resource stays valid', async () => {
      const bundle = await search(ctx.store, 'Observation', '_elements=subject');
      const obs = bundle.entry?.[0]?.resource as Observation;
      expect(obs.subject?.reference).toBe('Patient/full');
      expect(obs.status).toBe('final');
      expect(obs.code?.coding?.[0]?.code).toBe('4548-4');
      expect(obs.valueQuantity).toBeUndefined();
    });

    run('_total=none leaves the total out; the default counts every match', async () => {
      expect((await search(ctx.store, 'Patient', '_total=none')).total).toBeUndefined();
      expect((await search(ctx.store, 'Patient', '_total=none')).entry).toHaveLength(3);
      expect((await search(ctx.store, 'Patient', '_count=1')).total).toBe(3);
    });
  });

  describe('errors', () => {
    const ctx = seededStore(target, (store) => put(store, [buildPatient({ id: 'p' })]));
    const expectError = async (type: string, q: string, expression: string, code?: string) => {
      const err = await failure(search(ctx.store, type, q));
      expect(err.status, q).toBe(400);
      expect(err.issues[0]?.expression, q).toBe(expression);
      if (code) expect(err.issues[0]?.code, q).toBe(code);
      return err;
    };

    run('an unknown parameter is a 400 that names it', async () => {
      const err = await expectError('Patient', 'shoe-size=42', 'shoe-size');
      expect(err.issues[0]?.diagnostics).toContain('shoe-size');
    });

    run('an unsupported modifier is a 400 not-supported that names the parameter', async () => {
      await expectError('Patient', 'birthdate:exact=1956', 'birthdate:exact', 'not-supported');
      await expectError('Patient', 'name:below=ana', 'name:below', 'not-supported');
      await expectError('Patient', '_id:missing=true', '_id:missing', 'not-supported');
      await expectError('Patient', '_lastUpdated:missing=true', '_lastUpdated:missing', 'not-supported');
    });

    run('a parameter R4 defines but the store does not answer is a 400 not-supported', async () => {
      await expectError('Location', 'near=42.25|-83.1|10|km', 'near', 'not-supported');
    });

    run('malformed values are a 400 that names the parameter', async () => {
      await expectError('Patient', 'birthdate=04/12/1956', 'birthdate');
      await expectError('Patient', 'name:missing=perhaps', 'name:missing');
      await expectError('Patient', 'identifier=', 'identifier');
      await expectError('Patient', '_count=-1', '_count');
      await expectError('Patient', '_count=ten', '_count');
      await expectError('Patient', '_summary=some', '_summary');
      await expectError('Patient', '_total=all', '_total');
    });
  });
});
