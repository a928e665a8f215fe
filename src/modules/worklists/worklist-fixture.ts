/**
 * A small care setting for the worklist and care-team tests: two patients, a coordinator who leads
 * both teams, a nurse on one team, a nurse on none, and open tasks placed around the day boundaries
 * of America/New_York for the test clock (2026-11-30T12:00:00Z, 07:00 in New York).
 */
import type { FhirResource, Task } from 'fhir/r4.js';
import type { ResourceStore } from '../../fhir/store/store.js';

const SNOMED = 'http://snomed.info/sct';
const LEAD = 'https://careloop.org/fhir/StructureDefinition/care-team-lead';

/** An open routine Task for `patient`, with `over` on top. */
export function task(id: string, patient: string, over: Partial<Task>): Task {
  return {
    resourceType: 'Task',
    id,
    status: 'requested',
    intent: 'order',
    priority: 'routine',
    code: { text: `Task ${id}` },
    for: { reference: `Patient/${patient}` },
    authoredOn: '2026-11-25T14:00:00Z',
    ...over,
  };
}

const due = (end: string) => ({ restriction: { period: { end } } });

/** Writes the setting through the (system) store. */
export async function seedWorklist(store: ResourceStore): Promise<void> {
  const resources: FhirResource[] = [
    { resourceType: 'Practitioner', id: 'coord', name: [{ family: 'Lee', given: ['Dana'] }] },
    { resourceType: 'Practitioner', id: 'nurse1', name: [{ family: 'Ng', given: ['Kim'] }] },
    { resourceType: 'Practitioner', id: 'nurse2', name: [{ family: 'Ode', given: ['Ife'] }] },
    {
      resourceType: 'Patient',
      id: 'pa',
      name: [{ family: 'Rivera', given: ['Ana'] }],
      birthDate: '1950-03-01',
      communication: [
        {
          language: { coding: [{ system: 'urn:ietf:bcp:47', code: 'es', display: 'Spanish' }] },
          preferred: true,
        },
      ],
    },
    {
      resourceType: 'Patient',
      id: 'pb',
      name: [{ family: 'Stone', given: ['Bo'] }],
      birthDate: '1970-06-15',
    },
    {
      resourceType: 'CareTeam',
      id: 'team-a',
      status: 'active',
      subject: { reference: 'Patient/pa' },
      participant: [
        {
          role: [{ coding: [{ system: SNOMED, code: '768832004' }] }],
          member: { reference: 'Practitioner/coord' },
        },
        {
          role: [{ coding: [{ system: SNOMED, code: '224535009' }] }],
          member: { reference: 'Practitioner/nurse1' },
        },
      ],
    },
    {
      resourceType: 'CareTeam',
      id: 'team-b',
      status: 'active',
      subject: { reference: 'Patient/pb' },
      participant: [
        {
          extension: [{ url: LEAD, valueBoolean: true }],
          role: [{ coding: [{ system: SNOMED, code: '768832004' }] }],
          member: { reference: 'Practitioner/coord' },
        },
      ],
    },
    {
      resourceType: 'RiskAssessment',
      id: 'risk-a',
      status: 'final',
      subject: { reference: 'Patient/pa' },
      occurrenceDateTime: '2026-11-20T10:00:00Z',
      prediction: [
        {
          probabilityDecimal: 0.4,
          qualitativeRisk: {
            coding: [{ system: 'http://terminology.hl7.org/CodeSystem/risk-probability', code: 'high' }],
          },
        },
      ],
    },
    // 3 local days overdue (27 Nov in New York).
    task('t1', 'pa', { owner: { reference: 'Practitioner/coord' }, ...due('2026-11-27T15:00:00Z') }),
    // 23:30 on 30 Nov in New York: due today there, though 1 Dec in UTC.
    task('t2', 'pa', {
      priority: 'stat',
      owner: { reference: 'Practitioner/nurse1' },
      reasonCode: { text: 'Hospital discharge' },
      authoredOn: '2026-11-28T15:00:00Z',
      ...due('2026-12-01T04:30:00Z'),
    }),
    // 00:30 on 1 Dec in New York: tomorrow, within the week.
    task('t3', 'pa', {
      priority: 'urgent',
      owner: { reference: 'CareTeam/team-a' },
      ...due('2026-12-01T05:30:00Z'),
    }),
    // For any nurse (no owner), due after the week.
    task('t4', 'pa', {
      performerType: [{ coding: [{ system: SNOMED, code: '224535009' }], text: 'nurse' }],
      ...due('2026-12-10T15:00:00Z'),
    }),
    task('t5', 'pa', {
      status: 'completed',
      owner: { reference: 'Practitioner/coord' },
      ...due('2026-11-29T15:00:00Z'),
    }),
    // 23:59 on 29 Nov in New York: 1 day overdue.
    task('t6', 'pb', {
      priority: 'asap',
      owner: { reference: 'Practitioner/coord' },
      ...due('2026-11-30T04:59:00Z'),
    }),
  ];
  await store.write(
    resources.map((r) => ({ method: 'PUT' as const, resourceType: r.resourceType, id: r.id!, resource: r })),
  );
}
